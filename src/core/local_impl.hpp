// The local models' kernels (local_model.cpp and pca_local_model.cpp have their formulas), compiled
// once per instruction set: each local_isa_*.cpp defines CFDM_LOCAL_NAMESPACE and includes this.
// The online softmax, one per group of coordinates: a running maximum logit, sum of weights and
// weighted sum of the training rows, in double. The local patch model has a group per pixel (its
// channels share a weight); PCA locality one per coordinate. Training rows are added in a fixed
// order, so the result does not depend on how queries are split over threads; every operation is
// the same in every lane and on every instruction set (compiled without FMA contraction), so the
// bits do not depend on the vector width either.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/local_kernels.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"

#ifndef CFDM_LOCAL_NAMESPACE
#error "define CFDM_LOCAL_NAMESPACE before including local_impl.hpp"
#endif

namespace cfdm {
namespace CFDM_LOCAL_NAMESPACE {

class PixelSoftmax {
 public:
  PixelSoftmax(int groups, int width)
      : width_(width),
        max_(size_t(groups), -std::numeric_limits<double>::infinity()),
        sum_(size_t(groups), 0.0),
        acc_(size_t(groups) * width, 0.0) {}

  // Adds a training row x (groups x width values, centred) with one logit per group. Branch-free
  // (so that it vectorizes): where the logit is no new maximum the shrink factor is e^0 = 1 and a
  // vanishing weight adds 0, both exact, so the result is that of the plain loop
  //   if (l > max) { sum *= e^(max - l); acc *= e^(max - l); max = l; }  w = e^(l - max); sum += w; acc += w x.
  void add(const double* __restrict logits, const double* __restrict x) {
    const size_t groups = max_.size();
    double* __restrict top = max_.data();
    double* __restrict sum = sum_.data();
    double* __restrict acc = acc_.data();
    if (width_ == 1) {
      for (size_t g = 0; g < groups; ++g) {
        const double l = logits[g], m = top[g], next = l > m ? l : m;
        const double shrink = weight(m - next), w = weight(l - next);
        top[g] = next;
        sum[g] = sum[g] * shrink + w;
        acc[g] = acc[g] * shrink + w * x[g];
      }
      return;
    }
    for (size_t g = 0; g < groups; ++g) {
      const double l = logits[g], m = top[g], next = l > m ? l : m;
      const double shrink = weight(m - next), w = weight(l - next);
      top[g] = next;
      sum[g] = sum[g] * shrink + w;
      for (int c = 0; c < width_; ++c) acc[g * width_ + c] = acc[g * width_ + c] * shrink + w * x[g * width_ + c];
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
  // in a double sum (and -inf, a first maximum's shrink, gives 0).
  static double weight(double x) {
    const double e = exp_above_minus_40(x < -40.0 ? -40.0 : x);
    return x < -40.0 ? 0.0 : e;
  }

  // e^x for x in [-40, 0]: 2^n e^r, r = x - n ln 2 in [-ln2/2, ln2/2], e^r by its Taylor
  // polynomial to r^12 (relative error below 1e-16), 2^n written into the exponent's bits. n is
  // rounded (half to even) by adding and subtracting 1.5 * 2^52, and the same sum plus 1023 holds
  // n + 1023 in its low mantissa bits, shifted into the exponent: only +, -, * and integer shifts,
  // so the same bits on every build and lane (compiled without contracting a * b + c).
  static double exp_above_minus_40(double x) {
    constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52
    const double n = (x * 1.4426950408889634 + kRound) - kRound;
    const double r = (x - n * 0.69314718036912381649) - n * 1.9082149292705877e-10;
    double p = 1.0 / 479001600.0;  // 1/12!
    for (double c : {1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120,
                     1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0})
      p = p * r + c;
    const double biased = n + (kRound + 1023.0);
    uint64_t bits;
    std::memcpy(&bits, &biased, sizeof bits);
    bits <<= 52;
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


// The local patch model's logits for one query and training image: the summed-area table of
// (z - a x)^2, then each pixel's window sum.
struct WindowLogits {
  int h, w, c, radius;
  double a, scale;
  std::vector<double> table;  // (h + 1) x (w + 1); table(r, s) sums the pixels above r and left of s
  void operator()(const double* z, const double* x, double* logits) {
    table.resize(size_t(h + 1) * (w + 1), 0.0);
    for (int r = 0; r < h; ++r) {
      double row_sum = 0.0;
      for (int s = 0; s < w; ++s) {
        const int p = (r * w + s) * c;
        for (int ch = 0; ch < c; ++ch) {
          const double e = z[p + ch] - a * x[p + ch];
          row_sum += e * e;
        }
        table[size_t(r + 1) * (w + 1) + s + 1] = table[size_t(r) * (w + 1) + s + 1] + row_sum;
      }
    }
    for (int r = 0; r < h; ++r) {
      const int r0 = std::max(0, r - radius), r1 = std::min(h, r + radius + 1);
      for (int s = 0; s < w; ++s) {
        const int s0 = std::max(0, s - radius), s1 = std::min(w, s + radius + 1);
        const double box = table[size_t(r1) * (w + 1) + s1] - table[size_t(r0) * (w + 1) + s1] -
                           table[size_t(r1) * (w + 1) + s0] + table[size_t(r0) * (w + 1) + s0];
        logits[size_t(r) * w + s] = -box * scale;
      }
    }
  }
};

// PCA locality's logits for one query and training row: (z - a x)^2 summed over each output
// coordinate's mask.
struct MaskLogits {
  int d;
  double a, scale;
  const int* offsets;
  const int* indices;
  std::vector<double> e;
  void operator()(const double* z, const double* x, double* logits) {
    e.resize(size_t(d));
    for (int k = 0; k < d; ++k) e[size_t(k)] = (z[k] - a * x[k]) * (z[k] - a * x[k]);
    for (int j = 0; j < d; ++j) {
      double sum = 0.0;
      for (int m = offsets[j]; m < offsets[j + 1]; ++m) sum += e[size_t(indices[m])];
      logits[j] = -sum * scale;
    }
  }
};

inline void window_means(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                         double a, double scale, const ImageShape& image, int radius, float* out, int out_stride) {
  stream_pixel_softmax(train, pool, queries, n_queries, stride, a, image.height * image.width, image.channels,
                       WindowLogits{image.height, image.width, image.channels, radius, a, scale, {}}, out, out_stride);
}

inline void mask_means(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                       double a, double scale, const int* offsets, const int* indices, float* out, int out_stride) {
  const int d = train.dim();
  stream_pixel_softmax(train, pool, queries, n_queries, stride, a, d, 1, MaskLogits{d, a, scale, offsets, indices, {}},
                       out, out_stride);
}

inline const LocalTable& local_table() {
  static const LocalTable table{&window_means, &mask_means};
  return table;
}

}  // namespace CFDM_LOCAL_NAMESPACE
}  // namespace cfdm
