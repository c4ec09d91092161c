// The body of local_floor.hpp's functions, included by local_floor_base.cpp and
// local_floor_avx512.cpp after core/local_impl.hpp (with their CFDM_LOCAL_NAMESPACE). The loop is
// stream_pixel_softmax's without the softmaxes.
#include <algorithm>
#include <atomic>
#include <vector>

#include "local_floor.hpp"

namespace cfdm::bench {
namespace CFDM_LOCAL_NAMESPACE {

inline double logits_only(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, double t,
                          const ImageShape& image, int radius) {
  using namespace cfdm::CFDM_LOCAL_NAMESPACE;
  const int d = train.dim(), n = train.n(), groups = image.height * image.width;
  const float* mean = train.mean().data();
  const double a = t, scale = 1.0 / (2.0 * (1.0 - t) * (1.0 - t));
  constexpr int kQueriesPerTask = 4;
  const int tasks = (n_queries + kQueriesPerTask - 1) / kQueriesPerTask;
  std::vector<double> kept(size_t(tasks), 0.0);
  pool.run(tasks, [&](int task) {
    const int q0 = task * kQueriesPerTask, count = std::min(kQueriesPerTask, n_queries - q0);
    const size_t dim = static_cast<size_t>(d);
    std::vector<double> z(count * dim), rows(kLanes * dim), l(size_t(kLanes) * size_t(groups));
    std::vector<Lanes> lanes(dim, broadcast(0.0));
    for (int q = 0; q < count; ++q)
      for (int k = 0; k < d; ++k) z[size_t(q) * d + k] = double(queries[size_t(q0 + q) * d + k]) - a * mean[k];
    WindowLogits logits{image.height, image.width, image.channels, radius, a, scale, {}};
    double sum = 0.0;
    for (int i0 = 0; i0 < n; i0 += kLanes) {
      const int block = std::min(kLanes, n - i0);
      load_block(
          train, [&](int k) { return i0 + k; }, block, rows.data(), lanes.data());
      for (int q = 0; q < count; ++q) {
        logits(&z[size_t(q) * d], lanes.data(), l.data());
        sum += l[size_t(i0 + q) % l.size()];
      }
    }
    kept[size_t(task)] = sum;
  });
  double total = 0.0;
  for (double v : kept) total += v;
  return total;
}

}  // namespace CFDM_LOCAL_NAMESPACE
}  // namespace cfdm::bench
