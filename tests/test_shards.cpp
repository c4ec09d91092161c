// A training set split into parts (the shards of `mpirun -np P cfdm sample`, cli/mpi.cpp): each
// part centred on the whole set's mean, its online-softmax states, merged (kernel.hpp). Checked
// against the float64 oracle, and one part against the one-process kernel bit for bit, on every
// kernel path and instruction set; the sampler's start at T through a denoiser that fetches
// the drawn points.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernel.hpp"
#include "core/knn.hpp"
#include "core/neighbors.hpp"
#include "core/posterior_mean.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

// What mpi.cpp does across processes, within one: the parts built on threads of their own, their
// sums exchanged at a barrier and added in part order.
class LocalExchange {
 public:
  explicit LocalExchange(int parts) : slots_(size_t(parts)) {}
  void whole_sums(int part, std::vector<double>& values) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int round = round_;
    slots_[size_t(part)] = values;
    if (++arrived_ == int(slots_.size())) {
      std::vector<double> total(values.size(), 0.0);
      for (const auto& slot : slots_)
        for (size_t k = 0; k < total.size(); ++k) total[k] += slot[k];
      results_[round] = total;
      arrived_ = 0;
      ++round_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return round_ != round; });
    }
    values = results_[round];
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<std::vector<double>> slots_;
  std::map<int, std::vector<double>> results_;
  int arrived_ = 0, round_ = 0;
};

// Runs make(p) for every part p on a thread of its own (their sums are exchanged), in order. (At
// most three parts with a pool of two beside them: the WebAssembly build has four threads.)
template <class T, class Make>
std::vector<T> on_every_part(int parts, Make make) {
  std::vector<std::unique_ptr<T>> made(static_cast<size_t>(parts));
  std::vector<std::thread> threads;
  for (int p = 0; p < parts; ++p) threads.emplace_back([&, p] { made[size_t(p)] = std::make_unique<T>(make(p)); });
  for (std::thread& thread : threads) thread.join();
  std::vector<T> out;
  for (auto& m : made) out.push_back(std::move(*m));
  return out;
}

// The parts of x (rows [p N / P, (p + 1) N / P)), each centred on the whole set's mean.
std::vector<TrainingSet> centred_parts(const MatrixXfR& x, int parts, const std::shared_ptr<LocalExchange>& exchange) {
  const int64_t n = x.rows();
  const int d = int(x.cols());
  return on_every_part<TrainingSet>(parts, [&](int p) {
    const int lo = int(n * p / parts), hi = int(n * (p + 1) / parts);
    const auto read = [&](int first, int count, float* dst, int stride) {
      for (int j = 0; j < count; ++j)
        for (int k = 0; k < d; ++k) dst[size_t(j) * stride + k] = x(lo + first + j, k);
    };
    TrainingSet::Part part{lo, int(n), [exchange, p](std::vector<double>& values) { exchange->whole_sums(p, values); }};
    return TrainingSet(hi - lo, d, read, nullptr, part);
  });
}

std::vector<TrainingSet> centred_parts(const MatrixXfR& x, int parts) {
  return centred_parts(x, parts, std::make_shared<LocalExchange>(parts));
}

MatrixXfR merged_means(const std::vector<TrainingSet>& parts, const MatrixXfR& z, double t, const KernelOptions& options,
                       ThreadPool& pool) {
  const int d = parts[0].dim(), b = int(z.rows());
  std::vector<std::vector<float>> states;
  std::vector<const float*> pointers;
  for (const TrainingSet& part : parts) {
    states.emplace_back(size_t(b) * (d + kStateHead));
    EXPECT_TRUE(posterior_mean_states(part, z.data(), b, d, t, states.back().data(), pool, options));
  }
  for (const auto& state : states) pointers.push_back(state.data());
  MatrixXfR out(b, d);
  merge_softmax_states(pointers.data(), int(parts.size()), b, d, parts[0].mean().data(),
                       uses_direct_kernel(parts[0], options), out.data(), d);
  return out;
}

struct ShardCase {
  int n, d, parts;
  KernelPath path;
};

class ShardsVsReference : public ::testing::TestWithParam<ShardCase> {};

TEST_P(ShardsVsReference, MergedPartsMatchFloat64AndOnePartIsTheKernelBitForBit) {
  const ShardCase c = GetParam();
  const MatrixXfR x = normal_points(c.n, c.d, 3);
  const TrainingSet whole(x);
  const std::vector<TrainingSet> parts = centred_parts(x, c.parts);
  const std::vector<TrainingSet> one = centred_parts(x, 1);
  for (const TrainingSet& part : parts)
    for (int k = 0; k < c.d; ++k) ASSERT_NEAR(part.mean()[size_t(k)], whole.mean()[size_t(k)], 1e-6);
  ThreadPool pool(2);
  for (double t : {0.0, 0.3, 0.7, 0.9, 0.99}) {
    MatrixXfR z = normal_points(13, c.d, 4) * float(1 - t);
    for (int b = 0; b < z.rows(); ++b) z.row(b) += float(t) * x.row(b % c.n);
    const MatrixXdR expected = oracle_mean(x.cast<double>(), z.cast<double>(), t);
    for (Isa isa : available_isas()) {
      KernelOptions options;
      options.isa = isa;
      options.path = c.path;
      MatrixXfR kernel(z.rows(), c.d);
      ASSERT_TRUE(posterior_mean(whole, z.data(), int(z.rows()), c.d, t, kernel.data(), c.d, pool, options));
      const MatrixXfR merged = merged_means(parts, z, t, options, pool);
      const double tolerance = 1.5e-6 * (1 + std::sqrt(double(c.d))) * (t > 0.95 ? 10 : 1);
      EXPECT_LT(max_abs_diff(merged, expected), tolerance) << "t=" << t << " isa=" << isa_name(isa);
      // One part: the kernel's own result, bit for bit.
      EXPECT_EQ(max_abs_diff(merged_means(one, z, t, options, pool), kernel.cast<double>()), 0.0)
          << "t=" << t << " isa=" << isa_name(isa);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ShardsVsReference,
                         ::testing::Values(ShardCase{300, 2, 2, KernelPath::direct}, ShardCase{301, 3, 3, KernelPath::direct},
                                           ShardCase{3, 2, 3, KernelPath::direct},
                                           ShardCase{300, 20, 3, KernelPath::expanded},
                                           ShardCase{200, 784, 2, KernelPath::expanded},
                                           ShardCase{2000, 33, 3, KernelPath::expanded}));

// A part whose every weight underflows adds nothing: far from one part's points, late in the flow,
// the merge is the other part's posterior mean.
TEST(Shards, APartWhoseWeightsVanishAddsNothing) {
  MatrixXfR x(4, 2);
  x << 0, 0, 0.1f, 0, 50, 50, 50.1f, 50;
  const std::vector<TrainingSet> parts = centred_parts(x, 2);
  ThreadPool pool(1);
  MatrixXfR z(2, 2);
  z << 0.06f * 0.9f, 0.0f, 50.04f * 0.9f, 50.0f * 0.9f;  // the far part's logits are about -1e5
  for (KernelPath path : {KernelPath::direct, KernelPath::expanded}) {
    KernelOptions options;
    options.path = path;
    // The logits are about 5e4 in size: the kernel's own float rounding is the bound.
    const MatrixXdR expected = oracle_mean(x.cast<double>(), z.cast<double>(), 0.9);
    const TrainingSet whole(x);
    MatrixXfR kernel(2, 2);
    ASSERT_TRUE(posterior_mean(whole, z.data(), 2, 2, 0.9, kernel.data(), 2, pool, options));
    const MatrixXfR got = merged_means(parts, z, 0.9, options, pool);
    EXPECT_LT(max_abs_diff(got, expected), 1e-5 + 2 * max_abs_diff(kernel, expected));
    EXPECT_LT(max_abs_diff(got, expected), 1e-3);
  }
}

// uint8 parts: their column sums are whole numbers, so every part's mean is the whole set's exactly.
TEST(Shards, Uint8PartsShareTheWholeMeanExactly) {
  std::vector<uint8_t> values(size_t(101) * 7);
  for (size_t i = 0; i < values.size(); ++i) values[i] = uint8_t((i * 37 + i / 7) % 256);
  const TrainingSet whole(values.data(), 101, 7, 1.0f / 255.0f);
  std::vector<double> total(7, 0.0);
  for (size_t i = 0; i < values.size(); ++i) total[i % 7] += values[i];
  for (int lo : {0, 40}) {
    const int hi = lo == 0 ? 40 : 101;
    LargeVector<uint8_t> part(values.begin() + lo * 7, values.begin() + hi * 7);
    TrainingSet::Part shard_part{lo, 101, [&](std::vector<double>& sums) {
                              ASSERT_EQ(sums.size(), 8u);
                              sums = total;
                              sums.push_back(101);
                            }};
    const TrainingSet set(std::move(part), hi - lo, 7, 1.0f / 255.0f, nullptr, shard_part);
    EXPECT_EQ(set.mean(), whole.mean());
    for (int i = 0; i < hi - lo; ++i)
      for (int k = 0; k < 7; ++k) EXPECT_EQ(set.centered(i, k), whole.centered(lo + i, k));
  }
}

// Every model of the analytic family on a set split into parts: the parts' states merged (or, for
// Wiener, each part alone on the whole set's statistics) agree with the model on the whole set,
// and one part gives its bits. The whole-set models are checked against float64 oracles in
// test_models.cpp and test_gaussian.cpp.
MatrixXfR model_images(int n, uint64_t seed) {
  const MatrixXfR noise = normal_points(n, 4, seed);
  MatrixXfR x(n, 6 * 5 * 2);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < x.cols(); ++k)
      x(i, k) = 0.5f + 0.25f * std::tanh(noise(i, 0) * float(k % 7) / 3 + noise(i, 1) * float(k % 5) / 3 + noise(i, 2 + k % 2));
  return x;
}

TEST(Shards, EveryModelOnPartsIsTheModelOnTheWholeSet) {
  const ImageShape shape{6, 5, 2};
  const MatrixXfR x = model_images(60, 11);
  const TrainingSet whole(x);
  struct Named {
    const char* name;
    Model model;
    double tau;
  };
  for (const Named m : {Named{"cfdm", Model::cfdm, 1.0}, Named{"local", Model::local, 1.0},
                        Named{"local, tau 0.5", Model::local, 0.5}, Named{"pca-local", Model::pca_local, 1.0},
                        Named{"nearest", Model::nearest, 1.0}, Named{"wiener", Model::wiener, 1.0}}) {
    SamplerParams params = default_sampler_params();
    params.denoiser.model = m.model;
    params.denoiser.temperature = m.tau;
    if (m.model == Model::local) {
      params.denoiser.image = shape;
      params.denoiser.patch = 3;
    }
    ThreadPool pool(2);
    const std::unique_ptr<PosteriorMean> reference = make_posterior_mean(whole, params, pool);
    for (int n_parts : {1, 2, 3}) {
      const std::vector<TrainingSet> parts = centred_parts(x, n_parts);
      std::vector<std::unique_ptr<ThreadPool>> pools;
      for (int p = 0; p < n_parts; ++p) pools.push_back(std::make_unique<ThreadPool>(1));
      std::vector<std::unique_ptr<PosteriorMean>> models = on_every_part<std::unique_ptr<PosteriorMean>>(
          n_parts, [&](int p) { return make_posterior_mean(parts[size_t(p)], params, *pools[size_t(p)]); });
      for (double t : {0.0, 0.4, 0.8, 0.95}) {
        const MatrixXfR z = normal_points(9, int(x.cols()), 12) * float(1 - t) + float(t) * x.topRows(9);
        MatrixXfR expected(z.rows(), z.cols()), got(z.rows(), z.cols());
        ASSERT_TRUE(reference->evaluate(z.data(), 9, int(z.cols()), t, -1, expected.data(), int(z.cols())));
        if (models[0]->parts() == PosteriorMean::Parts::independent) {
          for (auto& model : models) {
            ASSERT_TRUE(model->evaluate(z.data(), 9, int(z.cols()), t, -1, got.data(), int(z.cols())));
            EXPECT_LT(max_abs_diff(got, expected.cast<double>()), 1e-5) << m.name << " t=" << t;
          }
          continue;
        }
        ASSERT_EQ(models[0]->parts(), PosteriorMean::Parts::merged) << m.name;
        std::vector<std::vector<unsigned char>> states;
        std::vector<const unsigned char*> pointers;
        for (auto& model : models) {
          states.emplace_back(9 * model->state_bytes());
          ASSERT_TRUE(model->evaluate_states(z.data(), 9, int(z.cols()), t, states.back().data()));
        }
        for (const auto& state : states) pointers.push_back(state.data());
        models[0]->merge_states(pointers.data(), n_parts, 9, got.data(), int(z.cols()));
        const double diff = max_abs_diff(got, expected.cast<double>());
        if (n_parts == 1)
          EXPECT_EQ(diff, 0.0) << m.name << " t=" << t;
        else
          EXPECT_LT(diff, 1e-5) << m.name << " t=" << t << " parts=" << n_parts;
      }
    }
  }
}

// The nearest-neighbour estimator on parts (knn.hpp): the merged candidates are the whole set's
// K nearest, and the merged sums its estimate (over the same neighbours and draws).
TEST(Shards, TheNearestNeighbourEstimatorOnPartsIsTheEstimatorOnTheWholeSet) {
  for (int d : {2, 20}) {
    const MatrixXfR x = normal_points(400, d, 14);
    const TrainingSet whole(x);
    ThreadPool pool(2);
    const NeighborIndex whole_index(whole, NeighborSearch::automatic, &pool);
    for (bool weight_numerator : {true, false}) {
      KnnOptions options;
      options.k = 12;
      options.l = 9;
      options.weight_numerator = weight_numerator;
      for (int n_parts : {1, 2, 3}) {
        const std::vector<TrainingSet> parts = centred_parts(x, n_parts);
        std::vector<std::unique_ptr<NeighborIndex>> indexes;
        for (const TrainingSet& part : parts)
          indexes.push_back(std::make_unique<NeighborIndex>(part, NeighborSearch::automatic, &pool));
        for (double t : {0.3, 0.7, 0.9}) {
          const MatrixXfR z = normal_points(7, d, 15) * float(1 - t) + float(t) * x.topRows(7);
          std::vector<int> expected_neighbors(size_t(7) * options.k), neighbors(size_t(7) * options.k);
          ASSERT_TRUE(knn_neighbors(whole, whole_index, options.k, z.data(), 7, d, t, expected_neighbors.data(), pool));
          std::vector<std::vector<double>> candidates;
          std::vector<const double*> pointers;
          for (size_t p = 0; p < parts.size(); ++p) {
            candidates.emplace_back(size_t(7) * options.k * kKnnCandidateDoubles);
            ASSERT_TRUE(knn_part_candidates(parts[p], *indexes[p], options.k, z.data(), 7, d, t,
                                            candidates.back().data(), pool));
          }
          for (const auto& c : candidates) pointers.push_back(c.data());
          knn_merge_candidates(pointers.data(), n_parts, 7, options.k, neighbors.data());
          for (int r = 0; r < 7; ++r) {  // the same set (the order within it may differ)
            std::vector<int> a(expected_neighbors.begin() + r * options.k, expected_neighbors.begin() + (r + 1) * options.k);
            std::vector<int> b(neighbors.begin() + r * options.k, neighbors.begin() + (r + 1) * options.k);
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            EXPECT_EQ(a, b) << "d=" << d << " t=" << t << " parts=" << n_parts;
          }
          MatrixXfR expected(7, d), got(7, d);
          ASSERT_TRUE(knn_posterior_mean(whole, whole_index, options, z.data(), 7, d, t, 5, 6, expected.data(), d, pool,
                                         {}, neighbors.data()));
          std::vector<std::vector<double>> sums;
          std::vector<const double*> sum_pointers;
          for (const TrainingSet& part : parts) {
            sums.emplace_back(size_t(7) * knn_part_state_doubles(d));
            knn_part_sums(part, options, z.data(), 7, d, t, 5, 6, neighbors.data(), sums.back().data(), pool);
          }
          for (const auto& sum : sums) sum_pointers.push_back(sum.data());
          knn_merge_sums(sum_pointers.data(), n_parts, 7, d, parts[0].mean().data(), got.data(), d);
          EXPECT_LT(max_abs_diff(got, expected.cast<double>()), 2e-6) << "d=" << d << " t=" << t << " parts=" << n_parts;
        }
      }
    }
  }
}

// A denoiser that answers for a larger set than the one it holds: the sampler's start at T draws
// its points through training_points, from all of them.
class WholeSetView final : public PosteriorMean {
 public:
  WholeSetView(const TrainingSet& part, const TrainingSet& whole, ThreadPool& pool)
      : PosteriorMean(part), whole_(whole), inner_(make_exact_posterior_mean(whole, pool)) {}
  bool evaluate(const float* q, int n, int stride, double t, int step, float* out, int out_stride, const float* p,
                int np) override {
    return inner_->evaluate(q, n, stride, t, step, out, out_stride, p, np);
  }
  int total_points() const override { return whole_.n(); }
  void training_points(const int* indices, int count, float* out) const override {
    for (int j = 0; j < count; ++j)
      for (int k = 0; k < whole_.dim(); ++k) out[size_t(j) * whole_.dim() + k] = whole_.coordinate(indices[j], k);
  }

 private:
  const TrainingSet& whole_;
  std::unique_ptr<PosteriorMean> inner_;
};

TEST(Shards, TheStartAtTDrawsFromTheDenoisersWholeSet) {
  const MatrixXfR x = normal_points(500, 3, 5);
  const TrainingSet whole(x), part(MatrixXfR(x.topRows(10)));
  ThreadPool pool(2);
  SamplerParams params = default_sampler_params();
  params.n_samples = 64;
  params.n_steps = 20;
  params.start_t = 0.5;
  params.seed = 9;
  Sampler plain(whole, params, pool);
  Sampler viewed(part, params, pool, std::make_unique<WholeSetView>(part, whole, pool));
  EXPECT_EQ(max_abs_diff(plain.states(), viewed.states().cast<double>()), 0.0);
  plain.run([](int) { return true; });
  viewed.run([](int) { return true; });
  EXPECT_EQ(max_abs_diff(plain.states(), viewed.states().cast<double>()), 0.0);
}

}  // namespace
}  // namespace cfdm::test
