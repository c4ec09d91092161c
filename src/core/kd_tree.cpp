// The kd-tree search of NeighborIndex (neighbor_structures.hpp): nanoflann over the tree's own
// dense copy of the points, with ties broken by training index.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <nanoflann.hpp>
#include <vector>

#include "core/neighbor_structures.hpp"

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
    for (int i = 0; i < train.n(); ++i) train.centered_row(i, &points[size_t(i) * d]);
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

}  // namespace

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

}  // namespace cfdm
