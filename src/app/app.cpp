#include "app/app.hpp"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "app/app_internal.hpp"
#include "app/frame_budget.hpp"
#include "app/url_state.hpp"
#include "core/error.hpp"
#include "core/kernel.hpp"
#include "data/dataset.hpp"
#include "data/files.hpp"
#include "data/memory.hpp"
#include "data/space.hpp"
#include "data/toy.hpp"
#include "eval/metrics.hpp"

namespace cfdm::app {

std::string thousands(long long n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fitting(const std::vector<std::string>& forms, float width) {
  for (const std::string& form : forms)
    if (ImGui::CalcTextSize(form.c_str()).x <= width) return form;
  return forms.back();
}

void keep_window_on_screen() {
  const ImVec2 display = ImGui::GetIO().DisplaySize, pos = ImGui::GetWindowPos();
  if ((pos.x < 0 || pos.y < 0) && display.x >= 100 && display.y >= 100)
    ImGui::SetWindowPos(ImVec2(pos.x < 0 ? 10.0f : pos.x, pos.y < 0 ? 10.0f : pos.y));
}

namespace {

std::string model_key(const Settings& s) {
  std::string key = s.dataset + "|" + std::to_string(s.n_train);
  if (is_image_name(s.dataset))
    key += "|" + std::to_string(s.classes_mask) + "|" + (s.pca ? "pca" + std::to_string(s.pca_dim) : "pixels");
  return key;
}

// The image model: the selected images in pixel space, optionally a PCA space to sample in; the
// job measures its copy threshold (a tenth of the typical spacing of the training points, as in
// `cfdm eval`).
Model build_image_model(const Settings& s, const data::ImageSet& all, ThreadPool& pool) {
  data::ImageSet chosen = data::copy_selected(all, classes_of(s.classes_mask), s.n_train);
  data::Dataset dataset;
  dataset.images = std::move(chosen);
  Model model;
  model.image_width = dataset.images.width;
  model.image_height = dataset.images.height;
  const int n_images = dataset.images.n;
  data::SamplingSpace space =
      data::make_sampling_space(data::make_training_set(std::move(dataset), &pool), s.pca ? s.pca_dim : 0, &pool);
  model.pixels = space.data;
  model.train = space.train;
  model.pca = space.pca;
  std::string name = s.dataset == "mnist" ? "MNIST" : "Fashion-MNIST";
  model.description = name + ": " + thousands(n_images) + " images";
  if (space.pca) {
    char text[96];
    std::snprintf(text, sizeof text, ", PCA %d (%.1f%% of the variance)", space.pca->dim(),
                  100 * space.pca->explained_variance());
    model.description += text;
  } else {
    model.description += ", pixel space";
  }
  model.copy_threshold = -1;  // measured by the job (without threads a few points a frame)
  return model;
}

// Without threads, an image dataset is read for about this long a frame (the frame stays well
// under 50 ms on a desktop; MNIST's 47 MB take some 10 frames here, as fresh memory comes).
constexpr double kReadSecondsPerFrame = 0.03;

// Reads on for about `seconds` (negative: to the end), a megabyte at a time; true when done.
bool read_some(data::IdxReader* reader, double seconds) {
  if (seconds < 0) return reader->read(std::numeric_limits<size_t>::max());
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (reader->read(size_t(1) << 20)) return true;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= seconds) return false;
  }
}

}  // namespace

App::App(const PlatformInfo& platform, int n_threads, JobMode mode) : platform_(platform), job_(n_threads, mode) {
  restart();
}

namespace {

// What running `s` would take beyond what is allocated now; throws cfdm::Error (naming what and
// how much) when that is more than there is.
void check_settings_fit(const Settings& s) {
  const bool image = is_image_name(s.dataset);
  const int64_t n = std::max(s.n_train, 1), pixels = 28 * 28,
                d = image ? (s.pca ? s.pca_dim : pixels) : std::max(2, data::toy_dim(s.dataset));
  uint64_t bytes = TrainingSet::memory_bytes_for(n, d, image && !s.pca);
  if (!image) bytes += uint64_t(n) * d * sizeof(float);  // the points drawn
  if (image && s.pca)
    bytes += TrainingSet::memory_bytes_for(n, pixels, true) +  // the images shown
             uint64_t(pixels) * pixels * sizeof(double) * 3;   // the PCA fit
  // A comparison runs a sampler per model, and its history holds all of their states.
  const uint64_t runs = std::max<size_t>(1, s.models.size());
  bytes += runs * sampler_memory_bytes(s.sampler, d, n);
  bytes += std::min<uint64_t>(SamplingJob::kHistoryBytes, runs * uint64_t(std::max(s.sampler.n_steps, 1) + 1) *
                                                               uint64_t(std::max(s.sampler.n_samples, 1)) * d * 4);
  data::check_memory(bytes,
                     "this setting (" + std::to_string(s.n_train) +
                         (image ? " training images, " : " training points, ") + std::to_string(s.sampler.n_samples) +
                         " samples, M = " + std::to_string(s.sampler.n_draws) + ")",
                     std::string("the current one is kept; choose fewer ") +
                         (image ? "training images" : "training points") + ", samples or draws");
}

// Settings the library would refuse once the run's training set is built, refused before it (the
// current run and its samples stay) where the app's own controls or a link can reach them: a
// comparison of points, the local model on points or in a PCA space, K + L beyond the training points of the
// nearest-neighbour estimator, a PCA space of more dimensions than images. n_rows: the training rows the run would have
// (-1: not known before the run, as for drawn points, which a click changes).
void check_settings_apply(const Settings& s, int64_t n_rows) {
  const bool image = is_image_name(s.dataset);
  if (!s.models.empty() && !image)
    throw Error(
        "the comparison view shows images side by side: choose MNIST or Fashion-MNIST, or one model (the "
        "current run is kept)");
  bool local = s.models.empty() && s.sampler.denoiser.model == cfdm::Model::local;
  bool knn = s.models.empty() && s.sampler.estimator == Estimator::knn;
  for (const std::string& name : s.models) {
    const SamplerParams compared = comparison_params(s, name);
    local |= compared.denoiser.model == cfdm::Model::local;
    knn |= compared.estimator == Estimator::knn;
  }
  if (local && !(image && !s.pca))
    throw Error(image ? "the local model compares windows of pixels: it runs in pixel space, not in the PCA space; "
                        "choose another model first (the current run is kept)"
                      : "the local model compares windows of pixels, so it needs images: choose MNIST or "
                        "Fashion-MNIST, or another model (the current run is kept)");
  if (n_rows < 0) return;
  const std::string rows = std::to_string(n_rows) + (image ? " training images" : " training points");
  const int64_t k_plus_l = int64_t(s.sampler.knn.k) + s.sampler.knn.l;
  if (knn && k_plus_l > n_rows)
    throw Error("the nearest-neighbour estimator's K + L = " + std::to_string(k_plus_l) + " is more than the " + rows +
                ": lower K or L, or take more (the current run is kept)");
  if (image && s.pca && s.pca_dim > n_rows)
    throw Error("a " + std::to_string(s.pca_dim) +
                "-dimensional PCA space needs at least as many training images, and there are " +
                std::to_string(n_rows) + ": lower dim, or take more images (the current run is kept)");
}

}  // namespace

int64_t App::training_rows(const Settings& s) const {
  if (s.dataset == kDrawnDataset) return -1;
  if (s.dataset == kDroppedDataset) return dropped_ ? std::min<int64_t>(s.n_train, dropped_->rows()) : -1;
  // A toy set makes n_train points; an image set takes n_train of its chosen classes' images, which
  // are thousands, more than K + L or a PCA dimension asks for.
  return std::max(s.n_train, 0);
}

void App::apply(const Settings& settings) {
  try {
    check_settings_fit(settings);
    check_settings_apply(settings, training_rows(settings));
    if (job_.mode() == JobMode::foreground) check_frame_budget(settings);
  } catch (const Error& e) {
    error_ = e.what();  // refused: the current run and its samples stay (restart() clears it)
    return;
  }
  const bool new_dataset = settings.dataset != settings_.dataset;
  if (!sweeping_apply_) sweep_.active = false;  // a change of settings ends a sweep
  settings_ = settings;
  if (settings_.dataset == kDrawnDataset) settings_.n_train = int(settings_.points.size() / 2);
  if (settings_.dataset != kDrawnDataset) drawing_ = false, selected_point_ = -1;
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
  if (settings_.dataset == s.dataset) settings_.view.step = s.view.step;  // a link's scrubbed moment
}

std::string App::update_state(const std::string& query) {
  Settings s = parse_state(query, settings_, &notice_);
  // Nothing but refused keys: the run goes on untouched.
  if (!notice_.empty() && format_state(s) == format_state(settings_)) return notice_;
  // Only how it is shown changes (the view, the speed): the run on screen goes on.
  if (running_ && same_run(s, *running_) && same_run(settings_, *running_) && snapshot_.model &&
      snapshot_.error.empty()) {
    settings_ = s;
    return notice_;
  }
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
      throw Error("the app takes .npy or .csv files of 2-D or 3-D points");
    std::string note;
    MatrixXfR points = data::read_matrix(path, &note);
    if (points.cols() != 2 && points.cols() != 3)
      throw Error("it holds " + std::to_string(points.cols()) +
                  "-dimensional points; the app draws 2-D and 3-D data (the command line takes any dimension)");
    // Points far from unit size: said beside the run (it goes on).
    const Eigen::RowVectorXd mean = points.cast<double>().colwise().mean();
    const double radius = std::sqrt((points.cast<double>().rowwise() - mean).rowwise().squaredNorm().maxCoeff());
    const std::string scale = data_scale_note(radius, settings_.sampler.n_steps, settings_.sampler.start_t);
    if (!scale.empty()) note += (note.empty() ? "" : "; ") + scale;
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
      settings_.view.step = -1;
      playhead_ = -1;
      break;
    case Control::sweep:
      start_sweep();
      break;
  }
}

void App::zoom_at(float factor, float x, float y) {
  Settings::View& view = settings_.view;
  // Keep the data point under (x, y) where it is.
  const PlotFrame before = plot_frame();
  const float data_x = before.data_x(x), data_y = before.data_y(y);
  view.zoom = std::clamp(view.zoom * factor, 0.1f, 50.0f);
  const PlotFrame after = plot_frame();
  view.x += data_x - after.data_x(x);
  view.y += data_y - after.data_y(y);
}

// Drawing: the drawn dataset's points change, and sampling restarts at once (a move restarts when
// the drag ends: moved_point() below).
void App::start_drawing() {
  if (settings_.dataset == kDrawnDataset) return;
  Settings s = settings_;
  s.dataset = kDrawnDataset;
  s.points.clear();
  // The points on screen become the drawn set when there are few enough to edit.
  if (!is_image_name(settings_.dataset) && points_.cols() == 2 && points_.rows() > 0 && points_.rows() <= kMaxDrawnPoints)
    for (Eigen::Index i = 0; i < points_.rows(); ++i) s.points.push_back(points_(i, 0)), s.points.push_back(points_(i, 1));
  apply(s);
}

void App::add_point(float x, float y) {
  start_drawing();
  if (int(settings_.points.size() / 2) >= kMaxDrawnPoints) {
    error_ = "at most " + std::to_string(kMaxDrawnPoints) + " drawn points (so that a link can carry them)";
    return;
  }
  Settings s = settings_;
  s.points.push_back(x), s.points.push_back(y);
  selected_point_ = int(s.points.size() / 2) - 1;
  apply(s);
}

void App::move_point(int index, float x, float y, bool done) {
  if (settings_.dataset != kDrawnDataset || index < 0 || 2 * size_t(index) + 1 >= settings_.points.size()) return;
  settings_.points[2 * size_t(index)] = x, settings_.points[2 * size_t(index) + 1] = y;
  if (done) apply(settings_);
}

void App::remove_point(int index) {
  if (settings_.dataset != kDrawnDataset || index < 0 || 2 * size_t(index) + 1 >= settings_.points.size()) return;
  Settings s = settings_;
  s.points.erase(s.points.begin() + 2 * index, s.points.begin() + 2 * index + 2);
  selected_point_ = -1;
  apply(s);
}

void App::clear_points() {
  Settings s = settings_;
  s.dataset = kDrawnDataset;
  s.points.clear();
  selected_point_ = -1;
  apply(s);
}

void App::pan_by(float dx, float dy) {
  const float scale = plot_frame().scale;
  settings_.view.x -= dx / scale;
  settings_.view.y += dy / scale;
}

void App::reset_view() {
  const Settings::View fresh;
  settings_.view.x = fresh.x, settings_.view.y = fresh.y, settings_.view.zoom = fresh.zoom;
  settings_.view.yaw = fresh.yaw, settings_.view.pitch = fresh.pitch;
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
  // A narrow embed: the picture below its compact controls while they leave most of the height.
  const float top = settings_.ui == Settings::Ui::min && size.x < 700 && size.y - controls_bottom_ >= 0.45f * size.y
                        ? controls_bottom_
                        : 0.0f;
  // A low window puts the status beside the open controls, at the bottom of the picture: where the
  // points, in the usual frame, would reach under it, they are framed in the room above it (moved
  // up, and made smaller only if they must). Their extent from the frame's centre, in data units:
  // in 3-D the sphere about their box's centre that holds them, whichever way the camera turns.
  float scale = std::min(size.x - left, size.y - top) / 6.0f, x = left + (size.x - left) * 0.5f,
        y = top + (size.y - top) * 0.5f;
  float x_lo = points_lo_[0], x_hi = points_hi_[0], above = points_hi_[1], below = -points_lo_[1];
  if (points_.cols() == 3) above = below = x_hi = points_radius_, x_lo = -points_radius_;
  const bool full = settings_.ui == Settings::Ui::full && points_.rows() > 0;
  float bottom = size.y;  // of the room the points may take
  const float limit = status_top_seen_ - 6;
  if (full && !status_hidden_ && limit > top + 0.5f * (size.y - top) && status_right_ > status_left_) {
    if (y + below * scale > limit && x + x_lo * scale < status_right_ && x + x_hi * scale > status_left_ &&
        above + below > 0) {
      scale = std::min(scale, (limit - top - 6) / (above + below));
      y = (top + 6 + limit) * 0.5f + (above - below) * scale * 0.5f;  // their box in the middle of the room
      bottom = limit;
    }
  }
  // The sigma sweep's window (bottom right, or where it was moved): points that would reach under
  // it are framed in the largest room beside, above or below it, the smaller scale only if they must.
  const float* sweep = sweep_box_;
  if (full && sweep[2] > sweep[0] && x + x_lo * scale < sweep[2] && x + x_hi * scale > sweep[0] &&
      y - above * scale < sweep[3] && y + below * scale > sweep[1]) {
    float best = 0;
    for (const auto& room : rooms_around(sweep, {left, top, size.x, bottom}, 0)) {
      const float w = room[2] - room[0] - 12, h = room[3] - room[1] - 12;
      if (w <= 0 || h <= 0) continue;
      float fit = scale;
      if (x_hi > x_lo) fit = std::min(fit, w / (x_hi - x_lo));
      if (above + below > 0) fit = std::min(fit, h / (above + below));
      if (fit <= best) continue;
      best = fit;
      x = (room[0] + room[2]) * 0.5f - (x_hi + x_lo) * fit * 0.5f;  // their box in the middle of the room
      y = (room[1] + room[3]) * 0.5f + (above - below) * fit * 0.5f;
    }
    if (best > 0) scale = best;
  }
  scale *= settings_.view.zoom;
  return {x - settings_.view.x * scale, y + settings_.view.y * scale, scale};
}

std::string App::image_source(const Settings& s) const {
  const std::vector<int> classes = classes_of(s.classes_mask);
  if (classes.size() != 1 || images_.count(s.dataset)) return s.dataset;
  const std::string one = data::class_dataset_name(s.dataset, classes[0]);
  // In the browser the page fetches either file set; natively a data folder prepared before the
  // classes were written alone has the whole set only.
  if (platform_.data || data::image_dataset_prepared(one, data::default_data_dir())) return one;
  return s.dataset;
}

bool App::images_ready() {
  const std::string source = is_image_name(settings_.dataset) ? image_source(settings_) : "";
  if (source.empty() || images_.count(source)) {
    // Nothing to wait for: a dataset still on its way when other data was chosen is given up (its
    // reading dropped; a fetch by the page goes on, and is used when the dataset is chosen again).
    waiting_for_data_ = false;
    reading_.reset();
    return true;
  }
  if (platform_.data) {
    fetch_ = platform_.data->request(source);
    if (!fetch_.error.empty()) return data_failed("could not fetch " + source + ": " + fetch_.error);
    if (!fetch_.ready) {
      waiting_for_data_ = true;
      return false;
    }
  }
  waiting_for_data_ = false;
  try {
    if (!reading_ || reading_name_ != source) {
      const std::string dir = platform_.data ? platform_.data->directory() : data::default_data_dir();
      reading_.reset();  // (its memory freed before the next reader takes its own)
      reading_ = data::open_image_dataset(source, dir);
      reading_name_ = source;
    }
    if (!read_some(reading_.get(), job_.mode() == JobMode::foreground ? kReadSecondsPerFrame : -1)) {
      waiting_for_data_ = true;  // frame() comes back for more
      return false;
    }
    images_[source] = std::make_shared<const data::ImageSet>(reading_->take());
    reading_.reset();
    if (source == settings_.dataset)  // the whole set serves every class from now on
      for (int c = 0; c < data::kImageClasses; ++c) images_.erase(data::class_dataset_name(source, c));
  } catch (const Error& e) {
    return data_failed(e.what());
  } catch (const std::bad_alloc&) {
    return data_failed("not enough memory to load " + source);
  }
  return true;
}

bool App::data_failed(const std::string& message) {
  error_ = message;
  waiting_for_data_ = false;
  reading_.reset();
  if (running_ && running_->dataset != settings_.dataset) {
    settings_ = *running_;  // the controls show the run from before
    rerun_ = true;
    error_ += " (the data from before runs again)";
  }
  return false;
}

void App::rerun_after_failed_data() {
  if (!rerun_) return;
  rerun_ = false;
  const std::string message = error_;
  restart();
  error_ = message;
}

void App::run_failed() {
  if (!started_ || !running_ || running_->dataset == kDrawnDataset) return;
  if (started_->dataset == kDroppedDataset && started_dropped_ != dropped_) return;  // a file dropped since
  const std::string message = snapshot_.error + " (the settings from before run again)";
  settings_ = *started_;
  started_.reset();  // set again once that run starts: never a loop of failing runs
  restart();
  error_ = message;
}

void App::restart() {
  error_.clear();
  settings_.view.step = -1;
  playhead_ = -1;
  velocity_key_.clear();
  job_.cancel();
  if (!images_ready()) {  // frame() calls restart() again once the files are there
    rerun_after_failed_data();
    return;
  }
  SamplerParams params = settings_.sampler;
  job_.set_paused(paused_);
  const Settings s = settings_;
  ModelBuilder build;
  if (is_image_name(s.dataset)) {
    std::shared_ptr<const data::ImageSet> images = images_[image_source(s)];
    build = [s, images](ThreadPool& pool) { return build_image_model(s, *images, pool); };
  } else {
    std::shared_ptr<const MatrixXfR> dropped = s.dataset == kDroppedDataset ? dropped_ : nullptr;
    const std::string name = dropped_name_;
    build = [s, dropped, name](ThreadPool& pool) {
      Model model;
      if (s.dataset == kDrawnDataset) {
        const Eigen::Index n = Eigen::Index(s.points.size() / 2);
        if (n == 0) throw Error("no training points yet: click on the canvas to add some");
        model.points = Eigen::Map<const MatrixXfR>(s.points.data(), n, 2);
        model.description = "your points: " + thousands(n);
      } else if (dropped) {
        const Eigen::Index n = std::min<Eigen::Index>(s.n_train, dropped->rows());
        model.points = dropped->topRows(n);
        model.description = name + ": " + thousands(n) + " points";
      } else {
        model.points = data::make_toy(s.dataset, s.n_train, 0);
        model.description = s.dataset + ": " + thousands(s.n_train) + " points";
      }
      model.train = std::make_shared<const TrainingSet>(model.points);
      model.index = std::make_shared<const NeighborIndex>(*model.train, NeighborSearch::automatic, &pool);
      model.copy_threshold = eval::copy_threshold(*model.train, pool, nullptr, model.index.get());
      return model;
    };
  }
  std::string key = model_key(s);
  if (s.dataset == kDroppedDataset) key += "|" + std::to_string(reinterpret_cast<uintptr_t>(dropped_.get()));
  if (s.dataset == kDrawnDataset) key += "|" + format_state(s);  // the points themselves
  std::vector<Variant> variants;
  if (s.models.empty()) variants.push_back({"", params});
  // A comparison runs its models cheapest first (by the estimate of a step's cost).
  for (const std::string& name : s.models) {
    const SamplerParams compared = comparison_params(s, name);
    variants.push_back({name, compared, step_seconds(s, compared)});
  }
  job_.start(key, build, std::move(variants));
  running_ = settings_;
  running_dropped_ = s.dataset == kDroppedDataset ? dropped_ : nullptr;
}

int App::view_step() const {
  if (snapshot_.history_steps.empty()) return snapshot_.step;
  if (settings_.view.step >= 0)
    return std::clamp(settings_.view.step, snapshot_.history_steps.front(), snapshot_.step);
  if (playhead_ >= 0) return std::clamp(int(playhead_), snapshot_.history_steps.front(), snapshot_.step);
  return snapshot_.step;
}

// The recorded states at or just before `step` (null when nothing is recorded yet); the latest
// states from the sampler's step on (a comparison's blocks each at its model's step).
const MatrixXfR* App::history_at(int step, int* found_step) const {
  const auto& steps = snapshot_.history_steps;
  if (steps.empty()) return nullptr;
  if (step >= snapshot_.step && snapshot_.states.size() > 0) {
    *found_step = snapshot_.step;
    return &snapshot_.states;
  }
  const auto it = std::upper_bound(steps.begin(), steps.end(), step);
  const size_t i = it == steps.begin() ? 0 : size_t(it - steps.begin()) - 1;
  *found_step = steps[i];
  return snapshot_.history[i].get();
}

int App::copies(int group) const {
  if (!snapshot_.model) return 0;
  const size_t b = snapshot_.group_rows(snapshot_.nearest_distance.size());
  const size_t begin = group < 0 ? 0 : size_t(group) * b, end = group < 0 ? snapshot_.nearest_distance.size() : begin + b;
  int n = 0;
  for (size_t i = begin; i < end && i < snapshot_.nearest_distance.size(); ++i)
    n += snapshot_.nearest_distance[i] < snapshot_.model->copy_threshold;
  return n;
}

namespace {

// Text inside a JSON string: at most `limit` bytes of it (cut before a UTF-8 sequence it would
// split, then "..."), quotes and backslashes escaped, control bytes as \u00XX.
std::string json_text(const std::string& text, size_t limit = 300) {
  size_t end = std::min(text.size(), limit);
  while (end < text.size() && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  std::string out;
  for (char c : text.substr(0, end)) {
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
  if (end < text.size()) out += "...";
  return out;
}

// The longest error, warnings or status text stats_json carries whole: a link's refusal
// (kMaxNoticeBytes) with room for what the app adds to it.
constexpr size_t kMaxStatsText = kMaxNoticeBytes + 200;

}  // namespace

std::string App::stats_json() const {
  // The share of the shown samples that are copies: null until it is measured (images: at every
  // step; point data: when the run is done).
  std::string copy_share = "null";
  if (!snapshot_.nearest_distance.empty()) {
    char share[32];
    std::snprintf(share, sizeof share, "%.4f", double(copies()) / double(snapshot_.nearest_distance.size()));
    copy_share = share;
  }
  // A comparison: each model's copies among its samples.
  std::string groups = "[";
  for (size_t g = 0; g < snapshot_.groups.size(); ++g) {
    const size_t b = snapshot_.group_rows(snapshot_.nearest_distance.size());
    char item[200];
    std::snprintf(item, sizeof item, "%s{\"model\": \"%s\", \"samples\": %zu, \"copies\": %d, \"step\": %d, \"done\": %s}",
                  g ? ", " : "", json_text(snapshot_.groups[g]).c_str(), b, copies(int(g)), snapshot_.group_step(g),
                  snapshot_.group_done(g) ? "true" : "false");
    groups += item;
  }
  groups += "]";
  // Where the status and sweep windows were drawn and where the training points' rings are, on
  // screen (logical pixels: left, top, right, bottom), for a check that the one does not hide the other.
  char status_box[96] = "null", rings_box[96] = "null";
  if (!status_hidden_ && status_right_ > status_left_)
    std::snprintf(status_box, sizeof status_box, "[%.0f, %.0f, %.0f, %.0f]", status_left_, status_top_, status_right_,
                  status_bottom_);
  float lo_x = INFINITY, lo_y = INFINITY, hi_x = -INFINITY, hi_y = -INFINITY;
  for (const Mark& mark : scene_.marks)
    if (mark.ring > 0) {
      const float x = scene_.screen_x(mark.x0), y = scene_.screen_y(mark.y0);
      lo_x = std::min(lo_x, x), hi_x = std::max(hi_x, x), lo_y = std::min(lo_y, y), hi_y = std::max(hi_y, y);
    }
  if (lo_x <= hi_x) std::snprintf(rings_box, sizeof rings_box, "[%.0f, %.0f, %.0f, %.0f]", lo_x, lo_y, hi_x, hi_y);
  char sweep_box[96] = "null";
  if (sweep_box_[2] > sweep_box_[0])
    std::snprintf(sweep_box, sizeof sweep_box, "[%.0f, %.0f, %.0f, %.0f]", sweep_box_[0], sweep_box_[1], sweep_box_[2],
                  sweep_box_[3]);
  char text[2048];  // four groups of at most 200 bytes, the figures; the texts appended after
  std::snprintf(
      text, sizeof text,
      "{\"groups\": %s, \"step\": %d, \"n_steps\": %d, \"view_step\": %d, \"samples_done\": %lld, \"n_samples\": %d, "
      "\"threads\": %d, \"build\": \"%s\", \"isolated\": %s, \"steps_per_s\": %.1f, \"fps\": %.1f, "
      "\"seconds\": %.4f, \"dataset\": \"%s\", \"loading\": %s, \"fetched_bytes\": %.0f, \"reading\": %s, \"copies\": "
      "%d, "
      "\"copy_share\": %s, \"sweep_runs\": %zu, \"sweeping\": %s, "
      "\"status_box\": %s, \"rings_box\": %s, \"sweep_box\": %s, \"marks\": %zu, \"tiles\": %zu, \"tile_size\": %.1f, "
      "\"paused\": %s, ",
      groups.c_str(), snapshot_.step, snapshot_.n_steps, view_step(),
      snapshot_.done ? (long long)snapshot_.group_rows(size_t(snapshot_.states.rows())) : 0LL,
      settings_.sampler.n_samples, job_.threads(), platform_.build, platform_.cross_origin_isolated ? "true" : "false",
      steps_per_second_, ImGui::GetCurrentContext() ? ImGui::GetIO().Framerate : 0.0f, snapshot_.seconds,
      settings_.dataset.c_str(), waiting_for_data_ || !snapshot_.status.empty() ? "true" : "false", fetch_.loaded,
      reading_ ? "true" : "false", copies(), copy_share.c_str(), sweep_.rows.size(), sweep_.active ? "true" : "false",
      status_box, rings_box, sweep_box, scene_.marks.size(), scene_.tiles.size(),
      scene_.tiles.empty() ? 0.0 : double(scene_.tiles[0].w), paused_ ? "true" : "false");
  return text +
         ("\"error\": \"" + json_text(shown_error(), kMaxStatsText) + "\", \"warnings\": \"" +
          json_text(notice_, kMaxStatsText) + "\", \"status\": \"" + json_text(status_text(), kMaxStatsText) + "\"}");
}

void App::replay() {
  if (snapshot_.history_steps.empty()) return;
  settings_.view.step = -1;
  playhead_ = snapshot_.history_steps.front();
  replaying_ = true;
}

// A new run starts playing from its first step at the speed setting; the playhead then moves
// speed steps per second of frame time and lets go (-1) once it reaches the latest step.
void App::advance_playhead() {
  if (snapshot_.generation != played_generation_ && snapshot_.model) {
    played_generation_ = snapshot_.generation;
    playhead_ = settings_.speed > 0 ? double(snapshot_.first_step) : -1.0;
    replaying_ = false;
  }
  // The speed setting holds as it changes (max lets go at once); a replay at max plays at 30/s.
  if (!replaying_ && settings_.speed == 0) playhead_ = -1;
  if (playhead_ < 0) return;
  const double speed = settings_.speed > 0 ? settings_.speed : kReplaySpeed;
  const double dt = std::clamp(double(ImGui::GetIO().DeltaTime), 0.0, 0.1);
  if (!paused_ || snapshot_.done) playhead_ += speed * dt;  // paused mid-run: it waits too
  if (snapshot_.done && playhead_ >= snapshot_.step) {
    playhead_ = -1;
    replaying_ = false;
  } else if (playhead_ > snapshot_.step) playhead_ = snapshot_.step;  // waiting for the sampler
}

void App::frame() {
  if (waiting_for_data_) {
    if (images_ready())
      restart();  // the image files arrived
    else
      rerun_after_failed_data();
  }
  // Foreground mode: sample for part of the frame (a no-op with a worker thread). Until the run's
  // first step is on screen, a larger part (40 ms): nothing moves yet, and a quick preparation
  // and first step then fit in one frame instead of several.
  const bool moving = snapshot_.model && snapshot_.step > snapshot_.first_step;
  job_.advance(moving ? 0.012 : 0.04);
  if (job_.latest(&snapshot_)) {
    const double now = ImGui::GetTime();
    if (snapshot_.step > last_step_ && now > last_time_)
      steps_per_second_ = 0.8 * steps_per_second_ + 0.2 * (snapshot_.step - last_step_) / (now - last_time_);
    last_step_ = snapshot_.step;
    last_time_ = now;
    if (snapshot_.generation == job_.generation()) {
      if (snapshot_.model && snapshot_.error.empty()) {
        started_ = running_;
        started_dropped_ = running_dropped_;
      } else if (!snapshot_.model && !snapshot_.error.empty()) {
        run_failed();
      }
    }
  }
  advance_playhead();
  advance_sweep();
  // The page's address follows the settings and the view (at most twice a second while they change).
  if (platform_.on_state && settings_.dataset != kDroppedDataset && ImGui::GetTime() - state_sent_at_ >= 0.5) {
    std::string query = format_state(settings_);
    if (query != state_sent_) {
      platform_.on_state(query);
      state_sent_ = std::move(query);
      state_sent_at_ = ImGui::GetTime();
    }
  }
  handle_canvas_input();
  build_scene();
  ImDrawList* background = ImGui::GetBackgroundDrawList();
  for (const Label& label : scene_.labels) {  // on a pale patch, readable over marks
    const ImVec2 size = ImGui::CalcTextSize(label.text.c_str());
    background->AddRectFilled(ImVec2(label.x - 3, label.y - 1), ImVec2(label.x + size.x + 3, label.y + size.y + 1),
                              IM_COL32(250, 250, 248, 215), 3.0f);
    background->AddText(ImVec2(label.x, label.y), label.rgba, label.text.c_str());
  }
  if (settings_.ui == Settings::Ui::full) {
    draw_controls();
    draw_status();
    draw_sweep();
  } else {
    controls_right_ = controls_bottom_ = 0.0f;  // the compact controls, or none, leave the whole width to the view
    if (settings_.ui == Settings::Ui::min) draw_compact_controls();
  }
}

}  // namespace cfdm::app
