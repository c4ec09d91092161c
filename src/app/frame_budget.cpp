#include "app/frame_budget.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/app_internal.hpp"
#include "app/sampling_job.hpp"
#include "core/error.hpp"
#include "data/toy.hpp"

namespace cfdm::app {
namespace {

// Rates measured with the WebAssembly CLI on one thread (node, a 2-core x86-64 desktop):
// generating a toy point and adding it to the training set (1,000,000 moons points: 0.8 s); its
// share of a box-tree index (+0.3 s); a training image's pixel (all of MNIST: about 0.25 s); a
// query-point pair of the kernel, (d + 7) x 0.2 ns (moons, N = 5,000, B = 2,000, M = 4 and
// N = 20,000, B = 2,000: 0.067 s a step, 1.7 ns a pair; MNIST 3s, N = 2,000, B = 36, M = 4:
// 0.044 s, 153 ns a pair); a nearest-neighbour query's tree search in 2-D (20,000 points,
// K = L = 15: about 9 us).
constexpr double kSecondsPerToyPoint = 0.8e-6;
constexpr double kSecondsPerIndexedPoint = 0.3e-6;
constexpr double kSecondsPerPixel = 5e-9;
constexpr double kSecondsPerPairCoordinate = 2e-10;
constexpr double kPairOverhead = 7;  // the softmax of a pair, in coordinates
constexpr double kSecondsPerTreeSearch = 9e-6;
// The local models: a softmax per pixel (local: 1,000 MNIST threes, 8 samples, 20 steps in
// 1.43-1.59 s, about 1.2e-8 s per coordinate of a pair; pca-local sums its masks, 9.3 times that).
constexpr double kSecondsPerLocalCoordinate = 1.3e-8;
constexpr double kPcaLocalFactor = 10;
constexpr double kSecondsPerWienerCoordinate = 2e-9;
constexpr int kImageDim = 28 * 28;
constexpr int kTreeMaxDim = 8;  // the box tree's reach; above it the estimator scans

bool uses_local_model(const Settings& s) {
  auto local = [](cfdm::Model m) { return m == cfdm::Model::local || m == cfdm::Model::pca_local; };
  if (s.models.empty()) return local(s.sampler.denoiser.model);
  if (!comparison_problem(s.models).empty()) return false;  // refused before it runs
  for (const std::string& name : s.models)
    if (local(comparison_params(s, name).denoiser.model)) return true;
  return false;
}

// One sampler's step: queries (samples times draws) against n training points in d dimensions.
double sampler_step_seconds(const SamplerParams& p, double n, double d) {
  const double queries = std::max(p.n_samples, 1) * (p.sigma > 0 ? std::max(p.n_draws, 1) : 1);
  const double pair = (d + kPairOverhead) * kSecondsPerPairCoordinate;
  const cfdm::Model model = p.denoiser.model;
  if (model == cfdm::Model::local && p.estimator == Estimator::knn)  // the scan for neighbours, then K + L images
    return queries * (n * pair + double(p.knn.k + p.knn.l) * d * kSecondsPerLocalCoordinate);
  if (model == cfdm::Model::local || model == cfdm::Model::pca_local)
    return queries * n * d * kSecondsPerLocalCoordinate * (model == cfdm::Model::pca_local ? kPcaLocalFactor : 1);
  if (model == cfdm::Model::wiener) return queries * d * d * kSecondsPerWienerCoordinate;
  if (p.estimator != Estimator::knn) return queries * n * pair;
  if (d <= kTreeMaxDim) return queries * (kSecondsPerTreeSearch + double(p.knn.k + p.knn.l) * pair);
  return queries * n * pair;  // the exact scan for neighbours
}

// The dimension sampled in.
double sampling_dim(const Settings& s) {
  if (is_image_name(s.dataset)) return s.pca ? s.pca_dim : kImageDim;
  return std::max(2, data::toy_dim(s.dataset));
}

}  // namespace

double step_seconds(const Settings& s, const SamplerParams& params) {
  return sampler_step_seconds(params, std::max(s.n_train, 1), sampling_dim(s));
}

FrameWork estimate_frame_work(const Settings& s) {
  const bool image = is_image_name(s.dataset);
  const double n = std::max(s.n_train, 1), b = std::max(s.sampler.n_samples, 1) * std::max<double>(1, s.models.size());
  const double d = sampling_dim(s);
  FrameWork work;
  const double pair = (d + kPairOverhead) * kSecondsPerPairCoordinate;
  work.prepare_seconds = image ? n * kImageDim * kSecondsPerPixel : n * kSecondsPerToyPoint;
  // Images: the copy threshold's typical spacing, measured after the build a few points a frame
  // (SamplingJob::advance), so its largest piece is a few scans. Point data: the index that
  // measures it and finds each finished sample's nearest training point.
  if (image)
    work.prepare_seconds = std::max(
        work.prepare_seconds, std::min<double>(n, SamplingJob::kSpacingPointsPerPiece) * n * pair);
  if (!image) work.prepare_seconds += n * kSecondsPerIndexedPoint;
  if (s.knn() && d <= kTreeMaxDim) work.prepare_seconds += n * kSecondsPerIndexedPoint;
  // A comparison: the single-thread page steps one model a frame, so its longest piece is one
  // model's step.
  if (s.models.empty()) work.step_seconds = step_seconds(s, s.sampler);
  for (const std::string& name : s.models) work.step_seconds = std::max(work.step_seconds, step_seconds(s, comparison_params(s, name)));
  if (image) work.step_seconds += b * n * pair;  // each sample's nearest training image, shown beside it
  if (!image) work.step_seconds += b * kSecondsPerTreeSearch;  // the last step: which samples are copies
  return work;
}

void check_frame_budget(const Settings& s) {
  const std::string training = is_image_name(s.dataset) ? " training images" : " training points";
  const char* full_speed =
      "; the full-speed page (cross-origin isolated, with threads: the link at the bottom right) does this work off "
      "the page's main thread";
  if (is_image_name(s.dataset) && s.pca)
    throw Error(std::string("the single-thread page cannot fit a PCA space without freezing the page for seconds: "
                            "sample in pixel space here") +
                full_speed);
  const FrameWork work = estimate_frame_work(s);
  if (work.prepare_seconds > kFrameBudgetSeconds) {
    // Preparation grows linearly with the training points.
    const double most = kFrameBudgetSeconds / (work.prepare_seconds / std::max(s.n_train, 1));
    throw Error("the single-thread page prepares at most about " +
                thousands(static_cast<long long>(most / 1000) * 1000) + training +
                " in one frame (this setting asks for " + thousands(s.n_train) + "), so it would freeze the page" +
                full_speed);
  }
  if (work.step_seconds > kFrameBudgetSeconds) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", work.step_seconds);
    throw Error(
        "one step of this setting (" + thousands(s.sampler.n_samples) + " samples" +
        (s.models.empty() ? std::string() : " of each of " + std::to_string(s.models.size()) + " models") +
        (s.sampler.sigma > 0 && s.sampler.n_draws > 1 ? " x " + std::to_string(s.sampler.n_draws) + " draws" : "") +
        " over " + thousands(s.n_train) + training + ") takes about " + seconds +
        " s in one piece, too long for the single-thread page: choose fewer samples, draws or" + training +
        ", or the nearest-neighbour estimator" +
        (uses_local_model(s) ? std::string(" (the local models cost far more per training image than the exact one)")
                             : std::string()) +
        full_speed);
  }
}

}  // namespace cfdm::app
