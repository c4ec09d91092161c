// knn_row.hpp's row sums and draws, written once for a vector width W and compiled per
// instruction set (knn_isa_*.cpp, without floating-point contraction). Include only from those
// files, after box_search_impl.hpp (which opens the same namespace and the simd helpers).
#pragma once
#include "core/knn_row.hpp"
#include "core/simd.hpp"

namespace cfdm {
namespace CFDM_BOX_NAMESPACE {

using namespace simd;
constexpr int kRowLanes = 16;  // the sums' lanes, whatever W
static_assert(kRowLanes % CFDM_BOX_WIDTH == 0, "a lane group is whole vectors");

// Sum of 16 lanes in a fixed order: halves added lane by lane, down to one.
inline float sum_lanes(float* v) {
  for (int half = kRowLanes / 2; half >= 1; half /= 2)
    for (int j = 0; j < half; ++j) v[j] += v[j + half];
  return v[0];
}

template <int W, int D>
void row(const KnnRowJob& job, const float* q, const float* neighbor_points, const int* neighbors, const int* drawn,
         float* scratch, float* out) {
  constexpr int G = kRowLanes / W;  // vectors per lane group
  const int k = job.k, m = job.m, padded = (m + kRowLanes - 1) / kRowLanes * kRowLanes;
  float* x = scratch;                    // D x padded, coordinate-major
  float* logits = scratch + D * padded;  // padded
  for (int j = 0; j < m; ++j) {
    const long i = j < k ? neighbors[j] : drawn[j - k];
    for (int c = 0; c < D; ++c)
      x[c * padded + j] = j < k && neighbor_points ? neighbor_points[j * D + c] : job.columns[c * job.n_padded + i];
  }
  for (int c = 0; c < D; ++c)
    for (int j = m; j < padded; ++j) x[c * padded + j] = 0.0f;
  VecF<W> lane;
  for (int l = 0; l < W; ++l) lane[l] = float(l);
  // Logits l_j = -|q - t x_j|^2 / (2 (1-t)^2); -inf past the m points.
  VecF<W> largest = splat<W>(-__builtin_inff());
  for (int j = 0; j < padded; j += W) {
    VecF<W> dist_sq{};
    for (int c = 0; c < D; ++c) {
      const VecF<W> diff = q[c] - job.t * load<W>(x + c * padded + j);
      dist_sq += diff * diff;
    }
    const VecF<W> logit = (lane + float(j)) < float(m) ? -dist_sq * job.half_inv_var : splat<W>(-__builtin_inff());
    store<W>(logits + j, logit);
    largest = vmax<W>(largest, logit);
  }
  const float top = hmax<W>(largest);  // a maximum is exact in any order
  // Weights exp(l_j - top), times (N-K)/L past the K neighbours; point j adds to lane j % 16.
  VecF<W> denominator[G], numerator[D][G];
  for (int g = 0; g < G; ++g) {
    denominator[g] = VecF<W>{};
    for (int c = 0; c < D; ++c) numerator[c][g] = VecF<W>{};
  }
  for (int j0 = 0; j0 < padded; j0 += kRowLanes)
    for (int g = 0; g < G; ++g) {
      const int j = j0 + g * W;
      const VecF<W> index = lane + float(j);
      const VecF<W> p = exp_nonpositive<W>(load<W>(logits + j) - top);
      const VecF<W> weight = index < float(k) ? p : p * job.other_weight;
      denominator[g] += weight;
      const VecF<W> counted = index < float(job.numerator_terms) ? weight : VecF<W>{};
      for (int c = 0; c < D; ++c) numerator[c][g] += counted * load<W>(x + c * padded + j);
    }
  alignas(64) float lanes[kRowLanes];
  for (int c = 0; c < D; ++c) {
    for (int g = 0; g < G; ++g) store<W>(lanes + g * W, numerator[c][g]);
    out[c] = sum_lanes(lanes);
  }
  for (int g = 0; g < G; ++g) store<W>(lanes + g * W, denominator[g]);
  out[D] = sum_lanes(lanes);
  out[D + 1] = top;
}

// The draws in vectors of 16 (whatever W: the compiler splits them into the ISA's registers;
// integer arithmetic, so the same on all). Rng's SplitMix64 and Lemire's multiply-shift, as
// rng.hpp computes them one by one.
typedef uint64_t U64x8 __attribute__((vector_size(64)));
typedef uint32_t U32x8 __attribute__((vector_size(32)));
typedef int32_t I32x16 __attribute__((vector_size(64)));

inline U64x8 mix64_lanes(U64x8 z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

typedef uint64_t U64x4 __attribute__((vector_size(32)));
typedef uint64_t U64x2 __attribute__((vector_size(16)));

// Whether any bit of a 64-byte vector is set: halves or-ed together in the vector registers,
// not lane by lane.
template <class V>
inline bool any_lane(V v) {
  static_assert(sizeof(V) == 64, "a vector of 64 bytes");
  U64x8 all;
  __builtin_memcpy(&all, &v, sizeof all);
  const U64x4 four = __builtin_shufflevector(all, all, 0, 1, 2, 3) | __builtin_shufflevector(all, all, 4, 5, 6, 7);
  const U64x2 two = __builtin_shufflevector(four, four, 0, 1) | __builtin_shufflevector(four, four, 2, 3);
  return (two[0] | two[1]) != 0;
}

// The first k (at most 16) of a row's neighbours in lanes, zero past them, loaded without
// reading past the row (it may end its array) and, with masked loads, without storing them
// lane by lane first (a vector load of fresh narrow stores stalls).
inline I32x16 first_lanes(const int* values, int k) {
#if defined(__AVX512F__)
  return (I32x16)_mm512_maskz_loadu_epi32(__mmask16((1u << k) - 1), values);
#else
  I32x16 out{};
  for (int j = 0; j < k; ++j) out[j] = values[j];
  return out;
#endif
}

inline bool draws(uint64_t counter, int n, const int* neighbors, int k, int l, int* drawn) {
  static_assert(kKnnVectorDraws == 16, "two vectors of 8 draws");
  constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
  const U64x8 one_to_eight = {1, 2, 3, 4, 5, 6, 7, 8};
  const I32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  // Draw j (call j + 1 of the generator) is uniform in [0, n - k - l + j]: the high half of
  // (its 32 high random bits) x (that range's size).
  U64x8 rejected{};
  U32x8 high[2];
  for (int h = 0; h < 2; ++h) {
    const U64x8 call = one_to_eight + uint64_t(8 * h);
    const U64x8 range = call + uint64_t(n - k - l);
    const U64x8 product = (mix64_lanes(counter + call * kGamma) >> 32) * range;
    // A low half below the range may mean a rejection (Lemire): left to the scalar code.
    rejected |= (call <= uint64_t(l)) & ((product & 0xffffffffULL) < range);
    high[h] = __builtin_convertvector(product >> 32, U32x8);
  }
  if (any_lane(rejected)) return false;
  const I32x16 rank =
      (I32x16)__builtin_shufflevector(high[0], high[1], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // Floyd's algorithm changes a draw only when its rank repeats an earlier one: then left to the
  // scalar code too.
  I32x16 repeated{};
  for (int i = 0; i + 1 < l; ++i) repeated |= (rank == rank[i]) & (lane > i);
  if (any_lane(repeated & (lane < l))) return false;
  // Rank r is index r + #{i : s_i - i <= r} over the neighbours sorted (knn.cpp); s_i - i is a
  // neighbour's value less the count of neighbours below it.
  const I32x16 value = first_lanes(neighbors, k);
  I32x16 below{};
  for (int i = 0; i < k; ++i) below -= value[i] < value;  // a true comparison is -1
  const I32x16 offset = lane < k ? value - below : I32x16{} + 0x7fffffff;
  I32x16 count{};
  for (int i = 0; i < k; ++i) count -= offset[i] <= rank;
  const I32x16 index = rank + count;
  __builtin_memcpy(drawn, &index, sizeof(int32_t) * size_t(l));
  return true;
}

template <int W>
void row_any(const KnnRowJob& job, const float* q, const float* neighbor_points, const int* neighbors, const int* drawn,
             float* scratch, float* out) {
  with_dim(job.dim, 0, [&](auto d) {
    row<W, decltype(d)::value>(job, q, neighbor_points, neighbors, drawn, scratch, out);
    return 0;
  });
}

// The sums in high dimension (KnnTable::wide_distances, wide_numerator), in double. With wide
// registers (AVX2, AVX-512) eight points side by side, four coordinates of each transposed at a
// time; on narrower ones four points, a coordinate at a time. Either way each point's sum runs in
// coordinate order, as the scalar code would add it: the same bits.
typedef float WideF4 __attribute__((vector_size(16)));
typedef float WideF8 __attribute__((vector_size(32)));
typedef double WideD8 __attribute__((vector_size(64)));

inline void wide_distances(const KnnWideJob& job, const double* centered, const int* neighbors,
                           const float* neighbor_points, const int* drawn, float* x, double* dist_sq) {
  const int d = job.dim, ws = knn_wide_stride(d), k = job.k, m = job.m;
  const auto index = [&](int j) { return j < k ? neighbors[j] : drawn[j - k]; };
  const size_t row_bytes = job.rows ? sizeof(float) * size_t(job.stride) : size_t(job.stride);
  const char* base = job.rows ? reinterpret_cast<const char*>(job.rows) : reinterpret_cast<const char*>(job.rows_u8);
  for (int j = 0; j < m; ++j) {
    float* to = x + size_t(j) * ws;
    if (j + 1 < m && !(j + 1 < k && neighbor_points)) {  // the next row on its way while this one converts
      const char* next = base + size_t(index(j + 1)) * row_bytes;
      for (size_t b = 0; b < row_bytes; b += 64) __builtin_prefetch(next + b);
    }
    if (j < k && neighbor_points) {
      for (int c = 0; c < d; ++c) to[c] = neighbor_points[size_t(j) * d + c];
    } else if (job.rows) {
      const float* from = job.rows + size_t(index(j)) * job.stride;
      for (int c = 0; c < d; ++c) to[c] = from[c];
    } else {  // TrainingSet::centered_u8's formula
      const uint8_t* from = job.rows_u8 + size_t(index(j)) * job.stride;
      for (int c = 0; c < d; ++c) to[c] = job.u8_scale * from[c] - job.mean[c];
    }
    for (int c = d; c < ws; ++c) to[c] = 0.0f;
  }
  const double t = job.t;
#if CFDM_BOX_WIDTH < 8
  // Two doubles to a register (SSE2, wasm SIMD128) or none: four points at a time, each
  // coordinate of each loaded alone (the compiler pairs them; transposes cost more here).
  for (int j = 0; j < m; j += 4) {
    const int count = m - j < 4 ? m - j : 4;
    const float* r[4];
    for (int a = 0; a < 4; ++a) r[a] = x + size_t(j + (a < count ? a : count - 1)) * ws;
    double acc[4] = {};
    for (int c = 0; c < d; ++c)
      for (int a = 0; a < 4; ++a) {
        const double diff = centered[c] - t * r[a][c];
        acc[a] += diff * diff;
      }
    for (int a = 0; a < count; ++a) dist_sq[j + a] = acc[a];
  }
#else
  for (int j = 0; j < m; j += 8) {
    const int count = m - j < 8 ? m - j : 8;
    const float* r[8];
    for (int a = 0; a < 8; ++a) r[a] = x + size_t(j + (a < count ? a : count - 1)) * ws;
    WideD8 acc = {};
    for (int c = 0; c < ws; c += 4) {
      // Two 4 x 4 blocks (points x coordinates) transposed: col[i] holds coordinate c + i of the
      // eight points.
      WideF4 a[8];
      for (int p = 0; p < 8; ++p) std::memcpy(&a[p], r[p] + c, sizeof(WideF4));
      WideF4 lo[4], hi[4];
      for (int h = 0; h < 2; ++h) {
        const WideF4* b = a + 4 * h;
        const WideF4 t0 = __builtin_shufflevector(b[0], b[1], 0, 4, 1, 5), t1 = __builtin_shufflevector(b[0], b[1], 2, 6, 3, 7);
        const WideF4 t2 = __builtin_shufflevector(b[2], b[3], 0, 4, 1, 5), t3 = __builtin_shufflevector(b[2], b[3], 2, 6, 3, 7);
        WideF4* out = h == 0 ? lo : hi;
        out[0] = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
        out[1] = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
        out[2] = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
        out[3] = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
      }
      for (int i = 0; i < 4; ++i) {
        const WideF8 col = __builtin_shufflevector(lo[i], hi[i], 0, 1, 2, 3, 4, 5, 6, 7);
        const WideD8 diff = centered[c + i] - t * __builtin_convertvector(col, WideD8);
        acc += diff * diff;
      }
    }
    for (int a = 0; a < count; ++a) dist_sq[j + a] = acc[a];
  }
#endif
}

inline void wide_numerator(const double* weights, const float* x, int terms, int dim, double* numerator) {
  const int ws = knn_wide_stride(dim);
  for (int c = 0; c < dim; ++c) numerator[c] = 0.0;
  for (int j = 0; j < terms; ++j) {
    const double w = weights[j];
    const float* row = x + size_t(j) * ws;
    for (int c = 0; c < dim; ++c) numerator[c] += w * row[c];
  }
}

inline const KnnTable& knn_table() {
  static const KnnTable t = {table(), &row_any<CFDM_BOX_WIDTH>, &draws, &wide_distances, &wide_numerator};
  return t;
}

}  // namespace CFDM_BOX_NAMESPACE
}  // namespace cfdm
