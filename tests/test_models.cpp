// The local models of the analytic family (analytic-family.md) against float64 brute force: the
// local patch model (window distances summed pixel by pixel, no summed-area table) and PCA
// locality (the gain from a matrix inverse, no eigendecomposition), their identities with the
// exact model, a temperature, thread-count independence, the options' checks, and the DDIM grid
// as the sampler runs it (one DDIM update in variance-preserving coordinates per step).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/knn.hpp"
#include "core/rng.hpp"
#include "core/gaussian.hpp"
#include "core/sampler.hpp"
#include "core/schedule.hpp"
#include "core/thread_pool.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

// sum_i softmax_i(-dist_i / (2 b^2 tau)) x_i,k for one output coordinate, in double.
double softmax_mean(const std::vector<double>& dist, const MatrixXfR& x, int k, double b, double tau) {
  double best = INFINITY;
  for (double v : dist) best = std::min(best, v);
  double sum = 0, acc = 0;
  for (size_t i = 0; i < dist.size(); ++i) {
    const double w = std::exp(-(dist[i] - best) / (2 * b * b * tau));
    sum += w;
    acc += w * x(Eigen::Index(i), k);
  }
  return acc / sum;
}

// The local patch model, window distances summed directly.
MatrixXdR local_oracle(const MatrixXfR& x, const MatrixXfR& z, const ImageShape& shape, int patch, double t,
                       double tau = 1.0) {
  const int h = shape.height, w = shape.width, c = shape.channels, r = patch / 2;
  MatrixXdR out(z.rows(), z.cols());
  for (Eigen::Index q = 0; q < z.rows(); ++q)
    for (int y = 0; y < h; ++y)
      for (int s = 0; s < w; ++s) {
        std::vector<double> dist(size_t(x.rows()), 0.0);
        for (Eigen::Index i = 0; i < x.rows(); ++i)
          for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
            for (int ss = std::max(0, s - r); ss <= std::min(w - 1, s + r); ++ss)
              for (int ch = 0; ch < c; ++ch) {
                const int k = (yy * w + ss) * c + ch;
                const double e = double(z(q, k)) - t * double(x(i, k));
                dist[size_t(i)] += e * e;
              }
        for (int ch = 0; ch < c; ++ch) {
          const int k = (y * w + s) * c + ch;
          out(q, k) = softmax_mean(dist, x, k, 1 - t, tau);
        }
      }
  return out;
}

// M = G / diag(G) (rows divided by their diagonal) with G = a^2 S (a^2 S + b^2 I)^{-1} from the
// covariance (divided by N), in double: no eigendecomposition.
Eigen::MatrixXd pca_local_ratios(const MatrixXfR& x, double t) {
  const int d = int(x.cols());
  const Eigen::MatrixXd xd = x.cast<double>();
  const Eigen::VectorXd mu = xd.colwise().mean().transpose();
  const Eigen::MatrixXd centered = xd.rowwise() - mu.transpose();
  const Eigen::MatrixXd s = centered.transpose() * centered / double(x.rows());
  const double a = t, b = 1 - t;
  const Eigen::MatrixXd g = a * a * s * (a * a * s + b * b * Eigen::MatrixXd::Identity(d, d)).inverse();
  Eigen::MatrixXd m(d, d);
  for (int k = 0; k < d; ++k)
    for (int j = 0; j < d; ++j) m(k, j) = std::abs(g(k, k)) < 1e-6 ? g(k, j) : g(k, j) / g(k, k);
  return m;
}

// A threshold near `wanted` that no |M_kj| / max |M| comes close to: the midpoint of the two
// ratios around it. (A ratio within rounding of the cut may fall either side of it: then both
// answers are right, and the eigendecomposition and the inverse may disagree.)
double clear_threshold(const MatrixXfR& x, double t, double wanted) {
  const Eigen::MatrixXd m = pca_local_ratios(x, t);
  const double top = m.cwiseAbs().maxCoeff();
  double below = 0, above = 1;
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    const double r = std::abs(m.data()[i]) / top;
    if (r < wanted) below = std::max(below, r);
    else above = std::min(above, r);
  }
  return 0.5 * (below + above);
}

// PCA locality, the masked softmax summed directly.
MatrixXdR pca_local_oracle(const MatrixXfR& x, const MatrixXfR& z, double threshold, double t) {
  const int d = int(x.cols());
  const double a = t, b = 1 - t;
  const Eigen::MatrixXd m = pca_local_ratios(x, t);
  const double cut = threshold * m.cwiseAbs().maxCoeff();
  MatrixXdR out(z.rows(), d);
  for (Eigen::Index q = 0; q < z.rows(); ++q)
    for (int j = 0; j < d; ++j) {
      std::vector<double> dist(size_t(x.rows()), 0.0);
      for (Eigen::Index i = 0; i < x.rows(); ++i)
        for (int k = 0; k < d; ++k)
          if (threshold == 0 || std::abs(m(k, j)) >= cut) {
            const double e = double(z(q, k)) - a * double(x(i, k));
            dist[size_t(i)] += e * e;
          }
      out(q, j) = softmax_mean(dist, x, j, b, 1.0);
    }
  return out;
}

MatrixXfR evaluate(PosteriorMean& mean, const MatrixXfR& z, double t) {
  MatrixXfR out(z.rows(), z.cols());
  EXPECT_TRUE(mean.evaluate(z.data(), int(z.rows()), int(z.cols()), t, -1, out.data(), int(out.cols())));
  return out;
}

// Queries on the flow at t: t x_j + (1 - t) eps for training rows j, plus a little off-data noise.
MatrixXfR flow_queries(const MatrixXfR& x, int count, double t, uint64_t seed) {
  const MatrixXfR eps = normal_points(count, int(x.cols()), seed);
  MatrixXfR z(count, x.cols());
  for (int q = 0; q < count; ++q) z.row(q) = float(t) * x.row((q * 7) % x.rows()) + float(1 - t) * eps.row(q);
  return z;
}

// Two denoisers agree within `tolerance` on 5 queries on the flow at each of `times`.
void expect_agree(PosteriorMean& a, PosteriorMean& b, const MatrixXfR& x, std::initializer_list<double> times,
                  uint64_t seed, double tolerance) {
  for (double t : times) {
    const MatrixXfR z = flow_queries(x, 5, t, seed);
    EXPECT_LT((evaluate(a, z, t) - evaluate(b, z, t)).cwiseAbs().maxCoeff(), tolerance) << "t = " << t;
  }
}

// Images of 6 x 5 pixels with 2 channels: smooth random blobs in [0, 1].
MatrixXfR small_images(int n, uint64_t seed, const ImageShape& shape) {
  const MatrixXfR noise = normal_points(n, 4, seed);
  MatrixXfR x(n, shape.size());
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < shape.height; ++y)
      for (int s = 0; s < shape.width; ++s)
        for (int ch = 0; ch < shape.channels; ++ch)
          x(i, (y * shape.width + s) * shape.channels + ch) =
              0.5f + 0.25f * std::tanh(noise(i, 0) * float(y) / 3 + noise(i, 1) * float(s) / 3 + noise(i, 2 + ch));
  return x;
}

const ImageShape kShape{6, 5, 2};

TEST(LocalModel, MatchesTheFloat64WindowSumsForEveryPatchSize) {
  const MatrixXfR x = small_images(40, 1, kShape);
  const TrainingSet train(x);
  ThreadPool pool(2);
  for (int patch : {1, 3, 5, 0}) {
    auto mean = make_local_posterior_mean(train, kShape, patch, pool);
    for (double t : {0.0, 0.3, 0.75, 0.97}) {
      const MatrixXfR z = flow_queries(x, 6, t, 2);
      const int used = local_patch_size(kShape, patch, t);
      EXPECT_LT(max_abs_diff(evaluate(*mean, z, t), local_oracle(x, z, kShape, used, t)), 2e-6)
          << "patch " << patch << " (" << used << "), t = " << t;
    }
  }
}

TEST(LocalModel, ReadsBytePixelsLikeFloats) {
  const ImageShape shape{5, 4, 1};
  std::vector<uint8_t> bytes(size_t(30) * shape.size());
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t((i * 37 + i / 7) % 256);
  const TrainingSet train(bytes.data(), 30, int(shape.size()), 1.0f / 255);
  const MatrixXfR x = train.points();
  ThreadPool pool(1);
  auto mean = make_local_posterior_mean(train, shape, 3, pool);
  const MatrixXfR z = flow_queries(x, 4, 0.8, 3);
  EXPECT_LT(max_abs_diff(evaluate(*mean, z, 0.8), local_oracle(x, z, shape, 3, 0.8)), 2e-6);
}

TEST(LocalModel, AWindowCoveringTheImageIsTheExactModel) {
  const MatrixXfR x = small_images(50, 3, kShape);
  const TrainingSet train(x);
  ThreadPool pool(2);
  auto local = make_local_posterior_mean(train, kShape, 11, pool);  // 2 max(6, 5) - 1
  auto exact = make_exact_posterior_mean(train, pool);
  expect_agree(*local, *exact, x, {0.2, 0.6, 0.9}, 4, 1e-5);
}

TEST(LocalModel, EveryPixelStaysInTheTrainingPixelsRange) {
  const MatrixXfR x = small_images(30, 5, kShape);
  const TrainingSet train(x);
  ThreadPool pool(1);
  auto mean = make_local_posterior_mean(train, kShape, 0, pool);
  const MatrixXfR out = evaluate(*mean, normal_points(8, int(kShape.size()), 6, 3.0), 0.99);
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    EXPECT_GE(out.col(k).minCoeff(), x.col(k).minCoeff() - 1e-6f);
    EXPECT_LE(out.col(k).maxCoeff(), x.col(k).maxCoeff() + 1e-6f);
  }
}

TEST(LocalModel, TakesATemperature) {
  const MatrixXfR x = small_images(40, 7, kShape);
  const TrainingSet train(x);
  ThreadPool pool(2);
  SamplerParams params;
  params.denoiser.model = Model::local;
  params.denoiser.image = kShape;
  params.denoiser.patch = 3;
  for (double tau : {0.25, 4.0}) {
    params.denoiser.temperature = tau;
    auto mean = make_posterior_mean(train, params, pool);
    const MatrixXfR z = flow_queries(x, 4, 0.7, 8);
    EXPECT_LT(max_abs_diff(evaluate(*mean, z, 0.7), local_oracle(x, z, kShape, 3, 0.7, tau)), 2e-6) << tau;
  }
}

TEST(PcaLocalModel, MatchesTheFloat64MaskedSoftmax) {
  const MatrixXfR x = small_images(60, 9, kShape);
  const TrainingSet train(x);
  ThreadPool pool(2);
  for (double wanted : {0.005, 0.05, 0.3}) {
    for (double t : {0.3, 0.6, 0.9}) {
      const double threshold = clear_threshold(x, t, wanted);
      auto mean = make_pca_local_posterior_mean(train, threshold, pool);
      const MatrixXfR z = flow_queries(x, 4, t, 10);
      EXPECT_LT(max_abs_diff(evaluate(*mean, z, t), pca_local_oracle(x, z, threshold, t)), 2e-6)
          << threshold << ", t = " << t;
    }
  }
}

TEST(PcaLocalModel, AnAllOnesMaskIsTheExactModel) {
  const MatrixXfR x = small_images(50, 11, kShape);
  const TrainingSet train(x);
  ThreadPool pool(2);
  auto pca = make_pca_local_posterior_mean(train, 0.0, pool);
  auto exact = make_exact_posterior_mean(train, pool);
  expect_agree(*pca, *exact, x, {0.3, 0.8}, 12, 1e-5);
}

TEST(LocalModels, GiveTheSameBitsOnEveryThreadCount) {
  const MatrixXfR x = small_images(40, 13, kShape);
  const TrainingSet train(x);
  const MatrixXfR z = flow_queries(x, 11, 0.6, 14);
  for (Model model : {Model::local, Model::pca_local}) {
    MatrixXfR first;
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      SamplerParams params;
      params.denoiser.model = model;
      if (model == Model::local) params.denoiser.image = kShape;
      const MatrixXfR out = evaluate(*make_posterior_mean(train, params, pool), z, 0.6);
      if (threads == 1) first = out;
      EXPECT_TRUE(bit_identical(first, out)) << model_name(model) << ", " << threads << " threads";
    }
  }
}

// The local model with the nearest-neighbour estimator, in double from its definition: the K
// nearest training images of z/t by brute force in double, L draws from the rest (the
// estimator's own draws from those neighbours, Rng(seed, r, knn_draws) as a one-off evaluation
// keys them), each image's window weights multiplied by 1, or (N - K)/L for a draw.
MatrixXdR local_knn_oracle(const MatrixXfR& x, const MatrixXfR& z, const ImageShape& shape, int patch, double t,
                           int k, int l, uint64_t seed) {
  const int n = int(x.rows()), h = shape.height, w = shape.width, c = shape.channels, r = patch / 2;
  MatrixXdR out(z.rows(), z.cols());
  for (Eigen::Index q = 0; q < z.rows(); ++q) {
    std::vector<std::pair<double, int>> by_distance;
    for (int i = 0; i < n; ++i) {
      double dist = 0;
      for (Eigen::Index j = 0; j < x.cols(); ++j) dist += std::pow(double(z(q, j)) / t - double(x(i, j)), 2);
      by_distance.push_back({dist, i});
    }
    std::sort(by_distance.begin(), by_distance.end());
    std::vector<int> rows, drawn;
    for (int j = 0; j < k; ++j) rows.push_back(by_distance[size_t(j)].second);
    Rng rng(seed, uint64_t(q), uint64_t(Stream::knn_draws));
    knn_draw_others(rng, n, rows.data(), k, l, &drawn);
    rows.insert(rows.end(), drawn.begin(), drawn.end());
    for (int y = 0; y < h; ++y)
      for (int s = 0; s < w; ++s) {
        std::vector<double> logit;
        double top = -INFINITY;
        for (int i : rows) {
          double dist = 0;
          for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
            for (int ss = std::max(0, s - r); ss <= std::min(w - 1, s + r); ++ss)
              for (int ch = 0; ch < c; ++ch) {
                const int j = (yy * w + ss) * c + ch;
                dist += std::pow(double(z(q, j)) - t * double(x(i, j)), 2);
              }
          logit.push_back(-dist / (2 * (1 - t) * (1 - t)));
          top = std::max(top, logit.back());
        }
        for (int ch = 0; ch < c; ++ch) {
          double sum = 0, acc = 0;
          for (size_t j = 0; j < rows.size(); ++j) {
            const double weight = std::exp(logit[j] - top) * (int(j) < k ? 1.0 : double(n - k) / l);
            sum += weight;
            acc += weight * double(x(rows[j], (y * w + s) * c + ch));
          }
          out(q, (y * w + s) * c + ch) = acc / sum;
        }
      }
  }
  return out;
}

SamplerParams local_knn_params(int patch, int k, int l, uint64_t seed) {
  SamplerParams params;
  params.denoiser.model = Model::local;
  params.denoiser.image = kShape;
  params.denoiser.patch = patch;
  params.estimator = Estimator::knn;
  params.knn.k = k;
  params.knn.l = l;
  params.seed = seed;
  return params;
}

TEST(LocalKnnEstimator, MatchesTheFloat64SoftmaxOverItsNeighboursAndDrawsOnEveryIsa) {
  const MatrixXfR x = small_images(60, 21, kShape);
  const TrainingSet train(x);
  for (int patch : {3, 0}) {
    for (double t : {0.3, 0.75, 0.97}) {
      const MatrixXfR z = flow_queries(x, 7, t, 22);
      const MatrixXdR expected = local_knn_oracle(x, z, kShape, local_patch_size(kShape, patch, t), t, 6, 9, 5);
      MatrixXfR first;
      for (Isa isa : available_isas())
        for (int threads : {1, 3}) {
          ThreadPool pool(threads);
          SamplerParams params = local_knn_params(patch, 6, 9, 5);
          params.kernel.isa = isa;
          const MatrixXfR got = evaluate(*make_posterior_mean(train, params, pool), z, t);
          if (first.size() == 0) {
            first = got;
            EXPECT_LT(max_abs_diff(got, expected), 2e-6) << "patch " << patch << ", t = " << t;
          }
          EXPECT_TRUE(bit_identical(got, first)) << isa_name(isa) << ", " << threads << " threads, t = " << t;
        }
    }
  }
  // t = 0: every window alike, the training mean.
  ThreadPool pool(1);
  const MatrixXfR at0 = evaluate(*make_posterior_mean(train, local_knn_params(3, 6, 9, 5), pool), x.topRows(2), 0.0);
  for (Eigen::Index q = 0; q < 2; ++q)
    EXPECT_LT((at0.row(q) - x.colwise().mean()).cwiseAbs().maxCoeff(), 1e-6);
}

TEST(LocalKnnEstimator, DrawingAllTheRestIsTheLocalModel) {
  // K + L = N: every image, each weighted (N - K)/L = 1.
  const MatrixXfR x = small_images(40, 23, kShape);
  const TrainingSet train(x);
  ThreadPool pool(2);
  auto local = make_local_posterior_mean(train, kShape, 3, pool);
  auto estimated = make_posterior_mean(train, local_knn_params(3, 5, 35, 7), pool);
  expect_agree(*estimated, *local, x, {0.4, 0.9}, 24, 1e-6);
}

TEST(LocalKnnEstimator, AWindowCoveringTheImageIsCfdmsEstimator) {
  const MatrixXfR x = small_images(50, 25, kShape);
  const TrainingSet train(x);
  ThreadPool pool(2);
  auto local = make_posterior_mean(train, local_knn_params(11, 6, 8, 9), pool);  // 2 max(6, 5) - 1
  SamplerParams cfdm_knn = local_knn_params(0, 6, 8, 9);
  cfdm_knn.denoiser = {};
  auto whole = make_posterior_mean(train, cfdm_knn, pool);
  expect_agree(*local, *whole, x, {0.3, 0.8}, 26, 1e-5);
}

TEST(ModelOptions, RejectWhatDoesNotFit) {
  const TrainingSet train(small_images(10, 15, kShape));
  ThreadPool pool(1);
  auto fails = [&](SamplerParams params, const char* words) {
    try {
      make_posterior_mean(train, params, pool);
      ADD_FAILURE() << "no error for: " << words;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  SamplerParams local;
  local.denoiser.model = Model::local;
  fails(local, "needs the rows' image shape");
  local.denoiser.image = ImageShape{6, 6, 2};
  fails(local, "has 72 values but the rows have 60");
  local.denoiser.image = kShape;
  local.denoiser.patch = 4;
  fails(local, "must be odd");
  SamplerParams pca;
  pca.denoiser.model = Model::pca_local;
  pca.denoiser.mask_threshold = 1.5;
  fails(pca, "mask threshold must be in [0, 1]");
  SamplerParams wiener;
  wiener.denoiser.model = Model::wiener;
  wiener.denoiser.temperature = 2;
  fails(wiener, "no temperature");
  SamplerParams knn;
  knn.denoiser.model = Model::nearest;
  knn.estimator = Estimator::knn;
  fails(knn, "serves the cfdm and local models only");
  SamplerParams shared = local_knn_params(3, 2, 2, 0);
  shared.knn.neighbors_per_draw = false;
  fails(shared, "drop --knn-numerator neighbors and --knn-neighbors shared");
  SamplerParams cold;
  cold.denoiser.temperature = -1;
  fails(cold, "temperature must be a finite number >= 1e-06 (got -1)");
  cold.denoiser.temperature = 1e-7;
  fails(cold, "temperature must be a finite number >= 1e-06 (got 1e-07)");
  SamplerParams patch;
  patch.denoiser.patch = 3;
  fails(patch, "option of the local model");
  EXPECT_THROW(parse_model("unet"), Error);
  EXPECT_EQ(parse_model("pca-local"), Model::pca_local);
}

TEST(LocalModel, PatchScheduleShrinksAsTimeGoesOn) {
  const ImageShape mnist{28, 28, 1};
  EXPECT_EQ(local_patch_size(mnist, 0, 0.1), 27);
  EXPECT_EQ(local_patch_size(mnist, 0, 0.5), 9);
  EXPECT_EQ(local_patch_size(mnist, 0, 0.95), 3);
  EXPECT_EQ(local_patch_size(mnist, 7, 0.95), 7);
  EXPECT_EQ(local_patch_size(ImageShape{8, 8, 1}, 0, 0.0), 7);
  EXPECT_EQ(local_patch_size(ImageShape{8, 8, 1}, 0, 0.99), 1);
  int previous = 1000;
  for (double t = 0; t < 1; t += 0.01) {
    const int p = local_patch_size(ImageShape{32, 32, 3}, 0, t);
    EXPECT_EQ(p % 2, 1);
    EXPECT_LE(p, previous);
    previous = p;
  }
}

// The sampler on the ddim grid against DDIM written in variance-preserving coordinates: start
// from z_vp = eps, then z_vp' = sqrt(ab') x0 + sqrt(1 - ab') (z_vp - sqrt(ab) x0) / sqrt(1 - ab),
// x0 the denoiser at the flow point z_vp / (sqrt(ab) + sqrt(1 - ab)).
TEST(DdimSchedule, TheSamplerTakesDdimStepsInFlowCoordinates) {
  const MatrixXfR x = normal_points(30, 3, 16);
  const TrainingSet train(x);
  ThreadPool pool(2);
  SamplerParams params;
  params.n_samples = 5;
  params.n_steps = 10;
  params.schedule = Schedule::ddim;
  params.denoiser.model = Model::wiener;  // a smooth denoiser: the comparison is not chaotic
  params.seed = 17;
  Sampler sampler(train, params, pool);
  auto mean = make_wiener_posterior_mean(train, pool, Isa::best);
  const int ratio = kDdpmTrainingSteps / params.n_steps;
  std::vector<double> alpha_bar;
  for (int k = 0; k < params.n_steps; ++k) alpha_bar.push_back(ddpm_alpha_bar((params.n_steps - 1 - k) * ratio));
  alpha_bar.push_back(1.0);
  // z_vp of the sampler's first state.
  MatrixXdR z_vp = sampler.states().cast<double>() / flow_scale(alpha_bar[0]);
  for (int n = 0; n < params.n_steps; ++n) {
    ASSERT_NEAR(sampler.t(), flow_time(alpha_bar[size_t(n)]), 1e-15);
    const MatrixXfR flow = (z_vp * flow_scale(alpha_bar[size_t(n)])).cast<float>();
    const MatrixXdR x0 = evaluate(*mean, flow, sampler.t()).cast<double>();
    const double a = std::sqrt(alpha_bar[size_t(n)]), b = std::sqrt(1 - alpha_bar[size_t(n)]);
    const double a1 = std::sqrt(alpha_bar[size_t(n) + 1]), b1 = std::sqrt(1 - alpha_bar[size_t(n) + 1]);
    z_vp = a1 * x0 + b1 * (z_vp - a * x0) / b;
    ASSERT_TRUE(sampler.step());
    const MatrixXdR expected = z_vp * flow_scale(alpha_bar[size_t(n) + 1]);
    EXPECT_LT(max_abs_diff(sampler.states(), expected), 2e-5 * (1 + expected.cwiseAbs().maxCoeff())) << "step " << n;
  }
  EXPECT_TRUE(sampler.done());
}

}  // namespace
}  // namespace cfdm::test
