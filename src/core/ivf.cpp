// The inverted-file index of NeighborIndex (neighbor_structures.hpp): an approximate k-nearest-
// neighbour search for high dimension, where trees do not help and the exact scan costs what the
// exact posterior mean costs.
//
// Build: k-means (Lloyd) cells over the centered training points, C = sqrt(N) by default,
// trained on at most 32 C rows drawn with the index's seed, then every point assigned to its
// nearest centroid. (On byte image sets where integer dot products are fast, the rounds run on
// the rows' bytes and the centroids written in bytes: kmeans_bytes.) Search (per query q): the
// nearest cells c, by |c|^2 - 2 <q, c>, then the keys |x|^2 - 2 <q, x> (squared distance up to a
// constant, as the exact scan ranks them) of every point in those cells, the k smallest kept,
// ties to the lower training index. More cells are taken, nearest first, until they hold at
// least k points. A query whose true neighbours lie in
// cells it does not probe misses them: recall grows with the cells probed (all C: the exact
// search).
//
// How many cells: a fixed count (IvfOptions::probe), or (the default) as many as a target recall
// needs at the query's noise. A noised point q = x + s eps lies about s sqrt(d) from the data,
// and the noisier it is, the less its true neighbours cluster in its nearest cells: at t = 0.3 on
// MNIST (s = 2.3) 19 cells find 79% of the 200 nearest, where 19 find 98% at t = 0.9. So the
// build calibrates: for noise levels s = 0.1, 0.2, ... 6.4, noised training points (drawn with the
// index's seed) are searched exactly, and each level gets the fewest cells whose probing finds
// the target share of their k nearest (with a margin), and the distance from such queries to their nearest
// centroid (the lower quartile over the level). A query is then read by its own distance to its
// nearest centroid, whatever made it noisy (a sampler's t, smoothing draws): the cells of the
// levels either side, interpolated in log distance and rounded up; beyond the noisiest level, every cell. Where
// that is a third of the cells or more, scanning the cells costs more than the exact scan (which
// handles a row about three times faster: it keeps no candidates), and the query is handed back
// to it (NeighborIndex::find).
//
// Queries are grouped by the cells they probe, so each cell's rows are converted once per call
// and read once for all its queries; the dot products are the exact kernels' (kernel_job.hpp,
// per instruction set). Each query's answer depends on no other query and on no thread count.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "core/kernel_job.hpp"
#include "core/large_vector.hpp"
#include "core/neighbor_structures.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

constexpr int kKmeansRounds = 8;         // Lloyd iterations of the build
constexpr int kTrainPerCell = 32;        // the build trains on at most this many rows per cell
constexpr int kRowBlock = 64;            // rows assigned per task (fixed: any thread count, the same cells)
constexpr int kQueryTask = 16;           // queries per task when choosing cells and ranking
constexpr int kBoundRows = 4;            // a query's search bound is set by its first cells holding this many k points
constexpr double kDefaultRecall = 0.95;  // the target when neither probe nor recall is set
constexpr int kLevels = 7;               // calibrated noise levels: s = 0.1 * 2^j
constexpr int kLevelQueries = 16;        // noised training points per level
constexpr int kCalibrationTask = 28;     // of them per task (each task reads every row once)

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// count rows of d floats, stride apart, each written by row(j, to) and its padding zeroed.
template <class Row>
void padded_rows(int count, int d, int stride, float* out, const Row& row) {
  for (int j = 0; j < count; ++j) {
    float* to = out + size_t(j) * stride;
    row(j, to);
    std::fill(to + d, to + stride, 0.0f);
  }
}

// The centered rows `indices` of train as floats, `stride` apart (its padding zero).
void gather_rows(const TrainingSet& train, const int* indices, int count, float* out) {
  padded_rows(count, train.dim(), train.stride(), out, [&](int j, float* to) { train.centered_row(indices[j], to); });
}

// Frees a LargePageAllocator block of `bytes` bytes.
struct FreeBytes {
  size_t bytes = 0;
  void operator()(uint8_t* p) const { LargePageAllocator<uint8_t>().deallocate(p, bytes); }
};

// (key, index) ordered by key, ties to the lower index.
struct Candidate {
  float key;
  int index;
  bool operator<(const Candidate& other) const { return key < other.key || (key == other.key && index < other.index); }
};

struct Ivf final : NeighborIndex::Ivf {
  const TrainingSet& train;
  const int d, stride;
  int cells = 0, cells_padded = 0, probe = 0;
  double target = 0;  // the recall target (0: every query probes `probe` cells)
  // The calibration (target set): per noise level, the squared distance to the nearest centroid
  // of its queries (lower quartile, non-decreasing) and the cells they need (non-decreasing).
  std::vector<double> level_distance;
  std::vector<int> level_probe;
  std::vector<float> centroids;       // cells_padded x stride (padding rows zero)
  std::vector<float> centroid_norms;  // |c|^2, cells
  std::vector<int> start;             // cells + 1: cell c holds order[start[c] .. start[c + 1])
  std::vector<int> order;             // training indices by cell, ascending within a cell
  std::vector<float> order_norms;     // |x'_i|^2 in that order
  // The training rows in cell order (n x stride), so a cell is one contiguous block: floats, read
  // in place, or uint8 (their own storage), converted a cell at a time (a float copy would be 4x
  // their size). One of the two is empty (null).
  LargeVector<float> sorted_rows;
  std::unique_ptr<uint8_t[], FreeBytes> sorted_u8;

  Ivf(const TrainingSet& set, const IvfOptions& options, ThreadPool& threads, const ByteRows& bytes)
      : train(set), d(set.dim()), stride(set.stride()) {
    const int n = train.n();
    const KernelTable& table = kernel_table(options.isa);
    cells = options.cells > 0 ? std::min(options.cells, n) : std::max(1, std::min(n, int(std::lround(std::sqrt(n)))));
    cells_padded = round_up(cells, kDotRowMultiple);
    probe = options.probe > 0 ? std::min(options.probe, cells) : default_probe(cells);
    if (options.probe == 0) target = options.recall > 0 ? options.recall : kDefaultRecall;
    // Training rows: a seeded sample without replacement (a partial Fisher-Yates shuffle).
    const int n_sample = int(std::min<int64_t>(n, int64_t(kTrainPerCell) * cells));
    std::vector<int> sample(n);
    std::iota(sample.begin(), sample.end(), 0);
    Rng rng(options.seed, uint64_t(Stream::ivf));
    for (int i = 0; i < n_sample; ++i) std::swap(sample[i], sample[i + int(rng.uniform_index(uint32_t(n - i)))]);
    sample.resize(n_sample);
    std::vector<int> cell_of(round_up(n, kRowBlock));
    if (train.rows_u8() && table.fast_u8 && u8_sums_fit(stride)) {
      kmeans_bytes(table, sample, threads, cell_of);
    } else {
      std::vector<float> rows(size_t(round_up(n_sample, kRowBlock)) * stride, 0.0f);
      gather_rows(train, sample.data(), n_sample, rows.data());
      centroids.assign(size_t(cells_padded) * stride, 0.0f);
      std::copy_n(rows.begin(), size_t(cells) * stride, centroids.begin());  // the first C drawn rows
      std::vector<int> cell(round_up(n_sample, kRowBlock));
      for (int round = 0; round < kKmeansRounds; ++round) {
        norms();
        threads.run(round_up(n_sample, kRowBlock) / kRowBlock, [&](int b) {
          nearest_cells(table, &rows[size_t(b) * kRowBlock * stride], kRowBlock, &cell[size_t(b) * kRowBlock]);
        });
        update(rows.data(), n_sample, cell.data());
      }
      norms();
      // Every point to its nearest centroid, in blocks of rows converted once.
      threads.run(round_up(n, kRowBlock) / kRowBlock, [&](int b) {
        const int first = b * kRowBlock, count = std::min(kRowBlock, n - first);
        std::vector<int> members(count);
        std::iota(members.begin(), members.end(), first);
        std::vector<float> block(size_t(kRowBlock) * stride, 0.0f);
        gather_rows(train, members.data(), count, block.data());
        nearest_cells(table, block.data(), kRowBlock, &cell_of[first]);
      });
    }
    start.assign(cells + 1, 0);
    for (int i = 0; i < n; ++i) ++start[cell_of[i] + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    order.resize(n);
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (int i = 0; i < n; ++i) order[fill[cell_of[i]]++] = i;
    order_norms.resize(n);
    for (int i = 0; i < n; ++i) order_norms[size_t(i)] = train.norms_sq()[order[size_t(i)]];
    if (train.rows()) {
      sorted_rows.resize(size_t(round_up(n, kDotRowMultiple)) * stride + size_t(kDotRowMultiple) * stride, 0.0f);
      gather_rows(train, order.data(), n, sorted_rows.data());
    } else {
      // Filled in parallel, untouched before: fresh memory is first touched (and zeroed by the
      // system) on every thread, not once more on one.
      const size_t bytes = size_t(n) * stride;
      sorted_u8 =
          std::unique_ptr<uint8_t[], FreeBytes>(LargePageAllocator<uint8_t>().allocate(bytes), FreeBytes{bytes});
      threads.run(round_up(n, kRowBlock) / kRowBlock, [&](int b) {
        for (int i = b * kRowBlock; i < std::min(n, (b + 1) * kRowBlock); ++i)
          std::copy_n(train.rows_u8() + size_t(order[i]) * stride, stride, &sorted_u8[size_t(i) * stride]);
      });
    }
    if (target > 0)
      calibrate(table, options.isa, std::max(1, std::min(options.k > 0 ? options.k : 15, n)), options.seed, threads,
                cell_of, bytes);
  }

  // Cell c's rows (stride apart, padded to kDotRowMultiple rows): in place for float sets, else
  // converted into scratch.
  const float* cell_rows(int c, std::vector<float>& scratch) const {
    if (!sorted_rows.empty()) return &sorted_rows[size_t(start[c]) * stride];  // rows past the cell: unused
    const int size = start[c + 1] - start[c];
    scratch.resize(size_t(round_up(size, kDotRowMultiple)) * stride);
    const uint8_t* cell = &sorted_u8[size_t(start[c]) * stride];
    padded_rows(size, d, stride, scratch.data(),
                [&](int j, float* to) { train.centered_u8(cell + size_t(j) * stride, to); });
    std::fill(scratch.begin() + size_t(size) * stride, scratch.end(), 0.0f);
    return scratch.data();
  }

  // The squared distance from q (|q|^2 = q_sq) to its nearest centroid, given the centroid keys.
  double nearest_centroid(double q_sq, const float* keys) const {
    float best = INFINITY;
    for (int c = 0; c < cells; ++c) best = std::min(best, keys[c]);
    return q_sq + best;
  }

  // The cells a query at squared distance `distance` from its nearest centroid probes.
  int probes_for(double distance) const {
    if (target <= 0) return probe;
    if (!(distance > level_distance[0])) return level_probe[0];
    for (int j = 1; j < kLevels; ++j)
      if (distance <= level_distance[size_t(j)]) {
        const double lo = std::max(level_distance[size_t(j - 1)], 1e-30), hi = level_distance[size_t(j)];
        const double f = hi > lo ? std::min(1.0, std::log(distance / lo) / std::log(hi / lo)) : 1.0;
        const int p0 = level_probe[size_t(j - 1)], p1 = level_probe[size_t(j)];
        return std::min(cells, p0 + int(std::ceil(f * (p1 - p0))));
      }
    return cells;
  }

  // The calibration (see the top of the file): kLevelQueries noised training points per level,
  // searched exactly over every cell, then the cells that find the target share of their k nearest.
  // Where integer dot products are fast the true k nearest come from the exact scan of scan_u8.cpp
  // instead of a float scan of every cell.
  void calibrate(const KernelTable& table, Isa isa, int k, uint64_t seed, ThreadPool& threads,
                 const std::vector<int>& cell_of, const ByteRows& bytes) {
    const int n = train.n(), total = kLevels * kLevelQueries;
    std::vector<float> q(size_t(round_up(total, kCalibrationTask)) * stride, 0.0f);
    Rng rng(seed, uint64_t(Stream::ivf), 1);
    for (int r = 0; r < total; ++r) {
      const double s = 0.1 * std::ldexp(1.0, r / kLevelQueries);
      float* row = &q[size_t(r) * stride];
      train.centered_row(int(rng.uniform_index(uint32_t(n))), row);
      for (int c = 0; c < d; ++c) row[c] = float(row[c] + s * rng.normal());
    }
    // Per query: the cell rank of each of its true k nearest, and its distance to its nearest centroid.
    std::vector<int> ranks(size_t(total) * k);
    std::vector<double> distance(total);
    std::vector<int> truth(size_t(total) * k);
    KernelOptions options;
    options.isa = isa;
    const bool scanned =
        scan_u8(train, bytes, q.data(), total, stride, k, truth.data(), threads, options) == U8Scan::done;
    threads.run(round_up(total, kCalibrationTask) / kCalibrationTask, [&](int b) {
      const int first = b * kCalibrationTask, count = std::min(kCalibrationTask, total - first);
      const float* mine = &q[size_t(first) * stride];
      std::vector<std::vector<Candidate>> best(count);
      std::vector<float> bound(count, INFINITY), scratch, dots;
      for (int c = 0; c < cells && !scanned; ++c) {
        const int size = start[c + 1] - start[c], size_padded = round_up(size, kDotRowMultiple);
        const float* rows = cell_rows(c, scratch);
        dots.resize(size_t(kCalibrationTask) * size_padded);
        table.dots(mine, kCalibrationTask, rows, size_padded, stride, dots.data(), size_padded);
        for (int r = 0; r < count; ++r) {
          std::vector<Candidate>& list = best[size_t(r)];
          for (int j = 0; j < size; ++j) {
            const float key = order_norms[size_t(start[c] + j)] - 2.0f * dots[size_t(r) * size_padded + j];
            if (key <= bound[size_t(r)]) list.push_back({key, order[start[c] + j]});
          }
          if (list.size() >= size_t(4) * k) {  // keep the k smallest; later rows must beat the k-th
            std::nth_element(list.begin(), list.begin() + (k - 1), list.end());
            list.resize(size_t(k));
            bound[size_t(r)] = std::max_element(list.begin(), list.end())->key;
          }
        }
      }
      std::vector<float> centroid_dots(size_t(kCalibrationTask) * cells_padded);
      table.dots(mine, kCalibrationTask, centroids.data(), cells_padded, stride, centroid_dots.data(), cells_padded);
      std::vector<Candidate> keys(cells);
      std::vector<int> rank_of(cells);
      for (int r = 0; r < count; ++r) {
        for (int c = 0; c < cells; ++c)
          keys[c] = {centroid_norms[c] - 2.0f * centroid_dots[size_t(r) * cells_padded + c], c};
        double q_sq = 0;
        for (int c = 0; c < d; ++c) q_sq += double(mine[size_t(r) * stride + c]) * mine[size_t(r) * stride + c];
        std::vector<float> plain(cells);
        for (int c = 0; c < cells; ++c) plain[c] = keys[c].key;
        distance[size_t(first + r)] = nearest_centroid(q_sq, plain.data());
        std::sort(keys.begin(), keys.end());
        for (int j = 0; j < cells; ++j) rank_of[keys[j].index] = j;
        if (scanned) {
          for (int j = 0; j < k; ++j)
            ranks[size_t(first + r) * k + j] = rank_of[cell_of[truth[size_t(first + r) * k + j]]];
          continue;
        }
        std::vector<Candidate>& list = best[size_t(r)];
        std::partial_sort(list.begin(), list.begin() + k, list.end());
        for (int j = 0; j < k; ++j) ranks[size_t(first + r) * k + j] = rank_of[cell_of[list[size_t(j)].index]];
      }
    });
    // The levels aim a fifth of the misses higher (0.96 for 0.95): their share comes from a few
    // queries, and the queries searched later are others.
    const double aim = 1.0 - 0.8 * (1.0 - target);
    level_distance.assign(kLevels, 0.0);
    level_probe.assign(kLevels, 1);
    for (int level = 0; level < kLevels; ++level) {
      std::vector<int64_t> found_at(cells + 1, 0);  // found_at[p]: neighbours in a query's first p cells
      std::vector<double> own(kLevelQueries);
      for (int r = level * kLevelQueries; r < (level + 1) * kLevelQueries; ++r) {
        for (int j = 0; j < k; ++j) ++found_at[ranks[size_t(r) * k + j] + 1];
        own[size_t(r - level * kLevelQueries)] = distance[size_t(r)];
      }
      std::partial_sum(found_at.begin(), found_at.end(), found_at.begin());
      int p = 1;
      while (p < cells && double(found_at[p]) < aim * kLevelQueries * k) ++p;
      std::sort(own.begin(), own.end());
      level_distance[size_t(level)] = own[kLevelQueries / 4];
      level_probe[size_t(level)] = p;
      if (level > 0) {
        level_distance[size_t(level)] = std::max(level_distance[size_t(level)], level_distance[size_t(level - 1)]);
        level_probe[size_t(level)] = std::max(level_probe[size_t(level)], level_probe[size_t(level - 1)]);
      }
    }
  }

  static int default_probe(int cells) { return std::max(1, std::min(cells, int(std::lround(cells * 0.06)) + 4)); }

  void norms() {
    centroid_norms.resize(cells);
    for (int c = 0; c < cells; ++c) {
      double sum = 0;
      for (int k = 0; k < d; ++k) sum += double(centroids[size_t(c) * stride + k]) * centroids[size_t(c) * stride + k];
      centroid_norms[c] = float(sum);
    }
  }

  // The nearest centroid of each of kRowBlock rows (stride apart), ties to the lower cell.
  void nearest_cells(const KernelTable& table, const float* rows, int count, int* cell) const {
    std::vector<float> dots(size_t(count) * cells_padded);
    table.dots(rows, count, centroids.data(), cells_padded, stride, dots.data(), cells_padded);
    for (int i = 0; i < count; ++i) {
      float best = INFINITY;
      int best_cell = 0;
      for (int c = 0; c < cells; ++c) {
        const float key = centroid_norms[c] - 2.0f * dots[size_t(i) * cells_padded + c];
        if (key < best) best = key, best_cell = c;
      }
      cell[i] = best_cell;
    }
  }

  // The k-means of a byte set where integer dot products are fast (KernelTable::fast_u8): the
  // same rounds on the training sample's bytes, each centroid c written in bytes (c ~ a v, a =
  // max |c_k| / 127) so that a row's key |c|^2 - 2 <x, c> ~ |c|^2 - 2 s a <v, u> + 2 <c, mean> comes
  // from one exact integer dot product (rounding moves a row only between nearly equidistant
  // cells; the searches scan the cells' actual rows), and each centroid the mean of its rows'
  // bytes summed exactly in integers. Then every point to its nearest centroid, alike.
  void kmeans_bytes(const KernelTable& table, const std::vector<int>& sample, ThreadPool& threads,
                    std::vector<int>& cell_of) {
    const int n = train.n(), n_sample = int(sample.size());
    const double s = train.u8_scale();
    const std::vector<float>& mean = train.mean();
    std::vector<uint8_t> rows(size_t(round_up(n_sample, kRowBlock)) * stride, 0);
    for (int i = 0; i < n_sample; ++i)
      std::copy_n(train.rows_u8() + size_t(sample[size_t(i)]) * stride, stride, &rows[size_t(i) * stride]);
    centroids.assign(size_t(cells_padded) * stride, 0.0f);
    for (int c = 0; c < cells; ++c) train.centered_u8(&rows[size_t(c) * stride], &centroids[size_t(c) * stride]);
    std::vector<int8_t> bytes(size_t(cells_padded) * stride, 0);
    std::vector<float> scale(cells), offset(cells);  // 2 s a and |c|^2 + 2 <c, mean> per centroid
    const auto write_centroids = [&] {
      norms();
      for (int c = 0; c < cells; ++c) {
        const float* centroid = &centroids[size_t(c) * stride];
        double c_max = 0, c_mean = 0;
        for (int k = 0; k < d; ++k) {
          c_max = std::max(c_max, std::fabs(double(centroid[k])));
          c_mean += double(centroid[k]) * mean[size_t(k)];
        }
        const double a = c_max > 0 ? c_max / 127 : 1.0;
        for (int k = 0; k < d; ++k)
          bytes[size_t(c) * stride + k] = int8_t(std::min(127.0, std::max(-127.0, std::nearbyint(centroid[k] / a))));
        scale[size_t(c)] = float(2 * s * a);
        offset[size_t(c)] = float(centroid_norms[size_t(c)] + 2 * c_mean);
      }
    };
    // The nearest centroid of kRowBlock byte rows, ties to the lower cell.
    const auto nearest = [&](const uint8_t* block, int* cell) {
      std::vector<int32_t> dots(size_t(cells_padded) * kRowBlock);
      table.dots_u8(bytes.data(), cells_padded, block, kRowBlock, stride, dots.data(), kRowBlock);
      for (int i = 0; i < kRowBlock; ++i) {
        float best = INFINITY;
        int best_cell = 0;
        for (int c = 0; c < cells; ++c) {
          const float key = offset[size_t(c)] - scale[size_t(c)] * float(dots[size_t(c) * kRowBlock + i]);
          if (key < best) best = key, best_cell = c;
        }
        cell[i] = best_cell;
      }
    };
    std::vector<int> cell(round_up(n_sample, kRowBlock));
    // Each cell's byte sums and rows, summed in parts on the threads (integers: the same totals
    // in any order).
    const int parts = std::max(1, std::min(threads.size(), n_sample / kRowBlock));
    std::vector<std::vector<int64_t>> sums(parts, std::vector<int64_t>(size_t(cells) * d));
    std::vector<std::vector<int>> members(parts, std::vector<int>(cells));
    for (int round = 0; round < kKmeansRounds; ++round) {
      write_centroids();
      threads.run(round_up(n_sample, kRowBlock) / kRowBlock,
                  [&](int b) { nearest(&rows[size_t(b) * kRowBlock * stride], &cell[size_t(b) * kRowBlock]); });
      threads.run(parts, [&](int part) {
        std::vector<int64_t>& sum = sums[size_t(part)];
        std::fill(sum.begin(), sum.end(), 0);
        std::fill(members[size_t(part)].begin(), members[size_t(part)].end(), 0);
        for (int i = int(int64_t(n_sample) * part / parts); i < int(int64_t(n_sample) * (part + 1) / parts); ++i) {
          int64_t* to = &sum[size_t(cell[size_t(i)]) * d];
          const uint8_t* row = &rows[size_t(i) * stride];
          for (int k = 0; k < d; ++k) to[k] += row[k];
          ++members[size_t(part)][size_t(cell[size_t(i)])];
        }
      });
      for (int c = 0; c < cells; ++c) {
        int64_t count = 0;
        for (int part = 0; part < parts; ++part) count += members[size_t(part)][size_t(c)];
        if (count == 0) continue;
        for (int k = 0; k < d; ++k) {
          int64_t total = 0;
          for (int part = 0; part < parts; ++part) total += sums[size_t(part)][size_t(c) * d + k];
          centroids[size_t(c) * stride + k] = float(s * double(total) / double(count) - mean[size_t(k)]);
        }
      }
    }
    write_centroids();
    threads.run(round_up(n, kRowBlock) / kRowBlock, [&](int b) {
      const int first = b * kRowBlock, count = std::min(kRowBlock, n - first);
      // (a copy: the set holds n_padded rows, not a block's multiple)
      std::vector<uint8_t> block(size_t(kRowBlock) * stride, 0);
      std::copy_n(train.rows_u8() + size_t(first) * stride, size_t(count) * stride, block.begin());
      nearest(block.data(), &cell_of[size_t(first)]);
    });
  }

  // Each centroid the mean of its rows (in double, in row order); a cell left empty keeps its own.
  void update(const float* rows, int count, const int* cell) {
    std::vector<double> sum(size_t(cells) * d, 0.0);
    std::vector<int> members(cells, 0);
    for (int i = 0; i < count; ++i) {
      double* to = &sum[size_t(cell[i]) * d];
      const float* row = rows + size_t(i) * stride;
      for (int k = 0; k < d; ++k) to[k] += row[k];
      ++members[cell[i]];
    }
    for (int c = 0; c < cells; ++c)
      if (members[c] > 0)
        for (int k = 0; k < d; ++k) centroids[size_t(c) * stride + k] = float(sum[size_t(c) * d + k] / members[c]);
  }

  void find(const float* queries, int n_queries, int query_stride, int k, int* neighbors, ThreadPool& pool,
            const KernelOptions& options, std::vector<int>* exact) const override {
    const KernelTable& table = kernel_table(options.isa);
    const auto cancelled = [&] { return options.cancel && options.cancel->load(); };
    // 1. Each query's cells: the nearest probes_for(its distance to them), and more until they
    // hold k points; none for a query handed to the exact scan.
    const int tasks = (n_queries + kQueryTask - 1) / kQueryTask;
    std::vector<float> padded(size_t(tasks) * kQueryTask * stride, 0.0f);
    std::vector<std::vector<int>> probed(n_queries);
    std::vector<char> declined(n_queries, 0);
    pool.run(tasks, [&](int b) {
      const int first = b * kQueryTask, count = std::min(kQueryTask, n_queries - first);
      float* q = &padded[size_t(first) * stride];
      for (int r = 0; r < count; ++r)
        std::copy_n(queries + size_t(first + r) * query_stride, d, q + size_t(r) * stride);
      std::vector<float> dots(size_t(kQueryTask) * cells_padded), plain(cells);
      table.dots(q, kQueryTask, centroids.data(), cells_padded, stride, dots.data(), cells_padded);
      std::vector<Candidate> keys(cells);
      for (int r = 0; r < count; ++r) {
        for (int c = 0; c < cells; ++c) {
          plain[c] = centroid_norms[c] - 2.0f * dots[size_t(r) * cells_padded + c];
          keys[c] = {plain[c], c};
        }
        int wanted = probe;
        if (target > 0) {
          double q_sq = 0;
          for (int c = 0; c < d; ++c) q_sq += double(q[size_t(r) * stride + c]) * q[size_t(r) * stride + c];
          wanted = probes_for(nearest_centroid(q_sq, plain.data()));
          if (exact && 3 * wanted >= cells) {
            declined[size_t(first + r)] = 1;
            continue;
          }
        }
        // The wanted nearest cells in order; the rest sorted only if they do not hold k points.
        if (wanted < cells) std::nth_element(keys.begin(), keys.begin() + (wanted - 1), keys.end());
        std::sort(keys.begin(), keys.begin() + wanted);  // a total order: the same cells as a full sort
        int held = 0, j = 0;
        for (; j < wanted; ++j) held += start[keys[j].index + 1] - start[keys[j].index];
        if (held < k) std::sort(keys.begin() + wanted, keys.end());
        for (; j < cells && held < k; ++j) held += start[keys[j].index + 1] - start[keys[j].index];
        for (int i = 0; i < j; ++i) probed[first + r].push_back(keys[i].index);
      }
    });
    if (exact) {
      exact->clear();
      for (int r = 0; r < n_queries; ++r)
        if (declined[size_t(r)]) exact->push_back(r);
    }
    if (cancelled()) return;
    // 2. Per cell, its queries, each visit numbered (a query's visits are first[r] ... first[r + 1],
    // nearest cell first); a query's first cells (nearest first, until they hold kBoundRows k
    // points or its cells end) apart from the rest.
    std::vector<int64_t> first(n_queries + 1, 0), near_end(n_queries, 0);
    std::vector<std::vector<std::pair<int, int64_t>>> near_visits(cells), other_visits(cells);
    for (int r = 0; r < n_queries; ++r) {
      int64_t at = first[r];
      int64_t held = 0;
      for (int c : probed[r]) {
        const bool near = held < int64_t(kBoundRows) * k;
        (near ? near_visits : other_visits)[size_t(c)].push_back({r, at});
        held += start[c + 1] - start[c];
        ++at;
        if (near) near_end[size_t(r)] = at;
      }
      first[r + 1] = at;
    }
    std::vector<std::vector<Candidate>> found(static_cast<size_t>(first[n_queries]));
    // 3. Per cell: its rows converted once, the dot products of its queries with them, the keys
    // within each query's bound kept. The bound is the k-th key among the query's first cells
    // (where they hold k points): keys above it cannot be among the k nearest, so the answer does
    // not change. So the first cells are scanned first, every key kept, then the bounds set and
    // the rest scanned.
    std::vector<float> bound(n_queries, INFINITY);
    const auto scan = [&](int c, const std::vector<std::pair<int, int64_t>>& list) {
      const int size = start[c + 1] - start[c], size_padded = round_up(size, kDotRowMultiple);
      // An empty cell adds no candidates (its queries' lists stay empty).
      if (list.empty() || size == 0 || cancelled()) return;
      const int n_visits = int(list.size()), visits_padded = round_up(n_visits, kDotRowMultiple);
      const int* members = &order[start[c]];
      const float* member_norms = &order_norms[size_t(start[c])];
      // Scratch kept by each thread from one cell to the next.
      thread_local std::vector<float> converted, q, dots;
      const float* rows = cell_rows(c, converted);
      q.assign(size_t(visits_padded) * stride, 0.0f);
      for (int v = 0; v < n_visits; ++v)
        std::copy_n(&padded[size_t(list[v].first) * stride], stride, &q[size_t(v) * stride]);
      dots.resize(size_t(visits_padded) * size_padded);
      table.dots(q.data(), visits_padded, rows, size_padded, stride, dots.data(), size_padded);
      for (int v = 0; v < n_visits; ++v) {
        std::vector<Candidate>& out = found[size_t(list[v].second)];
        const float* row_dots = dots.data() + size_t(v) * size_padded;
        const float limit = bound[size_t(list[v].first)];
        out.clear();
        for (int j = 0; j < size; ++j) {
          const float key = member_norms[j] - 2.0f * row_dots[j];
          if (key <= limit) out.push_back({key, members[j]});
        }
      }
    };
    pool.run(cells, [&](int c) { scan(c, near_visits[size_t(c)]); });
    if (cancelled()) return;
    pool.run(tasks, [&](int b) {
      std::vector<float> keys;
      for (int r = b * kQueryTask; r < std::min(n_queries, (b + 1) * kQueryTask); ++r) {
        keys.clear();
        for (int64_t v = first[r]; v < near_end[size_t(r)]; ++v)
          for (const Candidate& candidate : found[size_t(v)]) keys.push_back(candidate.key);
        if (int(keys.size()) < k) continue;
        std::nth_element(keys.begin(), keys.begin() + (k - 1), keys.end());
        const float limit = keys[size_t(k - 1)];
        bound[size_t(r)] = limit;
        for (int64_t v = first[r]; v < near_end[size_t(r)]; ++v) {
          std::vector<Candidate>& list = found[size_t(v)];
          list.erase(std::remove_if(list.begin(), list.end(), [&](const Candidate& x) { return x.key > limit; }),
                     list.end());
        }
      }
    });
    if (cancelled()) return;
    pool.run(cells, [&](int c) { scan(c, other_visits[size_t(c)]); });
    if (cancelled()) return;
    // 4. Per query, the k smallest of its candidates, nearest first.
    pool.run(tasks, [&](int b) {
      std::vector<Candidate> all;
      for (int r = b * kQueryTask; r < std::min(n_queries, (b + 1) * kQueryTask); ++r) {
        if (declined[size_t(r)]) continue;
        all.clear();
        for (int64_t v = first[r]; v < first[r + 1]; ++v)
          all.insert(all.end(), found[size_t(v)].begin(), found[size_t(v)].end());
        std::nth_element(all.begin(), all.begin() + (k - 1), all.end());  // a total order: the same k as a sort
        std::sort(all.begin(), all.begin() + k);
        for (int j = 0; j < k; ++j) neighbors[size_t(r) * k + j] = all[size_t(j)].index;
      }
    });
  }

  int cell_count() const override { return cells; }
  int probe_count() const override { return target > 0 ? 0 : probe; }
  double recall_target() const override { return target; }
  std::vector<std::pair<double, int>> calibration() const override {
    std::vector<std::pair<double, int>> levels;
    for (size_t j = 0; j < level_probe.size(); ++j) levels.push_back({level_distance[j], level_probe[j]});
    return levels;
  }
};

}  // namespace

std::unique_ptr<NeighborIndex::Ivf> make_ivf(const TrainingSet& train, const IvfOptions& options, ThreadPool* pool,
                                             const ByteRows& bytes) {
  if (options.cells < 0 || options.probe < 0)
    throw Error("the IVF index needs cells >= 0 and probe >= 0 (0: the default; got " + std::to_string(options.cells) +
                " cells, probe " + std::to_string(options.probe) + ")");
  if (!(options.recall >= 0 && options.recall <= 1))
    throw Error("the IVF index's recall target must be in (0, 1] (got " + std::to_string(options.recall) + ")");
  ThreadPool own(1);
  return std::make_unique<Ivf>(train, options, pool ? *pool : own, bytes);
}

}  // namespace cfdm
