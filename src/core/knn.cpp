#include "core/knn.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/detmath.hpp"
#include "core/error.hpp"
#include "core/knn_row.hpp"
#include "core/neighbors.hpp"
#include "core/posterior_mean.hpp"
#include "core/rng.hpp"
#include "core/simd.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

// Floyd's algorithm over ranks 0 .. N-K-1 of the non-neighbours, then each rank r mapped to its
// index. With the neighbours sorted, s_0 < s_1 < ..., s_i - i non-neighbours lie below s_i, so
// rank r lies past exactly the neighbours with s_i - i <= r: its index is r + #{i : s_i - i <= r}.
void draw_others(const KnnTable& table, Rng& rng, int n, const int* neighbors, int k, int l, std::vector<int>* drawn) {
  const int n_others = n - k;
  if (k <= kKnnVectorDraws && l <= kKnnVectorDraws && l > 0) {  // the usual few: all at once (knn_row.hpp)
    drawn->resize(size_t(l));
    if (table.draws(rng.counter(), n, neighbors, k, l, drawn->data())) {
      rng.skip(uint64_t(l));
      return;
    }
  }
  drawn->clear();
  // Ranks already drawn: a scan for a few, a hash set for many.
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
  std::vector<int> offset(neighbors, neighbors + k);
  std::sort(offset.begin(), offset.end());
  for (int i = 0; i < k; ++i) offset[size_t(i)] -= i;  // non-decreasing
  for (int& value : *drawn) value += int(std::upper_bound(offset.begin(), offset.end(), value) - offset.begin());
}

}  // namespace

void knn_draw_others(Rng& rng, int n, const int* neighbors, int k, int l, std::vector<int>* drawn, Isa isa) {
  draw_others(knn_table(isa), rng, n, neighbors, k, l, drawn);
}

namespace {

// The sums in double, for any dimension: each sum in the order j = 0, 1, ... The gathering, the
// distances and the numerator run per instruction set (KnnTable::wide_distances, wide_numerator).
void sums_in_double(const KnnTable& table, const TrainingSet& train, const KnnOptions& options, const float* query,
                    double t, const int* neighbors, const float* neighbor_points, const int* drawn, KnnSums& sums) {
  const int n = train.n(), d = train.dim(), k = options.k, m = options.k + options.l, ws = knn_wide_stride(d);
  constexpr int W = 4;  // the exp's vector width
  const int padded = (m + W - 1) / W * W;
  const double half_inv_var = 0.5 / ((1 - t) * (1 - t));
  const double other_weight = options.l > 0 ? double(n - k) / options.l : 0.0;  // (N - K) / L
  sums.centered.assign(size_t(ws), 0.0);
  sums.logits.resize(size_t(m));
  sums.points.resize(size_t(m) * ws);
  sums.weights.resize(size_t(padded));
  sums.numerator.resize(size_t(d));
  double* centered = sums.centered.data();
  double* logits = sums.logits.data();
  float* weights = sums.weights.data();
  // Centered query q - t c; logits l_j = -|q - t x_j|^2 / (2 (1-t)^2) over the K + L points.
  for (int c = 0; c < d; ++c) centered[c] = double(query[c]) - t * train.mean()[c];
  const KnnWideJob job{train.rows(), train.rows_u8(), train.mean().data(), train.u8_scale(), d, train.stride(), k, m, t};
  table.wide_distances(job, centered, neighbors, neighbor_points, drawn, sums.points.data(), logits);
  double log_scale = -INFINITY;
  for (int j = 0; j < m; ++j) {
    logits[j] = -logits[j] * half_inv_var;
    log_scale = std::max(log_scale, logits[j]);
  }
  // Weights exp(l_j - max) in float, four at a time, with the vector exp of the exact kernels:
  // IEEE operations only, so every build gets the same bits (libm's exp differs between builds).
  int j = 0;
  for (j = 0; j < padded; ++j) weights[j] = j < m ? float(logits[j] - log_scale) : -INFINITY;
  for (j = 0; j < padded; j += W) simd::store<W>(weights + j, simd::exp_nonpositive<W>(simd::load<W>(weights + j)));
  double denominator = 0;
  for (j = 0; j < m; ++j) {
    logits[j] = double(weights[j]) * (j < k ? 1.0 : other_weight);  // reused: the weight of point j
    denominator += logits[j];
  }
  // Each coordinate's sum in the order j = 0, 1, ... (the coordinates side by side).
  table.wide_numerator(logits, sums.points.data(), options.weight_numerator ? m : k, d, sums.numerator.data());
  sums.denominator = denominator;
  sums.log_scale = log_scale;
}

// The sums for queries at time t: up to d = 8 (float training sets) by the per-instruction-set
// row code (knn_row.hpp) in float, above by sums_in_double.
class Sums {
 public:
  Sums(const TrainingSet& train, const KnnOptions& options, double t, Isa isa)
      : train_(train), options_(options), t_(t), table_(knn_table(isa)) {
    if (train.dim() > kBoxTreeMaxDim || !train.columns()) return;
    const int k = options.k, m = options.k + options.l;
    row_path_ = true;
    job_ = {train.columns(),
            long(train.n_padded()),
            train.dim(),
            k,
            m,
            options.weight_numerator ? m : k,
            float(t),
            float(0.5 / ((1 - t) * (1 - t))),
            options.l > 0 ? float(double(train.n() - k) / options.l) : 0.0f};
  }
  void operator()(const float* query, const int* neighbors, const float* neighbor_points, const int* drawn,
                  KnnSums& sums) const {
    if (!row_path_) return sums_in_double(table_, train_, options_, query, t_, neighbors, neighbor_points, drawn, sums);
    const int d = job_.dim;
    float q[kBoxTreeMaxDim], result[kBoxTreeMaxDim + 2];
    for (int c = 0; c < d; ++c) q[c] = float(double(query[c]) - double(job_.t) * train_.mean()[size_t(c)]);
    sums.weights.resize(size_t(knn_row_scratch_floats(d, job_.m)));
    table_.row(job_, q, neighbor_points, neighbors, drawn, sums.weights.data(), result);
    sums.numerator.assign(result, result + d);
    sums.denominator = result[d];
    sums.log_scale = result[d + 1];
  }

 private:
  const TrainingSet& train_;
  const KnnOptions& options_;
  double t_;
  const KnnTable& table_;   // the instruction set's code
  bool row_path_ = false;  // low dimension: its row code in float (else sums_in_double)
  KnnRowJob job_{};
};

}  // namespace

void knn_sums(const TrainingSet& train, const KnnOptions& options, const float* query, double t, const int* neighbors,
              const int* drawn, KnnSums* out, const float* neighbor_points, Isa isa) {
  Sums(train, options, t, isa)(query, neighbors, neighbor_points, drawn, *out);
}

void validate(const KnnOptions& o, int n_train) {
  if (o.k < 1) throw Error("K (--k) must be at least 1 (got " + std::to_string(o.k) + ")");
  if (o.l < 0) throw Error("L (--l) must be at least 0 (got " + std::to_string(o.l) + ")");
  if (o.ivf.cells < 0 || o.ivf.cells > n_train)
    throw Error("the IVF index's cells (--ivf-cells) must be in 1 ... N = " + std::to_string(n_train) + " (got " +
                std::to_string(o.ivf.cells) + ")");
  if (o.ivf.probe < 0) throw Error("the IVF probe count (--ivf-probe) must be at least 1 (got " + std::to_string(o.ivf.probe) + ")");
  if (!(o.ivf.recall >= 0 && o.ivf.recall <= 1))
    throw Error("the IVF recall target (--ivf-recall) must be in (0, 1] (got " + std::to_string(o.ivf.recall) + ")");
  if (int64_t(o.k) + o.l > n_train)
    throw Error("K + L = " + std::to_string(int64_t(o.k) + o.l) + " is more than the " + std::to_string(n_train) +
                " training points: lower K or L (K + L = N sums over every one: the model without the estimator)");
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

namespace {

// Readies memory for n_queries rows of k neighbours; returns whether it holds neighbours of
// those rows already (one step earlier), which then bound the searches.
bool ready_memory(const TrainingSet& train, KnnMemory* memory, int n_queries, int k) {
  const size_t size = size_t(n_queries) * k,
               point_floats = knn_memory_keeps_points(train.dim()) ? size * train.dim() : 0;
  if (memory->neighbors.size() == size && memory->points.size() == point_floats) return true;
  memory->neighbors.assign(size, 0);
  memory->points.assign(point_floats, 0.0f);
  return false;
}

// Searches rows [begin, end) into memory, bounded by what it held if hinted.
bool search_rows(const TrainingSet& train, const NeighborIndex& index, int k, const float* queries, int begin, int end,
                 int stride, double t, KnnMemory* memory, bool hinted, ThreadPool& pool, const KernelOptions& kernel) {
  int* neighbors = memory->neighbors.data() + size_t(begin) * k;
  float* points =
      knn_memory_keeps_points(train.dim()) ? memory->points.data() + size_t(begin) * k * train.dim() : nullptr;
  return knn_neighbors(train, index, k, queries + size_t(begin) * stride, end - begin, stride, t, neighbors, pool,
                       kernel, hinted ? neighbors : nullptr, points, hinted ? points : nullptr);
}

}  // namespace

std::unique_ptr<NeighborIndex> make_knn_index(const TrainingSet& train, const KnnOptions& options, ThreadPool& pool,
                                              Isa isa) {
  IvfOptions ivf = options.ivf;
  ivf.isa = isa;
  ivf.k = options.k;
  ivf.cells = std::min(ivf.cells, train.n());
  return std::make_unique<NeighborIndex>(train, options.search, &pool, ivf, options.byte_scan);
}

bool knn_memory_keeps_points(int64_t dim) { return dim <= kBoxTreeMaxDim; }

bool knn_neighbors_remembered(const TrainingSet& train, const NeighborIndex& index, int k, const float* queries,
                              int n_queries, int stride, double t, KnnMemory* memory, ThreadPool& pool,
                              const KernelOptions& kernel) {
  const bool hinted = ready_memory(train, memory, n_queries, k);
  if (search_rows(train, index, k, queries, 0, n_queries, stride, t, memory, hinted, pool, kernel)) return true;
  *memory = {};  // a cancelled search leaves some rows unwritten
  return false;
}

bool knn_posterior_mean(const TrainingSet& train, const NeighborIndex& index, const KnnOptions& options,
                        const float* queries, int n_queries, int stride, double t, uint64_t seed, uint64_t substream,
                        float* out, int out_stride, ThreadPool& pool, const KernelOptions& kernel, const int* neighbors,
                        KnnMemory* memory) {
  const int n = train.n(), d = train.dim(), k = options.k, l = options.l;
  if (t == 0.0) {  // all weights 1/N: D_0 = mean(x)
    for (int r = 0; r < n_queries; ++r)
      for (int c = 0; c < d; ++c) out[size_t(r) * out_stride + c] = train.mean()[c];
    return true;
  }
  // The searched neighbours go to memory (or a local one). A tree search runs in the same task
  // as the sums of its rows, whose neighbours are then still in that thread's cache; the
  // brute-force scan and the IVF index search all rows at once (one pass over the training set,
  // or over each probed cell, for all of them).
  KnnMemory found;
  KnnMemory* into = neighbors ? nullptr : memory ? memory : &found;
  const bool search_in_tasks =
      into && index.search() != NeighborSearch::brute_force && index.search() != NeighborSearch::ivf;
  bool hinted = false;
  if (search_in_tasks)
    hinted = ready_memory(train, into, n_queries, k);
  else if (into && !knn_neighbors_remembered(train, index, k, queries, n_queries, stride, t, into, pool, kernel))
    return false;
  std::atomic<bool> stopped{false};
  // Queries differ in cost: several tasks per thread keep the threads equally busy to the end,
  // and few enough that each task's fixed costs (setting up its search) stay small.
  const int n_tasks = std::min(n_queries, pool.size() * 8);
  const Sums sums_of(train, options, t, kernel.isa);
  const KnnTable& table = knn_table(kernel.isa);
  pool.run(n_tasks, [&](int task) {
    const int begin = int(int64_t(n_queries) * task / n_tasks), end = int(int64_t(n_queries) * (task + 1) / n_tasks);
    if (search_in_tasks) {
      ThreadPool here(1);
      if (!search_rows(train, index, k, queries, begin, end, stride, t, into, hinted, here, kernel)) {
        stopped = true;
        return;
      }
    }
    const int* all_neighbors = into ? into->neighbors.data() : neighbors;
    // The searched neighbours' coordinates, if memory keeps them.
    const float* neighbor_points = into && knn_memory_keeps_points(train.dim()) ? into->points.data() : nullptr;
    std::vector<int> drawn;
    KnnSums sums;
    for (int r = begin; r < end; ++r) {
      const int* mine = all_neighbors + size_t(r) * k;
      Rng rng(seed, uint64_t(r), substream);
      draw_others(table, rng, n, mine, k, l, &drawn);
      const float* query = queries + size_t(r) * stride;
      const float* points = neighbor_points ? neighbor_points + size_t(r) * k * d : nullptr;
      sums_of(query, mine, points, drawn.data(), sums);
      for (int c = 0; c < d; ++c)
        out[size_t(r) * out_stride + c] = float(sums.numerator[c] / sums.denominator + train.mean()[c]);
    }
  });
  if (stopped) {
    *into = {};  // some rows were not searched
    return false;
  }
  return !(kernel.cancel && kernel.cancel->load());
}

namespace {

// The estimator with its index and the neighbours it keeps between a sampler's steps.
class KnnPosteriorMean final : public PosteriorMean {
 public:
  KnnPosteriorMean(const TrainingSet& train, const KnnOptions& options, uint64_t seed, ThreadPool& pool,
                   const KernelOptions& kernel)
      : PosteriorMean(train), options_(options), seed_(seed), pool_(pool), kernel_(kernel) {
    validate(options_, train.n());
    index_ = make_knn_index(train, options_, pool_, kernel.isa);
  }

  bool evaluate(const float* queries, int n_queries, int stride, double t, int step, float* out, int out_stride,
                const float* points, int n_points) override {
    // A sampler's step keys the draws' stream and keeps the neighbours for the next step.
    const uint64_t substream = knn_draws_substream(step);
    KnnMemory* memory = step >= 0 ? &memory_ : nullptr;
    // The shared-neighbour choice: neighbours of the unperturbed z_b serve every draw of b.
    std::vector<int> shared;
    if (points && n_points > 0 && !options_.neighbors_per_draw && t > 0.0) {
      const int k = options_.k, d = train().dim();
      KnnMemory local;
      KnnMemory& kept = step >= 0 ? shared_memory_ : local;
      if (!knn_neighbors_remembered(train(), *index_, k, points, n_points, d, t, &kept, pool_, kernel_)) return false;
      const std::vector<int>& own = kept.neighbors;
      const int n_draws = n_queries / n_points;
      shared.resize(own.size() * n_draws);
      for (int m = 0; m < n_draws; ++m) std::copy(own.begin(), own.end(), shared.begin() + size_t(m) * own.size());
    }
    return knn_posterior_mean(train(), *index_, options_, queries, n_queries, stride, t, seed_, substream, out,
                              out_stride, pool_, kernel_, shared.empty() ? nullptr : shared.data(), memory);
  }

 private:
  KnnOptions options_;
  uint64_t seed_;
  ThreadPool& pool_;
  KernelOptions kernel_;
  std::unique_ptr<NeighborIndex> index_;
  KnnMemory memory_, shared_memory_;  // the neighbours of the last step (of the queries; of the points)
};

}  // namespace

std::unique_ptr<PosteriorMean> make_knn_posterior_mean(const TrainingSet& train, const KnnOptions& options,
                                                       uint64_t seed, ThreadPool& pool, const KernelOptions& kernel) {
  return std::make_unique<KnnPosteriorMean>(train, options, seed, pool, kernel);
}

bool knn_part_candidates(const TrainingSet& part, const NeighborIndex& index, int k, const float* queries,
                         int n_queries, int stride, double t, double* candidates, ThreadPool& pool,
                         const KernelOptions& kernel) {
  const int d = part.dim(), own = std::min(k, part.n());
  std::vector<int> nearest(size_t(n_queries) * own);
  if (t > 0.0 && !knn_neighbors(part, index, own, queries, n_queries, stride, t, nearest.data(), pool, kernel))
    return false;
  std::vector<double> row(static_cast<size_t>(d));
  for (int r = 0; r < n_queries; ++r) {
    double* out = candidates + size_t(r) * k * kKnnCandidateDoubles;
    for (int j = 0; j < k; ++j) {
      out[2 * j] = INFINITY;
      out[2 * j + 1] = -1.0;
    }
    for (int j = 0; j < own; ++j) {
      // t = 0: every point is as near (the mean is returned without them).
      const int i = t > 0.0 ? nearest[size_t(r) * own + j] : j;
      double dist_sq = 0.0;
      part.centered_row(i, row.data());
      for (int c = 0; t > 0.0 && c < d; ++c) {
        const double diff = double(float(double(queries[size_t(r) * stride + c]) / t - part.mean()[size_t(c)])) - row[size_t(c)];
        dist_sq += diff * diff;
      }
      out[2 * j] = dist_sq;
      out[2 * j + 1] = double(part.part().first_row + i);
    }
  }
  return true;
}

void knn_merge_candidates(const double* const* parts, int n_parts, int n_queries, int k, int* neighbors) {
  std::vector<std::pair<double, double>> all;
  for (int r = 0; r < n_queries; ++r) {
    all.clear();
    for (int p = 0; p < n_parts; ++p)
      for (int j = 0; j < k; ++j) {
        const double* pair = parts[p] + (size_t(r) * k + size_t(j)) * kKnnCandidateDoubles;
        if (pair[1] >= 0) all.emplace_back(pair[0], pair[1]);
      }
    std::partial_sort(all.begin(), all.begin() + k, all.end());  // by distance, then index
    for (int j = 0; j < k; ++j) neighbors[size_t(r) * k + j] = int(all[size_t(j)].second);
  }
}

void knn_part_sums(const TrainingSet& part, const KnnOptions& options, const float* queries, int n_queries, int stride,
                   double t, uint64_t seed, uint64_t substream, const int* neighbors, double* states,
                   ThreadPool& pool) {
  const int d = part.dim(), k = options.k, l = options.l, n = part.total_rows();
  const int first = part.part().first_row, own = part.n();
  const double half_inv_var = 0.5 / ((1 - t) * (1 - t));
  const double other_weight = l > 0 ? double(n - k) / l : 0.0;  // (N - K) / L
  const int n_tasks = std::min(n_queries, pool.size() * 8);
  pool.run(n_tasks, [&](int task) {
    std::vector<int> drawn;
    std::vector<double> centered(static_cast<size_t>(d)), row(static_cast<size_t>(d));
    std::vector<double> logits, factors, numerator_factors;
    std::vector<int> held;
    for (int r = int(int64_t(n_queries) * task / n_tasks); r < int(int64_t(n_queries) * (task + 1) / n_tasks); ++r) {
      const int* mine = neighbors + size_t(r) * k;
      Rng rng(seed, uint64_t(r), substream);
      knn_draw_others(rng, n, mine, k, l, &drawn);
      for (int c = 0; c < d; ++c) centered[size_t(c)] = double(queries[size_t(r) * stride + c]) - t * part.mean()[size_t(c)];
      // The neighbours and draws this part holds, their logits and weight factors.
      held.clear();
      logits.clear();
      factors.clear();
      numerator_factors.clear();
      double top = -INFINITY;
      for (int j = 0; j < k + l; ++j) {
        const int i = (j < k ? mine[j] : drawn[size_t(j - k)]) - first;
        if (i < 0 || i >= own) continue;
        part.centered_row(i, row.data());
        double dist_sq = 0.0;
        for (int c = 0; c < d; ++c) {
          const double diff = centered[size_t(c)] - t * row[size_t(c)];
          dist_sq += diff * diff;
        }
        held.push_back(i);
        logits.push_back(-dist_sq * half_inv_var);
        factors.push_back(j < k ? 1.0 : other_weight);
        numerator_factors.push_back(j < k || options.weight_numerator ? factors.back() : 0.0);
        top = std::max(top, logits.back());
      }
      double* state = states + size_t(r) * knn_part_state_doubles(d);
      state[0] = top;
      state[1] = 0.0;
      std::fill_n(state + 2, d, 0.0);
      for (size_t j = 0; j < held.size(); ++j) {
        const double w = detmath::exp(std::max(logits[j] - top, -700.0));
        state[1] += w * factors[j];
        part.centered_row(held[j], row.data());
        for (int c = 0; c < d; ++c) state[2 + c] += w * numerator_factors[j] * row[size_t(c)];
      }
    }
  });
}

void knn_merge_sums(const double* const* parts, int n_parts, int n_queries, int d, const float* mean, float* out,
                    int out_stride) {
  const size_t per_query = knn_part_state_doubles(d);
  std::vector<double> numerator(static_cast<size_t>(d));
  for (int r = 0; r < n_queries; ++r) {
    double top = -INFINITY;
    for (int p = 0; p < n_parts; ++p) top = std::max(top, parts[p][size_t(r) * per_query]);
    double denominator = 0.0;
    std::fill(numerator.begin(), numerator.end(), 0.0);
    for (int p = 0; p < n_parts; ++p) {
      const double* state = parts[p] + size_t(r) * per_query;
      const double gap = state[0] - top;  // -inf (or NaN) for a part holding none of the query's points
      const double scale = gap == 0.0 ? 1.0 : !(gap >= -700.0) ? 0.0 : detmath::exp(gap);
      denominator += scale * state[1];
      for (int c = 0; c < d; ++c) numerator[size_t(c)] += scale * state[2 + c];
    }
    for (int c = 0; c < d; ++c)
      out[size_t(r) * out_stride + c] = float(numerator[size_t(c)] / denominator + mean[c]);
  }
}

}  // namespace cfdm
