#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>
#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#endif

namespace cfdm::cli {
namespace {

bool stderr_is_terminal() {
#if defined(__EMSCRIPTEN__)
  // Emscripten's isatty reports a terminal for pipes too: ask node.
  // clang-format off
  return EM_ASM_INT({ return (typeof process !== 'undefined' && process.stderr && process.stderr.isTTY) ? 1 : 0; }) == 1;
  // clang-format on
#else
  return isatty(STDERR_FILENO) == 1;
#endif
}

}  // namespace

Progress::Progress(std::string label, int total)
    : label_(std::move(label)),
      total_(total),
      enabled_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::update(int done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? done * kWidth / total_ : kWidth;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r%s [%.*s%*s] %d/%d  %.1f s", label_.c_str(), filled, "##############################",
               kWidth - filled, "", done, total_, seconds);
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled_) std::fprintf(stderr, "\n");
}

}  // namespace cfdm::cli
