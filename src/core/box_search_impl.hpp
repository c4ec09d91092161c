// The box tree's search (box_tree.hpp), written once for a vector width W and compiled per
// instruction set (knn_isa_*.cpp, all without floating-point contraction: a point's
// squared distance has the same bits on every build, so every build finds the same neighbours).
// Include only from those files; no standard-library templates here (see kernel_job.hpp).
#pragma once
#include "core/box_tree.hpp"
#include "core/simd.hpp"

#if defined(__SSE2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace cfdm {
namespace CFDM_BOX_NAMESPACE {

using namespace simd;
constexpr int F = kBoxFan;

template <int D>
struct Dim {
  static constexpr int value = D;
};

// f(Dim<dim>{}) for the dimensions compiled in (1 to kBoxTreeMaxDim), else `otherwise`.
template <class R, class Fn>
inline R with_dim(int dim, R otherwise, Fn&& f) {
  static_assert(kBoxTreeMaxDim == 8, "a case per dimension");
  switch (dim) {
    case 1:
      return f(Dim<1>{});
    case 2:
      return f(Dim<2>{});
    case 3:
      return f(Dim<3>{});
    case 4:
      return f(Dim<4>{});
    case 5:
      return f(Dim<5>{});
    case 6:
      return f(Dim<6>{});
    case 7:
      return f(Dim<7>{});
    case 8:
      return f(Dim<8>{});
    default:
      return otherwise;
  }
}

// Bit j set where lane j of a <= b (false for NaN).
template <int W>
inline unsigned le_bits(VecF<W> a, VecF<W> b) {
#if defined(__AVX512F__)
  if constexpr (W == 16) return _mm512_cmp_ps_mask(__m512(a), __m512(b), _CMP_LE_OQ);
#endif
#if defined(__AVX2__)
  if constexpr (W == 8) return unsigned(_mm256_movemask_ps(_mm256_cmp_ps(__m256(a), __m256(b), _CMP_LE_OQ)));
#endif
#if defined(__SSE2__)
  if constexpr (W == 4) return unsigned(_mm_movemask_ps(_mm_cmple_ps(__m128(a), __m128(b))));
#endif
#if defined(__wasm_simd128__)
  if constexpr (W == 4) return wasm_i32x4_bitmask(wasm_f32x4_le(v128_t(a), v128_t(b)));
#endif
  const VecI<W> le = a <= b;
  unsigned bits = 0;
  for (int lane = 0; lane < W; ++lane) bits |= unsigned(le[lane] & 1) << lane;
  return bits;
}

// The low `count` bits (count may exceed 16).
inline unsigned first_bits(int count) { return count >= F ? (1u << F) - 1 : (1u << count) - 1; }

inline int lowest_bit(unsigned bits) { return __builtin_ctz(bits); }

// Squared distances from q to the 16 boxes of a group (lo then hi, coordinate-major): per
// coordinate the gap max(lo - q, q - hi, 0), never more than a point of the box's |q - p|, so
// the sum never exceeds that point's squared distance (rounding is monotone).
template <int W, int D>
inline void box_distances(const float* group, const float* q, float* out) {
  for (int v = 0; v < F; v += W) {
    VecF<W> sum{};
    for (int c = 0; c < D; ++c) {
      const VecF<W> below = load<W>(group + c * F + v) - q[c];
      const VecF<W> above = q[c] - load<W>(group + (D + c) * F + v);
      const VecF<W> gap = vmax<W>(vmax<W>(below, above), VecF<W>{});
      sum += gap * gap;
    }
    store<W>(out + v, sum);
  }
}

// Squared distances from q to the 16 points of a block: (q - p)^2 summed in coordinate order,
// as the scalar distance in box_tree_build.cpp.
template <int W, int D>
inline void point_distances(const float* block, const float* q, float* out) {
  for (int v = 0; v < F; v += W) {
    VecF<W> sum{};
    for (int c = 0; c < D; ++c) {
      const VecF<W> diff = q[c] - load<W>(block + c * F + v);
      sum += diff * diff;
    }
    store<W>(out + v, sum);
  }
}

template <int W>
inline unsigned within(const float* dist, float bound) {
  unsigned bits = 0;
  for (int v = 0; v < F; v += W) bits |= le_bits<W>(load<W>(dist + v), splat<W>(bound)) << v;
  return bits;
}

// Candidate keys: the squared distance's bits (non-negative floats order as their bits) above
// the training index, so keys order as (distance, index).
inline uint64_t key_of(float dist, uint32_t index) {
  uint32_t bits;
  __builtin_memcpy(&bits, &dist, sizeof bits);
  return uint64_t(bits) << 32 | index;
}

inline void swap_keys(uint64_t* a, uint64_t* b) {
  const uint64_t t = *a;
  *a = *b;
  *b = t;
}

// Rearranges keys[0, n) so that keys[k - 1] is the k-th smallest and none before it is larger
// (quickselect, median of three pivots; keys are distinct).
inline void select_smallest(uint64_t* keys, int n, int k) {
  int lo = 0, hi = n - 1;
  while (hi > lo) {
    const int mid = lo + (hi - lo) / 2;
    if (keys[mid] < keys[lo]) swap_keys(&keys[mid], &keys[lo]);
    if (keys[hi] < keys[lo]) swap_keys(&keys[hi], &keys[lo]);
    if (keys[hi] < keys[mid]) swap_keys(&keys[hi], &keys[mid]);
    const uint64_t pivot = keys[mid];
    int i = lo, j = hi;
    while (i <= j) {
      while (keys[i] < pivot) ++i;
      while (pivot < keys[j]) --j;
      if (i <= j) swap_keys(&keys[i++], &keys[j--]);
    }
    if (k - 1 <= j)
      hi = j;
    else if (k - 1 >= i)
      lo = i;
    else
      return;
  }
}

struct Search {
  const BoxTreeView* tree;
  const float* q;
  float bound;
  int k, cap, shrink_at, count;
  float* dist;
  uint32_t* slot;  // the candidates' places in the tree: block * 16 + lane
  uint64_t* keys;
  bool overflow;
};

// The rank of each candidate distance among all (how many are smaller), W at a time against
// each in turn: no branches, where a selection branches on every comparison. Tied distances
// share a rank. Pads dist to a multiple of W with +inf (the scratch has room).
template <int W>
void rank_distances(float* dist, int count, int* rank) {
  for (int i = count; i % W; ++i) dist[i] = __builtin_inff();
  for (int v = 0; v < count; v += W) {
    const VecF<W> mine = load<W>(dist + v);
    VecI<W> below{};
    for (int j = 0; j < count; ++j) below -= splat<W>(dist[j]) < mine;  // a true comparison is -1
    __builtin_memcpy(rank + v, &below, sizeof below);                   // the padding lanes too: rank has room
  }
}

// The k smallest (distance, training index) keys of the candidates, sorted, at the front of keys.
inline void select_by_key(const BoxTreeView& tree, const float* dist, const uint32_t* slot, int count, int k,
                          uint64_t* keys) {
  for (int i = 0; i < count; ++i) keys[i] = key_of(dist[i], tree.index[slot[i]]);
  select_smallest(keys, count, k);
  for (int i = 1; i < k; ++i)  // insertion sort of the k smallest
    for (int j = i; j > 0 && keys[j] < keys[j - 1]; --j) swap_keys(&keys[j], &keys[j - 1]);
}

inline float distance_of(uint64_t key) {
  const uint32_t bits = uint32_t(key >> 32);
  float dist;
  __builtin_memcpy(&dist, &bits, sizeof dist);
  return dist;
}

// Lowers the bound to the k-th smallest candidate distance and drops the candidates beyond it
// (ties at the bound stay: all of them may still be among the k).
template <int W>
void shrink(Search& s) {
  // The candidates ranked below k are those no farther than the k-th smallest distance, ties or
  // not: the largest of them is that distance.
  int* rank = reinterpret_cast<int*>(s.keys);  // keys is free scratch here
  rank_distances<W>(s.dist, s.count, rank);
  VecF<W> largest{};  // the padding ranks count (>= k): it never enters
  for (int v = 0; v < s.count; v += W) {
    VecI<W> r;
    __builtin_memcpy(&r, rank + v, sizeof r);
    largest = vmax<W>(largest, r < s.k ? load<W>(s.dist + v) : VecF<W>{});
  }
  s.bound = hmax<W>(largest);
  int kept = 0;
#if defined(__AVX512F__)
  if constexpr (W == 16) {
    for (int v = 0; v < s.count; v += W) {
      const unsigned bits = within<W>(s.dist + v, s.bound) & first_bits(s.count - v);
      _mm512_mask_compressstoreu_ps(s.dist + kept, __mmask16(bits), __m512(load<W>(s.dist + v)));
      _mm512_mask_compressstoreu_epi32(s.slot + kept, __mmask16(bits), _mm512_loadu_si512(s.slot + v));
      kept += __builtin_popcount(bits);
    }
  }
#endif
  if constexpr (W != 16) {
    for (int i = 0; i < s.count; ++i) {
      s.dist[kept] = s.dist[i];
      s.slot[kept] = s.slot[i];
      kept += s.dist[i] <= s.bound;
    }
  }
  s.count = kept;
  // Many ties at the bound: shrink again only once the candidates have doubled.
  if (2 * kept > s.shrink_at) s.shrink_at = 2 * kept < s.cap - 2 * F ? 2 * kept : s.cap - 2 * F;
}

template <int W, int D>
inline void scan_block(Search& s, int block) {
  alignas(64) float dist[F];
  point_distances<W, D>(s.tree->points + long(block) * D * F, s.q, dist);
  const unsigned bits = within<W>(dist, s.bound);
  if (!bits) return;
  if (s.count + 2 * F > s.cap) {  // room for this block, and for rank_distances' padding
    s.overflow = true;
    return;
  }
  const uint32_t first = uint32_t(block) * F;
#if defined(__AVX512F__)
  if constexpr (W == 16) {
    const __m512i slots = _mm512_add_epi32(_mm512_set1_epi32(int(first)),
                                           _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    _mm512_mask_compressstoreu_ps(s.dist + s.count, __mmask16(bits), __m512(load<W>(dist)));
    _mm512_mask_compressstoreu_epi32(s.slot + s.count, __mmask16(bits), slots);
    s.count += __builtin_popcount(bits);
  }
#endif
  if constexpr (W != 16) {
    for (int j = 0; j < F; ++j) {  // branch-free: every lane written, the kept ones counted
      s.dist[s.count] = dist[j];
      s.slot[s.count] = first + uint32_t(j);
      s.count += (bits >> j) & 1;
    }
  }
  if (s.count > s.shrink_at) shrink<W>(s);
}

// Every point within the bound, depth first from the top group, without recursion: a stack of
// the groups being walked, each with its boxes' distances and the children still to visit.
// Children go nearest first, so a loose bound (a query far from where its row's neighbours
// were one step earlier, or the first block's alone) meets the true neighbours early and is
// soon lowered to them; a child is skipped if the bound has since dropped below its box.
template <int W, int D>
void visit_all(Search& s) {
  const BoxTreeView& tree = *s.tree;
  struct Frame {
    alignas(64) float dist[F];
    unsigned bits;
    int level, group;
  };
  Frame stack[kBoxTreeMaxLevels];
  auto open = [&](Frame& f, int level, int group) {
    f.level = level;
    f.group = group;
    box_distances<W, D>(tree.boxes[level] + long(group) * 2 * D * F, s.q, f.dist);
    f.bits = within<W>(f.dist, s.bound) & first_bits(tree.count[level] - group * F);
  };
  int depth = 0;
  open(stack[0], tree.n_levels - 1, 0);
  while (depth >= 0) {
    Frame& f = stack[depth];
    if (!f.bits || s.overflow) {
      --depth;
      continue;
    }
    int j = lowest_bit(f.bits);  // the nearest child left
    for (unsigned rest = f.bits & (f.bits - 1); rest; rest &= rest - 1)
      if (f.dist[lowest_bit(rest)] < f.dist[j]) j = lowest_bit(rest);
    f.bits &= ~(1u << j);
    if (!(f.dist[j] <= s.bound)) continue;
    const int child = f.group * F + j;
    if (f.level == 0)
      scan_block<W, D>(s, child);
    else
      open(stack[++depth], f.level - 1, child);
  }
}

// With no bound: descend to the block whose box is nearest at every level, and bound by the
// k-th nearest of that block's points and the following blocks' (any k points bound the k-th
// nearest distance).
template <int W, int D>
float first_bound(Search& s) {
  const BoxTreeView& tree = *s.tree;
  alignas(64) float dist[F];
  int node = 0;
  for (int level = tree.n_levels - 1; level >= 0; --level) {
    box_distances<W, D>(tree.boxes[level] + long(node) * 2 * D * F, s.q, dist);
    const int children = tree.count[level] - node * F < F ? tree.count[level] - node * F : F;
    int best = 0;
    for (int j = 1; j < children; ++j)
      if (dist[j] < dist[best]) best = j;
    node = node * F + best;
  }
  const int n_blocks = tree.count[0];
  int found = 0;
  for (int b = 0; found < s.k && b < n_blocks; ++b) {
    const int block = (node + b) % n_blocks;
    point_distances<W, D>(tree.points + long(block) * D * F, s.q, dist);
    for (int j = 0; j < F && long(block) * F + j < tree.n; ++j)
      s.keys[found++] = key_of(dist[j], tree.index[block * F + j]);
  }
  select_smallest(s.keys, found, s.k);
  return distance_of(s.keys[s.k - 1]);
}

// The neighbour at a tree slot: its training index, and its coordinates into points if wanted.
template <int D>
inline void take(const BoxTreeView& tree, uint32_t slot, int* neighbor, float* points) {
  *neighbor = int(tree.index[slot]);
  if (points)
    for (int c = 0; c < D; ++c) points[c] = tree.points[(long(slot / F) * D + c) * F + slot % F];
}

template <int W, int D>
int search(const BoxTreeView& tree, const float* query, float bound_sq, int k, int* neighbors, float* points,
           float* cand_dist, uint32_t* cand_slot, uint64_t* keys, int cap) {
  const bool unbounded = !(bound_sq < __builtin_inff());
  Search s{&tree, query, bound_sq, k, cap, box_shrink_at(k), 0, cand_dist, cand_slot, keys, false};
  if (cap < s.shrink_at + 2 * F) return 0;
  if (unbounded) s.bound = first_bound<W, D>(s);
  if (!(s.bound < __builtin_inff())) return -1;  // NaN or overflowing distances
  visit_all<W, D>(s);
  if (s.overflow) return 0;
  if (s.count < k) return -1;
  // Without ties, exactly k candidates rank below k, each rank once. A tie among them leaves a
  // rank unfilled, a tie at the k-th distance lets more than k in: then the training index must
  // decide.
  int* rank = reinterpret_cast<int*>(keys);
  rank_distances<W>(cand_dist, s.count, rank);
  uint64_t filled = 0;
  int taken = 0;
  if (k <= 64)
    for (int i = 0; i < s.count; ++i)
      if (rank[i] < k) {
        take<D>(tree, cand_slot[i], neighbors + rank[i], points ? points + rank[i] * D : nullptr);
        filled |= uint64_t(1) << rank[i];
        ++taken;
      }
  if (k > 64 || taken != k || filled != (k == 64 ? ~uint64_t(0) : (uint64_t(1) << k) - 1)) {
    select_by_key(tree, cand_dist, cand_slot, s.count, k, keys);
    for (int i = 0; i < k; ++i) {
      // Back from the key's training index to the candidate's slot (ties only: rare).
      int c = 0;
      while (tree.index[cand_slot[c]] != uint32_t(keys[i])) ++c;
      take<D>(tree, cand_slot[c], neighbors + i, points ? points + i * D : nullptr);
    }
  }
  return 1;
}

// The largest squared distance from q to k points (k x D, row-major), each summed as
// point_distances does. Four running maxima side by side (a maximum is exact in any order), not
// one chain; a NaN sum is passed over, as std::max(bound, sum) passes it over. Scalar: copying
// the points into vector lanes through memory costs more than the arithmetic.
template <int D>
inline float distance_sq(const float* q, const float* p) {
  float sum = 0.0f;
  for (int c = 0; c < D; ++c) {
    const float diff = q[c] - p[c];
    sum += diff * diff;
  }
  return sum;
}

inline float larger(float sum, float best) { return sum > best ? sum : best; }

template <int D>
float farthest(const float* q, const float* points, int k) {
  float best[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  int j = 0;
  for (; j + 4 <= k; j += 4)
    for (int u = 0; u < 4; ++u) best[u] = larger(distance_sq<D>(q, points + (j + u) * D), best[u]);
  for (; j < k; ++j) best[0] = larger(distance_sq<D>(q, points + j * D), best[0]);
  return larger(larger(best[0], best[1]), larger(best[2], best[3]));
}

template <int W>
float farthest_any(const float* query, const float* points, int k, int dim) {
  return with_dim(dim, __builtin_nanf(""), [&](auto d) { return farthest<decltype(d)::value>(query, points, k); });
}

template <int W>
int search_any(const BoxTreeView& tree, const float* query, float bound_sq, int k, int* neighbors, float* points,
               float* cand_dist, uint32_t* cand_slot, uint64_t* keys, int cap) {
  return with_dim(tree.dim, -1, [&](auto d) {
    return search<W, decltype(d)::value>(tree, query, bound_sq, k, neighbors, points, cand_dist, cand_slot, keys, cap);
  });
}

inline const BoxSearchTable& table() {
  static const BoxSearchTable t = {&search_any<CFDM_BOX_WIDTH>, &farthest_any<CFDM_BOX_WIDTH>};
  return t;
}

}  // namespace CFDM_BOX_NAMESPACE
}  // namespace cfdm
