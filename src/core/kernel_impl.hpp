// The posterior-mean kernels, written once for a vector width W and compiled per instruction set
// (kernel_isa_*.cpp, through kernel_table_impl.hpp). Include only from there. No Eigen, no standard-library templates
// here (see kernel_job.hpp). Formulas: kernel.hpp; method.md section 2.
#pragma once
#include "core/kernel_job.hpp"
#include "core/simd.hpp"

namespace cfdm {
namespace CFDM_KERNEL_NAMESPACE {

using namespace simd;
constexpr float kNegInf = -__builtin_inff();
// Queries per register block: the direct kernel always takes 4; the expanded kernel takes 8 with
// 32 vector registers (AVX-512), halving how often a training tile is re-read from L2, else 4.
constexpr int Q = 4;
constexpr int kExpandedQueries = CFDM_KERNEL_REGISTERS >= 32 ? 8 : 4;
static_assert(kQueryBlock % Q == 0 && kQueryBlock % kExpandedQueries == 0, "blocks must split evenly");

inline int min_int(int a, int b) { return a < b ? a : b; }
inline float max_float(float a, float b) { return b > a ? b : a; }
inline bool cancelled(const KernelJob& job) { return job.cancel && __atomic_load_n(job.cancel, __ATOMIC_RELAXED); }

// Online softmax of one query: running max m and sum s = sum_i exp(l_i - m). Raises m to a
// tile's max and returns exp(m_old - m_new) (1 if unchanged), by which the caller also scales
// its running weighted sum.
inline float raise_max(float& max, float& sum, float tile_max) {
  if (!(tile_max > max)) return 1.0f;
  const float scale = exp_nonpositive<1>(splat<1>(max - tile_max))[0];
  max = tile_max;
  sum *= scale;
  return scale;
}

// Rows [i0, i0 + len) of the training set as centered floats: the stored rows, or uint8 rows
// converted into `buffer` (x' = scale u - c; the padding coordinates stay 0).
inline const float* tile_rows(const KernelJob& job, int i0, int len, float* buffer) {
  if (!job.rows_u8) return job.rows + long(i0) * job.stride;
  const int stride = job.stride, dim = job.dim;
  for (int j = 0; j < len; ++j) {
    const uint8_t* u = job.rows_u8 + long(i0 + j) * stride;
    float* x = buffer + long(j) * stride;
    for (int k = 0; k < dim; ++k) x[k] = job.u8_scale * float(u[k]) - job.mean[k];
    for (int k = dim; k < stride; ++k) x[k] = 0.0f;
  }
  return buffer;
}

// ---- direct form, d = D <= 8 (TrainingSet::kDirectMaxDim), training set as d x N columns ----

// state_max, state_sum: null, or where the Q queries' softmax states go (KernelJob::out_max).
template <int W, int D>
void direct_block(const KernelJob& job, const float* query_rows, float* out_rows, float* state_max, float* state_sum) {
  constexpr int kTile = 256;
  const int n = job.n, n_padded = job.n_padded, stride = job.stride;
  const float* columns = job.columns;
  const float t = job.t;
  const float one_minus_t = 1.0f - t;
  // l = -dist_sq * half_inv_var, half_inv_var = 1 / (2 (1-t)^2)
  const float half_inv_var = 0.5f / (one_minus_t * one_minus_t);

  float q[Q][D];
  for (int r = 0; r < Q; ++r)
    for (int k = 0; k < D; ++k) q[r][k] = query_rows[r * stride + k];

  alignas(64) float logits[Q][kTile];
  float run_max[Q], run_sum[Q];  // run_sum stays 0: the lane sums in sum[] carry the total
  VecF<W> sum[Q], acc[Q][D];
  for (int r = 0; r < Q; ++r) {
    run_max[r] = kNegInf;
    run_sum[r] = 0.0f;
    sum[r] = VecF<W>{};
    for (int k = 0; k < D; ++k) acc[r][k] = VecF<W>{};
  }
  VecF<W> lane_index;
  for (int l = 0; l < W; ++l) lane_index[l] = float(l);

  for (int i0 = 0; i0 < n_padded; i0 += kTile) {
    const int len = min_int(kTile, n_padded - i0);
    VecF<W> tile_max[Q];
    for (int r = 0; r < Q; ++r) tile_max[r] = splat<W>(kNegInf);
    // Pass 1: logits of the tile; padding points (i >= n) get -inf.
    for (int j = 0; j < len; j += W) {
      VecF<W> dist_sq[Q];
      for (int r = 0; r < Q; ++r) dist_sq[r] = VecF<W>{};
      for (int k = 0; k < D; ++k) {
        const VecF<W> tx = load<W>(columns + size_t(k) * n_padded + i0 + j) * t;
        for (int r = 0; r < Q; ++r) {
          const VecF<W> diff = q[r][k] - tx;  // q_k - t x_ik
          dist_sq[r] += diff * diff;
        }
      }
      const auto valid = (lane_index + float(i0 + j)) < float(n);
      for (int r = 0; r < Q; ++r) {
        const VecF<W> logit = valid ? -dist_sq[r] * half_inv_var : splat<W>(kNegInf);
        store<W>(&logits[r][j], logit);
        tile_max[r] = vmax<W>(tile_max[r], logit);
      }
    }
    for (int r = 0; r < Q; ++r) {
      const float scale = raise_max(run_max[r], run_sum[r], hmax<W>(tile_max[r]));
      if (scale != 1.0f) {
        sum[r] *= scale;
        for (int k = 0; k < D; ++k) acc[r][k] *= scale;
      }
    }
    // Pass 2: p_i = exp(l_i - m); sum += p_i; acc += p_i x_i.
    for (int j = 0; j < len; j += W) {
      VecF<W> x[D];
      for (int k = 0; k < D; ++k) x[k] = load<W>(columns + size_t(k) * n_padded + i0 + j);
      for (int r = 0; r < Q; ++r) {
        const VecF<W> p = exp_nonpositive<W>(load<W>(&logits[r][j]) - run_max[r]);
        sum[r] += p;
        for (int k = 0; k < D; ++k) acc[r][k] += p * x[k];
      }
    }
  }
  for (int r = 0; r < Q; ++r) {
    const float total = hsum<W>(sum[r]);
    if (state_max) {
      state_max[r] = run_max[r];
      state_sum[r] = total;
      for (int k = 0; k < D; ++k) out_rows[r * stride + k] = hsum<W>(acc[r][k]);
    } else {
      for (int k = 0; k < D; ++k) out_rows[r * stride + k] = hsum<W>(acc[r][k]) / total;
    }
  }
}

template <int W, int D>
void direct_range(const KernelJob& job, int block_begin, int block_end) {
  const int stride = job.stride;
  for (int b = block_begin * (kQueryBlock / Q); b < block_end * (kQueryBlock / Q); ++b) {
    if (cancelled(job)) return;
    const long offset = long(b) * Q * stride;
    direct_block<W, D>(job, job.queries + offset, job.out + offset, job.out_max ? job.out_max + long(b) * Q : nullptr,
                       job.out_sum ? job.out_sum + long(b) * Q : nullptr);
  }
}

template <int W>
void direct(const KernelJob& job, int block_begin, int block_end) {
  switch (job.dim) {
    case 1:
      return direct_range<W, 1>(job, block_begin, block_end);
    case 2:
      return direct_range<W, 2>(job, block_begin, block_end);
    case 3:
      return direct_range<W, 3>(job, block_begin, block_end);
    case 4:
      return direct_range<W, 4>(job, block_begin, block_end);
    case 5:
      return direct_range<W, 5>(job, block_begin, block_end);
    case 6:
      return direct_range<W, 6>(job, block_begin, block_end);
    case 7:
      return direct_range<W, 7>(job, block_begin, block_end);
    default:
      return direct_range<W, 8>(job, block_begin, block_end);
  }
}

// ---- expanded form, any d, training set as N x stride rows ----

// G[r][c] = <q_r, x_c> for R queries and C training rows (stride floats each, zero padded).
template <int W, int R, int C>
inline void dots_block(const float* q, const float* x, int stride, float* dots, int dots_stride) {
  VecF<W> a[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) a[r][c] = VecF<W>{};
  for (int k = 0; k < stride; k += W) {
    VecF<W> qv[R], xv[C];
    for (int r = 0; r < R; ++r) qv[r] = load<W>(q + r * stride + k);
    for (int c = 0; c < C; ++c) xv[c] = load<W>(x + c * stride + k);
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) a[r][c] += qv[r] * xv[c];
  }
  // The R x C accumulators, reduced W at a time (flat index r C + c).
  static_assert((R * C) % W == 0, "the block must hold whole groups of W accumulators");
  const VecF<W>* flat = &a[0][0];
  for (int g = 0; g < R * C; g += W) {
    const VecF<W> sums = transpose_sum<W>(flat + g);
    for (int l = 0; l < W; ++l) dots[((g + l) / C) * dots_stride + (g + l) % C] = sums[l];
  }
}

// acc_r[k0 .. k0 + V W) += sum_j p[r][j] x_j[k0 ...] for R queries over the training rows
// listed in rows[0 .. n_rows), in order.
template <int W, int R, int V>
inline void weighted_sum_block(float* acc, int acc_stride, const float* p, int p_stride, const float* x, int stride,
                               const int* rows, int n_rows, int k0) {
  VecF<W> a[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) a[r][v] = load<W>(acc + r * acc_stride + k0 + v * W);
  for (int i = 0; i < n_rows; ++i) {
    const int j = rows[i];
    VecF<W> xv[V];
    for (int v = 0; v < V; ++v) xv[v] = load<W>(x + long(j) * stride + k0 + v * W);
    for (int r = 0; r < R; ++r) {
      const float pr = p[r * p_stride + j];
      for (int v = 0; v < V; ++v) a[r][v] += pr * xv[v];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) store<W>(acc + r * acc_stride + k0 + v * W, a[r][v]);
}

// Register blocking. Dot products: 4 queries x 4 training rows with 32 vector registers
// (AVX-512), 4 x 2 with 16 (SSE2, AVX2, SIMD128). Weighted sums: kExpandedQueries queries x 2
// vectors of coordinates.
constexpr int kDotQueries = 4;
constexpr int kDotColumns = CFDM_KERNEL_REGISTERS >= 32 ? 4 : 2;
constexpr int kSumVectors = 2;

// The dot products of `rows` queries (a multiple of kDotQueries, row stride `stride`) with a
// tile's len_blocked training rows: query r's at dots + r * dots_stride. Shared by the expanded
// kernel and the brute-force neighbour search.
template <int W>
inline void tile_dots(const float* q, int rows, const float* x, int len_blocked, int stride, float* dots,
                      int dots_stride) {
  for (int r = 0; r < rows; r += kDotQueries)
    for (int c = 0; c < len_blocked; c += kDotColumns)
      dots_block<W, kDotQueries, kDotColumns>(q + long(r) * stride, x + long(c) * stride, stride,
                                              dots + r * dots_stride + c, dots_stride);
}

template <int W>
void expanded(const KernelJob& job, int block_begin, int block_end, float* scratch) {
  const int n = job.n, stride = job.stride, tile = job.tile;
  const float t = job.t;
  const float one_minus_t = 1.0f - t;
  const float inv_var = 1.0f / (one_minus_t * one_minus_t);  // 1 / (1-t)^2
  const float half_t_sq = 0.5f * t * t;
  const int n_queries = (block_end - block_begin) * kQueryBlock;
  const float* queries = job.queries + long(block_begin) * kQueryBlock * stride;

  // Scratch (expanded_scratch_floats): running weighted sums, maxima, sums, tile buffers.
  float* acc = scratch;
  float* run_max = acc + long(n_queries) * stride;
  float* run_sum = run_max + n_queries;
  float* logits = run_sum + n_queries;
  float* weights = logits + kQueryBlock * (tile + 16);
  int* active_rows = reinterpret_cast<int*>(weights + kQueryBlock * (tile + 16));
  float* converted = reinterpret_cast<float*>(active_rows) + tile + 16;  // uint8 tiles as floats
  for (long i = 0; i < long(n_queries) * stride; ++i) acc[i] = 0.0f;
  for (int r = 0; r < n_queries; ++r) {
    run_max[r] = kNegInf;
    run_sum[r] = 0.0f;
  }

  // Training rows are the outer loop: a tile stays in L2 while every query block uses it, so the
  // training set streams from memory once per task.
  for (int i0 = 0; i0 < n; i0 += tile) {
    if (cancelled(job)) return;
    const int len = min_int(tile, n - i0);
    const int len_blocked = (len + kDotColumns - 1) / kDotColumns * kDotColumns;  // within n_padded
    const int len_vector = (len + W - 1) / W * W;
    const float* x = tile_rows(job, i0, len_blocked, converted);
    const float* norms_sq = job.norms_sq + i0;
    for (int b = 0; b < n_queries; b += kExpandedQueries) {
      const float* q = queries + long(b) * stride;
      tile_dots<W>(q, kExpandedQueries, x, len_blocked, stride, logits, tile + 16);
      for (int r = 0; r < kExpandedQueries; ++r) {
        float* l = logits + r * (tile + 16);
        float tile_max = kNegInf;
        for (int j = 0; j < len; ++j) {
          l[j] = (t * l[j] - half_t_sq * norms_sq[j]) * inv_var;
          tile_max = max_float(tile_max, l[j]);
        }
        for (int j = len; j < len_vector; ++j) l[j] = kNegInf;
        const float scale = raise_max(run_max[b + r], run_sum[b + r], tile_max);
        if (scale != 1.0f) {
          float* a = acc + long(b + r) * stride;
          for (int k = 0; k < stride; ++k) a[k] *= scale;
        }
        float* p = weights + r * (tile + 16);
        VecF<W> tile_sum{};
        for (int j = 0; j < len_vector; j += W) {
          const VecF<W> pv = exp_nonpositive<W>(load<W>(l + j) - run_max[b + r]);
          store<W>(p + j, pv);
          tile_sum += pv;
        }
        run_sum[b + r] += hsum<W>(tile_sum);
      }
      // Rows whose weight is exactly 0 for every query of the block (exp underflow: late in the
      // flow nearly all of them) add +0 and are skipped; the result is bit-identical.
      int n_active = 0;
      for (int j = 0; j < len; ++j) {
        bool any = false;
        for (int r = 0; r < kExpandedQueries; ++r) any |= weights[r * (tile + 16) + j] != 0.0f;
        if (any) active_rows[n_active++] = j;
      }
      float* a = acc + long(b) * stride;
      int k0 = 0;
      for (; k0 + kSumVectors * W <= stride; k0 += kSumVectors * W)
        weighted_sum_block<W, kExpandedQueries, kSumVectors>(a, stride, weights, tile + 16, x, stride, active_rows,
                                                             n_active, k0);
      for (; k0 < stride; k0 += W)
        weighted_sum_block<W, kExpandedQueries, 1>(a, stride, weights, tile + 16, x, stride, active_rows, n_active, k0);
    }
  }
  float* out = job.out + long(block_begin) * kQueryBlock * stride;
  if (job.out_max) {
    for (int r = 0; r < n_queries; ++r) {
      job.out_max[long(block_begin) * kQueryBlock + r] = run_max[r];
      job.out_sum[long(block_begin) * kQueryBlock + r] = run_sum[r];
      for (int k = 0; k < stride; ++k) out[long(r) * stride + k] = acc[long(r) * stride + k];
    }
    return;
  }
  for (int r = 0; r < n_queries; ++r) {
    const float inv_sum = 1.0f / run_sum[r];
    for (int k = 0; k < stride; ++k) out[long(r) * stride + k] = acc[long(r) * stride + k] * inv_sum;
  }
}

}  // namespace CFDM_KERNEL_NAMESPACE
}  // namespace cfdm
