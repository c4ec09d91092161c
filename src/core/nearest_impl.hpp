// The exact k-nearest-neighbour search by brute force (method.md section 5), written once for a
// vector width W and compiled per instruction set beside the posterior-mean kernels, whose
// blocking and dot-product blocks it shares (kernel_impl.hpp). Include only from
// kernel_table_impl.hpp. Used by NeighborIndex (neighbors.hpp) when no tree serves the dimension.
#pragma once
#include "core/kernel_impl.hpp"

namespace cfdm {
namespace CFDM_KERNEL_NAMESPACE {

// Inserts (key, i) into the ascending list keys/index of length kept if key beats its last entry.
inline void insert_neighbor(float* keys, int* index, int kept, float key, int i) {
  if (!(key < keys[kept - 1])) return;
  int pos = kept - 1;
  while (pos > 0 && key < keys[pos - 1]) {
    keys[pos] = keys[pos - 1];
    index[pos] = index[pos - 1];
    --pos;
  }
  keys[pos] = key;
  index[pos] = i;
}

// ---- exact k-nearest-neighbour search (method.md section 5), blocked like the expanded kernel ----

// The kept lists of a neighbour search over query blocks [block_begin, block_end): per query
// the k best keys (ascending, in scratch) and their row indices (in neighbors), emptied.
struct KeptLists {
  int n_queries, kept_max;
  const float* queries;
  int* index;  // n_queries x k
  float* key;  // n_queries x k
};

inline KeptLists start_kept_lists(const KernelJob& job, int block_begin, int block_end, int k, int* neighbors,
                                  float* scratch) {
  KeptLists kept{(block_end - block_begin) * kQueryBlock, min_int(k, job.n),
                 job.queries + long(block_begin) * kQueryBlock * job.stride,
                 neighbors + long(block_begin) * kQueryBlock * k, scratch};
  for (long i = 0; i < long(kept.n_queries) * k; ++i) {
    kept.key[i] = -kNegInf;
    kept.index[i] = -1;
  }
  return kept;
}

// Ranks training rows by key_j = |x_j|^2 - 2 <q, x_j> (= |q - x_j|^2 - |q|^2: squared distance
// up to a per-query constant). Rows are scanned in index order and only a strictly smaller key
// displaces a kept one, so ties go to the lower index.
template <int W>
void nearest(const KernelJob& job, int block_begin, int block_end, int k, int* neighbors, float* scratch) {
  const int n = job.n, stride = job.stride, tile = job.tile;
  const KeptLists kept = start_kept_lists(job, block_begin, block_end, k, neighbors, scratch);
  const int n_queries = kept.n_queries, kept_max = kept.kept_max;
  const float* queries = kept.queries;
  int* best_index = kept.index;
  float* best_key = kept.key;
  float* dots = best_key + long(n_queries) * k;
  float* converted = dots + long(kQueryBlock) * (tile + 16);  // uint8 tiles as floats
  for (int i0 = 0; i0 < n; i0 += tile) {
    if (cancelled(job)) return;
    const int len = min_int(tile, n - i0);
    const int len_blocked = (len + kDotColumns - 1) / kDotColumns * kDotColumns;
    const float* x = tile_rows(job, i0, len_blocked, converted);
    for (int b = 0; b < n_queries; b += kQueryBlock) {
      const float* q = queries + long(b) * stride;
      tile_dots<W>(q, kQueryBlock, x, len_blocked, stride, dots, tile + 16);
      for (int r = 0; r < kQueryBlock; ++r) {
        float* keys = best_key + long(b + r) * k;
        int* index = best_index + long(b + r) * k;
        const float* d = dots + r * (tile + 16);
        // W rows at a time: only a vector with a key below the current k-th best goes through
        // the scalar insertion (late in a scan, rarely). Keys are computed identically on both
        // paths, so the result does not depend on W.
        for (int j0 = 0; j0 < len; j0 += W) {
          const int lanes = min_int(W, len - j0);
          VecF<W> key_vector = load<W>(job.norms_sq + i0 + j0) - 2.0f * load<W>(d + j0);
          if (lanes == W && !(hmin<W>(key_vector) < keys[kept_max - 1])) continue;
          for (int lane = 0; lane < lanes; ++lane)
            insert_neighbor(keys, index, kept_max, key_vector[lane], i0 + j0 + lane);
        }
      }
    }
  }
}

// One coordinate's term of the column layout's dot products, dot += q_c x (fused where the
// instruction set fuses): nearest_columns and listed_column_keys both take this step, so their
// keys have the same bits.
template <int W>
inline void column_step(VecF<W>& dot, float qc, const VecF<W>& x) {
  dot += qc * x;
}

// The same search on the column layout (d x n_padded, d <= TrainingSet::kColumnsMaxDim): W
// training rows per vector and the query's coordinates broadcast, so no horizontal sums; for
// moderate d, where a row-wise dot product is only a few vectors long.
template <int W>
void nearest_columns(const KernelJob& job, int block_begin, int block_end, int k, int* neighbors, float* scratch) {
  const int n = job.n, n_padded = job.n_padded, stride = job.stride, dim = job.dim;
  const KeptLists kept = start_kept_lists(job, block_begin, block_end, k, neighbors, scratch);
  const int n_queries = kept.n_queries, kept_max = kept.kept_max;
  const float* queries = kept.queries;
  int* best_index = kept.index;
  float* best_key = kept.key;
  // Tiles of about 256 KB of columns stay in L2 while every query block scans them.
  constexpr int kColumnVectors = CFDM_KERNEL_REGISTERS >= 32 ? 2 : 1;
  const int tile = ((65536 / dim) / (kColumnVectors * W) + 1) * (kColumnVectors * W);
  for (int i0 = 0; i0 < n; i0 += tile) {
    if (cancelled(job)) return;
    const int end = min_int(n, i0 + tile);
    for (int b = 0; b < n_queries; b += kQueryBlock) {
      const float* q = queries + long(b) * stride;
      // kColumnVectors vectors of rows per pass: each x load then feeds 8 FMAs, each broadcast
      // query coordinate kColumnVectors of them.
      for (int j0 = i0; j0 < end; j0 += kColumnVectors * W) {
        VecF<W> dot[kQueryBlock][kColumnVectors];
        for (int r = 0; r < kQueryBlock; ++r)
          for (int v = 0; v < kColumnVectors; ++v) dot[r][v] = VecF<W>{};
        for (int c = 0; c < dim; ++c) {
          VecF<W> x[kColumnVectors];
          for (int v = 0; v < kColumnVectors; ++v) x[v] = load<W>(job.columns + long(c) * n_padded + j0 + v * W);
          for (int r = 0; r < kQueryBlock; ++r) {
            const float qc = q[r * stride + c];
            for (int v = 0; v < kColumnVectors; ++v) column_step<W>(dot[r][v], qc, x[v]);
          }
        }
        const VecF<W> norms[2] = {load<W>(job.norms_sq + j0),
                                  load<W>(job.norms_sq + j0 + (kColumnVectors - 1) * W)};  // norms_sq has kPad spare
        const bool whole = j0 + kColumnVectors * W <= n;
        for (int r = 0; r < kQueryBlock; ++r) {
          VecF<W> keys[kColumnVectors];  // |x|^2 - 2 <q, x>, as in nearest()
          VecF<W> lowest = splat<W>(-kNegInf);
          for (int v = 0; v < kColumnVectors; ++v) {
            keys[v] = norms[v] - 2.0f * dot[r][v];
            lowest = v == 0 ? keys[v] : (keys[v] < lowest ? keys[v] : lowest);
          }
          float* kept = best_key + long(b + r) * k;
          if (whole && !(hmin<W>(lowest) < kept[kept_max - 1])) continue;  // one test for all vectors
          int* index = best_index + long(b + r) * k;
          for (int v = 0; v < kColumnVectors; ++v)
            for (int lane = 0; lane < W && j0 + v * W + lane < n; ++lane)
              insert_neighbor(kept, index, kept_max, keys[v][lane], j0 + v * W + lane);
        }
      }
    }
  }
}

// KernelTable::listed_keys: the listed rows converted as tile_rows converts them, their dot
// products by tile_dots, their keys as nearest() forms them (2 x is exact, so a fused
// multiply-subtract and a separate one round alike).
template <int W>
void listed_keys(const KernelJob& job, const float* query, const int* rows, int count, float* keys, float* scratch) {
  const int stride = job.stride;
  float* q = scratch;                          // kDotRowMultiple query rows: the query, then zeros
  float* x = q + long(kDotRowMultiple) * stride;  // kListedChunk rows
  float* dots = x + long(kListedChunk) * stride;  // kDotRowMultiple x kListedChunk
  for (long i = 0; i < long(kDotRowMultiple) * stride; ++i) q[i] = i < stride ? query[i] : 0.0f;
  for (int j0 = 0; j0 < count; j0 += kListedChunk) {
    const int len = min_int(kListedChunk, count - j0);
    const int len_blocked = (len + kDotRowMultiple - 1) / kDotRowMultiple * kDotRowMultiple;
    for (int j = 0; j < len_blocked; ++j) {
      float* to = x + long(j) * stride;
      if (j >= len) {
        for (int c = 0; c < stride; ++c) to[c] = 0.0f;
        continue;
      }
      const float* row = tile_rows(job, rows[j0 + j], 1, to);
      if (row != to)
        for (int c = 0; c < stride; ++c) to[c] = row[c];
    }
    tile_dots<W>(q, kDotRowMultiple, x, len_blocked, stride, dots, kListedChunk);
    for (int j = 0; j < len; ++j) keys[j0 + j] = job.norms_sq[rows[j0 + j]] - 2.0f * dots[j];
  }
}

// KernelTable::listed_column_keys: the listed rows' coordinates gathered W rows a vector (from
// the rows where the set keeps them, else the columns: the same values), each lane's dot product
// summed over c = 0, 1, ... by column_step as nearest_columns sums it, the key formed as it forms
// it (2 x is exact, so fused or not it rounds alike).
template <int W>
void listed_column_keys(const KernelJob& job, const float* query, const int* rows, int count, float* keys,
                        float* scratch) {
  const int dim = job.dim;
  float* x = scratch;  // dim x W
  for (int j0 = 0; j0 < count; j0 += W) {
    const int len = min_int(W, count - j0);
    for (int v = 0; v < W; ++v)
      for (int c = 0; c < dim; ++c)
        x[long(c) * W + v] = v >= len   ? 0.0f
                             : job.rows ? job.rows[long(rows[j0 + v]) * job.stride + c]
                                        : job.columns[long(c) * job.n_padded + rows[j0 + v]];
    VecF<W> dot{};
    for (int c = 0; c < dim; ++c) column_step<W>(dot, query[c], load<W>(x + long(c) * W));
    for (int v = 0; v < len; ++v) keys[j0 + v] = job.norms_sq[rows[j0 + v]] - 2.0f * dot[v];
  }
}

// KernelTable::coarse_bounds, W rows a vector: a vector with no bound at most the limit (the
// usual case, late in a scan) leaves no mark.
template <int W>
void coarse_bounds(const int32_t* dots, int len, const float* norms, const float* magnitude, const float* residual,
                   const float* terms, float limit, float* lo, char* left) {
  const float c1 = terms[0], c0 = terms[1], e1 = terms[2], r1 = terms[3], margin = terms[4];
  int j = 0;
  for (; j + W <= len; j += W) {
    VecI<W> dot;
    __builtin_memcpy(&dot, dots + j, sizeof dot);
    const VecF<W> bound = load<W>(norms + j) - c1 * __builtin_convertvector(dot, VecF<W>) + c0 -
                          (e1 * load<W>(magnitude + j) + r1 * load<W>(residual + j) + margin);
    store<W>(lo + j, bound);
    if (!(hmin<W>(bound) <= limit)) continue;
    for (int lane = 0; lane < W; ++lane) left[j + lane] |= char(bound[lane] <= limit);
  }
  for (; j < len; ++j) {
    lo[j] = norms[j] - c1 * float(dots[j]) + c0 - (e1 * magnitude[j] + r1 * residual[j] + margin);
    left[j] |= char(lo[j] <= limit);
  }
}

// KernelTable::dots_u8_packed, the plain loops.
inline void dots_u8_packed_loop(const int8_t* q, int rows, const uint8_t* packed, int n_padded, int words, int i0,
                                int len, int32_t* dots, int dots_stride) {
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < len; ++j) {
      const int8_t* a = q + long(r) * words * 4;
      int32_t sum = 0;
      for (int w = 0; w < words; ++w) {
        const uint8_t* b = packed + (long(w) * n_padded + i0 + j) * 4;
        for (int e = 0; e < 4; ++e) sum += int32_t(a[4 * w + e]) * int32_t(b[e]);
      }
      dots[long(r) * dots_stride + j] = sum;
    }
}

// KernelTable::bounded_dots_u8_packed in two steps, through memory.
template <int W>
void bounded_dots_u8_packed(const int8_t* q, const uint8_t* packed, int n_padded, int words, int i0, int len,
                            const float* norms, const float* magnitude, const float* residual, const float* terms,
                            const float* limits, int32_t* dots, float* lo, int dots_stride, char* left) {
  (CFDM_KERNEL_DOTS_U8_PACKED)(q, kDotRowMultiple, packed, n_padded, words, i0, len, dots, dots_stride);
  for (int a = 0; a < kDotRowMultiple; ++a)
    coarse_bounds<W>(dots + long(a) * dots_stride, len, norms, magnitude, residual, terms + 5 * a, limits[a],
                     lo + long(a) * dots_stride, left);
}

// KernelTable::dots_u8, the plain loops (every instruction set; the compiler vectorizes the sum).
inline void dots_u8_loop(const int8_t* q, int rows, const uint8_t* x, int len, int stride, int32_t* dots,
                         int dots_stride) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < len; ++c) {
      const int8_t* a = q + long(r) * stride;
      const uint8_t* b = x + long(c) * stride;
      int32_t sum = 0;
      for (int k = 0; k < stride; ++k) sum += int32_t(a[k]) * int32_t(b[k]);
      dots[long(r) * dots_stride + c] = sum;
    }
}

}  // namespace CFDM_KERNEL_NAMESPACE
}  // namespace cfdm
