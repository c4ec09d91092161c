// A progress bar on stderr, drawn only when stderr is a terminal.
#pragma once
#include <chrono>
#include <string>

namespace cfdm::cli {

class Progress {
 public:
  Progress(std::string label, int total);
  void update(int done);  // redraws at most every 100 ms, and at the end
  void finish();

 private:
  std::string label_;
  int total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace cfdm::cli
