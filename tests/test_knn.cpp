// The nearest-neighbour estimator (method.md section 5, check 11): its sums, draws and samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "core/error.hpp"
#include "core/knn.hpp"
#include "core/knn_row.hpp"
#include "core/rng.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "eval/metrics.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

TEST(Knn, AllPointsReproduceExactPosteriorMean) {
  ThreadPool pool(2);
  const MatrixXfR x = normal_points(60, 3, 5);
  const TrainingSet train(x);
  const NeighborIndex index(train);
  const MatrixXfR z = normal_points(9, 3, 6);
  for (double t : {0.0, 0.3, 0.8, 0.97}) {
    const MatrixXdR expected = oracle_mean(x.cast<double>(), z.cast<double>(), t);
    for (auto [k, l] : {std::pair{60, 0}, std::pair{20, 40}, std::pair{1, 59}}) {
      KnnOptions options;
      options.k = k;
      options.l = l;
      MatrixXfR got(9, 3);
      ASSERT_TRUE(knn_posterior_mean(train, index, options, z.data(), 9, 3, t, 1, 2, got.data(), 3, pool));
      EXPECT_LT(max_abs_diff(got, expected), 2e-6) << "t=" << t << " K=" << k << " L=" << l;
    }
  }
}

// The estimator's sums in low dimension run per instruction set in float, in 16 lanes reduced in
// one fixed order: every instruction set gives the same bits, in every dimension up to 8, for a
// count of points that is not a multiple of a lane group and with either numerator choice; and
// they agree with the estimator computed in double from the same neighbours and draws.
TEST(Knn, RowSumsSameBitsOnEveryIsaAndMatchDouble) {
  ThreadPool pool(2);
  for (int dim = 1; dim <= 8; ++dim) {
    const MatrixXfR x = normal_points(500, dim, 70 + dim);
    const TrainingSet train(x);
    const NeighborIndex index(train);
    const MatrixXfR z = normal_points(20, dim, 90 + dim, 0.7);
    for (bool weight_numerator : {true, false}) {
      KnnOptions options;
      options.k = 7;
      options.l = 20;
      options.weight_numerator = weight_numerator;
      const double t = 0.6;
      MatrixXfR first(20, dim);
      for (Isa isa : available_isas()) {
        KernelOptions kernel;
        kernel.isa = isa;
        MatrixXfR got(20, dim);
        ASSERT_TRUE(
            knn_posterior_mean(train, index, options, z.data(), 20, dim, t, 3, 4, got.data(), dim, pool, kernel));
        if (isa == available_isas().front())
          first = got;
        else
          EXPECT_TRUE(bit_identical(got, first)) << isa_name(isa) << " dim " << dim;
      }
      // The double oracle on the same neighbours and draws (centered: c + sum w x' / sum w, which
      // differs from sum w x / sum w when the numerator leaves the draws out).
      std::vector<int> neighbors(20 * 7), drawn;
      ASSERT_TRUE(knn_neighbors(train, index, 7, z.data(), 20, dim, t, neighbors.data(), pool));
      for (int r = 0; r < 20; ++r) {
        Rng rng(3, uint64_t(r), 4);
        knn_draw_others(rng, 500, &neighbors[size_t(r) * 7], 7, 20, &drawn);
        std::vector<int> points(&neighbors[size_t(r) * 7], &neighbors[size_t(r) * 7] + 7);
        points.insert(points.end(), drawn.begin(), drawn.end());
        std::vector<double> logit;
        double top = -INFINITY;
        for (int i : points) {
          double dist_sq = 0;
          for (int c = 0; c < dim; ++c) dist_sq += std::pow(double(z(r, c)) - t * double(x(i, c)), 2);
          logit.push_back(-dist_sq / (2 * (1 - t) * (1 - t)));
          top = std::max(top, logit.back());
        }
        double denominator = 0;
        std::vector<double> numerator(dim, 0.0);
        for (size_t j = 0; j < points.size(); ++j) {
          const double w = std::exp(logit[j] - top) * (j < 7 ? 1.0 : (500.0 - 7) / 20);
          denominator += w;
          if (weight_numerator || j < 7)
            for (int c = 0; c < dim; ++c) numerator[size_t(c)] += w * (double(x(points[j], c)) - train.mean()[c]);
        }
        for (int c = 0; c < dim; ++c)
          EXPECT_NEAR(first(r, c), train.mean()[c] + numerator[size_t(c)] / denominator, 2e-5)
              << "dim " << dim << " row " << r << " numerator weighted " << weight_numerator;
      }
    }
  }
}

// The sampler's neighbour memory (last step's neighbours bounding this step's search) changes
// nothing: the same bits as searching afresh, for moving queries and after a change of size.
TEST(Knn, NeighborMemoryGivesTheSameBits) {
  ThreadPool pool(2);
  const TrainingSet train(normal_points(2000, 2, 15));
  const NeighborIndex index(train);
  const KnnOptions options;
  KnnMemory memory;
  MatrixXfR z = normal_points(50, 2, 16);
  for (int step = 1; step < 6; ++step) {
    const double t = 0.15 * step;
    const int rows = step == 4 ? 30 : 50;  // a different size: the memory starts afresh
    MatrixXfR fresh(rows, 2), remembered(rows, 2);
    ASSERT_TRUE(knn_posterior_mean(train, index, options, z.data(), rows, 2, t, 1, 2, fresh.data(), 2, pool));
    ASSERT_TRUE(knn_posterior_mean(train, index, options, z.data(), rows, 2, t, 1, 2, remembered.data(), 2, pool, {},
                                   nullptr, &memory));
    EXPECT_TRUE(bit_identical(fresh, remembered)) << "step " << step;
    ASSERT_EQ(memory.neighbors.size(), size_t(rows) * options.k);
    ASSERT_EQ(memory.points.size(), size_t(rows) * options.k * 2);
    for (size_t j = 0; j < memory.neighbors.size(); ++j)  // the carried coordinates are the neighbours'
      for (int c = 0; c < 2; ++c) ASSERT_EQ(memory.points[j * 2 + c], train.centered(memory.neighbors[j], c));
    z.topRows(rows) += 0.3 * (fresh - z.topRows(rows));  // move toward the estimate
  }
}

// Check 11: the estimated denominator is unbiased: E[(N-K)/L sum_L w + sum_K w] = sum_N w.
// 20,000 independent draws; the mean must lie within 4 standard errors of the exact sum.
// Above dimension 8 (and for uint8 sets) the sums run in double, eight points side by side per
// instruction set: every instruction set gives the same bits, for float and uint8 sets, dimensions
// that are not a multiple of the four-coordinate blocks, a count of points that is not a multiple
// of eight, neighbours gathered by index or handed over; and they agree with the sums in double
// computed one point at a time.
TEST(Knn, WideSumsSameBitsOnEveryIsaAndMatchDouble) {
  for (int dim : {9, 13, 30}) {
    const MatrixXfR x = normal_points(300, dim, 40 + dim);
    std::vector<uint8_t> bytes(size_t(300) * dim);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t((i * 97 + i / 7) % 256);
    const TrainingSet float_set(x), byte_set(bytes.data(), 300, dim, 1.0f / 255.0f);
    for (const TrainingSet* train : {&float_set, &byte_set}) {
      KnnOptions options;
      options.k = 11;
      options.l = 6;
      const double t = 0.45;
      const MatrixXfR z = normal_points(1, dim, 7 + dim, 0.6);
      std::vector<int> neighbors(11), drawn;
      for (int j = 0; j < 11; ++j) neighbors[size_t(j)] = (j * 37 + dim) % 300;
      Rng rng(5, uint64_t(dim));
      knn_draw_others(rng, 300, neighbors.data(), 11, 6, &drawn);
      std::vector<float> points(size_t(11) * dim);  // the neighbours' centered coordinates, handed over
      for (int j = 0; j < 11; ++j) train->centered_row(neighbors[size_t(j)], &points[size_t(j) * dim]);
      for (bool weight_numerator : {true, false})
        for (bool handed : {false, true}) {
          options.weight_numerator = weight_numerator;
          KnnSums first;
          for (Isa isa : available_isas()) {
            KnnSums got;
            knn_sums(*train, options, z.data(), t, neighbors.data(), drawn.data(), &got, handed ? points.data() : nullptr,
                     isa);
            if (isa == available_isas().front()) {
              first = got;
              continue;
            }
            const std::string where = std::string(isa_name(isa)) + " dim " + std::to_string(dim) +
                                      (train == &byte_set ? " uint8" : " float") + (handed ? " handed" : "");
            EXPECT_EQ(got.numerator, first.numerator) << where;
            EXPECT_EQ(got.denominator, first.denominator) << where;
            EXPECT_EQ(got.log_scale, first.log_scale) << where;
          }
          // The double oracle, one point at a time.
          std::vector<double> logit;
          for (int j = 0; j < 17; ++j) {
            const int i = j < 11 ? neighbors[size_t(j)] : drawn[size_t(j - 11)];
            double dist_sq = 0;
            for (int c = 0; c < dim; ++c)
              dist_sq += std::pow(double(z(0, c)) - t * train->mean()[size_t(c)] - t * double(train->centered(i, c)), 2);
            logit.push_back(-dist_sq / (2 * (1 - t) * (1 - t)));
          }
          const double top = *std::max_element(logit.begin(), logit.end());
          EXPECT_NEAR(first.log_scale, top, 1e-9 * std::max(1.0, std::abs(top)));
          double denominator = 0;
          std::vector<double> numerator(size_t(dim), 0.0);
          for (int j = 0; j < 17; ++j) {
            const double w = std::exp(logit[size_t(j)] - top) * (j < 11 ? 1.0 : (300.0 - 11) / 6);
            denominator += w;
            const int i = j < 11 ? neighbors[size_t(j)] : drawn[size_t(j - 11)];
            if (weight_numerator || j < 11)
              for (int c = 0; c < dim; ++c) numerator[size_t(c)] += w * double(train->centered(i, c));
          }
          EXPECT_NEAR(first.denominator, denominator, 1e-5 * denominator) << "dim " << dim;
          for (int c = 0; c < dim; ++c)
            EXPECT_NEAR(first.numerator[size_t(c)], numerator[size_t(c)], 1e-5 * denominator) << "dim " << dim << " c " << c;
        }
    }
  }
}

TEST(Knn, DenominatorIsUnbiased) {
  const MatrixXfR x = normal_points(50, 2, 7);
  const TrainingSet train(x);
  const NeighborIndex index(train);
  ThreadPool pool(1);
  KnnOptions options;
  options.k = 4;
  options.l = 6;
  const double t = 0.6;
  const float z[2] = {0.3f, -0.2f};
  std::vector<int> neighbors(4);
  ASSERT_TRUE(knn_neighbors(train, index, 4, z, 1, 2, t, neighbors.data(), pool));
  double log_exact = -INFINITY;
  std::vector<double> logits;
  for (int i = 0; i < 50; ++i) {
    const double dist_sq = std::pow(z[0] - t * x(i, 0), 2) + std::pow(z[1] - t * x(i, 1), 2);
    logits.push_back(-dist_sq / (2 * (1 - t) * (1 - t)));
    log_exact = std::max(log_exact, logits.back());
  }
  double exact = 0;
  for (double l : logits) exact += std::exp(l - log_exact);
  std::vector<int> sorted = neighbors, drawn;
  std::sort(sorted.begin(), sorted.end());
  const int trials = 20000;
  double sum = 0, sum_sq = 0;
  KnnSums sums;
  for (int trial = 0; trial < trials; ++trial) {
    Rng rng(99, uint64_t(trial));
    knn_draw_others(rng, 50, sorted.data(), 4, 6, &drawn);
    ASSERT_EQ(drawn.size(), 6u);
    for (int j : drawn) ASSERT_FALSE(std::binary_search(sorted.begin(), sorted.end(), j));
    knn_sums(train, options, z, t, neighbors.data(), drawn.data(), &sums);
    const double estimate = sums.denominator * std::exp(sums.log_scale - log_exact);
    sum += estimate;
    sum_sq += estimate * estimate;
  }
  const double mean = sum / trials, std_error = std::sqrt((sum_sq / trials - mean * mean) / trials);
  EXPECT_GT(std_error, 0.0);
  EXPECT_NEAR(mean, exact, 4 * std_error) << "exact " << exact;
}

TEST(Knn, DrawsAreUniformOverNonNeighbors) {
  const std::vector<int> sorted = {2, 5, 6};
  std::vector<int> counts(10, 0), drawn;
  for (int trial = 0; trial < 14000; ++trial) {
    Rng rng(3, uint64_t(trial));
    knn_draw_others(rng, 10, sorted.data(), 3, 2, &drawn);
    ASSERT_EQ(drawn.size(), 2u);
    ASSERT_NE(drawn[0], drawn[1]);
    for (int j : drawn) ++counts[j];
  }
  for (int j : sorted) EXPECT_EQ(counts[j], 0);
  // 7 non-neighbours, each drawn with probability 2/7: 4000 expected; chi-square, 6 dof, p = 0.001.
  double chi = 0;
  for (int j = 0; j < 10; ++j)
    if (!std::binary_search(sorted.begin(), sorted.end(), j)) chi += std::pow(counts[j] - 4000.0, 2) / 4000.0;
  EXPECT_LT(chi, 22.46);
}

// Many neighbours (counted by binary search rather than a scan) and many draws (remembered in a
// hash set): the draws still avoid the neighbours, never repeat, and cover the other points
// uniformly.
TEST(Knn, DrawsAreUniformBesideManyNeighbors) {
  std::vector<int> neighbors;
  for (int i = 299; i >= 0; i -= 3) neighbors.push_back(i);  // 100 neighbours, in any order
  for (const auto& [l, trials] : {std::pair{5, 20000}, std::pair{100, 1000}}) {
    std::vector<int> counts(300, 0), drawn;
    for (int trial = 0; trial < trials; ++trial) {
      Rng rng(5, uint64_t(trial));
      knn_draw_others(rng, 300, neighbors.data(), 100, l, &drawn);
      ASSERT_EQ(drawn.size(), size_t(l));
      std::vector<int> unique = drawn;
      std::sort(unique.begin(), unique.end());
      ASSERT_EQ(std::unique(unique.begin(), unique.end()), unique.end());
      for (int j : drawn) ++counts[j];
    }
    // 200 non-neighbours, each in a trial's draws with probability p = l/200: counts binomial with
    // variance e (1 - p), and summing to l x trials. Their chi-square has 199 dof; p = 0.001.
    const double expected = double(trials) * l / 200, variance = expected * (1 - l / 200.0);
    double chi = 0;
    for (int j = 0; j < 300; ++j) {
      if (j % 3 == 2) {
        EXPECT_EQ(counts[j], 0) << j;
        continue;
      }
      chi += std::pow(counts[j] - expected, 2) / variance;
    }
    EXPECT_LT(chi, 267.0) << "L = " << l;
  }
}

// The draws are Floyd's algorithm on the stream's uniform_index, rank r then the r-th index that
// is not a neighbour: replayed here on the same stream, with the ranks mapped by walking the
// sorted neighbours, for few and many neighbours and draws (each path of knn_draw_others, the
// vector path on every instruction set), with repeated ranks common (N = 40) and Lemire's
// rejections common (N = 2e9, where the vector path must hand over to the scalar one).
TEST(Knn, DrawsEqualFloydReplayedOnTheSameStream) {
  for (const auto& [n, k, l] :
       {std::tuple{1000, 15, 15}, std::tuple{1000, 16, 16}, std::tuple{1000, 64, 64}, std::tuple{1000, 65, 15},
        std::tuple{1000, 15, 65}, std::tuple{300, 100, 200}, std::tuple{40, 1, 39}, std::tuple{40, 1, 16},
        std::tuple{40, 16, 16}, std::tuple{2000000000, 15, 15}, std::tuple{1000, 3, 0}}) {
    for (int trial = 0; trial < 50; ++trial) {
      Rng pick(77, uint64_t(trial));
      std::vector<int> neighbors;
      while (int(neighbors.size()) < k) {  // k distinct indices, in no order
        const int i = int(pick.uniform_index(uint32_t(n)));
        if (std::find(neighbors.begin(), neighbors.end(), i) == neighbors.end()) neighbors.push_back(i);
      }
      std::vector<int> sorted = neighbors;
      std::sort(sorted.begin(), sorted.end());
      Rng replay(9, uint64_t(trial));
      std::vector<int> ranks, want;
      for (int j = n - k - l; j < n - k; ++j) {
        const int r = int(replay.uniform_index(uint32_t(j + 1)));
        ranks.push_back(std::find(ranks.begin(), ranks.end(), r) != ranks.end() ? j : r);
      }
      for (int r : ranks) {
        int index = r;
        for (int s : sorted) index += s <= index;  // step over each neighbour at or below
        want.push_back(index);
      }
      for (Isa isa : available_isas()) {
        Rng rng(9, uint64_t(trial));
        std::vector<int> drawn;
        knn_draw_others(rng, n, neighbors.data(), k, l, &drawn, isa);
        ASSERT_EQ(drawn, want) << "N " << n << " K " << k << " L " << l << " trial " << trial << " " << isa_name(isa);
        ASSERT_EQ(rng.next_u64(), Rng(replay).next_u64()) << "the stream moves on as the replay's";
      }
    }
  }
}

SamplerParams knn_params(int k, int l, bool per_draw = true) {
  SamplerParams p = default_sampler_params();
  p.n_samples = 64;
  p.n_steps = 25;
  p.sigma = 0.2;
  p.n_draws = 2;
  p.seed = 4;
  p.estimator = Estimator::knn;
  p.knn.k = k;
  p.knn.l = l;
  p.knn.neighbors_per_draw = per_draw;
  return p;
}

MatrixXfR run(const TrainingSet& train, const SamplerParams& p, int threads) {
  ThreadPool pool(threads);
  Sampler sampler(train, p, pool);
  EXPECT_TRUE(sampler.run([](int) { return true; }));
  return sampler.states();
}

TEST(Knn, SamplerWithAllPointsMatchesExactSampler) {
  const TrainingSet train(normal_points(80, 2, 8));
  SamplerParams exact = knn_params(1, 0);
  exact.estimator = Estimator::exact;
  const MatrixXfR want = run(train, exact, 2);
  EXPECT_LT((run(train, knn_params(30, 50), 2) - want).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_LT((run(train, knn_params(80, 0, false), 2) - want).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(Knn, SamplerBitIdenticalAcrossThreadCounts) {
  for (int d : {2, 20}) {
    const TrainingSet train(normal_points(500, d, 9));
    for (bool per_draw : {true, false}) {
      const MatrixXfR one = run(train, knn_params(15, 15, per_draw), 1);
      EXPECT_TRUE(bit_identical(one, run(train, knn_params(15, 15, per_draw), 2)));
      EXPECT_TRUE(bit_identical(one, run(train, knn_params(15, 15, per_draw), 4)));
    }
  }
}

TEST(Knn, RejectsBadKAndL) {
  EXPECT_THROW(validate(KnnOptions{0, 5}, 100), Error);
  EXPECT_THROW(validate(KnnOptions{5, -1}, 100), Error);
  EXPECT_THROW(validate(KnnOptions{60, 41}, 100), Error);
  EXPECT_NO_THROW(validate(KnnOptions{60, 40}, 100));
  const TrainingSet train(normal_points(10, 2, 1));
  ThreadPool pool(1);
  EXPECT_THROW(Sampler(train, knn_params(8, 3), pool), Error);
}

}  // namespace
}  // namespace cfdm::test
