// Shared helpers of the unit tests: seeded data, comparisons, the instruction sets to test.
#pragma once
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "core/rng.hpp"
#include "core/types.hpp"

namespace cfdm::test {

// n x d standard normal points (scaled), from the project's own seeded RNG.
inline MatrixXfR normal_points(int n, int d, uint64_t seed, double scale = 1.0) {
  MatrixXfR m(n, d);
  Rng rng(seed, 77);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < d; ++k) m(i, k) = float(scale * rng.normal());
  return m;
}

// A folder of this process's own under the test temp folder (tests run as parallel processes).
inline std::string own_temp_dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "cfdm_" + name + "_" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

inline std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (Isa isa : kIsas)
    if (isa_available(isa)) out.push_back(isa);
  return out;
}

inline double max_abs_diff(const MatrixXfR& a, const MatrixXdR& b) {
  return (a.cast<double>() - b).cwiseAbs().maxCoeff();
}

inline bool bit_identical(const MatrixXfR& a, const MatrixXfR& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data(),
                    [](float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0; });
}

}  // namespace cfdm::test
