// k-nearest-neighbour search over a training set (method.md section 5).
//
// Three exact searches, the same answer: the box tree (box_tree.hpp; fast in low dimension, the
// default up to d = 8), nanoflann's kd-tree (on request; the box tree's reference in the tests
// and benchmarks) and a blocked brute-force scan sharing the posterior-mean kernel's dot products
// (fast in high dimension). And one approximate search, on request: the inverted-file index (ivf.cpp;
// k-means cells, the nearest `probe` of them scanned exactly), for high dimension. Neighbours are
// ordered by squared distance, ties to the lower training index.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/kernel.hpp"

namespace cfdm {

class ThreadPool;
struct ByteRows;  // a training set in bytes (neighbor_structures.hpp)

enum class NeighborSearch { automatic, kd_tree, box_tree, brute_force, ivf };

// The IVF index's settings. Each query probes its `probe` nearest cells when probe is set, or
// (probe 0, the default) as many as `recall` needs at the query's noise, calibrated when the
// index is built for neighbours of k points (ivf.cpp).
struct IvfOptions {
  int cells = 0;        // k-means cells, 1 <= cells <= N (0: sqrt(N))
  int probe = 0;        // cells scanned per query (probe = cells: exact); 0: by recall
  double recall = 0;    // the share of the true k nearest to find, in (0, 1] (0: 0.95)
  int k = 0;            // the neighbours the recall counts (0: 15)
  uint64_t seed = 0;    // the k-means training sample and the calibration's points
  Isa isa = Isa::best;  // the build's dot products (a search uses its own KernelOptions)
};

// automatic picks the box tree (box_tree.hpp) up to d = kBoxTreeMaxDim (8) and the brute-force
// scan above. Measured (cfdm_bench --workload crossover: N = 20,000 Gaussian points, K = 15,
// unbounded, 2 threads, AVX-512): the box tree is 11x faster than the scan at d = 2, 2.7x at
// d = 6, 1.4x at d = 8, and 1.2x (d = 2) to 3x (d = 8) faster than nanoflann's kd-tree, which
// also loses to the scan from d = 8. Bounded by a trajectory's previous neighbours (the sampler's
// searches on moons, N = 100,000), the box tree is 1.8x faster than the kd-tree.

// Sets in the column layout (TrainingSet::kColumnsMaxDim) above this many dimensions are scanned
// in packed bytes first where that is fast (scan_u8.cpp; NeighborIndex's constructor).
constexpr int kPackedScanMinDim = 16;

// The search automatic stands for in dim dimensions; any other search unchanged.
NeighborSearch resolved_search(NeighborSearch search, int64_t dim);

const char* neighbor_search_name(NeighborSearch search);

struct KnnTable;
// The estimator's per-instruction-set code (knn_row.hpp) for isa; throws cfdm::Error as
// checked_isa does.
const KnnTable& knn_table(Isa isa);

class NeighborIndex {
 public:
  // Builds the tree the search (after resolving automatic) needs, the box tree's lower levels on
  // pool's threads when given. Keeps a reference to train, which must outlive the index.
  // ivf: the IVF index's settings (search ivf only; its isa also picks whether the exact scans run
  // in bytes first). byte_scan false: the exact scans in floats alone (the same answer; the
  // benchmarks' reference).
  NeighborIndex(const TrainingSet& train, NeighborSearch search = NeighborSearch::automatic, ThreadPool* pool = nullptr,
                const IvfOptions& ivf = {}, bool byte_scan = true);
  ~NeighborIndex();
  NeighborIndex(const NeighborIndex&) = delete;
  NeighborIndex& operator=(const NeighborIndex&) = delete;

  NeighborSearch search() const { return search_; }

  struct KdTree;   // the nanoflann tree and its copy of the points (kd_tree.cpp)
  struct BoxTree;  // the box tree (box_tree.hpp) and its copy of the points
  struct Ivf;      // the inverted-file index (ivf.cpp)
  // The IVF index's cells, probe count (0 when by recall) and recall target (0 for a fixed
  // probe count); all 0 for the other searches.
  int ivf_cells() const;
  int ivf_probe() const;
  double ivf_recall() const;
  // The recall target's calibration: per noise level, (squared distance to the nearest centroid,
  // cells probed).
  std::vector<std::pair<double, int>> ivf_calibration() const;

  // The k nearest training points (indices into the training set, nearest first) of each of
  // n_queries query rows given in centered coordinates (x - mean, row stride `stride`), into
  // neighbors (k per query). 1 <= k <= N. Returns false if cancelled.
  //
  // hints, when given, holds k distinct training indices per query (e.g. a moving query's
  // neighbours one step earlier; it may be the neighbors array itself). The trees' searches
  // start bounded by the farthest of them instead of from infinity: the same answer, found
  // sooner when they are close. So does the brute-force scan where it scans in bytes first
  // (scan_u8.cpp), and the float scan ignores them. hint_points, when given with
  // hints, holds their centered coordinates (k x d per query; it may be points itself), which
  // the box tree then need not look up.
  //
  // points, when given, receives the neighbours' centered coordinates (k x d per query).
  bool find(const float* queries, int n_queries, int stride, int k, int* neighbors, ThreadPool& pool,
            const KernelOptions& options = {}, const int* hints = nullptr, float* points = nullptr,
            const float* hint_points = nullptr) const;

 private:
  void gather_points(const int* indices, int count, float* points) const;
  // gather_points for each of n_queries rows of k neighbours, on the pool.
  void gather_all_points(const int* neighbors, int n_queries, int k, float* points, ThreadPool& pool) const;
  // The brute-force scan of find (queries: rows `stride` apart).
  bool scan(const float* queries, int n_queries, int stride, int k, int* neighbors, ThreadPool& pool,
            const KernelOptions& options, float* points, const int* hints = nullptr) const;

  const TrainingSet& train_;
  NeighborSearch search_;
  std::unique_ptr<KdTree> tree_;
  std::unique_ptr<BoxTree> box_;
  std::unique_ptr<Ivf> ivf_;
  std::unique_ptr<ByteRows> bytes_;  // the set in bytes, for its exact scans (scan_u8), where they are fast
};

}  // namespace cfdm
