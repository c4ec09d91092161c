#include "data/memory.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.hpp"

#if defined(__EMSCRIPTEN__)
#include <emscripten/heap.h>
#include <malloc.h>
#endif

namespace cfdm::data {

namespace {
std::atomic<uint64_t> g_memory_cap{0};
}  // namespace

void set_memory_cap(uint64_t bytes) { g_memory_cap = bytes; }

uint64_t available_memory_bytes() {
  constexpr uint64_t kUnknown = uint64_t(1) << 50;
  const uint64_t cap = g_memory_cap;
#if defined(__EMSCRIPTEN__)
  // The heap grows up to its maximum (-sMAXIMUM_MEMORY, or the page's smaller memory); what
  // malloc holds is in use.
  uint64_t max = emscripten_get_heap_max();
  if (cap > 0) max = std::min(max, cap);
  const uint64_t used = uint64_t(mallinfo().uordblks);
  return max > used ? max - used : 0;
#else
  uint64_t available = kUnknown;
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kb) == 1) {
      available = uint64_t(kb) * 1024;
      break;
    }
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    // A limit on the address space (ulimit -v) counts what is mapped already: libraries, thread
    // stacks, malloc's arenas (and under mpirun the MPI library's shared memory).
    uint64_t mapped = 0;
    std::ifstream status("/proc/self/status");
    while (std::getline(status, line)) {
      unsigned long long kb = 0;
      if (std::sscanf(line.c_str(), "VmSize: %llu kB", &kb) == 1) {
        mapped = uint64_t(kb) * 1024;
        break;
      }
    }
    const uint64_t cap_as = uint64_t(limit.rlim_cur);
    available = std::min<uint64_t>(available, cap_as > mapped ? cap_as - mapped : 0);
  }
  return cap > 0 ? std::min(available, cap) : available;
#endif
}

std::string megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", double(bytes) / 1e6);
  return text;
}

void check_memory(uint64_t bytes, const std::string& what, const std::string& hint) {
  const uint64_t available = available_memory_bytes();
  if (bytes > available)
    throw Error(what + " needs " + megabytes(bytes) + ", but only " + megabytes(available) + " are available: " + hint);
}

}  // namespace cfdm::data
