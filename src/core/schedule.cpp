#include "core/schedule.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace cfdm {

double ddpm_alpha_bar(int step) {
  // beta_i = 1e-4 + (0.02 - 1e-4) i / 999, alpha-bar_i = prod_{j <= i} (1 - beta_j).
  double product = 1.0;
  for (int j = 0; j <= step; ++j) product *= 1.0 - (1e-4 + (0.02 - 1e-4) * double(j) / double(kDdpmTrainingSteps - 1));
  return product;
}

double flow_time(double alpha_bar) {
  const double a = std::sqrt(alpha_bar), b = std::sqrt(1.0 - alpha_bar);
  return a / (a + b);
}

double flow_scale(double alpha_bar) { return 1.0 / (std::sqrt(alpha_bar) + std::sqrt(1.0 - alpha_bar)); }

std::vector<double> time_grid(Schedule schedule, int n_steps) {
  if (n_steps < 1) throw Error("steps must be at least 1 (got " + std::to_string(n_steps) + ")");
  std::vector<double> grid(size_t(n_steps) + 1);
  if (schedule == Schedule::flow) {
    for (int n = 0; n <= n_steps; ++n) grid[size_t(n)] = double(n) / n_steps;
    return grid;
  }
  if (n_steps > kDdpmTrainingSteps)
    throw Error("the ddim schedule takes at most " + std::to_string(kDdpmTrainingSteps) + " steps (got " +
                std::to_string(n_steps) + ")");
  const int ratio = kDdpmTrainingSteps / n_steps;
  for (int k = 0; k < n_steps; ++k) grid[size_t(k)] = flow_time(ddpm_alpha_bar((n_steps - 1 - k) * ratio));
  grid[size_t(n_steps)] = 1.0;
  return grid;
}

double initial_noise_scale(Schedule schedule, int n_steps) {
  if (schedule == Schedule::flow) return 1.0;
  time_grid(schedule, n_steps);  // checks n_steps
  return flow_scale(ddpm_alpha_bar((n_steps - 1) * (kDdpmTrainingSteps / n_steps)));
}

const char* schedule_name(Schedule schedule) { return schedule == Schedule::ddim ? "ddim" : "flow"; }

Schedule parse_schedule(const std::string& name) {
  if (name == "flow") return Schedule::flow;
  if (name == "ddim") return Schedule::ddim;
  throw Error("the schedule must be flow or ddim (got \"" + name.substr(0, 40) + "\")");
}

}  // namespace cfdm
