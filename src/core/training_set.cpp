#include "core/training_set.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace cfdm {
namespace {

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

TrainingSet::TrainingSet(const MatrixXfR& points)
    : n_(static_cast<int>(points.rows())), dim_(static_cast<int>(points.cols())) {
  if (n_ < 1 || dim_ < 1) {
    throw Error("training set is empty (" + std::to_string(n_) + " x " + std::to_string(dim_) +
                "): it needs at least one point of dimension at least 1");
  }
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
  norms_sq_.assign(n_padded_, 0.0f);
  for (int i = 0; i < n_; ++i) {
    double norm_sq = 0.0;
    for (int k = 0; k < dim_; ++k) {
      const double centered = double(points(i, k)) - double(mean_[k]);
      rows_[size_t(i) * stride_ + k] = static_cast<float>(centered);
      norm_sq += centered * centered;
    }
    norms_sq_[i] = static_cast<float>(norm_sq);
  }
  if (dim_ <= kDirectMaxDim) {
    columns_.assign(size_t(dim_) * n_padded_, 0.0f);
    for (int i = 0; i < n_; ++i)
      for (int k = 0; k < dim_; ++k) columns_[size_t(k) * n_padded_ + i] = rows_[size_t(i) * stride_ + k];
  }
}

MatrixXfR TrainingSet::points() const {
  MatrixXfR out(n_, dim_);
  for (int i = 0; i < n_; ++i)
    for (int k = 0; k < dim_; ++k) out(i, k) = coordinate(i, k);
  return out;
}

size_t TrainingSet::memory_bytes() const {
  return sizeof(float) * (rows_.size() + columns_.size() + norms_sq_.size() + mean_.size());
}

}  // namespace cfdm
