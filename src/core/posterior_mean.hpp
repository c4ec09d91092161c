// The denoiser behind the sampler: D_t(q), the posterior mean of the training set's points given
// a noised point q at time t (method.md section 2), exact or estimated. Each estimator is one
// implementation owning its state (an index, what it keeps between steps); the sampler, the
// smoothing (sampler.hpp), the command line's velocity and the app's velocity field all evaluate
// D through this interface, so they follow the same field. make_posterior_mean (sampler.hpp)
// builds the one a SamplerParams asks for.
#pragma once
#include <cstdint>
#include <memory>

#include "core/kernel.hpp"
#include "core/knn.hpp"
#include "core/training_set.hpp"

namespace cfdm {

class ThreadPool;

class PosteriorMean {
 public:
  explicit PosteriorMean(const TrainingSet& train) : train_(train) {}
  virtual ~PosteriorMean() = default;
  PosteriorMean(const PosteriorMean&) = delete;
  PosteriorMean& operator=(const PosteriorMean&) = delete;

  const TrainingSet& train() const { return train_; }
  // D_t of n_queries rows of queries (data coordinates, row stride `stride` floats) into out (row
  // stride out_stride), t in [0, 1). When the queries perturb n_points points (row m n_points + b
  // perturbs row b of points), points holds them (else null): an estimator may use them (the
  // nearest-neighbour estimator's shared neighbours). step >= 0: the sampler's step, which keys
  // random streams and what is kept from one step to the next; -1: a one-off evaluation. Returns
  // false if cancelled (out is then incomplete).
  virtual bool evaluate(const float* queries, int n_queries, int stride, double t, int step, float* out, int out_stride,
                        const float* points = nullptr, int n_points = 0) = 0;

 private:
  const TrainingSet& train_;
};

// The exact posterior mean: one streaming pass over all N training points (kernel.hpp).
std::unique_ptr<PosteriorMean> make_exact_posterior_mean(const TrainingSet& train, ThreadPool& pool,
                                                         const KernelOptions& kernel = {});
// The nearest-neighbour estimator (knn.hpp, method.md section 5) with its index, built on pool;
// its draws come from seed. Throws cfdm::Error when the options do not fit the training set.
std::unique_ptr<PosteriorMean> make_knn_posterior_mean(const TrainingSet& train, const KnnOptions& options,
                                                       uint64_t seed, ThreadPool& pool,
                                                       const KernelOptions& kernel = {});

}  // namespace cfdm
