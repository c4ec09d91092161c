#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/neighbors.hpp"
#include "core/rng.hpp"
#include "core/training_set.hpp"

namespace cfdm::eval {

double sliced_wasserstein2(const MatrixXfR& a, const MatrixXfR& b, int n_directions, uint64_t seed) {
  if (a.rows() != b.rows() || a.cols() != b.cols() || a.rows() == 0)
    throw Error("sliced Wasserstein-2 needs two non-empty sets of the same shape (got " + std::to_string(a.rows()) +
                " x " + std::to_string(a.cols()) + " and " + std::to_string(b.rows()) + " x " +
                std::to_string(b.cols()) + ")");
  const Eigen::Index n = a.rows(), d = a.cols();
  Rng rng(seed, 0x5157);
  std::vector<double> pa(n), pb(n), direction(d);
  double total = 0;
  for (int r = 0; r < n_directions; ++r) {
    double norm_sq = 0;
    for (double& v : direction) {
      v = rng.normal();
      norm_sq += v * v;
    }
    for (double& v : direction) v /= std::sqrt(norm_sq);
    for (Eigen::Index i = 0; i < n; ++i) {
      pa[i] = pb[i] = 0;
      for (Eigen::Index c = 0; c < d; ++c) {
        pa[i] += direction[c] * a(i, c);
        pb[i] += direction[c] * b(i, c);
      }
    }
    std::sort(pa.begin(), pa.end());
    std::sort(pb.begin(), pb.end());
    double w2_sq = 0;
    for (Eigen::Index i = 0; i < n; ++i) w2_sq += (pa[i] - pb[i]) * (pa[i] - pb[i]);
    total += w2_sq / n;
  }
  return std::sqrt(total / n_directions);
}

Nearest nearest_training(const TrainingSet& train, const MatrixXfR& samples, int k, ThreadPool& pool,
                         const NeighborIndex* given) {
  if (samples.cols() != train.dim())
    throw Error("samples have dimension " + std::to_string(samples.cols()) + " but the training set has " +
                std::to_string(train.dim()));
  k = std::min(k, train.n());
  const int n = int(samples.rows()), d = train.dim();
  MatrixXfR centered = samples;
  for (int c = 0; c < d; ++c) centered.col(c).array() -= train.mean()[c];
  Nearest out;
  out.k = k;
  out.index.resize(size_t(n) * k);
  out.distance.resize(size_t(n) * k);
  std::unique_ptr<NeighborIndex> own;
  if (!given) own = std::make_unique<NeighborIndex>(train, NeighborSearch::automatic, &pool);
  const NeighborIndex& index = given ? *given : *own;
  index.find(centered.data(), n, d, k, out.index.data(), pool);
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < k; ++j) {
      double dist_sq = 0;
      for (int c = 0; c < d; ++c) {
        const double diff = double(samples(r, c)) - train.coordinate(out.index[size_t(r) * k + j], c);
        dist_sq += diff * diff;
      }
      out.distance[size_t(r) * k + j] = std::sqrt(dist_sq);
    }
  return out;
}

NearestStats nearest_stats(const Nearest& nearest, double copy_threshold, double ratio_threshold) {
  if (nearest.k < 2) throw Error("nearest_stats needs the two nearest training points of each sample");
  const size_t n = nearest.index.size() / nearest.k;
  if (n == 0) throw Error("no samples to measure");
  std::vector<double> first(n);
  NearestStats stats;
  for (size_t r = 0; r < n; ++r) {
    first[r] = nearest.distance[r * nearest.k];
    const double second = nearest.distance[r * nearest.k + 1];
    if (first[r] < copy_threshold) stats.copy_share += 1.0 / n;
    if (first[r] < ratio_threshold * second) stats.ratio_share += 1.0 / n;
  }
  std::sort(first.begin(), first.end());
  for (int q = 0; q < 7; ++q) stats.quantile[q] = first[size_t(std::lround(NearestStats::kQuantiles[q] * (n - 1)))];
  return stats;
}

SpacingMeasure::SpacingMeasure(const TrainingSet& train, int max_points, int kth, const NeighborIndex* index)
    : train_(train), kth_(kth), index_(index) {
  if (train.n() < 2) return;  // no spacing: 0
  if (kth < 1 || kth >= train.n())
    throw Error("typical spacing: kth = " + std::to_string(kth) + " needs 1 <= kth < N = " + std::to_string(train.n()));
  step_ = (train.n() + max_points - 1) / max_points;
  m_ = (train.n() + step_ - 1) / step_;
  spacing_.reserve(size_t(m_));
}

SpacingMeasure::~SpacingMeasure() = default;

bool SpacingMeasure::measure(int count, ThreadPool& pool) {
  const int r0 = next_, r1 = int(std::min<int64_t>(m_, int64_t(next_) + std::max(count, 0)));
  if (r1 > r0) {
    if (!index_ && !own_) {
      own_ = std::make_unique<NeighborIndex>(train_, NeighborSearch::automatic, &pool);
      index_ = own_.get();
    }
    MatrixXfR points(r1 - r0, train_.dim());
    for (int r = r0; r < r1; ++r)
      for (int k = 0; k < train_.dim(); ++k) points(r - r0, k) = train_.coordinate(r * step_, k);
    const Nearest nearest = nearest_training(train_, points, kth_ + 1, pool, index_);
    // the first neighbour is the point itself (or a duplicate)
    for (int r = r0; r < r1; ++r) spacing_.push_back(nearest.distance[size_t(r - r0) * (kth_ + 1) + kth_]);
    next_ = r1;
  }
  return done();
}

double SpacingMeasure::spacing() {
  if (m_ == 0) return 0.0;
  if (!done()) throw Error("the typical spacing is not measured yet");
  std::vector<double> sorted = spacing_;
  std::nth_element(sorted.begin(), sorted.begin() + m_ / 2, sorted.end());
  return sorted[size_t(m_ / 2)];
}

double typical_spacing(const TrainingSet& train, ThreadPool& pool, int max_points, int kth,
                       const NeighborIndex* index) {
  SpacingMeasure measure(train, max_points, kth, index);
  measure.measure(std::numeric_limits<int>::max(), pool);
  return measure.spacing();
}

std::vector<std::pair<int, double>> top_posterior_weights(const TrainingSet& train, const float* z, double t,
                                                          int count) {
  if (!(t >= 0 && t < 1)) throw Error("posterior weights need t in [0, 1)");
  const int n = train.n(), d = train.dim();
  std::vector<double> logit(static_cast<size_t>(n));
  const double scale = 1.0 / (2.0 * (1.0 - t) * (1.0 - t));
  for (int i = 0; i < n; ++i) {
    double sq = 0;
    for (int k = 0; k < d; ++k) {
      const double diff = double(z[k]) - t * double(train.coordinate(i, k));
      sq += diff * diff;
    }
    logit[size_t(i)] = -sq * scale;
  }
  const double top = *std::max_element(logit.begin(), logit.end());
  double total = 0;
  for (double& l : logit) total += (l = std::exp(l - top));
  std::vector<std::pair<int, double>> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out[size_t(i)] = {i, logit[size_t(i)] / total};
  count = std::clamp(count, 0, n);
  std::partial_sort(out.begin(), out.begin() + count, out.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  out.resize(size_t(count));
  return out;
}

double copy_threshold(const TrainingSet& train, ThreadPool& pool, double* spacing, const NeighborIndex* index) {
  const double measured = typical_spacing(train, pool, kCopySpacingPoints, 1, index);
  if (spacing) *spacing = measured;
  return copy_threshold_of_spacing(measured);
}

}  // namespace cfdm::eval
