#include "core/training_set.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace cfdm {
namespace {

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

void TrainingSet::check_shape() const {
  if (n_ < 1 || dim_ < 1) {
    throw Error("training set is empty (" + std::to_string(n_) + " x " + std::to_string(dim_) +
                "): it needs at least one point of dimension at least 1");
  }
}

TrainingSet::TrainingSet(const MatrixXfR& points)
    : n_(static_cast<int>(points.rows())), dim_(static_cast<int>(points.cols())) {
  check_shape();
  for (int i = 0; i < n_; ++i) {
    for (int k = 0; k < dim_; ++k) {
      if (!std::isfinite(points(i, k))) {
        throw Error("training point " + std::to_string(i) + ", coordinate " + std::to_string(k) + " is not finite (" +
                    std::to_string(points(i, k)) + "): remove or replace NaN/Inf values");
      }
    }
  }
  stride_ = round_up(dim_, kPad);
  n_padded_ = round_up(n_, kPad);
  mean_.assign(dim_, 0.0f);
  for (int k = 0; k < dim_; ++k) {
    double sum = 0.0;
    for (int i = 0; i < n_; ++i) sum += points(i, k);
    mean_[k] = static_cast<float>(sum / n_);
  }
  rows_.assign(size_t(n_padded_) * stride_, 0.0f);
  for (int i = 0; i < n_; ++i)
    for (int k = 0; k < dim_; ++k)
      rows_[size_t(i) * stride_ + k] = static_cast<float>(double(points(i, k)) - double(mean_[k]));
  finish_layout();
}

TrainingSet::TrainingSet(const uint8_t* values, int n, int d, float scale) : n_(n), dim_(d), u8_scale_(scale) {
  check_shape();
  if (!(std::isfinite(scale) && scale > 0.0f))
    throw Error("the scale of uint8 training data must be finite and positive (got " + std::to_string(scale) + ")");
  stride_ = round_up(dim_, kPad);
  n_padded_ = round_up(n_, kPad);
  rows_u8_.assign(size_t(n_padded_) * stride_, 0);
  std::vector<double> sum(dim_, 0.0);
  for (int i = 0; i < n_; ++i)
    for (int k = 0; k < dim_; ++k) {
      rows_u8_[size_t(i) * stride_ + k] = values[size_t(i) * dim_ + k];
      sum[k] += values[size_t(i) * dim_ + k];
    }
  mean_.assign(dim_, 0.0f);
  for (int k = 0; k < dim_; ++k) mean_[k] = static_cast<float>(double(scale) * sum[k] / n_);
  finish_layout();
}

void TrainingSet::finish_layout() {
  norms_sq_.assign(n_padded_ + kPad, 0.0f);  // + kPad: vector reads past the last row stay inside
  for (int i = 0; i < n_; ++i) {
    double norm_sq = 0.0;
    for (int k = 0; k < dim_; ++k) {
      // From the stored value, in double: x'_ik exactly as the kernels will see it.
      const double value = rows_u8_.empty() ? double(rows_[size_t(i) * stride_ + k])
                                            : double(u8_scale_ * rows_u8_[size_t(i) * stride_ + k] - mean_[k]);
      norm_sq += value * value;
    }
    norms_sq_[i] = static_cast<float>(norm_sq);
  }
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
