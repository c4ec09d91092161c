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
    const double inv = 1.0 / (t + (1.0 - t) * root_tau_);
    const std::vector<float> scaled = scale(queries, n_queries, stride, inv);
    const std::vector<float> scaled_points = points ? scale(points, n_points, d, inv) : std::vector<float>();
    return inner_->evaluate(scaled.data(), n_queries, d, t * inv, step, out, out_stride,
                            points ? scaled_points.data() : nullptr, n_points);
  }

  // On a part of a training set: the inner model's states at the same rescaled query and time.
  Parts parts() const override { return inner_->parts(); }
  size_t state_bytes() const override { return inner_->state_bytes(); }
  bool evaluate_states(const float* queries, int n_queries, int stride, double t, unsigned char* states) override {
    const double inv = 1.0 / (t + (1.0 - t) * root_tau_);
    return inner_->evaluate_states(scale(queries, n_queries, stride, inv).data(), n_queries, train().dim(), t * inv,
                                   states);
  }
  void merge_states(const unsigned char* const* parts, int n_parts, int n_queries, float* out,
                    int out_stride) const override {
    inner_->merge_states(parts, n_parts, n_queries, out, out_stride);
  }

 private:
  // rows x d values times inv (row stride `stride`), packed.
  std::vector<float> scale(const float* rows, int count, int stride, double inv) const {
    const int d = train().dim();
    std::vector<float> scaled(size_t(count) * d);
    for (int q = 0; q < count; ++q)
      for (int k = 0; k < d; ++k) scaled[size_t(q) * d + k] = float(double(rows[size_t(q) * stride + k]) * inv);
    return scaled;
  }

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
