// cfdm_bench: figures for the posterior-mean kernel and the sampler, native or wasm (same
// source). Prints one JSON object per line; tests/bench/run_bench.py runs it beside the NumPy
// reference and the machine's roofline and prints the comparison.
//
// usage: cfdm_bench [--workload moons|mnist|mnist_real|mnist_pca|knn|crossover|bandwidth|ivf|local_floor|all]
//                   [--threads N] [--isa NAME] [--probes P1,P2,...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/box_tree.hpp"
#include "core/knn.hpp"
#include "core/neighbors.hpp"
#include "core/posterior_mean.hpp"
#include "core/rng.hpp"
#include "core/sampler.hpp"
#include "core/schedule.hpp"
#include "core/thread_pool.hpp"
#include "data/dataset.hpp"
#include "data/files.hpp"
#include "data/images.hpp"
#include "data/pca.hpp"
#include "data/scenarios.hpp"
#include "data/toy.hpp"
#include "eval/metrics.hpp"
#include "local_floor.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

#if defined(__EMSCRIPTEN__)
const char* kPlatform = "wasm";
#else
const char* kPlatform = "native";
#endif

// The settings of a named scenario (data/scenarios.cpp): the benchmark's workloads are registered
// there, so `cfdm sample --scenario NAME` runs the same sampler.
cfdm::SamplerParams scenario_params(const char* name) { return cfdm::data::find_scenario(name).params; }

// Runs a workload's Euler steps (the best of `repeats` runs) and prints its figures.
void run_workload(const char* name, cfdm::SamplerParams params, const cfdm::TrainingSet& train, cfdm::ThreadPool& pool,
                  cfdm::Isa isa, int repeats) {
  params.kernel.isa = isa;
  double best = 1e30;
  int steps = 0;
  for (int r = 0; r < repeats; ++r) {
    cfdm::Sampler sampler(train, params, pool);
    const auto start = Clock::now();
    sampler.run([](int) { return true; });
    best = std::min(best, seconds_since(start));
    steps = sampler.n_steps() - sampler.first_step();
  }
  const double per_step = best / steps;
  const int n_train = train.n(), dim = train.dim();
  const double pairs = double(params.n_samples) * n_train;
  // FLOPs by the GEMM convention: 2 B N d for the distances, 2 B N d for the weighted sum.
  const double flops = 4.0 * pairs * dim;
  const double bytes = double(n_train) * dim * sizeof(float);  // one pass over the training set
  std::printf(
      "{\"workload\": \"%s\", \"platform\": \"%s\", \"isa\": \"%s\", \"threads\": %d, \"n_train\": %d, "
      "\"dim\": %d, \"n_samples\": %d, \"steps\": %d, \"seconds_per_step\": %.6g, \"gflops\": %.4g, "
      "\"train_gb_per_s\": %.4g, \"pairs_per_s\": %.4g}\n",
      name, kPlatform, cfdm::isa_name(isa), pool.size(), n_train, dim, params.n_samples, steps, per_step,
      flops / per_step / 1e9, bytes / per_step / 1e9, pairs / per_step);
  std::fflush(stdout);
}

// Streaming read bandwidth: sum of a 512 MB buffer, split over the pool's threads.
void run_bandwidth(cfdm::ThreadPool& pool) {
  const size_t n = size_t(128) << 20;  // floats
  std::vector<float> buffer(n, 1.0f);
  std::vector<double> partial(pool.size());
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    const auto start = Clock::now();
    pool.run(pool.size(), [&](int task) {
      const size_t begin = n * task / pool.size(), end = n * (task + 1) / pool.size();
      float acc[16] = {0};
      for (size_t i = begin; i + 16 <= end; i += 16)
        for (int l = 0; l < 16; ++l) acc[l] += buffer[i + l];
      double s = 0;
      for (float a : acc) s += a;
      partial[task] = s;
    });
    best = std::min(best, seconds_since(start));
  }
  double total = 0;
  for (double p : partial) total += p;
  std::printf(
      "{\"workload\": \"bandwidth\", \"platform\": \"%s\", \"threads\": %d, \"gb_per_s\": %.4g, \"check\": %.0f}\n",
      kPlatform, pool.size(), n * sizeof(float) / best / 1e9, total);
  std::fflush(stdout);
}

cfdm::MatrixXfR sample_moons(const cfdm::TrainingSet& train, cfdm::ThreadPool& pool, cfdm::Estimator estimator,
                             uint64_t seed, double* seconds) {
  cfdm::SamplerParams params = scenario_params("bench-moons-knn");
  params.seed = seed;
  params.estimator = estimator;
  const auto start = Clock::now();
  cfdm::Sampler sampler(train, params, pool);
  sampler.run([](int) { return true; });
  *seconds = seconds_since(start);
  return sampler.states();
}

// The nearest-neighbour estimator (K = L = 15) against the exact kernel on moons, N = 100,000,
// 2,000 samples, 100 steps, sigma = 0: speed (the best of three runs each), and the sliced W2 of
// kNN samples to exact samples against the sliced W2 between exact samples, each the mean over
// every pair of three runs with independent seeds (one pair alone varies by a factor of two).
// Then where the estimator's time goes: each search's build, and its searches for the queries
// z/t of a run's steps (1) from scratch, (2) bounded by each row's neighbours one step earlier
// (their coordinates at hand), as the sampler does, and (3) bounded by the answer itself: no
// bound can do better, so (3) is the floor of the search time. Last, how far the queries sit
// from the data over the flow.
void run_knn(cfdm::ThreadPool& pool) {
  const cfdm::data::Scenario& scenario = cfdm::data::find_scenario("bench-moons-knn");
  const cfdm::TrainingSet train(cfdm::data::make_toy(scenario.data.spec, scenario.data.n_train, 0));
  constexpr int kRuns = 3;
  std::vector<cfdm::MatrixXfR> exact, knn;
  double exact_seconds = 1e300, knn_seconds = 1e300;
  for (int run = 0; run < kRuns; ++run) {
    double seconds;
    exact.push_back(sample_moons(train, pool, cfdm::Estimator::exact, uint64_t(2 * run + 1), &seconds));
    exact_seconds = std::min(exact_seconds, seconds);
    knn.push_back(sample_moons(train, pool, cfdm::Estimator::knn, uint64_t(2 * run + 2), &seconds));
    knn_seconds = std::min(knn_seconds, seconds);
  }
  double sw2_exact_exact = 0, sw2_knn_exact = 0;
  for (int a = 0; a < kRuns; ++a)
    for (int b = 0; b < kRuns; ++b) {
      if (a < b) sw2_exact_exact += cfdm::eval::sliced_wasserstein2(exact[size_t(a)], exact[size_t(b)]);
      sw2_knn_exact += cfdm::eval::sliced_wasserstein2(knn[size_t(a)], exact[size_t(b)]);
    }
  sw2_exact_exact /= kRuns * (kRuns - 1) / 2;
  sw2_knn_exact /= kRuns * kRuns;
  std::printf(
      "{\"workload\": \"knn\", \"platform\": \"%s\", \"threads\": %d, \"runs\": %d, \"exact_seconds\": %.4g, "
      "\"knn_seconds\": %.4g, \"speedup\": %.3g, \"sw2_knn_exact\": %.4g, \"sw2_exact_exact\": %.4g}\n",
      kPlatform, pool.size(), kRuns, exact_seconds, knn_seconds, exact_seconds / knn_seconds, sw2_knn_exact,
      sw2_exact_exact);
  std::fflush(stdout);

  cfdm::SamplerParams params = scenario.params;
  const int k = params.knn.k, rows = params.n_samples;
  cfdm::Sampler sampler(train, params, pool);
  std::vector<cfdm::MatrixXfR> states;
  std::vector<double> times;
  while (sampler.step())
    if (sampler.t() < 1.0) {
      states.push_back(sampler.states());
      times.push_back(sampler.t());
    }
  // The box tree (what the estimator uses in 2-D) and nanoflann's kd-tree, on the same queries.
  for (cfdm::NeighborSearch search : {cfdm::NeighborSearch::box_tree, cfdm::NeighborSearch::kd_tree}) {
    auto start = Clock::now();
    const cfdm::NeighborIndex index(train, search, &pool);
    const double build_seconds = seconds_since(start);
    std::vector<std::vector<int>> answers(states.size(), std::vector<int>(size_t(rows) * k));
    std::vector<std::vector<float>> points(states.size(), std::vector<float>(size_t(rows) * k * 2));
    double seconds[3] = {0, 0, 0};
    for (int mode = 0; mode < 3; ++mode)
      for (size_t s = 0; s < states.size(); ++s) {
        const size_t hint = mode == 1 ? s - 1 : s;  // mode 1, s = 0: unbounded
        const bool hinted = mode == 2 || (mode == 1 && s > 0);
        std::vector<int> found(size_t(rows) * k);
        std::vector<float> found_points(size_t(rows) * k * 2);
        start = Clock::now();
        cfdm::knn_neighbors(train, index, k, states[s].data(), rows, 2, times[s], found.data(), pool, {},
                            hinted ? answers[hint].data() : nullptr, found_points.data(),
                            hinted ? points[hint].data() : nullptr);
        seconds[mode] += seconds_since(start);
        if (mode == 0) {
          answers[s] = found;
          points[s] = found_points;
        }
      }
    std::printf(
        "{\"workload\": \"knn_search\", \"platform\": \"%s\", \"threads\": %d, \"search\": \"%s\", "
        "\"searches\": %zu, \"build_seconds\": %.4g, \"unbounded_seconds\": %.4g, \"previous_step_seconds\": %.4g, "
        "\"own_answer_seconds\": %.4g}\n",
        kPlatform, pool.size(), cfdm::neighbor_search_name(search), states.size() * rows, build_seconds, seconds[0],
        seconds[1], seconds[2]);
    std::fflush(stdout);
  }
  // How far the queries sit from the data: the median distance from z/t to its K-th neighbour
  // at a few times, against the median distance from a training point to its K-th nearest other
  // point (the scale of the data's own neighbourhoods). Far off the data, the K nearest are a
  // thin crescent on the data's edge facing the query, spread over many kd-tree leaves.
  std::string query_scale;
  for (double at : {0.1, 0.3, 0.5, 0.7, 0.9}) {
    size_t s = 0;
    while (s + 1 < times.size() && times[s] < at - 1e-9) ++s;
    const cfdm::MatrixXfR queries = states[s] / float(times[s]);
    const cfdm::eval::Nearest nearest = cfdm::eval::nearest_training(train, queries, k, pool);
    std::vector<double> kth(rows);
    for (int r = 0; r < rows; ++r) kth[size_t(r)] = nearest.distance[size_t(r) * k + k - 1];
    std::nth_element(kth.begin(), kth.begin() + rows / 2, kth.end());
    char entry[64];
    std::snprintf(entry, sizeof entry, "%s\"%.2f\": %.4g", query_scale.empty() ? "" : ", ", times[s], kth[rows / 2]);
    query_scale += entry;
  }
  std::printf(
      "{\"workload\": \"knn_queries\", \"platform\": \"%s\", \"query_kth_distance\": {%s}, "
      "\"data_kth_distance\": %.4g}\n",
      kPlatform, query_scale.c_str(), cfdm::eval::typical_spacing(train, pool, rows, k));
  std::fflush(stdout);
}

// Where the trees stop paying off: K = 15 neighbours of 2,000 queries among N = 20,000 Gaussian
// points, by dimension: box tree (up to d = 8), kd-tree and the blocked brute-force search.
void run_crossover(cfdm::ThreadPool& pool) {
  for (int d : {2, 3, 4, 6, 8, 12, 16, 24, 32, 64}) {
    cfdm::MatrixXfR points(20000, d), queries(2000, d);
    cfdm::Rng rng(0, 7);
    for (Eigen::Index i = 0; i < points.size(); ++i) points.data()[i] = float(rng.normal());
    for (Eigen::Index i = 0; i < queries.size(); ++i) queries.data()[i] = float(rng.normal());
    const cfdm::TrainingSet train(points);
    std::vector<int> found(2000 * 15);
    const cfdm::NeighborSearch searches[3] = {cfdm::NeighborSearch::box_tree, cfdm::NeighborSearch::kd_tree,
                                              cfdm::NeighborSearch::brute_force};
    double seconds[3] = {-1, -1, -1};  // -1: not available in this dimension
    for (int s = 0; s < 3; ++s) {
      if (searches[s] == cfdm::NeighborSearch::box_tree && d > cfdm::kBoxTreeMaxDim) continue;
      const cfdm::NeighborIndex index(train, searches[s], &pool);
      const auto start = Clock::now();
      index.find(queries.data(), 2000, d, 15, found.data(), pool);
      seconds[s] = seconds_since(start);
    }
    std::printf(
        "{\"workload\": \"crossover\", \"platform\": \"%s\", \"dim\": %d, \"box_tree_seconds\": %.4g, "
        "\"kd_tree_seconds\": %.4g, \"brute_force_seconds\": %.4g}\n",
        kPlatform, d, seconds[0], seconds[1], seconds[2]);
    std::fflush(stdout);
  }
}

// Real MNIST (prepared by scripts/setup.sh): (1) pixel space, exact, uint8 storage, 64 samples,
// start-t 0.9 of 100 steps; (2) a 64-dimensional PCA space with the nearest-neighbour estimator
// (K = L = 15), 100 steps from t = 0: images per second.
// All of MNIST's training images as a training set, or none (said as the workload's skip line)
// when it is not prepared.
std::unique_ptr<cfdm::TrainingSet> mnist_pixels(const char* workload, cfdm::ThreadPool& pool) {
  const std::string dir = cfdm::data::default_data_dir();
  if (!cfdm::data::file_exists(dir + "/mnist-images.idx")) {
    std::printf("{\"workload\": \"%s\", \"platform\": \"%s\", \"skipped\": \"MNIST not prepared in %s\"}\n", workload,
                kPlatform, dir.c_str());
    return nullptr;
  }
  cfdm::data::Dataset dataset;
  dataset.images = cfdm::data::load_image_dataset("mnist", dir);
  return std::make_unique<cfdm::TrainingSet>(cfdm::data::make_training_set(std::move(dataset), &pool));
}

void run_mnist_real(cfdm::ThreadPool& pool, cfdm::Isa isa, bool pixel, bool pca_knn) {
  const std::unique_ptr<cfdm::TrainingSet> loaded = mnist_pixels("mnist_real", pool);
  if (!loaded) return;
  const cfdm::TrainingSet& pixels = *loaded;
  if (pixel) run_workload("mnist_real", scenario_params("bench-mnist"), pixels, pool, isa, 2);
  if (!pca_knn) return;

  const auto fit_start = Clock::now();
  const cfdm::data::Scenario& scenario = cfdm::data::find_scenario("bench-mnist-pca-knn");
  const cfdm::data::Pca pca(pixels, scenario.pca_dim);
  const cfdm::TrainingSet latent(pca.encode(pixels));
  const double fit_seconds = seconds_since(fit_start);
  for (bool shared : {false, true}) {
    cfdm::SamplerParams params = scenario.params;
    params.knn.neighbors_per_draw = !shared;
    const auto start = Clock::now();
    cfdm::Sampler sampler(latent, params, pool);
    sampler.run([](int) { return true; });
    const cfdm::MatrixXfR images = pca.decode(sampler.states());
    const double seconds = seconds_since(start);
    std::printf(
        "{\"workload\": \"mnist_pca_knn\", \"platform\": \"%s\", \"threads\": %d, \"pca_dim\": 64, "
        "\"explained_variance\": %.4f, \"fit_seconds\": %.3g, \"neighbors\": \"%s\", \"n_samples\": %d, "
        "\"steps\": 100, \"seconds\": %.4g, \"images_per_s\": %.4g}\n",
        kPlatform, pool.size(), pca.explained_variance(), fit_seconds, shared ? "shared" : "per-draw", params.n_samples,
        seconds, params.n_samples / seconds);
    std::fflush(stdout);
  }
}

// The fraction of each query's true k nearest (exact search) that the IVF index finds, averaged.
double recall(const std::vector<int>& exact, const std::vector<int>& found, int n_queries, int k) {
  int64_t hits = 0;
  for (int r = 0; r < n_queries; ++r) {
    std::vector<int> truth(exact.begin() + int64_t(r) * k, exact.begin() + int64_t(r + 1) * k);
    std::sort(truth.begin(), truth.end());
    for (int j = 0; j < k; ++j) hits += std::binary_search(truth.begin(), truth.end(), found[size_t(r) * k + j]);
  }
  return double(hits) / (int64_t(n_queries) * k);
}

// Root-mean-square distance between matching rows of a and b, over the rms distance between
// different rows of a (how far apart independent samples lie): 0 = the same samples.
double relative_distance(const cfdm::MatrixXfR& a, const cfdm::MatrixXfR& b) {
  double same = 0, apart = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    same += (a.row(i) - b.row(i)).squaredNorm();
    apart += (a.row(i) - a.row((i + 1) % a.rows())).squaredNorm();
  }
  return std::sqrt(same / std::max(apart, 1e-30));
}

// The IVF index against the exact search: recall of the true K nearest of noised training points
// z/t = x + (1 - t)/t eps at several t, and the kNN sampler with each search (time, and how far
// its samples lie from the exact search's). Runs on a training set (pixels or PCA latents).
void run_ivf_on(const char* name, const cfdm::TrainingSet& train, cfdm::SamplerParams params, cfdm::ThreadPool& pool,
                cfdm::Isa isa, const std::vector<int>& probes) {
  const int k = params.knn.k, n_queries = 640, d = train.dim();
  cfdm::KernelOptions kernel;
  kernel.isa = isa;
  const cfdm::NeighborIndex exact(train, cfdm::NeighborSearch::brute_force, &pool);
  std::vector<int> resolved;  // the probe counts used (0 asks for the default)
  for (int probe : probes) {
    cfdm::IvfOptions options;
    options.probe = probe;
    options.k = k;
    options.isa = isa;
    const auto build_start = Clock::now();
    const cfdm::NeighborIndex ivf(train, cfdm::NeighborSearch::ivf, &pool, options);
    const double build_seconds = seconds_since(build_start);
    resolved.push_back(ivf.ivf_probe());
    if (ivf.ivf_recall() > 0) {
      std::string levels;
      for (const auto& level : ivf.ivf_calibration())
        levels += (levels.empty() ? "" : ", ") + std::to_string(level.second);
      std::printf(
          "{\"workload\": \"ivf_calibration\", \"platform\": \"%s\", \"data\": \"%s\", \"recall\": %g, "
          "\"cells\": %d, \"probes\": [%s]}\n",
          kPlatform, name, ivf.ivf_recall(), ivf.ivf_cells(), levels.c_str());
    }
    for (double t : {0.3, 0.6, 0.9}) {
      cfdm::Rng rng(7, 0, uint64_t(t * 100));
      std::vector<float> queries(size_t(n_queries) * d);
      for (int r = 0; r < n_queries; ++r) {
        const int i = int(rng.uniform_index(uint32_t(train.n())));
        for (int c = 0; c < d; ++c)
          queries[size_t(r) * d + c] = float(train.centered(i, c) + (1 - t) / t * rng.normal());
      }
      std::vector<int> truth(size_t(n_queries) * k), found(truth.size());
      auto start = Clock::now();
      exact.find(queries.data(), n_queries, d, k, truth.data(), pool, kernel);
      const double exact_seconds = seconds_since(start);
      start = Clock::now();
      ivf.find(queries.data(), n_queries, d, k, found.data(), pool, kernel);
      const double ivf_seconds = seconds_since(start);
      std::printf(
          "{\"workload\": \"ivf_recall\", \"platform\": \"%s\", \"data\": \"%s\", \"threads\": %d, \"k\": %d, "
          "\"t\": %g, \"cells\": %d, \"probe\": %d, \"build_seconds\": %.4g, \"exact_seconds\": %.4g, "
          "\"ivf_seconds\": %.4g, \"recall\": %.4f}\n",
          kPlatform, name, pool.size(), k, t, ivf.ivf_cells(), ivf.ivf_probe(), build_seconds, exact_seconds,
          ivf_seconds, recall(truth, found, n_queries, k));
      std::fflush(stdout);
    }
  }
  // The sampler, exact search against the index at each probe count; and the exact search in
  // floats alone (no byte pass: the same samples), the scan the index was first measured against.
  params.kernel.isa = isa;
  params.knn.search = cfdm::NeighborSearch::brute_force;
  params.knn.byte_scan = false;
  auto start = Clock::now();
  cfdm::Sampler in_floats(train, params, pool);
  in_floats.run([](int) { return true; });
  const double float_seconds = seconds_since(start);
  params.knn.byte_scan = true;
  start = Clock::now();
  cfdm::Sampler reference(train, params, pool);
  reference.run([](int) { return true; });
  const double exact_seconds = seconds_since(start);
  if (in_floats.states() != reference.states()) std::fprintf(stderr, "cfdm_bench: the two exact scans differ\n");
  for (int probe : resolved) {
    params.knn.search = cfdm::NeighborSearch::ivf;
    params.knn.ivf.probe = probe;
    start = Clock::now();
    cfdm::Sampler sampler(train, params, pool);
    sampler.run([](int) { return true; });
    const double seconds = seconds_since(start);
    std::printf(
        "{\"workload\": \"ivf_sampler\", \"platform\": \"%s\", \"data\": \"%s\", \"threads\": %d, \"k\": %d, "
        "\"l\": %d, \"draws\": %d, \"steps\": %d, \"n_samples\": %d, \"probe\": %d, \"exact_seconds\": %.4g, "
        "\"float_scan_seconds\": %.4g, \"ivf_seconds\": %.4g, \"relative_distance\": %.4g}\n",
        kPlatform, name, pool.size(), k, params.knn.l, params.n_draws, params.n_steps, params.n_samples, probe,
        exact_seconds, float_seconds, seconds, relative_distance(sampler.states(), reference.states()));
    std::fflush(stdout);
  }
}

void run_ivf(cfdm::ThreadPool& pool, cfdm::Isa isa, const std::vector<int>& probes) {
  const std::unique_ptr<cfdm::TrainingSet> loaded = mnist_pixels("ivf", pool);
  if (!loaded) return;
  const cfdm::TrainingSet& pixels = *loaded;
  // The workload: K = 200 per perturbed query, M = 10 draws a step, 10 steps, 64 samples.
  cfdm::SamplerParams params = cfdm::default_sampler_params();
  params.estimator = cfdm::Estimator::knn;
  params.knn.k = 200;
  params.knn.l = 15;
  params.sigma = 0.5;
  params.n_draws = 10;
  params.n_steps = 10;
  params.n_samples = 64;
  run_ivf_on("mnist", pixels, params, pool, isa, probes);
  // The 64-dimensional PCA space: the bench-mnist-pca-knn scenario.
  const cfdm::data::Scenario& scenario = cfdm::data::find_scenario("bench-mnist-pca-knn");
  const cfdm::data::Pca pca(pixels, scenario.pca_dim);
  const cfdm::TrainingSet latent(pca.encode(pixels));
  run_ivf_on("mnist_pca64", latent, scenario.params, pool, isa, probes);
}

// The local model's floor (local_floor.hpp): on MNIST's threes (N = 6,131), 16 held-out threes
// noised to each time of a 10-step DDIM grid (z = t x + (1 - t) eps), one evaluation each of the
// exact model, the local model (its patch schedule) and the local model's logits alone, on one
// instruction set (the logits' own build for it); the best of three per time, summed over the grid.
void run_local_floor(cfdm::ThreadPool& pool, cfdm::Isa isa) {
  const std::string dir = cfdm::data::default_data_dir();
  const std::string class_name = cfdm::data::class_dataset_name("mnist", 3);
  if (!cfdm::data::image_dataset_prepared(class_name, dir) ||
      !cfdm::data::file_exists(dir + "/mnist-test-images.idx")) {
    std::printf("{\"workload\": \"local_floor\", \"platform\": \"%s\", \"skipped\": \"MNIST not prepared in %s\"}\n",
                kPlatform, dir.c_str());
    return;
  }
  if (isa == cfdm::Isa::best) isa = cfdm::best_isa();
  cfdm::bench::LocalLogits logits = nullptr;
  if (isa == cfdm::Isa::sse2 || isa == cfdm::Isa::simd128) logits = &cfdm::bench::local_logits_base;
#if defined(__x86_64__)
  if (isa == cfdm::Isa::avx512) logits = &cfdm::bench::local_logits_avx512;
#endif
  if (!logits) {
    std::printf(
        "{\"workload\": \"local_floor\", \"platform\": \"%s\", \"skipped\": \"no logits build for %s "
        "(--isa sse2, avx512 or simd128)\"}\n",
        kPlatform, cfdm::isa_name(isa));
    return;
  }
  cfdm::data::Dataset dataset;
  dataset.images = cfdm::data::load_image_dataset(class_name, dir);
  const cfdm::ImageShape shape{dataset.images.height, dataset.images.width, dataset.images.channels};
  const cfdm::TrainingSet train = cfdm::data::make_training_set(std::move(dataset), &pool);
  const cfdm::MatrixXfR held_out = cfdm::data::to_matrix(cfdm::data::select(
      cfdm::data::read_idx(dir + "/mnist-test-images.idx", dir + "/mnist-test-labels.idx"), {3}, 16));
  const int n_queries = int(held_out.rows()), d = train.dim();
  cfdm::KernelOptions kernel;
  kernel.isa = isa;
  const std::unique_ptr<cfdm::PosteriorMean> exact = cfdm::make_exact_posterior_mean(train, pool, kernel);
  const std::unique_ptr<cfdm::PosteriorMean> local = cfdm::make_local_posterior_mean(train, shape, 0, pool, isa);
  const std::vector<double> grid = cfdm::time_grid(cfdm::Schedule::ddim, 10);
  cfdm::MatrixXfR z(n_queries, d), out(n_queries, d);
  double exact_seconds = 0, local_seconds = 0, logits_seconds = 0, kept = 0;
  for (size_t step = 0; step + 1 < grid.size(); ++step) {
    const double t = grid[step];
    cfdm::Rng rng(0, step);
    for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = float(t * held_out.data()[i] + (1 - t) * rng.normal());
    const int radius = cfdm::local_patch_size(shape, 0, t) / 2;
    double best[3] = {1e30, 1e30, 1e30};
    for (int r = 0; r < 3; ++r) {
      auto start = Clock::now();
      exact->evaluate(z.data(), n_queries, d, t, -1, out.data(), d);
      best[0] = std::min(best[0], seconds_since(start));
      start = Clock::now();
      local->evaluate(z.data(), n_queries, d, t, -1, out.data(), d);
      best[1] = std::min(best[1], seconds_since(start));
      start = Clock::now();
      kept += logits(train, pool, z.data(), n_queries, t, shape, radius);
      best[2] = std::min(best[2], seconds_since(start));
    }
    exact_seconds += best[0];
    local_seconds += best[1];
    logits_seconds += best[2];
  }
  std::printf(
      "{\"workload\": \"local_floor\", \"platform\": \"%s\", \"isa\": \"%s\", \"threads\": %d, \"n_train\": %d, "
      "\"n_queries\": %d, \"steps\": 10, \"exact_seconds\": %.4g, \"local_seconds\": %.4g, \"logits_seconds\": %.4g, "
      "\"local_per_exact\": %.3g, \"logits_per_exact\": %.3g, \"logits_share_of_local\": %.3g, \"kept\": %.6g}\n",
      kPlatform, cfdm::isa_name(isa), pool.size(), train.n(), n_queries, exact_seconds, local_seconds, logits_seconds,
      local_seconds / exact_seconds, logits_seconds / exact_seconds, logits_seconds / local_seconds, kept);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string workload = "all";
  int threads = 2;
  cfdm::Isa isa = cfdm::Isa::best;
  std::vector<int> probes = {0};  // the IVF index's probe counts (0: its default)
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--workload")
      workload = value;
    else if (key == "--probes") {
      probes.clear();
      for (size_t at = 0; at < value.size();) {
        const size_t comma = std::min(value.find(',', at), value.size());
        probes.push_back(std::stoi(value.substr(at, comma - at)));
        at = comma + 1;
      }
    } else if (key == "--threads")
      threads = std::stoi(value);
    else if (key == "--isa") {
      for (cfdm::Isa candidate :
           {cfdm::Isa::scalar, cfdm::Isa::sse2, cfdm::Isa::avx2, cfdm::Isa::avx512, cfdm::Isa::simd128})
        if (value == cfdm::isa_name(candidate)) isa = candidate;
    } else {
      std::fprintf(
          stderr,
          "usage: cfdm_bench [--workload moons|mnist|mnist_real|mnist_pca|knn|crossover|bandwidth|ivf|local_floor|all] "
          "[--threads N] [--isa NAME] [--probes P1,P2,...]\n");
      return 2;
    }
  }
  if (!cfdm::isa_available(isa)) {
    std::fprintf(stderr, "cfdm_bench: %s is not available here\n", cfdm::isa_name(isa));
    return 2;
  }
  cfdm::ThreadPool pool(threads);
  if (workload == "bandwidth" || workload == "all") run_bandwidth(pool);
  if (workload == "knn" || workload == "all") run_knn(pool);
  if (workload == "mnist_real" || workload == "mnist_pca" || workload == "all")
    run_mnist_real(pool, isa, workload != "mnist_pca", workload != "mnist_real");
  if (workload == "crossover" || workload == "all") run_crossover(pool);
  if (workload == "ivf") run_ivf(pool, isa, probes);          // not in all: bench_data.py runs it
  if (workload == "local_floor") run_local_floor(pool, isa);  // not in all: bench_models.py runs it
  if (workload == "moons" || workload == "all") {
    // (a) moons, N = 10,000, 2,000 samples, 100 steps, sigma = 0.
    const cfdm::data::Scenario& scenario = cfdm::data::find_scenario("bench-moons");
    run_workload("moons", scenario.params,
                 cfdm::TrainingSet(cfdm::data::make_toy(scenario.data.spec, scenario.data.n_train, 0)), pool, isa, 3);
  }
  if (workload == "mnist" || workload == "all") {
    // (b) random MNIST-shaped data: N = 60,000, d = 784 uniform in [0, 1), 64 samples, sigma = 0,
    // start-t 0.9 of 100 steps: 10 Euler steps.
    // The sampler's settings of bench-mnist, on synthetic data of its shape.
    cfdm::MatrixXfR points(60000, 784);
    cfdm::Rng rng(0, 1);
    for (Eigen::Index i = 0; i < points.size(); ++i) points.data()[i] = float(rng.uniform());
    run_workload("mnist", scenario_params("bench-mnist"), cfdm::TrainingSet(points), pool, isa, 2);
  }
  return 0;
}
