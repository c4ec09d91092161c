// cfdm compare: several models of the analytic family sampled from the same noise (the same seed
// gives every model the same initial states), each judged as cfdm eval judges samples: the share
// of copies, the nearest distance to the training set and to held-out data (a model that
// generalizes is about as near to unseen images as to its training images). Optionally the
// median pixel r^2 of each model's samples to another sampler's outputs from the same noise
// (--reference, the noise written by --out-noise): the measure the locality papers report.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "core/error.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "data/files.hpp"
#include "data/memory.hpp"
#include "eval/comparison.hpp"
#include "eval/metrics.hpp"
#include "output/image_grid.hpp"

namespace cfdm::cli {
namespace {

struct ModelRun {
  std::string name;
  SamplerParams params;
  MatrixXfR samples;
  double seconds = 0;
  eval::Nearest nearest;       // to the training set (2 per sample)
  eval::NearestStats train;    // its statistics
  eval::NearestStats held_out;  // nearest distances to held-out data (copy share unused)
  double median_r2 = NAN;
};

// r^2 of a sample to its reference image: 1 - sum (s - r)^2 / sum (r - mean r)^2; the median.
double median_r2(const MatrixXfR& samples, const MatrixXfR& reference) {
  std::vector<double> r2;
  for (Eigen::Index b = 0; b < samples.rows(); ++b) {
    const Eigen::ArrayXd s = samples.row(b).cast<double>().transpose().array();
    const Eigen::ArrayXd r = reference.row(b).cast<double>().transpose().array();
    const double spread = (r - r.mean()).square().sum();
    r2.push_back(spread > 0 ? 1.0 - (s - r).square().sum() / spread : NAN);
  }
  std::sort(r2.begin(), r2.end(), [](double a, double b) { return a < b || (std::isnan(b) && !std::isnan(a)); });
  const size_t n = r2.size();
  return n == 0 ? NAN : n % 2 ? r2[n / 2] : 0.5 * (r2[n / 2 - 1] + r2[n / 2]);
}

std::string fixed(double value, int digits) {
  char text[40];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

}  // namespace

int command_compare(const Args& args) {
  SamplerParams params = default_sampler_params();
  params.n_samples = checked_int(args, "n-samples", 16);
  params.n_steps = checked_int(args, "steps", 10);
  params.start_t = args.number("start-t", params.start_t);
  params.seed = args.seed("seed", params.seed);
  params.sigma = args.number("sigma", params.sigma);
  params.n_draws = checked_int(args, "draws", params.n_draws);
  if (args.has("schedule")) params.schedule = parse_schedule(args.text("schedule", ""));
  validate(params);
  const std::string out = args.text("out", ""), plot = args.text("plot", ""), noise_out = args.text("out-noise", "");
  const std::string reference_path = args.text("reference", "");
  if (!out.empty()) check_output_path(out, {".csv"}, "--out");
  if (!plot.empty()) check_output_path(plot, {".png"}, "--plot");
  if (!noise_out.empty()) check_output_path(noise_out, {".npy"}, "--out-noise");
  data::OutputFiles outputs;
  keep_inputs(outputs, args, {"data", "reference"});
  for (const auto& [path, option] : {std::pair{out, "--out"}, {plot, "--plot"}, {noise_out, "--out-noise"}})
    if (!path.empty()) outputs.reserve(path, option);
  ThreadPool pool(thread_count(args));
  // The models' names, checked before the data are loaded (the default list depends on them).
  std::vector<std::string> names;
  bool as_app = false;  // the app's comparison names: --sigma and --draws smooth scfdm alone
  if (args.has("models")) {
    names = split_list(args.text("models", ""), "--models");
    if (names.size() > 8) throw Error("--models takes at most 8 models (got " + std::to_string(names.size()) + ")");
    for (const std::string& name : names) as_app |= name == "exact" || name == "scfdm" || name == "local-knn";
    for (const std::string& name : names) {
      if (as_app && name == "cfdm")
        throw Error(
            "--models: a list with exact, scfdm or local-knn reads as the app's comparison view, where "
            "cfdm is named exact (sigma = 0) or scfdm (smoothed by --sigma and --draws)");
      if (as_app) {
        if (const std::string problem = eval::unknown_compared(name); !problem.empty()) throw Error(problem);
      } else {
        parse_model(name);
      }
    }
  }
  const bool local_knn = std::find(names.begin(), names.end(), "local-knn") != names.end();
  for (const char* option : {"k", "l"})
    if (args.has(option) && !local_knn)
      throw Error(std::string("--") + option + " sets local-knn's neighbours: name local-knn in --models");
  params.knn.k = checked_int(args, "k", params.knn.k);
  params.knn.l = checked_int(args, "l", params.knn.l);

  const data::DataRequest request = parse_data_request(args);
  data::Dataset dataset = data::load_dataset(request, &pool);
  say_note(dataset.note);
  // The images' shape: the dataset's, or --image-shape for a file of flattened images.
  ModelOptions shape_of;
  parse_model_options(args, &shape_of, dataset.image_shape());
  const ImageShape shape = shape_of.image;
  const TrainingSet train = data::make_training_set(std::move(dataset), &pool);
  dataset = data::Dataset();
  if (train.n() < 2)
    throw Error("compare needs a training set of at least 2 points (this one has " + std::to_string(train.n()) +
                "): give more with --data or --n-train");
  if (!shape.empty() && shape.size() != train.dim())
    throw Error("--image-shape has " + std::to_string(shape.size()) + " values but the rows have " +
                std::to_string(train.dim()) + ": give the shape of the images in the file");
  if (!plot.empty() && shape.empty())
    throw Error("compare --plot draws image grids: for points, plot each model with cfdm sample --model NAME --plot");

  // The models, each checked before any sampling.
  if (names.empty())
    names = split_list(shape.empty() ? "cfdm,wiener,nearest" : "cfdm,wiener,local,pca-local", "--models");
  std::vector<SamplerParams> runs;
  for (const std::string& name : names) {
    SamplerParams run = as_app ? eval::comparison_params(params, name) : params;
    const Model model = as_app ? run.denoiser.model : parse_model(name);
    parse_model_options(args, &run.denoiser, shape);
    run.denoiser.model = model;
    if (run.estimator == Estimator::knn) validate(run.knn, train.n());
    // Options that belong to one model apply to it and are left out of the others.
    if (run.denoiser.model != Model::local) run.denoiser.patch = 0;
    if (run.denoiser.model != Model::pca_local) run.denoiser.mask_threshold = -1;
    if (run.denoiser.model == Model::wiener || run.denoiser.model == Model::nearest) run.denoiser.temperature = 1;
    validate(run.denoiser, train.dim());
    data::check_memory(sampler_memory_bytes(run, train.dim(), train.n()),
                       std::to_string(run.n_samples) + " samples of dimension " + std::to_string(train.dim()),
                       "choose fewer --n-samples or --draws");
    runs.push_back(run);
  }
  MatrixXfR reference;
  if (!reference_path.empty()) {
    reference = read_matrix_noting(reference_path);
    if (reference.rows() != params.n_samples || reference.cols() != train.dim())
      throw Error(printable(reference_path, 80) + " has shape " + std::to_string(reference.rows()) + " x " +
                  std::to_string(reference.cols()) + " but the samples are " + std::to_string(params.n_samples) +
                  " x " + std::to_string(train.dim()) + ": give another sampler's outputs from --out-noise's noise");
  }
  double spacing = 0;
  const double threshold = eval::copy_threshold(train, pool, &spacing);
  const MatrixXfR held = held_out_data("", request, 2000);
  std::unique_ptr<TrainingSet> held_set = held.rows() > 0 && held.cols() == train.dim()
                                              ? std::make_unique<TrainingSet>(held)
                                              : nullptr;

  std::vector<ModelRun> results;
  MatrixXfR noise;
  for (size_t i = 0; i < runs.size(); ++i) {
    const SamplerParams& run = runs[i];
    ModelRun result;
    result.name = as_app ? names[i] : model_name(run.denoiser.model);
    result.params = run;
    Sampler sampler(train, run, pool);
    if (noise.size() == 0) noise = sampler.states();
    Progress progress(result.name.c_str(), run.n_steps - sampler.first_step());
    const auto start = std::chrono::steady_clock::now();
    sampler.run([&](int step) {
      progress.update(step - sampler.first_step());
      return true;
    });
    progress.finish();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.samples = sampler.states();
    result.nearest = eval::nearest_training(train, result.samples, 2, pool);
    result.train = eval::nearest_stats(result.nearest, threshold);
    if (held_set) result.held_out = eval::nearest_stats(eval::nearest_training(*held_set, result.samples, 2, pool), 0);
    if (reference.size() > 0) result.median_r2 = median_r2(result.samples, reference);
    results.push_back(std::move(result));
  }

  std::printf("%s (N = %d, d = %d): %d samples from the same noise, %d %s steps, %ssigma = %g, M = %d%s, seed %llu\n",
              request.spec.c_str(), train.n(), train.dim(), params.n_samples, params.n_steps,
              schedule_name(params.schedule), as_app ? "scfdm at " : "", params.sigma, params.n_draws,
              as_app ? " (the others at sigma = 0)" : "", static_cast<unsigned long long>(params.seed));
  std::printf("a copy: nearer than %.4g to a training point (a tenth of the typical spacing %.4g)\n", threshold,
              spacing);
  if (held_set) {
    const eval::NearestStats real = eval::nearest_stats(eval::nearest_training(train, held, 2, pool), threshold);
    std::printf("held-out real data (%d): median nearest training distance %.4g, copies %.1f%%\n", int(held.rows()),
                real.quantile[3], 100 * real.copy_share);
  }
  std::printf("%-10s %8s %8s %26s %22s%s\n", "model", "seconds", "copies", "nearest training 5/50/95%",
              held_set ? "nearest held-out 50%" : "", reference.size() ? "   median r2" : "");
  for (const ModelRun& r : results) {
    std::printf("%-10s %8.3f %7.1f%% %26s %22s", r.name.c_str(), r.seconds, 100 * r.train.copy_share,
                (fixed(r.train.quantile[1], 3) + " / " + fixed(r.train.quantile[3], 3) + " / " +
                 fixed(r.train.quantile[5], 3))
                    .c_str(),
                held_set ? fixed(r.held_out.quantile[3], 3).c_str() : "");
    if (reference.size()) std::printf("   %10.4f", r.median_r2);
    std::printf("\n");
  }
  if (!out.empty())
    outputs.write(out, [&results, &held_set](std::ostream& stream) {
      stream << "model,seconds,copy_share,nearest_train_q05,nearest_train_median,nearest_train_q95,"
                "nearest_held_out_median,median_r2\n";
      for (const ModelRun& r : results) {
        char line[256];
        std::snprintf(line, sizeof line, "%s,%.4f,%.6f,%.6g,%.6g,%.6g,%.6g,%.6g\n", r.name.c_str(), r.seconds,
                      r.train.copy_share, r.train.quantile[1], r.train.quantile[3], r.train.quantile[5],
                      held_set ? r.held_out.quantile[3] : NAN, r.median_r2);
        stream << line;
      }
    });
  if (!plot.empty()) {
    std::vector<output::GridSection> sections;
    for (const ModelRun& r : results) {
      const int copies = int(std::lround(r.train.copy_share * double(r.samples.rows())));
      // What the names mean to someone who reads only the picture: cfdm at sigma = 0 is the exact
      // model, and sigma smooths any model.
      char smoothing[64];
      std::snprintf(smoothing, sizeof smoothing, " (smoothed: sigma = %g, M = %d)", r.params.sigma, r.params.n_draws);
      char neighbours[64];
      std::snprintf(neighbours, sizeof neighbours, " (K = %d, L = %d)", r.params.knn.k, r.params.knn.l);
      const std::string title = r.name + (r.params.sigma > 0                      ? smoothing
                                          : r.name == "cfdm" || r.name == "exact" ? " (the exact model, sigma = 0)"
                                          : r.params.estimator == Estimator::knn  ? neighbours
                                                                                  : "");
      sections.push_back({title + ": " + std::to_string(copies) + " of " + std::to_string(r.samples.rows()) +
                              " copies, median nearest distance " + fixed(r.train.quantile[3], 2),
                          &r.samples, &r.nearest});
    }
    outputs.write(plot, output::image_grid_png(sections, train, shape, threshold, 8));
  }
  if (!noise_out.empty()) outputs.write(noise_out, data::matrix_file(noise_out, noise));
  outputs.commit();
  return 0;
}

}  // namespace cfdm::cli
