// Float64 brute-force oracles for the closed-form model (method.md section 2), written directly
// from the formulas and sharing no code with the library's kernels.
#pragma once
#include <cmath>
#include <vector>

#include "core/types.hpp"

namespace cfdm::test {

// log rho_t(z) up to a constant: logsumexp_i(-|z - t x_i|^2 / (2 (1-t)^2)).
inline double oracle_log_density(const MatrixXdR& x, const double* z, double t) {
  const double var = (1 - t) * (1 - t);
  std::vector<double> logits(x.rows());
  double max = -INFINITY;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    double dist_sq = 0;
    for (Eigen::Index k = 0; k < x.cols(); ++k) dist_sq += (z[k] - t * x(i, k)) * (z[k] - t * x(i, k));
    logits[i] = -dist_sq / (2 * var);
    max = std::max(max, logits[i]);
  }
  double sum = 0;
  for (double l : logits) sum += std::exp(l - max);
  return max + std::log(sum);
}

// Posterior weights w_i = softmax_i(-|z - t x_i|^2 / (2 (1-t)^2)).
inline std::vector<double> oracle_weights(const MatrixXdR& x, const double* z, double t) {
  const double log_total = oracle_log_density(x, z, t);
  std::vector<double> w(x.rows());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    double dist_sq = 0;
    for (Eigen::Index k = 0; k < x.cols(); ++k) dist_sq += (z[k] - t * x(i, k)) * (z[k] - t * x(i, k));
    w[i] = std::exp(-dist_sq / (2 * (1 - t) * (1 - t)) - log_total);
  }
  return w;
}

// D_t(z) = sum_i w_i x_i for each row of z.
inline MatrixXdR oracle_mean(const MatrixXdR& x, const MatrixXdR& z, double t) {
  MatrixXdR out = MatrixXdR::Zero(z.rows(), z.cols());
  for (Eigen::Index b = 0; b < z.rows(); ++b) {
    const std::vector<double> w = oracle_weights(x, z.row(b).data(), t);
    for (Eigen::Index i = 0; i < x.rows(); ++i) out.row(b) += w[i] * x.row(i);
  }
  return out;
}

}  // namespace cfdm::test
