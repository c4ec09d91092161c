#include "app/sampling_job.hpp"

#include <chrono>

#include "core/error.hpp"

namespace cfdm::app {

SamplingJob::SamplingJob(int n_threads) : pool_(n_threads) {}

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
  worker_ = std::thread([this, train, params, generation] { run(train, params, generation); });
}

void SamplingJob::run(std::shared_ptr<const TrainingSet> train, SamplerParams params, uint64_t generation) {
  const auto start = std::chrono::steady_clock::now();
  auto publish = [&](const Sampler* sampler, const std::string& error) {
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
    published_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  try {
    params.kernel.cancel = &cancel_;
    Sampler sampler(*train, params, pool_);
    publish(&sampler, "");
    while (!sampler.done() && !cancel_) {
      if (paused_ && step_requests_ == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (paused_) --step_requests_;
      if (!sampler.step()) break;  // cancelled
      publish(&sampler, "");
    }
  } catch (const Error& error) {
    publish(nullptr, error.what());
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
