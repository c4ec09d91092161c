#include "data/scenarios.hpp"

#include "core/error.hpp"
#include "data/space.hpp"

namespace cfdm::data {
namespace {

Scenario make(const std::string& name, const std::string& description, const std::string& spec, int n_train,
              int n_samples, int n_steps, double sigma, int n_draws, uint64_t seed) {
  Scenario s;
  s.name = name;
  s.description = description;
  s.data.spec = spec;
  s.data.n_train = n_train;
  s.params = default_sampler_params();
  s.params.n_samples = n_samples;
  s.params.n_steps = n_steps;
  s.params.sigma = sigma;
  s.params.n_draws = n_draws;
  s.params.seed = seed;
  return s;
}

std::vector<Scenario> make_scenarios() {
  std::vector<Scenario> list;
  list.push_back(make("moons-exact", "the exact (sigma = 0) model on moons: every sample a training point", "moons",
                      1000, 500, 50, 0.0, 1, 1));
  list.push_back(make("moons-smoothed", "sigma-CFDM on moons, sigma = 0.1, M = 4: barycenters of training points",
                      "moons", 1000, 500, 50, 0.1, 4, 2));
  Scenario knn =
      make("moons-knn", "the nearest-neighbour estimator (K = L = 15) on 20,000 moons points, sigma = 0.05, M = 2",
           "moons", 20000, 500, 50, 0.05, 2, 3);
  knn.params.estimator = Estimator::knn;
  list.push_back(knn);
  Scenario mnist =
      make("mnist-pca", "MNIST threes (2,000) in a 32-dimensional PCA space from t = 0.5, sigma = 0.3, M = 2", "mnist",
           2000, 16, 20, 0.3, 2, 4);
  mnist.data.classes = {3};
  mnist.params.start_t = 0.5;
  mnist.pca_dim = 32;
  list.push_back(mnist);
  return list;
}

}  // namespace

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> list = make_scenarios();
  return list;
}

const Scenario& find_scenario(const std::string& name) {
  std::string names;
  for (const Scenario& s : scenarios()) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw Error("unknown scenario " + in_quotes(name) + ": use one of " + names);
}

MatrixXfR run_scenario(const Scenario& scenario, ThreadPool& pool, const KernelOptions& kernel) {
  const SamplingSpace space = make_sampling_space(make_training_set(load_dataset(scenario.data)), scenario.pca_dim);
  SamplerParams params = scenario.params;
  params.kernel = kernel;
  Sampler sampler(*space.train, params, pool);
  sampler.run([](int) { return true; });
  return sampler.states();
}

}  // namespace cfdm::data
