// The training set x_1 ... x_N in R^d, laid out for the posterior-mean kernels.
//
// Stored centered: x'_i = x_i - c with c the (rounded) mean. The closed form is
// shift-equivariant, D_t(z) = c + D'_t(z - t c), and centered data keeps the expanded
// distance form |z|^2 - 2t<z,x> + t^2|x|^2 away from cancellation.
//
// Images are stored as their uint8 pixels, x_i = scale * u_i (a quarter of the memory: 60,000
// MNIST images take 47 MB); the blocked kernels convert one tile of rows at a time to centered
// floats.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/large_vector.hpp"
#include "core/types.hpp"

namespace cfdm {

struct GaussianStats;
class ThreadPool;

// Rows written back to back (count x d values) spread in place to `stride` apart, from the last
// (none overwrites one not yet moved), each row's padding then zeroed; data holds count x stride.
template <class T>
void spread_rows(T* data, int count, int d, int stride) {
  for (int i = count - 1; i >= 0 && stride != d; --i) {
    std::memmove(data + size_t(i) * stride, data + size_t(i) * d, sizeof(T) * size_t(d));
    std::fill_n(data + size_t(i) * stride + d, stride - d, T(0));
  }
}

// A training set can be one part (shard) of a larger one, held by another process each
// (cli/mpi.cpp): rows first_row ... of the whole set's total_rows. Sums over the training set (the
// mean it is centred on, the Gaussian models' covariance) are then sums over the whole set:
// whole_sums replaces each of this part's values by its sum over every part, added in part order
// (the same bits on every part). Empty (no whole_sums): the set is whole.
struct TrainingSetPart {
  using WholeSums = std::function<void(std::vector<double>& values)>;
  int first_row = 0, total_rows = 0;
  WholeSums whole_sums;
};

class TrainingSet {
 public:
  // What is derived from the data once and kept with them, shared by every model built on this
  // training set (and by its copies, which hold the same data): the Gaussian models' statistics
  // (gaussian.cpp, shared_gaussian_stats).
  struct Derived {
    std::mutex mutex;
    std::shared_ptr<const GaussianStats> gaussian;
  };
  Derived& derived() const { return *derived_; }

  // Dimensions up to this use the direct-distance kernel.
  static constexpr int kDirectMaxDim = 8;
  // Dimensions up to this also keep a transposed (d x N) copy: the direct kernel and the
  // brute-force neighbour search read it.
  static constexpr int kColumnsMaxDim = 128;
  // Rows and the dimension are padded to multiples of this (the widest vector, AVX-512).
  static constexpr int kPad = 16;

  // Writes rows first ... first + count - 1 of the data, row first + j at rows + j * stride (d
  // values). The rest of each row's stride is zero on entry and must be zero on return. Called
  // with consecutive ranges in order.
  using RowReader = std::function<void(int first, int count, float* rows, int stride)>;
  using WholeSums = TrainingSetPart::WholeSums;
  using Part = TrainingSetPart;
  const Part& part() const { return part_; }
  bool is_part() const { return bool(part_.whole_sums); }
  int total_rows() const { return is_part() ? part_.total_rows : n_; }

  // Copies and lays out `points` (N x d), a part of a larger set when `part` says so (the pool as
  // below). Throws cfdm::Error if N or d is 0 or a value is not finite.
  explicit TrainingSet(const MatrixXfR& points, ThreadPool* pool = nullptr, const Part& part = Part());
  // N x d points written by `read` straight into the stored layout (a file read into place, no
  // full-size copy of it in between). The same set as the one from the same points as a matrix.
  // Throws as the matrix form does, and whatever `read` throws. A pool, when given, shares the
  // centering (the same set on any number of threads).
  TrainingSet(int n, int d, const RowReader& read, ThreadPool* pool = nullptr, const Part& part = Part());
  // N x d uint8 values u (row-major), points x_i = scale * u_i. Throws cfdm::Error if N or d is 0
  // or scale is not finite and positive.
  TrainingSet(const uint8_t* values, int n, int d, float scale);
  // The same, taking over `values` (N x d, row-major) as its rows instead of copying them;
  // `pool`, when given, shares the norms.
  TrainingSet(LargeVector<uint8_t>&& values, int n, int d, float scale, ThreadPool* pool = nullptr,
              const Part& part = Part());

  int n() const { return n_; }
  int dim() const { return dim_; }
  int stride() const { return stride_; }      // floats between rows of rows(): d rounded up to kPad
  int n_padded() const { return n_padded_; }  // N rounded up to kPad; padding rows are zero

  // n_padded x stride, centered; null for uint8 storage (then rows_u8() holds the data).
  const float* rows() const { return rows_.empty() ? nullptr : rows_.data(); }
  const uint8_t* rows_u8() const { return rows_u8_.empty() ? nullptr : rows_u8_.data(); }  // n_padded x stride
  float u8_scale() const { return u8_scale_; }
  const float* columns() const { return columns_.empty() ? nullptr : columns_.data(); }  // d x n_padded
  const float* norms_sq() const { return norms_sq_.data(); }                             // |x'_i|^2, squared norms
  const std::vector<float>& mean() const { return mean_; }                               // c, length d

  // x_ik as stored (c + x'_ik, or scale * u_ik).
  float coordinate(int i, int k) const {
    return rows_u8_.empty() ? rows_[size_t(i) * stride_ + k] + mean_[k] : u8_scale_ * rows_u8_[size_t(i) * stride_ + k];
  }
  // Centered coordinate x'_ik = x_ik - c_k.
  float centered(int i, int k) const {
    return rows_u8_.empty() ? rows_[size_t(i) * stride_ + k] : u8_scale_ * rows_u8_[size_t(i) * stride_ + k] - mean_[k];
  }
  // Row i centred, centered(i, k) for k = 0 ... d - 1, into out (as float or double).
  template <class T>
  void centered_row(int i, T* out) const {
    const size_t at = size_t(i) * size_t(stride_);
    if (rows_u8_.empty()) {
      for (int k = 0; k < dim_; ++k) out[k] = rows_[at + k];
    } else {
      centered_u8(&rows_u8_[at], out);
    }
  }
  // A uint8 row of this set's (d values, wherever it is kept) centred, as centered_row does it.
  template <class T>
  void centered_u8(const uint8_t* row, T* out) const {
    for (int k = 0; k < dim_; ++k) out[k] = u8_scale_ * row[k] - mean_[k];
  }
  MatrixXfR points() const;  // x_i as stored (c + x'_i), N x d
  size_t memory_bytes() const;
  // What a training set of n points of dimension d takes (uint8: stored as bytes), before it is
  // built: to check a request against the memory available.
  static uint64_t memory_bytes_for(int64_t n, int64_t d, bool u8);

 private:
  void check_shape() const;
  // The whole set's column sums in place of this part's, and its number of rows.
  double whole_sums(std::vector<double>& column_sums) const;
  void finish_layout(ThreadPool* pool);  // uint8 rows: the norms and the column copy
  void make_columns();   // the column copy, from the stored rows

  int n_ = 0, dim_ = 0, stride_ = 0, n_padded_ = 0;
  float u8_scale_ = 0.0f;
  LargeVector<float> rows_, columns_;  // the large ones: huge pages where the system has them
  std::vector<float> norms_sq_, mean_;
  LargeVector<uint8_t> rows_u8_;
  Part part_;
  std::shared_ptr<Derived> derived_ = std::make_shared<Derived>();
};

}  // namespace cfdm
