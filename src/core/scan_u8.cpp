// The exact k-nearest-neighbour scan of a uint8 training set with integer dot products first
// (neighbor_structures.hpp): bounds on every key, then the float scan's own keys for the few rows
// the bounds cannot rule out.
//
// A training row is x_i = s u_i - c (u_i its bytes, s the set's scale, c its mean) and the scan
// ranks rows by key_i = |x_i|^2 - 2 <q, x_i> = |x_i|^2 - 2 s <q, u_i> + 2 <q, c>. The query is
// written in bytes twice over: q = a v + a' v' + e, v and v' in [-127, 127]^d, a = max |q_k| / 127,
// v' the rounding error q - a v in steps of a' = a / 254, and |e_k| <= e_max (at most a' / 2).
// The integer dot products <v, u_i> and <v', u_i> are exact (KernelTable::dots_u8: with AVX-512
// VNNI, 64 byte products an instruction). With S_i = sum_k u_ik,
//
//   key_i = base_i - 2 s <e, u_i>,  base_i = |x_i|^2 - 2 s (a <v, u_i> + a' <v', u_i>) + 2 <q, c>,
//   |2 s <e, u_i>| <= 2 s e_max S_i,
//
// so key_i lies within base_i -/+ width_i, width_i = 2 s e_max S_i + margin, the margin covering the
// float scan's rounding (a sum of d products: within (d + 1) 2^-24 |q| |x_i| of the exact dot
// product, x_i's own conversion included) and these bounds' rounding in floats. With v alone the
// width is 254 times wider: that coarse bound (from one dot product per row, every row) rules out
// most rows, the fine one (the second dot product, for the rows left) nearly all of the rest.
//
// Per query, rows are kept while their lower bound is at most T, the k-th smallest upper bound
// among the rows kept (recomputed whenever 2k + 64 rows are kept, then those above it dropped:
// T only falls). Every row whose
// key can be among the k smallest stays. Their keys are then computed as the float scan computes
// them (KernelTable::listed_keys: the same bits) and the k smallest kept, ties to the lower index:
// the float scan's answer exactly. On MNIST some tens of rows beyond the k get float keys.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernel.hpp"
#include "core/neighbor_structures.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

constexpr int kTileRows = 256;           // training rows per pass over a task's queries (200 KB of MNIST: in L2)
constexpr int kGroup = kDotRowMultiple;  // queries per integer dot-product call

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// A row not ruled out: its bounds and index.
struct Kept {
  float lo, hi;
  int index;
};

// The k-th smallest hi of kept (at least k entries) and the entries with lo above it dropped.
float prune(std::vector<Kept>& kept, int k, std::vector<float>& scratch) {
  scratch.resize(kept.size());
  for (size_t j = 0; j < kept.size(); ++j) scratch[j] = kept[j].hi;
  std::nth_element(scratch.begin(), scratch.begin() + (k - 1), scratch.end());
  const float bound = scratch[size_t(k - 1)];
  kept.erase(std::remove_if(kept.begin(), kept.end(), [&](const Kept& e) { return !(e.lo <= bound); }), kept.end());
  return bound;
}

}  // namespace

ByteQueries round_queries(const TrainingSet& train, const float* queries, int n_queries, int query_stride,
                          ThreadPool& pool) {
  const int n = train.n(), d = train.dim(), stride = train.stride();
  const float* norms = train.norms_sq();
  const std::vector<float>& mean = train.mean();
  const double s = train.u8_scale();
  double max_norm = 0, mean_sq = 0;
  for (int i = 0; i < n; ++i) max_norm = std::max(max_norm, double(norms[i]));
  for (int c = 0; c < d; ++c) mean_sq += double(mean[size_t(c)]) * mean[size_t(c)];
  const double max_x = std::sqrt(max_norm), max_su = max_x + std::sqrt(mean_sq);  // |x_i|, |s u_i| at most
  ByteQueries out;
  out.bytes.assign(size_t(round_up(n_queries, kDotRowMultiple)) * stride, 0);
  out.fine.assign(out.bytes.size(), 0);
  out.terms.resize(size_t(n_queries));
  pool.run(n_queries, [&](int r) {
    const float* q = queries + size_t(r) * query_stride;
    double q_max = 0, q_sq = 0, q_c = 0, e_max = 0;
    for (int c = 0; c < d; ++c) q_max = std::max(q_max, std::fabs(double(q[c])));
    const double a = q_max > 0 ? q_max / 127 : 1.0, a_fine = a / 254;
    for (int c = 0; c < d; ++c) {
      const double v = std::min(127.0, std::max(-127.0, std::nearbyint(q[c] / a)));
      const double rest = q[c] - a * v;  // |rest| <= a / 2: fine steps of a / 254 reach it
      const double w = std::min(127.0, std::max(-127.0, std::nearbyint(rest / a_fine)));
      out.bytes[size_t(r) * stride + c] = int8_t(v);
      out.fine[size_t(r) * stride + c] = int8_t(w);
      e_max = std::max(e_max, std::fabs(rest - a_fine * w));
      q_sq += double(q[c]) * q[c];
      q_c += double(q[c]) * mean[size_t(c)];
    }
    // Every term of a bound is below `size` in magnitude: |x|^2, |2 <q, c>|, |2 s a <v, u>|, ...
    const double q_norm = std::sqrt(q_sq),
                 size = 2 * (q_norm + std::sqrt(double(d)) * a) * max_su + max_norm + 2 * std::fabs(q_c);
    const double ulp = std::ldexp(1.0, -24);
    const double margin = 2.02 * (d + 1) * ulp * q_norm * max_x + 32 * ulp * size;
    out.terms[size_t(r)] = {float(2 * s * a),     float(2 * s * a_fine),
                            float(2 * q_c),       float(2 * s * (e_max + a_fine * 127)),
                            float(2 * s * e_max), float(margin)};
  });
  return out;
}

std::vector<int32_t> u8_row_sums(const TrainingSet& train) {
  std::vector<int32_t> sums(size_t(train.n()), 0);
  if (!train.rows_u8()) return sums;
  for (int i = 0; i < train.n(); ++i) {
    const uint8_t* row = train.rows_u8() + size_t(i) * train.stride();
    int32_t sum = 0;
    for (int k = 0; k < train.dim(); ++k) sum += row[k];
    sums[size_t(i)] = sum;
  }
  return sums;
}

U8Scan scan_u8(const TrainingSet& train, const std::vector<int32_t>& sums, const float* queries, int n_queries,
               int query_stride, int k, int* neighbors, ThreadPool& pool, const KernelOptions& options, bool force) {
  const KernelTable& table = kernel_table(options.isa);
  if (!train.rows_u8() || train.columns() || !u8_sums_fit(train.stride()) || !(table.fast_u8 || force) ||
      sums.size() != size_t(train.n()))
    return U8Scan::not_applicable;
  const int n = train.n(), d = train.dim(), stride = train.stride();
  for (int r = 0; r < n_queries; ++r)
    for (int c = 0; c < d; ++c)
      if (!std::isfinite(queries[size_t(r) * query_stride + c])) return U8Scan::not_applicable;
  const float* norms = train.norms_sq();
  const ByteQueries rounded = round_queries(train, queries, n_queries, query_stride, pool);
  const std::vector<float> row_sums(sums.begin(), sums.end());
  const KernelJob job = make_kernel_job(train, nullptr, nullptr, 0.0f, options.cancel);
  const auto cancelled = [&] { return options.cancel && options.cancel->load(); };
  const int groups = round_up(n_queries, kGroup) / kGroup, n_tasks = std::min(groups, pool.size());
  pool.run(n_tasks, [&](int task) {
    const int g0 = int(int64_t(groups) * task / n_tasks), g1 = int(int64_t(groups) * (task + 1) / n_tasks);
    const int r0 = g0 * kGroup, r1 = std::min(n_queries, g1 * kGroup);
    // Per query: the rows kept and T (see the top of the file).
    std::vector<std::vector<Kept>> kept(size_t(r1 - r0));
    std::vector<float> bound(size_t(r1 - r0), INFINITY), scratch;
    std::vector<int32_t> dots(size_t(kGroup) * kTileRows), fine(kGroup * kGroup);
    std::vector<float> lo(size_t(kGroup) * kTileRows);
    std::vector<char> left(kTileRows);
    std::vector<int> listed;
    std::vector<uint8_t> batch_rows(size_t(kGroup) * stride);
    for (int i0 = 0; i0 < n && !cancelled(); i0 += kTileRows) {
      const int len = std::min(kTileRows, n - i0);
      const uint8_t* rows = train.rows_u8() + size_t(i0) * stride;  // n_padded rows: round_up(len, 4) are there
      for (int g = g0; g < g1; ++g) {
        table.dots_u8(&rounded.bytes[size_t(g) * kGroup * stride], kGroup, rows, round_up(len, kDotRowMultiple), stride,
                      dots.data(), kTileRows);
        // The coarse lower bounds (vectorized), and the rows they leave for any of the group's queries.
        const int in_group = std::min(kGroup, r1 - g * kGroup);
        std::fill(left.begin(), left.begin() + len, char(0));
        for (int a = 0; a < in_group; ++a) {
          const int r = g * kGroup + a;
          const ByteQueries::Terms& b = rounded.terms[size_t(r)];
          const int32_t* dot = &dots[size_t(a) * kTileRows];
          float* mine = &lo[size_t(a) * kTileRows];
          for (int j = 0; j < len; ++j)
            mine[j] = norms[i0 + j] - b.c1 * float(dot[j]) + b.c0 - (b.e1 * row_sums[size_t(i0 + j)] + b.margin);
          const float limit = bound[size_t(r - r0)];
          for (int j = 0; j < len; ++j) left[size_t(j)] |= char(mine[j] <= limit);
        }
        listed.clear();
        for (int j = 0; j < len; ++j)
          if (left[size_t(j)]) listed.push_back(j);
        // Their fine bounds, kGroup rows a call (the rows copied side by side).
        for (size_t at = 0; at < listed.size(); at += kGroup) {
          const int batch = int(std::min<size_t>(kGroup, listed.size() - at));
          for (int c = 0; c < kGroup; ++c)
            if (c < batch) std::copy_n(rows + size_t(listed[at + c]) * stride, stride, &batch_rows[size_t(c) * stride]);
          table.dots_u8(&rounded.fine[size_t(g) * kGroup * stride], kGroup, batch_rows.data(), kGroup, stride,
                        fine.data(), kGroup);
          for (int a = 0; a < in_group; ++a) {
            const int r = g * kGroup + a;
            const ByteQueries::Terms& b = rounded.terms[size_t(r)];
            std::vector<Kept>& mine = kept[size_t(r - r0)];
            float& limit = bound[size_t(r - r0)];
            for (int c = 0; c < batch; ++c) {
              const int j = listed[at + c];
              if (!(lo[size_t(a) * kTileRows + j] <= limit)) continue;
              const float base = norms[i0 + j] - b.c1 * float(dots[size_t(a) * kTileRows + j]) -
                                 b.c2 * float(fine[size_t(a) * kGroup + c]) + b.c0;
              const float width = b.e2 * row_sums[size_t(i0 + j)] + b.margin;
              if (!(base - width <= limit)) continue;
              mine.push_back({base - width, base + width, i0 + j});
              if (mine.size() >= size_t(2) * k + 64) limit = prune(mine, k, scratch);
            }
          }
        }
      }
    }
    if (cancelled()) return;
    // The float scan's keys of the rows left, the k smallest, ties to the lower index.
    std::vector<float> query(stride, 0.0f), work(listed_keys_scratch_floats(job)), keys;
    std::vector<std::pair<float, int>> ranked;
    for (int r = r0; r < r1; ++r) {
      std::vector<Kept>& mine = kept[size_t(r - r0)];
      prune(mine, k, scratch);  // (the scan put at least k rows here: those with the k smallest hi)
      listed.resize(mine.size());
      for (size_t j = 0; j < mine.size(); ++j) listed[j] = mine[j].index;
      std::copy_n(queries + size_t(r) * query_stride, d, query.begin());
      keys.resize(listed.size());
      table.listed_keys(job, query.data(), listed.data(), int(listed.size()), keys.data(), work.data());
      ranked.resize(listed.size());
      for (size_t j = 0; j < listed.size(); ++j) ranked[j] = {keys[j], listed[j]};
      std::partial_sort(ranked.begin(), ranked.begin() + k, ranked.end());
      for (int j = 0; j < k; ++j) neighbors[size_t(r) * k + j] = ranked[size_t(j)].second;
    }
  });
  return cancelled() ? U8Scan::cancelled : U8Scan::done;
}

}  // namespace cfdm
