// Deterministic log, exp, sin and cos (the same bits on every build) against libm.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "core/detmath.hpp"
#include "core/rng.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

TEST(DetMath, AgreesWithLibm) {
  for (double x = 1e-300; x < 1e300; x *= 3.7)
    EXPECT_NEAR(detmath::log(x), std::log(x), 4e-16 * std::abs(std::log(x)) + 1e-300);
  for (double x = -700; x < 700; x += 1.37) EXPECT_NEAR(detmath::exp(x), std::exp(x), 1e-15 * std::exp(x));
  for (double x = -100; x < 100; x += 0.0731) {
    EXPECT_NEAR(detmath::sin(x), std::sin(x), 2e-16 * (1 + std::abs(x)));
    EXPECT_NEAR(detmath::cos(x), std::cos(x), 2e-16 * (1 + std::abs(x)));
  }
  EXPECT_NEAR(detmath::log(4.9e-324), std::log(4.9e-324), 1e-12);  // subnormal
}

}  // namespace
}  // namespace cfdm::test
