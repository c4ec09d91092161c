// Time grids of the Euler sampler. `flow`: S uniform steps t_n = n / S (method.md). `ddim`: the
// analytic-diffusion reference framework's grid (DDPM linear beta from 1e-4 to 0.02 over 1,000
// training steps, S inference steps with "leading" spacing, the last step to alpha-bar = 1),
// mapped to flow time. The deterministic DDIM step in variance-preserving coordinates is exactly
// this project's Euler step in flow coordinates (analytic-family.md, "The DDIM schedule is Euler in
// flow time"):
//
//   t = sqrt(ab) / (sqrt(ab) + sqrt(1 - ab)),   z_flow = z_vp / (sqrt(ab) + sqrt(1 - ab)).
#pragma once
#include <string>
#include <vector>

namespace cfdm {

enum class Schedule { flow, ddim };

constexpr int kDdpmTrainingSteps = 1000;

// alpha-bar of DDPM training step i (0-based) under the linear beta schedule.
double ddpm_alpha_bar(int step);

// The flow time of a variance-preserving alpha-bar, and the factor 1 / (sqrt(ab) + sqrt(1 - ab))
// that takes a VP point to flow coordinates.
double flow_time(double alpha_bar);
double flow_scale(double alpha_bar);

// The S + 1 times t_0 < ... < t_S = 1 of S steps (S >= 1; ddim: S <= 1,000). flow: t_n = n / S;
// ddim: t_k = flow_time(alpha-bar of training step (S - 1 - k) * floor(1000 / S)), t_S = 1.
std::vector<double> time_grid(Schedule schedule, int n_steps);

// The scale of the first state's noise: 1 on the flow grid (z = eps at t = 0), and on the ddim grid
// the reference framework's pure noise z_vp = eps in flow coordinates, flow_scale(ab at t_0).
double initial_noise_scale(Schedule schedule, int n_steps);

const char* schedule_name(Schedule schedule);  // "flow", "ddim"
// Parses "flow" or "ddim"; throws cfdm::Error otherwise.
Schedule parse_schedule(const std::string& name);

}  // namespace cfdm
