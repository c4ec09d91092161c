#include "core/thread_pool.hpp"

namespace cfdm {

namespace {

// How long a thread polls for what it waits for before it sleeps: the pool's runs usually
// follow one another within microseconds (a sampler's steps), and waking a sleeping thread
// takes longer than that.
constexpr int kSpins = 4000;

inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

int ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = hardware_threads();
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::drain() {
  for (int i = next_task_.fetch_add(1); i < n_tasks_; i = next_task_.fetch_add(1)) {
    try {
      (*task_)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::worker_loop() {
  unsigned seen = 0;
  for (;;) {
    for (int spin = 0; spin < kSpins && generation_.load() == seen && !stopping_.load(); ++spin) spin_pause();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    drain();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++workers_done_;
    }
    finished_.notify_one();
  }
}

void ThreadPool::run(int n_tasks, const std::function<void(int)>& task) {
  if (n_tasks <= 0) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    n_tasks_ = n_tasks;
    next_task_ = 0;
    error_ = nullptr;
    workers_done_ = 0;
    ++generation_;
  }
  wake_.notify_all();
  drain();
  const int workers = static_cast<int>(workers_.size());
  for (int spin = 0; spin < kSpins && workers_done_.load() != workers; ++spin) spin_pause();
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // Every worker acknowledges every generation, so none is still reading this job's fields
    // when the next run() replaces them.
    finished_.wait(lock, [&] { return workers_done_ == workers; });
    task_ = nullptr;
    error = error_;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace cfdm
