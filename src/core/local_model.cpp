// The local patch model (analytic-family.md, "local patch"; the LS machine of Kamb & Ganguli, "An
// analytic theory of creativity in convolutional diffusion models", ICML 2025): each output pixel
// j is a softmax over the training images of how well their P x P window around j (clipped at the
// border, all channels) matches the query's, and takes the winners' pixel j:
//
//   w_ij = softmax_i( -|z_P(j) - a x_i,P(j)|^2 / (2 b^2) ),   D_j = sum_i w_ij x_ij,   a = t, b = 1 - t.
//
// The squared window distance is a box filter of the map (z - a x_i)^2: one summed-area table per
// training image gives every window's distance in O(d), whatever P. A window covering the image is
// the exact model; P = 1 makes each pixel an independent one-dimensional exact model. Rows are
// centred (the model is shift-equivariant); tables, logits and sums are in double.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "core/detmath.hpp"
#include "core/error.hpp"
#include "core/knn.hpp"
#include "core/local_kernels.hpp"
#include "core/posterior_mean.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {
namespace {

class LocalPosteriorMean final : public PosteriorMean {
 public:
  LocalPosteriorMean(const TrainingSet& train, const ImageShape& image, int patch, ThreadPool& pool, Isa isa)
      : PosteriorMean(train), image_(image), patch_(patch), pool_(pool), isa_(isa) {
    local_table(isa);  // checks a forced instruction set now
    ModelOptions options;
    options.model = Model::local;
    options.image = image;
    options.patch = patch;
    validate(options, train.dim());
  }

  bool evaluate(const float* queries, int n_queries, int stride, double t, int, float* out, int out_stride,
                const float*, int) override {
    const int radius = local_patch_size(image_, patch_, t) / 2;
    const double a = t, scale = 1.0 / (2.0 * (1.0 - t) * (1.0 - t));
    // One query and training image: the summed-area table of (z - a x)^2, then each pixel's window
    // (local_impl.hpp, per instruction set).
    local_table(isa_).window(train(), pool_, queries, n_queries, stride, a, scale, image_, radius, out, out_stride,
                             nullptr);
    return true;
  }

  Parts parts() const override { return Parts::merged; }
  size_t state_bytes() const override { return sizeof(double) * pixel_softmax_state_doubles(groups(), image_.channels); }
  bool evaluate_states(const float* queries, int n_queries, int stride, double t, unsigned char* states) override {
    const int radius = local_patch_size(image_, patch_, t) / 2;
    const double a = t, scale = 1.0 / (2.0 * (1.0 - t) * (1.0 - t));
    local_table(isa_).window(train(), pool_, queries, n_queries, stride, a, scale, image_, radius, nullptr, 0,
                             reinterpret_cast<double*>(states));
    return true;
  }
  void merge_states(const unsigned char* const* parts, int n_parts, int n_queries, float* out,
                    int out_stride) const override {
    std::vector<const double*> states(static_cast<size_t>(n_parts));
    for (int p = 0; p < n_parts; ++p) states[size_t(p)] = reinterpret_cast<const double*>(parts[p]);
    merge_pixel_softmax_states(states.data(), n_parts, n_queries, groups(), image_.channels, train().mean().data(), out,
                               out_stride);
  }

 private:
  int groups() const { return image_.height * image_.width; }

  ImageShape image_;
  int patch_;
  ThreadPool& pool_;
  Isa isa_;
};

// The local model with the nearest-neighbour estimator (method.md section 5, as the cfdm model's):
// each query's softmaxes run over its K nearest training images by whole-image distance of z/t
// (the same search and index as cfdm's estimator) and L more drawn uniformly from the other N - K,
// each drawn image's weight multiplied by (N - K) / L. Where the window covers the image this is
// cfdm's estimator; with smaller windows it is an estimate of the local model whose error comes
// from windows that match well in images far from z as a whole (K + L = N: the local model itself,
// its rows in another order). Cost per query: the search (one pass over the data, or the IVF
// index's cells) plus (K + L) images' tables, instead of N of them.
class LocalKnnPosteriorMean final : public PosteriorMean {
 public:
  LocalKnnPosteriorMean(const TrainingSet& train, const ImageShape& image, int patch, const KnnOptions& options,
                        uint64_t seed, ThreadPool& pool, const KernelOptions& kernel)
      : PosteriorMean(train), image_(image), patch_(patch), options_(options), seed_(seed), pool_(pool), kernel_(kernel) {
    local_table(kernel.isa);
    validate(options_, train.n());
    if (!options_.weight_numerator || !options_.neighbors_per_draw)
      throw Error("the local model's nearest-neighbour estimator searches each draw's neighbours and weights its sums "
                  "alike: drop --knn-numerator neighbors and --knn-neighbors shared");
    index_ = make_knn_index(train, options_, pool_, kernel.isa);
  }

  bool evaluate(const float* queries, int n_queries, int stride, double t, int step, float* out, int out_stride,
                const float*, int) override {
    const int n = train().n(), d = train().dim(), k = options_.k, l = options_.l, m = k + l;
    if (t == 0.0) {  // every window's logit is the same: D_0 = mean(x), as the model's
      for (int r = 0; r < n_queries; ++r) std::copy_n(train().mean().data(), d, out + size_t(r) * out_stride);
      return true;
    }
    // The draws' stream as cfdm's estimator keys it; the neighbours kept for the next step.
    const uint64_t substream = knn_draws_substream(step);
    KnnMemory once;
    KnnMemory& memory = step >= 0 ? memory_ : once;
    if (!knn_neighbors_remembered(train(), *index_, k, queries, n_queries, stride, t, &memory, pool_, kernel_))
      return false;
    std::vector<int> rows(size_t(n_queries) * m);
    pool_.run(n_queries, [&](int r) {
      std::vector<int> drawn;
      Rng rng(seed_, uint64_t(r), substream);
      const int* mine = memory.neighbors.data() + size_t(r) * k;
      knn_draw_others(rng, n, mine, k, l, &drawn, kernel_.isa);
      // The neighbours by index (their set, not the search's ranking, decides the bits), then the draws.
      int* own = &rows[size_t(r) * m];
      std::copy_n(mine, k, own);
      std::sort(own, own + k);
      std::copy(drawn.begin(), drawn.end(), own + k);
    });
    std::vector<double> log_weights(size_t(m), 0.0);
    if (l > 0) std::fill(log_weights.begin() + k, log_weights.end(), detmath::log(double(n - k) / l));
    const int radius = local_patch_size(image_, patch_, t) / 2;
    local_table(kernel_.isa)
        .window_rows(train(), pool_, queries, n_queries, stride, t, 1.0 / (2.0 * (1.0 - t) * (1.0 - t)), image_, radius,
                     rows.data(), m, log_weights.data(), out, out_stride);
    return !(kernel_.cancel && kernel_.cancel->load());
  }

 private:
  ImageShape image_;
  int patch_;
  KnnOptions options_;
  uint64_t seed_;
  ThreadPool& pool_;
  KernelOptions kernel_;
  std::unique_ptr<NeighborIndex> index_;
  KnnMemory memory_;  // the neighbours of the last step
};

}  // namespace

std::unique_ptr<PosteriorMean> make_local_knn_posterior_mean(const TrainingSet& train, const ImageShape& image,
                                                             int patch, const KnnOptions& options, uint64_t seed,
                                                             ThreadPool& pool, const KernelOptions& kernel) {
  ModelOptions model;
  model.model = Model::local;
  model.image = image;
  model.patch = patch;
  validate(model, train.dim());
  return std::make_unique<LocalKnnPosteriorMean>(train, image, patch, options, seed, pool, kernel);
}

std::unique_ptr<PosteriorMean> make_local_posterior_mean(const TrainingSet& train, const ImageShape& image, int patch,
                                                         ThreadPool& pool, Isa isa) {
  return std::make_unique<LocalPosteriorMean>(train, image, patch, pool, isa);
}

void merge_pixel_softmax_states(const double* const* parts, int n_parts, int n_queries, int groups, int width,
                                const float* mean, float* out, int out_stride) {
  const size_t per_query = pixel_softmax_state_doubles(groups, width), g_count = size_t(groups);
  std::vector<double> scales(static_cast<size_t>(n_parts));
  for (int q = 0; q < n_queries; ++q)
    for (size_t g = 0; g < g_count; ++g) {
      double top = -std::numeric_limits<double>::infinity();
      for (int p = 0; p < n_parts; ++p) top = std::max(top, parts[p][size_t(q) * per_query + g]);
      double sum = 0.0;
      for (int p = 0; p < n_parts; ++p) {
        const double* state = parts[p] + size_t(q) * per_query;
        const double gap = state[g] - top;  // <= 0; -inf or NaN for a part whose weights all vanished
        scales[size_t(p)] = gap == 0.0 ? 1.0 : !(gap >= -745.0) ? 0.0 : detmath::exp(gap);
        sum += scales[size_t(p)] * state[g_count + g];
      }
      for (int c = 0; c < width; ++c) {
        double acc = 0.0;
        for (int p = 0; p < n_parts; ++p)
          acc += scales[size_t(p)] * parts[p][size_t(q) * per_query + 2 * g_count + g * width + size_t(c)];
        const size_t k = g * width + size_t(c);
        out[size_t(q) * out_stride + k] = float(double(mean[k]) + acc / sum);
      }
    }
}

const LocalTable& local_table(Isa isa) {
  static constexpr PerIsa<LocalTable> tables = CFDM_PER_ISA(local_table);
  return isa_table(isa, tables);
}

}  // namespace cfdm
