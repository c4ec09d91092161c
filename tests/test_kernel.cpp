// The posterior-mean kernel against the float64 oracle (method.md section 2 and section 7,
// checks 1, 2, 8), on every kernel path and instruction set of the build.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/kernel.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

MatrixXfR kernel_mean(const TrainingSet& train, const MatrixXfR& z, double t, KernelOptions options, int threads = 2) {
  ThreadPool pool(threads);
  MatrixXfR out(z.rows(), z.cols());
  EXPECT_TRUE(
      posterior_mean(train, z.data(), int(z.rows()), int(z.cols()), t, out.data(), int(z.cols()), pool, options));
  return out;
}

struct Case {
  int n, d;
  KernelPath path;
};

class KernelVsReference : public ::testing::TestWithParam<Case> {};

// D_t(z) matches float64 brute force for t from 0 to the last Euler step of S = 100, on each ISA.
TEST_P(KernelVsReference, MatchesFloat64) {
  const Case c = GetParam();
  const MatrixXfR x = normal_points(c.n, c.d, 1);
  const TrainingSet train(x);
  const MatrixXdR xd = x.cast<double>();
  double worst_ratio = 0;  // error / tolerance, reported as a property of the test
  for (double t : {0.0, 0.3, 0.7, 0.9, 0.99}) {
    // Queries near the noised data: t x_j + (1 - t) noise.
    MatrixXfR z = normal_points(13, c.d, 2) * float(1 - t);
    for (int b = 0; b < z.rows(); ++b) z.row(b) += float(t) * x.row(b % c.n);
    const MatrixXdR expected = oracle_mean(xd, z.cast<double>(), t);
    for (Isa isa : available_isas()) {
      KernelOptions options;
      options.isa = isa;
      options.path = c.path;
      const MatrixXfR got = kernel_mean(train, z, t, options);
      // float32 rounding of the distances grows with d and, near t = 1, with 1 / (1-t)^2.
      const double tolerance = 1.5e-6 * (1 + std::sqrt(double(c.d))) * (t > 0.95 ? 10 : 1);
      const double error = max_abs_diff(got, expected);
      worst_ratio = std::max(worst_ratio, error / tolerance);
      EXPECT_LT(error, tolerance) << "n=" << c.n << " d=" << c.d << " t=" << t << " isa=" << isa_name(isa);
    }
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", worst_ratio);
  RecordProperty("worst_error_over_tolerance", text);
}

INSTANTIATE_TEST_SUITE_P(Shapes, KernelVsReference,
                         ::testing::Values(Case{1, 1, KernelPath::direct}, Case{2, 2, KernelPath::direct},
                                           Case{17, 2, KernelPath::direct}, Case{300, 2, KernelPath::direct},
                                           Case{257, 3, KernelPath::direct}, Case{100, 8, KernelPath::direct},
                                           Case{300, 2, KernelPath::expanded}, Case{37, 9, KernelPath::expanded},
                                           Case{500, 20, KernelPath::expanded}, Case{64, 784, KernelPath::expanded},
                                           Case{1500, 33, KernelPath::expanded}));

// Check 2: at t = 0 every weight is 1/N, so D_0 = mean(x), for every sigma and M.
TEST(Kernel, TimeZeroGivesTheMean) {
  const MatrixXfR x = normal_points(101, 3, 5, 2.0);
  const TrainingSet train(x);
  const Eigen::RowVectorXd mean = x.cast<double>().colwise().mean();
  ThreadPool pool(2);
  const MatrixXfR z = normal_points(9, 3, 6, 3.0);
  for (double sigma : {0.0, 0.5, 10.0}) {
    const int draws = 3;
    const MatrixXfR eps = normal_points(draws * 9, 3, 7);
    MatrixXfR out(9, 3);
    ASSERT_TRUE(smoothed_posterior_mean(*make_exact_posterior_mean(train, pool), z.data(), 9, 0.0, sigma, eps.data(),
                                        draws, out.data()));
    for (int b = 0; b < 9; ++b)
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(out(b, k), mean(k), 1e-5) << "sigma=" << sigma;
  }
}

// Checks 1 and 8: the score s = (t D - z) / (1-t)^2 from the kernel equals the gradient of
// log rho_t by central differences in float64, and (z + (1-t) s) / t equals (D - z) / (1-t).
TEST(Kernel, ScoreIsGradientOfLogDensityAndVelocityIdentityHolds) {
  const MatrixXfR x = normal_points(40, 2, 8);
  const MatrixXdR xd = x.cast<double>();
  const TrainingSet train(x);
  for (double t : {0.2, 0.5, 0.8}) {
    const MatrixXfR z = normal_points(6, 2, 9);
    const MatrixXfR d = kernel_mean(train, z, t, {});
    ThreadPool pool(1);
    MatrixXfR velocity(6, 2);
    ASSERT_TRUE(
        smoothed_velocity(*make_exact_posterior_mean(train, pool), z.data(), 6, t, 0.0, nullptr, 0, velocity.data()));
    for (int b = 0; b < 6; ++b) {
      for (int k = 0; k < 2; ++k) {
        double plus[2] = {z(b, 0), z(b, 1)}, minus[2] = {z(b, 0), z(b, 1)};
        const double h = 1e-5;
        plus[k] += h;
        minus[k] -= h;
        const double score_fd = (oracle_log_density(xd, plus, t) - oracle_log_density(xd, minus, t)) / (2 * h);
        const double score = (t * d(b, k) - z(b, k)) / ((1 - t) * (1 - t));
        EXPECT_NEAR(score, score_fd, 1e-4 * (1 + std::abs(score_fd))) << "t=" << t;
        const double velocity_from_score = (z(b, k) + (1 - t) * score_fd) / t;
        EXPECT_NEAR(velocity(b, k), velocity_from_score, 1e-4 * (1 + std::abs(velocity_from_score)));
      }
    }
  }
}

// Check 12, kernel level: bit-identical on 1, 2 and 4 threads, on both kernel paths.
TEST(Kernel, BitIdenticalAcrossThreadCounts) {
  for (int d : {2, 40}) {
    const MatrixXfR x = normal_points(700, d, 10);
    const TrainingSet train(x);
    const MatrixXfR z = normal_points(45, d, 11);
    const MatrixXfR one = kernel_mean(train, z, 0.8, {}, 1);
    for (int threads : {2, 4}) EXPECT_TRUE(bit_identical(one, kernel_mean(train, z, 0.8, {}, threads))) << d;
  }
}

// A query's result does not depend on the other queries in the batch (block padding).
TEST(Kernel, QueryResultIndependentOfBatch) {
  const MatrixXfR x = normal_points(300, 12, 12);
  const TrainingSet train(x);
  const MatrixXfR z = normal_points(7, 12, 13);
  const MatrixXfR all = kernel_mean(train, z, 0.6, {});
  for (int b = 0; b < 7; ++b) {
    const MatrixXfR single = kernel_mean(train, z.row(b), 0.6, {});
    EXPECT_TRUE(bit_identical(single, all.row(b))) << b;
  }
}

TEST(Kernel, RejectsTimeOutsideUnitInterval) {
  const TrainingSet train(normal_points(5, 2, 1));
  ThreadPool pool(1);
  float z[2] = {0, 0}, out[2];
  EXPECT_THROW(posterior_mean(train, z, 1, 2, 1.0, out, 2, pool), Error);
  EXPECT_THROW(posterior_mean(train, z, 1, 2, -0.1, out, 2, pool), Error);
  EXPECT_THROW(posterior_mean(train, z, 1, 2, NAN, out, 2, pool), Error);
}

TEST(Kernel, CancelFlagStopsWork) {
  const TrainingSet train(normal_points(2000, 64, 1));
  ThreadPool pool(2);
  const MatrixXfR z = normal_points(16, 64, 2);
  MatrixXfR out(16, 64);
  std::atomic<bool> cancel{true};
  KernelOptions options;
  options.cancel = &cancel;
  EXPECT_FALSE(posterior_mean(train, z.data(), 16, 64, 0.5, out.data(), 64, pool, options));
}

TEST(TrainingSet, RejectsEmptyAndNonFinite) {
  EXPECT_THROW(TrainingSet(MatrixXfR(0, 2)), Error);
  MatrixXfR x = normal_points(4, 2, 1);
  x(2, 1) = NAN;
  EXPECT_THROW(TrainingSet{x}, Error);
  x(2, 1) = INFINITY;
  EXPECT_THROW(TrainingSet{x}, Error);
}

TEST(TrainingSet, StoresPointsExactlyEnough) {
  const MatrixXfR x = normal_points(33, 5, 3, 100.0);
  const TrainingSet train(x);
  EXPECT_LT((train.points() - x).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_EQ(train.n(), 33);
  EXPECT_EQ(train.dim(), 5);
}

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

// uint8 storage (images): x = scale u. Every kernel path against the float64 oracle on the same x.
TEST(Kernel, Uint8StorageMatchesFloat64) {
  for (int d : {3, 50}) {
    std::vector<uint8_t> values(300 * d);
    Rng rng(4, 5);
    for (uint8_t& v : values) v = uint8_t(rng.uniform_index(256));
    const float scale = 1.0f / 255.0f;
    const TrainingSet train(values.data(), 300, d, scale);
    EXPECT_EQ(train.rows(), nullptr);
    MatrixXfR x(300, d);
    for (int i = 0; i < 300 * d; ++i) x.data()[i] = scale * values[i];
    EXPECT_LT((train.points() - x).cwiseAbs().maxCoeff(), 1e-6);
    const MatrixXdR xd = x.cast<double>();
    for (double t : {0.2, 0.8, 0.97}) {
      MatrixXfR z = normal_points(9, d, 6) * float(1 - t) * 0.3f;
      for (int b = 0; b < 9; ++b) z.row(b) += float(t) * x.row(b);
      const MatrixXdR expected = oracle_mean(xd, z.cast<double>(), t);
      for (Isa isa : available_isas()) {
        KernelOptions options;
        options.isa = isa;
        const double error = max_abs_diff(kernel_mean(train, z, t, options), expected);
        EXPECT_LT(error, 1.5e-6 * (1 + std::sqrt(double(d))) * (t > 0.95 ? 10 : 1))
            << "d=" << d << " t=" << t << " " << isa_name(isa);
      }
    }
  }
  EXPECT_THROW(TrainingSet(nullptr, 0, 4, 1.0f), Error);
  const uint8_t one = 7;
  EXPECT_THROW(TrainingSet(&one, 1, 1, -1.0f), Error);
}

}  // namespace
}  // namespace cfdm::test
