#include "app/sampling_job.hpp"

#include <chrono>

#include "core/error.hpp"

namespace cfdm::app {

SamplingJob::SamplingJob(int n_threads, JobMode mode)
    : mode_(mode), pool_(mode == JobMode::foreground ? 1 : n_threads) {}

SamplingJob::~SamplingJob() { stop_worker(); }

void SamplingJob::stop_worker() {
  cancel_ = true;
  if (worker_.joinable()) worker_.join();
  cancel_ = false;
}

void SamplingJob::cancel() { stop_worker(); }

void SamplingJob::set_paused(bool paused) { paused_ = paused; }

void SamplingJob::single_step() { ++step_requests_; }

void SamplingJob::start(std::shared_ptr<const TrainingSet> train, const SamplerParams& params) {
  stop_worker();
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation = ++generation_;
  }
  step_requests_ = 0;
  if (mode_ == JobMode::background) {
    worker_ = std::thread([this, train, params, generation] { run(train, params, generation); });
    return;
  }
  foreground_.reset();
  foreground_train_ = train;
  foreground_generation_ = generation;
  foreground_seconds_ = 0;
  try {
    foreground_ = std::make_unique<Sampler>(*foreground_train_, params, pool_);
    publish(foreground_.get(), "", generation, 0);
  } catch (const Error& error) {
    publish(nullptr, error.what(), generation, 0);
  }
}

bool SamplingJob::step_due() {
  if (!paused_) return true;
  if (step_requests_ == 0) return false;
  --step_requests_;
  return true;
}

void SamplingJob::advance(double budget_seconds) {
  if (mode_ != JobMode::foreground || !foreground_) return;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  // At least one step when one is due, then more while the budget lasts.
  bool first = true;
  while (!foreground_->done() && (first || elapsed() < budget_seconds) && step_due()) {
    first = false;
    foreground_->step();
    publish(foreground_.get(), "", foreground_generation_, foreground_seconds_ + elapsed());
  }
  foreground_seconds_ += elapsed();
}

void SamplingJob::publish(const Sampler* sampler, const std::string& error, uint64_t generation, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != generation_) return;
  if (sampler) {
    published_.states = sampler->states();
    published_.step = sampler->step_index();
    published_.first_step = sampler->first_step();
    published_.n_steps = sampler->n_steps();
    published_.done = sampler->done();
  }
  published_.error = error;
  published_.generation = generation;
  published_.seconds = seconds;
}

void SamplingJob::run(std::shared_ptr<const TrainingSet> train, SamplerParams params, uint64_t generation) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  try {
    params.kernel.cancel = &cancel_;
    Sampler sampler(*train, params, pool_);
    publish(&sampler, "", generation, seconds());
    while (!sampler.done() && !cancel_) {
      if (!step_due()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (!sampler.step()) break;  // cancelled
      publish(&sampler, "", generation, seconds());
    }
  } catch (const Error& error) {
    publish(nullptr, error.what(), generation, seconds());
  }
}

bool SamplingJob::latest(Snapshot* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (published_.generation == out->generation && published_.step == out->step && published_.error == out->error &&
      published_.done == out->done)
    return false;
  *out = published_;
  return true;
}

}  // namespace cfdm::app
