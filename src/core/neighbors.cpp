#include "core/neighbors.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <nanoflann.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/knn_row.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

// nanoflann's view of a dense n x dim array of points (the tree owns the array: see KdTree).
// Dim > 0 is known at compile time (the row stride becomes a constant); -1 reads dim.
template <int Dim>
struct PointsAdaptor {
  const float* points;
  int n, dim;
  size_t kdtree_get_point_count() const { return size_t(n); }
  float kdtree_get_pt(uint32_t index, size_t c) const { return points[size_t(index) * (Dim > 0 ? Dim : dim) + c]; }
  template <class Box>
  bool kdtree_get_bbox(Box&) const {
    return false;
  }
};

// The next float above a finite, non-negative x (std::nextafter without the libm call).
inline float next_float_up(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  ++bits;
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

// Keeps the k smallest (squared distance, index) pairs in lexicographic order. nanoflann only
// offers points strictly closer than worstDist(), so a full set reports the next float above
// its worst distance: a point at exactly that distance with a lower index still gets in. Until
// the set is full, worstDist() is the bound it was made with: the caller knows k points no
// farther than that (see NeighborIndex::find's hints), so nothing farther can be among the k.
class TieBreakingResultSet {
 public:
  // original maps the tree's point numbers to training indices (see KdTreeOf).
  TieBreakingResultSet(int k, float bound, float* dist_sq, int* index, const uint32_t* original)
      : k_(k), bound_(bound), dist_sq_(dist_sq), index_(index), original_(original) {}
  bool full() const { return count_ == k_; }
  float worstDist() const { return full() ? next_float_up(dist_sq_[k_ - 1]) : bound_; }
  bool addPoint(float dist_sq, uint32_t number) {
    const int i = int(original_[number]);
    auto before = [&](int pos) { return dist_sq < dist_sq_[pos] || (dist_sq == dist_sq_[pos] && i < index_[pos]); };
    if (full() && !before(k_ - 1)) return true;
    int pos = full() ? k_ - 1 : count_++;
    while (pos > 0 && before(pos - 1)) {
      dist_sq_[pos] = dist_sq_[pos - 1];
      index_[pos] = index_[pos - 1];
      --pos;
    }
    dist_sq_[pos] = dist_sq;
    index_[pos] = i;
    return true;
  }

 private:
  int k_, count_ = 0;
  float bound_;
  float* dist_sq_;
  int* index_;
  const uint32_t* original_;
};

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

}  // namespace

// The kd-tree keeps its own dense copy of the centered points, renumbered after the build into
// the order of the tree's leaves: a leaf's points are then contiguous in memory (8 bytes a point
// in 2-D), where nanoflann would otherwise gather them from anywhere. Dimensions up to 7 are
// compiled in, which lets nanoflann unroll its distance loops.
struct NeighborIndex::KdTree {
  virtual ~KdTree() = default;
  // hint: k training indices or null; neighbors may be the same array.
  virtual void find(const float* query, int k, const int* hint, int* neighbors, float* dist_sq) const = 0;
};

namespace {

template <int Dim>
struct KdTreeOf final : NeighborIndex::KdTree {
  using Tree =
      nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<float, PointsAdaptor<Dim>, float, uint32_t>,
                                          PointsAdaptor<Dim>, Dim, uint32_t>;
  std::vector<float> points;       // in leaf order after the build
  std::vector<uint32_t> original;  // training index of each renumbered point
  std::vector<uint32_t> position;  // and the inverse: position of each training index
  PointsAdaptor<Dim> adaptor;
  Tree tree;
  explicit KdTreeOf(const TrainingSet& train)
      : points(size_t(train.n()) * train.dim()),
        adaptor{points.data(), train.n(), train.dim()},
        tree(train.dim(), adaptor, nanoflann::KDTreeSingleIndexAdaptorParams(16)) {
    const int d = train.dim();
    for (int i = 0; i < train.n(); ++i)
      for (int c = 0; c < d; ++c) points[size_t(i) * d + c] = train.centered(i, c);
    tree.buildIndex();
    // Renumber: point j of the new order is training point vAcc[j]; the tree's nodes refer to
    // positions in vAcc, so they stay valid with vAcc the identity.
    original.assign(tree.vAcc.begin(), tree.vAcc.end());
    position.resize(original.size());
    for (size_t j = 0; j < original.size(); ++j) position[original[j]] = uint32_t(j);
    std::vector<float> reordered(points.size());
    for (size_t j = 0; j < original.size(); ++j) std::copy_n(&points[size_t(original[j]) * d], d, &reordered[j * d]);
    points.swap(reordered);
    adaptor.points = points.data();
    for (size_t j = 0; j < tree.vAcc.size(); ++j) tree.vAcc[j] = uint32_t(j);
  }
  // Squared distance from query to tree point number j (training point original[j]), computed
  // as nanoflann's L2_Simple_Adaptor computes it (this file is compiled without floating-point
  // contraction): the same bits whichever search looks at it.
  float distance_sq(const float* query, uint32_t j) const {
    const int d = Dim > 0 ? Dim : adaptor.dim;
    const float* p = &points[size_t(j) * d];
    float sum = 0.0f;
    for (int c = 0; c < d; ++c) {
      const float diff = query[c] - p[c];
      sum += diff * diff;
    }
    return sum;
  }
  void find(const float* query, int k, const int* hint, int* neighbors, float* dist_sq) const override {
    constexpr float kInf = std::numeric_limits<float>::infinity();
    // The hint's k points are no farther than the farthest of them: a bound from the start.
    float bound = kInf;
    if (hint) {
      bound = 0.0f;
      for (int j = 0; j < k; ++j) bound = std::max(bound, distance_sq(query, position[size_t(hint[j])]));
      if (bound < kInf) bound = next_float_up(bound);
    }
    TieBreakingResultSet result(k, bound, dist_sq, neighbors, original.data());
    tree.findNeighbors(result, query, nanoflann::SearchParams(32, 0.0f, false));
    if (result.full()) return;
    // nanoflann admits only distances below the bound, so the set comes out short when a hint
    // repeats indices (fewer than k points within its bound) or when squared distances overflow
    // to infinity (queries beyond about 1e19).
    rank_all_in_double(points.data(), original.data(), adaptor.n, adaptor.dim, query, k, neighbors);
  }
};

std::unique_ptr<NeighborIndex::KdTree> make_kd_tree(const TrainingSet& train) {
  switch (train.dim()) {
    case 1:
      return std::make_unique<KdTreeOf<1>>(train);
    case 2:
      return std::make_unique<KdTreeOf<2>>(train);
    case 3:
      return std::make_unique<KdTreeOf<3>>(train);
    case 4:
      return std::make_unique<KdTreeOf<4>>(train);
    case 5:
      return std::make_unique<KdTreeOf<5>>(train);
    case 6:
      return std::make_unique<KdTreeOf<6>>(train);
    case 7:
      return std::make_unique<KdTreeOf<7>>(train);
    default:
      return std::make_unique<KdTreeOf<-1>>(train);
  }
}

}  // namespace

// Defined in knn_isa_*.cpp; which ones exist is decided by the build (CMakeLists.txt).
CFDM_DECLARE_PER_ISA(KnnTable, knn_table)

const KnnTable& knn_table(Isa isa) {
  static constexpr PerIsa<KnnTable> tables = CFDM_PER_ISA(knn_table);
  return isa_table(isa, tables);
}

// The box tree (box_tree.hpp). Built top down: the points are split in two at the median of
// one coordinate (across the widest side of the cell the splits above leave them), over and
// over, at multiples of the size of a top-level node, until each range is one such node; each
// node is then split the same way into nodes of the next level, down to blocks of 16. So the 16
// consecutive nodes of a group are one node of the level above, and every box is tight around
// points that lie together.
struct NeighborIndex::BoxTree {
  const TrainingSet& train;
  std::vector<float> points;
  std::vector<uint32_t> index;
  std::vector<std::vector<float>> boxes;
  BoxTreeView view{};

  BoxTree(const TrainingSet& train_set, ThreadPool* pool) : train(train_set) {
    const int n = train.n(), d = train.dim();
    view.dim = d;
    std::vector<int> count{(n + kBoxFan - 1) / kBoxFan};
    while (count.back() > kBoxFan) count.push_back((count.back() + kBoxFan - 1) / kBoxFan);
    if (int(count.size()) > kBoxTreeMaxLevels) throw Error("too many points for the box tree");
    const int levels = int(count.size());
    int64_t top = 1;  // points under a top-level node
    for (int l = 0; l <= levels; ++l) top *= kBoxFan;
    // The points (rows of d) and their training indices, reordered in place by the splits.
    std::vector<float> rows(size_t(n) * d);
    std::vector<uint32_t> order(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      order[size_t(i)] = uint32_t(i);
      for (int c = 0; c < d; ++c) rows[size_t(i) * d + c] = train.centered(i, c);
    }
    switch (d) {
#define CFDM_ORDER_ROWS(D)                                  \
  case D:                                                   \
    order_rows<D>(rows.data(), order.data(), n, top, pool); \
    break;
      CFDM_ORDER_ROWS(1)
      CFDM_ORDER_ROWS(2)
      CFDM_ORDER_ROWS(3)
      CFDM_ORDER_ROWS(4)
      CFDM_ORDER_ROWS(5)
      CFDM_ORDER_ROWS(6)
      CFDM_ORDER_ROWS(7)
      CFDM_ORDER_ROWS(8)
#undef CFDM_ORDER_ROWS
    }

    const int blocks = count[0];
    points.assign(size_t(blocks) * d * kBoxFan, std::numeric_limits<float>::quiet_NaN());
    index.assign(size_t(blocks) * kBoxFan, 0);
    // Level-l node boxes in groups of 16: lo (d x 16) then hi; unused slots +inf / -inf.
    boxes.resize(size_t(levels));
    for (int l = 0; l < levels; ++l) {
      const int groups = (count[size_t(l)] + kBoxFan - 1) / kBoxFan;
      boxes[size_t(l)].resize(size_t(groups) * 2 * d * kBoxFan);
      for (int g = 0; g < groups; ++g)
        for (int c = 0; c < d; ++c)
          for (int j = 0; j < kBoxFan; ++j) {
            box_lo(l, g * kBoxFan + j, c) = std::numeric_limits<float>::infinity();
            box_hi(l, g * kBoxFan + j, c) = -std::numeric_limits<float>::infinity();
          }
    }
    for (int p = 0; p < n; ++p) {
      const int b = p / kBoxFan, j = p % kBoxFan;
      index[size_t(p)] = order[size_t(p)];
      for (int c = 0; c < d; ++c) {
        const float x = rows[size_t(p) * d + c];
        points[(size_t(b) * d + c) * kBoxFan + j] = x;
        box_lo(0, b, c) = std::min(box_lo(0, b, c), x);
        box_hi(0, b, c) = std::max(box_hi(0, b, c), x);
      }
    }
    for (int l = 1; l < levels; ++l)
      for (int node = 0; node < count[size_t(l - 1)]; ++node)
        for (int c = 0; c < d; ++c) {
          box_lo(l, node / kBoxFan, c) = std::min(box_lo(l, node / kBoxFan, c), box_lo(l - 1, node, c));
          box_hi(l, node / kBoxFan, c) = std::max(box_hi(l, node / kBoxFan, c), box_hi(l - 1, node, c));
        }
    view.n = n;
    view.n_levels = levels;
    view.points = points.data();
    view.index = index.data();
    for (int l = 0; l < levels; ++l) {
      view.boxes[l] = boxes[size_t(l)].data();
      view.count[l] = count[size_t(l)];
    }
  }

  float& box_lo(int level, int node, int c) {
    const int d = view.dim;
    return boxes[size_t(level)][(size_t(node / kBoxFan) * 2 * d + c) * kBoxFan + node % kBoxFan];
  }
  float& box_hi(int level, int node, int c) {
    const int d = view.dim;
    return boxes[size_t(level)][(size_t(node / kBoxFan) * 2 * d + d + c) * kBoxFan + node % kBoxFan];
  }

  // Orders rows [lo, hi) into nodes of `size` points counted from lo, each then into nodes of
  // size / 16, down to blocks. Each split cuts the range's cell (the box the splits above leave
  // it) across its widest side.
  struct Range {
    int lo, hi;
    int64_t size;
    float low[kBoxTreeMaxDim], high[kBoxTreeMaxDim];  // the cell
  };
  template <int D>
  struct Split {
    float* rows;
    uint32_t* order;
    float* spare_rows;  // scratch beside rows and order, the same size
    uint32_t* spare_order;
    std::vector<Range> deferred;  // the halves of a split made once

    float x(int i, int c) const { return rows[size_t(i) * D + c]; }
    void swap_rows(int a, int b) {
      for (int c = 0; c < D; ++c) std::swap(rows[size_t(a) * D + c], rows[size_t(b) * D + c]);
      std::swap(order[a], order[b]);
    }
    // Rows [lo, hi] whose coordinate c is below the pivot (or with or_equal, not above it) to
    // the front, the others behind them; returns where the others begin. Without branches on
    // the data: each row is written to both ends of the spare rows and only one cursor moves.
    int partition(int lo, int hi, int c, float pivot, bool or_equal) {
      int front = lo, back = hi;
      for (int i = lo; i <= hi; ++i) {
        const float v = x(i, c);
        const bool ahead = or_equal ? !(pivot < v) : v < pivot;
        float row[D];
        std::memcpy(row, rows + size_t(i) * D, sizeof row);
        std::memcpy(spare_rows + size_t(front) * D, row, sizeof row);
        std::memcpy(spare_rows + size_t(back) * D, row, sizeof row);
        spare_order[front] = spare_order[back] = order[i];
        front += ahead;
        back -= !ahead;
      }
      std::memcpy(rows + size_t(lo) * D, spare_rows + size_t(lo) * D, sizeof(float) * size_t(hi - lo + 1) * D);
      std::memcpy(order + lo, spare_order + lo, sizeof(uint32_t) * size_t(hi - lo + 1));
      return front;
    }
    // Quickselect on coordinate c: row mid gets the value it would have sorted, none before it
    // is larger and none after it smaller. Whole rows move, so the scans stay contiguous. In a
    // range of more than 32 rows the pivot is the quantile at mid's rank of 7 to 63 rows spread
    // over it, so mid lands near it and after a pass or two the range left is small; else a
    // median of three.
    void select(int lo, int hi, int mid, int c) {
      constexpr int kSample = 63;
      --hi;  // inclusive from here
      while (hi - lo + 1 > 32) {
        const int64_t size = hi - lo + 1;
        const int m = size > 32 * kSample ? kSample : size > 512 ? 15 : 7;
        float sample[kSample];
        for (int j = 0; j < m; ++j) sample[j] = x(lo + int(size * j / m + size / (2 * m)), c);
        const int rank = int(int64_t(mid - lo) * m / size);
        std::nth_element(sample, sample + rank, sample + m);
        const float pivot = sample[rank];
        const int split = partition(lo, hi, c, pivot, false);
        if (mid < split) {
          hi = split - 1;
        } else if (split > lo) {
          lo = split;
        } else {  // none below the pivot: those equal to it go ahead, and are done if mid is one
          const int above = partition(lo, hi, c, pivot, true);
          if (mid < above) return;
          lo = above;
        }
      }
      while (hi > lo) {  // median of three
        const int m = lo + (hi - lo) / 2;
        if (x(m, c) < x(lo, c)) swap_rows(m, lo);
        if (x(hi, c) < x(lo, c)) swap_rows(hi, lo);
        if (x(hi, c) < x(m, c)) swap_rows(hi, m);
        const float pivot = x(m, c);
        int i = lo, j = hi;
        while (i <= j) {
          while (x(i, c) < pivot) ++i;
          while (pivot < x(j, c)) --j;
          if (i <= j) swap_rows(i++, j--);
        }
        if (mid <= j)
          hi = j;
        else if (mid >= i)
          lo = i;
        else
          return;
      }
    }
    // Orders range r all the way down, or with once, splits it once and defers both halves.
    void run(Range r, bool once = false) {
      while (r.size > kBoxFan && r.hi - r.lo <= r.size / kBoxFan) r.size /= kBoxFan;  // fits a smaller node
      if (r.hi - r.lo <= kBoxFan) return;
      if (r.hi - r.lo <= r.size) {
        r.size /= kBoxFan;
        run(r, once);
        return;
      }
      int widest = 0;
      for (int c = 1; c < D; ++c)
        if (r.high[c] - r.low[c] > r.high[widest] - r.low[widest]) widest = c;
      const int64_t nodes = (r.hi - r.lo + r.size - 1) / r.size;
      const int mid = r.lo + int(nodes / 2 * r.size);
      select(r.lo, r.hi, mid, widest);
      Range left = r, right = r;
      left.hi = right.lo = mid;
      left.high[widest] = right.low[widest] = x(mid, widest);
      if (once) {
        deferred.push_back(left);
        deferred.push_back(right);
        return;
      }
      run(left);
      run(right);
    }
  };
  template <int D>
  static void order_rows(float* rows, uint32_t* order, int n, int64_t top, ThreadPool* pool) {
    Range all{0, n, top, {}, {}};
    for (int c = 0; c < D; ++c) {
      all.low[c] = std::numeric_limits<float>::infinity();
      all.high[c] = -all.low[c];
    }
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < D; ++c) {
        all.low[c] = std::min(all.low[c], rows[size_t(i) * D + c]);
        all.high[c] = std::max(all.high[c], rows[size_t(i) * D + c]);
      }
    // Breadth first while there are too few ranges to share among the threads: each round
    // splits every range once, side by side; then each range is ordered all the way down.
    const int threads = pool ? pool->size() : 1;
    std::vector<float> spare_rows(size_t(n) * D);
    std::vector<uint32_t> spare_order(static_cast<size_t>(n));
    std::vector<Range> ranges{all};
    auto for_each_range = [&](const std::function<void(int)>& task) {
      if (pool)
        pool->run(int(ranges.size()), task);
      else
        for (int i = 0; i < int(ranges.size()); ++i) task(i);
    };
    while (!ranges.empty() && int(ranges.size()) < 4 * threads) {
      std::vector<Split<D>> splits(ranges.size(), Split<D>{rows, order, spare_rows.data(), spare_order.data(), {}});
      for_each_range([&](int i) { splits[size_t(i)].run(ranges[size_t(i)], true); });
      ranges.clear();
      for (const Split<D>& split : splits) ranges.insert(ranges.end(), split.deferred.begin(), split.deferred.end());
    }
    for_each_range([&](int i) {
      Split<D>{rows, order, spare_rows.data(), spare_order.data(), {}}.run(ranges[size_t(i)]);
    });
  }

  // Centered coordinate c of training point i, as the search sees it: the training set's column
  // copy (which the estimator's sums read too, so it is often in cache) or its rows.
  float coordinate(int i, int c) const {
    const float* columns = train.columns();
    return columns ? columns[size_t(c) * train.n_padded() + size_t(i)] : train.centered(i, c);
  }

  // The k nearest of query (and their coordinates into points unless null), bounded by the
  // farthest of hint's k points when given (their coordinates hint_points, if given, k x d).
  void find(const float* query, int k, const int* hint, const float* hint_points, int* neighbors, float* points,
            const BoxSearchTable& table, std::vector<float>& dist, std::vector<uint32_t>& cand,
            std::vector<uint64_t>& keys) const {
    const int d = view.dim;
    float bound = std::numeric_limits<float>::infinity();
    if (hint && hint_points) {
      bound = table.farthest(query, hint_points, k, d);
    } else if (hint) {
      bound = 0.0f;
      for (int j = 0; j < k; ++j) {
        float sum = 0.0f;  // as the search computes it (no contraction in this file)
        for (int c = 0; c < d; ++c) {
          const float diff = query[c] - coordinate(hint[j], c);
          sum += diff * diff;
        }
        bound = std::max(bound, sum);
      }
    }
    for (;;) {
      const int status = table.search(view, query, bound, k, neighbors, points, dist.data(), cand.data(), keys.data(),
                                      int(dist.size()));
      if (status == 1) return;
      if (status < 0) break;
      const size_t cap = size_t(std::max(view.n, box_shrink_at(k))) + 2 * kBoxFan;  // always enough
      dist.resize(cap);
      cand.resize(cap);
      keys.resize(cap);
    }
    // Fewer than k points within reach: hints repeating indices, NaN or overflowing distances.
    std::vector<float> rows(size_t(view.n) * d);
    for (int i = 0; i < view.n; ++i)
      for (int c = 0; c < d; ++c) rows[size_t(i) * d + c] = coordinate(i, c);
    rank_all_in_double(rows.data(), nullptr, view.n, d, query, k, neighbors);
    if (points)
      for (int j = 0; j < k; ++j)
        for (int c = 0; c < d; ++c) points[j * d + c] = coordinate(neighbors[j], c);
  }
};

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
  }
  return "unknown";
}

NeighborSearch resolved_search(NeighborSearch search, int64_t dim) {
  if (search != NeighborSearch::automatic) return search;
  return dim <= kBoxTreeMaxDim ? NeighborSearch::box_tree : NeighborSearch::brute_force;
}

NeighborIndex::NeighborIndex(const TrainingSet& train, NeighborSearch search, ThreadPool* pool)
    : train_(train), search_(search) {
  search_ = resolved_search(search, train.dim());
  if (search_ == NeighborSearch::box_tree && train.dim() > kBoxTreeMaxDim)
    throw Error("the box tree searches up to " + std::to_string(kBoxTreeMaxDim) + " dimensions (the data has " +
                std::to_string(train.dim()) + "): use the kd-tree or brute force");
  if (search_ == NeighborSearch::kd_tree) tree_ = make_kd_tree(train);
  if (search_ == NeighborSearch::box_tree) box_ = std::make_unique<BoxTree>(train, pool);
}

NeighborIndex::~NeighborIndex() = default;

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

void NeighborIndex::gather_points(const int* indices, int count, float* points) const {
  const int d = train_.dim();
  for (int j = 0; j < count; ++j)
    for (int c = 0; c < d; ++c) points[size_t(j) * d + c] = train_.centered(indices[j], c);
}

}  // namespace cfdm
