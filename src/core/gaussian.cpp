#include "core/gaussian.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {

Eigen::MatrixXd centered_scatter(const TrainingSet& train, int step, int* n_summed) {
  const int n = train.n(), d = train.dim();
  step = std::max(step, 1);
  const int summed = (n + step - 1) / step;
  Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(d, d);
  const int block = 1024;
  Eigen::MatrixXf rows(block, d);
  for (int r0 = 0; r0 < summed; r0 += block) {
    const int len = std::min(block, summed - r0);
    for (int r = 0; r < len; ++r)
      for (int k = 0; k < d; ++k) rows(r, k) = train.centered((r0 + r) * step, k);
    scatter += (rows.topRows(len).transpose() * rows.topRows(len)).cast<double>();
  }
  if (n_summed) *n_summed = summed;
  return scatter;
}

GaussianStats gaussian_stats(const TrainingSet& train) {
  const int d = train.dim();
  int n = 0;
  // The covariance about the stored centre c, then about the mean: S = scatter / N - (mu - c)(mu - c)^T.
  Eigen::MatrixXd covariance = centered_scatter(train, 1, &n);
  Eigen::VectorXd offset = Eigen::VectorXd::Zero(d);  // mu - c
  for (int i = 0; i < train.n(); ++i)
    for (int k = 0; k < d; ++k) offset(k) += train.centered(i, k);
  double count = double(std::max(n, 1));
  if (train.is_part()) {  // the whole set's sums: every part's scatter, offset sum and size
    std::vector<double> sums(covariance.data(), covariance.data() + covariance.size());
    sums.insert(sums.end(), offset.data(), offset.data() + d);
    sums.push_back(double(n));
    train.part().whole_sums(sums);
    std::copy_n(sums.data(), covariance.size(), covariance.data());
    std::copy_n(sums.data() + covariance.size(), d, offset.data());
    count = sums.back();
  }
  covariance /= count;
  offset /= count;
  covariance -= offset * offset.transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  if (solver.info() != Eigen::Success)
    throw Error("the Wiener model: the eigendecomposition of the data's covariance did not converge");
  GaussianStats stats;
  stats.mean.resize(d);
  for (int k = 0; k < d; ++k) stats.mean(k) = double(train.mean()[k]) + offset(k);
  // Eigen sorts ascending: reversed, by descending variance; rounding's negative variances are 0.
  stats.basis = solver.eigenvectors().rowwise().reverse();
  stats.variances = solver.eigenvalues().reverse().cwiseMax(0.0);
  return stats;
}

std::shared_ptr<const GaussianStats> shared_gaussian_stats(const TrainingSet& train) {
  TrainingSet::Derived& derived = train.derived();
  std::lock_guard<std::mutex> lock(derived.mutex);
  if (!derived.gaussian) derived.gaussian = std::make_shared<const GaussianStats>(gaussian_stats(train));
  return derived.gaussian;
}

namespace {

class WienerPosteriorMean final : public PosteriorMean {
 public:
  WienerPosteriorMean(const TrainingSet& train, ThreadPool& pool)
      : PosteriorMean(train),
        pool_(pool),
        stats_(shared_gaussian_stats(train)),
        basis_(stats_->basis.cast<float>()) {}

  // The mean and covariance are the whole set's (gaussian_stats): a part needs nothing more.
  Parts parts() const override { return Parts::independent; }

  bool evaluate(const float* queries, int n_queries, int stride, double t, int, float* out, int out_stride,
                const float*, int) override {
    const int d = train().dim();
    const double a = t, b = 1.0 - t;
    // The gain per component: a lambda / (a^2 lambda + b^2) (0 at t = 0, where D is the mean).
    Eigen::VectorXd gain(d);
    for (int j = 0; j < d; ++j) {
      const double lambda = stats_->variances(j), denominator = a * a * lambda + b * b;
      gain(j) = denominator > 0 ? a * lambda / denominator : 0.0;
    }
    const Eigen::VectorXd shifted_mean = a * stats_->mean;
    const Eigen::VectorXf gain_f = gain.cast<float>();
    // A block of queries at a time, as two float matrix products (the basis is read once per block,
    // not once per query; the offset from the mean and the sum with it stay in double). The blocks
    // are fixed by the queries' indices, so the bits do not depend on the thread count.
    constexpr int kRowsPerTask = 32;
    const int tasks = (n_queries + kRowsPerTask - 1) / kRowsPerTask;
    pool_.run(tasks, [&](int task) {
      const int q0 = task * kRowsPerTask, count = std::min(n_queries, q0 + kRowsPerTask) - q0;
      Eigen::MatrixXf r(d, count), coefficients(d, count);
      for (int q = 0; q < count; ++q)
        for (int k = 0; k < d; ++k) r(k, q) = float(double(queries[size_t(q0 + q) * stride + k]) - shifted_mean(k));
      coefficients.noalias() = basis_.transpose() * r;
      coefficients.array().colwise() *= gain_f.array();
      r.noalias() = basis_ * coefficients;
      for (int q = 0; q < count; ++q)
        for (int k = 0; k < d; ++k) out[size_t(q0 + q) * out_stride + k] = float(stats_->mean(k) + double(r(k, q)));
    });
    return true;
  }

 private:
  ThreadPool& pool_;
  std::shared_ptr<const GaussianStats> stats_;
  Eigen::MatrixXf basis_;  // U in float, for the products
};

}  // namespace

std::unique_ptr<PosteriorMean> make_wiener_posterior_mean(const TrainingSet& train, ThreadPool& pool) {
  return std::make_unique<WienerPosteriorMean>(train, pool);
}

}  // namespace cfdm
