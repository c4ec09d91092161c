// Seeded random numbers that give the same bits on every platform and thread count.
//
// Each random stream is keyed by (seed, stream, substream), e.g. (seed, trajectory index,
// purpose), so what a trajectory draws never depends on how work is split across threads.
// The generator is SplitMix64 (Steele, Lea, Flood 2014) run on a counter; normals come from
// the Marsaglia polar method on top of a deterministic log (standard-library distributions
// differ between libstdc++ and libc++, and libm's log differs between glibc and musl).
#pragma once
#include <cstdint>

namespace cfdm {

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream, uint64_t substream = 0)
      : state_(mix64(mix64(mix64(seed) ^ (stream + 0x632be59bd9b4e019ULL)) ^ (substream + 0x8cb92ba72f3d8dd7ULL))) {}

  static constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;  // the counter's step
  uint64_t next_u64() {
    state_ += kGamma;
    return mix64(state_);
  }
  // The counter: call i (from 1) of next_u64 returns mix64(counter() + i kGamma). skip(calls)
  // moves on as that many calls would (code that computes the draws itself, in vectors).
  uint64_t counter() const { return state_; }
  void skip(uint64_t calls) { state_ += calls * kGamma; }
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }  // [0, 1), 53 random bits
  // Uniform in [0, n), unbiased; n >= 1. Lemire's multiply-shift, rejecting the biased low range
  // (whose bound takes a division, computed only when the low bits fall below n).
  uint32_t uniform_index(uint32_t n) {
    uint64_t product = (next_u64() >> 32) * static_cast<uint64_t>(n);
    if (static_cast<uint32_t>(product) < n) {
      const uint32_t threshold = static_cast<uint32_t>(-n) % n;
      while (static_cast<uint32_t>(product) < threshold) product = (next_u64() >> 32) * static_cast<uint64_t>(n);
    }
    return static_cast<uint32_t>(product >> 32);
  }
  double normal();  // standard normal

  static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

// Purposes of random streams; the substream key of Rng. Fixed numbers: changing them changes
// every sample for a given seed.
enum class Stream : uint64_t {
  initial_noise = 1,  // z_0 (or xi and the training index for a start at T)
  draws = 2,          // smoothing draws eps_m; per-step draws use draws + (step + 1) << 8
  toy_data = 3,       // toy dataset generators
  knn_draws = 4,      // the nearest-neighbour estimator's L uniform draws; + (step + 1) << 8
  ivf = 5,            // the IVF index's training sample (ivf.cpp)
};

}  // namespace cfdm
