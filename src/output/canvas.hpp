// A white RGB canvas for the command line's pictures (charts, image grids): pixels with
// coverage, antialiased lines, filled boxes, images, and text in a small bitmap font (5 x 7
// pixels a glyph: lower case, digits, a few signs; upper case drawn as lower case, M and N
// excepted), scaled by whole pixels.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace cfdm::output {

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;

  Canvas(int w, int h) : width(w), height(h), rgb(size_t(w) * size_t(h) * 3, 255) {}
  // Blends color into pixel (x, y) by alpha in [0, 1]; outside the canvas, nothing.
  void put(int x, int y, const unsigned char color[3], double alpha = 1.0);
  void fill(int x, int y, int w, int h, const unsigned char color[3]);
  // A line (x0, y0) - (x1, y1) about `thick` pixels wide, antialiased by distance.
  void line(double x0, double y0, double x1, double y1, double thick, const unsigned char color[3]);
  void dot(double x, double y, double radius, const unsigned char color[3]) { line(x, y, x, y, 2 * radius, color); }
  // Text with its top-left corner at (x, y); align: 0 left, 1 centre, 2 right of x. Each font
  // pixel is a scale x scale block: a glyph advances 6 scale pixels and stands 7 scale high.
  void text(const std::string& s, int x, int y, const unsigned char color[3], int align = 0, int scale = 2);
  // The width text() gives s at this scale: its glyphs' advances.
  static int text_width(const std::string& s, int scale = 2) { return int(s.size()) * 6 * scale; }
  // An image (values in [0, 1], grey or RGB) with each pixel a zoom x zoom block.
  void image(int x, int y, const float* values, ImageShape shape, int zoom);
};

}  // namespace cfdm::output
