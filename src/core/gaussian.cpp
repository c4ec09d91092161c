#include "core/gaussian.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "core/kernel.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {

Eigen::MatrixXd centered_scatter(const TrainingSet& train, int step, int* n_summed, ThreadPool* pool) {
  const int n = train.n(), d = train.dim();
  step = std::max(step, 1);
  const int summed = (n + step - 1) / step;
  Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(d, d);
  const int blocks = (summed + kScatterBlock - 1) / kScatterBlock;
  // A wave of blocks at once, each in its own buffers (at most kScatterWaveBytes of them), then
  // their products added in block order: the same sums on any thread count.
  constexpr size_t kScatterWaveBytes = size_t(256) << 20;
  const size_t block_bytes = (size_t(d) * d + size_t(kScatterBlock) * d) * sizeof(float);
  const int wave = int(std::clamp<size_t>(kScatterWaveBytes / block_bytes, 1, size_t(pool ? pool->size() : 1)));
  std::vector<Eigen::MatrixXf> rows(size_t(std::min(wave, blocks))), products(rows.size());
  for (int first = 0; first < blocks; first += wave) {
    const int count = std::min(wave, blocks - first);
    auto block = [&](int j) {
      const int r0 = (first + j) * kScatterBlock, len = std::min(kScatterBlock, summed - r0);
      Eigen::MatrixXf& x = rows[size_t(j)];
      x.resize(kScatterBlock, d);
      for (int k = 0; k < d; ++k)
        for (int r = 0; r < len; ++r) x(r, k) = train.centered((r0 + r) * step, k);
      products[size_t(j)].noalias() = x.topRows(len).transpose() * x.topRows(len);
    };
    if (pool && count > 1)
      pool->run(count, block);
    else
      for (int j = 0; j < count; ++j) block(j);
    for (int j = 0; j < count; ++j) scatter += products[size_t(j)].cast<double>();
  }
  if (n_summed) *n_summed = summed;
  return scatter;
}

GaussianStats gaussian_stats(const TrainingSet& train, ThreadPool* pool) {
  const int d = train.dim();
  int n = 0;
  // The covariance about the stored centre c, then about the mean: S = scatter / N - (mu - c)(mu - c)^T.
  Eigen::MatrixXd covariance = centered_scatter(train, 1, &n, pool);
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

std::shared_ptr<const GaussianStats> shared_gaussian_stats(const TrainingSet& train, ThreadPool* pool) {
  TrainingSet::Derived& derived = train.derived();
  std::lock_guard<std::mutex> lock(derived.mutex);
  if (!derived.gaussian) derived.gaussian = std::make_shared<const GaussianStats>(gaussian_stats(train, pool));
  return derived.gaussian;
}

namespace {

class WienerPosteriorMean final : public PosteriorMean {
 public:
  WienerPosteriorMean(const TrainingSet& train, ThreadPool& pool, Isa isa)
      : PosteriorMean(train), pool_(pool), dots_(kernel_table(isa).dots), stats_(shared_gaussian_stats(train, &pool)) {
    // U's columns (u_j) and rows, each as zero-padded rows of stride floats, for dots().
    const int d = train.dim();
    stride_ = (d + TrainingSet::kPad - 1) / TrainingSet::kPad * TrainingSet::kPad;
    rows_ = (d + kDotRowMultiple - 1) / kDotRowMultiple * kDotRowMultiple;
    columns_.assign(size_t(rows_) * stride_, 0.0f);
    basis_rows_.assign(size_t(rows_) * stride_, 0.0f);
    for (int j = 0; j < d; ++j)
      for (int k = 0; k < d; ++k) {
        columns_[size_t(j) * stride_ + k] = float(stats_->basis(k, j));
        basis_rows_[size_t(k) * stride_ + j] = float(stats_->basis(k, j));
      }
  }

  // The mean and covariance are the whole set's (gaussian_stats): a part needs nothing more.
  Parts parts() const override { return Parts::independent; }

  bool evaluate(const float* queries, int n_queries, int stride, double t, int, float* out, int out_stride,
                const float*, int) override {
    const int d = train().dim();
    const double a = t, b = 1.0 - t;
    // The gain per component: a lambda / (a^2 lambda + b^2) (0 at t = 0, where D is the mean).
    std::vector<float> gain(size_t(rows_), 0.0f);
    for (int j = 0; j < d; ++j) {
      const double lambda = stats_->variances(j), denominator = a * a * lambda + b * b;
      gain[size_t(j)] = float(denominator > 0 ? a * lambda / denominator : 0.0);
    }
    const Eigen::VectorXd shifted_mean = a * stats_->mean;
    // Blocks of kQueries queries: r = z - a mu, then c_j = <r, u_j> g_j and D - mu = sum_j c_j u_j,
    // two sets of float dot products (the instruction set's kernel, KernelTable::dots) over
    // kBasisRows rows of U at a time, which stay in cache while every query of the block uses them.
    // The offset from the mean and the sum with it stay in double. A dot product's bits do not
    // depend on what else is in the call, and the blocks are fixed by the queries' indices, so the
    // bits do not depend on the thread count.
    constexpr int kQueries = 128, kBasisRows = 32;
    static_assert(kQueries % kDotRowMultiple == 0 && kBasisRows % kDotRowMultiple == 0, "dots() takes blocks of 4");
    const int tasks = (n_queries + kQueries - 1) / kQueries;
    pool_.run(tasks, [&](int task) {
      const int q0 = task * kQueries, count = std::min(n_queries, q0 + kQueries) - q0;
      const int padded = (count + kDotRowMultiple - 1) / kDotRowMultiple * kDotRowMultiple;
      std::vector<float> r(static_cast<size_t>(padded) * stride_, 0.0f), products(static_cast<size_t>(padded) * rows_);
      for (int q = 0; q < count; ++q)
        for (int k = 0; k < d; ++k)
          r[size_t(q) * stride_ + k] = float(double(queries[size_t(q0 + q) * stride + k]) - shifted_mean(k));
      const auto all_rows = [&](const float* from, const float* basis) {
        for (int j0 = 0; j0 < rows_; j0 += kBasisRows)
          dots_(from, padded, basis + size_t(j0) * stride_, std::min(kBasisRows, rows_ - j0), stride_,
                products.data() + j0, rows_);
      };
      all_rows(r.data(), columns_.data());
      for (int q = 0; q < padded; ++q)  // r becomes the coefficients c_j g_j (zero past d)
        for (int j = 0; j < rows_; ++j) r[size_t(q) * stride_ + j] = products[size_t(q) * rows_ + j] * gain[size_t(j)];
      all_rows(r.data(), basis_rows_.data());
      for (int q = 0; q < count; ++q)
        for (int k = 0; k < d; ++k)
          out[size_t(q0 + q) * out_stride + k] = float(stats_->mean(k) + double(products[size_t(q) * rows_ + k]));
    });
    return true;
  }

 private:
  ThreadPool& pool_;
  decltype(KernelTable::dots) dots_;
  std::shared_ptr<const GaussianStats> stats_;
  int stride_ = 0, rows_ = 0;
  std::vector<float> columns_;     // rows_ x stride_: row j = u_j, U's column j, in float
  std::vector<float> basis_rows_;  // rows_ x stride_: row k = U's row k
};

}  // namespace

std::unique_ptr<PosteriorMean> make_wiener_posterior_mean(const TrainingSet& train, ThreadPool& pool, Isa isa) {
  return std::make_unique<WienerPosteriorMean>(train, pool, isa);
}

}  // namespace cfdm
