// The local models' kernels per instruction set (local_impl.hpp, compiled by each
// local_isa_*.cpp): the same bits on every one, faster where the lanes are wider.
#pragma once
#include "core/isa.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "core/types.hpp"

namespace cfdm {

struct LocalTable {
  // The local patch model's posterior means of n_queries rows at a = t, scale = 1 / (2 b^2), with
  // windows of (2 radius + 1)^2 pixels (local_model.cpp).
  // With states (not null), each query's softmax state instead (merge_pixel_softmax_states).
  void (*window)(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride, double a,
                 double scale, const ImageShape& image, int radius, float* out, int out_stride, double* states);
  // The same over a subset of the training rows per query (the nearest-neighbour estimator,
  // local_model.cpp): query r sums rows[r m .. r m + m) in that order, row j's weight multiplied by
  // e^log_weights[j] (the same m weights for every query).
  void (*window_rows)(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride,
                      double a, double scale, const ImageShape& image, int radius, const int* rows, int m,
                      const double* log_weights, float* out, int out_stride);
  // PCA locality's, output coordinate j summing the coordinates indices[offsets[j] .. offsets[j + 1])
  // (pca_local_model.cpp).
  void (*mask)(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride, double a,
               double scale, const int* offsets, const int* indices, float* out, int out_stride, double* states);
};

// Doubles of state per query of a per-pixel softmax with `groups` softmaxes over `width` values each.
inline size_t pixel_softmax_state_doubles(int groups, int width) { return size_t(groups) * size_t(2 + width); }

// The posterior means (mean + weighted sum / sum of weights, rounded to float) of n_queries queries
// from the states of n_parts parts, merged per softmax in part order: M = max m_p, S = sum
// e^(m_p - M) s_p, A likewise (in double; one part: the kernels' own result, bit for bit).
void merge_pixel_softmax_states(const double* const* parts, int n_parts, int n_queries, int groups, int width,
                                const float* mean, float* out, int out_stride);

CFDM_DECLARE_PER_ISA(LocalTable, local_table)
// The table of `isa` (checked; Isa::best: the widest this CPU runs).
const LocalTable& local_table(Isa isa);

}  // namespace cfdm
