#include "core/knn.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/simd.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
// Floyd's algorithm over ranks 0 .. N-K-1 of the non-neighbours; rank r is then the index v
// with v = r + #{neighbours <= v}, the least fixed point of that map, reached by iterating it
// from v = r (it only grows, and never past the answer).
void knn_draw_others(Rng& rng, int n, const std::vector<int>& neighbors, int l, std::vector<int>* drawn) {
  const int n_others = n - int(neighbors.size());
  drawn->clear();
  for (int j = n_others - l; j < n_others; ++j) {
    const int rank = int(rng.uniform_index(uint32_t(j + 1)));
    const bool taken = std::find(drawn->begin(), drawn->end(), rank) != drawn->end();
    drawn->push_back(taken ? j : rank);
  }
  for (int& value : *drawn) {
    for (int previous = -1, rank = value; value != previous;) {
      previous = value;
      int below = 0;
      for (const int neighbor : neighbors) below += neighbor <= value;
      value = rank + below;
    }
  }
}

void knn_sums(const TrainingSet& train, const KnnOptions& options, const float* query, double t, const int* neighbors,
              const int* drawn, KnnSums* out) {
  const int n = train.n(), d = train.dim(), k = options.k, l = options.l;
  const double half_inv_var = 0.5 / ((1 - t) * (1 - t));
  const double other_weight = l > 0 ? double(n - k) / l : 0.0;  // (N - K) / L
  // Centered query q - t c; logits l_i = -|q - t x_i|^2 / (2 (1-t)^2) over the K + L points.
  KnnSums& sums = *out;
  std::vector<double>& centered = sums.centered;
  std::vector<double>& logits = sums.logits;
  centered.resize(d);
  logits.resize(size_t(k) + l);
  for (int c = 0; c < d; ++c) centered[c] = double(query[c]) - t * train.mean()[c];
  auto point = [&](int j) { return j < k ? neighbors[j] : drawn[j - k]; };
  sums.log_scale = -INFINITY;
  sums.denominator = 0;
  // Coordinate c of centered point i. For d <= 8 the column layout is compact enough to stay in
  // cache where the padded rows are not; above that a point's row is contiguous, its columns not.
  const float* columns = d <= TrainingSet::kDirectMaxDim ? train.columns() : nullptr;
  const int n_padded = train.n_padded();
  auto coordinate = [&](int i, int c) { return columns ? columns[size_t(c) * n_padded + i] : train.centered(i, c); };
  std::vector<float>& x = sums.points;  // the K + L points' centered coordinates, gathered once
  x.resize(size_t(k + l) * d);
  for (int j = 0; j < k + l; ++j)
    for (int c = 0; c < d; ++c) x[size_t(j) * d + c] = coordinate(point(j), c);
  for (int j = 0; j < k + l; ++j) {
    double dist_sq = 0;
    for (int c = 0; c < d; ++c) {
      const double diff = centered[c] - t * x[size_t(j) * d + c];
      dist_sq += diff * diff;
    }
    logits[j] = -dist_sq * half_inv_var;
    sums.log_scale = std::max(sums.log_scale, logits[j]);
  }
  // Weights exp(l_j - max) in float, four at a time, with the vector exp of the exact kernels:
  // IEEE operations only, so every build gets the same bits (libm's exp differs between builds).
  constexpr int W = 4;
  const int padded = (k + l + W - 1) / W * W;
  sums.weights.resize(padded);
  for (int j0 = 0; j0 < padded; j0 += W) {
    simd::VecF<W> x;
    for (int lane = 0; lane < W; ++lane)
      x[lane] = j0 + lane < k + l ? float(logits[j0 + lane] - sums.log_scale) : -INFINITY;
    simd::store<W>(&sums.weights[j0], simd::exp_nonpositive<W>(x));
  }
  const int numerator_terms = options.weight_numerator ? k + l : k;
  for (int j = 0; j < k + l; ++j) {
    const double weight = double(sums.weights[j]) * (j < k ? 1.0 : other_weight);
    sums.denominator += weight;
    logits[j] = weight;  // reused: the weight of point j
  }
  sums.numerator.resize(d);
  for (int c = 0; c < d; ++c) {
    double sum = 0;
    for (int j = 0; j < numerator_terms; ++j) sum += logits[j] * x[size_t(j) * d + c];
    sums.numerator[c] = sum;
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
                   const int* hints) {
  // Neighbours of z among {t x_i} are those of z/t among {x_i}; centered: z/t - c.
  const int d = train.dim();
  std::vector<float> scaled(size_t(n_queries) * d);
  for (int r = 0; r < n_queries; ++r)
    for (int c = 0; c < d; ++c)
      scaled[size_t(r) * d + c] = float(double(queries[size_t(r) * stride + c]) / t - train.mean()[c]);
  return index.find(scaled.data(), n_queries, d, k, neighbors, pool, kernel, hints);
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
    // The memory's neighbours (of the same rows, one step earlier) bound this search.
    std::vector<int>& into = memory ? *memory : found;
    const bool hinted = into.size() == size_t(n_queries) * k;
    if (!hinted) into.assign(size_t(n_queries) * k, 0);
    if (!knn_neighbors(train, index, k, queries, n_queries, stride, t, into.data(), pool, kernel,
                       hinted ? into.data() : nullptr)) {
      into.clear();  // a cancelled search leaves some rows unwritten
      return false;
    }
    neighbors = into.data();
  }
  const int n_tasks = std::min(n_queries, pool.size() * 8);
  pool.run(n_tasks, [&](int task) {
    std::vector<int> mine, drawn;
    KnnSums sums;
    for (int r = int(int64_t(n_queries) * task / n_tasks); r < int(int64_t(n_queries) * (task + 1) / n_tasks); ++r) {
      mine.assign(neighbors + size_t(r) * k, neighbors + size_t(r + 1) * k);
      Rng rng(seed, uint64_t(r), substream);
      knn_draw_others(rng, n, mine, l, &drawn);
      knn_sums(train, options, queries + size_t(r) * stride, t, mine.data(), drawn.data(), &sums);
      for (int c = 0; c < d; ++c)
        out[size_t(r) * out_stride + c] = float(sums.numerator[c] / sums.denominator + train.mean()[c]);
    }
  });
  return !(kernel.cancel && kernel.cancel->load());
}

}  // namespace cfdm
