// The app's settings: what is sampled (dataset, sizes, sigma, M, ...) and how it is shown, the
// datasets it offers and the presets. Platform- and UI-free (url_state and its fuzzer use it).
#pragma once
#include <string>
#include <vector>

#include "core/sampler.hpp"
#include "data/scenarios.hpp"
#include "eval/comparison.hpp"
#include "output/orbit.hpp"

namespace cfdm::app {

// The dataset of points drawn on the canvas (Settings::points), which a link carries.
inline constexpr const char* kDrawnDataset = "drawn";
inline constexpr int kMaxDrawnPoints = 400;
// The dataset of a file dropped on the app (its points are the app's, not in a link).
inline constexpr const char* kDroppedDataset = "dropped file";

// Every dataset the app offers: the toy sets, the image datasets, then "drawn".
const std::vector<std::string>& dataset_names();
bool is_image_name(const std::string& name);

// The sampler's parameters as the app starts: 2,000 samples, 100 steps, the exact model.
SamplerParams app_sampler_defaults();

struct Settings {
  std::string dataset = "moons";
  int n_train = 1000;
  // What is sampled: the sampler's own parameters (n_samples, n_steps, sigma, draws, start_t,
  // seed, estimator and its K, L). sigma and start_t hold float values (what a link or a slider
  // gives), so a link reproduces them bit for bit.
  SamplerParams sampler = app_sampler_defaults();
  bool knn() const { return sampler.estimator == Estimator::knn; }
  // Dataset "drawn": the points, x0, y0, x1, y1, ... (at most kMaxDrawnPoints; n_train follows).
  std::vector<float> points;
  // Image datasets.
  int classes_mask = 0;  // bit c keeps class c; 0 keeps every class
  bool pca = false;      // sample in a PCA latent space instead of pixel space
  int pca_dim = 64;
  // The comparison view (images): two to four models sampled from the same noise, side by side, by
  // their names in comparison_names(); empty: one model, sampler.denoiser's.
  std::vector<std::string> models;
  // How the page shows it (not part of what is sampled).
  enum class Ui { full, min, none } ui = Ui::full;  // every control, a compact set, or none
  bool autoplay = true;                             // start sampling at once (else paused)
  // How fast the flow plays on screen, in steps per second (0: as fast as it samples). The
  // default lets a first visit follow it: 100 steps in about 3 s. Sampling itself never waits.
  int speed = kWatchSpeed;
  static constexpr int kWatchSpeed = 30;
  // The view, which a link carries so that it opens as its author saw it: the data point at the
  // centre of the 2-D view and the zoom, the trails' length in steps (0: none), and the step
  // shown (-1: the latest, or the playhead).
  // 3-D data adds the orbit camera's yaw and pitch (degrees, output/orbit.hpp).
  struct View {
    float x = 0, y = 0, zoom = 1;
    int trails = 12;
    int step = -1;
    float yaw = output::Orbit::kDefaultYaw, pitch = output::Orbit::kDefaultPitch;
  } view;
};

// The comparison view's models: eval::comparison_names() (eval/comparison.hpp), 2 to 4 of them.
inline constexpr int kMinCompared = 2, kMaxCompared = 4;
using eval::comparison_names;
// The sampler's parameters of one of them in these settings (the same noise: seed, samples, steps,
// start T are the run's). Throws cfdm::Error for an unknown name.
SamplerParams comparison_params(const Settings& s, const std::string& name);
// Its title above its tiles ("exact (sigma = 0)", "sigma-CFDM (sigma = 1, M = 8)").
std::string comparison_title(const Settings& s, const std::string& name);
// Empty when `models` is a valid comparison (2 to 4 distinct names), else what is wrong.
std::string comparison_problem(const std::vector<std::string>& models);

// The same run from the command line: `cfdm sample` (or `cfdm compare` for a comparison) with
// every setting that decides the samples, so that it gives them bit for bit (sigma and start T,
// float values, written as the doubles they are). `dropped_name` stands for a dropped file. Empty
// where no command gives the run: drawn points (no file holds them), a comparison in a PCA space.
std::string command_line(const Settings& s, const std::string& dropped_name);

// Presets that tell the story, each a link with every key (docs/embedding.md shows each as an
// iframe): the registry's scenarios with a story title (data/scenarios.hpp), in its order.
struct Preset {
  std::string title;
  std::string query;
};
const std::vector<Preset>& presets();

// The app's settings for a scenario (its dataset must be one the app offers).
Settings settings_for(const data::Scenario& scenario);

// Whether two settings sample the same: they differ at most in how the page shows the samples
// (the view, the speed, the controls).
bool same_run(const Settings& a, const Settings& b);

// Defaults that suit a dataset (fewer samples for images, a start time that saves steps; one
// class of images where less than kSmallDeviceBytes are available: the page capped the memory).
constexpr uint64_t kSmallDeviceBytes = uint64_t(1) << 30;
Settings defaults_for(const std::string& dataset);

}  // namespace cfdm::app
