// The counter-based random streams: reproducible, distinct, and with the right moments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "core/detmath.hpp"
#include "core/rng.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

TEST(Rng, StreamsAreReproducibleAndDistinct) {
  Rng a(1, 2, 3), b(1, 2, 3), c(1, 2, 4), d(2, 2, 3);
  const uint64_t first = a.next_u64();
  EXPECT_EQ(first, b.next_u64());
  EXPECT_NE(first, c.next_u64());
  EXPECT_NE(first, d.next_u64());
}

TEST(Rng, NormalMomentsAndUniformIndex) {
  Rng rng(5, 6);
  const int n = 200000;
  double sum = 0, sum_sq = 0, sum_4 = 0;
  for (int i = 0; i < n; ++i) {
    const double v = rng.normal();
    sum += v;
    sum_sq += v * v;
    sum_4 += v * v * v * v;
  }
  EXPECT_NEAR(sum / n, 0.0, 5 * std::sqrt(1.0 / n));
  EXPECT_NEAR(sum_sq / n, 1.0, 5 * std::sqrt(2.0 / n));
  EXPECT_NEAR(sum_4 / n, 3.0, 5 * std::sqrt(96.0 / n));
  // uniform_index: chi-square over 7 cells (6 dof, critical value 22.46 at p = 0.001).
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[rng.uniform_index(7)];
  double chi = 0;
  for (int c : counts) chi += (c - 10000.0) * (c - 10000.0) / 10000.0;
  EXPECT_LT(chi, 22.46);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(rng.uniform_index(1), 0u);
}

}  // namespace
}  // namespace cfdm::test
