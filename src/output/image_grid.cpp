#include "output/image_grid.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "output/canvas.hpp"
#include "output/png.hpp"

namespace cfdm::output {

data::FileWriter image_grid_png(const std::vector<GridSection>& sections, const TrainingSet& train, ImageShape shape,
                                double copy_threshold, int max_columns) {
  const int zoom = std::max(1, 84 / std::max(shape.height, shape.width));
  const int image_h = shape.height * zoom, label_h = 20, title_h = 24, gap = 8;
  const int cell_w = 2 * shape.width * zoom + 4 * zoom, cell_h = image_h + label_h;
  int columns = 1, height = gap, width = 0;
  for (const GridSection& s : sections) columns = std::max(columns, std::min(int(s.samples->rows()), max_columns));
  for (const GridSection& s : sections) {
    const int rows = std::max(1, int((s.samples->rows() + columns - 1) / columns));
    height += (s.title.empty() ? 0 : title_h) + rows * (cell_h + gap);
    width = std::max(width, 2 * gap + Canvas::text_width(s.title));  // a title whole
  }
  Canvas canvas(std::max(width, columns * (cell_w + gap) + gap), height);
  const unsigned char dark[3] = {30, 30, 30}, red[3] = {200, 30, 30}, frame[3] = {220, 220, 220};
  std::vector<float> neighbor_pixels(size_t(train.dim()));
  int top = gap;
  for (const GridSection& s : sections) {
    if (!s.title.empty()) {
      canvas.text(s.title, gap, top + 2, dark);
      top += title_h;
    }
    const int n = int(s.samples->rows());
    for (int r = 0; r < n; ++r) {
      const int x = gap + (r % columns) * (cell_w + gap), y = top + (r / columns) * (cell_h + gap);
      canvas.fill(x - 2, y - 2, cell_w + 4, image_h + 4, frame);
      canvas.image(x, y, s.samples->row(r).data(), shape, zoom);
      const int neighbor = s.nearest->index[size_t(r) * s.nearest->k];
      for (int k = 0; k < train.dim(); ++k) neighbor_pixels[size_t(k)] = train.coordinate(neighbor, k);
      canvas.image(x + shape.width * zoom + 4 * zoom, y, neighbor_pixels.data(), shape, zoom);
      char label[32];
      const double distance = s.nearest->distance[size_t(r) * s.nearest->k];
      std::snprintf(label, sizeof label, "%.2f", distance);
      canvas.text(label, x, y + image_h + 5, distance < copy_threshold ? red : dark);
    }
    top += std::max(1, (n + columns - 1) / columns) * (cell_h + gap);
  }
  return png_rgb(canvas.width, canvas.height, std::move(canvas.rgb));
}

data::FileWriter image_grid_png(const MatrixXfR& samples, const TrainingSet& train, const eval::Nearest& nearest,
                                ImageShape shape, double copy_threshold) {
  return image_grid_png({GridSection{"", &samples, &nearest}}, train, shape, copy_threshold);
}

}  // namespace cfdm::output
