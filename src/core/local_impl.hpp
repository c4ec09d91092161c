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

// Training images are handled in blocks of kLanes: their logits are computed side by side (lane k
// holds image i0 + k, so the summed-area tables and mask sums vectorize without gathers), then
// added to the softmaxes one image after another, in order.
constexpr int kLanes = 8;

// kLanes doubles handled as one value. Where they fill one register (AVX-512,
// CFDM_LOCAL_VECTOR_LANES) a vector type; elsewhere a plain array and loops, which the compiler
// vectorizes itself: on SSE2, AVX2 and WebAssembly a vector type of eight doubles (two or four
// registers) ran 1.1 to 6 times slower than the loops. A struct of this namespace, so that
// templates over it (std::vector) are instantiated apart for each instruction set rather than
// shared between them.
struct Lanes {
#if !defined(CFDM_LOCAL_VECTOR_LANES)
  double v[kLanes];
#else
  typedef double Vector __attribute__((vector_size(kLanes * sizeof(double))));
  Vector v;
#endif
  double get(int k) const { return v[k]; }
  void set(int k, double x) { v[k] = x; }
};
#if !defined(CFDM_LOCAL_VECTOR_LANES)
template <class Op>
inline Lanes lanewise(const Lanes& x, const Lanes& y, Op op) {
  Lanes r;
  for (int k = 0; k < kLanes; ++k) r.v[k] = op(x.v[k], y.v[k]);
  return r;
}
inline Lanes operator+(const Lanes& x, const Lanes& y) { return lanewise(x, y, [](double p, double q) { return p + q; }); }
inline Lanes operator-(const Lanes& x, const Lanes& y) { return lanewise(x, y, [](double p, double q) { return p - q; }); }
inline Lanes operator*(const Lanes& x, const Lanes& y) { return lanewise(x, y, [](double p, double q) { return p * q; }); }
inline Lanes broadcast(double x) {
  Lanes r;
  for (double& v : r.v) v = x;
  return r;
}
#else
inline Lanes operator+(const Lanes& x, const Lanes& y) { return Lanes{x.v + y.v}; }
inline Lanes operator-(const Lanes& x, const Lanes& y) { return Lanes{x.v - y.v}; }
inline Lanes operator*(const Lanes& x, const Lanes& y) { return Lanes{x.v * y.v}; }
inline Lanes broadcast(double x) { return Lanes{Lanes::Vector{} + x}; }
#endif

class PixelSoftmax {
 public:
  PixelSoftmax(int groups, int width)
      : width_(width),
        max_(size_t(groups), -std::numeric_limits<double>::infinity()),
        sum_(size_t(groups), 0.0),
        acc_(size_t(groups) * width, 0.0) {}

  // Adds a training row x (groups x width values, centred) with one logit per group. The result is
  // that of the plain loop
  //   if (l > max) { sum *= e^(max - l); acc *= e^(max - l); max = l; }  w = e^(l - max); sum += w; acc += w x;
  // written branch-free so that it vectorizes: one exponential e = e^-|l - max| serves as the
  // shrink factor of a new maximum (its weight is e^0 = 1) or as the weight of any other logit (its
  // shrink factor is 1). A group whose logit is more than 40 below its maximum would add a weight
  // of 0 and shrink by 1, both exact, so a run of kRun such groups is skipped: most of them once
  // the noise is low, with the same bits.
  void add(const double* __restrict logits, const double* __restrict x) {
    const size_t groups = max_.size();
    const double* __restrict top = max_.data();
    // Runs of live chunks are updated in one loop (independent work for the exponentials' chains).
    size_t g0 = 0;
    while (g0 < groups) {
      if (!live(logits, top, g0, std::min(groups, g0 + kRun))) {
        g0 += kRun;
        continue;
      }
      size_t g1 = g0 + kRun;
      while (g1 < groups && live(logits, top, g1, std::min(groups, g1 + kRun))) g1 += kRun;
      g1 = std::min(groups, g1);
      if (width_ == 1)
        update<1>(logits, x, g0, g1);
      else
        update<0>(logits, x, g0, g1);
      g0 = g1;
    }
  }

  // The state (a part of a training set split across processes, merge_pixel_softmax_states): the
  // maxima, the sums of weights, then the weighted sums.
  void save(double* state) const {
    std::copy(max_.begin(), max_.end(), state);
    std::copy(sum_.begin(), sum_.end(), state + max_.size());
    std::copy(acc_.begin(), acc_.end(), state + 2 * max_.size());
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
  static constexpr double kCutoff = 40.0;
  static constexpr size_t kRun = 8;

  // Whether any group of [g0, g1) has a logit within kCutoff of its maximum (or is NaN).
  static bool live(const double* __restrict logits, const double* __restrict top, size_t g0, size_t g1) {
    int any = 0;
    for (size_t g = g0; g < g1; ++g) any |= logits[g] - top[g] < -kCutoff ? 0 : 1;
    return any != 0;
  }

  // Groups [g0, g1); Width 1: one value per group, known when compiled; 0: width_ values.
  template <int Width>
  void update(const double* __restrict logits, const double* __restrict x, size_t g0, size_t g1) {
    double* __restrict top = max_.data();
    double* __restrict sum = sum_.data();
    double* __restrict acc = acc_.data();
    const int width = Width ? Width : width_;
    for (size_t g = g0; g < g1; ++g) {
      // m - l = -(l - m) exactly (rounding to nearest is symmetric), so e is the e^(m - l) of a new
      // maximum and the e^(l - m) of any other logit.
      const double l = logits[g], m = top[g], gap = l - m;
      const bool up = l > m;
      const double e = weight(up ? -gap : gap);
      const double shrink = up ? e : 1.0, w = up ? 1.0 : e;
      top[g] = up ? l : m;
      sum[g] = sum[g] * shrink + w;
      for (int c = 0; c < width; ++c) acc[g * width + c] = acc[g * width + c] * shrink + w * x[g * width + c];
    }
  }

  // exp(x) for x <= 0; 0 below -40, where e^x < 5e-18 vanishes beside the maximum's weight of 1
  // in a double sum (and -inf, a first maximum's shrink, gives 0).
  static double weight(double x) {
    const double e = exp_above_minus_40(x < -kCutoff ? -kCutoff : x);
    return x < -kCutoff ? 0.0 : e;
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

// Training rows index(0 .. block) centred in double: rows (block x d) and lanes (d, lane k: row k).
template <class Index>
void load_block(const TrainingSet& train, const Index& index, int block, double* rows, Lanes* lanes) {
  const size_t d = size_t(train.dim());
  for (int k = 0; k < block; ++k) train.centered_row(index(k), rows + size_t(k) * d);
  for (size_t j = 0; j < d; ++j)
    for (int k = 0; k < block; ++k) lanes[j].set(k, rows[size_t(k) * d + j]);
}

// Streams the training rows past the queries (z - a c, centred as the rows are, in double), in
// groups of 4 queries split over pool. For each block of kLanes rows (lane k: x_(i0 + k), stored
// coordinate-major: lanes[j][k] = x_(i0 + k), j) and query z, logits(z, lanes, l) writes one
// logit per softmax group and lane (l[k groups + g]). Each group of queries gets its own copy of
// logits, so it may keep scratch space, and its own consumer, begin(q0, count), on the thread that
// runs it: consumer.add(q, block, l, rows) takes query q0 + q's logits of each block in order (rows:
// the block's rows, block x d), then consumer.finish(). stream_pixel_softmax's softmaxes are such
// consumers, and so is the benchmark's floor (tests/bench/local_floor_impl.hpp), which keeps none.
template <class Logits, class Begin>
void stream_logits(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                   double a, int groups, const Logits& logits, const Begin& begin) {
  const int d = train.dim(), n = train.n();
  const float* mean = train.mean().data();
  constexpr int kQueriesPerTask = 4;
  const int tasks = (n_queries + kQueriesPerTask - 1) / kQueriesPerTask;
  pool.run(tasks, [&](int task) {
    const int q0 = task * kQueriesPerTask, count = std::min(kQueriesPerTask, n_queries - q0);
    const size_t dim = static_cast<size_t>(d);
    std::vector<double> z(count * dim), rows(kLanes * dim), l(size_t(kLanes) * size_t(groups));
    std::vector<Lanes> lanes(dim, broadcast(0.0));
    for (int q = 0; q < count; ++q)
      for (int k = 0; k < d; ++k) z[size_t(q) * d + k] = double(queries[size_t(q0 + q) * stride + k]) - a * mean[k];
    auto consumer = begin(q0, count);
    Logits own = logits;
    for (int i0 = 0; i0 < n; i0 += kLanes) {
      const int block = std::min(kLanes, n - i0);
      load_block(train, [&](int k) { return i0 + k; }, block, rows.data(), lanes.data());
      for (int q = 0; q < count; ++q) {
        own(&z[size_t(q) * d], lanes.data(), l.data());
        consumer.add(q, block, l.data(), rows.data());
      }
    }
    consumer.finish();
  });
}

// The per-pixel softmaxes of stream_logits: the rows are added in order, whatever the thread
// count, and the softmaxes finished give out (row stride out_stride): the same bits on every
// thread count. With states (not null): each query's softmax state (PixelSoftmax::save, groups
// (2 + width) doubles a query) instead of out.
template <class Logits>
void stream_pixel_softmax(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                          double a, int groups, int width, const Logits& logits, float* out, int out_stride,
                          double* states) {
  const size_t dim = static_cast<size_t>(train.dim());
  const float* mean = train.mean().data();
  struct Softmaxes {
    int q0, groups, width;
    size_t dim;
    const float* mean;
    float* out;
    int out_stride;
    double* states;
    std::vector<PixelSoftmax> softmax;
    void add(int q, int block, const double* l, const double* rows) {
      for (int k = 0; k < block; ++k) softmax[size_t(q)].add(&l[size_t(k) * groups], &rows[size_t(k) * dim]);
    }
    void finish() {
      for (size_t q = 0; q < softmax.size(); ++q)
        if (states)
          softmax[q].save(states + (size_t(q0) + q) * size_t(groups) * size_t(2 + width));
        else
          softmax[q].finish(mean, out + (size_t(q0) + q) * size_t(out_stride));
    }
  };
  stream_logits(train, pool, queries, n_queries, stride, a, groups, logits, [&](int q0, int count) {
    Softmaxes group{q0, groups, width, dim, mean, out, out_stride, states, {}};
    group.softmax.assign(size_t(count), PixelSoftmax(groups, width));
    return group;
  });
}

// The local patch model's logits for one query and a block of training images: per lane, the
// summed-area table of (z - a x)^2, then each pixel's window sum.
struct WindowLogits {
  int h, w, c, radius;
  double a, scale;
  // (h + 1) x (w + 1); table(r, s) sums the pixels above r and left of s
  std::vector<Lanes> table;
  void operator()(const double* z, const Lanes* x, double* logits) {
    table.resize(size_t(h + 1) * (w + 1), broadcast(0.0));
    const Lanes shrink = broadcast(a);
    for (int r = 0; r < h; ++r) {
      Lanes row_sum = broadcast(0.0);
      for (int s = 0; s < w; ++s) {
        const int p = (r * w + s) * c;
        for (int ch = 0; ch < c; ++ch) {
          const Lanes e = broadcast(z[p + ch]) - shrink * x[p + ch];
          row_sum = row_sum + e * e;
        }
        table[size_t(r + 1) * (w + 1) + s + 1] = table[size_t(r) * (w + 1) + s + 1] + row_sum;
      }
    }
    const size_t groups = size_t(h) * w;
    const Lanes minus_scale = broadcast(-scale);
    for (int r = 0; r < h; ++r) {
      const int r0 = std::max(0, r - radius), r1 = std::min(h, r + radius + 1);
      for (int s = 0; s < w; ++s) {
        const int s0 = std::max(0, s - radius), s1 = std::min(w, s + radius + 1);
        const Lanes box = table[size_t(r1) * (w + 1) + s1] - table[size_t(r0) * (w + 1) + s1] -
                          table[size_t(r1) * (w + 1) + s0] + table[size_t(r0) * (w + 1) + s0];
        // -box * scale: negating is exact, so (-scale) * box has the same bits
        const Lanes logit = minus_scale * box;
        for (int k = 0; k < kLanes; ++k) logits[size_t(k) * groups + size_t(r) * w + s] = logit.get(k);
      }
    }
  }
};

// PCA locality's logits for one query and a block of training rows: per lane, (z - a x)^2 summed
// over each output coordinate's mask.
struct MaskLogits {
  int d;
  double a, scale;
  const int* offsets;
  const int* indices;
  std::vector<Lanes> e;
  void operator()(const double* z, const Lanes* x, double* logits) {
    e.resize(size_t(d));
    const Lanes shrink = broadcast(a);
    for (int j = 0; j < d; ++j) {
      const Lanes diff = broadcast(z[j]) - shrink * x[j];
      e[size_t(j)] = diff * diff;
    }
    const Lanes minus_scale = broadcast(-scale);
    for (int j = 0; j < d; ++j) {
      Lanes sum = broadcast(0.0);
      for (int m = offsets[j]; m < offsets[j + 1]; ++m) sum = sum + e[size_t(indices[m])];
      const Lanes logit = minus_scale * sum;
      for (int k = 0; k < kLanes; ++k) logits[size_t(k) * d + j] = logit.get(k);
    }
  }
};

inline void window_means(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                         double a, double scale, const ImageShape& image, int radius, float* out, int out_stride,
                         double* states) {
  stream_pixel_softmax(train, pool, queries, n_queries, stride, a, image.height * image.width, image.channels,
                       WindowLogits{image.height, image.width, image.channels, radius, a, scale, {}}, out, out_stride,
                       states);
}

// The local patch model over each query's own m rows (LocalTable::window_rows), in blocks of
// kLanes like the full stream, one query per task: a query's rows and their order alone decide its
// bits, whatever the thread count.
inline void window_rows_means(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries,
                              int stride, double a, double scale, const ImageShape& image, int radius, const int* rows,
                              int m, const double* log_weights, float* out, int out_stride) {
  const int d = train.dim(), groups = image.height * image.width, width = image.channels;
  const float* mean = train.mean().data();
  pool.run(n_queries, [&](int q) {
    const size_t dim = static_cast<size_t>(d);
    std::vector<double> z(dim), block_rows(kLanes * dim), l(size_t(kLanes) * size_t(groups));
    std::vector<Lanes> lanes(dim, broadcast(0.0));
    for (int k = 0; k < d; ++k) z[size_t(k)] = double(queries[size_t(q) * stride + k]) - a * mean[k];
    PixelSoftmax softmax(groups, width);
    WindowLogits logits{image.height, image.width, image.channels, radius, a, scale, {}};
    const int* mine = rows + size_t(q) * m;
    for (int j0 = 0; j0 < m; j0 += kLanes) {
      const int block = std::min(kLanes, m - j0);
      load_block(train, [&](int k) { return mine[j0 + k]; }, block, block_rows.data(), lanes.data());
      logits(z.data(), lanes.data(), l.data());
      for (int k = 0; k < block; ++k) {
        double* own = &l[size_t(k) * groups];
        const double shift = log_weights[j0 + k];
        if (shift != 0.0)
          for (int g = 0; g < groups; ++g) own[g] += shift;
        softmax.add(own, &block_rows[size_t(k) * dim]);
      }
    }
    softmax.finish(mean, out + size_t(q) * out_stride);
  });
}

inline void mask_means(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                       double a, double scale, const int* offsets, const int* indices, float* out, int out_stride,
                       double* states) {
  const int d = train.dim();
  stream_pixel_softmax(train, pool, queries, n_queries, stride, a, d, 1, MaskLogits{d, a, scale, offsets, indices, {}},
                       out, out_stride, states);
}

inline const LocalTable& local_table() {
  static const LocalTable table{&window_means, &window_rows_means, &mask_means};
  return table;
}

}  // namespace CFDM_LOCAL_NAMESPACE
}  // namespace cfdm
