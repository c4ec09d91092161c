#include "core/training_set.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// f(0) .. f(n_blocks - 1), on the pool when there is one.
template <class F>
void for_each_block(ThreadPool* pool, int n_blocks, const F& f) {
  if (pool)
    pool->run(n_blocks, f);
  else
    for (int b = 0; b < n_blocks; ++b) f(b);
}

}  // namespace

double TrainingSet::whole_sums(std::vector<double>& column_sums) const {
  if (!is_part()) return double(n_);
  column_sums.push_back(double(n_));  // the rows, summed with the columns
  part_.whole_sums(column_sums);
  const double rows = column_sums.back();
  column_sums.pop_back();
  return rows;
}


void TrainingSet::check_shape() const {
  if (n_ < 1 || dim_ < 1) {
    throw Error("training set is empty (" + std::to_string(n_) + " x " + std::to_string(dim_) +
                "): it needs at least one point of dimension at least 1");
  }
}

TrainingSet::TrainingSet(const MatrixXfR& points, ThreadPool* pool, const Part& part)
    : TrainingSet(
          int(points.rows()), int(points.cols()),
          [&points](int first, int count, float* rows, int stride) {
            for (int j = 0; j < count; ++j)
              std::copy_n(points.data() + size_t(first + j) * points.cols(), points.cols(), rows + size_t(j) * stride);
          },
          pool, part) {}

TrainingSet::TrainingSet(int n, int d, const RowReader& read, ThreadPool* pool, const Part& part)
    : n_(n), dim_(d), part_(part) {
  check_shape();
  stride_ = round_up(dim_, kPad);
  n_padded_ = round_up(n_, kPad);
  rows_.assign(size_t(n_padded_) * stride_, 0.0f);
  // In slices of about 4 MB, each summed while it is still in cache (a reader that converts,
  // float64 files, needs only a slice's buffer). The sums run in row order per column, in double:
  // the mean does not depend on how the rows were read.
  const int slice = std::max(1, int((size_t(4) << 20) / (sizeof(float) * size_t(stride_))));
  std::vector<double> sum(dim_, 0.0);
  for (int first = 0; first < n_; first += slice) {
    const int count = std::min(slice, n_ - first);
    read(first, count, &rows_[size_t(first) * stride_], stride_);
    double* __restrict sums = sum.data();
    for (int i = first; i < first + count; ++i) {
      const float* __restrict row = &rows_[size_t(i) * stride_];
      int finite = 1;
      for (int k = 0; k < dim_; ++k) {
        finite &= row[k] - row[k] == 0.0f;  // false for NaN and +-Inf (a form that vectorizes)
        sums[k] += row[k];
      }
      if (!finite) {
        const int k = int(std::find_if(row, row + dim_, [](float v) { return !std::isfinite(v); }) - row);
        throw Error("training point " + std::to_string(i) + ", coordinate " + std::to_string(k) + " is not finite (" +
                    std::to_string(row[k]) + "): remove or replace NaN/Inf values");
      }
    }
  }
  const double rows = whole_sums(sum);
  mean_.assign(dim_, 0.0f);
  for (int k = 0; k < dim_; ++k) mean_[k] = static_cast<float>(sum[k] / rows);
  // x'_i = x_i - c and |x'_i|^2 (in double, from the stored floats), row by row: any split of the
  // rows over threads gives the same set.
  norms_sq_.assign(n_padded_ + kPad, 0.0f);  // + kPad: vector reads past the last row stay inside
  // Eight rows side by side: eight independent sums (each still in coordinate order) instead of
  // one chain of dependent additions.
  constexpr int kRows = 8;
  const int block = 1024, n_blocks = (n_ + block - 1) / block;
  const auto center = [&](int b) {
    const float* __restrict mean = mean_.data();
    for (int i0 = b * block; i0 < std::min(n_, (b + 1) * block); i0 += kRows) {
      const int rows = std::min(kRows, n_ - i0);
      for (int r = 0; r < rows; ++r) {
        float* __restrict row = &rows_[size_t(i0 + r) * stride_];
        for (int k = 0; k < dim_; ++k) row[k] = static_cast<float>(double(row[k]) - double(mean[k]));
      }
      double norm_sq[kRows] = {};
      const float* row0 = &rows_[size_t(i0) * stride_];
      for (int k = 0; k < dim_; ++k)
        for (int r = 0; r < kRows; ++r) {
          const double value = row0[size_t(r) * stride_ + k];  // rows past n_ are zero padding
          norm_sq[r] += value * value;
        }
      for (int r = 0; r < rows; ++r) norms_sq_[i0 + r] = static_cast<float>(norm_sq[r]);
    }
  };
  for_each_block(pool, n_blocks, center);
  make_columns();
}

TrainingSet::TrainingSet(const uint8_t* values, int n, int d, float scale)
    : TrainingSet(n > 0 && d > 0 ? LargeVector<uint8_t>(values, values + size_t(n) * size_t(d)) : LargeVector<uint8_t>(),
                  n, d, scale) {}

TrainingSet::TrainingSet(LargeVector<uint8_t>&& values, int n, int d, float scale, ThreadPool* pool,
                         const Part& part)
    : n_(n), dim_(d), u8_scale_(scale), part_(part) {
  check_shape();
  if (!(std::isfinite(scale) && scale > 0.0f))
    throw Error("the scale of uint8 training data must be finite and positive (got " + std::to_string(scale) + ")");
  if (values.size() != size_t(n) * size_t(d))
    throw Error("uint8 training data of " + std::to_string(values.size()) + " values cannot be " + std::to_string(n) +
                " x " + std::to_string(d));
  stride_ = round_up(dim_, kPad);
  n_padded_ = round_up(n_, kPad);
  // The values become the rows, spread to the stride; added rows are zero.
  rows_u8_ = std::move(values);
  rows_u8_.resize(size_t(n_padded_) * stride_, 0);
  spread_rows(rows_u8_.data(), n_, dim_, stride_);
  // Sums of whole numbers: exact, in any order (in double too, below 2^53: so are a shard's).
  std::vector<uint64_t> sum(dim_, 0);
  for (int i = 0; i < n_; ++i)
    for (int k = 0; k < dim_; ++k) sum[k] += rows_u8_[size_t(i) * stride_ + k];
  std::vector<double> sums(sum.begin(), sum.end());
  const double rows = whole_sums(sums);
  mean_.assign(dim_, 0.0f);
  for (int k = 0; k < dim_; ++k) mean_[k] = static_cast<float>(double(scale) * sums[k] / rows);
  finish_layout(pool);
}

void TrainingSet::finish_layout(ThreadPool* pool) {
  norms_sq_.assign(n_padded_ + kPad, 0.0f);  // + kPad: vector reads past the last row stay inside
  const int block = 1024, n_blocks = (n_ + block - 1) / block;
  const auto norms = [&](int b) {
    for (int i = b * block; i < std::min(n_, (b + 1) * block); ++i) {
      double norm_sq = 0.0;
      for (int k = 0; k < dim_; ++k) {
        // From the stored value, in double: x'_ik exactly as the kernels will see it.
        const double value = double(u8_scale_ * rows_u8_[size_t(i) * stride_ + k] - mean_[k]);
        norm_sq += value * value;
      }
      norms_sq_[i] = static_cast<float>(norm_sq);
    }
  };
  for_each_block(pool, n_blocks, norms);
  make_columns();
}

void TrainingSet::make_columns() {
  if (dim_ <= kColumnsMaxDim) {
    columns_.assign(size_t(dim_) * n_padded_ + kPad, 0.0f);  // + kPad: a vector read past the last column stays inside
    for (int i = 0; i < n_; ++i)
      for (int k = 0; k < dim_; ++k) columns_[size_t(k) * n_padded_ + i] = centered(i, k);
  }
}

MatrixXfR TrainingSet::points() const {
  MatrixXfR out(n_, dim_);
  for (int i = 0; i < n_; ++i)
    for (int k = 0; k < dim_; ++k) out(i, k) = coordinate(i, k);
  return out;
}

uint64_t TrainingSet::memory_bytes_for(int64_t n, int64_t d, bool u8) {
  const int64_t n_padded = (n + kPad - 1) / kPad * kPad + kPad, stride = (d + kPad - 1) / kPad * kPad;
  const int64_t rows = n_padded * stride * (u8 ? 1 : int64_t(sizeof(float)));
  const int64_t columns = !u8 && d <= kColumnsMaxDim ? n_padded * d * int64_t(sizeof(float)) : 0;
  return uint64_t(rows + columns + n_padded * int64_t(sizeof(float)) + d * int64_t(sizeof(float)));
}

size_t TrainingSet::memory_bytes() const {
  return sizeof(float) * (rows_.size() + columns_.size() + norms_sq_.size() + mean_.size()) + rows_u8_.size();
}

}  // namespace cfdm
