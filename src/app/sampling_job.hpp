// Runs a Sampler on a worker thread and publishes its states step by step, so a UI thread can
// draw trajectories live without ever waiting for a step. Platform-free (std::thread), so the
// same job runs natively and in the browser (pthreads).
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"

namespace cfdm::app {

// What the worker has published: the states after `step` steps (t = step / n_steps).
struct Snapshot {
  MatrixXfR states;
  int step = 0, first_step = 0, n_steps = 0;
  bool done = false;
  double seconds = 0;       // wall time since the run started
  std::string error;        // non-empty when the run failed (bad parameters): shown, never thrown
  uint64_t generation = 0;  // increments with every start(): tells a stale snapshot from a new one
};

// background: a worker thread steps the sampler (native, and browsers with threads).
// foreground: advance() steps it on the calling thread within a time budget, once per frame
// (the browser build without threads, for pages that are not cross-origin isolated).
enum class JobMode { background, foreground };

class SamplingJob {
 public:
  SamplingJob(int n_threads, JobMode mode = JobMode::background);
  ~SamplingJob();  // cancels and joins

  // Cancels any running sampler (it stops within one kernel tile) and starts a new run on train
  // with params. train is shared: the job keeps it alive while it samples.
  void start(std::shared_ptr<const TrainingSet> train, const SamplerParams& params);
  void cancel();
  // Pauses between steps; `single_step` while paused advances one step.
  void set_paused(bool paused);
  void single_step();

  // Copies the latest snapshot into *out if it is newer than out's (step or generation); cheap
  // otherwise. Returns true when it copied.
  bool latest(Snapshot* out) const;
  int threads() const { return pool_.size(); }
  JobMode mode() const { return mode_; }

  // Foreground mode: runs steps until budget_seconds have passed (at least one step when one is
  // due). Background mode: does nothing.
  void advance(double budget_seconds);

 private:
  void run(std::shared_ptr<const TrainingSet> train, SamplerParams params, uint64_t generation);
  void stop_worker();
  void publish(const Sampler* sampler, const std::string& error, uint64_t generation, double seconds);
  bool step_due();  // not paused, or a single step was asked for (and is now taken)

  JobMode mode_;
  ThreadPool pool_;
  // Foreground mode's sampler and what it needs.
  std::shared_ptr<const TrainingSet> foreground_train_;
  std::unique_ptr<Sampler> foreground_;
  uint64_t foreground_generation_ = 0;
  double foreground_seconds_ = 0;
  std::thread worker_;
  std::atomic<bool> cancel_{false}, paused_{false};
  std::atomic<int> step_requests_{0};
  mutable std::mutex mutex_;
  Snapshot published_;
  uint64_t generation_ = 0;
};

}  // namespace cfdm::app
