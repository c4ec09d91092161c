// The nearest-neighbour estimator of the posterior mean (method.md section 5).
//
// Far from z the posterior weights vanish, so the N-term sums of D_t(z) are replaced by the K
// nearest training points of z/t, summed exactly, plus L points drawn uniformly without
// replacement from the other N - K, each weighted (N - K)/L: the unbiased kernel-density
// estimator of Karppa, Aumueller and Pagh (DEANN, AISTATS 2022). K = N, or K + L = N, is exact.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/neighbors.hpp"
#include "core/rng.hpp"

namespace cfdm {

struct KnnOptions {
  int k = 15;  // K, nearest neighbours of z/t summed exactly; 1 <= K <= N
  int l = 15;  // L, further points drawn uniformly from the rest, weighted (N-K)/L; K + L <= N
  // [choice] true: the DEANN weights enter numerator and denominator (default); false: only the
  // denominator, the numerator sums the K neighbours alone.
  bool weight_numerator = true;
  // [choice] true: neighbours are searched for each perturbed query z + sigma eps_m (default);
  // false: shared from the unperturbed z (one search per trajectory: cheaper, approximate).
  bool neighbors_per_draw = true;
  NeighborSearch search = NeighborSearch::automatic;
  IvfOptions ivf = {};  // search ivf: its cells and probe count
  bool byte_scan = true;  // false: the exact scans in floats alone (the same neighbours; a benchmark's reference)
};

// Throws cfdm::Error naming the first invalid field for a training set of n_train points.
void validate(const KnnOptions& options, int n_train);

// The index an estimator searches on train (options.search; an IVF index told K, the instruction
// set, and at most train.n() cells), built on pool.
std::unique_ptr<NeighborIndex> make_knn_index(const TrainingSet& train, const KnnOptions& options, ThreadPool& pool,
                                              Isa isa);
// The substream of the estimator's L draws: a sampler's step (>= 0) keys its own, so each step draws
// afresh; -1 (a one-off evaluation) the base stream.
inline uint64_t knn_draws_substream(int step) {
  return uint64_t(Stream::knn_draws) + (step >= 0 ? uint64_t(step + 1) << 8 : 0);
}
// Searched neighbours kept from one call to the next: K training indices per query row and, up
// to d = 8, their centered coordinates (K x d per row; empty above).
struct KnnMemory {
  std::vector<int> neighbors;
  std::vector<float> points;
};
// Whether KnnMemory keeps the coordinates for points of dimension dim: where the box tree has
// them at hand (and they bound its next search); above, the sums read the training rows.
bool knn_memory_keeps_points(int64_t dim);

// Estimated D_t(q) for n_queries query rows (data coordinates, row stride `stride`) into out.
// The L draws of query r come from Rng(seed, r, substream). neighbors, when given, holds K
// precomputed neighbours per query (the shared-neighbour choice); otherwise they are searched
// for each q / t. memory, when given, carries the searched neighbours from one call to the next
// for queries that move a little between calls (a sampler's rows): it holds n_queries x K
// neighbours of the previous call, or anything else to start afresh, and receives this call's;
// they bound the next search (the same answer, found faster). At t = 0 every weight is 1/N and
// the exact mean is returned. Returns false if cancelled. options must hold for train
// (validate(options, train.n()): the estimator checks them once, when it is made).
bool knn_posterior_mean(const TrainingSet& train, const NeighborIndex& index, const KnnOptions& options,
                        const float* queries, int n_queries, int stride, double t, uint64_t seed, uint64_t substream,
                        float* out, int out_stride, ThreadPool& pool, const KernelOptions& kernel = {},
                        const int* neighbors = nullptr, KnnMemory* memory = nullptr);

// The estimator's sums for one query q (data coordinates) with its K neighbours and L drawn
// points (training indices; neighbor_points, when given, holds the neighbours' centered
// coordinates, K x d, which are then not looked up): numerator sum_K w_i x'_i + (N-K)/L
// sum_L w_i x'_i (centered x', or over K only without weight_numerator) and denominator
// likewise, w_i = exp(l_i - log_scale). Up to d = 8 (float training sets) in float on the
// vector units, the same bits on every instruction set (knn_row.hpp); above, in double.
struct KnnSums {
  std::vector<double> numerator;
  double denominator = 0;
  double log_scale = 0;                  // the largest logit: exp(log_scale) * denominator estimates sum_i exp(l_i)
  std::vector<double> logits, centered;  // scratch, reused between calls
  std::vector<float> weights, points;
};
void knn_sums(const TrainingSet& train, const KnnOptions& options, const float* query, double t, const int* neighbors,
              const int* drawn, KnnSums* sums, const float* neighbor_points = nullptr, Isa isa = Isa::best);

// L distinct training indices, uniform among those not in the k neighbors (distinct, any order),
// by Floyd's algorithm over the non-neighbours, from rng.
// (Up to 16 neighbours and draws, all draws at once on the vector units; the same draws.)
void knn_draw_others(Rng& rng, int n_train, const int* neighbors, int k, int l, std::vector<int>* drawn,
                     Isa isa = Isa::best);

// The K neighbours of each query's z/t (data coordinates), for knn_posterior_mean's neighbors.
// hints, points, hint_points: as NeighborIndex::find's.
bool knn_neighbors(const TrainingSet& train, const NeighborIndex& index, int k, const float* queries, int n_queries,
                   int stride, double t, int* neighbors, ThreadPool& pool, const KernelOptions& kernel = {},
                   const int* hints = nullptr, float* points = nullptr, const float* hint_points = nullptr);

// The same into memory (n_queries rows afterwards), whose previous contents, when they are the
// neighbours of the same rows (one step earlier), bound the search. Cancelled, it is left empty.
bool knn_neighbors_remembered(const TrainingSet& train, const NeighborIndex& index, int k, const float* queries,
                              int n_queries, int stride, double t, KnnMemory* memory, ThreadPool& pool,
                              const KernelOptions& kernel = {});

// The estimator on a training set split into parts (TrainingSet::Part, each part in its own
// process: cli/mpi.cpp), in two exchanges a step:
// 1. knn_part_candidates: each part's K nearest rows to each query's z/t (fewer if it holds fewer),
//    as pairs (squared centred distance in double, index in the whole set), then +inf pairs;
// 2. knn_merge_candidates: the K nearest of every part's (ties to the lower index), the same list
//    in every process, and from it each query's L draws from the other N - K (Rng(seed, r,
//    substream), as knn_posterior_mean draws);
// 3. knn_part_sums: each part's sums over the neighbours and draws it holds (state: the largest
//    logit, the denominator, the numerator's d values, in double, relative to that logit);
// 4. knn_merge_sums: the parts' sums merged in part order (log-sum-exp), D = numerator /
//    denominator + c.
// The result agrees with knn_posterior_mean on the whole set to rounding, unless two training
// points lie within rounding of a query's K-th distance (the neighbours then may differ).
constexpr int kKnnCandidateDoubles = 2;
bool knn_part_candidates(const TrainingSet& part, const NeighborIndex& index, int k, const float* queries,
                         int n_queries, int stride, double t, double* candidates, ThreadPool& pool,
                         const KernelOptions& kernel = {});
void knn_merge_candidates(const double* const* parts, int n_parts, int n_queries, int k, int* neighbors);
inline size_t knn_part_state_doubles(int d) { return size_t(d) + 2; }
void knn_part_sums(const TrainingSet& part, const KnnOptions& options, const float* queries, int n_queries, int stride,
                   double t, uint64_t seed, uint64_t substream, const int* neighbors, double* states, ThreadPool& pool);
void knn_merge_sums(const double* const* parts, int n_parts, int n_queries, int d, const float* mean, float* out,
                    int out_stride);

}  // namespace cfdm
