#include "data/pca.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "core/gaussian.hpp"
#include "core/thread_pool.hpp"

namespace cfdm::data {

Pca::Pca(const TrainingSet& train, int dim, ThreadPool* pool) {
  const int n = train.n(), d = train.dim();
  if (dim < 1 || dim > std::min(n, d))
    throw Error("PCA dimension " + std::to_string(dim) +
                " must be between 1 and min(N, d) = " + std::to_string(std::min(n, d)) + " (N = " + std::to_string(n) +
                " points of dimension " + std::to_string(d) + ")");
  mean_.resize(d);
  for (int k = 0; k < d; ++k) mean_(k) = train.mean()[k];
  // Covariance of the centered points (every step-th point, at most kMaxFitPoints of them).
  const int step = (n + kMaxFitPoints - 1) / kMaxFitPoints;
  int fitted = 0;
  Eigen::MatrixXd covariance = centered_scatter(train, step, &fitted, pool);
  covariance /= std::max(1, fitted - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  if (solver.info() != Eigen::Success) throw Error("PCA: the eigen-decomposition did not converge");
  // Eigen sorts ascending: the last `dim` columns, reversed, are the top components.
  components_.resize(d, dim);
  eigenvalues_.resize(d);
  double total = 0, kept = 0;
  for (int j = 0; j < d; ++j) {
    eigenvalues_[j] = std::max(0.0, solver.eigenvalues()(d - 1 - j));
    total += eigenvalues_[j];
    if (j < dim) {
      components_.col(j) = solver.eigenvectors().col(d - 1 - j);
      kept += eigenvalues_[j];
    }
  }
  explained_ = total > 0 ? kept / total : 1.0;
}

MatrixXfR Pca::encode(const TrainingSet& train, ThreadPool* pool) const {
  const int n = train.n(), d = train.dim();
  MatrixXfR out(n, dim());
  constexpr int kRowsPerTask = 256;
  auto rows = [&](int task) {
    Eigen::RowVectorXd centered(d);
    for (int i = task * kRowsPerTask; i < std::min(n, (task + 1) * kRowsPerTask); ++i) {
      for (int k = 0; k < d; ++k) centered(k) = double(train.coordinate(i, k)) - mean_(k);
      out.row(i) = (centered * components_).cast<float>();
    }
  };
  const int tasks = (n + kRowsPerTask - 1) / kRowsPerTask;
  if (pool)
    pool->run(tasks, rows);
  else
    for (int task = 0; task < tasks; ++task) rows(task);
  return out;
}

MatrixXfR Pca::encode(const MatrixXfR& points) const {
  if (points.cols() != input_dim())
    throw Error("PCA encode: points have dimension " + std::to_string(points.cols()) + ", expected " +
                std::to_string(input_dim()));
  return ((points.cast<double>().rowwise() - mean_.transpose()) * components_).cast<float>();
}

MatrixXfR Pca::decode(const MatrixXfR& latents) const {
  if (latents.cols() != dim())
    throw Error("PCA decode: latents have dimension " + std::to_string(latents.cols()) + ", expected " +
                std::to_string(dim()));
  return ((latents.cast<double>() * components_.transpose()).rowwise() + mean_.transpose()).cast<float>();
}

}  // namespace cfdm::data
