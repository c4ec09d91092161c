// A fixed pool of worker threads that runs indexed tasks.
//
// Results must never depend on which thread runs a task: callers give each task its own
// outputs, so any number of threads gives bit-identical results.
#pragma once
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cfdm {

class ThreadPool {
 public:
  // n_threads >= 1 counts the calling thread; 0 means one per hardware thread.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(i) for every i in [0, n_tasks) on the pool and the calling thread; returns when
  // all are done. The first exception a task throws is rethrown here.
  void run(int n_tasks, const std::function<void(int)>& task);

  static int hardware_threads();

 private:
  void worker_loop();
  void drain();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void(int)>* task_ = nullptr;
  int n_tasks_ = 0;
  std::atomic<int> next_task_{0};
  // Written under mutex_; atomic so that a thread may spin on them before it sleeps.
  std::atomic<int> workers_done_{0};
  std::atomic<unsigned> generation_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
};

}  // namespace cfdm
