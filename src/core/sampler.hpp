// The smoothed closed-form diffusion model (sigma-CFDM) and its Euler sampler.
//
// C. Scarvelis, H. Saez de Ocariz Borde, J. Solomon, "Closed-Form Diffusion Models",
// TMLR 2025 (arXiv 2310.12395). Conventions and formulas: method.md. Time runs from noise
// (t = 0) to data (t = 1); x_t = t x1 + (1 - t) x0.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/kernel.hpp"
#include "core/knn.hpp"
#include "core/posterior_mean.hpp"
#include "core/schedule.hpp"
#include "core/types.hpp"

namespace cfdm {

class ThreadPool;

// How the smoothing draws eps_m are chosen (method.md section 3, a [choice]).
enum class DrawMode {
  per_trajectory,  // drawn once per trajectory and reused at every step (default)
  per_step,        // drawn afresh at every step
};

// How the posterior mean is evaluated.
enum class Estimator {
  exact,  // all N training points, one streaming pass (method.md section 2)
  knn,    // K nearest neighbours + L uniform draws (method.md section 5)
};

struct SamplerParams {
  int n_samples = 1000;  // B, trajectories sampled together; >= 1
  int n_steps = 100;     // S, Euler steps over [0, 1] on the schedule's grid; >= 1
  Schedule schedule = Schedule::flow;  // flow: t_n = n / S; ddim: the reference framework's grid
  double start_t = 0.0;  // T in [0, 1): start at the exact sigma = 0 marginal at T, rounded
                         // to the grid (flow: n0 = round(T S)) (method.md section 4)
  double sigma = 0.0;    // smoothing scale, in data units; >= 0 (0: the exact, memorizing model)
  int n_draws = 1;       // M, draws per evaluation of the smoothed posterior mean; >= 1
  DrawMode draw_mode = DrawMode::per_trajectory;
  uint64_t seed = 0;  // same seed, same samples, on every thread count
  ModelOptions denoiser;  // which denoiser: the cfdm model (default) or another of the analytic family
  Estimator estimator = Estimator::exact;  // how the cfdm model is evaluated
  KnnOptions knn;        // used when estimator == knn
  KernelOptions kernel;  // kernel path, instruction set, cancel flag
};

SamplerParams default_sampler_params();

// Throws cfdm::Error naming the first invalid field.
void validate(const SamplerParams& params);

// sigma against the data: more than kMaxSigmaRadii times the training set's radius R (the largest
// distance of a training point from their mean) puts every smoothed query z + sigma eps so far out
// that float32 distances no longer tell the training points apart. On 1,000 moons points (R =
// 1.66) the instruction sets' samples differ in the second decimal at sigma = 10^6; at 10^8 most
// samples come out as the data's mean, and at 10^30 all of them, silently. An expanded squared
// distance carries an error ~ sigma^2 d 2^-24 against differences ~ sigma sqrt(d) R between
// points, so the answers go at sigma ~ 10^7 R / sqrt(d), and the limit keeps a factor of 10^3 or
// more below that. Throws cfdm::Error naming the largest sigma kept. A set of identical points
// (R = 0) takes any sigma: every answer is that point. A part of a training set (cli/mpi.cpp) is
// not checked: its radius is not the whole set's.
constexpr double kMaxSigmaRadii = 1000;
void check_sigma(const TrainingSet& train, double sigma);

// The training set's radius R: the largest distance of a training point from their mean.
double data_radius(const TrainingSet& train);

// A note (empty if none) for data whose scale the flow's unit noise does not suit (the sampler
// still runs: its answers are right, but hardly what was wanted). Far above 1 (R > 1,000), the
// noise is lost next to the data and the samples collapse onto a few training points (on moons
// scaled to R = 1,630, 400 samples end on 15 of 200 points; at R = 163, on 153). Small (R <
// 0.1) and below ten times the noise left at the last of n_steps steps from start_t (1 - start_t)
// / n_steps, the samples stop short of the data's detail (moons at R = 0.0016, 100 steps: no
// copies, 5 points nearest). Both: rescale the data to about unit size.
std::string data_scale_note(double radius, int n_steps, double start_t);

// What a Sampler with these parameters takes for points of dimension dim (states, smoothing draws,
// denoised states; the nearest-neighbour index for n_train points), before it is built.
uint64_t sampler_memory_bytes(const SamplerParams& params, int64_t dim, int64_t n_train);

// The posterior mean these parameters ask for (the cfdm model by the exact kernel or the
// nearest-neighbour estimator, with params.kernel's options, or another model of the analytic
// family, with its temperature): the one implementation a sampler, the command line's velocity and
// the app's velocity field all use. Keeps references to train and pool. Throws cfdm::Error when
// the model's options do not fit the training set.
std::unique_ptr<PosteriorMean> make_posterior_mean(const TrainingSet& train, const SamplerParams& params,
                                                   ThreadPool& pool);

// Smoothed posterior mean Dbar_t(z) = (1/M) sum_m D_t(z + sigma eps_m) (method.md section 3)
// for B points z (B x d, row-major), D evaluated by mean. eps holds M x B x d draws (row (m B + b)
// for point b), ignored when sigma == 0 or M == 0 (then M = 1 and eps = 0). step: as in
// PosteriorMean::evaluate (-1 for a one-off evaluation). Returns false if cancelled.
bool smoothed_posterior_mean(PosteriorMean& mean, const float* points, int n_points, double t, double sigma,
                             const float* eps, int n_draws, float* out, int step = -1);

// Smoothed velocity vbar_t(z) = (Dbar_t(z) - z) / (1 - t) of the same arguments.
bool smoothed_velocity(PosteriorMean& mean, const float* points, int n_points, double t, double sigma, const float* eps,
                       int n_draws, float* out, int step = -1);

// Streams a batch of trajectories from noise to samples, one Euler step per call:
//   z_{n+1} = z_n + (t_{n+1} - t_n) (Dbar_{t_n}(z_n) - z_n) / (1 - t_n),
// on the flow grid t_n = n / S the factor 1 / (S - n), the last step landing exactly on
// Dbar(z_{S-1}) (method.md section 4). On the ddim grid the first state is the reference
// framework's pure noise in flow coordinates, eps / (sqrt(ab_0) + sqrt(1 - ab_0)).
class Sampler {
 public:
  // Keeps references to train and pool: both must outlive the sampler.
  Sampler(const TrainingSet& train, const SamplerParams& params, ThreadPool& pool);
  // The same with the denoiser given (over train: a part of a set split across processes, say)
  // instead of the one make_posterior_mean builds from params.
  Sampler(const TrainingSet& train, const SamplerParams& params, ThreadPool& pool, std::unique_ptr<PosteriorMean> mean);
  ~Sampler();

  int first_step() const { return first_step_; }  // n0
  int step_index() const { return step_; }        // n: states() holds z at t = t_n
  int n_steps() const { return params_.n_steps; }
  double t() const { return time(step_); }
  // t_n, n in [0, S]: n / S on the flow grid (not stored: S may be 10^9), else the stored grid.
  double time(int n) const { return times_.empty() ? double(n) / params_.n_steps : times_[size_t(n)]; }
  bool done() const { return step_ >= params_.n_steps; }
  const SamplerParams& params() const { return params_; }

  // Advances every trajectory one step. Returns false (states unchanged) if cancelled through
  // params.kernel.cancel, and when already done.
  bool step();
  // Runs the remaining steps, calling progress(step) after each; stops early when it returns false.
  template <class Progress>
  bool run(Progress&& progress) {
    while (!done()) {
      if (!step() || !progress(step_)) return false;
    }
    return true;
  }

  const MatrixXfR& states() const { return states_; }  // B x d, data coordinates
  // The smoothing draws eps of the current step, row m B + b (empty when sigma == 0).
  const MatrixXfR& draws() const { return draws_; }

 private:
  void fill_draws(uint64_t substream);

  const TrainingSet& train_;
  ThreadPool& pool_;
  std::unique_ptr<PosteriorMean> mean_;  // the denoiser: exact, or estimated
  SamplerParams params_;
  int first_step_ = 0, step_ = 0;
  std::vector<double> times_;  // t_0 ... t_S of the ddim grid (empty on the flow grid)
  MatrixXfR states_, draws_, denoised_;
};

}  // namespace cfdm
