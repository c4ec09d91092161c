#include "app/settings.hpp"

#include "app/url_state.hpp"
#include "data/images.hpp"
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

Settings defaults_for(const std::string& dataset) {
  Settings s;
  s.dataset = dataset;
  if (is_image_name(dataset)) {
    s.n_train = 5000;
    s.sampler.n_samples = 36;
    s.sampler.n_steps = 50;
    s.sampler.start_t = double(0.3f);
  }
  return s;
}

}  // namespace cfdm::app
