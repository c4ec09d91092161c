#include "output/plot.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "output/orbit.hpp"
#include "output/png.hpp"

namespace cfdm::output {
namespace {

struct Canvas {
  int size;
  std::vector<unsigned char> rgb;
  // Blends a disc (inner = 0) or ring of the given radii (pixels) at (x, y) with opacity alpha.
  void disc(double x, double y, double radius, const unsigned char color[3], double alpha, double inner = 0.0) {
    const int x0 = std::max(0, int(x - radius - 1)), x1 = std::min(size - 1, int(x + radius + 1));
    const int y0 = std::max(0, int(y - radius - 1)), y1 = std::min(size - 1, int(y + radius + 1));
    for (int py = y0; py <= y1; ++py) {
      for (int px = x0; px <= x1; ++px) {
        const double dist = std::hypot(px + 0.5 - x, py + 0.5 - y);
        const double coverage =
            std::clamp(radius + 0.5 - dist, 0.0, 1.0) * std::clamp(dist - inner + 0.5, 0.0, 1.0) * alpha;
        if (coverage <= 0.0) continue;
        unsigned char* pixel = &rgb[(size_t(py) * size + px) * 3];
        for (int c = 0; c < 3; ++c) pixel[c] = static_cast<unsigned char>(pixel[c] + (color[c] - pixel[c]) * coverage);
      }
    }
  }
};

}  // namespace

data::FileWriter scatter_png(const MatrixXfR& train, const MatrixXfR& samples, int size) {
  if (train.cols() == 3 && samples.cols() == 3) {
    // 3-D: both as the app's orbit camera first shows them, about the training data's box centre.
    float b[3][3], lo[3], hi[3], c[3];
    Orbit().basis(b);
    for (int k = 0; k < 3; ++k) lo[k] = train.col(k).minCoeff(), hi[k] = train.col(k).maxCoeff(), c[k] = (lo[k] + hi[k]) / 2;
    auto seen = [&](const MatrixXfR& m) {
      MatrixXfR out(m.rows(), 2);
      for (Eigen::Index i = 0; i < m.rows(); ++i) {
        float v[3];
        project(b, c, m.row(i).data(), v);
        out(i, 0) = v[0], out(i, 1) = v[1];
      }
      return out;
    };
    return scatter_png(seen(train), seen(samples), size);
  }
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  const int dims = std::min<int>(2, int(train.cols()));
  for (const MatrixXfR* m : {&train, &samples})
    for (Eigen::Index i = 0; i < m->rows(); ++i)
      for (int k = 0; k < dims; ++k) {
        lo[k] = std::min(lo[k], double((*m)(i, k)));
        hi[k] = std::max(hi[k], double((*m)(i, k)));
      }
  if (dims == 1) lo[1] = -1.0, hi[1] = 1.0;  // 1-D data: points on a line
  const double span = std::max({hi[0] - lo[0], hi[1] - lo[1], 1e-12}) * 1.1;
  const double center[2] = {(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2};
  Canvas canvas{size, std::vector<unsigned char>(size_t(size) * size * 3, 255)};
  auto to_pixel = [&](const MatrixXfR& m, Eigen::Index i, double* x, double* y) {
    *x = (m(i, 0) - center[0]) / span * size + size / 2.0;
    *y = size / 2.0 - ((dims > 1 ? m(i, 1) : 0.0) - center[1]) / span * size;
  };
  // Samples first, training points on top as rings: a sample that copies a training point sits
  // inside its ring, a new sample stands alone.
  const unsigned char dark[3] = {40, 40, 60}, orange[3] = {230, 110, 20};
  const double ring = train.rows() > 2000 ? 1.5 : 3.5;
  double x, y;
  for (Eigen::Index i = 0; i < samples.rows(); ++i) {
    to_pixel(samples, i, &x, &y);
    canvas.disc(x, y, 1.8, orange, 0.7);
  }
  for (Eigen::Index i = 0; i < train.rows(); ++i) {
    to_pixel(train, i, &x, &y);
    canvas.disc(x, y, ring, dark, 0.8, ring - 1.2);
  }
  return png_rgb(size, size, std::move(canvas.rgb));
}

}  // namespace cfdm::output
