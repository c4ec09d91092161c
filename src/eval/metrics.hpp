// Measures of what a sampler produced: distances between sample sets, nearness to training data.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/types.hpp"

namespace cfdm {
class TrainingSet;
class ThreadPool;
class NeighborIndex;
}  // namespace cfdm

namespace cfdm::eval {

// The k nearest training points of each sample (exact search), with Euclidean distances
// (not squared) computed in double: row r holds sample r's neighbours, nearest first.
struct Nearest {
  int k = 0;
  std::vector<int> index;        // n_samples x k
  std::vector<double> distance;  // n_samples x k
};
// index, when given, is a NeighborIndex of train (built once and reused, e.g. by the app at every
// finished run); else one is built for the call.
Nearest nearest_training(const TrainingSet& train, const MatrixXfR& samples, int k, ThreadPool& pool,
                         const NeighborIndex* index = nullptr);

// Sliced Wasserstein-2 distance between two point sets of equal size and dimension: the root
// mean over n_directions random unit directions (seeded) of the squared 1-D W2 distance between
// the projections (sorted projections, matched in order). Throws cfdm::Error on mismatched shapes.
double sliced_wasserstein2(const MatrixXfR& a, const MatrixXfR& b, int n_directions = 256, uint64_t seed = 0);

// How near a set of points lies to the training set.
struct NearestStats {
  static constexpr double kQuantiles[7] = {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0};
  double quantile[7];      // of the nearest-training-point distance, at kQuantiles
  double copy_share = 0;   // share with nearest distance below the copy threshold
  double ratio_share = 0;  // share with nearest / second-nearest distance below the ratio threshold
};
// nearest must hold k >= 2 neighbours per point.
NearestStats nearest_stats(const Nearest& nearest, double copy_threshold, double ratio_threshold = 1.0 / 3.0);

// The typical spacing of the training set: the median distance from a training point to its
// nearest other training point (over an evenly spaced subset of at most max_points points); with
// kth > 1, to its kth nearest other (the scale of its kth-neighbourhoods). 1 <= kth < N.
double typical_spacing(const TrainingSet& train, ThreadPool& pool, int max_points = 2000, int kth = 1,
                       const NeighborIndex* index = nullptr);

// typical_spacing measured a few points at a time (the single-thread app spreads the copy threshold
// over frames): measure(count) takes the next `count` points; once done(), spacing() is what
// typical_spacing returns for the same arguments, bit for bit.
class SpacingMeasure {
 public:
  SpacingMeasure(const TrainingSet& train, int max_points, int kth = 1, const NeighborIndex* index = nullptr);
  ~SpacingMeasure();
  bool measure(int count, ThreadPool& pool);  // true when every point is measured
  bool done() const { return next_ >= m_; }
  double spacing();

 private:
  const TrainingSet& train_;
  int kth_, step_ = 1, m_ = 0, next_ = 0;
  const NeighborIndex* index_;
  std::unique_ptr<NeighborIndex> own_;  // when none is given, made once
  std::vector<double> spacing_;
};

// What counts as a copy, everywhere (the app's meter and frames, the CLI's picture, cfdm eval): a
// sample nearer than this to a training point, measured in the space sampled in. A tenth of the
// training set's typical spacing, estimated over kCopySpacingPoints evenly spaced training points
// (few enough for the single-thread web app to measure a few a frame as it prepares a dataset,
// SpacingMeasure). *spacing, when given, receives that typical spacing.
constexpr int kCopySpacingPoints = 64;
double copy_threshold(const TrainingSet& train, ThreadPool& pool, double* spacing = nullptr,
                      const NeighborIndex* index = nullptr);
// The copy threshold from a finished SpacingMeasure(train, kCopySpacingPoints, 1, index).
inline double copy_threshold_of_spacing(double spacing) { return spacing / 10; }

// The posterior weights softmax_i(-|z - t x_i|^2 / (2 (1 - t)^2)) of one point z at time t in
// [0, 1) (method.md section 2), in double precision over every training point: the `count`
// largest, largest first, as (index, weight).
std::vector<std::pair<int, double>> top_posterior_weights(const TrainingSet& train, const float* z, double t,
                                                          int count);

}  // namespace cfdm::eval
