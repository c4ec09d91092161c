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

class SamplingJob {
 public:
  explicit SamplingJob(int n_threads);
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

 private:
  void run(std::shared_ptr<const TrainingSet> train, SamplerParams params, uint64_t generation);
  void stop_worker();

  ThreadPool pool_;
  std::thread worker_;
  std::atomic<bool> cancel_{false}, paused_{false};
  std::atomic<int> step_requests_{0};
  mutable std::mutex mutex_;
  Snapshot published_;
  uint64_t generation_ = 0;
};

}  // namespace cfdm::app
