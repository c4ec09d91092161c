#include "core/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/gaussian.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {

SamplerParams default_sampler_params() { return SamplerParams{}; }

void validate(const SamplerParams& p) {
  auto fail = [](const std::string& message) { throw Error(message); };
  if (p.n_samples < 1) fail("n-samples must be at least 1 (got " + std::to_string(p.n_samples) + ")");
  if (p.n_steps < 1) fail("steps must be at least 1 (got " + std::to_string(p.n_steps) + ")");
  if (!(p.start_t >= 0.0 && p.start_t < 1.0)) fail("start-t must be in [0, 1) (got " + std::to_string(p.start_t) + ")");
  if (!std::isfinite(p.sigma) || p.sigma < 0.0)
    fail("sigma must be a finite number >= 0 (got " + std::to_string(p.sigma) + ")");
  if (p.n_draws < 1) fail("draws must be at least 1 (got " + std::to_string(p.n_draws) + ")");
  if (p.schedule == Schedule::ddim && p.n_steps > kDdpmTrainingSteps)
    fail("the ddim schedule takes at most " + std::to_string(kDdpmTrainingSteps) + " steps (got " +
         std::to_string(p.n_steps) + ")");
  if (int64_t(p.n_draws) * p.n_samples > (int64_t(1) << 31) / 4)
    fail("n-samples x draws = " + std::to_string(int64_t(p.n_draws) * p.n_samples) +
         " is too large: reduce n-samples or draws");
}

double data_radius(const TrainingSet& train) {
  float largest = 0.0f;
  for (int i = 0; i < train.n(); ++i) largest = std::max(largest, train.norms_sq()[i]);
  return std::sqrt(double(largest));
}

std::string data_scale_note(double radius, int n_steps, double start_t) {
  char text[400];
  const double last_noise = (1.0 - start_t) / std::max(n_steps, 1);
  if (radius > 1000)
    std::snprintf(text, sizeof text,
                  "the training data's radius is %.3g (the largest distance of a point from their mean), far "
                  "beyond the unit noise the flow starts from: the noise is lost next to the data, and the samples "
                  "collapse onto a few training points. Rescale the data to about unit size (divide by %.3g)",
                  radius, radius);
  else if (radius > 0 && radius < 0.1 && radius < 10 * last_noise)
    std::snprintf(text, sizeof text,
                  "the training data's radius is %.3g (the largest distance of a point from their mean), below the "
                  "noise still left at the last of the %d steps (%.3g): the samples stop short of the data's detail. "
                  "Rescale the data to about unit size (divide by %.3g), or take more steps",
                  radius, n_steps, last_noise, radius);
  else
    return "";
  return text;
}

void check_sigma(const TrainingSet& train, double sigma) {
  if (train.is_part() || !(sigma > 0)) return;
  const double radius = data_radius(train);
  if (radius > 0 && sigma > kMaxSigmaRadii * radius) {
    char text[320];
    std::snprintf(text, sizeof text,
                  "sigma = %g is more than %g times the training data's radius (%.3g, the largest distance of a "
                  "training point from their mean): so far out, float32 distances no longer tell the training "
                  "points apart. Choose sigma <= %.4g",
                  sigma, kMaxSigmaRadii, radius, kMaxSigmaRadii * radius);
    throw Error(text);
  }
}

std::unique_ptr<PosteriorMean> make_posterior_mean(const TrainingSet& train, const SamplerParams& params,
                                                   ThreadPool& pool) {
  const ModelOptions& model = params.denoiser;
  validate(model, train.dim());
  if (params.estimator == Estimator::knn && !takes_knn_estimator(model.model))
    throw Error(std::string("the nearest-neighbour estimator serves the cfdm and local models only (got the ") +
                model_name(model.model) + " model): drop --estimator knn");
  std::unique_ptr<PosteriorMean> mean;
  switch (model.model) {
    case Model::wiener: return make_wiener_posterior_mean(train, pool, params.kernel.isa);
    case Model::nearest: return make_nearest_posterior_mean(train, pool, params.kernel);
    case Model::local:
      mean = params.estimator == Estimator::knn
                 ? make_local_knn_posterior_mean(train, model.image, model.patch, params.knn, params.seed, pool,
                                                 params.kernel)
                 : make_local_posterior_mean(train, model.image, model.patch, pool, params.kernel.isa);
      break;
    case Model::pca_local:
      mean = make_pca_local_posterior_mean(
          train, model.mask_threshold >= 0 ? model.mask_threshold : kDefaultMaskThreshold, pool, params.kernel.isa);
      break;
    case Model::cfdm:
      mean = params.estimator == Estimator::knn
                 ? make_knn_posterior_mean(train, params.knn, params.seed, pool, params.kernel)
                 : make_exact_posterior_mean(train, pool, params.kernel);
      break;
  }
  return make_tempered_posterior_mean(std::move(mean), model.temperature);
}

bool smoothed_posterior_mean(PosteriorMean& mean, const float* points, int n_points, double t, double sigma,
                             const float* eps, int n_draws, float* out, int step) {
  const int d = mean.train().dim();
  if (sigma == 0.0 || eps == nullptr || n_draws <= 0) return mean.evaluate(points, n_points, d, t, step, out, d);
  // Queries z_b + sigma eps_{m,b}, row m B + b.
  const size_t per_draw = size_t(n_points) * d;
  std::vector<float> queries(per_draw * n_draws), means(per_draw * n_draws);
  const float s = static_cast<float>(sigma);
  for (int m = 0; m < n_draws; ++m)
    for (size_t i = 0; i < per_draw; ++i) queries[m * per_draw + i] = points[i] + s * eps[m * per_draw + i];
  if (!mean.evaluate(queries.data(), n_points * n_draws, d, t, step, means.data(), d, points, n_points)) return false;
  // Dbar = (1/M) sum_m D(z + sigma eps_m), summed in the fixed order m = 0 .. M-1.
  for (size_t i = 0; i < per_draw; ++i) {
    float sum = 0.0f;
    for (int m = 0; m < n_draws; ++m) sum += means[m * per_draw + i];
    out[i] = sum / float(n_draws);
  }
  return true;
}

bool smoothed_velocity(PosteriorMean& mean, const float* points, int n_points, double t, double sigma, const float* eps,
                       int n_draws, float* out, int step) {
  if (!smoothed_posterior_mean(mean, points, n_points, t, sigma, eps, n_draws, out, step)) return false;
  // vbar = (Dbar - z) / (1 - t): the unperturbed z is subtracted (method.md section 3).
  const float inv = static_cast<float>(1.0 / (1.0 - t));
  for (size_t i = 0; i < size_t(n_points) * mean.train().dim(); ++i) out[i] = (out[i] - points[i]) * inv;
  return true;
}

uint64_t sampler_memory_bytes(const SamplerParams& params, int64_t dim, int64_t n_train) {
  const int64_t b = std::max(params.n_samples, 0), m = params.sigma > 0 ? std::max(params.n_draws, 1) : 0;
  int64_t floats = b * dim * (4 + m);  // states, denoised, draws, the initial noise and the kernels' copies
  if (params.estimator == Estimator::knn) {
    // The index: a tree's copy of the points and their order (and while the box tree is built, a
    // second copy it reorders and a spare one its partitions write to).
    const NeighborSearch search = resolved_search(params.knn.search, dim);
    if (search == NeighborSearch::box_tree) floats += n_train * (3 * dim + 4);
    if (search == NeighborSearch::kd_tree) floats += n_train * (dim + 2);
    if (search == NeighborSearch::brute_force || search == NeighborSearch::ivf) {
      // The exact scan's bytes (scan_u8.cpp): per row its magnitude and residual bound, and
      // for a set in the column layout above kPackedScanMinDim dimensions a copy of the rows in
      // bytes, twice (as rows, and packed); the IVF index's copy of the rows in cell order (at
      // most the set's own size) and their order.
      const int64_t stride = (dim + TrainingSet::kPad - 1) / TrainingSet::kPad * TrainingSet::kPad,
                    n_padded = (n_train + TrainingSet::kPad - 1) / TrainingSet::kPad * TrainingSet::kPad;
      floats += 3 * n_padded;
      if (dim > kPackedScanMinDim && dim <= TrainingSet::kColumnsMaxDim) floats += n_padded * stride / 2;
      if (search == NeighborSearch::ivf) floats += n_train * (stride + 2);
    }
    // The neighbours kept from one step to the next (KnnMemory): K per query row (B M of them,
    // and B more for shared neighbours), with their coordinates where it keeps them.
    const int64_t rows = b * std::max<int64_t>(m, 1) + (m > 0 && !params.knn.neighbors_per_draw ? b : 0);
    floats += rows * params.knn.k * (1 + (knn_memory_keeps_points(dim) ? dim : 0));
  }
  // The Gaussian models' statistics (a d x d basis in double, and for pca-local the gain, its
  // normalized copy and the masks while they are built).
  if (params.denoiser.model == Model::wiener) floats += 2 * dim * dim;
  if (params.denoiser.model == Model::pca_local) floats += 9 * dim * dim;
  return uint64_t(floats) * sizeof(float);  // 64 bits: size_t is 32 in WebAssembly
}

Sampler::Sampler(const TrainingSet& train, const SamplerParams& params, ThreadPool& pool)
    : Sampler(train, params, pool, nullptr) {}

Sampler::Sampler(const TrainingSet& train, const SamplerParams& params, ThreadPool& pool,
                 std::unique_ptr<PosteriorMean> mean)
    : train_(train), pool_(pool), mean_(std::move(mean)), params_(params) {
  validate(params_);
  check_sigma(train_, params_.sigma);
  if (!mean_) mean_ = make_posterior_mean(train_, params_, pool_);
  const int b_count = params_.n_samples, d = train_.dim();
  if (params_.schedule != Schedule::flow) times_ = time_grid(params_.schedule, params_.n_steps);
  if (params_.schedule == Schedule::flow) {
    first_step_ = static_cast<int>(std::lround(params_.start_t * params_.n_steps));
  } else {  // the grid time nearest T (ties to the later one)
    first_step_ = 0;
    for (int n = 1; n < params_.n_steps; ++n)
      if (std::abs(times_[size_t(n)] - params_.start_t) <= std::abs(times_[size_t(first_step_)] - params_.start_t))
        first_step_ = n;
  }
  if (first_step_ >= params_.n_steps) first_step_ = params_.n_steps - 1;
  step_ = first_step_;
  const double start = time(first_step_);
  // z_T = T x_i + (1 - T) xi, i uniform: the exact marginal of the sigma = 0 flow (T = 0: noise).
  // The ddim grid starts from the reference framework's pure noise instead.
  const double noise_scale = initial_noise_scale(params_.schedule, params_.n_steps);
  states_.resize(b_count, d);
  if (first_step_ > 0) {  // the drawn training points first (the denoiser may have to fetch them)
    std::vector<int> drawn(size_t(b_count), 0);
    for (int b = 0; b < b_count; ++b)
      drawn[size_t(b)] = int(Rng(params_.seed, uint64_t(b), uint64_t(Stream::initial_noise))
                                 .uniform_index(uint32_t(mean_->total_points())));
    mean_->training_points(drawn.data(), b_count, states_.data());
  }
  for (int b = 0; b < b_count; ++b) {
    Rng rng(params_.seed, uint64_t(b), uint64_t(Stream::initial_noise));
    if (first_step_ > 0) rng.uniform_index(uint32_t(mean_->total_points()));  // drawn above
    for (int k = 0; k < d; ++k) {
      const double xi = rng.normal();
      states_(b, k) = first_step_ > 0 ? float(start * states_(b, k) + (1.0 - start) * xi) : float(noise_scale * xi);
    }
  }
  denoised_.resize(b_count, d);
  if (params_.sigma > 0.0) {
    draws_.resize(int64_t(params_.n_draws) * b_count, d);
    if (params_.draw_mode == DrawMode::per_trajectory) fill_draws(uint64_t(Stream::draws));
  }
}

Sampler::~Sampler() = default;

void Sampler::fill_draws(uint64_t substream) {
  const int b_count = params_.n_samples, d = train_.dim();
  for (int b = 0; b < b_count; ++b) {
    Rng rng(params_.seed, uint64_t(b), substream);
    for (int m = 0; m < params_.n_draws; ++m)
      for (int k = 0; k < d; ++k) draws_(int64_t(m) * b_count + b, k) = float(rng.normal());
  }
}

bool Sampler::step() {
  if (done()) return false;
  const int b_count = params_.n_samples, d = train_.dim();
  if (params_.sigma > 0.0 && params_.draw_mode == DrawMode::per_step)
    fill_draws(uint64_t(Stream::draws) + (uint64_t(step_ + 1) << 8));
  const float* eps = params_.sigma > 0.0 ? draws_.data() : nullptr;
  if (!smoothed_posterior_mean(*mean_, states_.data(), b_count, t(), params_.sigma, eps, params_.n_draws,
                               denoised_.data(), step_))
    return false;
  const int remaining = params_.n_steps - step_;  // S - n
  if (remaining == 1) {
    states_ = denoised_;  // the last step lands exactly on Dbar (method.md section 4)
  } else {
    // (t_{n+1} - t_n) / (1 - t_n): on the flow grid exactly 1 / (S - n).
    const float inv = params_.schedule == Schedule::flow
                          ? 1.0f / float(remaining)
                          : float((time(step_ + 1) - time(step_)) / (1.0 - time(step_)));
    for (int64_t i = 0; i < int64_t(b_count) * d; ++i)
      states_.data()[i] += (denoised_.data()[i] - states_.data()[i]) * inv;
  }
  ++step_;
  return true;
}

}  // namespace cfdm
