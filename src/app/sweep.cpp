// The sigma sweep in the app: the current settings run again at a range of sigma (eval/sweep.hpp
// chooses them), one ordinary run after another, each shown as it samples and measured when done
// (share of copies, median distance to the nearest training point), then plotted against sigma.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/app.hpp"
#include "app/app_internal.hpp"
#include "core/error.hpp"

namespace cfdm::app {

void App::start_sweep() {
  if (!snapshot_.model || !snapshot_.done) {
    error_ = "the sigma sweep starts from a finished run: wait for this one to finish";
    return;
  }
  try {
    sweep_ = Sweep{};
    sweep_.sigmas = eval::default_sweep_sigmas(*snapshot_.model->train, ui_pool_, 9);
  } catch (const Error& e) {
    error_ = e.what();
    return;
  }
  sweep_.active = true;
  sweep_.original = settings_;
  sweep_.dataset = settings_.dataset;
  sweep_.draws = std::max(2, settings_.sampler.n_draws);  // M = 1 would only copy
  paused_ = false;
  sweep_.started_after = snapshot_.generation;
  sweep_.next = 0;
  // The first run starts from here: advance_sweep() starts each next one when the last is measured.
  Settings s = sweep_.original;
  s.sampler.sigma = sweep_.sigmas[0];
  s.sampler.n_draws = sweep_.draws;
  s.speed = 0;  // each run shown as fast as it samples
  sweeping_apply_ = true;
  apply(s);
  sweeping_apply_ = false;
  sweep_.next = 1;
  if (!error_.empty()) sweep_.active = false;  // refused (the single-thread budget)
}

void App::advance_sweep() {
  if (!sweep_.active || snapshot_.generation <= sweep_.started_after || !snapshot_.done ||
      snapshot_.nearest_distance.empty())
    return;
  eval::SweepRow row;
  row.sigma = settings_.sampler.sigma;
  row.draws = settings_.sampler.sigma > 0 ? settings_.sampler.n_draws : 1;
  eval::measure_run(snapshot_.nearest_distance, snapshot_.model->copy_threshold, &row);
  row.seconds = snapshot_.seconds;
  sweep_.rows.push_back(row);
  sweep_.started_after = snapshot_.generation;
  Settings s = settings_;
  if (sweep_.next >= sweep_.sigmas.size()) {  // done: back to the settings it started from
    sweep_.active = false;
    s = sweep_.original;
  } else {
    s.sampler.sigma = sweep_.sigmas[sweep_.next++];
  }
  sweeping_apply_ = true;
  apply(s);
  sweeping_apply_ = false;
}

void App::draw_sweep() {
  std::fill(std::begin(sweep_box_), std::end(sweep_box_), 0.0f);
  if (sweep_.rows.empty() && !sweep_.active) return;
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const float width = std::min(440.0f, display.x - 20);
  // Bottom right, beside the status window, where there is room; else top right.
  if (display.x - width - 20 > status_right_)
    ImGui::SetNextWindowPos(ImVec2(display.x - 10, display.y - 10), ImGuiCond_FirstUseEver, ImVec2(1, 1));
  else
    ImGui::SetNextWindowPos(ImVec2(display.x - 10, 10), ImGuiCond_FirstUseEver, ImVec2(1, 0));
  ImGui::SetNextWindowSize(ImVec2(width, 0), ImGuiCond_Always);
  bool open = true;
  ImGui::Begin("sigma sweep", &open, ImGuiWindowFlags_NoSavedSettings);
  keep_window_on_screen();
  if (!open) {
    sweep_ = Sweep{};
    ImGui::End();
    return;
  }
  const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  sweep_box_[0] = pos.x, sweep_box_[1] = pos.y, sweep_box_[2] = pos.x + size.x, sweep_box_[3] = pos.y + size.y;
  ImGui::TextWrapped("The same noise sampled at %zu values of sigma (M = %d, %s): the red curve is the share of "
                     "samples that copy a training point, the blue one the median distance to the nearest training "
                     "point. Left to right: memorize, then new points, then blur.",
                     sweep_.sigmas.size(), sweep_.draws, sweep_.dataset.c_str());
  if (sweep_.active)
    ImGui::Text("running sigma %zu of %zu...", sweep_.rows.size() + 1, sweep_.sigmas.size());
  // The chart: sigma evenly by index (the values are evenly spaced in log), both curves.
  const float chart_h = 170, left = 44, right = 52, bottom_gap = 34;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x;
  ImGui::Dummy(ImVec2(w, chart_h + bottom_gap));
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float x0 = origin.x + left, x1 = origin.x + w - right, y0 = origin.y + 6, y1 = origin.y + chart_h;
  const ImU32 ink = IM_COL32(60, 60, 70, 255), grid = IM_COL32(220, 220, 225, 255);
  const ImU32 red = IM_COL32(205, 35, 35, 255), blue = IM_COL32(30, 90, 180, 255);
  double max_distance = 0;
  for (const auto& row : sweep_.rows) max_distance = std::max(max_distance, row.median_distance);
  if (!(max_distance > 0)) max_distance = 1;
  char text[32];
  for (int i = 0; i <= 4; ++i) {
    const float y = y1 - (y1 - y0) * i / 4.0f;
    draw->AddLine(ImVec2(x0, y), ImVec2(x1, y), grid);
    std::snprintf(text, sizeof text, "%.2g", i / 4.0);
    draw->AddText(ImVec2(origin.x + 4, y - 7), red, text);
    std::snprintf(text, sizeof text, "%.2g", max_distance * i / 4.0);
    draw->AddText(ImVec2(x1 + 4, y - 7), blue, text);
  }
  draw->AddRect(ImVec2(x0, y0), ImVec2(x1, y1), ink);
  const size_t n = sweep_.sigmas.size();
  auto x_of = [&](size_t i) { return x0 + (x1 - x0) * (n > 1 ? float(i) / float(n - 1) : 0.5f); };
  for (size_t i = 0; i < n; i += 2) {
    std::snprintf(text, sizeof text, "%.2g", sweep_.sigmas[i]);
    const float tw = ImGui::CalcTextSize(text).x;
    draw->AddText(ImVec2(x_of(i) - tw / 2, y1 + 4), ink, text);
  }
  draw->AddText(ImVec2((x0 + x1) / 2 - 20, y1 + 18), ink, "sigma");
  for (size_t i = 0; i < sweep_.rows.size(); ++i) {
    const auto& row = sweep_.rows[i];
    const ImVec2 share(x_of(i), y1 - (y1 - y0) * float(row.copy_share));
    const ImVec2 dist(x_of(i), y1 - (y1 - y0) * float(row.median_distance / max_distance));
    if (i > 0) {
      const auto& prev = sweep_.rows[i - 1];
      draw->AddLine(ImVec2(x_of(i - 1), y1 - (y1 - y0) * float(prev.copy_share)), share, red, 2.5f);
      draw->AddLine(ImVec2(x_of(i - 1), y1 - (y1 - y0) * float(prev.median_distance / max_distance)), dist, blue,
                    2.5f);
    }
    draw->AddCircleFilled(share, 3.5f, red);
    draw->AddCircleFilled(dist, 3.5f, blue);
  }
  ImGui::TextColored(ImVec4(0.8f, 0.14f, 0.14f, 1), "red: share of copies (left scale)");
  ImGui::TextColored(ImVec4(0.12f, 0.35f, 0.7f, 1), "blue: median distance to the nearest training point (right)");
  ImGui::End();
}

}  // namespace cfdm::app
