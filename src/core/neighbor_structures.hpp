// The search structures behind NeighborIndex (neighbors.hpp), each built and searched in a file
// of its own: the kd-tree over nanoflann (kd_tree.cpp) and the box tree (box_tree_build.cpp, its
// search in box_search_impl.hpp). Internal to the core.
#pragma once
#include <atomic>
#include <climits>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/box_tree.hpp"
#include "core/neighbors.hpp"
#include "core/training_set.hpp"

namespace cfdm {

class ThreadPool;

// The kd-tree keeps its own dense copy of the centered points, renumbered after the build into
// the order of the tree's leaves: a leaf's points are then contiguous in memory (8 bytes a point
// in 2-D), where nanoflann would otherwise gather them from anywhere. Dimensions up to 7 are
// compiled in, which lets nanoflann unroll its distance loops.
struct NeighborIndex::KdTree {
  virtual ~KdTree() = default;
  // hint: k training indices or null; neighbors may be the same array.
  virtual void find(const float* query, int k, const int* hint, int* neighbors, float* dist_sq) const = 0;
};
std::unique_ptr<NeighborIndex::KdTree> make_kd_tree(const TrainingSet& train);

// The box tree (box_tree.hpp) and its copy of the points.
struct NeighborIndex::BoxTree {
  virtual ~BoxTree() = default;
  // The k nearest of query (and their coordinates into points unless null), bounded by the
  // farthest of hint's k points when given (their coordinates hint_points, if given, k x d).
  // Scratch: dist, cand and keys (grown when a search needs more).
  virtual void find(const float* query, int k, const int* hint, const float* hint_points, int* neighbors, float* points,
                    const BoxSearchTable& table, std::vector<float>& dist, std::vector<uint32_t>& cand,
                    std::vector<uint64_t>& keys) const = 0;
};
// Builds it on the pool's threads (on the calling thread when pool is null).
std::unique_ptr<NeighborIndex::BoxTree> make_box_tree(const TrainingSet& train, ThreadPool* pool);

// The inverted-file index (ivf.cpp): approximate, for high dimension.
struct NeighborIndex::Ivf {
  virtual ~Ivf() = default;
  // The k nearest found in each query's probed cells (centered rows, `stride` apart), nearest
  // first, ties to the lower index; returns early (neighbors unset) when cancel is set. With
  // exact (not null): the queries that would probe a third of the cells or more are not searched
  // (their neighbors unset) but listed there, ascending, for the exact scan.
  virtual void find(const float* queries, int n_queries, int stride, int k, int* neighbors, ThreadPool& pool,
                    const KernelOptions& options, std::vector<int>* exact = nullptr) const = 0;
  virtual int cell_count() const = 0;
  virtual int probe_count() const = 0;     // 0 when a recall target decides
  virtual double recall_target() const = 0;  // 0 when probe_count decides
  // The calibration of a recall target, per noise level: (squared distance to the nearest
  // centroid, cells probed); empty for a fixed probe count.
  virtual std::vector<std::pair<double, int>> calibration() const = 0;
};
// A training set in bytes, for the exact scan's integer pass (scan_u8.cpp): centred row i is
//   x'_i = s (.) u_i - o + r_i,  |r_i| <= residual_i,
// u_i its bytes (n_padded x stride, zero padded), s and o per coordinate. A uint8 set's own bytes
// (s its scale, o its mean, r = 0 but for the float rounding the scan's margin covers); a float
// set's coordinates each rounded to 255 steps across its largest magnitude (s_k = max_i |x'_ik| /
// 127, u = 128 + round(x' / s), o = 128 s). packed, when built, holds the same bytes in columns of
// words (KernelTable::dots_u8_packed), for short rows.
struct ByteRows {
  const uint8_t* rows = nullptr;  // null: not built
  int stride = 0;
  std::vector<uint8_t> own, packed;   // a float set's bytes; the packed copy (or empty)
  std::vector<double> scale, offset;  // s, o (d each)
  int centre = 0;                     // the bounds' centre for the bytes: 0 (uint8 sets) or 128 (float)
  // Per row (n_padded, 0 in the padding): M_i, sum_k u_ik (centre 0) or |u_i - 128| (centre 128)
  // rounded up; and a bound on |r_i|.
  std::vector<float> magnitude, residual;
  // Over the rows, for the size of every term of a bound: the largest |x'_i|^2, sum_k u_ik, M_i
  // and bound on |r_i|.
  double max_norm = 0, max_sum = 0, max_magnitude = 0, max_residual = 0;
};

// bytes: the set in bytes (byte_rows; not built: none), for its calibration's exact scan.
std::unique_ptr<NeighborIndex::Ivf> make_ivf(const TrainingSet& train, const IvfOptions& options, ThreadPool* pool,
                                             const ByteRows& bytes);

// The exact scan in two passes, integer dot products first (scan_u8.cpp): the answer of
// NeighborIndex's float scan, bit for bit, sooner where the instruction set's integer dot
// products are fast (KernelTable::fast_u8, fast_u8_packed; force: on any, for the tests). bytes:
// the set in bytes (byte_rows). Not applicable: bytes not built, rows too long for 32-bit sums
// (u8_sums_fit), no fast integer dot products, a query not finite; the caller then scans in
// floats.
enum class U8Scan { done, cancelled, not_applicable };
// Whether integer dot products of a byte set's rows (stride bytes) cannot overflow 32 bits:
// 255 x 127 x stride at most 2^31 - 1 (images up to 66,311 pixels).
inline bool u8_sums_fit(int stride) { return int64_t(255) * 127 * stride <= INT32_MAX; }
// Queries written in bytes for the integer dot products (scan_u8.cpp): coarse (bytes) and the
// rounding error's own bytes (fine), each kDotRowMultiple-padded, the set's stride() bytes apart;
// per query the terms of the bounds on the float scan's keys. A row with magnitude M, residual
// bound R (ByteRows), coarse dot product D and fine dot product F has its key within
//   |x|^2 - c1 D + c0 -/+ (e1 M + r1 R + margin)                (coarse), and
//   |x|^2 - c1 D - c2 F + c0_fine -/+ (e2 M + r1 R + margin)    (fine).
struct ByteQueries {
  struct Terms {
    float c1, c2, c0, c0_fine, e1, e2, r1, margin;
  };
  std::vector<int8_t> bytes, fine;
  std::vector<Terms> terms;
};
ByteQueries round_queries(const TrainingSet& train, const ByteRows& rows, const float* queries, int n_queries,
                          int query_stride, ThreadPool& pool);
// The set in bytes (see ByteRows); packed: also the column-packed copy, for sets in the column
// layout. A pool, when given, shares the work.
ByteRows byte_rows(const TrainingSet& train, bool packed, ThreadPool* pool = nullptr);
// hints, when given: k training indices per query (a moving query's neighbours one step earlier),
// whose keys bound the scan from its start (the same answer; ignored for a query unless distinct).
U8Scan scan_u8(const TrainingSet& train, const ByteRows& bytes, const float* queries, int n_queries, int query_stride,
               int k, int* neighbors, ThreadPool& pool, const KernelOptions& options, bool force = false,
               const int* hints = nullptr);

// Every point ranked by its squared distance in double, ties to the lower training index: the
// answer when a bounded search comes out short. points: n x dim; original: training indices (or
// null: the rows' own numbers).
void rank_all_in_double(const float* points, const uint32_t* original, int n, int dim, const float* query, int k,
                        int* neighbors);

}  // namespace cfdm
