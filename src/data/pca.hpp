// Principal component analysis: a linear latent space for images (Eigen).
//
// encode(x) = (x - mean) V, decode(z) = mean + z V^T, with V the top `dim` eigenvectors of the
// covariance. Decoding is affine, so a barycenter of latents decodes to the same barycenter of
// the decoded images: the smoothed model's new points in PCA space are averages of images too.
#pragma once
#include <vector>

#include "core/training_set.hpp"
#include "core/types.hpp"

namespace cfdm {
class ThreadPool;
}

namespace cfdm::data {

class Pca {
 public:
  // The components are fitted to every ceil(N / kMaxFitPoints)-th training point.
  static constexpr int kMaxFitPoints = 20000;

  // Fits `dim` components to the points of train (1 <= dim <= min(N, d)). Throws cfdm::Error
  // otherwise. A pool shares the covariance's work (the same components on any thread count).
  Pca(const TrainingSet& train, int dim, ThreadPool* pool = nullptr);

  int dim() const { return int(components_.cols()); }
  int input_dim() const { return int(components_.rows()); }
  // Share of the total variance (of the fitted points) the components keep, in [0, 1].
  double explained_variance() const { return explained_; }
  const std::vector<double>& eigenvalues() const { return eigenvalues_; }  // descending, all d

  // N x dim latents of the training points (a pool shares the rows: the same latents).
  MatrixXfR encode(const TrainingSet& train, ThreadPool* pool = nullptr) const;
  MatrixXfR encode(const MatrixXfR& points) const;
  MatrixXfR decode(const MatrixXfR& latents) const;  // back to d dimensions

 private:
  Eigen::VectorXd mean_;
  Eigen::MatrixXd components_;  // d x dim, orthonormal columns
  std::vector<double> eigenvalues_;
  double explained_ = 0;
};

}  // namespace cfdm::data
