// cfdm sweep: the same noise sampled at a range of sigma (and M), each run's share of copies and
// median nearest-training distance, as a table, a CSV and a chart (eval/sweep.hpp).
#include <cstdio>
#include <string>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "data/files.hpp"
#include "eval/sweep.hpp"
#include "output/chart.hpp"

namespace cfdm::cli {

int command_sweep(const Args& args) {
  SamplerParams params = default_sampler_params();
  params.n_samples = checked_int(args, "n-samples", 1000);
  params.n_steps = checked_int(args, "steps", params.n_steps);
  params.start_t = args.number("start-t", params.start_t);
  params.seed = args.seed("seed", params.seed);
  params.estimator = parse_estimator(args, &params.knn) ? Estimator::knn : Estimator::exact;
  validate(params);
  std::vector<int> draws;
  for (double m : parse_number_list(args.text("draws", "4"), "--draws")) {
    if (m != double(int(m)) || m < 1 || m > 1024)
      throw Error("--draws takes whole numbers from 1 to 1024 separated by commas (got " + std::to_string(m) + ")");
    draws.push_back(int(m));
  }
  std::vector<double> sigmas;
  if (args.has("sigmas")) {
    sigmas = parse_number_list(args.text("sigmas", ""), "--sigmas");
    for (double sigma : sigmas)
      if (sigma < 0) throw Error("--sigmas must be >= 0 (got " + std::to_string(sigma) + ")");
  }
  const std::string out = args.text("out", ""), plot = args.text("plot", "");
  if (!out.empty()) check_output_path(out, {".csv"}, "--out");
  if (!plot.empty()) check_output_path(plot, {".png"}, "--plot");
  data::OutputFiles outputs;
  keep_inputs(outputs, args, {"data"});
  if (!out.empty()) outputs.reserve(out, "--out");
  if (!plot.empty()) outputs.reserve(plot, "--plot");
  ThreadPool pool(thread_count(args));

  const data::DataRequest request = parse_data_request(args);
  data::Dataset dataset = data::load_dataset(request, &pool);
  say_note(dataset.note);
  const TrainingSet train = data::make_training_set(std::move(dataset), &pool);
  dataset = data::Dataset();
  if (sigmas.empty()) sigmas = eval::default_sweep_sigmas(train, pool);
  int total = 0;
  Progress progress("sweep", 1);
  const std::vector<eval::SweepRow> rows =
      eval::sigma_sweep(train, params, sigmas, draws, pool, [&](int done, int runs) {
        if (total == 0) progress = Progress("sweep", total = runs);
        progress.update(done);
        return true;
      });
  progress.finish();

  std::printf("sigma-sweep of %s (N = %d, d = %d): %d samples, %d steps from t = %g, seed %llu\n",
              request.spec.c_str(), train.n(), train.dim(), params.n_samples, params.n_steps, params.start_t,
              static_cast<unsigned long long>(params.seed));
  std::printf("%10s %5s %12s %22s %9s\n", "sigma", "M", "copy share", "median nearest dist.", "seconds");
  for (const eval::SweepRow& row : rows)
    std::printf("%10.4g %5d %12.3f %22.4g %9.3f\n", row.sigma, row.draws, row.copy_share, row.median_distance,
                row.seconds);
  if (!out.empty())
    outputs.write(out, [rows](std::ostream& stream) {
      stream << "sigma,draws,copy_share,median_nearest_distance,seconds\n";
      for (const eval::SweepRow& row : rows) {
        char line[160];
        std::snprintf(line, sizeof line, "%.9g,%d,%.6f,%.9g,%.4f\n", row.sigma, row.draws, row.copy_share,
                      row.median_distance, row.seconds);
        stream << line;
      }
    });
  if (!plot.empty()) {
    // One chart per M would crowd it: the chart shows the first M's runs (with sigma = 0).
    output::Chart chart;
    chart.title = request.spec + ", N = " + std::to_string(train.n()) + ", M = " + std::to_string(draws.front()) +
                  ": memorize -> new points -> blur";
    chart.x_label = "sigma (smoothing scale, data units)";
    chart.left = {"share of samples that copy a training point", {}, {205, 35, 35}};
    chart.right = {"median distance to the nearest training point", {}, {30, 90, 180}};
    for (const eval::SweepRow& row : rows) {
      if (row.sigma > 0 && row.draws != draws.front()) continue;
      chart.x.push_back(row.sigma);
      chart.left.y.push_back(row.copy_share);
      chart.right.y.push_back(row.median_distance);
    }
    outputs.write(plot, output::chart_png(chart));
  }
  outputs.commit();
  return 0;
}

}  // namespace cfdm::cli
