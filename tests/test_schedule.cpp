// Time grids: the uniform flow grid, and the DDIM grid of the reference framework, whose
// deterministic step in variance-preserving coordinates is the Euler step in flow coordinates.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/schedule.hpp"

namespace cfdm::test {
namespace {

TEST(Schedule, TheFlowGridIsUniform) {
  const std::vector<double> grid = time_grid(Schedule::flow, 4);
  ASSERT_EQ(grid.size(), 5u);
  for (int n = 0; n <= 4; ++n) EXPECT_EQ(grid[size_t(n)], n / 4.0);
  EXPECT_THROW(time_grid(Schedule::flow, 0), Error);
}

// The DDPM linear schedule's alpha-bar, against its textbook values (from the betas written out
// here in the other direction: a running product from the first step), and the DDIM grid of 10
// steps: training steps 900, 800, ..., 0, then alpha-bar = 1; increasing flow times ending at 1.
TEST(Schedule, TheDdimGridFollowsTheReferenceTimesteps) {
  double product = 1.0;
  for (int i = 0; i < 1000; ++i) {
    product *= 1.0 - (0.0001 + 0.0199 * i / 999.0);
    if (i == 0 || i == 499 || i == 999) {
      EXPECT_NEAR(ddpm_alpha_bar(i), product, 1e-15 + 1e-12 * product) << i;
    }
  }
  EXPECT_NEAR(ddpm_alpha_bar(0), 0.9999, 1e-15);
  EXPECT_LT(ddpm_alpha_bar(999), 1e-4);  // about 4.04e-5: nearly pure noise
  const std::vector<double> grid = time_grid(Schedule::ddim, 10);
  ASSERT_EQ(grid.size(), 11u);
  for (int k = 0; k < 10; ++k) {
    const double ab = ddpm_alpha_bar(900 - 100 * k);
    EXPECT_DOUBLE_EQ(grid[size_t(k)], std::sqrt(ab) / (std::sqrt(ab) + std::sqrt(1 - ab))) << k;
    EXPECT_LT(grid[size_t(k)], grid[size_t(k) + 1]);
  }
  EXPECT_EQ(grid[10], 1.0);
  EXPECT_GT(grid[0], 0.0);
  EXPECT_THROW(time_grid(Schedule::ddim, 1001), Error);
}

// One deterministic DDIM step (eta = 0) from alpha-bar ab to ab' with an x0-prediction x0:
//   eps = (z - sqrt(ab) x0) / sqrt(1 - ab),  z' = sqrt(ab') x0 + sqrt(1 - ab') eps,
// equals, in flow coordinates z_f = z flow_scale(ab) at t = flow_time(ab), the Euler step
//   z_f' = z_f + (t' - t) (x0 - z_f) / (1 - t).
TEST(Schedule, ADdimStepIsAnEulerStepInFlowTime) {
  Rng rng(1, 2);
  for (int trial = 0; trial < 200; ++trial) {
    const int from = 1 + int(rng.uniform_index(998)), to = int(rng.uniform_index(uint32_t(from)));
    const double ab = ddpm_alpha_bar(from), ab_next = to == 0 && trial % 2 ? 1.0 : ddpm_alpha_bar(to);
    const double z = 3 * rng.normal(), x0 = rng.normal();
    const double eps = (z - std::sqrt(ab) * x0) / std::sqrt(1 - ab);
    const double z_next = std::sqrt(ab_next) * x0 + std::sqrt(1 - ab_next) * eps;
    const double t = flow_time(ab), t_next = flow_time(ab_next), zf = z * flow_scale(ab);
    const double zf_next = zf + (t_next - t) * (x0 - zf) / (1 - t);
    EXPECT_NEAR(zf_next, z_next * flow_scale(ab_next), 1e-9 * (1 + std::abs(zf_next))) << from << " -> " << to;
  }
}

}  // namespace
}  // namespace cfdm::test
