// The exact k-nearest-neighbour scan of a training set with integer dot products first
// (neighbor_structures.hpp): bounds on every key, then the float scan's own keys for the few rows
// the bounds cannot rule out.
//
// A training row in bytes is x'_i = s (.) u_i - o + r_i (ByteRows: u_i its bytes, s and o per
// coordinate, |r_i| <= R_i), and the scan ranks rows by key_i = |x'_i|^2 - 2 <q, x'_i>. With q'
// = s (.) q, <q, x'_i> = <q', u_i> - <q, o> + <q, r_i>. The scaled query is written in bytes twice
// over: q' = a v + a' v' + e, v and v' in [-127, 127]^d, a = max |q'_k| / 127, v' the rounding
// error q' - a v in steps of a' = a / 254, and |e_k| <= e_max (at most a' / 2). The integer dot
// products <v, u_i> and <v', u_i> are exact (KernelTable::dots_u8: with AVX-512 VNNI, 64 byte
// products an instruction; dots_u8_packed for short rows). With S_i = sum_k u_ik,
//
//   key_i = base_i - 2 <e, u_i> - 2 <q, r_i>,  base_i = |x'_i|^2 - 2 (a <v, u_i> + a' <v', u_i>) + 2 <q, o>,
//   |2 <e, u_i>| <= 2 e_max S_i,  |2 <q, r_i>| <= 2 |q| R_i,
//
// (a float set's bytes are centred on 128 instead: <q, o> and the 128s of <e, u_i> go into base_i
// exactly, and |2 <e, u_i - 128>| <= 2 |e| |u_i - 128|; ByteRows::magnitude holds S_i or
// |u_i - 128|, M_i), so key_i lies within base_i -/+ width_i, width_i = 2 e_max S_i (or
// 2 |e| M_i) + 2 |q| R_i + margin, the margin covering the float scan's rounding (a sum of d
// products: within (d + 1) 2^-24 |q| |x_i| of the exact dot product, a uint8 row's own conversion
// included) and these bounds' rounding in floats.
// With v alone the first term of the width is 254 times wider: that coarse bound (from one dot
// product per row, every row) rules out most rows, the fine one (the second dot product, for the
// rows left) nearly all of the rest. A uint8 set's r is 0; a float set's rounding to bytes leaves
// a little under 1% of each coordinate's range in r, which both bounds carry.
//
// Per query, rows are kept while their lower bound is at most T, the k-th smallest upper bound
// among the rows kept (recomputed whenever 2k + 64 rows are kept, then those above it dropped:
// T only falls). Every row whose
// key can be among the k smallest stays. Their keys are then computed as the float scan computes
// them (KernelTable::listed_keys, or listed_column_keys for a set in the column layout: the same
// bits) and the k smallest kept, ties to the lower index: the float scan's answer exactly. On
// MNIST some tens of rows beyond the k get float keys.
#include <algorithm>
#include <cmath>
#include <cstring>
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

ByteRows byte_rows(const TrainingSet& train, bool packed, ThreadPool* pool) {
  const int n = train.n(), d = train.dim(), stride = train.stride(), n_padded = train.n_padded();
  ThreadPool own(1);
  ThreadPool& threads = pool ? *pool : own;
  constexpr int kBlock = 1024;  // rows a task
  const int blocks = (n + kBlock - 1) / kBlock;
  ByteRows out;
  out.stride = stride;
  out.scale.assign(size_t(d), double(train.u8_scale()));
  out.offset.assign(train.mean().begin(), train.mean().end());
  out.residual.assign(size_t(n_padded), 0.0f);
  if (train.rows_u8()) {
    out.rows = train.rows_u8();
  } else {
    // Each coordinate's scale from its largest magnitude (per block, then the largest).
    std::vector<std::vector<float>> largest(size_t(blocks), std::vector<float>(size_t(d), 0.0f));
    threads.run(blocks, [&](int b) {
      for (int i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i)
        for (int k = 0; k < d; ++k)
          largest[size_t(b)][size_t(k)] =
              std::max(largest[size_t(b)][size_t(k)], std::fabs(train.rows()[size_t(i) * stride + k]));
    });
    for (int k = 0; k < d; ++k) {
      float top = 0.0f;
      for (const std::vector<float>& part : largest) top = std::max(top, part[size_t(k)]);
      out.scale[size_t(k)] = top > 0 ? double(top) / 127 : 1.0;
      out.offset[size_t(k)] = 128 * out.scale[size_t(k)];
    }
    out.own.assign(size_t(n_padded) * stride, 0);
    out.rows = out.own.data();
    threads.run(blocks, [&](int b) {
      for (int i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
        double sq = 0;
        for (int k = 0; k < d; ++k) {
          const double x = train.rows()[size_t(i) * stride + k], s = out.scale[size_t(k)];
          const double v = std::min(127.0, std::max(-127.0, std::nearbyint(x / s)));
          out.own[size_t(i) * stride + k] = uint8_t(128 + int(v));
          const double r = x - s * v;
          sq += r * r;
        }
        // Rounded up, with room for the rounding of r itself.
        out.residual[size_t(i)] = std::nextafter(float(std::sqrt(sq) * (1 + 1e-9) + 1e-30), INFINITY);
      }
    });
  }
  out.centre = train.rows_u8() ? 0 : 128;
  out.magnitude.assign(size_t(n_padded), 0.0f);
  std::vector<int32_t> sums(size_t(n), 0);
  threads.run(blocks, [&](int b) {
    for (int i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
      int32_t sum = 0;
      int64_t sq = 0;
      for (int k = 0; k < d; ++k) {
        const int u = out.rows[size_t(i) * stride + k];
        sum += u;
        sq += int64_t(u - 128) * (u - 128);
      }
      sums[size_t(i)] = sum;
      out.magnitude[size_t(i)] = out.centre == 0 ? float(sum) : std::nextafter(float(std::sqrt(double(sq))), INFINITY);
    }
  });
  for (int i = 0; i < n; ++i) {
    out.max_norm = std::max(out.max_norm, double(train.norms_sq()[i]));
    out.max_sum = std::max(out.max_sum, double(sums[size_t(i)]));
    out.max_magnitude = std::max(out.max_magnitude, double(out.magnitude[size_t(i)]));
    out.max_residual = std::max(out.max_residual, double(out.residual[size_t(i)]));
  }
  if (packed) {
    const int words = stride / 4;
    out.packed.assign(size_t(n_padded) * stride, 0);
    threads.run(blocks, [&](int b) {
      for (int i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i)
        for (int w = 0; w < words; ++w)
          std::copy_n(out.rows + size_t(i) * stride + 4 * w, 4, &out.packed[(size_t(w) * n_padded + i) * 4]);
    });
  }
  return out;
}

ByteQueries round_queries(const TrainingSet& train, const ByteRows& rows, const float* queries, int n_queries,
                          int query_stride, ThreadPool& pool) {
  const int d = train.dim(), stride = train.stride();
  const double max_norm = rows.max_norm, max_sum = rows.max_sum, max_magnitude = rows.max_magnitude,
               max_residual = rows.max_residual;
  const double max_x = std::sqrt(max_norm);  // |x'_i| at most
  ByteQueries out;
  out.bytes.assign(size_t(round_up(n_queries, kDotRowMultiple)) * stride, 0);
  out.fine.assign(out.bytes.size(), 0);
  out.terms.resize(size_t(n_queries));
  pool.run(n_queries, [&](int r) {
    const float* q = queries + size_t(r) * query_stride;
    double q_max = 0, q_sq = 0, q_o = 0, e_max = 0, rest_sq = 0, e_sq = 0, v_sum = 0, w_sum = 0;
    for (int c = 0; c < d; ++c) q_max = std::max(q_max, std::fabs(q[c] * rows.scale[size_t(c)]));
    const double a = q_max > 0 ? q_max / 127 : 1.0, a_fine = a / 254;
    for (int c = 0; c < d; ++c) {
      const double scaled = q[c] * rows.scale[size_t(c)];
      const double v = std::min(127.0, std::max(-127.0, std::nearbyint(scaled / a)));
      const double rest = scaled - a * v;  // |rest| <= a / 2: fine steps of a / 254 reach it
      const double w = std::min(127.0, std::max(-127.0, std::nearbyint(rest / a_fine)));
      out.bytes[size_t(r) * stride + c] = int8_t(v);
      out.fine[size_t(r) * stride + c] = int8_t(w);
      const double e = rest - a_fine * w;
      e_max = std::max(e_max, std::fabs(e));
      rest_sq += rest * rest;
      e_sq += e * e;
      v_sum += v;
      w_sum += w;
      q_sq += double(q[c]) * q[c];
      q_o += double(q[c]) * rows.offset[size_t(c)];
    }
    // The terms the coarse and fine bounds leave out, bounded by the row's magnitude M_i: around 0,
    // |2 <rest, u_i>| <= 2 max |rest_k| S_i; around 128 (u_i - 128 = v_i the row's signed bytes),
    // |2 <rest, u_i - 128>| <= 2 |rest| |u_i - 128|, the offsets' own part exact in c0.
    const bool centred = rows.centre != 0;
    const double out_coarse = centred ? std::sqrt(rest_sq) * (1 + 1e-9) : e_max + a_fine * 127,
                 out_fine = centred ? std::sqrt(e_sq) * (1 + 1e-9) : e_max;
    const double c0 = centred ? 2 * 128 * a * v_sum : 2 * q_o, c0_fine = centred ? c0 + 2 * 128 * a_fine * w_sum : c0;
    // Every term of a bound is below `size` in magnitude: |x|^2, |2 <q, o>|, |2 a <v, u>|, ...
    const double q_norm = std::sqrt(q_sq);
    const double size = max_norm + std::fabs(c0) + std::fabs(c0_fine) + 2 * 127 * (a + a_fine) * max_sum +
                        2 * out_coarse * max_magnitude + 2 * q_norm * (max_x + max_residual);
    const double ulp = std::ldexp(1.0, -24);
    const double margin = 2.02 * (d + 1) * ulp * q_norm * max_x + 32 * ulp * size;
    out.terms[size_t(r)] = {float(2 * a),
                            float(2 * a_fine),
                            float(c0),
                            float(c0_fine),
                            float(2 * out_coarse),
                            float(2 * out_fine),
                            float(2 * q_norm * (1 + 1e-6)),
                            float(margin)};
  });
  return out;
}

U8Scan scan_u8(const TrainingSet& train, const ByteRows& bytes, const float* queries, int n_queries, int query_stride,
               int k, int* neighbors, ThreadPool& pool, const KernelOptions& options, bool force, const int* hints) {
  const KernelTable& table = kernel_table(options.isa);
  const bool packed = !bytes.packed.empty() && (table.fast_u8_packed || force);
  if (!bytes.rows || bytes.stride != train.stride() || bytes.magnitude.size() != size_t(train.n_padded()) ||
      !u8_sums_fit(train.stride()) || !(packed || table.fast_u8 || force))
    return U8Scan::not_applicable;
  const int n = train.n(), d = train.dim(), stride = train.stride();
  for (int r = 0; r < n_queries; ++r)
    for (int c = 0; c < d; ++c)
      if (!std::isfinite(queries[size_t(r) * query_stride + c])) return U8Scan::not_applicable;
  const float* norms = train.norms_sq();
  const ByteQueries rounded = round_queries(train, bytes, queries, n_queries, query_stride, pool);
  const float* magnitude = bytes.magnitude.data();
  const float* residual = bytes.residual.data();
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
    std::vector<char> left(kTileRows + 16);
    std::vector<int> listed;
    std::vector<uint8_t> batch_rows(size_t(kGroup) * stride);
    std::vector<float> query(stride, 0.0f), work(listed_keys_scratch_floats(job)), keys;
    const auto float_keys = [&](int r, const int* rows, int count) {
      std::copy_n(queries + size_t(r) * query_stride, d, query.begin());
      keys.resize(size_t(count));
      (job.columns ? table.listed_column_keys : table.listed_keys)(job, query.data(), rows, count, keys.data(),
                                                                   work.data());
    };
    // Hints (k distinct rows a query): their float keys, exact, kept from the start, so T starts at
    // the largest of them; the scan passes over them (seeded, sorted).
    std::vector<std::vector<int>> seeded(size_t(r1 - r0));
    for (int r = r0; r < r1 && hints; ++r) {
      std::vector<int>& own = seeded[size_t(r - r0)];
      own.assign(hints + size_t(r) * k, hints + size_t(r) * k + k);
      std::sort(own.begin(), own.end());
      if (std::adjacent_find(own.begin(), own.end()) != own.end() || own.front() < 0 || own.back() >= n) {
        own.clear();  // not k distinct rows: no bound from them
        continue;
      }
      float_keys(r, own.data(), k);
      for (int j = 0; j < k; ++j) kept[size_t(r - r0)].push_back({keys[size_t(j)], keys[size_t(j)], own[size_t(j)]});
      bound[size_t(r - r0)] = *std::max_element(keys.begin(), keys.end());
    }
    for (int i0 = 0; i0 < n && !cancelled(); i0 += kTileRows) {
      const int len = std::min(kTileRows, n - i0);
      const uint8_t* rows = bytes.rows + size_t(i0) * stride;  // n_padded rows: round_up(len, 16) are there
      const int len_padded = round_up(len, 16);                // (magnitude and residual are n_padded long)
      for (int g = g0; g < g1; ++g) {
        // Each of the group's queries: its coarse lower bounds (vectorized), and the rows they
        // leave for any of them.
        const int in_group = std::min(kGroup, r1 - g * kGroup);
        float terms[5 * kGroup], limits[kGroup];
        for (int a = 0; a < kGroup; ++a) {
          const ByteQueries::Terms& b = rounded.terms[size_t(std::min(g * kGroup + a, r1 - 1))];
          const float mine[5] = {b.c1, b.c0, b.e1, b.r1, b.margin};
          std::copy_n(mine, 5, terms + 5 * a);
          limits[a] = a < in_group ? bound[size_t(g * kGroup + a - r0)] : -INFINITY;
        }
        std::fill(left.begin(), left.begin() + len_padded, char(0));
        if (packed) {
          table.bounded_dots_u8_packed(&rounded.bytes[size_t(g) * kGroup * stride], bytes.packed.data(),
                                       train.n_padded(), stride / 4, i0, len_padded, norms + i0, magnitude + i0,
                                       residual + i0, terms, limits, dots.data(), lo.data(), kTileRows, left.data());
        } else {
          table.dots_u8(&rounded.bytes[size_t(g) * kGroup * stride], kGroup, rows, round_up(len, kDotRowMultiple),
                        stride, dots.data(), kTileRows);
          for (int a = 0; a < in_group; ++a)
            table.coarse_bounds(&dots[size_t(a) * kTileRows], len, norms + i0, magnitude + i0, residual + i0,
                                terms + 5 * a, limits[a], &lo[size_t(a) * kTileRows], left.data());
        }
        listed.clear();
        for (int j = 0; j < len; j += 8) {  // eight marks a word: mostly none
          uint64_t word = 0;
          std::memcpy(&word, &left[size_t(j)], 8);
          if (word == 0) continue;
          for (int e = j; e < std::min(len, j + 8); ++e)
            if (left[size_t(e)]) listed.push_back(e);
        }
        // Their fine bounds, kGroup rows a call (the rows copied side by side).
        for (size_t at = 0; at < listed.size(); at += kGroup) {
          const int batch = int(std::min<size_t>(kGroup, listed.size() - at));
          for (int c = 0; c < kGroup; ++c)
            if (c < batch)
              for (int e = 0; e < stride; e += 16)  // (in 16s, inline: a call per row cost more)
                std::memcpy(&batch_rows[size_t(c) * stride + e], rows + size_t(listed[at + c]) * stride + e, 16);
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
                                 b.c2 * float(fine[size_t(a) * kGroup + c]) + b.c0_fine;
              const float width = b.e2 * magnitude[i0 + j] + b.r1 * residual[i0 + j] + b.margin;
              if (!(base - width <= limit)) continue;
              const std::vector<int>& own = seeded[size_t(r - r0)];
              if (!own.empty() && std::binary_search(own.begin(), own.end(), i0 + j)) continue;
              mine.push_back({base - width, base + width, i0 + j});
              if (mine.size() >= size_t(2) * k + 64) limit = prune(mine, k, scratch);
            }
          }
        }
      }
    }
    if (cancelled()) return;
    // The float scan's keys of the rows left, the k smallest, ties to the lower index.
    std::vector<std::pair<float, int>> ranked;
    for (int r = r0; r < r1; ++r) {
      std::vector<Kept>& mine = kept[size_t(r - r0)];
      prune(mine, k, scratch);  // (the scan put at least k rows here: those with the k smallest hi)
      listed.resize(mine.size());
      for (size_t j = 0; j < mine.size(); ++j) listed[j] = mine[j].index;
      float_keys(r, listed.data(), int(listed.size()));
      ranked.resize(listed.size());
      for (size_t j = 0; j < listed.size(); ++j) ranked[j] = {keys[j], listed[j]};
      std::partial_sort(ranked.begin(), ranked.begin() + k, ranked.end());
      for (int j = 0; j < k; ++j) neighbors[size_t(r) * k + j] = ranked[size_t(j)].second;
    }
  });
  return cancelled() ? U8Scan::cancelled : U8Scan::done;
}

}  // namespace cfdm
