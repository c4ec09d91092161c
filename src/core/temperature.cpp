// A temperature tau for a softmax denoiser (analytic-family.md): logits -|z - a x_i|^2 / (2 b^2 tau)
// with a = t, b = 1 - t. Dividing the logits by tau is widening the noise to b sqrt(tau), and
// a point of the line z = a x + b' eps is a point of the flow after scaling by s = a + b':
//
//   D_t^tau(z) = D_t'(z / s),   s = t + (1 - t) sqrt(tau),   t' = t / s,
//
// so any softmax model takes a temperature by evaluating it at a rescaled query and time.
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/posterior_mean.hpp"

namespace cfdm {
namespace {

class TemperedPosteriorMean final : public PosteriorMean {
 public:
  TemperedPosteriorMean(std::unique_ptr<PosteriorMean> inner, double tau)
      : PosteriorMean(inner->train()), inner_(std::move(inner)), root_tau_(std::sqrt(tau)) {}

  bool evaluate(const float* queries, int n_queries, int stride, double t, int step, float* out, int out_stride,
                const float* points, int n_points) override {
    const int d = train().dim();
    const double s = t + (1.0 - t) * root_tau_, inv = 1.0 / s;
    std::vector<float> scaled(size_t(n_queries) * d), scaled_points(size_t(points ? n_points : 0) * d);
    for (int q = 0; q < n_queries; ++q)
      for (int k = 0; k < d; ++k) scaled[size_t(q) * d + k] = float(double(queries[size_t(q) * stride + k]) * inv);
    for (size_t i = 0; i < scaled_points.size(); ++i) scaled_points[i] = float(double(points[i]) * inv);
    return inner_->evaluate(scaled.data(), n_queries, d, t * inv, step, out, out_stride,
                            points ? scaled_points.data() : nullptr, n_points);
  }

 private:
  std::unique_ptr<PosteriorMean> inner_;
  double root_tau_;
};

}  // namespace

std::unique_ptr<PosteriorMean> make_tempered_posterior_mean(std::unique_ptr<PosteriorMean> inner, double tau) {
  check_temperature(tau);
  if (tau == 1.0) return inner;
  return std::make_unique<TemperedPosteriorMean>(std::move(inner), tau);
}

}  // namespace cfdm
