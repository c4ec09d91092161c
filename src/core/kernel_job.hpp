// What the per-instruction-set kernels (kernel_impl.hpp, nearest_impl.hpp) receive.
//
// Those translation units are compiled with -mavx2 / -mavx512f, so they include no Eigen and
// instantiate no standard-library template: an inline function emitted there could be merged by
// the linker into the baseline path and execute AVX-512 code on a CPU without it. Everything here
// is plain data; scratch memory is allocated by the caller (kernel.cpp).
#pragma once
#include <cstdint>

namespace cfdm {

// Queries per register block; queries are padded to a multiple of this.
constexpr int kQueryBlock = 8;

struct KernelJob {
  const float* rows;       // training set, n_padded x stride, centered, zero padded (or null:)
  const uint8_t* rows_u8;  // uint8 storage, x' = u8_scale * u - mean, converted tile by tile
  float u8_scale;
  const float* mean;      // c, dim floats
  const float* columns;   // the same, d x n_padded (direct kernel only)
  const float* norms_sq;  // |x'_i|^2 (squared norms), n_padded
  int n, n_padded, dim, stride;
  const float* queries;  // centered queries q - t c, rows of stride floats, kQueryBlock-padded
  float* out;            // centered posterior means D - c, same layout
  float t;
  int tile;            // expanded kernel: training rows per tile
  const bool* cancel;  // storage of a std::atomic<bool> (or null), read with __atomic_load_n
  // Null: out holds the posterior means. Else the online softmax's state instead: per query its
  // maximum logit (out_max), sum of exp(logit - max) (out_sum) and, in out, the weighted sum of the
  // centred rows before it is divided by that sum (a part of the training set, merged with the
  // other parts' by merge_softmax_states, kernel.hpp).
  float* out_max = nullptr;
  float* out_sum = nullptr;
};

// Floats of scratch the expanded kernel needs for n_queries queries (the last tile + 16 hold
// row indices, an int per float).
inline long expanded_scratch_floats(const KernelJob& job, int n_queries) {
  return long(n_queries) * (job.stride + 2) + 2L * kQueryBlock * (job.tile + 16) + job.tile + 16 +
         (job.rows_u8 ? long(job.tile) * job.stride : 0);
}

// Floats of scratch the nearest-neighbour search needs for n_queries queries and k neighbours.
inline long nearest_scratch_floats(const KernelJob& job, int n_queries, int k) {
  return 2L * n_queries * k + long(kQueryBlock) * (job.tile + 16) + (job.rows_u8 ? long(job.tile) * job.stride : 0);
}

struct KernelTable {
  // Query blocks [block_begin, block_end) of the job.
  void (*direct)(const KernelJob& job, int block_begin, int block_end);
  void (*expanded)(const KernelJob& job, int block_begin, int block_end, float* scratch);
  // The k nearest training rows of each query (job.queries; job.t is unused), nearest first,
  // ties to the lower index: indices into neighbors (k per query, queries of the block range).
  void (*nearest)(const KernelJob& job, int block_begin, int block_end, int k, int* neighbors, float* scratch);
  // The same on job.columns (scratch: nearest_scratch_floats).
  void (*nearest_columns)(const KernelJob& job, int block_begin, int block_end, int k, int* neighbors, float* scratch);
  // dots[r * dots_stride + c] = <q_r, x_c> for `rows` queries (a multiple of kDotRowMultiple) and
  // len training rows (a multiple of kDotRowMultiple), all `stride` floats apart (a multiple of
  // TrainingSet::kPad, zero padded). Each product is summed alike whatever else is in the call.
  void (*dots)(const float* q, int rows, const float* x, int len, int stride, float* dots, int dots_stride);
  // The same in integers, exactly: dots[r * dots_stride + c] = sum_k q_r[k] x_c[k] for `rows` int8
  // queries and len uint8 training rows (both multiples of kDotRowMultiple), `stride` bytes apart,
  // zero padded. The exact scan's first pass over uint8 training sets (scan_u8.cpp).
  void (*dots_u8)(const int8_t* q, int rows, const uint8_t* x, int len, int stride, int32_t* dots, int dots_stride);
  // The keys |x_i|^2 - 2 <q, x_i> of `count` listed training rows for one query (stride floats,
  // zero padded) into keys, computed as nearest() computes them (its conversion of uint8 rows,
  // its dot products): the same bits. Scratch: listed_keys_scratch_floats.
  void (*listed_keys)(const KernelJob& job, const float* query, const int* rows, int count, float* keys,
                      float* scratch);
  // Whether dots_u8 beats the float dot products on this CPU (integer multiply-adds of four bytes
  // per lane: AVX-512 VNNI; SIMD128's 16-bit dot products).
  bool fast_u8;
  // dots_u8 on bytes packed in columns of words, for short rows (a row-wise dot product of 64
  // bytes would end in a sum across its vector): word w (bytes 4w ... 4w + 3) of training row i at
  // packed[(w * n_padded + i) * 4], `words` words a row, the queries 4 words bytes apart. Rows
  // i0 ... i0 + len - 1 (len a multiple of 16) into dots[r * dots_stride + j] for row i0 + j;
  // rows a multiple of kDotRowMultiple. Exact, as dots_u8.
  void (*dots_u8_packed)(const int8_t* q, int rows, const uint8_t* packed, int n_padded, int words, int i0, int len,
                         int32_t* dots, int dots_stride);
  bool fast_u8_packed;  // whether it beats the float column scan (AVX-512 VNNI)
  // The exact scan's coarse lower bounds (scan_u8.cpp) of len rows for one query: lo[j] =
  // norms[j] - c1 dots[j] + c0 - (e1 magnitude[j] + r1 residual[j] + margin), terms = {c1, c0, e1,
  // r1, margin}, and left[j] set where lo[j] <= limit (left otherwise unchanged).
  void (*coarse_bounds)(const int32_t* dots, int len, const float* norms, const float* magnitude, const float* residual,
                        const float* terms, float limit, float* lo, char* left);
  // dots_u8_packed for kDotRowMultiple queries, then coarse_bounds for each (terms and limits one
  // after another; norms, magnitude and residual from row i0, dots and lo dots_stride apart), in
  // one pass where the instruction set has them fused.
  void (*bounded_dots_u8_packed)(const int8_t* q, const uint8_t* packed, int n_padded, int words, int i0, int len,
                                 const float* norms, const float* magnitude, const float* residual, const float* terms,
                                 const float* limits, int32_t* dots, float* lo, int dots_stride, char* left);
  // The keys of listed rows for one query (dim floats) as nearest_columns computes them: the same
  // bits. Scratch: listed_keys_scratch_floats.
  void (*listed_column_keys)(const KernelJob& job, const float* query, const int* rows, int count, float* keys,
                             float* scratch);
};
constexpr int kDotRowMultiple = 4;

// listed_keys: rows converted and dotted this many at a time.
constexpr int kListedChunk = 64;
inline long listed_keys_scratch_floats(const KernelJob& job) {
  return long(kDotRowMultiple + kListedChunk) * job.stride + long(kDotRowMultiple) * kListedChunk;
}

}  // namespace cfdm
