// The app's windows: the full controls, the compact ones of an embed, export, status and
// messages.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "app/app.hpp"
#include "app/app_internal.hpp"
#include "app/caption.hpp"
#include "app/url_state.hpp"
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

// A tooltip for the item just drawn, wrapped to a readable width (hover with a mouse; on a touch
// screen, the item's press shows it).
void tooltip(const char* text);

// The denoiser: sigma-CFDM or another of the analytic family (analytic-family.md), each item with
// what it does; the local model only for images (it compares windows of pixels). True on a change.
bool model_picker(Settings& s, bool image) {
  struct Item {
    cfdm::Model model;
    const char* label;
    const char* help;
  };
  static const Item kItems[] = {
      {cfdm::Model::cfdm, "cfdm: exact / smoothed",
       "The closed-form model: each sample is pulled towards a weighted average of the whole training examples. "
       "With sigma = 0 it memorizes; sigma and M smooth it."},
      {cfdm::Model::wiener, "wiener: Gaussian",
       "Sees only the data's average and how pixels vary together (a Gaussian): blurry, never a copy."},
      {cfdm::Model::local, "local: patches",
       "Each pixel looks only at a small window around it and takes that pixel from the training images whose "
       "windows match best: new images made of pieces of training images. The window shrinks as t grows."},
      {cfdm::Model::pca_local, "pca-local: data's locality",
       "Like local, but each pixel's window is the set of pixels the data say it varies with (from the Gaussian "
       "model's gain)."},
      {cfdm::Model::nearest, "nearest: retrieval",
       "Always the training example nearest to the sample's current guess: copies by construction."},
  };
  bool changed = false;
  const Item* current = &kItems[0];
  for (const Item& item : kItems)
    if (item.model == s.sampler.denoiser.model) current = &item;
  if (ImGui::BeginCombo("model", current->label)) {
    for (const Item& item : kItems) {
      const bool usable = (image && !s.pca) || item.model != cfdm::Model::local;
      if (ImGui::Selectable(item.label, &item == current, usable ? 0 : ImGuiSelectableFlags_Disabled) && usable &&
          &item != current) {
        s.sampler.denoiser.model = item.model;
        if (!cfdm::takes_knn_estimator(item.model)) s.sampler.estimator = Estimator::exact;
        changed = true;
      }
      if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28);
        ImGui::TextUnformatted(usable  ? item.help
                               : image ? "The local model compares small windows of pixels, so it runs in pixel "
                                         "space: choose pixels instead of the PCA space."
                                       : "The local model compares small windows of pixels, so it needs images: "
                                         "choose MNIST or Fashion-MNIST.");
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
      }
    }
    ImGui::EndCombo();
  }
  tooltip("Which denoiser replaces the trained network. cfdm memorizes (sigma = 0) or averages; the others are "
          "the analytic family beside it: a Gaussian, patch-by-patch models that make new images, retrieval.");
  return changed;
}

// The comparison view (images): a switch, then a box per model (2 to 4 of them). True on a change.
bool comparison_picker(Settings& s) {
  bool changed = false;
  bool on = !s.models.empty();
  if (ImGui::Checkbox("compare models side by side", &on)) {
    s.models = on ? std::vector<std::string>{"exact", "scfdm", "local"} : std::vector<std::string>{};
    if (on && s.sampler.sigma == 0) s.sampler.sigma = 1.0, s.sampler.n_draws = 8;  // so that sigma-CFDM averages
    changed = true;
  }
  tooltip("Sample the same noise with several models at once, side by side: the exact model memorizes, sigma-CFDM "
          "averages (blurs), the local models make new images out of pieces.");
  if (s.models.empty()) return changed;
  int column = 0;
  for (const std::string& name : comparison_names()) {
    auto at = std::find(s.models.begin(), s.models.end(), name);
    bool chosen = at != s.models.end();
    // At least two and at most four: the last two cannot be unticked, a fifth not ticked.
    const bool locked = chosen ? s.models.size() <= size_t(kMinCompared) : s.models.size() >= size_t(kMaxCompared);
    if (column++ % 3) ImGui::SameLine();
    ImGui::BeginDisabled(locked);
    if (ImGui::Checkbox(name.c_str(), &chosen)) {
      if (chosen) {
        // In the list's own order, so that a link names them the same way.
        std::vector<std::string> next;
        for (const std::string& other : comparison_names())
          if (other == name || std::find(s.models.begin(), s.models.end(), other) != s.models.end())
            next.push_back(other);
        s.models = std::move(next);
      } else {
        s.models.erase(at);
      }
      changed = true;
    }
    ImGui::EndDisabled();
    tooltip(comparison_title(s, name).c_str());
  }
  return changed;
}

void tooltip(const char* text) {
  if (!ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) return;
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28);
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  ImGui::EndTooltip();
}

// The legend of the 2-D view: a glyph as drawn on the canvas, then its meaning, on one line.
void legend_item(bool ring, uint32_t color, const char* text) {
  const float r = ImGui::GetFontSize() * 0.32f;
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const ImVec2 center(at.x + r + 1, at.y + ImGui::GetTextLineHeight() * 0.5f);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  if (ring)
    draw->AddCircle(center, r, color, 16, 1.6f);
  else
    draw->AddCircleFilled(center, r * 0.75f, color, 16);
  ImGui::Dummy(ImVec2(2 * r + 4, ImGui::GetTextLineHeight()));
  ImGui::SameLine(0, 2);
  ImGui::TextUnformatted(text);
}

// What the data shown are made of, for the tooltips: training points or images.
const char* noun(bool image) { return image ? "image" : "point"; }

std::string sigma_help(bool image) {
  const std::string one = noun(image);
  return "sigma, the smoothing scale. 0 is the exact model: every sample lands on a training " + one +
         " (it memorizes). Above 0, with M >= 2 draws, each step averages the model at " +
         (image ? "slightly nudged versions of the sample" : "nearby points") + ", so samples land between training " +
         one + "s: new " + one + "s. Too much sigma averages far-apart " + one + "s: blur.";
}
std::string draws_help(bool image) {
  const std::string one = noun(image);
  return "M, the smoothing draws averaged per step. M = 1 still copies (one draw picks one training " + one +
         "); M = 2 or more make averages (barycenters) of M training " + one + "s.";
}

}  // namespace

CaptionFacts App::caption_facts() const {
  CaptionFacts f;
  f.image = is_image_name(settings_.dataset);
  f.running = snapshot_.model && !waiting_for_data_ && snapshot_.status.empty();
  const int shown = view_step();
  f.done = snapshot_.done && shown == snapshot_.step;
  f.failed = !snapshot_.error.empty();
  f.t = snapshot_.time(shown);
  f.first_step = snapshot_.first_step;
  f.n_samples = int(snapshot_.group_rows(size_t(snapshot_.states.rows())));
  f.three_d = !f.image && snapshot_.model && snapshot_.states.cols() == 3;
  // Copies are judged for the latest states (images: at every step; points: when done).
  if (!snapshot_.nearest_distance.empty() && (f.done || (f.image && shown == snapshot_.step))) f.copies = copies();
  if (f.copies >= 0)
    for (size_t g = 0; g < snapshot_.groups.size(); ++g) f.model_copies.push_back(copies(int(g)));
  if (shown == snapshot_.step)  // the latest states: each model's block at its own step
    for (size_t g = 0; g < snapshot_.group_steps.size(); ++g) f.models_done += snapshot_.group_done(g);
  return f;
}

std::string App::status_text() const {
  std::string text = snapshot_.status;
  if (running_ && running_->pca && is_image_name(running_->dataset) && text == SamplingJob::kPreparing)
    text += ": fitting a " + std::to_string(running_->pca_dim) + "-dimensional PCA space to the training images";
  return text;
}

void App::draw_legend() {
  if (!snapshot_.model || snapshot_.model->is_image()) {
    if (snapshot_.model && images_paired_)
      ImGui::TextWrapped("Each sample (left) beside its nearest training image (right): a red frame marks a copy, "
                         "a green frame a new image; the number is their distance.");
    else if (snapshot_.model)
      ImGui::TextWrapped(
          "A red frame marks a sample that copies a training image, a green frame a new image (a "
          "larger window shows each sample beside its nearest training image).");
    if (snapshot_.model && snapshot_.model->pca)
      ImGui::TextWrapped("In PCA space distances are measured between PCA codes: a copy (0.00) is the training "
                         "image as its %d components rebuild it, a little blurrier than the image beside it.",
                         snapshot_.model->pca->dim());
    return;
  }
  legend_item(true, kTrainColor, "training point");
  ImGui::SameLine(0, 14);
  legend_item(false, kSampleColor, "sample");
  ImGui::SameLine(0, 14);
  legend_item(false, kCopyColor, "copy");
  ImGui::SameLine(0, 14);
  legend_item(false, kNewColor, "new point");
  if (show_velocity_)
    ImGui::TextWrapped("Blue arrows: where the flow pushes a point at this moment (the longest, the strongest push).");
}

void App::draw_controls() {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const bool small = display.x < 700 || display.y < 500;  // a phone: controls start folded
  ImGui::SetNextWindowPos(ImVec2(10, 10), ImGuiCond_FirstUseEver);
  // As tall as its content (rows appear with the estimator, images and exports), up to the window's
  // height, then it scrolls inside; 400 pixels wide (less on a narrow screen).
  const float width = std::min(400.0f, display.x - 20);
  ImGui::SetNextWindowSizeConstraints(ImVec2(width, 0), ImVec2(width, std::max(60.0f, display.y - 20)));
  ImGui::SetNextWindowCollapsed(small, ImGuiCond_FirstUseEver);
  ImGui::Begin("cfdm: closed-form diffusion", nullptr, ImGuiWindowFlags_AlwaysAutoResize);
  keep_window_on_screen();
  controls_right_ = ImGui::IsWindowCollapsed() ? 0.0f : ImGui::GetWindowPos().x + ImGui::GetWindowSize().x;
  controls_bottom_ = ImGui::GetWindowPos().y + ImGui::GetWindowSize().y;  // folded: its title bar
  // The preset on screen, if the settings are one's (its title stays in view once chosen).
  const char* story = "choose a preset...";
  for (const Preset& preset : presets()) {
    std::string ignored;
    if (same_run(parse_state(preset.query, defaults_for("moons"), &ignored), settings_)) story = preset.title.c_str();
  }
  if (ImGui::BeginCombo("story", story)) {
    for (const Preset& preset : presets())
      if (ImGui::Selectable(preset.title.c_str())) {
        apply_state(preset.query);
        reset_view();
      }
    ImGui::EndCombo();
  }
  tooltip("Ready-made settings, each showing one part of the story: the exact model memorizes, smoothing makes "
          "new points, too much smoothing blurs, two ways to go faster, a 3-D point cloud and MNIST digits.");
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
          reset_view();
        }
        s.dataset = name;
        if (!is_image_name(name)) {
          s.models.clear();  // the comparison shows images
          if (s.sampler.denoiser.model == cfdm::Model::local)
            s.sampler.denoiser.model = cfdm::Model::cfdm;  // it needs images
        }
        changed = true;
      }
    ImGui::EndCombo();
  }
  tooltip("The training data: 2-D point sets, 3-D point clouds (a sphere, a torus, the Stanford bunny), or MNIST "
          "digits and Fashion-MNIST clothes (28 x 28 images). "
          "Drop a .npy or .csv file of 2-D or 3-D points on the canvas to use your own.");
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
    tooltip("Sample the pixels themselves, or the images' top principal components (PCA): fewer numbers per image, "
            "so faster, and distances (copies) are then measured in PCA space.");
    s.pca = space == 1;
    if (s.pca) {
      ImGui::SameLine();
      ImGui::SetNextItemWidth(120);
      changed |= ImGui::SliderInt("dim", &s.pca_dim, 2, 256, "%d", ImGuiSliderFlags_Logarithmic);
    }
  }
  // (### keeps the slider's identity when its label changes with the dataset)
  changed |= ImGui::SliderInt(image ? "training images###n_train" : "training points###n_train", &s.n_train, 10,
                              image ? 60000 : 20000, "%d", ImGuiSliderFlags_Logarithmic);
  tooltip(("How many training " + std::string(noun(image)) +
           "s the model knows. The exact model (sigma = 0) can only reproduce these.")
              .c_str());
  changed |= slider_float("sigma", &s.sampler.sigma, 0.0f, image ? 4.0f : 1.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
  tooltip(sigma_help(image).c_str());
  changed |= ImGui::SliderInt("draws M", &s.sampler.n_draws, 1, 16);
  tooltip(draws_help(image).c_str());
  changed |= ImGui::SliderInt("steps", &s.sampler.n_steps, 1, 1000, "%d", ImGuiSliderFlags_Logarithmic);
  tooltip("Euler steps from noise (t = 0) to data (t = 1): more steps follow the flow more closely.");
  int grid = s.sampler.schedule == cfdm::Schedule::ddim ? 1 : 0;
  if (ImGui::Combo("time grid", &grid, "even steps (flow)\0DDIM (as the papers)\0"))
    s.sampler.schedule = grid ? cfdm::Schedule::ddim : cfdm::Schedule::flow, changed = true;
  tooltip("Where the steps fall between noise and data. Even steps: t = 0, 1/S, 2/S, ... DDIM: the grid of the "
          "analytic-diffusion papers (a DDPM noise schedule with S evenly spaced training steps), with larger steps "
          "near the noise and smaller ones near the data; the same flow, so the same samples in the limit of many "
          "steps.");
  changed |= slider_float("start T", &s.sampler.start_t, 0.0f, 0.95f, "%.2f");
  tooltip(("Skip the start of the flow: begin at time T with the exact model's picture there (a training " +
           std::string(noun(image)) +
           " plus noise), saving that share of the steps. With sigma > 0 the last steps still smooth.")
              .c_str());
  changed |= ImGui::SliderInt("samples", &s.sampler.n_samples, 1, image ? 256 : 20000, "%d", ImGuiSliderFlags_Logarithmic);
  tooltip("How many samples are drawn at once.");
  int seed = int(std::min<uint64_t>(s.sampler.seed, uint64_t(std::numeric_limits<int>::max())));
  if (ImGui::InputInt("seed", &seed)) s.sampler.seed = uint64_t(std::max(0, seed)), changed = true;
  tooltip("The random seed: the same seed and settings give the same samples, bit for bit, on any machine.");
  if (s.models.empty()) changed |= model_picker(s, image);
  if (image) changed |= comparison_picker(s);
  bool knn = s.knn();
  const bool local = s.sampler.denoiser.model == cfdm::Model::local;
  if (s.models.empty() && cfdm::takes_knn_estimator(s.sampler.denoiser.model) &&
      ImGui::Checkbox("nearest-neighbour estimator", &knn))
    s.sampler.estimator = knn ? Estimator::knn : Estimator::exact, changed = true;
  const std::string estimator_help =
      local ? "Let each pixel look only at the K training images nearest to the whole sample, plus L others at random, "
              "instead of all of them: many times faster, new images close to (not the same as) the local model's."
            : "Sum only the K training " + std::string(noun(image)) +
                  "s nearest to each sample, plus L others at random, instead of all of them: much faster on large "
                  "data, nearly the same flow.";
  tooltip(estimator_help.c_str());
  // K and L: the run's estimator, or the comparison's local-knn model.
  const bool compares_knn = std::find(s.models.begin(), s.models.end(), "local-knn") != s.models.end();
  if (s.models.empty() ? s.knn() : compares_knn) {
    ImGui::SetNextItemWidth(120);
    changed |= ImGui::SliderInt("K", &s.sampler.knn.k, 1, 200, "%d", ImGuiSliderFlags_Logarithmic);
    tooltip(("K: the nearest training " + std::string(noun(image)) + "s, summed exactly.").c_str());
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120);
    changed |= ImGui::SliderInt("L", &s.sampler.knn.l, 0, 200, "%d", ImGuiSliderFlags_Logarithmic);
    tooltip(("L: other training " + std::string(noun(image)) + "s drawn at random, weighted to stand for all the rest.")
                .c_str());
  }
  if (changed) apply(s);  // restart at once: the old run is cancelled within a tile

  if (ImGui::Button(paused_ ? "Play" : "Pause")) control(paused_ ? Control::play : Control::pause);
  tooltip(paused_ ? "Go on sampling." : "Pause the sampler (the flow on screen stops too).");
  ImGui::SameLine();
  if (ImGui::Button("Step")) control(Control::step);
  tooltip("One Euler step, then pause.");
  ImGui::SameLine();
  if (ImGui::Button("Reset")) control(Control::reset);
  tooltip("Start again from the same noise (the same seed): the same samples again.");
  ImGui::SameLine();
  if (ImGui::Button("Copy link")) {
    // The link reproduces these samples bit for bit: same settings, same seed. A dropped file's
    // points are not in it: say so rather than share a link that opens other data.
    if (settings_.dataset == kDroppedDataset)
      export_message_ = "a link cannot carry a dropped file's points: share the file, and these settings with it";
    else if (platform_.copy_link)
      platform_.copy_link(state_query());
    else
      ImGui::SetClipboardText(("cfdm_app --state '" + state_query() + "'").c_str());
    if (settings_.dataset != kDroppedDataset) link_copied_at_ = ImGui::GetTime();
  }
  tooltip("Copy a link to these settings: whoever opens it sees the same samples, bit for bit.");
  ImGui::SameLine();
  if (ImGui::Button("Replay")) replay();
  tooltip("Play the flow again from the noise, at the speed below: the samples move as the sampler moved them.");
  ImGui::SameLine();
  if (ImGui::Button(sweeping() ? "sweeping..." : "sigma sweep") && !sweeping()) start_sweep();
  tooltip("Run these settings again at nine values of sigma, from 0 up, and plot how many samples are copies and "
          "how far they are from the training data: memorize, then new points, then blur.");
  if (link_copied_at_ > 0 && ImGui::GetTime() - link_copied_at_ < 2.5) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(0.1f, 0.5f, 0.2f, 1.0f), "copied");
  }
  int speed = settings_.speed;
  if (ImGui::SliderInt("speed", &speed, 0, 300, speed == 0 ? "max" : "%d steps/s", ImGuiSliderFlags_Logarithmic)) {
    settings_.speed = speed;  // how it is shown, not what is sampled: no restart
  }
  tooltip("How fast the flow plays on screen, in steps per second; 0 (max) shows each step as soon as it is "
          "computed. Sampling never waits for the picture.");
  ImGui::SameLine();
  // One click between a pace one can follow and as fast as it samples.
  if (ImGui::SmallButton(settings_.speed == 0 ? "watch" : "max")) {
    settings_.speed = settings_.speed == 0 ? Settings::kWatchSpeed : 0;
  }
  tooltip(settings_.speed == 0 ? "Play the flow at 30 steps per second, slow enough to follow."
                               : "As fast as it samples: show each step as soon as it is computed.");
  // The time scrubber: any recorded step from the start to the latest.
  if (snapshot_.n_steps > 0) {
    int shown = view_step();
    char label[64];
    std::snprintf(label, sizeof label, "t = %.3f", snapshot_.time(shown));
    if (ImGui::SliderInt("time", &shown, snapshot_.first_step, std::max(snapshot_.first_step, snapshot_.step), label)) {
      settings_.view.step = shown >= snapshot_.step ? -1 : shown;
      playhead_ = -1;
    }
    tooltip("Drag to look at any moment of the flow: t = 0 is pure noise, t = 1 the finished samples.");
  }
  draw_export();
  if (status_hidden_) {  // no room for the status window: its caption and messages go here
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(short_caption(settings_, caption_facts()).c_str());
    ImGui::PopTextWrapPos();
    draw_messages(ImGui::GetContentRegionAvail().x);
  }
  if (!image) {
    ImGui::Checkbox("training points", &show_training_);
    tooltip("Show the training points (dark rings).");
    ImGui::SameLine();
    bool trails = settings_.view.trails > 0;
    if (ImGui::Checkbox("trails", &trails)) {
      if (!trails) trails_when_shown_ = settings_.view.trails;
      settings_.view.trails = trails ? std::max(1, trails_when_shown_) : 0;
    }
    tooltip("Show each sample's path over its last steps.");
    ImGui::SameLine();
    ImGui::Checkbox("velocity field", &show_velocity_);
    tooltip("Arrows: where the model pushes a point at this moment of the flow, and how hard (longest arrow = "
            "strongest push).");
    if (settings_.view.trails > 0) ImGui::SliderInt("trail steps", &settings_.view.trails, 1, 100);
    const bool three = projection().dim == 3;
    if (three) ImGui::BeginDisabled();
    if (ImGui::Checkbox("draw your own points", &drawing_) && drawing_) start_drawing();
    if (three) ImGui::EndDisabled();
    if (three)
      tooltip("Points are drawn on a flat (2-D) canvas: choose a 2-D dataset to draw your own.");
    else
      tooltip("Click on the canvas to add a training point, drag one to move it, pick one and press Delete (or the "
              "button) to remove it. Sampling restarts at once, and the link carries your points (up to 400).");
    if (drawing_) {
      ImGui::SameLine();
      if (ImGui::Button("delete point") && selected_point_ >= 0) remove_point(selected_point_);
      ImGui::SameLine();
      if (ImGui::Button("clear")) clear_points();
    }
    if (ImGui::Button("reset view")) reset_view();
    tooltip(three ? "Back to the whole picture and the first angle (drag the canvas to turn the cloud, Shift+drag or "
                    "the right button to move it, the wheel or two fingers to zoom)."
                  : "Back to the whole picture (drag the canvas to move it, the wheel or two fingers to zoom).");
  }
  ImGui::End();
}

void App::draw_compact_controls() {
  ImGui::SetNextWindowPos(ImVec2(6, 6), ImGuiCond_Always);
  ImGui::SetNextWindowBgAlpha(0.8f);
  // In a narrow embed (a phone, a blog column) the controls are finger-sized: 40 pixels tall.
  const bool touch = ImGui::GetIO().DisplaySize.x < 700;
  if (touch) {
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(12, (40 - ImGui::GetFontSize()) / 2));
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(10, 8));
    ImGui::PushStyleVar(ImGuiStyleVar_GrabMinSize, 28);
  }
  ImGui::Begin("cfdm", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  Settings s = settings_;
  bool changed = false;
  // A narrow column (under 480 pixels: a phone, a blog's side column) folds sigma and M behind
  // "more", so that the controls keep to one row and leave the picture below them.
  const float display_width = ImGui::GetIO().DisplaySize.x;
  const bool narrow = display_width < 480;
  const double t = snapshot_.time(view_step());
  if (ImGui::Button(paused_ ? "Play" : "Pause")) control(paused_ ? Control::play : Control::pause);
  ImGui::SameLine();
  if (ImGui::Button("Reset")) control(Control::reset);
  tooltip("Start the run again from fresh noise.");
  if (narrow) {
    ImGui::SameLine();
    if (ImGui::Button(compact_open_ ? "less" : "more")) compact_open_ = !compact_open_;
    tooltip(("Show or hide sigma and M, the settings that decide between copies and new " +
             std::string(noun(is_image_name(s.dataset))) + "s.")
                .c_str());
    ImGui::SameLine();
    ImGui::Text("t = %.2f", t);
  }
  if (!narrow || compact_open_) {
    if (!narrow) ImGui::SameLine();
    ImGui::SetNextItemWidth(narrow ? std::max(100.0f, display_width - 110) : 150);
    changed |= slider_float("sigma", &s.sampler.sigma, 0.0f, is_image_name(s.dataset) ? 4.0f : 1.0f, "%.3f",
                            ImGuiSliderFlags_Logarithmic);
    tooltip(sigma_help(is_image_name(s.dataset)).c_str());
    if (!narrow) ImGui::SameLine();
    ImGui::SetNextItemWidth(narrow ? std::max(100.0f, display_width - 110) : 80);
    changed |= ImGui::SliderInt("M", &s.sampler.n_draws, 1, 16);
    tooltip(draws_help(is_image_name(s.dataset)).c_str());
  }
  if (changed) apply(s);
  {
    const float width = std::min(420.0f, display_width - 24);
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(width, 120.0f));
    ImGui::TextUnformatted(short_caption(settings_, caption_facts()).c_str());
    ImGui::PopTextWrapPos();
  }
  const std::string& message = shown_error();
  if (!message.empty() || !notice_.empty()) {
    draw_messages(std::min(420.0f, display_width - 24));
  } else if (waiting_for_data_ || !snapshot_.status.empty()) {
    ImGui::Text("%s", !waiting_for_data_ ? status_text().c_str()
                      : reading_         ? "reading the images..."
                                         : "fetching the images...");
  } else if (!narrow) {
    ImGui::Text("t = %.2f", t);
  }
  controls_bottom_ = ImGui::GetWindowPos().y + ImGui::GetWindowSize().y;
  ImGui::End();
  if (touch) ImGui::PopStyleVar(3);
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
  // The same samples from the command line: to reproduce them, or to take the run further there.
  const std::string command = command_line(settings_, dropped_name_);
  if (!command.empty()) {
    ImGui::TextWrapped("The same samples from the command line:");
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.2f, 0.25f, 0.45f, 1.0f));
    ImGui::TextWrapped("%s", command.c_str());
    ImGui::PopStyleColor();
    if (ImGui::Button("copy command")) {
      if (platform_.copy_text)
        platform_.copy_text(command);
      else
        ImGui::SetClipboardText(command.c_str());
      export_message_ = "copied the command";
    }
    tooltip(
        "cfdm, the command-line tool, gives these samples bit for bit (the same seed and settings on any "
        "machine); its --help lists more options.");
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
  const ImVec2 display = io.DisplaySize;
  // Bottom left, wrapped wider where that lets the points' full status fit below the open
  // controls; else beside them (images) or the brief status (one caption line).
  bool narrow = display.x < 700 || display.y < 500;
  // In a narrow window (an embed in a blog column) the bottom row is the page's full-speed link's,
  // and wherever the page says it covers the bottom (set_bottom_inset).
  const float bottom = display.y - std::max(display.x < 700 ? 30.0f : 10.0f, bottom_inset_ + 4);
  const Model* model = snapshot_.model.get();
  const bool points = model && !model->is_image();
  const std::string full = narrow ? std::string() : caption(settings_, caption_facts());
  static constexpr char kDropHint[] =
      "Drop a .npy or .csv file of 2-D or 3-D points here to sample from your own data.";
  // The caption and the drop hint, the lines that wrap, as tall as they are at a wrap width.
  const auto wrapped_height = [&](float width) {
    return ImGui::CalcTextSize(full.c_str(), nullptr, false, width).y +
           (points ? ImGui::CalcTextSize(kDropHint, nullptr, false, width).y : 0.0f);
  };
  float wrap = std::max(std::min(460.0f, display.x - 40), 160.0f);
  const float rest = status_rest_;  // the full status's other lines, as tall as they last were
  // The room it must leave above it: more when that height is an estimate, so that the status does
  // not switch between the full and the brief form every frame.
  const float margin = status_rest_measured_ ? 6.0f : 18.0f;
  // Too tall below the open controls at the usual width, the points' full status is tried wider
  // there: below the controls it leaves the middle of the picture clear, where beside them it
  // would cover the lower part of the points.
  if (!narrow && points && controls_right_ > 0)
    for (float wide = wrap; wide <= std::max(wrap, display.x - 40); wide += 80)
      if (bottom - rest - wrapped_height(wide) >= controls_bottom_ + margin) {
        wrap = wide;
        break;
      }
  float x = 10;
  // Beside the controls: the full status where there is room for it, for images (their tiles are
  // laid out above it); the points would be under it, so there only the brief status goes.
  if (!narrow && controls_right_ > 0 && bottom - rest - wrapped_height(wrap) < controls_bottom_ + margin) {
    if (!points && display.x - controls_right_ - 20 >= 500)
      x = controls_right_ + 10;
    else
      narrow = true;
  }
  // Even the brief status would cover the open controls (a small window): the controls window
  // shows the caption and the messages instead.
  status_hidden_ = narrow && controls_right_ > 0 && bottom - status_brief_height_ < controls_bottom_ + 6 &&
                   display.x - controls_right_ - 20 < 300;
  if (status_hidden_) return;
  status_bottom_ = bottom;
  if (narrow && controls_right_ > 0 && bottom - status_brief_height_ < controls_bottom_ + 6)
    x = controls_right_ + 10;
  // Its lines and bars end inside the window (beside the controls of a narrow one, 460 pixels of
  // caption would run past its edge).
  const float room = std::max(display.x - x - 10 - 2 * ImGui::GetStyle().WindowPadding.x, 160.0f);
  wrap = std::min(wrap, room);
  const ImVec2 bar(std::min(360.0f, room), 0);
  const std::string brief = narrow ? short_caption(settings_, caption_facts()) : std::string();
  ImGui::SetNextWindowPos(ImVec2(x, bottom), ImGuiCond_Always, ImVec2(0, 1));
  ImGui::SetNextWindowBgAlpha(0.88f);
  ImGui::Begin("status", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  {
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + wrap);
    ImGui::TextUnformatted((narrow ? brief : full).c_str());
    if (!narrow) draw_legend();
    if (!narrow && points) ImGui::TextDisabled("%s", kDropHint);
    ImGui::PopTextWrapPos();
  }
  // Where the window is (the image grid and the page's stats read it).
  const auto note_edges = [&] {
    status_top_ = ImGui::GetWindowPos().y;
    status_left_ = ImGui::GetWindowPos().x, status_right_ = ImGui::GetWindowPos().x + ImGui::GetWindowSize().x;
    if (status_seen_width_ != display.x || status_seen_height_ != display.y ||
        status_seen_points_ != points_model_.get() || status_left_ < view_left() - 1) {
      status_top_seen_ = -1.0f;  // a new window size or new points: from this frame on
      status_seen_width_ = display.x, status_seen_height_ = display.y, status_seen_points_ = points_model_.get();
    }
    if (status_left_ >= view_left() - 1 && status_top_ - 6 > 0.5f * display.y)  // (not a long message's)
      status_top_seen_ = status_top_seen_ < 0 ? status_top_ : std::min(status_top_seen_, status_top_);
  };
  // A tiny window (a blog column's embed with every control): the caption and any message only,
  // leaving the rest of the height to the picture.
  if (display.y < 320) {
    draw_messages(std::min(460.0f, room));
    note_edges();
    status_brief_height_ = ImGui::GetWindowSize().y;
    ImGui::End();
    return;
  }
  ImGui::Separator();
  if (waiting_for_data_ && reading_) {
    char text[96];
    std::snprintf(text, sizeof text, "reading %s: %.0f%%", settings_.dataset.c_str(), 100 * reading_->fraction());
    ImGui::ProgressBar(float(reading_->fraction()), bar, text);
  } else if (waiting_for_data_) {
    const float share = fetch_.total > 0 ? float(fetch_.loaded / fetch_.total) : 0.0f;
    char text[96];
    std::snprintf(text, sizeof text, "fetching %s: %.1f of %.1f MB", settings_.dataset.c_str(), fetch_.loaded / 1e6,
                  fetch_.total / 1e6);
    ImGui::ProgressBar(share, bar, text);
  } else if (!snapshot_.status.empty()) {
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + wrap);  // the caption's width (not the window's, which follows it)
    ImGui::Text("%s...", status_text().c_str());
    ImGui::PopTextWrapPos();
  } else {
    // The time shown (the scrubber's and the playhead's), and where the sampler is when it differs.
    const int shown = view_step();
    const double t = snapshot_.time(shown);
    if (shown == snapshot_.step)
      ImGui::Text("t = %.3f (step %d of %d)%s%s", t, shown, snapshot_.n_steps, snapshot_.done ? ", done" : "",
                  paused_ ? ", paused" : "");
    else
      ImGui::Text("t = %.3f (step %d of %d); the sampler is at step %d%s%s", t, shown, snapshot_.n_steps,
                  snapshot_.step, snapshot_.done ? ", done" : "", paused_ ? ", paused" : "");
    // A comparison's models step on their own: each one's step while they differ.
    if (shown == snapshot_.step && !snapshot_.done && !snapshot_.group_steps.empty() &&
        *std::max_element(snapshot_.group_steps.begin(), snapshot_.group_steps.end()) > snapshot_.step) {
      std::string where = "models at step";
      for (size_t g = 0; g < snapshot_.groups.size(); ++g)
        where += (g ? ", " : " ") + snapshot_.groups[g] + " " + std::to_string(snapshot_.group_step(g));
      ImGui::TextWrapped("%s: each takes its steps on its own, the cheapest first.", where.c_str());
    }
  }
  if (model) ImGui::TextUnformatted(model->description.c_str());
  if (model && !snapshot_.nearest_distance.empty()) {
    // The copy meter: the share of samples within a tenth of the training set's typical spacing of a
    // training point (as cfdm eval counts copies).
    // A comparison: a meter per model.
    const int groups = std::max(1, int(snapshot_.groups.size()));
    const int n = int(snapshot_.group_rows(snapshot_.nearest_distance.size()));
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImVec4(0.96f, 0.62f, 0.60f, 1.0f));  // light red: dark text reads
    for (int g = 0; g < groups; ++g) {
      const int c = snapshot_.groups.empty() ? copies() : copies(g);
      // (shorter where the bar is narrower than its words: a bar cuts its text at both ends)
      char share[32], count[64];
      std::snprintf(share, sizeof share, " (%.0f%%)", 100.0 * c / n);
      std::snprintf(count, sizeof count, "%d of %d", c, n);
      const std::string who = snapshot_.groups.empty() ? "copy meter: " : snapshot_.groups[size_t(g)] + ": ";
      const std::string what = snapshot_.groups.empty() ? " samples are copies" : " are copies";
      const std::string text = fitting(
          {who + count + what + share, who + count + " are copies" + share, who + count + " copies", who + count},
          bar.x - 8);
      ImGui::ProgressBar(float(c) / float(std::max(n, 1)), bar, text.c_str());
    }
    ImGui::PopStyleColor();
    tooltip(("A copy: a sample within a tenth of the typical spacing between training " +
             std::string(noun(model->is_image())) +
             "s of one of them (measured in the space sampled in), as `cfdm eval` counts it.")
                .c_str());
  }
  const size_t bytes = model ? model->train->memory_bytes() +
                                   (model->pixels && model->pixels != model->train ? model->pixels->memory_bytes() : 0)
                             : 0;
  const bool small = io.DisplaySize.x < 700 || io.DisplaySize.y < 500;  // a phone: the essentials only
  if (!small)
    ImGui::Text("%.0f steps/s, %.0f samples/s, %.0f fps", steps_per_second_, steps_per_second_ * settings_.sampler.n_samples,
                io.Framerate);
  const bool web = std::string(platform_.build) != "native";
  // Which version runs, in words: the threaded one, or the light one (one thread) where the page
  // does not allow threads (not cross-origin isolated) or the device is short of memory.
  const char* version = !web ? "desktop app" : job_.threads() > 1 || platform_.cross_origin_isolated ? "fast version"
                                                                                                      : "light version";
  // Wrapped at the window's right edge (beside the controls in a narrow window it would run past it),
  // the data's size early in the line: a line wraps after a full stop, and "0." above "8 MB" misreads.
  ImGui::PushTextWrapPos(std::max(display.x - 10 - x, 200.0f));
  if (small)
    ImGui::TextWrapped("%s, %d thread%s", version, job_.threads(), job_.threads() == 1 ? "" : "s");
  else
    ImGui::TextWrapped("%s: %d thread%s, data %.1f MB, %s vector instructions%s", version, job_.threads(),
                       job_.threads() == 1 ? "" : "s", bytes / 1e6, isa_name(best_isa()),
                       web && !platform_.cross_origin_isolated ? " (this site does not enable threads)" : "");
  ImGui::PopTextWrapPos();
  draw_messages(std::min(460.0f, room));
  note_edges();
  // The height laid out in this frame (the window's own size follows its contents a frame later),
  // less the wrapped lines: the full status's other lines. While the brief status is shown, they
  // are estimated from its own (the same lines below the caption; the points' legend above them,
  // one line), so that a change of dataset or message is seen there too.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float laid_out = ImGui::GetCursorPosY() - style.ItemSpacing.y + style.WindowPadding.y;
  if (!narrow) {
    status_rest_ = laid_out - wrapped_height(wrap);
    status_rest_measured_ = true;
  } else if (points) {
    status_rest_ = laid_out - ImGui::CalcTextSize(brief.c_str(), nullptr, false, wrap).y + ImGui::GetTextLineHeight() +
                   2 * style.ItemSpacing.y;
    status_rest_measured_ = false;
  }
  if (narrow) status_brief_height_ = ImGui::GetWindowSize().y;
  ImGui::End();
}

}  // namespace cfdm::app
