// The app's settings: what is sampled (dataset, sizes, sigma, M, ...) and how it is shown, the
// datasets it offers and the presets. Platform- and UI-free (url_state and its fuzzer use it).
#pragma once
#include <string>
#include <vector>

namespace cfdm::app {

// Every dataset the app offers: the toy sets, then the image datasets.
const std::vector<std::string>& dataset_names();
bool is_image_name(const std::string& name);

struct Settings {
  std::string dataset = "moons";
  int n_train = 1000, n_samples = 2000, n_steps = 100, n_draws = 1, seed = 0;
  float sigma = 0.0f, start_t = 0.0f;
  bool knn = false;  // the nearest-neighbour estimator instead of the exact posterior mean
  int knn_k = 15, knn_l = 15;
  // Image datasets.
  int classes_mask = 0;  // bit c keeps class c; 0 keeps every class
  bool pca = false;      // sample in a PCA latent space instead of pixel space
  int pca_dim = 64;
  // How the page shows it (not part of what is sampled).
  enum class Ui { full, min, none } ui = Ui::full;  // every control, a compact set, or none
  bool autoplay = true;                             // start sampling at once (else paused)
};

// Presets that tell the story, each a link (docs/embedding.md shows each as an iframe).
struct Preset {
  const char* title;
  const char* query;
};
const std::vector<Preset>& presets();

// Defaults that suit a dataset (fewer samples for images, a start time that saves steps).
Settings defaults_for(const std::string& dataset);

}  // namespace cfdm::app
