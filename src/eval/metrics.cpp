#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace cfdm::eval {

double sliced_wasserstein2(const MatrixXfR& a, const MatrixXfR& b, int n_directions, uint64_t seed) {
  if (a.rows() != b.rows() || a.cols() != b.cols() || a.rows() == 0)
    throw Error("sliced Wasserstein-2 needs two non-empty sets of the same shape (got " + std::to_string(a.rows()) +
                " x " + std::to_string(a.cols()) + " and " + std::to_string(b.rows()) + " x " +
                std::to_string(b.cols()) + ")");
  const Eigen::Index n = a.rows(), d = a.cols();
  Rng rng(seed, 0x5157);
  std::vector<double> pa(n), pb(n), direction(d);
  double total = 0;
  for (int r = 0; r < n_directions; ++r) {
    double norm_sq = 0;
    for (double& v : direction) norm_sq += (v = rng.normal()) * v;
    for (double& v : direction) v /= std::sqrt(norm_sq);
    for (Eigen::Index i = 0; i < n; ++i) {
      pa[i] = pb[i] = 0;
      for (Eigen::Index c = 0; c < d; ++c) {
        pa[i] += direction[c] * a(i, c);
        pb[i] += direction[c] * b(i, c);
      }
    }
    std::sort(pa.begin(), pa.end());
    std::sort(pb.begin(), pb.end());
    double w2_sq = 0;
    for (Eigen::Index i = 0; i < n; ++i) w2_sq += (pa[i] - pb[i]) * (pa[i] - pb[i]);
    total += w2_sq / n;
  }
  return std::sqrt(total / n_directions);
}

}  // namespace cfdm::eval
