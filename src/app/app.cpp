#include "app/app.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/kernel.hpp"
#include "data/toy.hpp"

namespace cfdm::app {
namespace {

const char* toy_name(int index) { return data::toy_names()[size_t(index)].c_str(); }

}  // namespace

App::App(const PlatformInfo& platform, int n_threads, JobMode mode) : platform_(platform), job_(n_threads, mode) {
  restart();
}

void App::apply(const Settings& settings) {
  settings_ = settings;
  restart();
}

void App::restart() {
  error_.clear();
  try {
    train_points_ = data::make_toy(toy_name(settings_.dataset), settings_.n_train, 0);
    train_ = std::make_shared<const TrainingSet>(train_points_);
  } catch (const Error& e) {
    error_ = e.what();
    return;
  }
  SamplerParams params = default_sampler_params();
  params.n_samples = settings_.n_samples;
  params.n_steps = settings_.n_steps;
  params.n_draws = settings_.n_draws;
  params.sigma = settings_.sigma;
  params.start_t = settings_.start_t;
  params.seed = uint64_t(settings_.seed);
  job_.set_paused(paused_);
  job_.start(train_, params);
}

void App::draw_controls() {
  ImGui::SetNextWindowPos(ImVec2(10, 10), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(390, 0), ImGuiCond_FirstUseEver);
  ImGui::Begin("cfdm: closed-form diffusion");
  Settings s = settings_;
  bool changed = false;
  if (ImGui::BeginCombo("dataset", toy_name(s.dataset))) {
    for (int i = 0; i < int(data::toy_names().size()); ++i)
      if (ImGui::Selectable(toy_name(i), i == s.dataset)) s.dataset = i, changed = true;
    ImGui::EndCombo();
  }
  changed |= ImGui::SliderInt("training points", &s.n_train, 10, 20000, "%d", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::SliderFloat("sigma", &s.sigma, 0.0f, 1.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::SliderInt("draws M", &s.n_draws, 1, 16);
  changed |= ImGui::SliderInt("steps", &s.n_steps, 1, 1000, "%d", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::SliderFloat("start T", &s.start_t, 0.0f, 0.95f, "%.2f");
  changed |= ImGui::SliderInt("samples", &s.n_samples, 1, 20000, "%d", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::InputInt("seed", &s.seed);
  s.seed = std::max(0, s.seed);
  if (changed) apply(s);  // restart at once: the old run is cancelled within a tile
  if (ImGui::Button(paused_ ? "Play" : "Pause")) {
    paused_ = !paused_;
    job_.set_paused(paused_);
  }
  ImGui::SameLine();
  if (ImGui::Button("Step")) {
    paused_ = true;
    job_.set_paused(true);
    job_.single_step();
  }
  ImGui::SameLine();
  if (ImGui::Button("Reset")) restart();
  ImGui::Separator();
  const double t = snapshot_.n_steps ? double(snapshot_.step) / snapshot_.n_steps : 0.0;
  ImGui::Text("t = %.3f  (step %d of %d)%s", t, snapshot_.step, snapshot_.n_steps, snapshot_.done ? ", done" : "");
  ImGui::Text("%.0f steps/s, %.0f samples/s", steps_per_second_, steps_per_second_ * settings_.n_samples);
  ImGui::Text("%s; threads: %d; SIMD: %s", platform_.build, job_.threads(), isa_name(best_isa()));
  ImGui::Text("cross-origin isolated: %s; dataset %.1f KB", platform_.cross_origin_isolated ? "yes" : "no",
              train_ ? train_->memory_bytes() / 1e3 : 0.0);
  const std::string& message = !error_.empty() ? error_ : snapshot_.error;
  if (!message.empty()) ImGui::TextColored(ImVec4(1.0f, 0.35f, 0.3f, 1.0f), "%s", message.c_str());
  ImGui::End();
}

void App::draw_canvas() {
  ImGuiIO& io = ImGui::GetIO();
  if (!io.WantCaptureMouse) {
    if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
      pan_x_ += io.MouseDelta.x;
      pan_y_ += io.MouseDelta.y;
    }
    if (io.MouseWheel != 0.0f) zoom_ = std::clamp(zoom_ * std::pow(1.15f, io.MouseWheel), 0.1f, 50.0f);
  }
  ImDrawList* draw = ImGui::GetBackgroundDrawList();
  const ImVec2 size = io.DisplaySize;
  const float scale = std::min(size.x, size.y) / 6.0f * zoom_;  // about [-3, 3] fits the view
  const ImVec2 center(size.x * 0.5f + pan_x_, size.y * 0.5f + pan_y_);
  auto to_screen = [&](float x, float y) { return ImVec2(center.x + x * scale, center.y - y * scale); };
  draw->AddRectFilled(ImVec2(0, 0), size, IM_COL32(250, 250, 248, 255));
  for (Eigen::Index i = 0; i < train_points_.rows(); ++i)
    draw->AddCircleFilled(to_screen(train_points_(i, 0), train_points_(i, 1)), 2.2f, IM_COL32(60, 60, 80, 110), 6);
  for (Eigen::Index i = 0; i < snapshot_.states.rows(); ++i)
    draw->AddCircleFilled(to_screen(snapshot_.states(i, 0), snapshot_.states(i, 1)), 1.8f, IM_COL32(230, 110, 20, 200),
                          6);
}

std::string App::stats_json() const {
  std::string error;
  for (char c : !error_.empty() ? error_ : snapshot_.error) error += (c == '"' || c == '\\') ? ' ' : c;
  char text[512];
  std::snprintf(text, sizeof text,
                "{\"step\": %d, \"n_steps\": %d, \"samples_done\": %lld, \"n_samples\": %d, \"threads\": %d, "
                "\"build\": \"%s\", \"isolated\": %s, \"steps_per_s\": %.1f, \"error\": \"%s\"}",
                snapshot_.step, snapshot_.n_steps, snapshot_.done ? (long long)snapshot_.states.rows() : 0LL,
                settings_.n_samples, job_.threads(), platform_.build,
                platform_.cross_origin_isolated ? "true" : "false", steps_per_second_, error.substr(0, 300).c_str());
  return text;
}

void App::frame() {
  job_.advance(0.012);  // foreground mode: sample for part of the frame (a no-op with a worker thread)
  if (job_.latest(&snapshot_)) {
    const double now = ImGui::GetTime();
    if (snapshot_.step > last_step_ && now > last_time_)
      steps_per_second_ = 0.8 * steps_per_second_ + 0.2 * (snapshot_.step - last_step_) / (now - last_time_);
    last_step_ = snapshot_.step;
    last_time_ = now;
  }
  draw_canvas();
  draw_controls();
}

}  // namespace cfdm::app
