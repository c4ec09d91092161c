// Measures of samples: sliced Wasserstein-2, nearest training distances, copies, posterior weights.
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
#include "eval/sweep.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

// Sliced W2 against closed forms: a set against itself is 0; a shift by c moves every 1-D
// projection by <u, c>, so SW2^2 = E_u <u, c>^2 = |c|^2 / d.
TEST(Metrics, SlicedWassersteinClosedForms) {
  const MatrixXfR a = normal_points(500, 3, 1);
  EXPECT_DOUBLE_EQ(eval::sliced_wasserstein2(a, a), 0.0);
  MatrixXfR shifted = a;
  shifted.rowwise() += Eigen::RowVector3f(0.6f, 0.0f, 0.0f);
  EXPECT_NEAR(eval::sliced_wasserstein2(a, shifted, 4000), 0.6 / std::sqrt(3.0), 0.01);
  EXPECT_THROW(eval::sliced_wasserstein2(a, normal_points(499, 3, 1)), Error);
}

// A unit grid has spacing 1; points 0.05 from grid points are copies at threshold 0.1 and by the
// ratio test (0.05 / 0.95 < 1/3); grid-cell centers (0.707 from four points) are neither.
TEST(Metrics, NearestStatsAndSpacingOnAGrid) {
  MatrixXfR grid(100, 2);
  for (int i = 0; i < 100; ++i) grid.row(i) << float(i % 10), float(i / 10);
  const TrainingSet train(grid);
  ThreadPool pool(2);
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool), 1.0);
  // The 64 inner points have 4 others at distance 1, then 4 at sqrt 2; edges and corners fewer.
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool, 2000, 4), 1.0);
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool, 2000, 5), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool, 2000, 8), std::sqrt(2.0));
  EXPECT_THROW(eval::typical_spacing(train, pool, 2000, 0), Error);
  EXPECT_THROW(eval::typical_spacing(train, pool, 2000, 100), Error);
  // Measured a few points at a time (as the single-thread app does over frames): the same.
  for (int count : {1, 3, 7}) {
    eval::SpacingMeasure measure(train, 2000, 5);
    EXPECT_THROW(measure.spacing(), Error) << "nothing measured yet";
    int calls = 1;
    while (!measure.measure(count, pool)) ++calls;
    EXPECT_EQ(calls, (100 + count - 1) / count);
    EXPECT_DOUBLE_EQ(measure.spacing(), std::sqrt(2.0));
  }
  MatrixXfR near = grid.topRows(20);
  near.col(0).array() += 0.05f;
  const eval::NearestStats copies = eval::nearest_stats(eval::nearest_training(train, near, 2, pool), 0.1);
  EXPECT_DOUBLE_EQ(copies.copy_share, 1.0);
  EXPECT_DOUBLE_EQ(copies.ratio_share, 1.0);
  EXPECT_NEAR(copies.quantile[3], 0.05, 1e-6);
  MatrixXfR centers(9, 2);
  for (int i = 0; i < 9; ++i) centers.row(i) << i + 0.5f, 4.5f;
  const eval::NearestStats fresh = eval::nearest_stats(eval::nearest_training(train, centers, 2, pool), 0.1);
  EXPECT_DOUBLE_EQ(fresh.copy_share, 0.0);
  EXPECT_DOUBLE_EQ(fresh.ratio_share, 0.0);
  EXPECT_NEAR(fresh.quantile[6], std::sqrt(0.5), 1e-6);
}

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

// The app's inspector: the largest posterior weights of one point, against the float64 oracle.
TEST(Metrics, TopPosteriorWeightsMatchTheOracle) {
  Rng rng(5, 0);
  MatrixXfR x(300, 3);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = float(rng.normal());
  const TrainingSet train(x);
  const MatrixXdR stored = train.points().cast<double>();
  for (double t : {0.0, 0.3, 0.8, 0.97}) {
    const float z[3] = {0.4f, -0.2f, 0.9f};
    const double zd[3] = {0.4f, -0.2f, 0.9f};
    std::vector<double> oracle = oracle_weights(stored, zd, t);
    std::vector<int> order(oracle.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return oracle[size_t(a)] > oracle[size_t(b)]; });
    const auto top = eval::top_posterior_weights(train, z, t, 10);
    ASSERT_EQ(top.size(), 10u);
    for (size_t j = 0; j < top.size(); ++j) {
      EXPECT_EQ(top[j].first, order[j]) << "t = " << t << ", rank " << j;
      EXPECT_NEAR(top[j].second, oracle[size_t(order[j])], 1e-12 + 1e-9 * oracle[size_t(order[j])]);
    }
  }
  EXPECT_THROW(eval::top_posterior_weights(train, nullptr, 1.0, 3), Error);
}

// The sweep's sigmas: 0, then evenly in log from half the typical spacing to the spread. And a
// closed form: three training points 10 apart, sigma = 0, 100 steps: the posterior at t = 0.99 is
// one point to within exp(-10^2 / (2 * 0.0101^2)), so every sample is a copy, at distance ~0.
// Bad sigmas and draws are refused, and a progress callback returning false stops the sweep.
TEST(Sweep, SigmasAndAClosedForm) {
  ThreadPool pool(2);
  MatrixXfR points(3, 2);
  points << 0, 0, 10, 0, 0, 10;
  const TrainingSet train(points);
  const std::vector<double> sigmas = eval::default_sweep_sigmas(train, pool, 5);
  ASSERT_EQ(sigmas.size(), 5u);
  EXPECT_EQ(sigmas[0], 0.0);
  for (size_t i = 2; i < sigmas.size(); ++i) EXPECT_NEAR(sigmas[i] / sigmas[i - 1], sigmas[2] / sigmas[1], 1e-9);
  EXPECT_NEAR(sigmas[1], 5.0, 1e-6) << "half the typical spacing (10)";
  // The spread: the mean (10/3, 10/3); squared distances 200/9, 500/9, 500/9; their mean 400/9.
  EXPECT_NEAR(sigmas[4], 20.0 / 3.0, 1e-5) << "the root-mean-square distance from the mean";
  SamplerParams params = default_sampler_params();
  params.n_samples = 200;
  params.seed = 5;
  const std::vector<eval::SweepRow> rows = eval::sigma_sweep(train, params, {0.0}, {1}, pool);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].copy_share, 1.0);
  EXPECT_LT(rows[0].median_distance, 1e-4);
  EXPECT_THROW(eval::sigma_sweep(train, params, {-1.0}, {1}, pool), Error);
  EXPECT_THROW(eval::sigma_sweep(train, params, {0.5}, {0}, pool), Error);
  EXPECT_THROW(eval::sigma_sweep(train, params, {std::nan("")}, {2}, pool), Error);
  int calls = 0;
  const auto stopped = eval::sigma_sweep(train, params, {0.0, 1.0, 2.0}, {2}, pool, [&](int done, int total) {
    ++calls;
    EXPECT_EQ(total, 3);
    return done < 2;
  });
  EXPECT_EQ(stopped.size(), 2u) << "progress returning false stops the sweep";
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace cfdm::test
