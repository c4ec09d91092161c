// Memory for the training set's large arrays. On Linux a block of 4 MB or more is aligned to
// 2 MB and marked for transparent huge pages (madvise), so filling it faults memory in 2 MB at a
// time instead of 4 KB: all of MNIST as floats (188 MB) is about 90 faults instead of 48,000.
// Where the system hands out fresh memory slowly (shared virtual machines: 0.4 GB/s measured
// with 4 KB pages, ten times that with huge pages) this is most of the time a file takes to
// load. Elsewhere (wasm, other systems), and for small blocks, the standard allocator. The
// contents are the same either way.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#include <sys/mman.h>
#define CFDM_HUGE_PAGES 1
#endif

namespace cfdm {

template <class T>
struct LargePageAllocator {
  using value_type = T;
  static constexpr size_t kLarge = size_t(4) << 20, kHugePage = size_t(2) << 20;

  LargePageAllocator() = default;
  template <class U>
  LargePageAllocator(const LargePageAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
#ifdef CFDM_HUGE_PAGES
    if (n >= kLarge / sizeof(T)) {
      if (n > size_t(-1) / sizeof(T) - kHugePage) throw std::bad_alloc();
      const size_t bytes = (n * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
      void* p = std::aligned_alloc(kHugePage, bytes);
      if (!p) throw std::bad_alloc();
      madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without it, ordinary pages
      return static_cast<T*>(p);
    }
#endif
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) noexcept {
#ifdef CFDM_HUGE_PAGES
    if (n >= kLarge / sizeof(T)) {
      std::free(p);
      return;
    }
#endif
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const LargePageAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const LargePageAllocator<U>&) const noexcept { return false; }
};

template <class T>
using LargeVector = std::vector<T, LargePageAllocator<T>>;

}  // namespace cfdm
