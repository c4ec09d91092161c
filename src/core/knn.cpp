#include "core/knn.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/simd.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
// Floyd's algorithm over ranks 0 .. N-K-1 of the non-neighbours; rank r is then the index v
// with v = r + #{neighbours <= v}, the least fixed point of that map, reached by iterating it
// from v = r (it only grows, and never past the answer).
void knn_draw_others(Rng& rng, int n, const int* neighbors, int k, int l, std::vector<int>* drawn) {
  const int n_others = n - k;
  drawn->clear();
  // Ranks already drawn: a scan for the usual few, a hash set for many.
  const bool hashed = l > 64;
  std::unordered_set<int> taken_set;
  if (hashed) taken_set.reserve(size_t(l));
  for (int j = n_others - l; j < n_others; ++j) {
    const int rank = int(rng.uniform_index(uint32_t(j + 1)));
    const bool taken =
        hashed ? !taken_set.insert(rank).second : std::find(drawn->begin(), drawn->end(), rank) != drawn->end();
    if (taken && hashed) taken_set.insert(j);
    drawn->push_back(taken ? j : rank);
  }
  if (k <= 64 && l <= 64) {
    // The usual few: every draw's map iterated at once, one pass over the neighbours per round
    // (a round changes nothing for a draw at its fixed point, so all share the rounds).
    int* value = drawn->data();
    int rank[64], count[64];
    std::copy(value, value + l, rank);
    for (bool moved = true; moved;) {
      std::fill(count, count + l, 0);
      for (int j = 0; j < k; ++j)
        for (int i = 0; i < l; ++i) count[i] += neighbors[j] <= value[i];
      moved = false;
      for (int i = 0; i < l; ++i) {
        moved |= rank[i] + count[i] != value[i];
        value[i] = rank[i] + count[i];
      }
    }
    return;
  }
  // #{neighbours <= v}: a scan for a few, a binary search in a sorted copy for many.
  std::vector<int> sorted;
  if (k > 64) {
    sorted.assign(neighbors, neighbors + k);
    std::sort(sorted.begin(), sorted.end());
  }
  auto below = [&](int v) {
    if (!sorted.empty()) return int(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
    int count = 0;
    for (int j = 0; j < k; ++j) count += neighbors[j] <= v;
    return count;
  };
  for (int& value : *drawn)
    for (int previous = -1, rank = value; value != previous;) {
      previous = value;
      value = rank + below(value);
    }
}

void knn_sums(const TrainingSet& train, const KnnOptions& options, const float* query, double t, const int* neighbors,
              const int* drawn, KnnSums* out) {
  const int n = train.n(), d = train.dim(), k = options.k, m = options.k + options.l;
  constexpr int W = 4;  // the exp's vector width
  const int padded = (m + W - 1) / W * W;
  const double half_inv_var = 0.5 / ((1 - t) * (1 - t));
  const double other_weight = options.l > 0 ? double(n - k) / options.l : 0.0;  // (N - K) / L
  KnnSums& sums = *out;
  sums.centered.resize(d);
  sums.logits.resize(m);
  sums.points.resize(size_t(m) * d);
  sums.weights.resize(padded);
  sums.numerator.resize(d);
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
  for (int j = 0; j < m; ++j) {
    const int i = j < k ? neighbors[j] : drawn[j - k];
    for (int c = 0; c < d; ++c)
      x[size_t(j) * d + c] = columns ? columns[c * n_padded + size_t(i)] : train.centered(i, c);
  }
  double log_scale = -INFINITY;
  for (int j = 0; j < m; ++j) {
    double dist_sq = 0;
    for (int c = 0; c < d; ++c) {
      const double diff = centered[c] - t * x[size_t(j) * d + c];
      dist_sq += diff * diff;
    }
    logits[j] = -dist_sq * half_inv_var;
    log_scale = std::max(log_scale, logits[j]);
  }
  // Weights exp(l_j - max) in float, four at a time, with the vector exp of the exact kernels:
  // IEEE operations only, so every build gets the same bits (libm's exp differs between builds).
  for (int j = 0; j < padded; ++j) weights[j] = j < m ? float(logits[j] - log_scale) : -INFINITY;
  for (int j = 0; j < padded; j += W) simd::store<W>(weights + j, simd::exp_nonpositive<W>(simd::load<W>(weights + j)));
  double denominator = 0;
  for (int j = 0; j < m; ++j) {
    logits[j] = double(weights[j]) * (j < k ? 1.0 : other_weight);  // reused: the weight of point j
    denominator += logits[j];
  }
  const int numerator_terms = options.weight_numerator ? m : k;
  for (int c = 0; c < d; ++c) {
    double sum = 0;
    for (int j = 0; j < numerator_terms; ++j) sum += logits[j] * x[size_t(j) * d + c];
    sums.numerator[c] = sum;
  }
  sums.denominator = denominator;
  sums.log_scale = log_scale;
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
                   const int* hints) {
  // Neighbours of z among {t x_i} are those of z/t among {x_i}; centered: z/t - c.
  const int d = train.dim();
  std::vector<float> scaled(size_t(n_queries) * d);
  for (int r = 0; r < n_queries; ++r)
    for (int c = 0; c < d; ++c)
      scaled[size_t(r) * d + c] = float(double(queries[size_t(r) * stride + c]) / t - train.mean()[c]);
  return index.find(scaled.data(), n_queries, d, k, neighbors, pool, kernel, hints);
}

bool knn_neighbors_remembered(const TrainingSet& train, const NeighborIndex& index, int k, const float* queries,
                              int n_queries, int stride, double t, std::vector<int>* memory, ThreadPool& pool,
                              const KernelOptions& kernel) {
  const bool hinted = memory->size() == size_t(n_queries) * k;
  if (!hinted) memory->assign(size_t(n_queries) * k, 0);
  if (knn_neighbors(train, index, k, queries, n_queries, stride, t, memory->data(), pool, kernel,
                    hinted ? memory->data() : nullptr))
    return true;
  memory->clear();  // a cancelled search leaves some rows unwritten
  return false;
}

bool knn_posterior_mean(const TrainingSet& train, const NeighborIndex& index, const KnnOptions& options,
                        const float* queries, int n_queries, int stride, double t, uint64_t seed, uint64_t substream,
                        float* out, int out_stride, ThreadPool& pool, const KernelOptions& kernel, const int* neighbors,
                        std::vector<int>* memory) {
  validate(options, train.n());
  const int n = train.n(), d = train.dim(), k = options.k, l = options.l;
  if (t == 0.0) {  // all weights 1/N: D_0 = mean(x)
    for (int r = 0; r < n_queries; ++r)
      for (int c = 0; c < d; ++c) out[size_t(r) * out_stride + c] = train.mean()[c];
    return true;
  }
  std::vector<int> found;
  if (!neighbors) {
    std::vector<int>* into = memory ? memory : &found;
    if (!knn_neighbors_remembered(train, index, k, queries, n_queries, stride, t, into, pool, kernel)) return false;
    neighbors = into->data();
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
      knn_sums(train, options, queries + size_t(r) * stride, t, mine, drawn.data(), &sums);
      for (int c = 0; c < d; ++c)
        out[size_t(r) * out_stride + c] = float(sums.numerator[c] / sums.denominator + train.mean()[c]);
    }
  });
  return !(kernel.cancel && kernel.cancel->load());
}

}  // namespace cfdm
