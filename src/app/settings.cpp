#include "app/settings.hpp"

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
    return all;
  }();
  return names;
}

bool is_image_name(const std::string& name) { return data::is_image_dataset(name); }

const std::vector<Preset>& presets() {
  static const std::vector<Preset> list = {
      {"sigma = 0 memorizes", "dataset=moons&n_train=100&n_samples=2000&steps=100&sigma=0"},
      {"smoothing makes new points (barycenters)",
       "dataset=moons&n_train=40&n_samples=2000&steps=100&sigma=0.15&draws=2"},
      {"too much sigma blurs", "dataset=moons&n_train=400&n_samples=2000&steps=100&sigma=1&draws=8"},
      {"starting at T saves steps", "dataset=moons&n_train=400&n_samples=2000&steps=20&start_t=0.8&sigma=0.1&draws=4"},
      {"the nearest-neighbour estimator matches the exact score",
       "dataset=moons&n_train=20000&n_samples=2000&steps=100&sigma=0.05&draws=2&estimator=knn&k=15&l=15"},
      {"MNIST: copies versus new digits",
       "dataset=mnist&classes=3&n_train=2000&n_samples=36&steps=50&start_t=0.3&sigma=0.5&draws=4"},
  };
  return list;
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
