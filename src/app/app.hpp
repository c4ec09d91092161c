// The live canvas: controls, a 2-D view of training points and samples, a status line.
// Written as init / frame / shutdown callbacks over Dear ImGui, with no platform code: main.cpp
// drives it natively (SDL2 + OpenGL 3.3) and in the browser (SDL2 + WebGL2), and a test drives it
// headless.
#pragma once
#include <memory>
#include <string>

#include "app/sampling_job.hpp"

namespace cfdm::app {

struct Settings {
  int dataset = 0;  // index into data::toy_names()
  int n_train = 1000, n_samples = 2000, n_steps = 100, n_draws = 1, seed = 0;
  float sigma = 0.0f, start_t = 0.0f;
};

// What the platform layer reports to the app each frame.
struct PlatformInfo {
  const char* build = "native";  // "native", "wasm threads + simd", "wasm single-thread simd"
  bool cross_origin_isolated = false;
  int threads = 1;
};

class App {
 public:
  App(const PlatformInfo& platform, int n_threads, JobMode mode = JobMode::background);
  // One frame of UI and drawing, inside ImGui::NewFrame() / ImGui::Render().
  void frame();
  const Settings& settings() const { return settings_; }
  const Snapshot& snapshot() const { return snapshot_; }
  // Applies settings (e.g. from the UI or a URL) and restarts sampling at once.
  void apply(const Settings& settings);
  // {"step", "n_steps", "samples_done", "n_samples", "threads", "build", "isolated", "error"}
  std::string stats_json() const;

 private:
  void restart();
  void draw_controls();
  void draw_canvas();

  PlatformInfo platform_;
  SamplingJob job_;
  Settings settings_;
  std::shared_ptr<const TrainingSet> train_;
  MatrixXfR train_points_;
  Snapshot snapshot_;
  bool paused_ = false;
  std::string error_;
  float zoom_ = 1.0f, pan_x_ = 0.0f, pan_y_ = 0.0f;
  double last_time_ = 0, steps_per_second_ = 0;
  int last_step_ = 0;
};

}  // namespace cfdm::app
