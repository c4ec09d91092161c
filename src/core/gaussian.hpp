// The Gaussian statistics of a training set (its mean and covariance, eigendecomposed) and the
// Wiener denoiser they define: the posterior mean of the flow x_t = t x1 + (1 - t) x0 when the
// data are N(mu, S),
//
//   D_t(z) = mu + U diag(a lambda / (a^2 lambda + b^2)) U^T (z - a mu),  a = t, b = 1 - t,
//
// with S = U diag(lambda) U^T (analytic-family.md, "Wiener"). It is the exact model's answer for
// Gaussian data and sees nothing of the data beyond mean and covariance: the linear baseline of the
// analytic family.
#pragma once
#include <memory>

#include <Eigen/Core>

#include "core/isa.hpp"
#include "core/posterior_mean.hpp"
#include "core/training_set.hpp"

namespace cfdm {

class ThreadPool;

// The centred scatter matrix sum_i (x_i - c)(x_i - c)^T over every step-th training point
// (c: the training set's stored mean), in double: a float product per block of kScatterBlock
// rows, the blocks summed in order (with a pool, several blocks' products at once: the same
// bits). Also the number of points it summed.
constexpr int kScatterBlock = 1024;
Eigen::MatrixXd centered_scatter(const TrainingSet& train, int step, int* n_summed, ThreadPool* pool = nullptr);

struct GaussianStats {
  Eigen::VectorXd mean;       // mu, length d
  Eigen::MatrixXd basis;      // U, d x d, orthonormal columns, by descending variance
  Eigen::VectorXd variances;  // lambda >= 0, descending (the covariance divided by N)
};

// The mean and covariance of all N training points (a pool shares the covariance's blocks: the
// same bits). Throws cfdm::Error when the eigendecomposition fails.
GaussianStats gaussian_stats(const TrainingSet& train, ThreadPool* pool = nullptr);
// The same, computed once per training set and kept with it (the Wiener and PCA-locality models of
// one training set share it: an app's next run, cfdm compare's models).
std::shared_ptr<const GaussianStats> shared_gaussian_stats(const TrainingSet& train, ThreadPool* pool = nullptr);

// The Wiener denoiser of the training set's Gaussian statistics (computed once, here), evaluated
// for blocks of 128 queries as two sets of float dot products on isa's kernel (relative rounding
// near 1e-6), blocks split over pool (the same bits on every thread count).
std::unique_ptr<PosteriorMean> make_wiener_posterior_mean(const TrainingSet& train, ThreadPool& pool, Isa isa);

}  // namespace cfdm
