// The body of local_floor.hpp's functions, included by local_floor_base.cpp and
// local_floor_avx512.cpp after core/local_impl.hpp (with their CFDM_LOCAL_NAMESPACE): the local
// kernel's own stream of window logits (stream_logits, with the model's WindowLogits), its
// softmaxes replaced by a sum of one logit per block.
#include <vector>

#include "local_floor.hpp"

namespace cfdm::bench {
namespace CFDM_LOCAL_NAMESPACE {

inline double logits_only(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, double t,
                          const ImageShape& image, int radius) {
  using namespace cfdm::CFDM_LOCAL_NAMESPACE;
  const int d = train.dim(), groups = image.height * image.width;
  const double a = t, scale = 1.0 / (2.0 * (1.0 - t) * (1.0 - t));
  std::vector<double> kept(size_t(n_queries), 0.0);  // one sum per group of queries, at its first
  struct Sum {
    double* kept;
    int blocks = 0;
    double sum = 0.0;
    void add(int q, int, const double* l, const double*) { sum += l[(size_t(q) + size_t(blocks++)) % kLanes]; }
    void finish() { *kept = sum; }
  };
  stream_logits(train, pool, queries, n_queries, d, a, groups,
                WindowLogits{image.height, image.width, image.channels, radius, a, scale, {}},
                [&](int q0, int) { return Sum{&kept[size_t(q0)]}; });
  double total = 0.0;
  for (double v : kept) total += v;
  return total;
}

}  // namespace CFDM_LOCAL_NAMESPACE
}  // namespace cfdm::bench
