// The denoiser behind the sampler: D_t(q), the posterior mean of the training set's points given
// a noised point q at time t (method.md section 2), exact or estimated. Each estimator is one
// implementation owning its state (an index, what it keeps between steps); the sampler, the
// smoothing (sampler.hpp), the command line's velocity and the app's velocity field all evaluate
// D through this interface, so they follow the same field. make_posterior_mean (sampler.hpp)
// builds the one a SamplerParams asks for.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/kernel.hpp"
#include "core/knn.hpp"
#include "core/training_set.hpp"

namespace cfdm {

class ThreadPool;

// The analytic family (analytic-family.md): which denoiser stands in for the trained network.
enum class Model {
  cfdm,       // the exact posterior mean (sigma = 0) and sigma-CFDM: softmax over whole rows
  wiener,     // the Gaussian (linear) denoiser of the data's mean and covariance
  local,      // the same-location patch posterior: a softmax per pixel over P x P windows
  pca_local,  // the PCA-locality denoiser: a softmax per pixel over a mask from the Wiener gain
  nearest,    // the nearest training point (the retrieval baseline)
};

struct ModelOptions {
  Model model = Model::cfdm;
  double temperature = 1.0;    // tau > 0 dividing the logits of the softmax models (cfdm, local, pca-local)
  ImageShape image;            // local: the rows' image shape, height x width x channels = d
  int patch = 0;               // local: an odd P >= 1 for a constant P x P window; 0: the schedule P(t)
  double mask_threshold = -1;  // pca-local: in [0, 1]; < 0: kDefaultMaskThreshold
};

constexpr double kDefaultMaskThreshold = 0.005;  // the reference framework's MNIST setting

// Whether the nearest-neighbour estimator (knn.hpp) serves the model: cfdm and local.
inline bool takes_knn_estimator(Model model) { return model == Model::cfdm || model == Model::local; }

const char* model_name(Model model);  // "cfdm", "wiener", "local", "pca-local", "nearest"
// Parses a model's name. Throws cfdm::Error naming the choices.
Model parse_model(const std::string& name);
// Throws cfdm::Error unless tau is a finite number >= kMinTemperature. Colder than that, the
// softmax is its largest logit's one-hot anyway, and the rescaled time (temperature.cpp) comes so
// close to 1 that float32 no longer resolves it: on moons the exact model's samples all came out
// as the data's mean from tau = 1e-12.
constexpr double kMinTemperature = 1e-6;
void check_temperature(double tau);
// "must be a finite number >= 1e-06 (got <got>): ...": the rule check_temperature holds, for messages.
std::string temperature_rule(const std::string& got);
// Throws cfdm::Error naming the first option that does not fit a model on rows of dimension dim.
void validate(const ModelOptions& options, int dim);

// The local model's window at time t: options.patch, or the schedule P(t), from a large window
// early to 3 x 3 late: 27 / 15 / 9 / 5 / 3 for t below 0.2 / 0.45 / 0.7 / 0.9 / above on 28 x 28
// images (analytic-family.md), scaled with the image's larger side (odd, at least 1).
int local_patch_size(const ImageShape& image, int patch, double t);

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

  // How the denoiser runs on a training set that is one part of a larger one (TrainingSet::Part),
  // each part in its own process (cli/mpi.cpp):
  //   whole_only   it needs the whole set in one process (the nearest-neighbour estimator);
  //   independent  each part evaluates it alone: what it uses of the data is already the whole
  //                set's (the Wiener model's mean and covariance);
  //   merged       each part gives every query a state of state_bytes() over its rows
  //                (evaluate_states), and the states of all parts, merged in part order
  //                (merge_states), give D: one part gives evaluate's result bit for bit.
  enum class Parts { whole_only, independent, merged };
  virtual Parts parts() const { return Parts::whole_only; }
  virtual size_t state_bytes() const { return 0; }
  virtual bool evaluate_states(const float* /*queries*/, int /*n_queries*/, int /*stride*/, double /*t*/,
                               unsigned char* /*states*/) {
    return false;
  }
  virtual void merge_states(const unsigned char* const* /*parts*/, int /*n_parts*/, int /*n_queries*/, float* /*out*/,
                            int /*out_stride*/) const {}

  // The training points D sums over: how many, and rows of them as stored (data coordinates,
  // count x d into out) by index. The sampler's start at T draws from them. A denoiser over one
  // part of a training set split across processes (cli/mpi.cpp) answers for the whole set.
  virtual int total_points() const { return train_.n(); }
  virtual void training_points(const int* indices, int count, float* out) const {
    const int d = train_.dim();
    for (int j = 0; j < count; ++j)
      for (int k = 0; k < d; ++k) out[size_t(j) * d + k] = train_.coordinate(indices[j], k);
  }

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

// The nearest training point to z / t (analytic-family.md, "nearest"): the retrieval baseline,
// which only ever returns training points. Its index is built on pool.
std::unique_ptr<PosteriorMean> make_nearest_posterior_mean(const TrainingSet& train, ThreadPool& pool,
                                                           const KernelOptions& kernel = {});

// A softmax model with temperature tau > 0 (its logits divided by tau): inner evaluated at the
// query z / s and time t / s, s = t + (1 - t) sqrt(tau) (temperature.cpp). tau = 1 returns inner
// itself. Throws cfdm::Error for tau <= 0 or not finite.
std::unique_ptr<PosteriorMean> make_tempered_posterior_mean(std::unique_ptr<PosteriorMean> inner, double tau);

// The local patch model (local_model.cpp) on rows of the given image shape; patch as in
// ModelOptions; its kernel for `isa` (the same bits on every one). Throws cfdm::Error when the
// shape does not match the training set, or the instruction set is not available.
std::unique_ptr<PosteriorMean> make_local_posterior_mean(const TrainingSet& train, const ImageShape& image, int patch,
                                                         ThreadPool& pool, Isa isa = Isa::best);
// The local model with the nearest-neighbour estimator (local_model.cpp): each query's softmaxes
// over its K nearest training images of z/t plus L drawn from the rest, weighted (N - K)/L; its
// index built on pool, its draws from seed. Throws cfdm::Error when the options do not fit.
std::unique_ptr<PosteriorMean> make_local_knn_posterior_mean(const TrainingSet& train, const ImageShape& image,
                                                             int patch, const KnnOptions& options, uint64_t seed,
                                                             ThreadPool& pool, const KernelOptions& kernel = {});
// The PCA-locality model (pca_local_model.cpp) with the mask threshold thr in [0, 1].
std::unique_ptr<PosteriorMean> make_pca_local_posterior_mean(const TrainingSet& train, double threshold,
                                                             ThreadPool& pool, Isa isa = Isa::best);

}  // namespace cfdm
