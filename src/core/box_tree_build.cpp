// The box tree's build (box_tree.hpp, neighbor_structures.hpp); its search is per instruction set
// in box_search_impl.hpp. Compiled without floating-point contraction, as the search is.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/neighbor_structures.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

// The box tree (box_tree.hpp). Built top down: the points are split in two at the median of
// one coordinate (across the widest side of the cell the splits above leave them), over and
// over, at multiples of the size of a top-level node, until each range is one such node; each
// node is then split the same way into nodes of the next level, down to blocks of 16. So the 16
// consecutive nodes of a group are one node of the level above, and every box is tight around
// points that lie together.
struct BoxTreeOf final : NeighborIndex::BoxTree {
  const TrainingSet& train;
  std::vector<float> points;
  std::vector<uint32_t> index;
  std::vector<std::vector<float>> boxes;
  BoxTreeView view{};

  BoxTreeOf(const TrainingSet& train_set, ThreadPool* pool) : train(train_set) {
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
      train.centered_row(i, &rows[size_t(i) * d]);
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
            std::vector<uint64_t>& keys) const override {
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

}  // namespace

std::unique_ptr<NeighborIndex::BoxTree> make_box_tree(const TrainingSet& train, ThreadPool* pool) {
  return std::make_unique<BoxTreeOf>(train, pool);
}

}  // namespace cfdm
