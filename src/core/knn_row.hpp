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

// What the sums of one query need above kBoxTreeMaxDim (or for uint8 sets), where they run in
// double (knn.cpp, sums_in_double): the training rows as stored.
struct KnnWideJob {
  const float* rows;       // float sets: centered rows, `stride` apart; null for uint8 sets
  const uint8_t* rows_u8;  // uint8 sets: x'_i = u8_scale u_i - mean, `stride` apart
  const float* mean;
  float u8_scale;
  int dim, stride;
  int k, m;  // m = K + L points: the K neighbours, then the L drawn
  double t;
};

// The row length of wide_distances' points and query: dim rounded up to 4 (the padding zero).
inline int knn_wide_stride(int dim) { return (dim + 3) / 4 * 4; }

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
  // Above kBoxTreeMaxDim: the m points' centered coordinates into x (m rows knn_wide_stride(dim)
  // apart, padding zero; the K neighbours' from neighbor_points, K x dim, when it is not null),
  // and dist_sq[j] = |centered - t x_j|^2 in double, each sum over c = 0, 1, ... in order
  // (centered: the query q - t c, knn_wide_stride(dim) doubles, padding zero). Eight points at a
  // time, one lane each: the same bits on every instruction set, and as one point at a time.
  void (*wide_distances)(const KnnWideJob& job, const double* centered, const int* neighbors,
                         const float* neighbor_points, const int* drawn, float* x, double* dist_sq);
  // numerator[c] = the sum over j = 0, 1, ... terms - 1, in order, of weights[j] x_jc (x as above).
  void (*wide_numerator)(const double* weights, const float* x, int terms, int dim, double* numerator);
};

constexpr int kKnnVectorDraws = 16;

}  // namespace cfdm
