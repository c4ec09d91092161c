#include "app/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "app/app_internal.hpp"
#include "app/url_state.hpp"
#include "core/error.hpp"
#include "data/images.hpp"
#include "data/memory.hpp"
#include "data/toy.hpp"

namespace cfdm::app {
namespace {

const char* kImageNames[] = {"mnist", "fashion-mnist"};

}  // namespace

SamplerParams app_sampler_defaults() {
  SamplerParams params = default_sampler_params();
  params.n_samples = 2000;
  params.n_steps = 100;
  return params;
}

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = data::toy_names();
    for (const char* name : kImageNames) all.push_back(name);
    all.push_back(kDrawnDataset);
    return all;
  }();
  return names;
}

bool is_image_name(const std::string& name) { return data::is_image_dataset(name); }

Settings settings_for(const data::Scenario& scenario) {
  Settings s = defaults_for(scenario.data.spec);
  s.n_train = scenario.data.n_train;
  s.classes_mask = 0;
  for (int c : scenario.data.classes) s.classes_mask |= 1 << c;
  s.pca = scenario.pca_dim > 0;
  if (s.pca) s.pca_dim = scenario.pca_dim;
  s.sampler = scenario.params;
  return s;
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> list = [] {
    std::vector<Preset> out;
    for (const data::Scenario& scenario : data::scenarios())
      if (!scenario.story.empty()) out.push_back({scenario.story, format_state(settings_for(scenario))});
    // The analytic family's story, from the same noise: the exact model copies, sigma-CFDM blurs,
    // the local model makes new images out of pieces.
    for (const char* dataset : {"mnist", "fashion-mnist"}) {
      Settings s = defaults_for(dataset);
      // 1,000 training images: one local step of 8 samples fits a frame of the single-thread page.
      s.n_train = 1000;
      s.classes_mask = 1 << (dataset[0] == 'm' ? 3 : 7);  // threes; sneakers
      s.sampler.n_samples = 8;
      s.sampler.n_steps = 20;
      s.sampler.start_t = 0;
      s.sampler.sigma = 1.0;
      s.sampler.n_draws = 8;
      s.models = {"exact", "scfdm", "local"};
      out.push_back({std::string(dataset[0] == 'm' ? "MNIST" : "Fashion-MNIST") +
                         ": memorize, smooth, generalize (three models)",
                     format_state(s)});
    }
    return out;
  }();
  return list;
}

bool same_run(const Settings& a, const Settings& b) {
  auto shown_alike = [](Settings s) {
    s.view = Settings::View{};
    s.speed = Settings::kWatchSpeed;
    s.ui = Settings::Ui::full;
    s.autoplay = true;
    return format_state(s);
  };
  return shown_alike(a) == shown_alike(b);
}

SamplerParams comparison_params(const Settings& s, const std::string& name) {
  return eval::comparison_params(s.sampler, name);
}

std::string comparison_title(const Settings& s, const std::string& name) {
  if (name == "exact") return "exact (sigma = 0)";
  if (name == "scfdm") {
    char text[80];
    std::snprintf(text, sizeof text, "sigma-CFDM (sigma = %.3g, M = %d)", s.sampler.sigma,
                  s.sampler.sigma > 0 ? s.sampler.n_draws : 1);
    return text;
  }
  if (name == "wiener") return "Wiener (Gaussian)";
  if (name == "local") return "local patches";
  if (name == "local-knn")
    return "local patches (K = " + std::to_string(s.sampler.knn.k) + ", L = " + std::to_string(s.sampler.knn.l) + ")";
  if (name == "pca-local") return "PCA-local";
  if (name == "nearest") return "nearest (retrieval)";
  return name;
}

std::string comparison_problem(const std::vector<std::string>& models) {
  if (models.empty()) return "";
  if (models.size() < size_t(kMinCompared) || models.size() > size_t(kMaxCompared))
    return "the comparison shows 2 to 4 models side by side (" + std::to_string(models.size()) + " given)";
  for (size_t i = 0; i < models.size(); ++i) {
    if (const std::string problem = eval::unknown_compared(models[i]); !problem.empty()) return problem;
    if (std::find(models.begin(), models.begin() + long(i), models[i]) != models.begin() + long(i))
      return "the comparison names " + in_quotes(models[i]) + " twice";
  }
  return "";
}

Settings defaults_for(const std::string& dataset) {
  Settings s;
  s.dataset = dataset;
  if (is_image_name(dataset)) {
    s.n_train = 5000;
    s.sampler.n_samples = 36;
    s.sampler.n_steps = 50;
    s.sampler.start_t = double(0.3f);
    // A small device (the page capped the memory: a phone): one class, threes or sneakers.
    if (data::available_memory_bytes() < kSmallDeviceBytes) s.classes_mask = 1 << (dataset == "mnist" ? 3 : 7);
  }
  return s;
}

namespace {

// The shortest decimal that reads back as the same double (0.15000000596046448 for 0.15f).
std::string exact_decimal(double value) {
  char text[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

// A word as a POSIX shell reads it: as it is when it holds no special character, else quoted.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._/,=+-", c) != nullptr;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string command_line(const Settings& s, const std::string& dropped_name) {
  const bool image = is_image_name(s.dataset), compare = !s.models.empty();
  if (s.dataset == kDrawnDataset || (compare && s.pca)) return "";
  const SamplerParams& p = s.sampler;
  std::string c = compare ? "cfdm compare" : "cfdm sample";
  c += " --data " + shell_word(s.dataset == kDroppedDataset ? dropped_name : s.dataset);
  c += " --n-train " + std::to_string(s.n_train);
  if (image && s.classes_mask) {
    std::string classes;
    for (int label : classes_of(s.classes_mask)) classes += (classes.empty() ? "" : ",") + std::to_string(label);
    c += " --classes " + classes;
  }
  if (image && s.pca) c += " --space pca --pca-dim " + std::to_string(s.pca_dim);
  c += " --n-samples " + std::to_string(p.n_samples) + " --steps " + std::to_string(p.n_steps);
  if (p.start_t != 0) c += " --start-t " + exact_decimal(p.start_t);
  if (p.schedule == Schedule::ddim) c += " --schedule ddim";
  c += " --seed " + std::to_string(p.seed);
  const bool smoothed = compare ? std::count(s.models.begin(), s.models.end(), "scfdm") > 0 : p.sigma > 0;
  if (smoothed && p.sigma > 0) c += " --sigma " + exact_decimal(p.sigma) + " --draws " + std::to_string(p.n_draws);
  if (compare) {
    std::string names;
    for (const std::string& name : s.models) names += (names.empty() ? "" : ",") + name;
    c += " --models " + names;
    if (std::count(s.models.begin(), s.models.end(), "local-knn"))
      c += " --k " + std::to_string(p.knn.k) + " --l " + std::to_string(p.knn.l);
    return c + " --plot comparison.png";
  }
  if (p.denoiser.model != Model::cfdm) c += std::string(" --model ") + model_name(p.denoiser.model);
  if (p.estimator == Estimator::knn)
    c += " --estimator knn --k " + std::to_string(p.knn.k) + " --l " + std::to_string(p.knn.l);
  return c + " --out samples.npy";
}

}  // namespace cfdm::app
