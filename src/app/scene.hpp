// What the canvas shows in one frame, as instances for the renderer: marks (points and trail
// segments, in data coordinates) and image tiles (in screen coordinates). The app fills it with
// no graphics API in sight; renderer.cpp draws it with OpenGL 3.3 / WebGL2, and tests inspect it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cfdm::app {

// A segment from (x0, y0) to (x1, y1) in data units, drawn as a capsule `width` logical pixels
// wide; a point when both ends agree. Colour as straight-alpha RGBA bytes (0xAABBGGRR). ring > 0:
// only the capsule's outline, `ring` logical pixels thick, its inside left clear (a training
// point's ring, through which the sample on it stays visible).
struct Mark {
  float x0, y0, x1, y1;
  float width;
  uint32_t rgba;
  float ring = 0.0f;
};

// An image of the atlas drawn into a screen rectangle (logical pixels, y down), with a border
// colour (alpha 0: no border).
struct Tile {
  float x, y, w, h;
  float image;
  uint32_t border_rgba;
};

// Text at a screen point (logical pixels, y down: the top left of the text), drawn over the
// marks and tiles.
struct Label {
  float x, y;
  std::string text;
  uint32_t rgba;
};

constexpr uint32_t rgba(int r, int g, int b, int a) {
  return uint32_t(r) | uint32_t(g) << 8 | uint32_t(b) << 16 | uint32_t(a) << 24;
}

// The 2-D view: screen = (center_x + x scale, center_y - y scale), in logical pixels (y down),
// for data (x, y) (y up).
struct View2D {
  float center_x = 0, center_y = 0, scale = 1;  // the data origin on screen; pixels per data unit

  float screen_x(float x) const { return center_x + x * scale; }
  float screen_y(float y) const { return center_y - y * scale; }
  float data_x(float screen) const { return (screen - center_x) / scale; }
  float data_y(float screen) const { return (center_y - screen) / scale; }
};

struct Scene : View2D {
  std::vector<Mark> marks;  // drawn in order, over each other
  // The images of this frame: n_images grey images of image_width x image_height bytes, one
  // after another; `images_version` changes whenever their pixels do.
  int image_width = 0, image_height = 0, n_images = 0;
  std::vector<uint8_t> images;
  uint64_t images_version = 0;
  std::vector<Tile> tiles;    // drawn after the marks
  std::vector<Label> labels;  // drawn last

  void clear() {
    marks.clear();
    tiles.clear();
    labels.clear();
  }
};

}  // namespace cfdm::app
