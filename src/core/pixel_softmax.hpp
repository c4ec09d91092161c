// The online softmax of the local models (analytic-family.md), one per group of coordinates: a
// running maximum logit, sum of weights and weighted sum of the training rows, in double. The
// local patch model has a group per pixel (its channels share a weight); PCA locality one per
// coordinate. Training rows are added in a fixed order, so the result does not depend on how
// queries are split over threads.
#pragma once
#include <cmath>
#include <limits>
#include <vector>

#include "core/detmath.hpp"

namespace cfdm {

class PixelSoftmax {
 public:
  PixelSoftmax(int groups, int width)
      : width_(width),
        max_(size_t(groups), -std::numeric_limits<double>::infinity()),
        sum_(size_t(groups), 0.0),
        acc_(size_t(groups) * width, 0.0) {}

  // Adds a training row x (groups x width values, centred) with one logit per group.
  void add(const double* logits, const double* x) {
    for (size_t g = 0; g < max_.size(); ++g) {
      double* acc = &acc_[g * width_];
      const double* row = x + g * width_;
      double l = logits[g];
      if (l > max_[g]) {  // a new maximum: what was summed shrinks by exp(old - new)
        const double shrink = weight(max_[g] - l);
        sum_[g] *= shrink;
        for (int c = 0; c < width_; ++c) acc[c] *= shrink;
        max_[g] = l;
      }
      const double w = weight(l - max_[g]);
      if (w == 0.0) continue;
      sum_[g] += w;
      for (int c = 0; c < width_; ++c) acc[c] += w * row[c];
    }
  }

  // out_k = mean_k + (weighted sum / sum of weights)_k: the denoiser in data coordinates.
  void finish(const float* mean, float* out) const {
    for (size_t g = 0; g < max_.size(); ++g)
      for (int c = 0; c < width_; ++c) {
        const size_t k = g * width_ + c;
        out[k] = float(double(mean[k]) + acc_[k] / sum_[g]);
      }
  }

 private:
  // exp(x) for x <= 0; 0 below -700, where it is negligible beside the maximum's weight of 1.
  static double weight(double x) { return x < -700.0 ? 0.0 : detmath::exp(x); }

  int width_;
  std::vector<double> max_, sum_, acc_;
};

}  // namespace cfdm
