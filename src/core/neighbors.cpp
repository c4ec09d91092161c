// NeighborIndex: the choice of search, and the searches run over many queries on the pool; the
// structures are in kd_tree.cpp and box_tree_build.cpp, the brute-force scan in the kernels.
#include "core/neighbors.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/knn_row.hpp"
#include "core/neighbor_structures.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {

// Every point ranked by its squared distance in double, ties to the lower training index: the
// answer when a bounded search comes out short. points: n x dim; original: training indices.
void rank_all_in_double(const float* points, const uint32_t* original, int n, int dim, const float* query, int k,
                        int* neighbors) {
  std::vector<std::pair<double, int>> all(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) {
    double sum = 0;
    for (int c = 0; c < dim; ++c) {
      const double diff = double(query[c]) - points[size_t(j) * dim + c];
      sum += diff * diff;
    }
    all[size_t(j)] = {sum, original ? int(original[j]) : j};
  }
  std::partial_sort(all.begin(), all.begin() + k, all.end());
  for (int j = 0; j < k; ++j) neighbors[j] = all[size_t(j)].second;
}

// Defined in knn_isa_*.cpp; which ones exist is decided by the build (CMakeLists.txt).
CFDM_DECLARE_PER_ISA(KnnTable, knn_table)

const KnnTable& knn_table(Isa isa) {
  static constexpr PerIsa<KnnTable> tables = CFDM_PER_ISA(knn_table);
  return isa_table(isa, tables);
}

const char* neighbor_search_name(NeighborSearch search) {
  switch (search) {
    case NeighborSearch::automatic:
      return "automatic";
    case NeighborSearch::kd_tree:
      return "kd-tree";
    case NeighborSearch::box_tree:
      return "box-tree";
    case NeighborSearch::brute_force:
      return "brute-force";
    case NeighborSearch::ivf:
      return "ivf";
  }
  return "unknown";
}

NeighborSearch resolved_search(NeighborSearch search, int64_t dim) {
  if (search != NeighborSearch::automatic) return search;
  return dim <= kBoxTreeMaxDim ? NeighborSearch::box_tree : NeighborSearch::brute_force;
}

NeighborIndex::NeighborIndex(const TrainingSet& train, NeighborSearch search, ThreadPool* pool, const IvfOptions& ivf,
                             bool byte_scan)
    : train_(train), search_(search) {
  search_ = resolved_search(search, train.dim());
  if (search_ == NeighborSearch::box_tree && train.dim() > kBoxTreeMaxDim)
    throw Error("the box tree searches up to " + std::to_string(kBoxTreeMaxDim) + " dimensions (the data has " +
                std::to_string(train.dim()) + "): use the kd-tree or brute force");
  if (search_ == NeighborSearch::kd_tree) tree_ = make_kd_tree(train);
  if (search_ == NeighborSearch::box_tree) box_ = make_box_tree(train, pool);
  if (byte_scan && (search_ == NeighborSearch::brute_force || search_ == NeighborSearch::ivf)) {
    // The set in bytes where the scan's integer pass is faster: a uint8 set's rows (only their
    // sums to add); a set in the column layout above kPackedScanMinDim dimensions in packed bytes (a
    // float set's rounded copy: half the size of its float rows). Measured (N = 60,000, K = 15,
    // AVX-512 VNNI), the kNN sampler's speed in bytes against in floats: MNIST in 16, 32, 64 and
    // 128 PCA dimensions 0.95x, 1.15x, 1.6x and 1.6x; Gaussian points in 12 and 32 dimensions 0.87x
    // and 1.24x. Not a float set's long rows: the rounding's
    // bound grows with d, and on MNIST in floats (d = 784) nearly every row then needs its float
    // key (20 times slower than the float scan).
    const KernelTable& table = kernel_table(ivf.isa);
    const bool packed = train.columns() && table.fast_u8_packed && train.dim() > kPackedScanMinDim;
    if ((train.rows_u8() && !train.columns()) || packed)
      bytes_ = std::make_unique<ByteRows>(byte_rows(train, packed, pool));
  }
  if (search_ == NeighborSearch::ivf) ivf_ = make_ivf(train, ivf, pool, bytes_ ? *bytes_ : ByteRows());
}

NeighborIndex::~NeighborIndex() = default;

int NeighborIndex::ivf_cells() const { return ivf_ ? ivf_->cell_count() : 0; }
int NeighborIndex::ivf_probe() const { return ivf_ ? ivf_->probe_count() : 0; }
double NeighborIndex::ivf_recall() const { return ivf_ ? ivf_->recall_target() : 0.0; }
std::vector<std::pair<double, int>> NeighborIndex::ivf_calibration() const {
  return ivf_ ? ivf_->calibration() : std::vector<std::pair<double, int>>();
}

bool NeighborIndex::find(const float* queries, int n_queries, int stride, int k, int* neighbors, ThreadPool& pool,
                         const KernelOptions& options, const int* hints, float* points,
                         const float* hint_points) const {
  if (k < 1 || k > train_.n())
    throw Error("K = " + std::to_string(k) + " nearest neighbours need 1 <= K <= N = " + std::to_string(train_.n()));
  if (n_queries <= 0) return true;
  const int d = train_.dim(), blocks = (n_queries + kQueryBlock - 1) / kQueryBlock;
  if (box_ || tree_) {
    const BoxSearchTable* table = box_ ? &knn_table(options.isa).box : nullptr;
    // Queries differ in cost: many small tasks keep the threads equally busy to the end (one
    // thread takes them all in one).
    const int n_tasks = pool.size() == 1 ? 1 : std::min(blocks, pool.size() * 32);
    pool.run(n_tasks, [&](int task) {
      // Scratch: the box tree's candidates (it grows them when it must), the kd-tree's k distances.
      std::vector<float> dist(size_t(box_shrink_at(k)) * 2 + 2 * kBoxFan);
      std::vector<uint32_t> cand(box_ ? dist.size() : 0);
      std::vector<uint64_t> keys(box_ ? dist.size() : 0);
      for (int r = int(int64_t(n_queries) * task / n_tasks); r < int(int64_t(n_queries) * (task + 1) / n_tasks); ++r) {
        const float* query = queries + size_t(r) * stride;
        const int* hint = hints ? hints + size_t(r) * k : nullptr;
        float* mine = points ? points + size_t(r) * k * d : nullptr;
        if (box_) {
          box_->find(query, k, hint, hint && hint_points ? hint_points + size_t(r) * k * d : nullptr,
                     neighbors + size_t(r) * k, mine, *table, dist, cand, keys);
        } else {
          tree_->find(query, k, hint, neighbors + size_t(r) * k, dist.data());
          if (mine) gather_points(neighbors + size_t(r) * k, k, mine);
        }
      }
    });
    return !(options.cancel && options.cancel->load());
  }
  if (ivf_) {
    // The queries that would probe a third of the cells or more go to the exact scan.
    std::vector<int> exact;
    ivf_->find(queries, n_queries, stride, k, neighbors, pool, options, &exact);
    if (options.cancel && options.cancel->load()) return false;
    if (!exact.empty()) {
      std::vector<float> rows(exact.size() * size_t(d));
      std::vector<int> found(exact.size() * size_t(k)), their_hints(hints ? found.size() : 0);
      for (size_t j = 0; j < exact.size(); ++j) {
        std::copy_n(queries + size_t(exact[j]) * stride, d, &rows[j * size_t(d)]);
        if (hints) std::copy_n(hints + size_t(exact[j]) * k, k, &their_hints[j * size_t(k)]);
      }
      if (!scan(rows.data(), int(exact.size()), d, k, found.data(), pool, options, nullptr,
                hints ? their_hints.data() : nullptr))
        return false;
      for (size_t j = 0; j < exact.size(); ++j)
        std::copy_n(&found[j * size_t(k)], k, neighbors + size_t(exact[j]) * k);
    }
    if (points) gather_all_points(neighbors, n_queries, k, points, pool);
    return true;
  }
  return scan(queries, n_queries, stride, k, neighbors, pool, options, points, hints);
}

bool NeighborIndex::scan(const float* queries, int n_queries, int stride, int k, int* neighbors, ThreadPool& pool,
                         const KernelOptions& options, float* points, const int* hints) const {
  const int d = train_.dim(), blocks = (n_queries + kQueryBlock - 1) / kQueryBlock;
  // Integer dot products first where they are fast, the same answer.
  const U8Scan u8 =
      bytes_ ? scan_u8(train_, *bytes_, queries, n_queries, stride, k, neighbors, pool, options, false, hints)
             : U8Scan::not_applicable;
  if (u8 == U8Scan::cancelled) return false;
  if (u8 == U8Scan::done) {
    if (points) gather_all_points(neighbors, n_queries, k, points, pool);
    return true;
  }
  // Brute force on the kernels: padded query rows of train.stride() floats.
  const int padded_stride = train_.stride();
  std::vector<float> padded(size_t(blocks) * kQueryBlock * padded_stride, 0.0f);
  for (int r = 0; r < n_queries; ++r)
    std::copy(queries + size_t(r) * stride, queries + size_t(r) * stride + d,
              padded.begin() + size_t(r) * padded_stride);
  std::vector<int> found(size_t(blocks) * kQueryBlock * k);
  const KernelJob job = make_kernel_job(train_, padded.data(), nullptr, 0.0f, options.cancel);
  const KernelTable& table = kernel_table(options.isa);
  const int n_tasks = std::min(blocks, pool.size());
  pool.run(n_tasks, [&](int task) {
    const int begin = int(int64_t(blocks) * task / n_tasks), end = int(int64_t(blocks) * (task + 1) / n_tasks);
    std::vector<float> scratch(nearest_scratch_floats(job, (end - begin) * kQueryBlock, k));
    if (job.columns)
      table.nearest_columns(job, begin, end, k, found.data(), scratch.data());
    else
      table.nearest(job, begin, end, k, found.data(), scratch.data());
    const int rows = std::max(0, std::min(n_queries, end * kQueryBlock) - begin * kQueryBlock);
    if (points)
      gather_points(&found[size_t(begin) * kQueryBlock * k], rows * k, points + size_t(begin) * kQueryBlock * k * d);
  });
  if (options.cancel && options.cancel->load()) return false;
  std::copy(found.begin(), found.begin() + size_t(n_queries) * k, neighbors);
  return true;
}

void NeighborIndex::gather_all_points(const int* neighbors, int n_queries, int k, float* points,
                                      ThreadPool& pool) const {
  const int d = train_.dim();
  pool.run(n_queries, [&](int r) { gather_points(neighbors + size_t(r) * k, k, points + size_t(r) * k * d); });
}

void NeighborIndex::gather_points(const int* indices, int count, float* points) const {
  const int d = train_.dim();
  for (int j = 0; j < count; ++j)
    train_.centered_row(indices[j], points + size_t(j) * d);
}

}  // namespace cfdm
