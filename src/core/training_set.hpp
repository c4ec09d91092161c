// The training set x_1 ... x_N in R^d, laid out for the posterior-mean kernels.
//
// Stored centered: x'_i = x_i - c with c the (rounded) mean. The closed form is
// shift-equivariant, D_t(z) = c + D'_t(z - t c), and centered data keeps the expanded
// distance form |z|^2 - 2t<z,x> + t^2|x|^2 away from cancellation.
#pragma once
#include <cstddef>
#include <vector>

#include "core/types.hpp"

namespace cfdm {

class TrainingSet {
 public:
  // Dimensions up to this use the direct-distance kernel and a transposed (d x N) copy.
  static constexpr int kDirectMaxDim = 8;
  // Rows and the dimension are padded to multiples of this (the widest vector, AVX-512).
  static constexpr int kPad = 16;

  // Copies and lays out `points` (N x d). Throws cfdm::Error if N or d is 0 or a value is not
  // finite.
  explicit TrainingSet(const MatrixXfR& points);

  int n() const { return n_; }
  int dim() const { return dim_; }
  int stride() const { return stride_; }      // floats between rows of rows(): d rounded up to kPad
  int n_padded() const { return n_padded_; }  // N rounded up to kPad; padding rows are zero

  const float* rows() const { return rows_.data(); }                                     // n_padded x stride, centered
  const float* columns() const { return columns_.empty() ? nullptr : columns_.data(); }  // d x n_padded
  const float* norms_sq() const { return norms_sq_.data(); }                             // |x'_i|^2, squared norms
  const std::vector<float>& mean() const { return mean_; }                               // c, length d

  float coordinate(int i, int k) const { return rows_[size_t(i) * stride_ + k] + mean_[k]; }
  MatrixXfR points() const;  // x_i as stored (c + x'_i), N x d
  size_t memory_bytes() const;

 private:
  int n_ = 0, dim_ = 0, stride_ = 0, n_padded_ = 0;
  std::vector<float> rows_, columns_, norms_sq_, mean_;
};

}  // namespace cfdm
