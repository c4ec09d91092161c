// Runs a Sampler on a worker thread and publishes its states step by step, so a UI thread can
// draw trajectories live without ever waiting for a step. Platform-free (std::thread), so the
// same job runs natively and in the browser (pthreads).
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/neighbors.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "data/pca.hpp"
#include "eval/metrics.hpp"

namespace cfdm::app {

// What a run samples from. Building one can take a while (loading images, fitting a PCA), so it
// happens on the worker; a model is reused by the next run when its key is unchanged.
struct Model {
  std::shared_ptr<const TrainingSet> train;  // the space sampled in (points, pixels or PCA latents)
  MatrixXfR points;                          // 2-D data: the training points as given, to draw
  // Image data: the training images in pixel space (shown beside the samples), their size, and
  // the PCA that decodes latents to pixels (null in pixel space).
  std::shared_ptr<const TrainingSet> pixels;
  std::shared_ptr<const data::Pca> pca;
  int image_width = 0, image_height = 0;
  // A sample nearer than this to a training point, in the sampling space, is a copy. Negative from
  // a builder: the job measures it (eval::copy_threshold; without threads a few points a frame).
  double copy_threshold = 0;
  // Point data: an index of the training points, built once, that finds each finished sample's
  // nearest training point (images scan instead, at every step).
  std::shared_ptr<const NeighborIndex> index;
  std::string description;  // e.g. "MNIST digits 3, 5: 2,000 images, PCA 64 (86% of the variance)"
  bool is_image() const { return pixels != nullptr; }
};
using ModelBuilder = std::function<Model(ThreadPool&)>;  // throws cfdm::Error on bad input

// One sampler of a run: a comparison runs several from the same noise (same seed, samples, steps),
// each under its name.
struct Variant {
  std::string name;
  SamplerParams params;
  // The estimated cost of one step (seconds, or any unit the run's variants share): a comparison
  // runs its models cheapest first, each to its end, so the fast rows finish while a slow model
  // samples on.
  double step_cost = 1;
};

// What the worker has published: the latest states, after `step` steps (t = time(step)).
struct Snapshot {
  std::shared_ptr<const Model> model;
  MatrixXfR states;  // B x d in the sampling space (a comparison: G blocks of B rows, one a model)
  // A comparison: its models' names, in the order of their blocks (empty: one model), and the step
  // each block of `states` is at: each model steps on its own, so a fast one finishes first and
  // `step` is the step they all have taken.
  std::vector<std::string> groups;
  std::vector<int> group_steps;
  int group_step(size_t g) const { return g < group_steps.size() ? group_steps[g] : step; }
  bool group_done(size_t g) const { return group_step(g) >= n_steps; }
  // Rows per model block: n rows of a per-row list (the states, the nearest distances) split over
  // the comparison's models (all of them without one).
  size_t group_rows(size_t n) const { return n / (groups.empty() ? 1 : groups.size()); }
  // The states after each recorded step (every step while they fit in the history budget),
  // oldest first: history[i] holds z at step history_steps[i] (a comparison: once every model
  // has taken it). Shared, never modified.
  std::vector<std::shared_ptr<const MatrixXfR>> history;
  std::vector<int> history_steps;
  // Image models: the states in pixel space. Each sample's nearest training point and its
  // distance (in the sampling space): at every step for images, once done for point data.
  MatrixXfR pixels;
  std::vector<int> nearest;
  std::vector<double> nearest_distance;
  int step = 0, first_step = 0, n_steps = 0;
  // t at steps 0 .. n_steps on the run's time grid (made once a run; shared, never modified)
  std::shared_ptr<const std::vector<double>> times;
  // t at step n (0 before a run).
  double time(int n) const { return times && n >= 0 && size_t(n) < times->size() ? (*times)[size_t(n)] : 0.0; }
  bool done = false;
  double seconds = 0;       // wall time since the run started
  // Point data, once done: the states z before the last step (at t = (S-1)/S) and that step's
  // smoothing draws eps (row m B + b; empty when sigma = 0): the sample b is the average over m
  // of the posterior mean at z_b + sigma eps_(m B + b).
  std::shared_ptr<const MatrixXfR> last_inputs, last_draws;
  std::string status;       // what the worker is doing before the first step ("loading MNIST")
  std::string error;        // non-empty when the run failed (bad parameters): shown, never thrown
  uint64_t generation = 0;  // increments with every start(): tells a stale snapshot from a new one
};

// background: a worker thread steps the sampler (native, and browsers with threads).
// foreground: advance() steps it on the calling thread within a time budget, once per frame
// (the browser build without threads, for pages that are not cross-origin isolated).
enum class JobMode { background, foreground };

class SamplingJob {
 public:
  // Bytes of states the history keeps per run; beyond it, steps are recorded at a stride.
  static constexpr size_t kHistoryBytes = size_t(64) << 20;
  // Foreground mode: the copy threshold's points measured at a time (each a scan of the training set).
  static constexpr int kSpacingPointsPerPiece = 4;
  // The status published while a run's training set is built (the app may say what takes the time).
  static constexpr const char* kPreparing = "preparing the training set";

  SamplingJob(int n_threads, JobMode mode = JobMode::background);
  ~SamplingJob();  // cancels and joins

  // Cancels any running sampler (it stops within one kernel tile) and starts a new run with
  // params on the model that build() returns (or the previous model, if model_key is unchanged).
  // Returns at once: a model build under way (not interruptible) finishes on the worker first.
  void start(const std::string& model_key, ModelBuilder build, const SamplerParams& params);
  // A comparison (images): the variants sampled from the same noise, each stepping on its own
  // (the one with the least work left first), their states published as one block each.
  void start(const std::string& model_key, ModelBuilder build, std::vector<Variant> variants);
  // A run on a training set of plain points.
  void start(std::shared_ptr<const TrainingSet> train, const SamplerParams& params);
  void cancel();  // never waits
  // Pauses between steps; `single_step` while paused advances one step.
  void set_paused(bool paused);
  void single_step();

  // Copies the latest snapshot into *out if it is newer than out's (step or generation); cheap
  // otherwise. Returns true when it copied.
  bool latest(Snapshot* out) const;
  // The generation of the last start() (a snapshot of an earlier one is stale).
  uint64_t generation() const;
  int threads() const { return pool_.size(); }
  JobMode mode() const { return mode_; }

  // Foreground mode: runs steps until budget_seconds have passed (at least one step when one is
  // due). Before a run's first step, its preparation in pieces (the model built; its copy
  // threshold measured, a few points at a time; the samplers made and step n0 published): one
  // piece a call at least, more while the budget lasts, then steps in what is left of it, so that
  // no frame holds much more than the budget and a quick preparation shows its first step at
  // once. Background mode: does nothing.
  void advance(double budget_seconds);

 private:
  struct Run;
  void run(std::string model_key, ModelBuilder build, std::vector<Variant> variants, uint64_t generation,
           const std::atomic<bool>& cancel);
  std::unique_ptr<Run> begin(const std::string& model_key, const ModelBuilder& build,
                             const std::vector<Variant>& variants, uint64_t generation);
  bool step(Run* run);
  void stop_worker();
  void publish(Run* run, const std::string& error, uint64_t generation);
  void publish_status(const std::string& status, uint64_t generation);
  bool step_due();  // not paused, or a single step was asked for (and is now taken)

  JobMode mode_;
  ThreadPool pool_;
  std::unique_ptr<Run> foreground_;  // foreground mode's run
  void prepare_foreground(double budget_seconds);
  void cancel_preparation();
  // Background mode: one worker thread, and the request it takes next (the newest only).
  struct Request {
    std::string model_key;
    ModelBuilder build;
    std::vector<Variant> variants;
    uint64_t generation = 0;
    std::shared_ptr<std::atomic<bool>> cancel;
  };
  void worker_loop();
  std::thread worker_;
  std::mutex request_mutex_;
  std::condition_variable request_cv_;
  std::optional<Request> pending_;
  // Foreground mode: the run being prepared, its model while its copy threshold is measured.
  std::optional<Request> preparing_;
  std::unique_ptr<Model> unmeasured_;
  std::unique_ptr<eval::SpacingMeasure> measuring_;
  bool quit_ = false;
  // The latest run's cancel flag; each run has its own, so a new run never un-cancels an old one.
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> paused_{false};
  std::atomic<int> step_requests_{0};
  // The last model built, reused while its key stays the same (guarded by model_mutex_).
  std::mutex model_mutex_;
  std::string model_key_;
  std::shared_ptr<const Model> model_;
  mutable std::mutex mutex_;
  Snapshot published_;
  uint64_t generation_ = 0;
};

}  // namespace cfdm::app
