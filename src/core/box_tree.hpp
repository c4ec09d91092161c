// A box tree for exact k-nearest-neighbour search in low dimension (method.md section 5): the
// training points in blocks of 16, the blocks' bounding boxes in groups of 16, those groups'
// boxes in groups of 16, and so on up to one group. A search with a bound on the k-th distance
// (e.g. the farthest of a moving query's neighbours one step earlier) tests the 16 boxes of a
// group, and the 16 points of a block, in a few vector instructions, where a binary kd-tree
// takes a branch per node and per point. Built in box_tree_build.cpp; searched by the per-ISA code
// of box_search_impl.hpp. Plain data only here (see kernel_job.hpp for why).
#pragma once
#include <cstdint>

namespace cfdm {

constexpr int kBoxFan = 16;            // points per block, children per group
constexpr int kBoxTreeMaxDim = 8;      // dimensions compiled into the search
constexpr int kBoxTreeMaxLevels = 10;  // 16^10 points

struct BoxTreeView {
  int dim, n, n_levels;
  // Block b holds coordinate c of its points at points[(b * dim + c) * kBoxFan + j], NaN past
  // the last point; index[b * kBoxFan + j] is that point's training index.
  const float* points;
  const uint32_t* index;
  // Level 0's nodes are the blocks, level l + 1's nodes are groups of 16 level-l nodes; the top
  // level has at most 16. Group g of level l: the low corners of its nodes' boxes (dim x 16,
  // coordinate-major) then the high corners, at boxes[l] + g * 2 * dim * kBoxFan.
  const float* boxes[kBoxTreeMaxLevels];
  int count[kBoxTreeMaxLevels];  // nodes at level l
};

// The search keeps at most this many candidates before it lowers its bound to the k-th nearest
// of them (more only when many are tied); it needs scratch for that many plus 2 kBoxFan.
inline int box_shrink_at(int k) { return 2 * k > 24 ? 2 * k : 24; }

struct BoxSearchTable {
  // The k nearest points of query (dim floats, the tree's coordinates), nearest first, ties to
  // the lower training index, into neighbors, and their coordinates (k x dim) into points unless
  // it is null. bound_sq: a squared distance known to be at least
  // the k-th nearest's (computed as the search does: (q - p)^2 summed over coordinates in order,
  // in float), or +infinity for none. Scratch: cap floats, cap uint32 and cap uint64.
  // Returns 1 when done; 0 when cap is too small (at least box_shrink_at(k) + 2 kBoxFan, and
  // max(n, box_shrink_at(k)) + 2 kBoxFan always suffices); -1 when fewer than k points compare
  // within reach (a NaN query, squared distances overflowing).
  int (*search)(const BoxTreeView& tree, const float* query, float bound_sq, int k, int* neighbors, float* points,
                float* cand_dist, uint32_t* cand_slot, uint64_t* keys, int cap);
  // The largest squared distance from query to k points (k x dim), each computed as the search
  // computes distances (a bound_sq for the search when those are k distinct training points).
  float (*farthest)(const float* query, const float* points, int k, int dim);
};

}  // namespace cfdm
