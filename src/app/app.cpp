#include "app/app.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/frame_budget.hpp"
#include "app/url_state.hpp"
#include "core/error.hpp"
#include "core/kernel.hpp"
#include "core/rng.hpp"
#include "data/dataset.hpp"
#include "data/files.hpp"
#include "data/memory.hpp"
#include "data/toy.hpp"
#include "eval/metrics.hpp"
#include "output/image_grid.hpp"
#include "output/plot.hpp"

namespace cfdm::app {
namespace {

constexpr uint32_t kPaper = rgba(250, 250, 248, 255);
constexpr uint32_t kTrainColor = rgba(60, 60, 80, 110);
constexpr uint32_t kSampleColor = rgba(230, 110, 20, 210);
constexpr uint32_t kCopyBorder = rgba(215, 40, 40, 255);
constexpr uint32_t kNewBorder = rgba(40, 150, 80, 255);
constexpr int kMaxImagePairs = 64;              // image view: samples shown, each beside its nearest
constexpr size_t kMaxTrailMarks = 200000;       // trails are thinned beyond this
constexpr int kVelocityGrid = 24;               // the velocity overlay's grid, per side
constexpr uint64_t kVelocityStream = 0x7e10c1;  // the overlay's smoothing draws

const char* kFashionClasses[] = {"T-shirt", "trouser", "pullover", "dress", "coat",
                                 "sandal",  "shirt",   "sneaker",  "bag",   "boot"};

uint32_t with_alpha(uint32_t color, float alpha) {
  const int a = int(std::clamp(alpha, 0.0f, 1.0f) * float(color >> 24) + 0.5f);
  return (color & 0x00ffffffu) | uint32_t(a) << 24;
}

std::vector<int> classes_of(int mask) {
  std::vector<int> classes;
  for (int c = 0; c < 10; ++c)
    if (mask & (1 << c)) classes.push_back(c);
  return classes;
}

std::string model_key(const Settings& s) {
  std::string key = s.dataset + "|" + std::to_string(s.n_train);
  if (is_image_name(s.dataset))
    key += "|" + std::to_string(s.classes_mask) + "|" + (s.pca ? "pca" + std::to_string(s.pca_dim) : "pixels");
  return key;
}

std::string thousands(long long n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// The image model: the selected images in pixel space, optionally a PCA space to sample in, and the
// copy threshold (a tenth of the typical spacing of the training points, as in `cfdm eval`).
Model build_image_model(const Settings& s, const data::ImageSet& all, ThreadPool& pool) {
  data::ImageSet chosen = data::select(all, classes_of(s.classes_mask), -1);
  if (chosen.n > s.n_train) chosen = data::select(chosen, {}, s.n_train);
  data::Dataset dataset;
  dataset.images = std::move(chosen);
  Model model;
  model.pixels = std::make_shared<const TrainingSet>(data::make_training_set(dataset));
  model.image_width = dataset.images.width;
  model.image_height = dataset.images.height;
  std::string name = s.dataset == "mnist" ? "MNIST" : "Fashion-MNIST";
  model.description = name + ": " + thousands(dataset.images.n) + " images";
  if (s.pca) {
    auto pca = std::make_shared<const data::Pca>(*model.pixels, s.pca_dim);
    model.train = std::make_shared<const TrainingSet>(pca->encode(*model.pixels));
    char text[96];
    std::snprintf(text, sizeof text, ", PCA %d (%.1f%% of the variance)", pca->dim(), 100 * pca->explained_variance());
    model.description += text;
    model.pca = pca;
  } else {
    model.train = model.pixels;
    model.description += ", pixel space";
  }
  model.copy_threshold = eval::typical_spacing(*model.train, pool, 64) / 10;
  return model;
}

}  // namespace

App::App(const PlatformInfo& platform, int n_threads, JobMode mode) : platform_(platform), job_(n_threads, mode) {
  restart();
}

namespace {

// The sampler's parameters for these settings.
SamplerParams sampler_params(const Settings& s) {
  SamplerParams params = default_sampler_params();
  params.n_samples = s.n_samples;
  params.n_steps = s.n_steps;
  params.n_draws = s.n_draws;
  params.sigma = s.sigma;
  params.start_t = s.start_t;
  params.seed = uint64_t(s.seed);
  params.estimator = s.knn ? Estimator::knn : Estimator::exact;
  params.knn.k = s.knn_k;
  params.knn.l = s.knn_l;
  return params;
}

// What running `s` would take beyond what is allocated now; throws cfdm::Error (naming what and
// how much) when that is more than there is.
void check_settings_fit(const Settings& s) {
  const bool image = is_image_name(s.dataset);
  const int64_t n = std::max(s.n_train, 1), pixels = 28 * 28, d = image ? (s.pca ? s.pca_dim : pixels) : 2;
  uint64_t bytes = TrainingSet::memory_bytes_for(n, d, image && !s.pca);
  if (!image) bytes += uint64_t(n) * 2 * sizeof(float);  // the points drawn
  if (image && s.pca)
    bytes += TrainingSet::memory_bytes_for(n, pixels, true) +  // the images shown
             uint64_t(pixels) * pixels * sizeof(double) * 3;   // the PCA fit
  bytes += sampler_memory_bytes(sampler_params(s), d, n);
  bytes += std::min<uint64_t>(SamplingJob::kHistoryBytes,
                              uint64_t(std::max(s.n_steps, 1) + 1) * uint64_t(std::max(s.n_samples, 1)) * d * 4);
  data::check_memory(bytes,
                     "this setting (" + std::to_string(s.n_train) + " training points, " + std::to_string(s.n_samples) +
                         " samples, M = " + std::to_string(s.n_draws) + ")",
                     "the current one is kept; choose fewer training points, samples or draws");
}

}  // namespace

void App::apply(const Settings& settings) {
  try {
    check_settings_fit(settings);
    if (job_.mode() == JobMode::foreground) check_frame_budget(settings);
  } catch (const Error& e) {
    error_ = e.what();  // refused: the current run and its samples stay (restart() clears it)
    return;
  }
  const bool new_dataset = settings.dataset != settings_.dataset;
  settings_ = settings;
  if (new_dataset) selected_ = -1;
  restart();
}

void App::apply_state(const std::string& query) {
  std::string ignored;
  // The dataset first: its defaults are the base the other keys change.
  const Settings first = parse_state(query, settings_, &ignored);
  Settings s = parse_state(query, defaults_for(first.dataset), &notice_);
  paused_ = !s.autoplay;
  apply(s);
}

std::string App::update_state(const std::string& query) {
  Settings s = parse_state(query, settings_, &notice_);
  // Nothing but refused keys: the run goes on untouched.
  if (!notice_.empty() && format_state(s) == format_state(settings_)) return notice_;
  error_.clear();  // apply() restarts (no error) or refuses (its message)
  apply(s);
  std::string refused = notice_;
  if (!error_.empty()) refused += (refused.empty() ? "" : "; ") + error_;
  return refused;
}

void App::report_error(const std::string& message) { error_ = printable(message, 300); }

void App::drop_file(const std::string& path) {
  const std::string name = path.substr(path.find_last_of('/') + 1);
  try {
    if (!data::has_extension(path, ".npy") && !data::has_extension(path, ".csv"))
      throw Error("the app takes .npy or .csv files of 2-D points");
    std::string note;
    MatrixXfR points = data::read_matrix(path, &note);
    if (points.cols() != 2)
      throw Error("it holds " + std::to_string(points.cols()) +
                  "-dimensional points; the app draws 2-D data (the command line takes any dimension)");
    dropped_ = std::make_shared<const MatrixXfR>(std::move(points));
    dropped_name_ = name;
    notice_ = note;
  } catch (const Error& e) {
    error_ = "could not use " + name + ": " + e.what() + " (the current data stays)";
    return;
  } catch (const std::bad_alloc&) {
    error_ = "could not use " + name + ": not enough memory (the current data stays)";
    return;
  }
  Settings s = settings_;
  if (is_image_name(s.dataset)) s = defaults_for("moons");
  s.dataset = kDroppedDataset;
  s.n_train = int(dropped_->rows());
  apply(s);
}

std::string App::state_query() const { return format_state(settings_); }

void App::control(Control c) {
  switch (c) {
    case Control::play:
      paused_ = false;
      job_.set_paused(false);
      break;
    case Control::pause:
      paused_ = true;
      job_.set_paused(true);
      break;
    case Control::reset:
      restart();
      break;
    case Control::step:
      paused_ = true;
      job_.set_paused(true);
      job_.single_step();
      view_step_ = -1;
      break;
  }
}

void App::zoom_at(float factor, float x, float y) {
  const float new_zoom = std::clamp(zoom_ * factor, 0.1f, 50.0f);
  const float applied = new_zoom / zoom_;
  // Keep the data point under (x, y) where it is.
  const PlotFrame frame = plot_frame();
  pan_x_ += (x - frame.center_x) * (1 - applied);
  pan_y_ += (y - frame.center_y) * (1 - applied);
  zoom_ = new_zoom;
}

float App::view_left() const {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  return size.x - controls_right_ >= 0.6f * size.y ? controls_right_ : 0.0f;
}

App::PlotFrame App::plot_frame() const {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  // Beside the panel in a desktop window; over the whole window otherwise (a phone, where the
  // panel starts folded).
  const float left = view_left();
  return {left + (size.x - left) * 0.5f + pan_x_, size.y * 0.5f + pan_y_,
          std::min(size.x - left, size.y) / 6.0f * zoom_};
}

bool App::images_ready() {
  if (!is_image_name(settings_.dataset) || images_.count(settings_.dataset)) return true;
  if (platform_.data) {
    fetch_ = platform_.data->request(settings_.dataset);
    if (!fetch_.error.empty()) {
      error_ = "could not fetch " + settings_.dataset + ": " + fetch_.error;
      waiting_for_data_ = false;
      if (running_) settings_ = *running_;  // the controls show what still runs
      return false;
    }
    if (!fetch_.ready) {
      waiting_for_data_ = true;
      return false;
    }
  }
  waiting_for_data_ = false;
  try {
    const std::string dir = platform_.data ? platform_.data->directory() : data::default_data_dir();
    images_[settings_.dataset] =
        std::make_shared<const data::ImageSet>(data::load_image_dataset(settings_.dataset, dir));
  } catch (const Error& e) {
    error_ = e.what();
    return false;
  } catch (const std::bad_alloc&) {
    error_ = "not enough memory to load " + settings_.dataset;
    return false;
  }
  return true;
}

void App::restart() {
  if (platform_.on_state && settings_.dataset != kDroppedDataset) platform_.on_state(format_state(settings_));
  error_.clear();
  view_step_ = -1;
  replaying_ = false;
  velocity_key_.clear();
  job_.cancel();
  if (!images_ready()) return;  // frame() calls restart() again once the files are there
  const SamplerParams params = sampler_params(settings_);
  job_.set_paused(paused_);
  const Settings s = settings_;
  ModelBuilder build;
  if (is_image_name(s.dataset)) {
    std::shared_ptr<const data::ImageSet> images = images_[s.dataset];
    build = [s, images](ThreadPool& pool) { return build_image_model(s, *images, pool); };
  } else {
    std::shared_ptr<const MatrixXfR> dropped = s.dataset == kDroppedDataset ? dropped_ : nullptr;
    const std::string name = dropped_name_;
    build = [s, dropped, name](ThreadPool&) {
      Model model;
      if (dropped) {
        const Eigen::Index n = std::min<Eigen::Index>(s.n_train, dropped->rows());
        model.points = dropped->topRows(n);
        model.description = name + ": " + thousands(n) + " points";
      } else {
        model.points = data::make_toy(s.dataset, s.n_train, 0);
        model.description = s.dataset + ": " + thousands(s.n_train) + " points";
      }
      model.train = std::make_shared<const TrainingSet>(model.points);
      return model;
    };
  }
  std::string key = model_key(s);
  if (s.dataset == kDroppedDataset) key += "|" + std::to_string(reinterpret_cast<uintptr_t>(dropped_.get()));
  job_.start(key, build, params);
  running_ = settings_;
}

int App::view_step() const {
  if (view_step_ < 0 || snapshot_.history_steps.empty()) return snapshot_.step;
  return std::clamp(view_step_, snapshot_.history_steps.front(), snapshot_.step);
}

// The recorded states at or just before `step` (null when nothing is recorded yet).
const MatrixXfR* App::history_at(int step, int* found_step) const {
  const auto& steps = snapshot_.history_steps;
  if (steps.empty()) return nullptr;
  const auto it = std::upper_bound(steps.begin(), steps.end(), step);
  const size_t i = it == steps.begin() ? 0 : size_t(it - steps.begin()) - 1;
  *found_step = steps[i];
  return snapshot_.history[i].get();
}

int App::copies() const {
  if (!snapshot_.model || !snapshot_.model->is_image()) return 0;
  int n = 0;
  for (double d : snapshot_.nearest_distance) n += d < snapshot_.model->copy_threshold;
  return n;
}

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
      if (ImGui::Selectable(preset.title)) {
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
          s.n_train = d.n_train, s.n_samples = d.n_samples, s.n_steps = d.n_steps, s.start_t = d.start_t;
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
  changed |= ImGui::SliderFloat("sigma", &s.sigma, 0.0f, image ? 4.0f : 1.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::SliderInt("draws M", &s.n_draws, 1, 16);
  changed |= ImGui::SliderInt("steps", &s.n_steps, 1, 1000, "%d", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::SliderFloat("start T", &s.start_t, 0.0f, 0.95f, "%.2f");
  changed |= ImGui::SliderInt("samples", &s.n_samples, 1, image ? 256 : 20000, "%d", ImGuiSliderFlags_Logarithmic);
  changed |= ImGui::InputInt("seed", &s.seed);
  s.seed = std::max(0, s.seed);
  changed |= ImGui::Checkbox("nearest-neighbour estimator", &s.knn);
  if (s.knn) {
    ImGui::SetNextItemWidth(120);
    changed |= ImGui::SliderInt("K", &s.knn_k, 1, 200, "%d", ImGuiSliderFlags_Logarithmic);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120);
    changed |= ImGui::SliderInt("L", &s.knn_l, 0, 200, "%d", ImGuiSliderFlags_Logarithmic);
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
  changed |= ImGui::SliderFloat("sigma", &s.sigma, 0.0f, is_image_name(s.dataset) ? 4.0f : 1.0f, "%.3f",
                                ImGuiSliderFlags_Logarithmic);
  if (ImGui::GetIO().DisplaySize.x >= 480) ImGui::SameLine();  // narrow (a phone): on a line of its own
  ImGui::SetNextItemWidth(80);
  changed |= ImGui::SliderInt("M", &s.n_draws, 1, 16);
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

std::string App::export_file(Export what) {
  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states || !snapshot_.model) throw Error("nothing to export yet: wait for the first step");
  const Model& model = *snapshot_.model;
  // Samples in data space: images decode from a PCA space.
  auto to_data = [&](const MatrixXfR& z) { return model.pca ? model.pca->decode(z) : z; };
  char name[96];
  std::snprintf(name, sizeof name, "cfdm-%s-step%d", settings_.dataset.c_str(), shown_step);
  const std::string base = platform_.export_dir + "/" + name;
  switch (what) {
    case Export::samples_npy:
    case Export::samples_csv: {
      const std::string path = base + (what == Export::samples_npy ? ".npy" : ".csv");
      data::write_matrix(path, to_data(*states));
      return path;
    }
    case Export::trajectories_npy:
    case Export::trajectories_csv: {
      // Every recorded step up to the shown one: steps x samples x d (CSV: step, sample, coordinates).
      const auto& steps = snapshot_.history_steps;
      const size_t count = size_t(std::upper_bound(steps.begin(), steps.end(), shown_step) - steps.begin());
      const Eigen::Index b = states->rows(), d = to_data(states->topRows(1)).cols();
      const std::string path = base + (what == Export::trajectories_npy ? "-trajectories.npy" : "-trajectories.csv");
      MatrixXfR all(Eigen::Index(count) * b, d + (what == Export::trajectories_csv ? 2 : 0));
      for (size_t j = 0; j < count; ++j) {
        const MatrixXfR x = to_data(*snapshot_.history[j]);
        for (Eigen::Index i = 0; i < b; ++i) {
          const Eigen::Index row = Eigen::Index(j) * b + i;
          if (what == Export::trajectories_csv) {
            all(row, 0) = float(steps[j]);
            all(row, 1) = float(i);
            all.row(row).tail(d) = x.row(i);
          } else {
            all.row(row) = x.row(i);
          }
        }
      }
      if (what == Export::trajectories_npy)
        data::write_npy(path, {int64_t(count), int64_t(b), int64_t(d)}, all.data());
      else
        data::write_csv(path, all);
      return path;
    }
    case Export::picture_png: {
      const std::string path = base + ".png";
      const MatrixXfR samples = to_data(*states);
      if (model.is_image()) {
        const eval::Nearest nearest = eval::nearest_training(*model.pixels, samples, 1, ui_pool_);
        const double threshold =
            model.pca ? eval::typical_spacing(*model.pixels, ui_pool_, 64) / 10 : model.copy_threshold;
        data::write_file_atomic(path, output::image_grid_png(samples, *model.pixels, nearest,
                                                             {model.image_height, model.image_width, 1}, threshold));
      } else {
        data::write_file_atomic(path, output::scatter_png(points_, samples));
      }
      return path;
    }
  }
  throw Error("unknown export");
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
    ImGui::Text("%.0f steps/s, %.0f samples/s, %.0f fps", steps_per_second_, steps_per_second_ * settings_.n_samples,
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

void App::handle_canvas_input() {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantCaptureMouse) return;
  if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    pan_x_ += io.MouseDelta.x;
    pan_y_ += io.MouseDelta.y;
  }
  if (io.MouseWheel != 0.0f) zoom_at(std::pow(1.15f, io.MouseWheel), io.MousePos.x, io.MousePos.y);
  // A click (not a drag) picks the nearest sample within 12 pixels, or clears the pick.
  if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
      io.MouseDragMaxDistanceSqr[0] < io.MouseDragThreshold * io.MouseDragThreshold && snapshot_.model &&
      !snapshot_.model->is_image()) {
    int found_step = 0;
    const MatrixXfR* states = history_at(view_step(), &found_step);
    selected_ = -1;
    float best = 12.0f * 12.0f;
    for (Eigen::Index i = 0; states && i < states->rows(); ++i) {
      const float dx = scene_.center_x + (*states)(i, 0) * scene_.scale - io.MousePos.x;
      const float dy = scene_.center_y - (*states)(i, 1) * scene_.scale - io.MousePos.y;
      if (dx * dx + dy * dy < best) best = dx * dx + dy * dy, selected_ = int(i);
    }
  }
}

void App::update_velocity_field(double t) {
  const Model& model = *snapshot_.model;
  // The run's own kind of posterior mean (the exact kernel or the nearest-neighbour estimator with
  // its K and L), built for the overlay: the field shown is the field the samples follow.
  const SamplerParams params = sampler_params(settings_);
  char mean_key[160];
  std::snprintf(mean_key, sizeof mean_key, "%p|%d|%d|%d|%d", static_cast<const void*>(&model), int(params.estimator),
                params.knn.k, params.knn.l, settings_.seed);
  if (velocity_mean_key_ != mean_key || velocity_model_ != snapshot_.model) {
    velocity_mean_.reset();
    velocity_model_ = snapshot_.model;  // kept alive while its posterior mean refers to its training set
    try {
      velocity_mean_ = make_posterior_mean(*model.train, params, ui_pool_);
    } catch (const Error&) {
      velocity_mean_.reset();  // (the run reports the same error)
    }
    velocity_mean_key_ = mean_key;
    velocity_key_.clear();
  }
  char key[160];
  std::snprintf(key, sizeof key, "%p|%.6f|%g|%d|%d", static_cast<const void*>(&model), t, double(settings_.sigma),
                settings_.n_draws, settings_.seed);
  if (velocity_key_ == key) return;
  velocity_key_ = key;
  // A grid over the training points' bounding box, 15% larger on each side.
  const Eigen::Array2f lo = points_.colwise().minCoeff().transpose().array();
  const Eigen::Array2f hi = points_.colwise().maxCoeff().transpose().array();
  const Eigen::Array2f margin = (hi - lo) * 0.15f;
  const int g = kVelocityGrid, n = g * g;
  velocity_grid_.resize(n, 2);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 2; ++k) {
      const float u = ((k == 0 ? i % g : i / g) + 0.5f) / g;
      velocity_grid_(i, k) = lo[k] - margin[k] + u * (hi[k] - lo[k] + 2 * margin[k]);
    }
  // The field the samples follow: the smoothed velocity with this run's sigma and M, the grid
  // points' own draws fixed by the seed.
  const int m = settings_.sigma > 0 ? settings_.n_draws : 1;
  MatrixXfR eps = MatrixXfR::Zero(Eigen::Index(m) * n, 2);
  Rng rng(uint64_t(settings_.seed), kVelocityStream);
  for (Eigen::Index i = 0; i < eps.size(); ++i) eps.data()[i] = float(rng.normal());
  velocity_.resize(n, 2);
  try {
    if (!velocity_mean_ || !smoothed_velocity(*velocity_mean_, velocity_grid_.data(), n, t, settings_.sigma, eps.data(),
                                              m, velocity_.data()))
      velocity_.setZero();
  } catch (const Error&) {
    velocity_.setZero();
  }
}

void App::build_points_scene() {
  const Model& model = *snapshot_.model;
  if (points_model_ != snapshot_.model) {
    points_ = model.points.size() ? model.points : model.train->points();
    points_model_ = snapshot_.model;
    selected_ = -1;
  }
  if (points_.cols() != 2) return;
  const PlotFrame frame = plot_frame();
  scene_.scale = frame.scale;
  scene_.center_x = frame.center_x;
  scene_.center_y = frame.center_y;
  auto point = [&](float x, float y, float width, uint32_t color) {
    scene_.marks.push_back({x, y, x, y, width, color});
  };
  if (show_training_)
    for (Eigen::Index i = 0; i < points_.rows(); ++i) point(points_(i, 0), points_(i, 1), 4.0f, kTrainColor);

  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states) return;
  const double t = snapshot_.n_steps ? double(shown_step) / snapshot_.n_steps : 0.0;

  if (show_velocity_) {
    update_velocity_field(std::min(t, 1.0 - 1.0 / std::max(2, snapshot_.n_steps)));
    float longest = 1e-12f;
    for (Eigen::Index i = 0; i < velocity_.rows(); ++i) longest = std::max(longest, velocity_.row(i).norm());
    // The longest arrow spans 0.9 grid cells; the others in proportion.
    const float cell = float((velocity_grid_(1, 0) - velocity_grid_(0, 0)));
    const float factor = 0.9f * cell / longest;
    for (Eigen::Index i = 0; i < velocity_.rows(); ++i) {
      const float x = velocity_grid_(i, 0), y = velocity_grid_(i, 1);
      const float x1 = x + velocity_(i, 0) * factor, y1 = y + velocity_(i, 1) * factor;
      scene_.marks.push_back({x, y, x1, y1, 1.5f, rgba(40, 90, 170, 150)});
      point(x1, y1, 4.0f, rgba(40, 90, 170, 200));
    }
  }

  // Fading trails: segments between the recorded states of the last trail_length_ steps.
  const auto& steps = snapshot_.history_steps;
  const size_t end = size_t(std::upper_bound(steps.begin(), steps.end(), shown_step) - steps.begin());
  if (show_trails_ && end >= 2) {
    const size_t n_segments = std::min(end - 1, size_t(trail_length_));
    const Eigen::Index stride =
        std::max<Eigen::Index>(1, Eigen::Index(n_segments * size_t(states->rows()) / kMaxTrailMarks) + 1);
    for (size_t j = end - 1 - n_segments; j + 1 < end; ++j) {
      const MatrixXfR& a = *snapshot_.history[j];
      const MatrixXfR& b = *snapshot_.history[j + 1];
      const float age = float(end - 1 - j) / float(n_segments + 1);  // 1: oldest
      const uint32_t color = with_alpha(kSampleColor, 0.45f * (1.0f - age));
      for (Eigen::Index i = 0; i < a.rows(); i += stride)
        scene_.marks.push_back({a(i, 0), a(i, 1), b(i, 0), b(i, 1), 1.5f, color});
    }
  }
  for (Eigen::Index i = 0; i < states->rows(); ++i) point((*states)(i, 0), (*states)(i, 1), 3.6f, kSampleColor);

  // The inspected sample: the training points whose posterior weights pull it (one line each, as
  // strong as its weight) and its nearest training point.
  if (selected_ < 0 || selected_ >= states->rows()) return;
  const float zx = (*states)(selected_, 0), zy = (*states)(selected_, 1);
  ImDrawList* labels = ImGui::GetBackgroundDrawList();
  if (shown_step < snapshot_.n_steps) {
    const auto weights = eval::top_posterior_weights(*model.train, states->row(selected_).data(), t, 8);
    for (const auto& [index, weight] : weights) {
      const float px = points_(index, 0), py = points_(index, 1);
      scene_.marks.push_back({zx, zy, px, py, 1.0f + 3.0f * float(weight), rgba(120, 40, 170, int(60 + 180 * weight))});
      if (weight > 0.05) {
        char text[32];
        std::snprintf(text, sizeof text, "%.2f", weight);
        labels->AddText(ImVec2(scene_.center_x + px * scene_.scale + 6, scene_.center_y - py * scene_.scale - 6),
                        IM_COL32(120, 40, 170, 255), text);
      }
    }
  }
  int nearest = 0;
  float best = INFINITY;
  for (Eigen::Index i = 0; i < points_.rows(); ++i) {
    const float d = (points_.row(i) - states->row(selected_)).squaredNorm();
    if (d < best) best = d, nearest = int(i);
  }
  point(points_(nearest, 0), points_(nearest, 1), 11.0f, rgba(20, 140, 90, 230));
  point(points_(nearest, 0), points_(nearest, 1), 6.0f, kPaper);
  point(zx, zy, 9.0f, rgba(200, 60, 10, 255));
  char text[96];
  std::snprintf(text, sizeof text, "sample %d: nearest training point %d at %.3g", selected_, nearest,
                std::sqrt(double(best)));
  labels->AddText(ImVec2(scene_.center_x + zx * scene_.scale + 10, scene_.center_y - zy * scene_.scale + 6),
                  IM_COL32(40, 40, 40, 255), text);
}

void App::build_image_scene() {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  const Model& model = *snapshot_.model;
  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states) return;
  const bool latest = shown_step == snapshot_.step;
  const int n = std::min<int>(kMaxImagePairs, int(states->rows()));
  const int w = model.image_width, h = model.image_height, d = w * h;
  const bool with_nearest = latest && int(snapshot_.nearest.size()) >= n;
  // The atlas: samples first, then their nearest training images; rebuilt when they change.
  char key[96];
  std::snprintf(key, sizeof key, "%llu|%d|%d", (unsigned long long)snapshot_.generation, shown_step, int(with_nearest));
  if (images_key_ != key || model.pixels->dim() != d) {
    images_key_ = key;
    const MatrixXfR head = states->topRows(n);
    const MatrixXfR pixels = latest ? snapshot_.pixels.topRows(n) : model.pca ? model.pca->decode(head) : head;
    scene_.image_width = w;
    scene_.image_height = h;
    scene_.n_images = with_nearest ? 2 * n : n;
    scene_.images.assign(size_t(scene_.n_images) * size_t(d), 0);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < d; ++k)
        scene_.images[size_t(i) * d + k] = uint8_t(std::clamp(pixels(i, k), 0.0f, 1.0f) * 255.0f + 0.5f);
    if (with_nearest)
      for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k)
          scene_.images[size_t(n + i) * d + k] = uint8_t(
              std::clamp(model.pixels->coordinate(snapshot_.nearest[size_t(i)], k), 0.0f, 1.0f) * 255.0f + 0.5f);
    scene_.images_version = ++images_version_;
  }
  // The grid: pairs (sample | nearest training image) with the distance below, right of the open
  // control panel in a desktop window, else below the controls; tiles as large as fit, above the
  // status window (full controls) or the embed's link.
  const float beside = view_left(), left = beside + 20, top = (beside > 0 ? 0 : controls_bottom_) + 20;
  const float gap = 6, label = 16;
  const float avail_w = size.x - left - 20, avail_h = size.y - top - (settings_.ui == Settings::Ui::full ? 120 : 40);
  int columns = std::max(1, int(std::ceil(std::sqrt(double(n) * avail_w / std::max(1.0f, avail_h) / 2))));
  const int rows = (n + columns - 1) / columns;
  float tile = std::min((avail_w / columns - 3 * gap) / 2, avail_h / rows - gap - label);
  tile = std::max(tile, 8.0f);
  ImDrawList* labels = ImGui::GetBackgroundDrawList();
  for (int i = 0; i < n; ++i) {
    const float x = left + float(i % columns) * (2 * tile + 3 * gap),
                y = top + float(i / columns) * (tile + gap + label);
    const bool copy = with_nearest && snapshot_.nearest_distance[size_t(i)] < model.copy_threshold;
    const uint32_t border = !with_nearest ? 0u : copy ? kCopyBorder : kNewBorder;
    scene_.tiles.push_back({x, y, tile, tile, float(i), border});
    if (!with_nearest) continue;
    scene_.tiles.push_back({x + tile + gap, y, tile, tile, float(n + i), rgba(150, 150, 150, 255)});
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", snapshot_.nearest_distance[size_t(i)]);
    labels->AddText(ImVec2(x, y + tile + 1), copy ? IM_COL32(200, 30, 30, 255) : IM_COL32(60, 60, 60, 255), text);
  }
}

void App::build_scene() {
  scene_.clear();
  if (!snapshot_.model) return;
  if (snapshot_.model->is_image())
    build_image_scene();
  else
    build_points_scene();
}

namespace {

// Text inside a JSON string: at most 300 bytes, quotes and backslashes escaped, control bytes
// as \u00XX.
std::string json_text(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 300)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c >= 0 && c < ' ') {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", unsigned(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string App::stats_json() const {
  const bool image = snapshot_.model && snapshot_.model->is_image();
  char text[2048];
  std::snprintf(text, sizeof text,
                "{\"step\": %d, \"n_steps\": %d, \"view_step\": %d, \"samples_done\": %lld, \"n_samples\": %d, "
                "\"threads\": %d, \"build\": \"%s\", \"isolated\": %s, \"steps_per_s\": %.1f, \"fps\": %.1f, "
                "\"seconds\": %.4f, \"dataset\": \"%s\", \"loading\": %s, \"fetched_bytes\": %.0f, \"copies\": %d, "
                "\"marks\": %zu, \"tiles\": %zu, \"paused\": %s, \"error\": \"%s\", \"warnings\": \"%s\"}",
                snapshot_.step, snapshot_.n_steps, view_step(),
                snapshot_.done ? (long long)snapshot_.states.rows() : 0LL, settings_.n_samples, job_.threads(),
                platform_.build, platform_.cross_origin_isolated ? "true" : "false", steps_per_second_,
                ImGui::GetCurrentContext() ? ImGui::GetIO().Framerate : 0.0f, snapshot_.seconds,
                settings_.dataset.c_str(), waiting_for_data_ || !snapshot_.status.empty() ? "true" : "false",
                fetch_.loaded, image ? copies() : 0, scene_.marks.size(), scene_.tiles.size(),
                paused_ ? "true" : "false", json_text(shown_error()).c_str(), json_text(notice_).c_str());
  return text;
}

void App::frame() {
  if (waiting_for_data_ && images_ready()) restart();  // the image files arrived
  job_.advance(0.012);  // foreground mode: sample for part of the frame (a no-op with a worker thread)
  if (job_.latest(&snapshot_)) {
    const double now = ImGui::GetTime();
    if (snapshot_.step > last_step_ && now > last_time_)
      steps_per_second_ = 0.8 * steps_per_second_ + 0.2 * (snapshot_.step - last_step_) / (now - last_time_);
    last_step_ = snapshot_.step;
    last_time_ = now;
  }
  if (replaying_ && !snapshot_.history_steps.empty()) {
    const auto& steps = snapshot_.history_steps;
    const auto it = std::upper_bound(steps.begin(), steps.end(), view_step());
    if (it == steps.end() || *it >= snapshot_.step) {
      replaying_ = false;
      view_step_ = -1;
    } else {
      view_step_ = *it;
    }
  }
  handle_canvas_input();
  build_scene();
  if (settings_.ui == Settings::Ui::full) {
    draw_controls();
    draw_status();
  } else {
    controls_right_ = controls_bottom_ = 0.0f;  // the compact controls, or none, leave the whole width to the view
    if (settings_.ui == Settings::Ui::min) draw_compact_controls();
  }
}

}  // namespace cfdm::app
