// The retrieval baseline of the analytic family (analytic-family.md, "nearest"): D_t(z) = x_k,
// k = argmin_i |z - t x_i|, the nearest training point to z / t (ties to the lower index; at t = 0
// every point ties and x_0 is returned).
#include <algorithm>
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
    std::vector<int> nearest(size_t(std::max(n_queries, 0)), 0);
    if (t > 0) {
      // z / t in the index's centred coordinates.
      std::vector<float> scaled(size_t(std::max(n_queries, 0)) * d);
      const double inv = 1.0 / t;
      for (int q = 0; q < n_queries; ++q)
        for (int k = 0; k < d; ++k)
          scaled[size_t(q) * d + k] = float(double(queries[size_t(q) * stride + k]) * inv) - train().mean()[size_t(k)];
      if (!index_.find(scaled.data(), n_queries, d, 1, nearest.data(), pool_, kernel_)) return false;
    }
    for (int q = 0; q < n_queries; ++q)
      for (int k = 0; k < d; ++k) out[size_t(q) * out_stride + k] = train().coordinate(nearest[size_t(q)], k);
    return true;
  }

 private:
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
