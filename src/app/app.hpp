// The live canvas: controls, a 2-D view of training points and samples (with trails, a velocity
// overlay and a sample inspector), an image view for MNIST and Fashion-MNIST, a time scrubber and a
// status line. Written as init / frame / shutdown callbacks over Dear ImGui, with no platform or
// graphics code: main.cpp drives it natively (SDL2 + OpenGL 3.3) and in the browser (SDL2 +
// WebGL2) and draws its scene() with the renderer; a test drives it headless.
#pragma once
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/caption.hpp"
#include "app/sampling_job.hpp"
#include "app/scene.hpp"
#include "app/settings.hpp"
#include "data/images.hpp"
#include "eval/sweep.hpp"

namespace cfdm::app {

// Where image datasets come from. Natively their prepared files are on disk already; the browser
// fetches them on first use, with progress.
class DataSource {
 public:
  struct Progress {
    bool ready = false;
    double loaded = 0, total = 0;  // bytes (total 0: unknown yet)
    std::string error;
  };
  virtual ~DataSource() = default;
  // Starts making `dataset`'s files available on the first call; reports how far it got.
  virtual Progress request(const std::string& dataset) = 0;
  virtual std::string directory() const = 0;  // where the files are once ready
};

// What the platform layer reports to the app.
struct PlatformInfo {
  const char* build = "native";  // "native", "wasm threads + simd", "wasm single-thread simd"
  bool cross_origin_isolated = false;
  DataSource* data = nullptr;  // null: files in data::default_data_dir()
  // Called with the settings as a URL query whenever they change (the page keeps its address in
  // step, so the address is always a link to what is shown); may be null.
  void (*on_state)(const std::string& query) = nullptr;
  // Copies a link to these settings (the browser: the page's address; null: the clipboard gets a
  // desktop command line).
  void (*copy_link)(const std::string& query) = nullptr;
  // Copies a text (the command line of the run) to the clipboard; null: ImGui's clipboard.
  void (*copy_text)(const std::string& text) = nullptr;
  // Exports: the folder files are written to, a call after each (the browser downloads it), and
  // a PNG of the canvas (browser only; null hides the button).
  std::string export_dir = ".";
  void (*on_export)(const std::string& path) = nullptr;
  void (*export_canvas)() = nullptr;
};

// What can be exported: the samples shown (in data space: pixels for images), their recorded
// trajectories, and a picture (images: each sample beside its nearest training image; 2-D: a
// scatter plot over the training points).
enum class Export { samples_npy, samples_csv, trajectories_npy, trajectories_csv, picture_png };

class App {
 public:
  App(const PlatformInfo& platform, int n_threads, JobMode mode = JobMode::background);
  // One frame of UI, inside ImGui::NewFrame() / ImGui::Render(); fills scene() for the renderer.
  void frame();
  const Settings& settings() const { return settings_; }
  const Snapshot& snapshot() const { return snapshot_; }
  // The message the app shows in red, if any: its own (a refused setting, data it could not load),
  // else the run's (a run that stopped with an error).
  const std::string& error_message() const { return shown_error(); }
  const Scene& scene() const { return scene_; }
  // Applies settings (e.g. from the UI or a URL) and restarts sampling at once.
  void apply(const Settings& settings);
  // Applies a URL query (url_state.hpp) over the dataset's defaults; bad keys are named in the
  // status window and ignored.
  void apply_state(const std::string& query);
  // Changes the keys of a query and keeps the other settings (a host page's "set"). Returns what
  // was refused (bad or unknown keys, a setting too big), empty when all of it applied; the app
  // shows the same.
  std::string update_state(const std::string& query);
  // A message from the platform (e.g. the page refused an over-long setting): shown like the
  // app's own errors; the current run goes on.
  void report_error(const std::string& message);
  // The settings as a query that reproduces these samples.
  std::string state_query() const;
  // Writes an export into platform.export_dir; returns its path. Throws cfdm::Error when there is
  // nothing to export yet or the file cannot be written.
  std::string export_file(Export what);
  // A file dropped on the app (.npy or .csv of 2-D points) becomes the training data; anything
  // else leaves the current dataset and samples as they are and says why.
  void drop_file(const std::string& path);
  static constexpr const char* kDroppedDataset = app::kDroppedDataset;
  // sweep: runs the same seed over a range of sigma (sweep.cpp), each run shown as it samples.
  enum class Control { play, pause, reset, step, sweep };
  void control(Control c);
  bool paused() const { return paused_; }
  // Pinch zoom from the platform (touch screens): scale the view by factor about a screen point.
  void zoom_at(float factor, float x, float y);
  void pan_by(float dx, float dy);  // moves the view by a drag of (dx, dy) logical pixels
  // 3-D data: turns the orbit camera as a drag of (dx, dy) logical pixels does.
  void orbit_by(float dx, float dy);
  // How data points are seen on the canvas: 2-D points as they are; 3-D points through the orbit
  // camera (settings().view.yaw and pitch) about the centre of the training data's box.
  struct Projection {
    int dim = 2;
    float basis[3][3] = {};
    float center[3] = {};
    // (x, y) on the view's plane, and the depth (larger: nearer the viewer; 0 in 2-D).
    void to_view(const float* p, float out[3]) const;
  };
  Projection projection() const;
  // Your own points (dataset "drawn", carried by links): drawing starts from the points on screen
  // (up to kMaxDrawnPoints); each change restarts sampling at once (a move when done is true).
  void start_drawing();
  void add_point(float x, float y);
  void move_point(int index, float x, float y, bool done);
  void remove_point(int index);
  void clear_points();
  void reset_view();
  // {"step", "n_steps", "samples_done", "n_samples", "threads", "build", "isolated", "fps", ...,
  //  "error", "warnings"}
  std::string stats_json() const;

  // The displayed step (the scrubber's, or the latest) and the sample under inspection (-1: none).
  int view_step() const;
  void set_view_step(int step) { settings_.view.step = step; }
  // Plays the recorded steps again from the first, at the speed setting (or 30 steps/s at "max").
  void replay();
  void select_sample(int index) { selected_ = index; }
  // The height the page covers along the canvas's bottom, in pixels (the embed's link to the
  // full-speed app): the status and the image grid keep above it. Values outside [0, 200] are
  // clamped, NaN is 0.
  void set_bottom_inset(double pixels) { bottom_inset_ = pixels >= 0 ? float(std::min(pixels, 200.0)) : 0.0f; }
  void set_velocity_overlay(bool on) { show_velocity_ = on; }
  // How many of the latest samples are copies of a training point (images: at every step; points:
  // once a run is done); a comparison: of model `group`'s (-1: of all of them).
  int copies(int group = -1) const;
  CaptionFacts caption_facts() const;  // what the caption says about the picture shown
  // The sigma sweep's measured runs so far (empty when none ran).
  const std::vector<eval::SweepRow>& sweep_rows() const { return sweep_.rows; }
  bool sweeping() const { return sweep_.active; }

 private:
  void restart();
  bool images_ready();  // image datasets: loaded (fetching first if need be)
  // Image data that could not be had (a failed download, unreadable files, too little memory):
  // the message, and the controls back to the run from before it, if that ran other data. Returns
  // false (images_ready's answer).
  bool data_failed(const std::string& message);
  // Then that run, cancelled when the data were asked for, starts again (the message kept).
  void rerun_after_failed_data();
  // The prepared dataset a run of the settings reads (the key of images_): the whole image
  // dataset, or its one chosen class alone (a tenth of the download and of the reading; the same
  // images in the same order) unless the whole set is loaded already.
  std::string image_source(const Settings& s) const;
  // The training rows a run of s would have, -1 where that is not known before it (drawn points).
  int64_t training_rows(const Settings& s) const;
  // A run that stopped before its first step with the library's error (a sigma beyond a dropped
  // file's radius, say): the controls go back to the last run that started, which runs again, and
  // the message stays. Drawn points stay as they are (their message says to add points).
  void run_failed();
  void draw_controls();
  void draw_status();
  void draw_compact_controls();
  void draw_export();  // ui=min: play/pause, reset, sigma, M, and one status line
  void draw_messages(float width);
  void draw_legend();
  void build_scene();
  void build_points_scene();
  void build_image_scene();
  // The velocity field at time t on a grid over the visible part of the view's plane [view_lo,
  // view_hi] (3-D: the plane through the camera's centre facing the viewer).
  void update_velocity_field(double t, const float view_lo[2], const float view_hi[2], const Projection& seen);
  void add_box_marks(const Projection& seen);     // 3-D: the training data's box, for orientation
  void add_inspector_marks(const MatrixXfR& states, int shown_step, double t, const Projection& seen);
  const MatrixXfR* history_at(int step, int* found_step) const;
  void handle_canvas_input();
  void handle_drawing_input();

  PlatformInfo platform_;
  SamplingJob job_;
  ThreadPool ui_pool_{1};  // the velocity overlay and the inspector, on the UI thread
  Settings settings_;
  std::optional<Settings> running_;  // the settings of the run on screen
  std::optional<Settings> started_;  // the settings of the last run that reached its first step
  std::shared_ptr<const MatrixXfR> running_dropped_, started_dropped_;  // the dropped points they read
  Snapshot snapshot_;
  Scene scene_;
  std::map<std::string, std::shared_ptr<const data::ImageSet>> images_;  // loaded image datasets
  std::shared_ptr<const MatrixXfR> dropped_;                             // the points of the last file dropped
  std::string dropped_name_;
  DataSource::Progress fetch_;  // of the image dataset being fetched
  // The image dataset being read from its files: at once with threads (the job's worker would
  // wait for the page's thread, which holds the files); without them a part a frame (the frame
  // keeps its pace), `waiting_for_data_` meanwhile.
  std::unique_ptr<data::IdxReader> reading_;
  std::string reading_name_;
  bool waiting_for_data_ = false;
  bool rerun_ = false;  // data failed: rerun_after_failed_data() runs settings_ again
  bool paused_ = false;
  std::string error_;  // the app's own (a refused setting or file, data it could not load)
  // The message to show: the app's own, else the job's.
  const std::string& shown_error() const { return !error_.empty() ? error_ : snapshot_.error; }
  // The job's status (SamplingJob::kPreparing, or what it computes), with what takes the time where it is more
  // than reading the data (a PCA space's fit).
  std::string status_text() const;
  std::string notice_;          // what a link or a host page's settings ignored, what a file's reader assumed
  std::string export_message_;  // where the last export went, or why it failed
  // The 2-D view.
  // The 2-D view's centre and zoom, the trails and the scrubbed step are settings_.view.
  float controls_right_ = 0.0f;   // the open control panel's right edge in the last frame (0: none)
  float controls_bottom_ = 0.0f;  // the bottom edge of whatever controls the last frame drew (0: none)
  // The status window in the last frame: its edges, and its height when it last showed the brief
  // status (one caption line, where the full one would cover the controls or the picture).
  float status_left_ = 0.0f, status_top_ = 0.0f, status_right_ = 0.0f, status_bottom_ = 0.0f;
  float status_brief_height_ = 110.0f;
  float bottom_inset_ = 0.0f;  // set_bottom_inset
  // The full status's height less its wrapped lines (the caption, the drop hint): measured when it
  // was shown in the last frame (status_rest_measured_), else estimated.
  float status_rest_ = 150.0f;
  bool status_rest_measured_ = false;
  bool status_hidden_ = false;  // no room for it beside the open controls: they show its messages
  // The highest top of the status window beside the controls, since the window took its size and
  // the points were loaded (a caption that wraps one line more at the end of a run, then less at
  // the next, does not move the points framed above it; a status over half the window's height,
  // as with a long message, is not counted); -1: none yet.
  float status_top_seen_ = -1.0f;
  float status_seen_width_ = 0.0f, status_seen_height_ = 0.0f;
  const void* status_seen_points_ = nullptr;
  // Where the view starts on the left: right of the open control panel when what is left is still
  // a good part of the window (a desktop window), else 0 (a phone, or no panel).
  float view_left() const;
  using PlotFrame = View2D;
  // The 2-D view's frame: about [-3, 3] fits the window, or in a wide window the part right of
  // the control panel (and above the status beside it where the points would reach under it);
  // then panned and zoomed.
  PlotFrame plot_frame() const;
  void add_velocity_marks(double t, const PlotFrame& frame, const Projection& seen);
  bool show_training_ = true, show_velocity_ = false;
  bool compact_open_ = false;  // a narrow embed's compact controls show sigma and M
  bool drawing_ = false;       // canvas clicks add training points, drags move them
  int selected_point_ = -1;    // the drawn point last added or picked (Delete removes it)
  int dragged_point_ = -1;     // the drawn point under a drag
  int trails_when_shown_ = 12;  // the trails' length to restore when they are switched on again
  int selected_ = -1;
  std::shared_ptr<const Model> points_model_;  // the model whose training points points_ holds
  MatrixXfR points_;
  float points_lo_[3] = {}, points_hi_[3] = {};  // their box (3-D: the camera turns about its centre)
  float points_radius_ = 0.0f;                   // 3-D: their farthest from the box's centre
  float sweep_box_[4] = {};  // the sigma sweep's window on screen, last frame: left, top, right, bottom (0 wide: none)
  // The velocity overlay's cache: grid points and their velocities, for one model, step and setting.
  std::string velocity_key_;
  std::shared_ptr<const Model> velocity_model_;  // the model velocity_mean_ evaluates
  std::unique_ptr<PosteriorMean> velocity_mean_;  // the velocity field's posterior mean, of the run's kind
  std::string velocity_mean_key_;
  MatrixXfR velocity_grid_, velocity_;  // in data coordinates
  MatrixXfR velocity_view_;              // the grid points on the view's plane
  // The sigma sweep: ordinary runs, one a sigma, each measured when done (sweep.cpp).
  struct Sweep {
    bool active = false;
    std::vector<double> sigmas;
    size_t next = 0;               // the next sigma to start
    uint64_t started_after = 0;    // the snapshot generation before the current run began
    Settings original;             // the settings to return to
    int draws = 4;                 // M of every run (at least 2: one draw only copies)
    std::vector<eval::SweepRow> rows;
    std::string dataset;           // what the rows are of
  } sweep_;
  bool sweeping_apply_ = false;  // apply() called by the sweep itself (any other apply ends it)
  void start_sweep();
  void advance_sweep();
  void draw_sweep();
  std::string state_sent_;  // the query last given to platform_.on_state
  double state_sent_at_ = -1;
  // The playhead: the step shown while a run (or a replay) plays at settings_.speed steps per
  // second, behind the sampler when it samples faster; -1: the latest step. Advanced by frame time.
  double playhead_ = -1;
  uint64_t played_generation_ = 0;  // the run the playhead was started for
  bool replaying_ = false;           // the playhead runs for Replay (not a new run)
  static constexpr double kReplaySpeed = 30;
  void advance_playhead();
  double last_time_ = 0, steps_per_second_ = 0;
  double link_copied_at_ = -1;  // when Copy link was pressed (ImGui time; it says "copied" for a while)
  int last_step_ = 0;
  uint64_t images_version_ = 0;
  std::string images_key_;
  bool images_paired_ = true;  // the grid shows each sample beside its nearest training image (not in a small frame)
};

}  // namespace cfdm::app
