#include "eval/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/neighbors.hpp"
#include "core/training_set.hpp"
#include "eval/metrics.hpp"

namespace cfdm::eval {

void measure_run(std::vector<double> distance, double copy_threshold, SweepRow* row) {
  if (distance.empty()) throw Error("sweep: a run without samples cannot be measured");
  const auto copies = std::count_if(distance.begin(), distance.end(), [&](double d) { return d < copy_threshold; });
  row->copy_share = double(copies) / double(distance.size());
  std::nth_element(distance.begin(), distance.begin() + distance.size() / 2, distance.end());
  row->median_distance = distance[distance.size() / 2];
}

std::vector<double> default_sweep_sigmas(const TrainingSet& train, ThreadPool& pool, int count) {
  if (count < 2) throw Error("a sigma sweep needs at least 2 values (got " + std::to_string(count) + ")");
  double spread = 0;
  for (int i = 0; i < train.n(); ++i)
    for (int k = 0; k < train.dim(); ++k) {
      const double centered = double(train.coordinate(i, k)) - train.mean()[k];
      spread += centered * centered;
    }
  spread = std::sqrt(spread / std::max(1, train.n()));
  double low = typical_spacing(train, pool, kCopySpacingPoints) / 2;
  if (!(low > 0)) low = spread / 1000;
  if (!(spread > low)) spread = low * 100;
  std::vector<double> sigmas = {0.0};
  for (int i = 0; i < count - 1; ++i)
    sigmas.push_back(low * std::pow(spread / low, double(i) / std::max(1, count - 2)));
  return sigmas;
}

std::vector<SweepRow> sigma_sweep(const TrainingSet& train, const SamplerParams& base, const std::vector<double>& sigmas,
                                  const std::vector<int>& draws, ThreadPool& pool,
                                  const std::function<bool(int, int)>& progress) {
  for (double sigma : sigmas)
    if (!std::isfinite(sigma) || sigma < 0)
      throw Error("sweep: every sigma must be a finite number >= 0 (got " + std::to_string(sigma) + ")");
  for (int m : draws)
    if (m < 1) throw Error("sweep: every M (--draws) must be at least 1 (got " + std::to_string(m) + ")");
  if (sigmas.empty() || draws.empty()) throw Error("sweep: give at least one sigma and one M");
  // The runs: (sigma, M) for every pair, sigma = 0 once.
  std::vector<std::pair<double, int>> runs;
  for (double sigma : sigmas)
    for (int m : draws) {
      if (sigma == 0 && m != draws.front()) continue;
      runs.push_back({sigma, sigma == 0 ? 1 : m});
    }
  const NeighborIndex index(train, NeighborSearch::automatic, &pool);
  const double threshold = copy_threshold(train, pool, nullptr, &index);
  std::vector<SweepRow> rows;
  for (const auto& [sigma, m] : runs) {
    SamplerParams params = base;
    params.sigma = sigma;
    params.n_draws = m;
    const auto start = std::chrono::steady_clock::now();
    Sampler sampler(train, params, pool);
    if (!sampler.run([](int) { return true; })) break;  // cancelled
    SweepRow row;
    row.sigma = sigma;
    row.draws = m;
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    measure_run(nearest_training(train, sampler.states(), 1, pool, &index).distance, threshold, &row);
    rows.push_back(row);
    if (progress && !progress(int(rows.size()), int(runs.size()))) break;
  }
  return rows;
}

}  // namespace cfdm::eval
