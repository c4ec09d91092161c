// The PCA-locality model (analytic-family.md, "PCA locality"; Lukoianov, Yuan, Solomon, Sitzmann,
// "Locality in image diffusion models emerges from data statistics", NeurIPS 2025): the Wiener
// filter's gain says which input pixels a pixel's denoised value depends on, and each output
// coordinate j is a softmax over the training rows of the distance on those coordinates only:
//
//   G = U diag(a^2 lambda / (a^2 lambda + b^2)) U^T,   M_kj = G_kj / G_kk (no division where |G_kk| < 1e-6),
//   mask_j = { k : |M_kj| >= thr max|M| }   (column j, as the reference implementation reads it),
//   w_ij = softmax_i( -sum_{k in mask_j} (z_k - a x_ik)^2 / (2 b^2) ),   D_j = sum_i w_ij x_ij.
//
// thr = 0 keeps every coordinate: the exact model. The softmax runs over the whole training set
// and the covariance is divided by N (the reference framework batches the softmax and divides by
// N - 1). It needs no image shape: the mask comes from the data's covariance.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/gaussian.hpp"
#include "core/local_kernels.hpp"
#include "core/posterior_mean.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

class PcaLocalPosteriorMean final : public PosteriorMean {
 public:
  PcaLocalPosteriorMean(const TrainingSet& train, double threshold, ThreadPool& pool, Isa isa)
      : PosteriorMean(train),
        threshold_(threshold),
        pool_(pool),
        isa_(isa),
        stats_(shared_gaussian_stats(train, &pool)) {
    local_table(isa);  // checks a forced instruction set now
    if (!(threshold >= 0 && threshold <= 1))
      throw Error("the mask threshold must be in [0, 1] (got " + std::to_string(threshold) + ")");
  }

  bool evaluate(const float* queries, int n_queries, int stride, double t, int, float* out, int out_stride,
                const float*, int) override {
    if (t != mask_t_ || offsets_.empty()) build_masks(t);
    const double a = t, scale = 1.0 / (2.0 * (1.0 - t) * (1.0 - t));
    // One query and training row: (z - a x)^2, summed over each output coordinate's mask
    // (local_impl.hpp, per instruction set).
    local_table(isa_).mask(train(), pool_, queries, n_queries, stride, a, scale, offsets_.data(), indices_.data(), out,
                           out_stride, nullptr);
    return true;
  }

  Parts parts() const override { return Parts::merged; }  // its masks come from the whole set's covariance
  size_t state_bytes() const override { return sizeof(double) * pixel_softmax_state_doubles(train().dim(), 1); }
  bool evaluate_states(const float* queries, int n_queries, int stride, double t, unsigned char* states) override {
    if (t != mask_t_ || offsets_.empty()) build_masks(t);
    const double a = t, scale = 1.0 / (2.0 * (1.0 - t) * (1.0 - t));
    local_table(isa_).mask(train(), pool_, queries, n_queries, stride, a, scale, offsets_.data(), indices_.data(),
                           nullptr, 0, reinterpret_cast<double*>(states));
    return true;
  }
  void merge_states(const unsigned char* const* parts, int n_parts, int n_queries, float* out,
                    int out_stride) const override {
    std::vector<const double*> states(static_cast<size_t>(n_parts));
    for (int p = 0; p < n_parts; ++p) states[size_t(p)] = reinterpret_cast<const double*>(parts[p]);
    merge_pixel_softmax_states(states.data(), n_parts, n_queries, train().dim(), 1, train().mean().data(), out,
                               out_stride);
  }

 private:
  // The masks at time t, one list of coordinates per output coordinate (kept for the next call).
  void build_masks(double t) {
    const int d = train().dim();
    const double a2 = t * t, b2 = (1.0 - t) * (1.0 - t);
    Eigen::VectorXd gain(d);
    for (int k = 0; k < d; ++k) {
      const double lambda = stats_->variances(k), denominator = a2 * lambda + b2;
      gain(k) = denominator > 0 ? a2 * lambda / denominator : 0.0;
    }
    const Eigen::MatrixXd g = stats_->basis * gain.asDiagonal() * stats_->basis.transpose();
    Eigen::MatrixXd m(d, d);
    for (int k = 0; k < d; ++k) {
      const double diagonal = g(k, k);
      for (int j = 0; j < d; ++j) m(k, j) = std::abs(diagonal) < 1e-6 ? g(k, j) : g(k, j) / diagonal;
    }
    const double cut = threshold_ * m.cwiseAbs().maxCoeff();
    offsets_.assign(size_t(d) + 1, 0);
    indices_.clear();
    for (int j = 0; j < d; ++j) {
      for (int k = 0; k < d; ++k)
        if (threshold_ == 0 || std::abs(m(k, j)) >= cut) indices_.push_back(k);
      offsets_[size_t(j) + 1] = int(indices_.size());
    }
    mask_t_ = t;
  }

  double threshold_;
  ThreadPool& pool_;
  Isa isa_;
  std::shared_ptr<const GaussianStats> stats_;
  double mask_t_ = -1;
  std::vector<int> offsets_, indices_;
};

}  // namespace

std::unique_ptr<PosteriorMean> make_pca_local_posterior_mean(const TrainingSet& train, double threshold,
                                                             ThreadPool& pool, Isa isa) {
  return std::make_unique<PcaLocalPosteriorMean>(train, threshold, pool, isa);
}

}  // namespace cfdm
