#include "core/knn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/simd.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
// Floyd's algorithm over ranks 0 .. N-K-1 of the non-neighbours, then each rank r mapped to its
// index. With the neighbours sorted, s_0 < s_1 < ..., s_i - i non-neighbours lie below s_i, so
// rank r lies past exactly the neighbours with s_i - i <= r: its index is r + #{i : s_i - i <= r}.
// Unsorted, s_i - i is neighbour j's value minus its rank among the neighbours.
void knn_draw_others(Rng& rng, int n, const int* neighbors, int k, int l, std::vector<int>* drawn) {
  const int n_others = n - k;
  drawn->clear();
  // Ranks already drawn: for the usual few a scan, skipped when a 256-bit filter of the ranks'
  // low bits has not seen this one (a repeat is rare); a hash set for many.
  const bool hashed = l > 64;
  std::unordered_set<int> taken_set;
  if (hashed) taken_set.reserve(size_t(l));
  uint64_t seen[4] = {0, 0, 0, 0};
  for (int j = n_others - l; j < n_others; ++j) {
    const int rank = int(rng.uniform_index(uint32_t(j + 1)));
    bool taken;
    if (hashed) {
      taken = !taken_set.insert(rank).second;
      if (taken) taken_set.insert(j);
    } else {
      taken = (seen[(rank >> 6) & 3] >> (rank & 63) & 1) && std::find(drawn->begin(), drawn->end(), rank) != drawn->end();
      const int value = taken ? j : rank;
      seen[(value >> 6) & 3] |= uint64_t(1) << (value & 63);
    }
    drawn->push_back(taken ? j : rank);
  }
  if (k <= 64 && l <= 64) {
    // The usual few: each neighbour's rank among the neighbours by counting, then each draw's
    // count of s_i - i <= r, in lanes padded to 8 (no branches; the padding counts nothing).
    constexpr int kPad = 8;
    const int kp = (k + kPad - 1) / kPad * kPad, lp = (l + kPad - 1) / kPad * kPad;
    int value[64], offset[64], count[64];
    std::copy(neighbors, neighbors + k, value);
    std::fill(value + k, value + kp, 0);
    std::fill(offset, offset + kp, 0);
    for (int j = 0; j < k; ++j)
      for (int i = 0; i < kp; ++i) offset[i] += neighbors[j] < value[i];
    for (int i = 0; i < kp; ++i) offset[i] = i < k ? value[i] - offset[i] : std::numeric_limits<int>::max();
    int* ranks = drawn->data();
    std::copy(ranks, ranks + l, value);
    std::fill(value + l, value + lp, 0);
    std::fill(count, count + lp, 0);
    for (int i = 0; i < kp; ++i)
      for (int j = 0; j < lp; ++j) count[j] += offset[i] <= value[j];
    for (int j = 0; j < l; ++j) ranks[j] += count[j];
    return;
  }
  std::vector<int> offset(neighbors, neighbors + k);
  std::sort(offset.begin(), offset.end());
  for (int i = 0; i < k; ++i) offset[size_t(i)] -= i;  // non-decreasing
  for (int& value : *drawn) value += int(std::upper_bound(offset.begin(), offset.end(), value) - offset.begin());
}

namespace {

// knn_sums for D coordinates (D = 0: the training set's, at run time; a fixed D unrolls the
// coordinate loops). The same operations in the same order either way.
template <int D>
void sums_in(const TrainingSet& train, const KnnOptions& options, const float* query, double t, const int* neighbors,
             const float* neighbor_points, const int* drawn, KnnSums& sums) {
  const int n = train.n(), d = D > 0 ? D : train.dim(), k = options.k, m = options.k + options.l;
  constexpr int W = 4;  // the exp's vector width
  const int padded = (m + W - 1) / W * W;
  const double half_inv_var = 0.5 / ((1 - t) * (1 - t));
  const double other_weight = options.l > 0 ? double(n - k) / options.l : 0.0;  // (N - K) / L
  sums.centered.resize(size_t(d));
  sums.logits.resize(size_t(m));
  sums.points.resize(size_t(m) * d);
  sums.weights.resize(size_t(padded));
  sums.numerator.resize(size_t(d));
  double* centered = sums.centered.data();
  double* logits = sums.logits.data();
  float* x = sums.points.data();  // the K + L points' centered coordinates, gathered once
  float* weights = sums.weights.data();
  // Centered query q - t c; logits l_j = -|q - t x_j|^2 / (2 (1-t)^2) over the K + L points.
  for (int c = 0; c < d; ++c) centered[c] = double(query[c]) - t * train.mean()[c];
  // For d <= 8 the column layout is compact enough to stay in cache where the padded rows are
  // not; above that a point's row is contiguous, its columns not.
  const float* columns = d <= TrainingSet::kDirectMaxDim ? train.columns() : nullptr;
  const size_t n_padded = size_t(train.n_padded());
  int j = 0;
  if (neighbor_points) {
    std::copy(neighbor_points, neighbor_points + size_t(k) * d, x);
    j = k;
  }
  for (; j < m; ++j) {
    const int i = j < k ? neighbors[j] : drawn[j - k];
    for (int c = 0; c < d; ++c)
      x[size_t(j) * d + c] = columns ? columns[c * n_padded + size_t(i)] : train.centered(i, c);
  }
  for (j = 0; j < m; ++j) {
    double dist_sq = 0;
    for (int c = 0; c < d; ++c) {
      const double diff = centered[c] - t * x[size_t(j) * d + c];
      dist_sq += diff * diff;
    }
    logits[j] = -dist_sq * half_inv_var;
  }
  // The largest logit: a maximum is exact in any order, so four running ones.
  double a = -INFINITY, b = -INFINITY, e = -INFINITY, f = -INFINITY;
  for (j = 0; j + 4 <= m; j += 4) {
    a = std::max(a, logits[j]);
    b = std::max(b, logits[j + 1]);
    e = std::max(e, logits[j + 2]);
    f = std::max(f, logits[j + 3]);
  }
  for (; j < m; ++j) a = std::max(a, logits[j]);
  const double log_scale = std::max(std::max(a, b), std::max(e, f));
  // Weights exp(l_j - max) in float, four at a time, with the vector exp of the exact kernels:
  // IEEE operations only, so every build gets the same bits (libm's exp differs between builds).
  for (j = 0; j < padded; ++j) weights[j] = j < m ? float(logits[j] - log_scale) : -INFINITY;
  for (j = 0; j < padded; j += W) simd::store<W>(weights + j, simd::exp_nonpositive<W>(simd::load<W>(weights + j)));
  // The denominator and each coordinate's numerator, each summed in the order j = 0, 1, ...;
  // for a fixed D in one pass and in registers, so the chains of additions run side by side.
  const int numerator_terms = options.weight_numerator ? m : k;
  double denominator = 0;
  for (j = 0; j < m; ++j) {
    logits[j] = double(weights[j]) * (j < k ? 1.0 : other_weight);  // reused: the weight of point j
    if constexpr (D == 0) denominator += logits[j];
  }
  if constexpr (D > 0) {
    double numerator[D] = {};
    for (j = 0; j < m; ++j) {
      denominator += logits[j];
      if (j < numerator_terms)
        for (int c = 0; c < D; ++c) numerator[c] += logits[j] * x[size_t(j) * D + c];
    }
    std::copy(numerator, numerator + D, sums.numerator.data());
  } else {
    for (int c = 0; c < d; ++c) {
      double sum = 0;
      for (j = 0; j < numerator_terms; ++j) sum += logits[j] * x[size_t(j) * d + c];
      sums.numerator[size_t(c)] = sum;
    }
  }
  sums.denominator = denominator;
  sums.log_scale = log_scale;
}

}  // namespace

void knn_sums(const TrainingSet& train, const KnnOptions& options, const float* query, double t, const int* neighbors,
              const int* drawn, KnnSums* out, const float* neighbor_points) {
  switch (train.dim()) {
#define CFDM_SUMS_DIM(D)                                                                \
  case D:                                                                              \
    return sums_in<D>(train, options, query, t, neighbors, neighbor_points, drawn, *out);
    CFDM_SUMS_DIM(1)
    CFDM_SUMS_DIM(2)
    CFDM_SUMS_DIM(3)
    CFDM_SUMS_DIM(4)
#undef CFDM_SUMS_DIM
    default:
      return sums_in<0>(train, options, query, t, neighbors, neighbor_points, drawn, *out);
  }
}

void validate(const KnnOptions& o, int n_train) {
  if (o.k < 1) throw Error("K (--k) must be at least 1 (got " + std::to_string(o.k) + ")");
  if (o.l < 0) throw Error("L (--l) must be at least 0 (got " + std::to_string(o.l) + ")");
  if (int64_t(o.k) + o.l > n_train)
    throw Error("K + L = " + std::to_string(int64_t(o.k) + o.l) + " is more than the " + std::to_string(n_train) +
                " training points: lower --k or --l (K + L = N is the exact model)");
}

bool knn_neighbors(const TrainingSet& train, const NeighborIndex& index, int k, const float* queries, int n_queries,
                   int stride, double t, int* neighbors, ThreadPool& pool, const KernelOptions& kernel,
                   const int* hints, float* points, const float* hint_points) {
  // Neighbours of z among {t x_i} are those of z/t among {x_i}; centered: z/t - c.
  const int d = train.dim();
  std::vector<float> scaled(size_t(n_queries) * d);
  for (int r = 0; r < n_queries; ++r)
    for (int c = 0; c < d; ++c)
      scaled[size_t(r) * d + c] = float(double(queries[size_t(r) * stride + c]) / t - train.mean()[c]);
  return index.find(scaled.data(), n_queries, d, k, neighbors, pool, kernel, hints, points, hint_points);
}

bool knn_neighbors_remembered(const TrainingSet& train, const NeighborIndex& index, int k, const float* queries,
                              int n_queries, int stride, double t, KnnMemory* memory, ThreadPool& pool,
                              const KernelOptions& kernel) {
  const size_t size = size_t(n_queries) * k;
  const bool hinted = memory->neighbors.size() == size && memory->points.size() == size * train.dim();
  if (!hinted) {
    memory->neighbors.assign(size, 0);
    memory->points.assign(size * train.dim(), 0.0f);
  }
  float* points = memory->points.data();
  if (knn_neighbors(train, index, k, queries, n_queries, stride, t, memory->neighbors.data(), pool, kernel,
                    hinted ? memory->neighbors.data() : nullptr, points, hinted ? points : nullptr))
    return true;
  *memory = {};  // a cancelled search leaves some rows unwritten
  return false;
}

bool knn_posterior_mean(const TrainingSet& train, const NeighborIndex& index, const KnnOptions& options,
                        const float* queries, int n_queries, int stride, double t, uint64_t seed, uint64_t substream,
                        float* out, int out_stride, ThreadPool& pool, const KernelOptions& kernel, const int* neighbors,
                        KnnMemory* memory) {
  validate(options, train.n());
  const int n = train.n(), d = train.dim(), k = options.k, l = options.l;
  if (t == 0.0) {  // all weights 1/N: D_0 = mean(x)
    for (int r = 0; r < n_queries; ++r)
      for (int c = 0; c < d; ++c) out[size_t(r) * out_stride + c] = train.mean()[c];
    return true;
  }
  KnnMemory found;
  const float* neighbor_points = nullptr;  // the searched neighbours' coordinates
  if (!neighbors) {
    KnnMemory* into = memory ? memory : &found;
    if (!knn_neighbors_remembered(train, index, k, queries, n_queries, stride, t, into, pool, kernel)) return false;
    neighbors = into->neighbors.data();
    neighbor_points = into->points.data();
  }
  // Queries differ in cost: many small tasks keep the threads equally busy to the end.
  const int n_tasks = std::min(n_queries, pool.size() * 32);
  pool.run(n_tasks, [&](int task) {
    std::vector<int> drawn;
    KnnSums sums;
    for (int r = int(int64_t(n_queries) * task / n_tasks); r < int(int64_t(n_queries) * (task + 1) / n_tasks); ++r) {
      const int* mine = neighbors + size_t(r) * k;
      Rng rng(seed, uint64_t(r), substream);
      knn_draw_others(rng, n, mine, k, l, &drawn);
      knn_sums(train, options, queries + size_t(r) * stride, t, mine, drawn.data(), &sums,
               neighbor_points ? neighbor_points + size_t(r) * k * d : nullptr);
      for (int c = 0; c < d; ++c)
        out[size_t(r) * out_stride + c] = float(sums.numerator[c] / sums.denominator + train.mean()[c]);
    }
  });
  return !(kernel.cancel && kernel.cancel->load());
}

}  // namespace cfdm
