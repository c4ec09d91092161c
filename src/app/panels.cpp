// The app's windows: the full controls, the compact ones of an embed, export, status and
// messages.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "app/app.hpp"
#include "app/app_internal.hpp"
#include "core/error.hpp"
#include "core/kernel.hpp"

namespace cfdm::app {
namespace {

// A float slider over a double setting that holds float values (sigma, start T): what a link
// carries is exactly what the slider set.
bool slider_float(const char* label, double* value, float lo, float hi, const char* format, ImGuiSliderFlags flags = 0) {
  float f = float(*value);
  if (!ImGui::SliderFloat(label, &f, lo, hi, format, flags)) return false;
  *value = double(f);
  return true;
}

}  // namespace

void App::draw_controls() {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const bool small = display.x < 700 || display.y < 500;  // a phone: controls start folded
  ImGui::SetNextWindowPos(ImVec2(10, 10), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(std::min(400.0f, display.x - 20), 0), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowCollapsed(small, ImGuiCond_FirstUseEver);
  ImGui::Begin("cfdm: closed-form diffusion");
  controls_right_ = ImGui::IsWindowCollapsed() ? 0.0f : ImGui::GetWindowPos().x + ImGui::GetWindowSize().x;
  controls_bottom_ = ImGui::GetWindowPos().y + ImGui::GetWindowSize().y;  // folded: its title bar
  if (ImGui::BeginCombo("story", "choose a preset...")) {
    for (const Preset& preset : presets())
      if (ImGui::Selectable(preset.title.c_str())) {
        apply_state(preset.query);
        pan_x_ = pan_y_ = 0, zoom_ = 1;
      }
    ImGui::EndCombo();
  }
  Settings s = settings_;
  bool changed = false;
  const bool image = is_image_name(s.dataset);
  if (ImGui::BeginCombo("dataset", s.dataset.c_str())) {
    for (const std::string& name : dataset_names())
      if (ImGui::Selectable(name.c_str(), name == s.dataset) && name != s.dataset) {
        const Settings d = defaults_for(name);
        // Keep the model's own settings; take the sizes that suit the new kind of data.
        if (is_image_name(name) != image) {
          s.n_train = d.n_train, s.sampler.n_samples = d.sampler.n_samples;
          s.sampler.n_steps = d.sampler.n_steps, s.sampler.start_t = d.sampler.start_t;
          pan_x_ = pan_y_ = 0, zoom_ = 1;
        }
        s.dataset = name;
        changed = true;
      }
    ImGui::EndCombo();
  }
  if (image) {
    ImGui::TextUnformatted("classes (none ticked: all)");
    for (int c = 0; c < 10; ++c) {
      if (c % 5) ImGui::SameLine();
      bool on = (s.classes_mask >> c) & 1;
      char label[32];
      if (s.dataset == "mnist")
        std::snprintf(label, sizeof label, "%d##class%d", c, c);
      else
        std::snprintf(label, sizeof label, "%s##class%d", kFashionClasses[c], c);
      if (ImGui::Checkbox(label, &on)) {
        s.classes_mask ^= 1 << c;
        changed = true;
      }
    }
    int space = s.pca ? 1 : 0;
    changed |= ImGui::RadioButton("pixels", &space, 0);
    ImGui::SameLine();
    changed |= ImGui::RadioButton("PCA space", &space, 1);
    s.pca = space == 1;
    if (s.pca) {
      ImGui::SameLine();
      ImGui::SetNextItemWidth(120);
      changed |= ImGui::SliderInt("dim", &s.pca_dim, 2, 256, "%d", ImGuiSliderFlags_Logarithmic);
    }
  }
  changed |=
      ImGui::SliderInt("training points", &s.n_train, 10, image ? 60000 : 20000, "%d", ImGuiSliderFlags_Logarithmic);
  changed |= slider_float("sigma", &s.sampler.sigma, 0.0f, image ? 4.0f : 1.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::SliderInt("draws M", &s.sampler.n_draws, 1, 16);
  changed |= ImGui::SliderInt("steps", &s.sampler.n_steps, 1, 1000, "%d", ImGuiSliderFlags_Logarithmic);
  changed |= slider_float("start T", &s.sampler.start_t, 0.0f, 0.95f, "%.2f");
  changed |= ImGui::SliderInt("samples", &s.sampler.n_samples, 1, image ? 256 : 20000, "%d", ImGuiSliderFlags_Logarithmic);
  int seed = int(std::min<uint64_t>(s.sampler.seed, uint64_t(std::numeric_limits<int>::max())));
  if (ImGui::InputInt("seed", &seed)) s.sampler.seed = uint64_t(std::max(0, seed)), changed = true;
  bool knn = s.knn();
  if (ImGui::Checkbox("nearest-neighbour estimator", &knn))
    s.sampler.estimator = knn ? Estimator::knn : Estimator::exact, changed = true;
  if (s.knn()) {
    ImGui::SetNextItemWidth(120);
    changed |= ImGui::SliderInt("K", &s.sampler.knn.k, 1, 200, "%d", ImGuiSliderFlags_Logarithmic);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120);
    changed |= ImGui::SliderInt("L", &s.sampler.knn.l, 0, 200, "%d", ImGuiSliderFlags_Logarithmic);
  }
  if (changed) apply(s);  // restart at once: the old run is cancelled within a tile

  if (ImGui::Button(paused_ ? "Play" : "Pause")) control(paused_ ? Control::play : Control::pause);
  ImGui::SameLine();
  if (ImGui::Button("Step")) control(Control::step);
  ImGui::SameLine();
  if (ImGui::Button("Reset")) control(Control::reset);
  ImGui::SameLine();
  if (ImGui::Button("Copy link")) {
    // The link reproduces these samples bit for bit: same settings, same seed.
    if (platform_.copy_link)
      platform_.copy_link(state_query());
    else
      ImGui::SetClipboardText(("cfdm_app --state '" + state_query() + "'").c_str());
    export_message_ = "link copied";
  }
  ImGui::SameLine();
  if (ImGui::Button("Replay") && !snapshot_.history_steps.empty()) {
    replaying_ = true;
    view_step_ = snapshot_.history_steps.front();
  }
  // The time scrubber: any recorded step from the start to the latest.
  if (snapshot_.n_steps > 0) {
    int shown = view_step();
    char label[64];
    std::snprintf(label, sizeof label, "t = %.3f", double(shown) / snapshot_.n_steps);
    if (ImGui::SliderInt("time", &shown, snapshot_.first_step, std::max(snapshot_.first_step, snapshot_.step), label)) {
      view_step_ = shown >= snapshot_.step ? -1 : shown;
      replaying_ = false;
    }
  }
  draw_export();
  if (!image) {
    ImGui::Checkbox("training points", &show_training_);
    ImGui::SameLine();
    ImGui::Checkbox("trails", &show_trails_);
    ImGui::SameLine();
    ImGui::Checkbox("velocity field", &show_velocity_);
    if (show_trails_) ImGui::SliderInt("trail steps", &trail_length_, 1, 100);
  }
  ImGui::End();
}

void App::draw_compact_controls() {
  ImGui::SetNextWindowPos(ImVec2(6, 6), ImGuiCond_Always);
  ImGui::SetNextWindowBgAlpha(0.8f);
  ImGui::Begin("cfdm", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  Settings s = settings_;
  bool changed = false;
  if (ImGui::Button(paused_ ? "Play" : "Pause")) control(paused_ ? Control::play : Control::pause);
  ImGui::SameLine();
  if (ImGui::Button("Reset")) control(Control::reset);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(150);
  changed |= slider_float("sigma", &s.sampler.sigma, 0.0f, is_image_name(s.dataset) ? 4.0f : 1.0f, "%.3f",
                                ImGuiSliderFlags_Logarithmic);
  if (ImGui::GetIO().DisplaySize.x >= 480) ImGui::SameLine();  // narrow (a phone): on a line of its own
  ImGui::SetNextItemWidth(80);
  changed |= ImGui::SliderInt("M", &s.sampler.n_draws, 1, 16);
  if (changed) apply(s);
  const double t = snapshot_.n_steps ? double(view_step()) / snapshot_.n_steps : 0.0;
  const std::string& message = shown_error();
  if (!message.empty() || !notice_.empty()) {
    draw_messages(std::min(420.0f, ImGui::GetIO().DisplaySize.x - 24));
  } else if (waiting_for_data_ || !snapshot_.status.empty()) {
    ImGui::Text("%s", waiting_for_data_ ? "fetching the images..." : snapshot_.status.c_str());
  } else {
    ImGui::Text("t = %.2f; %s, %d thread%s", t, platform_.build, job_.threads(), job_.threads() == 1 ? "" : "s");
  }
  if (snapshot_.model && snapshot_.model->is_image() && !snapshot_.nearest_distance.empty())
    ImGui::Text("copies of training images: %d of %zu", copies(), snapshot_.nearest_distance.size());
  controls_bottom_ = ImGui::GetWindowPos().y + ImGui::GetWindowSize().y;
  ImGui::End();
}

void App::draw_export() {
  if (!ImGui::CollapsingHeader("export")) return;
  struct Item {
    const char* label;
    Export what;
  };
  const Item items[] = {
      {"samples .npy", Export::samples_npy},
      {"samples .csv", Export::samples_csv},
      {"trajectories .npy", Export::trajectories_npy},
      {"trajectories .csv", Export::trajectories_csv},
      {snapshot_.model && snapshot_.model->is_image() ? "grid .png" : "plot .png", Export::picture_png}};
  for (size_t i = 0; i < std::size(items); ++i) {
    if (i % 3) ImGui::SameLine();
    if (!ImGui::Button(items[i].label)) continue;
    try {
      const std::string path = export_file(items[i].what);
      export_message_ = "wrote " + path;
      if (platform_.on_export) platform_.on_export(path);
    } catch (const Error& e) {
      export_message_ = e.what();
    }
  }
  if (platform_.export_canvas) {
    ImGui::SameLine();
    if (ImGui::Button("canvas .png")) platform_.export_canvas();
  }
  if (!export_message_.empty()) ImGui::TextWrapped("%s", export_message_.c_str());
}

// What was ignored or assumed (amber) and what went wrong (red), wrapped to the given width.
void App::draw_messages(float width) {
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(width, 120.0f));
  if (!notice_.empty()) ImGui::TextColored(ImVec4(0.55f, 0.35f, 0.0f, 1.0f), "%s", notice_.c_str());
  const std::string& message = shown_error();
  if (!message.empty()) ImGui::TextColored(ImVec4(0.8f, 0.1f, 0.05f, 1.0f), "%s", message.c_str());
  ImGui::PopTextWrapPos();
}

void App::draw_status() {
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(10, io.DisplaySize.y - 10), ImGuiCond_Always, ImVec2(0, 1));
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("status", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  const Model* model = snapshot_.model.get();
  if (waiting_for_data_) {
    const float share = fetch_.total > 0 ? float(fetch_.loaded / fetch_.total) : 0.0f;
    char text[96];
    std::snprintf(text, sizeof text, "fetching %s: %.1f of %.1f MB", settings_.dataset.c_str(), fetch_.loaded / 1e6,
                  fetch_.total / 1e6);
    ImGui::ProgressBar(share, ImVec2(360, 0), text);
  } else if (!snapshot_.status.empty()) {
    ImGui::Text("%s...", snapshot_.status.c_str());
  } else {
    const double t = snapshot_.n_steps ? double(snapshot_.step) / snapshot_.n_steps : 0.0;
    ImGui::Text("t = %.3f (step %d of %d)%s%s", t, snapshot_.step, snapshot_.n_steps, snapshot_.done ? ", done" : "",
                paused_ ? ", paused" : "");
  }
  if (model) ImGui::TextUnformatted(model->description.c_str());
  if (model && model->is_image() && !snapshot_.nearest_distance.empty()) {
    const int n = int(snapshot_.nearest_distance.size()), c = copies();
    char text[96];
    std::snprintf(text, sizeof text, "memorization: %d of %d samples are copies (%.0f%%)", c, n, 100.0 * c / n);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImVec4(0.84f, 0.16f, 0.16f, 1.0f));
    ImGui::ProgressBar(float(c) / float(n), ImVec2(360, 0), text);
    ImGui::PopStyleColor();
  }
  const size_t bytes = model ? model->train->memory_bytes() +
                                   (model->pixels && model->pixels != model->train ? model->pixels->memory_bytes() : 0)
                             : 0;
  const bool small = io.DisplaySize.x < 700 || io.DisplaySize.y < 500;  // a phone: the essentials only
  if (!small)
    ImGui::Text("%.0f steps/s, %.0f samples/s, %.0f fps", steps_per_second_, steps_per_second_ * settings_.sampler.n_samples,
                io.Framerate);
  const bool web = std::string(platform_.build) != "native";
  const char* isolation = !web ? "" : platform_.cross_origin_isolated ? "; isolated" : "; not isolated";
  if (small)
    ImGui::Text("%s; %d thr.%s", platform_.build, job_.threads(), isolation);
  else
    ImGui::Text("%s; %d thread%s; SIMD %s%s; dataset %.1f MB", platform_.build, job_.threads(),
                job_.threads() == 1 ? "" : "s", isa_name(best_isa()),
                !web                              ? ""
                : platform_.cross_origin_isolated ? "; cross-origin isolated"
                                                  : "; not cross-origin isolated",
                bytes / 1e6);
  draw_messages(460);
  ImGui::End();
}

}  // namespace cfdm::app
