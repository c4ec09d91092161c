// The retrieval baseline of the analytic family (analytic-family.md, "nearest"): D_t(z) = x_k,
// k = argmin_i |z - t x_i|, the nearest training point to z / t (ties to the lower index; at t = 0
// every point ties and x_0 is returned).
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/neighbors.hpp"
#include "core/posterior_mean.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

class NearestPosteriorMean final : public PosteriorMean {
 public:
  NearestPosteriorMean(const TrainingSet& train, ThreadPool& pool, const KernelOptions& kernel)
      : PosteriorMean(train), pool_(pool), kernel_(kernel), index_(train, NeighborSearch::automatic, &pool) {}

  bool evaluate(const float* queries, int n_queries, int stride, double t, int, float* out, int out_stride,
                const float*, int) override {
    const int d = train().dim();
    std::vector<int> nearest;
    std::vector<float> scaled;
    if (!find(queries, n_queries, stride, t, &nearest, &scaled)) return false;
    for (int q = 0; q < n_queries; ++q)
      for (int k = 0; k < d; ++k) out[size_t(q) * out_stride + k] = train().coordinate(nearest[size_t(q)], k);
    return true;
  }

  // On a part of a training set, a query's state is its nearest row there: the squared distance
  // (in double), the row's index in the whole set, and the row. The merge keeps the nearest of the
  // parts' (ties to the lower index), so a set split into parts picks one process's point unless
  // two lie within float rounding of the same distance.
  Parts parts() const override { return Parts::merged; }
  size_t state_bytes() const override { return 2 * sizeof(double) + sizeof(float) * size_t(train().dim()); }
  bool evaluate_states(const float* queries, int n_queries, int stride, double t, unsigned char* states) override {
    const int d = train().dim();
    std::vector<int> nearest;
    std::vector<float> scaled;
    if (!find(queries, n_queries, stride, t, &nearest, &scaled)) return false;
    for (int q = 0; q < n_queries; ++q) {
      const int i = nearest[size_t(q)];
      double dist_sq = 0;
      for (int k = 0; t > 0 && k < d; ++k) {
        const double diff = double(scaled[size_t(q) * d + k]) - double(train().centered(i, k));
        dist_sq += diff * diff;
      }
      const double where[2] = {dist_sq, double(train().part().first_row + i)};
      unsigned char* state = states + size_t(q) * state_bytes();
      std::memcpy(state, where, sizeof where);
      for (int k = 0; k < d; ++k) {
        const float x = train().coordinate(i, k);
        std::memcpy(state + sizeof where + sizeof(float) * size_t(k), &x, sizeof x);
      }
    }
    return true;
  }
  void merge_states(const unsigned char* const* parts, int n_parts, int n_queries, float* out,
                    int out_stride) const override {
    const int d = train().dim();
    for (int q = 0; q < n_queries; ++q) {
      const unsigned char* best = nullptr;
      double best_where[2] = {0, 0};
      for (int p = 0; p < n_parts; ++p) {
        const unsigned char* state = parts[p] + size_t(q) * state_bytes();
        double where[2];
        std::memcpy(where, state, sizeof where);
        if (!best || where[0] < best_where[0] || (where[0] == best_where[0] && where[1] < best_where[1])) {
          best = state;
          std::memcpy(best_where, where, sizeof where);
        }
      }
      std::memcpy(out + size_t(q) * out_stride, best + sizeof best_where, sizeof(float) * size_t(d));
    }
  }

 private:
  // Each query's nearest training row (0 at t = 0, where all tie), and z / t in the index's
  // centred coordinates (scaled; empty at t = 0).
  bool find(const float* queries, int n_queries, int stride, double t, std::vector<int>* nearest,
            std::vector<float>* scaled) {
    const int d = train().dim();
    nearest->assign(size_t(std::max(n_queries, 0)), 0);
    scaled->clear();
    if (!(t > 0)) return true;
    scaled->resize(size_t(std::max(n_queries, 0)) * d);
    const double inv = 1.0 / t;
    for (int q = 0; q < n_queries; ++q)
      for (int k = 0; k < d; ++k)
        (*scaled)[size_t(q) * d + k] = float(double(queries[size_t(q) * stride + k]) * inv) - train().mean()[size_t(k)];
    return index_.find(scaled->data(), n_queries, d, 1, nearest->data(), pool_, kernel_);
  }

  ThreadPool& pool_;
  KernelOptions kernel_;
  NeighborIndex index_;
};

}  // namespace

std::unique_ptr<PosteriorMean> make_nearest_posterior_mean(const TrainingSet& train, ThreadPool& pool,
                                                           const KernelOptions& kernel) {
  return std::make_unique<NearestPosteriorMean>(train, pool, kernel);
}

}  // namespace cfdm
