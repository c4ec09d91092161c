// The analytic family's simple members against float64 oracles: the Wiener (Gaussian) denoiser
// (the Gaussian posterior mean written with a matrix inverse from statistics computed here, and
// the exact model on Gaussian data), the nearest training point, and a temperature.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

#include "core/error.hpp"
#include "core/gaussian.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

// N points of a correlated Gaussian in d dimensions: standard normals through a fixed mixing
// matrix, shifted off the origin.
MatrixXfR correlated_points(int n, int d, uint64_t seed) {
  const MatrixXfR z = normal_points(n, d, seed);
  Eigen::MatrixXf mix(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) mix(i, j) = i == j ? 1.0f + 0.3f * float(i) : 0.4f / float(1 + i + j);
  MatrixXfR out = z * mix;
  for (int k = 0; k < d; ++k) out.col(k).array() += 0.5f * float(k) - 1.0f;
  return out;
}

MatrixXfR wiener(const TrainingSet& train, const MatrixXfR& queries, double t, int threads, Isa isa = Isa::best) {
  ThreadPool pool(threads);
  auto mean = make_wiener_posterior_mean(train, pool, isa);
  MatrixXfR out(queries.rows(), queries.cols());
  EXPECT_TRUE(mean->evaluate(queries.data(), int(queries.rows()), int(queries.cols()), t, -1, out.data(),
                             int(out.cols())));
  return out;
}

// D_t(z) = mu + a S (a^2 S + b^2 I)^{-1} (z - a mu), a = t, b = 1 - t, with the data's mean and
// covariance (divided by N) computed here in double: no eigendecomposition in the oracle. On every
// instruction set, in 5 dimensions and in 37 (two blocks of basis rows, padding), with more queries
// than one block of 128.
TEST(Wiener, IsTheGaussianPosteriorMeanOfTheDataStatistics) {
  for (int d : {5, 37}) {
    const int n = 400;
    const MatrixXfR x = correlated_points(n, d, 3);
    const Eigen::MatrixXd xd = x.cast<double>();
    const Eigen::VectorXd mu = xd.colwise().mean().transpose();
    const Eigen::MatrixXd centered = xd.rowwise() - mu.transpose();
    const Eigen::MatrixXd s = centered.transpose() * centered / double(n);
    const TrainingSet train(x);
    const MatrixXfR queries = normal_points(d == 5 ? 20 : 150, d, 4, 2.0);
    for (Isa isa : kIsas) {
      if (!isa_available(isa)) continue;
      for (double t : {0.0, 0.3, 0.7, 0.95}) {
        const MatrixXfR got = wiener(train, queries, t, 2, isa);
        const double a = t, b = 1 - t;
        const Eigen::MatrixXd gain = a * s * (a * a * s + b * b * Eigen::MatrixXd::Identity(d, d)).inverse();
        double worst = 0;
        for (int q = 0; q < queries.rows(); ++q) {
          const Eigen::VectorXd z = queries.row(q).transpose().cast<double>();
          const Eigen::VectorXd expected = mu + gain * (z - a * mu);
          for (int k = 0; k < d; ++k)
            worst = std::max(worst, std::abs(got(q, k) - expected(k)) / (1 + std::abs(expected(k))));
        }
        EXPECT_LT(worst, 2e-5) << isa_name(isa) << ", d = " << d << ", t = " << t;
      }
    }
  }
}

// On Gaussian data the exact model (the empirical distribution's posterior mean) approaches the
// Wiener denoiser as N grows: 20,000 points, t = 0.5, queries where the data are.
TEST(Wiener, MatchesTheExactModelOnGaussianData) {
  const MatrixXfR x = correlated_points(20000, 2, 5);
  const TrainingSet train(x);
  const MatrixXfR queries = (correlated_points(30, 2, 6).array() * 0.5f).matrix();
  ThreadPool pool(2);
  auto exact = make_exact_posterior_mean(train, pool);
  for (double t : {0.3, 0.5}) {
    MatrixXfR from_exact(queries.rows(), 2);
    ASSERT_TRUE(exact->evaluate(queries.data(), int(queries.rows()), 2, t, -1, from_exact.data(), 2));
    const MatrixXfR from_wiener = wiener(train, queries, t, 2);
    EXPECT_LT((from_exact - from_wiener).cwiseAbs().maxCoeff(), 0.05f) << "t = " << t;
  }
}

// Affine in z (so D(z) - D(0) is linear), the mean at t = 0, and the same bits on 1 and 3 threads.
TEST(Wiener, IsAffineStartsAtTheMeanAndIgnoresTheThreadCount) {
  const MatrixXfR x = correlated_points(300, 4, 7);
  const TrainingSet train(x);
  const MatrixXfR z1 = normal_points(1, 4, 8), z2 = normal_points(1, 4, 9);
  MatrixXfR both(3, 4);
  both << z1, z2, 0.25f * z1 + 0.75f * z2;
  const MatrixXfR d = wiener(train, both, 0.6, 1);
  EXPECT_LT((d.row(2) - (0.25f * d.row(0) + 0.75f * d.row(1))).cwiseAbs().maxCoeff(), 1e-5f);
  const MatrixXfR at_zero = wiener(train, both, 0.0, 1);
  const Eigen::RowVectorXf mean = x.colwise().mean();
  for (int q = 0; q < 3; ++q) EXPECT_LT((at_zero.row(q) - mean).cwiseAbs().maxCoeff(), 1e-5f);
  const MatrixXfR many = normal_points(300, 4, 10);
  EXPECT_TRUE(bit_identical(wiener(train, many, 0.8, 1), wiener(train, many, 0.8, 3)));
}

// The nearest model returns the training row nearest to z / t (a float64 brute-force argmin of
// |z - t x_i|), in 2 and 40 dimensions (the box tree and the scan), and x_0 at t = 0.
// The statistics are computed once per training set and kept with it: every Gaussian model of it
// (and a copy of it) reads the same ones, equal to a fresh computation; another training set has
// its own.
TEST(Wiener, TheStatisticsAreComputedOncePerTrainingSet) {
  const TrainingSet train(correlated_points(300, 5, 3));
  const std::shared_ptr<const GaussianStats> first = shared_gaussian_stats(train);
  EXPECT_EQ(shared_gaussian_stats(train).get(), first.get());
  const TrainingSet copy = train;
  EXPECT_EQ(shared_gaussian_stats(copy).get(), first.get());
  const GaussianStats fresh = gaussian_stats(train);
  EXPECT_EQ(fresh.mean, first->mean);
  EXPECT_EQ(fresh.variances, first->variances);
  EXPECT_EQ(fresh.basis, first->basis);
  const TrainingSet other(correlated_points(300, 5, 4));
  EXPECT_NE(shared_gaussian_stats(other).get(), first.get());
}

TEST(NearestModel, ReturnsTheTrainingPointNearestToZOverT) {
  ThreadPool pool(2);
  for (int d : {2, 40}) {
    const MatrixXfR x = normal_points(500, d, 11);
    const TrainingSet train(x);
    auto nearest = make_nearest_posterior_mean(train, pool);
    const MatrixXfR stored = train.points();  // the rows as the training set keeps them
    const MatrixXfR queries = normal_points(50, d, 12, 1.5);
    for (double t : {0.0, 0.4, 0.9}) {
      MatrixXfR out(50, d);
      ASSERT_TRUE(nearest->evaluate(queries.data(), 50, d, t, -1, out.data(), d));
      for (int q = 0; q < 50; ++q) {
        int best = 0;
        double best_d2 = INFINITY;
        for (int i = 0; i < 500 && t > 0; ++i) {
          const double d2 = (queries.row(q).cast<double>() - t * x.row(i).cast<double>()).squaredNorm();
          if (d2 < best_d2) best_d2 = d2, best = i;
        }
        EXPECT_TRUE(out.row(q) == stored.row(best)) << "d = " << d << ", t = " << t << ", query " << q;
      }
    }
  }
}

// A temperature divides the exact model's logits: against the softmax of
// -|z - t x_i|^2 / (2 (1 - t)^2 tau) in float64, written here; tau = 1 is the model itself.
TEST(Temperature, DividesTheLogitsOfTheExactModel) {
  ThreadPool pool(2);
  const MatrixXfR x = normal_points(300, 3, 13);
  const TrainingSet train(x);
  const MatrixXdR xd = train.points().cast<double>();
  const MatrixXfR queries = normal_points(20, 3, 14);
  for (double tau : {0.25, 1.0, 3.0}) {
    auto mean = make_tempered_posterior_mean(make_exact_posterior_mean(train, pool), tau);
    for (double t : {0.2, 0.6, 0.9}) {
      MatrixXfR out(20, 3);
      ASSERT_TRUE(mean->evaluate(queries.data(), 20, 3, t, -1, out.data(), 3));
      for (int q = 0; q < 20; ++q) {
        std::vector<double> logits(300);
        double max = -INFINITY, total = 0;
        for (int i = 0; i < 300; ++i) {
          logits[size_t(i)] = -(queries.row(q).cast<double>() - t * xd.row(i)).squaredNorm() / (2 * (1 - t) * (1 - t) * tau);
          max = std::max(max, logits[size_t(i)]);
        }
        Eigen::RowVectorXd expected = Eigen::RowVectorXd::Zero(3);
        for (int i = 0; i < 300; ++i) total += std::exp(logits[size_t(i)] - max);
        for (int i = 0; i < 300; ++i) expected += std::exp(logits[size_t(i)] - max) / total * xd.row(i);
        EXPECT_LT((out.row(q).cast<double>() - expected).cwiseAbs().maxCoeff(), 2e-4)
            << "tau = " << tau << ", t = " << t << ", query " << q;
      }
    }
  }
  EXPECT_THROW(make_tempered_posterior_mean(make_exact_posterior_mean(train, pool), 0.0), Error);
  EXPECT_THROW(make_tempered_posterior_mean(make_exact_posterior_mean(train, pool), NAN), Error);
}

}  // namespace
}  // namespace cfdm::test
