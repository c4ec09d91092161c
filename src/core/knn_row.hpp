// The nearest-neighbour estimator's per-instruction-set code (knn_isa_*.cpp): the box tree's
// search (box_tree.hpp) and the sums of one query row in low dimension (knn_row_impl.hpp).
// Plain data only here (see kernel_job.hpp for why).
#pragma once
#include <cstdint>

#include "core/box_tree.hpp"

namespace cfdm {

// What the sums of one row need besides the row itself, for dim <= kBoxTreeMaxDim.
struct KnnRowJob {
  const float* columns;  // the centered training set, dim x n_padded (TrainingSet::columns)
  long n_padded;
  int dim;
  int k, m;             // m = K + L points: the K neighbours, then the L drawn
  int numerator_terms;  // m, or k for a numerator over the neighbours alone
  float t, half_inv_var, other_weight;  // half_inv_var = 1 / (2 (1-t)^2); other_weight = (N-K)/L
};

// Scratch floats knn_row needs for m points.
inline long knn_row_scratch_floats(int dim, int m) { return long(dim + 1) * ((m + 15) / 16 * 16); }

struct KnnTable {
  BoxSearchTable box;
  // The estimator's sums for one query: q, the centered query q' - t c (dim floats); the K
  // neighbours' centered coordinates from neighbor_points (K x dim) or, if it is null, from the
  // columns by index; the L drawn points' by index. Into out: the dim numerator sums, the
  // denominator, and the largest logit (weights are exp(l_i - largest)). The same bits on
  // every instruction set: sums run in 16 lanes (point j in lane j % 16) reduced in one fixed
  // order, whatever the vector width.
  void (*row)(const KnnRowJob& job, const float* q, const float* neighbor_points, const int* neighbors,
              const int* drawn, float* scratch, float* out);
  // knn_draw_others (knn.hpp) for k, l <= kKnnVectorDraws, from a generator whose counter is
  // `counter` (Rng::counter): the l drawn indices into drawn, all draws computed at once. Returns
  // false, having drawn nothing, where the scalar code would reject a number (Lemire's method)
  // or meet a repeated rank; both are rare, and the caller then draws as before.
  bool (*draws)(uint64_t counter, int n, const int* neighbors, int k, int l, int* drawn);
};

constexpr int kKnnVectorDraws = 16;

}  // namespace cfdm
