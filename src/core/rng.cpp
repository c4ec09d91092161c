#include "core/rng.hpp"

#include <cmath>

#include "core/detmath.hpp"

namespace cfdm {
namespace {

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(uint64_t seed, uint64_t stream, uint64_t substream)
    : state_(mix64(mix64(mix64(seed) ^ (stream + 0x632be59bd9b4e019ULL)) ^ (substream + 0x8cb92ba72f3d8dd7ULL))) {}

uint64_t Rng::next_u64() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix64(state_);
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

uint32_t Rng::uniform_index(uint32_t n) {
  // Lemire's multiply-shift with rejection of the biased low range.
  const uint32_t threshold = static_cast<uint32_t>(-n) % n;
  for (;;) {
    const uint64_t product = (next_u64() >> 32) * static_cast<uint64_t>(n);
    if (static_cast<uint32_t>(product) >= threshold) return static_cast<uint32_t>(product >> 32);
  }
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  // Marsaglia polar method: (u, v) uniform in the unit disc, both coordinates scaled.
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * detmath::log(s) / s);
  spare_normal_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

}  // namespace cfdm
