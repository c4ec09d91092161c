#include "data/scenarios.hpp"

#include <tuple>

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

// A story preset of the app: the app's own defaults (2,000 samples, 100 steps), a title.
Scenario story(const std::string& name, const std::string& title, const std::string& spec, int n_train, double sigma,
               int n_draws) {
  Scenario s = make(name, "the app's story preset \"" + title + "\"", spec, n_train, 2000, 100, sigma, n_draws, 0);
  s.story = title;
  s.pinned = Scenario::Pinned::fastest_isa;
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
  // The analytic family on 500 MNIST threes, 8 samples, 10 steps of the ddim grid.
  for (const auto& [model, name, what] :
       {std::tuple{Model::local, "mnist-local", "the local patch model (new threes from pieces of training threes)"},
        std::tuple{Model::pca_local, "mnist-pca-local", "the PCA-locality model"}}) {
    Scenario family = make(name, std::string("MNIST threes (500), ") + what + ", 8 samples, 10 ddim steps", "mnist",
                           500, 8, 10, 0.0, 1, 5);
    family.data.classes = {3};
    family.params.denoiser.model = model;
    family.params.schedule = Schedule::ddim;
    list.push_back(family);
  }
  Scenario local_knn = list.back();
  local_knn.name = "mnist-local-knn";
  local_knn.description =
      "MNIST threes (500), the local patch model's nearest-neighbour estimator (K = L = 20), 8 samples, 10 ddim steps";
  local_knn.params.denoiser.model = Model::local;
  local_knn.params.estimator = Estimator::knn;
  local_knn.params.knn.k = 20;
  local_knn.params.knn.l = 20;
  list.push_back(local_knn);

  // The app's story menu, in its order (sigma and start_t are floats there: a link carries floats).
  list.push_back(story("story-memorizes", "sigma = 0 memorizes", "moons", 100, 0.0, 1));
  list.push_back(story("story-barycenters", "smoothing makes new points (barycenters)", "moons", 40, double(0.15f), 2));
  list.push_back(story("story-blur", "too much sigma blurs", "moons", 400, 1.0, 8));
  Scenario start = story("story-start-t", "starting at T saves steps", "moons", 400, double(0.1f), 4);
  start.params.n_steps = 20;
  start.params.start_t = double(0.8f);
  list.push_back(start);
  Scenario knn_story =
      story("story-knn", "the nearest-neighbour estimator matches the exact score", "moons", 20000, double(0.05f), 2);
  knn_story.params.estimator = Estimator::knn;
  list.push_back(knn_story);
  list.push_back(story("story-bunny", "3-D: new points on the bunny's surface", "bunny", 2000, double(0.05f), 4));
  Scenario digits = story("story-mnist", "MNIST: copies versus new digits", "mnist", 2000, 0.5, 4);
  digits.data.classes = {3};
  digits.params.n_samples = 36;
  digits.params.n_steps = 50;
  digits.params.start_t = double(0.3f);
  list.push_back(digits);

  // The benchmark's workloads (tests/bench): too large to pin, timed instead.
  Scenario bench_moons = make("bench-moons", "benchmark: the exact kernel, moons N = 10,000, 2,000 samples, 100 steps",
                              "moons", 10000, 2000, 100, 0.0, 1, 0);
  bench_moons.pinned = Scenario::Pinned::no;
  list.push_back(bench_moons);
  Scenario bench_knn = make("bench-moons-knn",
                            "benchmark: the nearest-neighbour estimator (K = L = 15), moons N = 100,000, 2,000 samples",
                            "moons", 100000, 2000, 100, 0.0, 1, 3);
  bench_knn.params.estimator = Estimator::knn;
  bench_knn.pinned = Scenario::Pinned::no;
  list.push_back(bench_knn);
  Scenario bench_mnist = make("bench-mnist", "benchmark: all 60,000 MNIST images in pixel space, 64 samples from t = 0.9",
                              "mnist", -1, 64, 100, 0.0, 1, 0);
  bench_mnist.params.start_t = 0.9;
  bench_mnist.pinned = Scenario::Pinned::no;
  list.push_back(bench_mnist);
  Scenario bench_pca = make("bench-mnist-pca-knn",
                            "benchmark: MNIST in a 64-dimensional PCA space, kNN K = L = 15, sigma = 0.5, M = 2, 256 samples",
                            "mnist", -1, 256, 100, 0.5, 2, 0);
  bench_pca.params.estimator = Estimator::knn;
  bench_pca.pca_dim = 64;
  bench_pca.pinned = Scenario::Pinned::no;
  list.push_back(bench_pca);
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
  Dataset dataset = load_dataset(scenario.data);
  SamplerParams params = scenario.params;
  if (scenario.pca_dim == 0) params.denoiser.image = dataset.image_shape();  // the local model reads it
  const SamplingSpace space =
      make_sampling_space(make_training_set(std::move(dataset), &pool), scenario.pca_dim, &pool);
  params.kernel = kernel;
  Sampler sampler(*space.train, params, pool);
  sampler.run([](int) { return true; });
  return sampler.states();
}

}  // namespace cfdm::data
