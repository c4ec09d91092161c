// The sampler against method.md section 7: checks 3, 4, 5, 6, 7, 9, 10 and 12.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "data/toy.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

MatrixXfR sample(const MatrixXfR& x, SamplerParams params, int threads = 2) {
  const TrainingSet train(x);
  ThreadPool pool(threads);
  Sampler sampler(train, params, pool);
  EXPECT_TRUE(sampler.run([](int) { return true; }));
  return sampler.states();
}

SamplerParams params(int n_samples, int n_steps, double sigma = 0.0, int n_draws = 1, uint64_t seed = 1) {
  SamplerParams p = default_sampler_params();
  p.n_samples = n_samples;
  p.n_steps = n_steps;
  p.sigma = sigma;
  p.n_draws = n_draws;
  p.seed = seed;
  return p;
}

// Distance from each output to the nearest of the candidate points.
std::vector<double> nearest_distances(const MatrixXfR& out, const MatrixXdR& candidates,
                                      std::vector<int>* index = nullptr) {
  std::vector<double> dist(out.rows());
  if (index) index->assign(out.rows(), -1);
  for (Eigen::Index b = 0; b < out.rows(); ++b) {
    dist[b] = INFINITY;
    for (Eigen::Index i = 0; i < candidates.rows(); ++i) {
      const double d = (out.row(b).cast<double>() - candidates.row(i)).norm();
      if (d < dist[b]) {
        dist[b] = d;
        if (index) (*index)[b] = int(i);
      }
    }
  }
  return dist;
}

// 2-D convex hull (Andrew's monotone chain), counter-clockwise.
std::vector<Eigen::Vector2d> convex_hull(const MatrixXfR& x) {
  std::vector<Eigen::Vector2d> p;
  for (Eigen::Index i = 0; i < x.rows(); ++i) p.emplace_back(x(i, 0), x(i, 1));
  std::sort(p.begin(), p.end(), [](auto& a, auto& b) { return a.x() < b.x() || (a.x() == b.x() && a.y() < b.y()); });
  auto cross = [](const Eigen::Vector2d& o, const Eigen::Vector2d& a, const Eigen::Vector2d& b) {
    return (a.x() - o.x()) * (b.y() - o.y()) - (a.y() - o.y()) * (b.x() - o.x());
  };
  std::vector<Eigen::Vector2d> hull(2 * p.size());
  size_t k = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) --k;
    hull[k++] = p[i];
  }
  for (size_t i = p.size() - 1, lower = k + 1; i-- > 0;) {
    while (k >= lower && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) --k;
    hull[k++] = p[i];
  }
  hull.resize(k - 1);
  return hull;
}

bool inside_hull(const std::vector<Eigen::Vector2d>& hull, double x, double y, double slack) {
  for (size_t i = 0; i < hull.size(); ++i) {
    const Eigen::Vector2d& a = hull[i];
    const Eigen::Vector2d& b = hull[(i + 1) % hull.size()];
    const Eigen::Vector2d edge = b - a;
    const double cross = edge.x() * (y - a.y()) - edge.y() * (x - a.x());
    if (cross < -slack * edge.norm()) return false;
  }
  return true;
}

// Check 3: the last step lands exactly on Dbar(z_{S-1}, 1 - h), inside the convex hull.
TEST(Sampler, LastStepLandsOnSmoothedMeanInsideHull) {
  const MatrixXfR x = data::make_toy("moons", 200, 3);
  const TrainingSet train(x);
  ThreadPool pool(2);
  for (double sigma : {0.0, 0.2}) {
    Sampler sampler(train, params(300, 20, sigma, 3), pool);
    while (sampler.step_index() < 19) ASSERT_TRUE(sampler.step());
    const MatrixXfR before = sampler.states();
    MatrixXfR expected(300, 2);
    ASSERT_TRUE(smoothed_posterior_mean(*make_exact_posterior_mean(train, pool), before.data(), 300, 19.0 / 20.0, sigma,
                                        sigma > 0 ? sampler.draws().data() : nullptr, 3, expected.data()));
    ASSERT_TRUE(sampler.step());
    EXPECT_TRUE(sampler.done());
    EXPECT_TRUE(bit_identical(sampler.states(), expected));
    const auto hull = convex_hull(x);
    for (int b = 0; b < 300; ++b)
      EXPECT_TRUE(inside_hull(hull, sampler.states()(b, 0), sampler.states()(b, 1), 1e-5)) << b;
  }
}

// Check 4: with N = 1, z_n = t_n x_1 + (1 - t_n) z_0 and z_S = x_1, for any sigma and M.
TEST(Sampler, SinglePointFlowIsStraightLine) {
  MatrixXfR x(1, 3);
  x << 0.5f, -2.0f, 3.25f;
  const TrainingSet train(x);
  ThreadPool pool(2);
  for (double sigma : {0.0, 1.0}) {
    Sampler sampler(train, params(10, 16, sigma, 4), pool);
    const MatrixXfR z0 = sampler.states();
    while (!sampler.done()) {
      ASSERT_TRUE(sampler.step());
      const double t = sampler.t();
      for (int b = 0; b < 10; ++b)
        for (int k = 0; k < 3; ++k) EXPECT_NEAR(sampler.states()(b, k), t * x(0, k) + (1 - t) * z0(b, k), 1e-5);
    }
    for (int b = 0; b < 10; ++b) EXPECT_TRUE(bit_identical(sampler.states().row(b), x));
  }
}

// Check 5: sigma = 0 memorizes: every output is a training point, chosen uniformly
// (chi-square goodness of fit, fixed seed; 9 degrees of freedom, critical value 27.88 at p = 0.001).
TEST(Sampler, ExactModelMemorizesUniformly) {
  const MatrixXfR x = normal_points(10, 2, 21, 3.0);
  const MatrixXfR out = sample(x, params(3000, 200));
  std::vector<int> which;
  const std::vector<double> dist = nearest_distances(out, x.cast<double>(), &which);
  EXPECT_LT(*std::max_element(dist.begin(), dist.end()), 1e-4);
  std::vector<int> counts(10, 0);
  for (int i : which) ++counts[i];
  double chi_square = 0;
  for (int c : counts) chi_square += (c - 300.0) * (c - 300.0) / 300.0;
  EXPECT_LT(chi_square, 27.88);
}

// Check 6: M = 1 with sigma > 0 still lands on training points; M = 2 on training points or
// pairwise midpoints, and M = 2 really produces midpoints (new points).
TEST(Sampler, BarycentersOfDraws) {
  const MatrixXfR x = normal_points(6, 2, 31, 2.0);
  const MatrixXdR xd = x.cast<double>();
  MatrixXdR with_midpoints(6 + 15, 2);
  with_midpoints.topRows(6) = xd;
  int row = 6;
  for (int i = 0; i < 6; ++i)
    for (int j = i + 1; j < 6; ++j) with_midpoints.row(row++) = (xd.row(i) + xd.row(j)) / 2;
  const MatrixXfR m1 = sample(x, params(500, 400, 1.0, 1));
  const std::vector<double> d1 = nearest_distances(m1, xd);
  EXPECT_LT(*std::max_element(d1.begin(), d1.end()), 1e-3);
  const MatrixXfR m2 = sample(x, params(500, 400, 1.0, 2));
  std::vector<int> which;
  const std::vector<double> d2 = nearest_distances(m2, with_midpoints, &which);
  EXPECT_LT(*std::max_element(d2.begin(), d2.end()), 1e-3);
  const auto midpoints = std::count_if(which.begin(), which.end(), [](int i) { return i >= 6; });
  EXPECT_GT(midpoints, 50) << "M = 2 with sigma comparable to the spacing should produce midpoints";
}

// Gauss-Hermite nodes and weights for E_{xi ~ N(0,1)} f(xi) (Golub-Welsch).
void gauss_hermite(int n, std::vector<double>* nodes, std::vector<double>* weights) {
  Eigen::MatrixXd jacobi = Eigen::MatrixXd::Zero(n, n);
  for (int i = 1; i < n; ++i) jacobi(i, i - 1) = jacobi(i - 1, i) = std::sqrt(double(i));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(jacobi);
  nodes->resize(n);
  weights->resize(n);
  for (int i = 0; i < n; ++i) {
    (*nodes)[i] = solver.eigenvalues()(i);
    (*weights)[i] = solver.eigenvectors()(0, i) * solver.eigenvectors()(0, i);
  }
}

double sigmoid(double a) { return 1.0 / (1.0 + std::exp(-a)); }

// Check 7: N = 2 closed forms. Unsmoothed w_1 = sigmoid(t <z - t m, D> / (1-t)^2); smoothed
// E[w_1] = E sigmoid(a + b xi) (Gauss-Hermite), Dbar = m + (E[w_1] - 1/2) Delta.
TEST(Sampler, TwoPointClosedForm) {
  MatrixXfR x(2, 3);
  x << 1.0f, 0.5f, -0.25f, -0.5f, 0.25f, 0.75f;
  const TrainingSet train(x);
  const Eigen::RowVector3d x1 = x.row(0).cast<double>(), x2 = x.row(1).cast<double>();
  const Eigen::RowVector3d m = (x1 + x2) / 2, delta = x1 - x2;
  ThreadPool pool(2);
  const MatrixXfR z = normal_points(5, 3, 41, 0.7);
  for (double t : {0.1, 0.5, 0.8}) {
    MatrixXfR got(5, 3);
    ASSERT_TRUE(
        smoothed_posterior_mean(*make_exact_posterior_mean(train, pool), z.data(), 5, t, 0.0, nullptr, 0, got.data()));
    for (int b = 0; b < 5; ++b) {
      const double a = t * (z.row(b).cast<double>() - t * m).dot(delta) / ((1 - t) * (1 - t));
      const Eigen::RowVector3d expected = m + (sigmoid(a) - 0.5) * delta;
      EXPECT_LT((got.row(b).cast<double>() - expected).cwiseAbs().maxCoeff(), 1e-5) << "t=" << t;
    }
    // Smoothed, many draws: the Monte Carlo average approaches the quadrature.
    const double sigma = 0.3;
    const int draws = 20000;
    const MatrixXfR eps = normal_points(draws, 3, 42);  // row m: eps_m for the single point
    std::vector<double> nodes, weights;
    gauss_hermite(40, &nodes, &weights);
    for (int b = 0; b < 5; ++b) {
      MatrixXfR point = z.row(b), smoothed(1, 3);
      ASSERT_TRUE(smoothed_posterior_mean(*make_exact_posterior_mean(train, pool), point.data(), 1, t, sigma,
                                          eps.data(), draws, smoothed.data()));
      const double a = t * (point.row(0).cast<double>() - t * m).dot(delta) / ((1 - t) * (1 - t));
      const double slope = sigma * t * delta.norm() / ((1 - t) * (1 - t));
      double expected_w1 = 0;
      for (size_t q = 0; q < nodes.size(); ++q) expected_w1 += weights[q] * sigmoid(a + slope * nodes[q]);
      const Eigen::RowVector3d expected = m + (expected_w1 - 0.5) * delta;
      // Monte Carlo error: the std of w_1 is at most 1/2, so 5 standard errors < 0.018 |Delta|.
      EXPECT_LT((smoothed.row(0).cast<double>() - expected).norm(), 5 * 0.5 / std::sqrt(double(draws)) * delta.norm())
          << "t=" << t;
      // With the same draws, exactly: w_1 averages sigmoid(a + slope xi_m), xi_m = <eps_m, Delta> / |Delta|.
      double mean_w1 = 0;
      for (int k = 0; k < draws; ++k)
        mean_w1 += sigmoid(a + slope * eps.row(k).cast<double>().dot(delta) / delta.norm());
      const Eigen::RowVector3d exact_same_draws = m + (mean_w1 / draws - 0.5) * delta;
      EXPECT_LT((smoothed.row(0).cast<double>() - exact_same_draws).cwiseAbs().maxCoeff(), 2e-5);
    }
  }
}

// Check 9: permuting the training set changes nothing; shifting data shifts samples; an
// orthogonal map of data, noise and draws maps the samples.
TEST(Sampler, Symmetries) {
  const MatrixXfR x = normal_points(50, 2, 51);
  const SamplerParams p = params(200, 30, 0.3, 2, 7);
  const MatrixXfR base = sample(x, p);
  // Permutation (reversed order): same samples up to float32 summation order.
  const MatrixXfR reversed = x.colwise().reverse();
  EXPECT_LT((sample(reversed, p) - base).cwiseAbs().maxCoeff(), 1e-4);
  // Shift by c: every sample shifts by c (the noise is unchanged).
  MatrixXfR shifted = x;
  shifted.rowwise() += Eigen::RowVector2f(3.0f, -1.5f);
  MatrixXfR expected = base;
  expected.rowwise() += Eigen::RowVector2f(3.0f, -1.5f);
  EXPECT_LT((sample(shifted, p) - expected).cwiseAbs().maxCoeff(), 1e-4);

  // Orthogonal map R applied to data, initial noise and draws, through the Euler recursion
  // z <- z + (Dbar(z) - z) / (S - n) on the library's smoothed posterior mean.
  const double angle = 0.7;
  Eigen::Matrix2f rotation;
  rotation << float(std::cos(angle)), float(-std::sin(angle)), float(std::sin(angle)), float(std::cos(angle));
  auto euler = [&](const MatrixXfR& data, MatrixXfR z, const MatrixXfR& eps) {
    const TrainingSet train(data);
    ThreadPool pool(2);
    const int steps = 30;
    MatrixXfR mean(z.rows(), 2);
    for (int n = 0; n < steps; ++n) {
      EXPECT_TRUE(smoothed_posterior_mean(*make_exact_posterior_mean(train, pool), z.data(), int(z.rows()),
                                          double(n) / steps, 0.3, eps.data(), 2, mean.data()));
      z += (mean - z) / float(steps - n);
    }
    return z;
  };
  const MatrixXfR z0 = normal_points(100, 2, 52), eps = normal_points(200, 2, 53);
  const MatrixXfR plain = euler(x, z0, eps);
  const MatrixXfR rotated = euler(x * rotation.transpose(), z0 * rotation.transpose(), eps * rotation.transpose());
  EXPECT_LT((rotated - plain * rotation.transpose()).cwiseAbs().maxCoeff(), 1e-4);
}

// Two-sample Kolmogorov-Smirnov statistic.
double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  double worst = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double v = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    worst = std::max(worst, std::abs(double(i) / a.size() - double(j) / b.size()));
  }
  return worst;
}

// Check 10: the sigma = 0 flow from 0 to T has the law of T x_i + (1 - T) xi, which is what a
// start at T draws. Per-coordinate KS tests (critical value at alpha = 0.001: 1.95 sqrt(2/n)).
TEST(Sampler, StartAtTMatchesFlowMarginal) {
  const MatrixXfR x = data::make_toy("moons", 300, 61);
  const TrainingSet train(x);
  ThreadPool pool(2);
  const int n = 4000, steps = 400;
  Sampler from_zero(train, params(n, steps, 0.0, 1, 62), pool);
  while (from_zero.step_index() < steps * 7 / 10) ASSERT_TRUE(from_zero.step());
  SamplerParams start = params(n, steps, 0.0, 1, 63);
  start.start_t = 0.7;
  Sampler from_t(train, start, pool);
  ASSERT_EQ(from_t.step_index(), from_zero.step_index());
  for (int k = 0; k < 2; ++k) {
    std::vector<double> a(n), b(n);
    for (int i = 0; i < n; ++i) {
      a[i] = from_zero.states()(i, k);
      b[i] = from_t.states()(i, k);
    }
    EXPECT_LT(ks_statistic(a, b), 1.95 * std::sqrt(2.0 / n)) << "coordinate " << k;
  }
}

// Check 12: bit-identical samples on 1, 2 and 4 threads, both kernel paths and draw modes.
TEST(Sampler, BitIdenticalAcrossThreadCounts) {
  for (int d : {2, 24}) {
    const MatrixXfR x = normal_points(400, d, 71);
    for (DrawMode mode : {DrawMode::per_trajectory, DrawMode::per_step}) {
      SamplerParams p = params(37, 12, 0.2, 3, 72);
      p.draw_mode = mode;
      const MatrixXfR one = sample(x, p, 1);
      EXPECT_TRUE(bit_identical(one, sample(x, p, 2))) << d;
      EXPECT_TRUE(bit_identical(one, sample(x, p, 4))) << d;
    }
  }
}

TEST(Sampler, SameSeedSameSamplesOtherSeedOtherSamples) {
  const MatrixXfR x = normal_points(100, 2, 81);
  EXPECT_TRUE(bit_identical(sample(x, params(20, 10, 0.1, 2, 5)), sample(x, params(20, 10, 0.1, 2, 5))));
  EXPECT_FALSE(bit_identical(sample(x, params(20, 10, 0.1, 2, 5)), sample(x, params(20, 10, 0.1, 2, 6))));
}

TEST(Sampler, StreamingStepsAndCancel) {
  const TrainingSet train(normal_points(100, 2, 91));
  ThreadPool pool(2);
  SamplerParams p = params(10, 8);
  p.start_t = 0.5;
  Sampler sampler(train, p, pool);
  EXPECT_EQ(sampler.first_step(), 4);
  EXPECT_DOUBLE_EQ(sampler.t(), 0.5);
  int calls = 0;
  EXPECT_FALSE(sampler.run([&](int) { return ++calls < 2; }));  // the caller stops after 2 steps
  EXPECT_EQ(sampler.step_index(), 6);
  std::atomic<bool> cancel{true};
  p.kernel.cancel = &cancel;
  Sampler cancelled(train, p, pool);
  const MatrixXfR before = cancelled.states();
  EXPECT_FALSE(cancelled.step());
  EXPECT_EQ(cancelled.step_index(), 4);
  EXPECT_TRUE(bit_identical(before, cancelled.states()));
}

TEST(Sampler, RejectsInvalidParameters) {
  auto bad = [](auto mutate) {
    SamplerParams p = default_sampler_params();
    mutate(p);
    return p;
  };
  EXPECT_THROW(validate(bad([](SamplerParams& p) { p.sigma = -0.1; })), Error);
  EXPECT_THROW(validate(bad([](SamplerParams& p) { p.sigma = NAN; })), Error);
  EXPECT_THROW(validate(bad([](SamplerParams& p) { p.n_steps = 0; })), Error);
  EXPECT_THROW(validate(bad([](SamplerParams& p) { p.n_draws = 0; })), Error);
  EXPECT_THROW(validate(bad([](SamplerParams& p) { p.n_samples = 0; })), Error);
  EXPECT_THROW(validate(bad([](SamplerParams& p) { p.start_t = 1.0; })), Error);
  EXPECT_THROW(validate(bad([](SamplerParams& p) { p.start_t = -0.5; })), Error);
  EXPECT_NO_THROW(validate(default_sampler_params()));
}

// Data of about unit size gets no note on its scale; far larger, or small and below the noise left
// at the last step, a note to rescale it.
TEST(Sampler, NotesDataFarFromUnitSize) {
  EXPECT_EQ(data_scale_note(1.66, 100, 0.0), "");
  EXPECT_EQ(data_scale_note(1000.0, 100, 0.0), "");
  EXPECT_EQ(data_scale_note(0.05, 1000, 0.0), "") << "small, but above ten times the last step's noise (0.001)";
  EXPECT_EQ(data_scale_note(0.0, 100, 0.0), "") << "one point: nothing to resolve";
  EXPECT_NE(data_scale_note(1001.0, 100, 0.0).find("far beyond the unit noise"), std::string::npos);
  EXPECT_NE(data_scale_note(0.0016, 100, 0.0).find("below the noise still left at the last of the 100 steps (0.01)"),
            std::string::npos);
  EXPECT_NE(data_scale_note(0.05, 10, 0.9).find("(0.01)"), std::string::npos) << "from start-t 0.9";
}

// sigma up to 1,000 times the data's radius (its largest distance from the mean, here 5: the
// points (0, 0), (3, 4) and (-3, -4)); beyond it, refused naming the largest kept. A set of one
// repeated point (radius 0) takes any sigma.
TEST(Sampler, RefusesSigmaFarBeyondTheDataUnlessItIsOnePoint) {
  MatrixXfR x(3, 2);
  x << 0, 0, 3, 4, -3, -4;
  const TrainingSet train(x);
  ThreadPool pool(1);
  EXPECT_NO_THROW(Sampler(train, params(4, 3, 4999.0, 2), pool));
  try {
    Sampler sampler(train, params(4, 3, 5001.0, 2), pool);
    ADD_FAILURE() << "sigma = 5001 was taken";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("more than 1000 times the training data's radius (5, "), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("Choose sigma <= 5000"), std::string::npos) << error.what();
  }
  EXPECT_DOUBLE_EQ(data_radius(train), 5.0);
  MatrixXfR same(2, 2);
  same << 1, 2, 1, 2;
  const TrainingSet one(same);
  Sampler sampler(one, params(4, 3, 1e30, 2), pool);
  while (!sampler.done()) ASSERT_TRUE(sampler.step());
  for (int b = 0; b < 4; ++b) EXPECT_TRUE(bit_identical(sampler.states().row(b), same.row(0))) << b;
}

}  // namespace
}  // namespace cfdm::test
