// cfdm: the command-line front end. `cfdm --help` lists the commands; README.md documents them.
#include <chrono>

#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/resource.h>
#endif
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/common.hpp"
#include "cli/mpi.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "data/dataset.hpp"
#include "data/files.hpp"
#include "data/memory.hpp"
#include "data/space.hpp"
#include "data/prepare.hpp"
#include "data/scenarios.hpp"
#include "data/toy.hpp"
#include "eval/metrics.hpp"
#include "output/image_grid.hpp"
#include "output/plot.hpp"

namespace cfdm::cli {
namespace {

// Under mpirun: what a training set split over processes cannot serve, refused before any work.
void check_sharded_request(const Args& args) {
  const auto refuse = [](const std::string& what) {
    throw Error("under mpirun, " + what + " needs the whole training set in one process: leave out mpirun");
  };
  for (const char* option : {"plot", "save-train", "out-latent"})
    if (args.has(option)) refuse(std::string("--") + option);
  if (args.has("space") && args.text("space", "") != "pixel") refuse("sampling in PCA space (--space pca)");
}

int command_sample(const Args& args, Cluster& cluster) {
  // A named scenario gives the defaults (data, sampler settings, space); options change them.
  const data::Scenario* scenario = args.has("scenario") ? &data::find_scenario(args.text("scenario", "")) : nullptr;
  SamplerParams params = scenario ? scenario->params : default_sampler_params();
  params.n_samples = checked_int(args, "n-samples", params.n_samples);
  params.n_steps = checked_int(args, "steps", params.n_steps);
  params.n_draws = checked_int(args, "draws", params.n_draws);
  params.sigma = args.number("sigma", params.sigma);
  params.start_t = args.number("start-t", params.start_t);
  params.seed = args.seed("seed", params.seed);
  if (args.has("redraw")) params.draw_mode = DrawMode::per_step;
  if (args.has("isa")) params.kernel.isa = parse_isa(args.text("isa", ""));
  params.estimator =
      parse_estimator(args, &params.knn, params.estimator == Estimator::knn) ? Estimator::knn : Estimator::exact;
  if (args.has("schedule")) params.schedule = parse_schedule(args.text("schedule", ""));
  validate(params);
  // Under mpirun with more than one process, each holds a part of the training set (one process
  // holds all of it, and samples as without mpirun).
  const bool sharded = cluster.launched() && cluster.size() > 1, writer = cluster.rank() == 0;
  if (sharded) check_sharded_request(args);
  if (writer && params.sigma == 0 && (args.has("draws") || args.has("redraw")))
    say_note(std::string(args.has("draws") ? "--draws" : "--redraw") +
             " changes nothing at sigma = 0 (the draws perturb queries by sigma): give --sigma to smooth");
  const std::string out = args.text("out", ""), plot = args.text("plot", ""), save_train = args.text("save-train", "");
  if (!out.empty()) check_output_path(out, {".npy", ".csv"}, "--out");
  if (!save_train.empty()) check_output_path(save_train, {".npy", ".csv"}, "--save-train");
  const std::string out_latent = args.text("out-latent", "");
  const std::string space_name = args.text("space", scenario && scenario->pca_dim > 0 ? "pca" : "pixel");
  if (space_name != "pixel" && space_name != "pca")
    throw Error("--space must be pixel or pca (got " + in_quotes(space_name) + ")");
  if (!out_latent.empty() && space_name != "pca") throw Error("--out-latent needs --space pca");
  if (!out_latent.empty()) check_output_path(out_latent, {".npy", ".csv"}, "--out-latent");
  if (args.has("pca-dim") && space_name != "pca") throw Error("--pca-dim needs --space pca");
  const int pca_dim = checked_int(args, "pca-dim", scenario && scenario->pca_dim > 0 ? scenario->pca_dim : 64);
  // (0 would mean no PCA below: sampled in pixel space when the PCA space was asked for)
  if (space_name == "pca" && pca_dim < 1)
    throw Error("--pca-dim must be at least 1, the principal components kept (got " + std::to_string(pca_dim) + ")");
  if (!plot.empty()) check_output_path(plot, {".png"}, "--plot");
  // Every output is checked, and a temporary made beside it, before any work: all are written or none.
  data::OutputFiles outputs;
  keep_inputs(outputs, args, {"data"});
  for (const auto& [path, option] :
       {std::pair{out, "--out"}, {out_latent, "--out-latent"}, {plot, "--plot"}, {save_train, "--save-train"}})
    if (!path.empty() && writer) outputs.reserve(path, option);  // rank 0 writes
  ThreadPool pool(thread_count(args));

  data::DataRequest request = parse_data_request(args, scenario ? scenario->data : data::DataRequest{});
  if (sharded)  // this rank's rows only, centred on the whole set's mean
    request.shard = {cluster.rank(), cluster.size(), [&cluster](std::vector<double>& sums) { cluster.whole_sums(sums); }};
  const std::string& spec = request.spec;
  data::Dataset dataset = data::load_dataset(request, &pool);
  if (writer) say_note(dataset.note);
  const output::ImageShape shape = dataset.image_shape();
  const bool images = dataset.is_image();
  parse_model_options(args, &params.denoiser, shape);
  if (params.denoiser.model == Model::local && space_name == "pca")
    throw Error("the local model compares pixels in windows: sample in pixel space (drop --space pca)");
  // The space sampled in: the data itself, or its top principal components.
  const data::SamplingSpace space = data::make_sampling_space(data::make_training_set(std::move(dataset), &pool),
                                                              space_name == "pca" ? pca_dim : 0, &pool);
  dataset = data::Dataset();  // the training set holds its own copy
  if (space.pca) std::fprintf(stderr, "cfdm: sampling in %s\n", space.pca_summary().c_str());
  const TrainingSet& pixels = *space.data;
  const TrainingSet& train = *space.train;
  if (writer && !train.is_part()) say_note(data_scale_note(data_radius(train), params.n_steps, params.start_t));
  data::check_memory(sampler_memory_bytes(params, train.dim(), train.n()),
                     std::to_string(params.n_samples) + " samples of dimension " + std::to_string(train.dim()) +
                         (params.sigma > 0 ? " with " + std::to_string(params.n_draws) + " draws" : ""),
                     "choose fewer --n-samples or --draws");
  Sampler sampler(train, params, pool,
                  sharded ? make_sharded_posterior_mean(cluster, train, params, pool) : nullptr);
  const uint64_t bytes_before = cluster.bytes_sent();
  Progress progress(params.denoiser.model == Model::cfdm ? "sampling" : model_name(params.denoiser.model),
                    writer ? params.n_steps - sampler.first_step() : 0);
  const double ready = seconds_since_start();  // loading, layout and setup: the wait before the first step
  const auto start = std::chrono::steady_clock::now();
  sampler.run([&](int step) {
    if (writer) progress.update(step - sampler.first_step());
    return true;
  });
  if (writer) progress.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int steps_run = params.n_steps - sampler.first_step();
  cluster.close();  // every rank is done: rank 0 writes the outputs
  if (!writer) return 0;
  std::string estimator = params.estimator == Estimator::exact ? "exact"
                                                               : "knn K = " + std::to_string(params.knn.k) +
                                                                     ", L = " + std::to_string(params.knn.l);
  const ModelOptions& model = params.denoiser;
  if (model.model != Model::cfdm)
    estimator = std::string("model ") + model_name(model.model) +
                (params.estimator == Estimator::knn ? ", " + estimator : std::string());
  if (model.model == Model::local)
    estimator += model.patch > 0 ? ", patch " + std::to_string(model.patch) : std::string(", patch schedule");
  if (model.model == Model::pca_local) {
    char threshold[40];
    std::snprintf(threshold, sizeof threshold, ", mask threshold %g",
                  model.mask_threshold >= 0 ? model.mask_threshold : kDefaultMaskThreshold);
    estimator += threshold;
  }
  if (model.temperature != 1.0) {
    char temperature[40];
    std::snprintf(temperature, sizeof temperature, ", temperature %g", model.temperature);
    estimator += temperature;
  }
  if (params.schedule == Schedule::ddim) estimator += ", ddim grid";
  std::string where = std::to_string(pool.size()) + " threads";
  if (cluster.launched() && !sharded) where += " on 1 rank";
  if (sharded) {
    char exchanged[160];
    std::snprintf(exchanged, sizeof exchanged, " on %d ranks (this one's part N = %d; %.3g MB sent per step per rank)",
                  cluster.size(), train.n(), double(cluster.bytes_sent() - bytes_before) / std::max(1, steps_run) / 1e6);
    where += exchanged;
  }
  std::fprintf(stderr,
               "cfdm: %d samples from %s (N = %d, d = %d), sigma = %g, M = %d, %d steps from t = %g, %s, %s, "
               "%s: %.3f s; training set %.1f MB%s; first step after %.3f s\n",
               params.n_samples, spec.c_str(), train.total_rows(), train.dim(), params.sigma,
               params.n_draws, steps_run, sampler.time(sampler.first_step()), estimator.c_str(), where.c_str(),
               isa_name(params.kernel.isa), seconds, train.memory_bytes() / 1e6, heap_report().c_str(), ready);
  // Samples in the data's own space (PCA latents decoded).
  const MatrixXfR samples = space.to_data(sampler.states());
  if (!out.empty()) outputs.write(out, data::matrix_file(out, samples));
  if (!out_latent.empty()) outputs.write(out_latent, data::matrix_file(out_latent, sampler.states()));
  if (!plot.empty() && images) {
    const eval::Nearest nearest = eval::nearest_training(pixels, samples, 1, pool);
    outputs.write(plot, output::image_grid_png(samples, pixels, nearest, shape, eval::copy_threshold(pixels, pool)));
  } else if (!plot.empty()) {
    outputs.write(plot, output::scatter_png(pixels.points(), samples));
  }
  if (!save_train.empty()) outputs.write(save_train, data::matrix_file(save_train, pixels.points()));
  outputs.commit();
  return 0;
}

void print_nearest(const char* what, const eval::NearestStats& stats) {
  std::printf(
      "%s\n  nearest training distance: min %.4g, 5%% %.4g, 25%% %.4g, median %.4g, 75%% %.4g, 95%% %.4g, max %.4g\n",
      what, stats.quantile[0], stats.quantile[1], stats.quantile[2], stats.quantile[3], stats.quantile[4],
      stats.quantile[5], stats.quantile[6]);
  std::printf("  copies (nearest distance below the threshold): %.1f%%\n", 100 * stats.copy_share);
  std::printf("  copies (nearest / second-nearest below 1/3):  %.1f%%\n", 100 * stats.ratio_share);
}

int command_eval(const Args& args) {
  ThreadPool pool(thread_count(args));
  const data::DataRequest request = parse_data_request(args);
  data::Dataset dataset = data::load_dataset(request, &pool);
  say_note(dataset.note);
  const TrainingSet train = data::make_training_set(std::move(dataset), &pool);
  if (train.n() < 2)
    throw Error(
        "eval needs a training set of at least 2 points (it compares each sample's nearest and second-nearest "
        "training point; this one has " +
        std::to_string(train.n()) + "): give more with --data or --n-train");
  const std::string samples_path = args.required("samples");
  const MatrixXfR samples = read_matrix_noting(samples_path);
  if (samples.cols() != train.dim())
    throw Error(printable(samples_path, 80) + " has dimension " + std::to_string(samples.cols()) +
                " but the training set has " + std::to_string(train.dim()) +
                ": evaluate samples of the same data (decoded pixels for --space pca)");
  double spacing = 0;
  const double copy_threshold = eval::copy_threshold(train, pool, &spacing);
  const double threshold = args.number("copy-threshold", copy_threshold);
  if (!std::isfinite(threshold) || threshold < 0)
    throw Error("--copy-threshold must be a finite number >= 0 (got " + in_quotes(args.text("copy-threshold", "")) +
                ")");
  const MatrixXfR reference = held_out_data(args.text("reference", ""), request, int(samples.rows()));
  if (reference.size() > 0 && reference.cols() != train.dim())
    throw Error("the reference data have dimension " + std::to_string(reference.cols()) + ", the training set " +
                std::to_string(train.dim()));
  std::printf("training set: %s, N = %d, d = %d; typical spacing (median nearest-neighbour distance) %.4g\n",
              request.spec.c_str(), train.n(), train.dim(), spacing);
  std::printf("copy threshold: %.4g%s\n", threshold, args.has("copy-threshold") ? "" : " (spacing / 10)");
  print_nearest(("samples (" + std::to_string(samples.rows()) + ", " + samples_path + ")").c_str(),
                eval::nearest_stats(eval::nearest_training(train, samples, 2, pool), threshold));
  if (reference.size() > 0) {
    print_nearest(("held-out real data (" + std::to_string(reference.rows()) + ")").c_str(),
                  eval::nearest_stats(eval::nearest_training(train, reference, 2, pool), threshold));
    if (train.dim() <= 3) {
      const Eigen::Index m = std::min(samples.rows(), reference.rows());
      std::printf("sliced Wasserstein-2, samples to held-out data (%lld points each): %.4g\n", (long long)m,
                  eval::sliced_wasserstein2(samples.topRows(m), reference.topRows(m)));
    }
  } else {
    std::printf("held-out real data: none (give --reference FILE to compare)\n");
  }
  return 0;
}

int command_velocity(const Args& args) {
  const double t = args.number("t", NAN);
  if (!args.has("t")) throw Error("--t is required");
  if (!(t >= 0.0 && t < 1.0)) throw Error("--t must be in [0, 1) (got " + in_quotes(args.text("t", "")) + ")");
  const double sigma = args.number("sigma", 0.0);
  if (!std::isfinite(sigma) || sigma < 0.0)
    throw Error("--sigma must be a finite number >= 0 (got " + in_quotes(args.text("sigma", "")) + ")");
  const std::string out = args.required("out");
  check_output_path(out, {".npy", ".csv"}, "--out");
  if (args.has("eps") && args.has("draws")) throw Error("give either --eps FILE or --draws M, not both");
  data::OutputFiles outputs;
  keep_inputs(outputs, args, {"train", "points", "eps"});
  outputs.reserve(out, "--out");
  ThreadPool pool(thread_count(args));
  const TrainingSet train(read_matrix_noting(args.required("train")));
  const MatrixXfR points = read_matrix_noting(args.required("points"));
  const int n_points = int(points.rows()), d = int(points.cols());
  if (d != train.dim())
    throw Error("--points has dimension " + std::to_string(d) + " but --train has " + std::to_string(train.dim()) +
                ": both need the same number of columns");
  check_sigma(train, sigma);
  const bool drawn = !args.has("eps") && sigma > 0.0;  // the draws made here, from --draws and --seed
  int n_draws = 0;
  if (drawn) {
    n_draws = checked_int(args, "draws", 1);
    if (n_draws < 1) throw Error("draws must be at least 1 (got " + std::to_string(n_draws) + ")");
    // The draws, their queries and their posterior means: 3 x M x B x d floats, counted in 64 bits
    // (a 32-bit size wraps around in wasm).
    const double bytes = 3.0 * double(n_draws) * double(n_points) * double(d) * sizeof(float);
    data::check_memory(
        bytes > 1.8e19 ? UINT64_MAX : uint64_t(bytes),
        std::to_string(n_draws) + " draws of " + std::to_string(n_points) + " points of dimension " + std::to_string(d),
        "choose fewer --draws or points");
  }
  std::vector<float> eps;
  if (args.has("eps")) {
    const std::string path = args.text("eps", "");
    data::Array draws = data::read_npy(path);
    if (draws.shape.size() != 3 || draws.shape[1] != n_points || draws.shape[2] != d || draws.shape[0] < 1)
      throw Error(printable(path, 80) + ": --eps must have shape M x B x d = M x " + std::to_string(n_points) + " x " +
                  std::to_string(d));
    for (float v : draws.values)
      if (!std::isfinite(v)) throw Error(printable(path, 80) + ": --eps holds a value that is not finite (NaN/Inf)");
    n_draws = int(draws.shape[0]);
    eps = std::move(draws.values);
  } else if (drawn) {
    eps.resize(size_t(n_draws) * size_t(n_points) * size_t(d));
    const uint64_t seed = args.seed("seed", 0);
    for (int b = 0; b < n_points; ++b) {
      Rng rng(seed, uint64_t(b), uint64_t(Stream::draws));
      for (int m = 0; m < n_draws; ++m)
        for (int k = 0; k < d; ++k) eps[(size_t(m) * n_points + b) * d + k] = float(rng.normal());
    }
  }
  MatrixXfR velocity(n_points, d);
  SamplerParams params = default_sampler_params();
  if (parse_estimator(args, &params.knn)) params.estimator = Estimator::knn;
  parse_model_options(args, &params.denoiser, ImageShape{});
  params.seed = args.seed("seed", 0);
  const std::unique_ptr<PosteriorMean> mean = make_posterior_mean(train, params, pool);
  smoothed_velocity(*mean, points.data(), n_points, t, sigma, eps.empty() ? nullptr : eps.data(), n_draws,
                    velocity.data());
  outputs.write(out, data::matrix_file(out, std::move(velocity)));
  outputs.commit();
  return 0;
}

int command_info() {
  std::printf("cfdm %s\n", CFDM_VERSION);
  std::printf("build type: %s\n", CFDM_BUILD_TYPE);
  std::printf("platform: %s\n", kPlatform);
  std::printf("compiler: %s\n", __VERSION__);
  std::printf("simd: %s\n", isa_name(best_isa()));
  std::string available;
  for (Isa isa : kIsas)
    if (isa_available(isa)) available += std::string(available.empty() ? "" : ", ") + isa_name(isa);
  std::printf("kernels available: %s\n", available.c_str());
  std::printf("threads: %d (hardware), at most %d in this build\n", ThreadPool::hardware_threads(), kMaxThreads);
  if (mpi_built_in())
    std::printf("mpi: built in (%s): mpirun -np P cfdm sample ... splits the training set over P processes\n",
                mpi_library().c_str());
  else
    std::printf("mpi: not built in (install libopenmpi-dev and build with -DCFDM_MPI=ON)\n");
  std::printf("models (--model): cfdm (default), wiener, local, pca-local, nearest; schedules: flow, ddim\n");
  std::printf("toy datasets:");
  for (const auto& name : data::toy_names()) std::printf(" %s", name.c_str());
  std::printf("\nscenarios (cfdm sample --scenario NAME; the app's story presets among them; all but the\nbenchmark's have their samples pinned by tests/test_golden.cpp):\n");
  for (const data::Scenario& s : data::scenarios()) std::printf("  %-20s %s\n", s.name.c_str(), s.description.c_str());
  return 0;
}

int run(const std::vector<std::string>& argv, Cluster& cluster) {
  const int argc = int(argv.size());
  std::vector<std::string> rest(argv.begin() + std::min(argc, 2), argv.end());
  const std::string command = argc > 1 ? argv[1] : "";
  auto args_of = [&](Command which) { return Args(rest, options_with_value(which), flag_options(which)); };
  if (cluster.launched() && command != "sample")
    throw Error("under mpirun, cfdm runs `sample` (its training set split over the processes): run `cfdm " +
                printable(command, 40) + "` without mpirun");
  if (command == "sample") return command_sample(args_of(Command::sample), cluster);
  if (command == "velocity") return command_velocity(args_of(Command::velocity));
  if (command == "info") return command_info();
  if (command == "eval") return command_eval(args_of(Command::eval));
  if (command == "sweep") return command_sweep(args_of(Command::sweep));
  if (command == "compare") return command_compare(args_of(Command::compare));
  if (command == "prepare-data") {
    const Args args = args_of(Command::prepare_data);
    data::prepare_datasets(args.text("mnist", ""), args.text("fashion-mnist", ""), args.required("out"));
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(usage_text().c_str(), stdout);
    return 0;
  }
  std::fputs(usage_text().c_str(), stderr);
  throw Error(command.empty() ? "no command given" : "unknown command " + in_quotes(command));
}

}  // namespace
}  // namespace cfdm::cli

namespace {

// Says an error once: a rank's own when it is alone or past the last exchange; else, under
// mpirun, the one every rank agrees on (the lowest failing rank's), said by rank 0.
int report(cfdm::cli::Cluster* cluster, const char* kind, const std::string& message, int code) {
  if (cluster && cluster->launched() && !cluster->closed()) {
    try {
      cluster->check(true, message);
    } catch (const cfdm::cli::RankError& agreed) {
      if (cluster->rank() == 0) std::fprintf(stderr, "cfdm: %s: %s\n", kind, agreed.what());
      return code;
    }
  }
  std::fprintf(stderr, "cfdm: %s: %s\n", kind, message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // Under a limit on the address space (ulimit -v), glibc's reserve of 64 MB of it per thread's
  // malloc arena (MPI starts threads of its own) would count against the data: one arena.
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) mallopt(M_ARENA_MAX, 1);
#endif
  cfdm::cli::Cluster* cluster = nullptr;
  try {
    cluster = &cfdm::cli::Cluster::join();
    return cfdm::cli::run(cluster->arguments(std::vector<std::string>(argv, argv + argc)), *cluster);
  } catch (const cfdm::cli::RankError& error) {
    if (cluster->rank() == 0) std::fprintf(stderr, "cfdm: error: %s\n", error.what());
    return 2;
  } catch (const cfdm::Error& error) {
    return report(cluster, "error", error.what(), 2);
  } catch (const std::bad_alloc&) {
    return report(cluster, "error", "out of memory: reduce --n-train, --n-samples or --draws", 2);
  } catch (const std::exception& error) {
    return report(cluster, "internal error", error.what(), 1);
  }
}
