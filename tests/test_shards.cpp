// A training set split into parts (the shards of `mpirun -np P cfdm sample`, cli/mpi.cpp): each
// part centred on the whole set's mean, its online-softmax states, merged (kernel.hpp). Checked
// against the float64 oracle, and one part against the one-process kernel bit for bit, on every
// kernel path and instruction set; the sampler's start at T through a denoiser that fetches
// the drawn points.
#include <gtest/gtest.h>

#include <vector>

#include "core/kernel.hpp"
#include "core/posterior_mean.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

// Rows [p N / P, (p + 1) N / P) of x, for p < P.
std::vector<MatrixXfR> split(const MatrixXfR& x, int parts) {
  std::vector<MatrixXfR> out;
  const int64_t n = x.rows();
  for (int p = 0; p < parts; ++p) {
    const int64_t lo = n * p / parts, hi = n * (p + 1) / parts;
    out.push_back(x.middleRows(lo, hi - lo));
  }
  return out;
}

// What mpi.cpp does across processes, within one: each part's column sums and size, added in part
// order. Two passes: the sums first, then the sets centred on their total.
std::vector<TrainingSet> centred_parts(const std::vector<MatrixXfR>& parts) {
  const int d = int(parts[0].cols());
  std::vector<double> total(size_t(d), 0.0);
  int64_t rows = 0;
  for (const MatrixXfR& part : parts) {
    for (int k = 0; k < d; ++k) {
      double sum = 0.0;
      for (int i = 0; i < part.rows(); ++i) sum += part(i, k);
      total[size_t(k)] += sum;
    }
    rows += part.rows();
  }
  std::vector<TrainingSet> out;
  for (const MatrixXfR& part : parts) {
    const auto read = [&part](int first, int count, float* dst, int stride) {
      for (int j = 0; j < count; ++j)
        for (int k = 0; k < part.cols(); ++k) dst[size_t(j) * stride + k] = part(first + j, k);
    };
    out.emplace_back(int(part.rows()), d, read, nullptr, [&](std::vector<double>& sums, int64_t& n) {
      sums = total;
      n = rows;
    });
  }
  return out;
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
  const std::vector<TrainingSet> parts = centred_parts(split(x, c.parts));
  const std::vector<TrainingSet> one = centred_parts(split(x, 1));
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
                                           ShardCase{5, 2, 5, KernelPath::direct},
                                           ShardCase{300, 20, 3, KernelPath::expanded},
                                           ShardCase{200, 784, 2, KernelPath::expanded},
                                           ShardCase{2000, 33, 3, KernelPath::expanded}));

// A part whose every weight underflows adds nothing: far from one part's points, late in the flow,
// the merge is the other part's posterior mean.
TEST(Shards, APartWhoseWeightsVanishAddsNothing) {
  MatrixXfR x(4, 2);
  x << 0, 0, 0.1f, 0, 50, 50, 50.1f, 50;
  const std::vector<TrainingSet> parts = centred_parts(split(x, 2));
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
    std::vector<uint8_t> part(values.begin() + lo * 7, values.begin() + hi * 7);
    const TrainingSet set(std::move(part), hi - lo, 7, 1.0f / 255.0f, nullptr, [&](std::vector<double>& sums, int64_t& n) {
      sums = total;
      n = 101;
    });
    EXPECT_EQ(set.mean(), whole.mean());
    for (int i = 0; i < hi - lo; ++i)
      for (int k = 0; k < 7; ++k) EXPECT_EQ(set.centered(i, k), whole.centered(lo + i, k));
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
