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
  Rng(uint64_t seed, uint64_t stream, uint64_t substream = 0);

  uint64_t next_u64();
  double uniform();                    // [0, 1), 53 random bits
  uint32_t uniform_index(uint32_t n);  // uniform in [0, n), unbiased (rejection); n >= 1
  double normal();                     // standard normal

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
};

}  // namespace cfdm
