// The online softmax of the local models (analytic-family.md), one per group of coordinates: a
// running maximum logit, sum of weights and weighted sum of the training rows, in double. The
// local patch model has a group per pixel (its channels share a weight); PCA locality one per
// coordinate. Training rows are added in a fixed order, so the result does not depend on how
// queries are split over threads.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/thread_pool.hpp"
#include "core/training_set.hpp"


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

// Streams the training rows past the queries (z - a c, centred as the rows are, in double), in
// groups of 4 queries split over pool: for each row x_i and query z, logits(z, x_i, l) writes one
// logit per softmax group, and the softmaxes finished give out (row stride out_stride). Each group
// of queries gets its own copy of logits, so it may keep scratch space. The rows are added in
// order whatever the thread count: the same bits on every one.
template <class Logits>
void stream_pixel_softmax(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                          double a, int groups, int width, const Logits& logits, float* out, int out_stride) {
  const int d = train.dim(), n = train.n();
  const float* mean = train.mean().data();
  constexpr int kQueriesPerTask = 4;
  const int tasks = (n_queries + kQueriesPerTask - 1) / kQueriesPerTask;
  pool.run(tasks, [&](int task) {
    const int q0 = task * kQueriesPerTask, count = std::min(kQueriesPerTask, n_queries - q0);
    const size_t dim = static_cast<size_t>(d);
    std::vector<double> z(count * dim), x(dim), l(static_cast<size_t>(groups));
    for (int q = 0; q < count; ++q)
      for (int k = 0; k < d; ++k) z[size_t(q) * d + k] = double(queries[size_t(q0 + q) * stride + k]) - a * mean[k];
    std::vector<PixelSoftmax> softmax(size_t(count), PixelSoftmax(groups, width));
    Logits own = logits;
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < d; ++k) x[size_t(k)] = train.centered(i, k);
      for (int q = 0; q < count; ++q) {
        own(&z[size_t(q) * d], x.data(), l.data());
        softmax[size_t(q)].add(l.data(), x.data());
      }
    }
    for (int q = 0; q < count; ++q) softmax[size_t(q)].finish(mean, out + size_t(q0 + q) * out_stride);
  });
}

}  // namespace cfdm
