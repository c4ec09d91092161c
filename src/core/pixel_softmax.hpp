// The online softmax of the local models (analytic-family.md), one per group of coordinates: a
// running maximum logit, sum of weights and weighted sum of the training rows, in double. The
// local patch model has a group per pixel (its channels share a weight); PCA locality one per
// coordinate. Training rows are added in a fixed order, so the result does not depend on how
// queries are split over threads.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>


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
  // exp(x) for x <= 0; 0 below -40, where e^x < 5e-18 vanishes beside the maximum's weight of 1
  // in a double sum (the skipped exponentials are most of the work late in a run).
  static double weight(double x) { return x < -40.0 ? 0.0 : exp_above_minus_40(x); }

  // e^x for x in [-40, 0]: 2^n e^r, r = x - n ln 2 in [-ln2/2, ln2/2], e^r by its Taylor
  // polynomial to r^12 (relative error below 1e-16), 2^n written into the exponent's bits.
  // Only +, -, * and rounding to an integer: the same bits on every build (detmath.hpp).
  static double exp_above_minus_40(double x) {
    const double n = std::nearbyint(x * 1.4426950408889634);
    const double r = (x - n * 0.69314718036912381649) - n * 1.9082149292705877e-10;
    double p = 1.0 / 479001600.0;  // 1/12!
    for (double c : {1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120,
                     1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0})
      p = p * r + c;
    const uint64_t bits = uint64_t(int64_t(n) + 1023) << 52;
    double scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
  }

  int width_;
  std::vector<double> max_, sum_, acc_;
};

}  // namespace cfdm
