#include "output/image_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "output/png.hpp"

namespace cfdm::output {
namespace {

// A 3 x 5 pixel font for the characters of a distance: 0-9 and '.', one row of bits per line.
const uint8_t kGlyphs[11][5] = {{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7},
                                {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1},
                                {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}, {0, 0, 0, 0, 2}};

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;
  void fill(int x, int y, int w, int h, const uint8_t color[3]) {
    for (int yy = std::max(0, y); yy < std::min(height, y + h); ++yy)
      for (int xx = std::max(0, x); xx < std::min(width, x + w); ++xx)
        std::copy(color, color + 3, &rgb[(size_t(yy) * width + xx) * 3]);
  }
  // Draws text of digits and '.' with each font pixel a scale x scale block.
  void text(int x, int y, const char* s, int scale, const uint8_t color[3]) {
    for (; *s; ++s, x += 4 * scale) {
      const int glyph = *s == '.' ? 10 : *s - '0';
      if (glyph < 0 || glyph > 10) continue;
      for (int row = 0; row < 5; ++row)
        for (int col = 0; col < 3; ++col)
          if (kGlyphs[glyph][row] & (4 >> col)) fill(x + col * scale, y + row * scale, scale, scale, color);
    }
  }
  // Draws an image (values in [0, 1]) with each pixel a zoom x zoom block.
  void image(int x, int y, const float* values, ImageShape shape, int zoom) {
    for (int py = 0; py < shape.height; ++py)
      for (int px = 0; px < shape.width; ++px) {
        uint8_t color[3];
        for (int c = 0; c < 3; ++c) {
          const float v = values[(size_t(py) * shape.width + px) * shape.channels + (shape.channels == 3 ? c : 0)];
          color[c] = uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
        }
        fill(x + px * zoom, y + py * zoom, zoom, zoom, color);
      }
  }
};

}  // namespace

data::FileWriter image_grid_png(const MatrixXfR& samples, const TrainingSet& train, const eval::Nearest& nearest,
                                ImageShape shape, double copy_threshold) {
  const int n = int(samples.rows());
  const int zoom = std::max(1, 84 / std::max(shape.height, shape.width));
  const int cell_w = 2 * shape.width * zoom + 4 * zoom, cell_h = shape.height * zoom + 12 + 6;
  const int columns = std::max(1, std::min(n, 6)), rows = (n + columns - 1) / columns;
  const int gap = 8;
  Canvas canvas{columns * (cell_w + gap) + gap, rows * (cell_h + gap) + gap, {}};
  canvas.rgb.assign(size_t(canvas.width) * canvas.height * 3, 255);
  const uint8_t dark[3] = {30, 30, 30}, red[3] = {200, 30, 30}, frame[3] = {220, 220, 220};
  for (int r = 0; r < n; ++r) {
    const int x = gap + (r % columns) * (cell_w + gap), y = gap + (r / columns) * (cell_h + gap);
    canvas.fill(x - 2, y - 2, cell_w + 4, shape.height * zoom + 4, frame);
    canvas.image(x, y, samples.row(r).data(), shape, zoom);
    const int neighbor = nearest.index[size_t(r) * nearest.k];
    std::vector<float> neighbor_pixels(train.dim());
    for (int k = 0; k < train.dim(); ++k) neighbor_pixels[k] = train.coordinate(neighbor, k);
    canvas.image(x + shape.width * zoom + 4 * zoom, y, neighbor_pixels.data(), shape, zoom);
    char label[32];
    const double distance = nearest.distance[size_t(r) * nearest.k];
    std::snprintf(label, sizeof label, "%.2f", distance);
    canvas.text(x, y + shape.height * zoom + 6, label, 2, distance < copy_threshold ? red : dark);
  }
  return png_rgb(canvas.width, canvas.height, std::move(canvas.rgb));
}

}  // namespace cfdm::output
