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
// sums: a byte set's row byte sums (u8_row_sums; empty for float rows), for its calibration's
// exact scan.
std::unique_ptr<NeighborIndex::Ivf> make_ivf(const TrainingSet& train, const IvfOptions& options, ThreadPool* pool,
                                             const std::vector<int32_t>& sums);

// The exact scan of a uint8 training set in two passes, integer dot products first (scan_u8.cpp):
// the answer of NeighborIndex's float scan, bit for bit, sooner where the instruction set's
// integer dot products are fast (KernelTable::fast_u8; force: on any, for the tests). sums: the
// rows' byte sums (u8_row_sums). Not applicable: float rows, a column layout, rows too long for
// 32-bit sums (u8_sums_fit), no fast integer dot products, a query not finite; the caller then
// scans in floats.
enum class U8Scan { done, cancelled, not_applicable };
// Whether integer dot products of a byte set's rows (stride bytes) cannot overflow 32 bits:
// 255 x 127 x stride at most 2^31 - 1 (images up to 66,311 pixels).
inline bool u8_sums_fit(int stride) { return int64_t(255) * 127 * stride <= INT32_MAX; }
// Queries written in bytes for the integer dot products (scan_u8.cpp): coarse (bytes) and the
// rounding error's own bytes (fine), each kDotRowMultiple-padded, the set's stride() bytes apart;
// per query the terms of the bounds on the float scan's keys. A row with byte sum S, coarse dot
// product D and fine dot product F has its key within
//   |x|^2 - c1 D + c0 -/+ (e1 S + margin)           (coarse), and
//   |x|^2 - c1 D - c2 F + c0 -/+ (e2 S + margin)    (fine).
struct ByteQueries {
  struct Terms {
    float c1, c2, c0, e1, e2, margin;
  };
  std::vector<int8_t> bytes, fine;
  std::vector<Terms> terms;
};
ByteQueries round_queries(const TrainingSet& train, const float* queries, int n_queries, int query_stride,
                          ThreadPool& pool);
std::vector<int32_t> u8_row_sums(const TrainingSet& train);
U8Scan scan_u8(const TrainingSet& train, const std::vector<int32_t>& sums, const float* queries, int n_queries,
               int query_stride, int k, int* neighbors, ThreadPool& pool, const KernelOptions& options,
               bool force = false);

// Every point ranked by its squared distance in double, ties to the lower training index: the
// answer when a bounded search comes out short. points: n x dim; original: training indices (or
// null: the rows' own numbers).
void rank_all_in_double(const float* points, const uint32_t* original, int n, int dim, const float* query, int k,
                        int* neighbors);

}  // namespace cfdm
