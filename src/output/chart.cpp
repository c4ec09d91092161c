#include "output/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "output/png.hpp"

namespace cfdm::output {
namespace {

// A 5 x 7 bitmap font: seven rows a glyph, bit 4 the leftmost pixel. Lower case, digits and the
// few signs a chart needs; an upper-case letter is drawn as its lower-case one (M excepted).
struct Glyph {
  char c;
  unsigned char rows[7];
};
constexpr Glyph kFont[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}}, {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}}, {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
    {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}}, {'>', {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}},
    {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}}, {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
    {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}}, {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
    {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}}, {'\'', {0x0C, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00}},
    {'a', {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F}}, {'b', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E}},
    {'c', {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E}}, {'d', {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F}},
    {'e', {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E}}, {'f', {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08}},
    {'g', {0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E}}, {'h', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'i', {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E}}, {'j', {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C}},
    {'k', {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12}}, {'l', {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'m', {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11}}, {'n', {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'o', {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E}}, {'p', {0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10}},
    {'q', {0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01}}, {'r', {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}},
    {'s', {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E}}, {'t', {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06}},
    {'u', {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D}}, {'v', {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'w', {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A}}, {'x', {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11}},
    {'y', {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E}}, {'z', {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
};
constexpr int kScale = 2, kAdvance = 6 * kScale, kTextHeight = 7 * kScale;

const Glyph* glyph(char c) {
  for (const Glyph& g : kFont)
    if (g.c == c) return &g;
  if (c >= 'A' && c <= 'Z') return glyph(char(c - 'A' + 'a'));
  return nullptr;  // a space, or a sign the font lacks: left blank
}

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;
  void put(int x, int y, const unsigned char color[3], double alpha = 1.0) {
    if (x < 0 || y < 0 || x >= width || y >= height || alpha <= 0) return;
    uint8_t* p = &rgb[(size_t(y) * width + x) * 3];
    for (int c = 0; c < 3; ++c) p[c] = uint8_t(p[c] + (color[c] - p[c]) * std::min(alpha, 1.0));
  }
  // A line (x0, y0) - (x1, y1) about `thick` pixels wide, antialiased by distance.
  void line(double x0, double y0, double x1, double y1, double thick, const unsigned char color[3]) {
    const int left = int(std::floor(std::min(x0, x1) - thick)), right = int(std::ceil(std::max(x0, x1) + thick));
    const int top = int(std::floor(std::min(y0, y1) - thick)), bottom = int(std::ceil(std::max(y0, y1) + thick));
    const double dx = x1 - x0, dy = y1 - y0, length_sq = std::max(dx * dx + dy * dy, 1e-12);
    for (int y = std::max(0, top); y <= std::min(height - 1, bottom); ++y)
      for (int x = std::max(0, left); x <= std::min(width - 1, right); ++x) {
        const double u = std::clamp(((x + 0.5 - x0) * dx + (y + 0.5 - y0) * dy) / length_sq, 0.0, 1.0);
        const double distance = std::hypot(x + 0.5 - (x0 + u * dx), y + 0.5 - (y0 + u * dy));
        put(x, y, color, thick / 2 + 0.5 - distance);
      }
  }
  void dot(double x, double y, double radius, const unsigned char color[3]) { line(x, y, x, y, 2 * radius, color); }
  // Text with its top-left corner at (x, y); align: 0 left, 1 centre, 2 right of x.
  void text(const std::string& s, int x, int y, const unsigned char color[3], int align = 0) {
    x -= align * int(s.size()) * kAdvance / 2;
    for (size_t i = 0; i < s.size(); ++i) {
      const Glyph* g = glyph(s[i]);
      if (!g) continue;
      for (int row = 0; row < 7; ++row)
        for (int col = 0; col < 5; ++col)
          if (g->rows[row] & (0x10 >> col))
            for (int sy = 0; sy < kScale; ++sy)
              for (int sx = 0; sx < kScale; ++sx)
                put(x + int(i) * kAdvance + col * kScale + sx, y + row * kScale + sy, color);
    }
  }
};

std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

}  // namespace

data::FileWriter chart_png(const Chart& chart, int width, int height) {
  const size_t n = chart.x.size();
  if (n == 0 || chart.left.y.size() != n || chart.right.y.size() != n)
    throw Error("chart: every series needs one value per x (" + std::to_string(n) + ")");
  Canvas canvas{width, height, std::vector<uint8_t>(size_t(width) * height * 3, 255)};
  const unsigned char ink[3] = {40, 40, 50}, grid[3] = {225, 225, 228};
  const int left = 80, right = width - 80, top = 60, bottom = height - 120;
  // The x axis: log of the positive x; x = 0 at the left edge, a gap before the first positive one.
  double lo = INFINITY, hi = 0;
  for (double x : chart.x)
    if (x > 0) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!(lo < INFINITY)) lo = 1, hi = 10;
  if (!(hi > lo)) hi = lo * 10;
  const bool has_zero = std::any_of(chart.x.begin(), chart.x.end(), [](double x) { return x <= 0; });
  const double gap = has_zero ? 0.08 : 0.0;
  auto px = [&](double x) {
    const double u = x <= 0 ? 0.0 : gap + (1 - gap) * std::log(x / lo) / std::log(hi / lo);
    return left + u * (right - left);
  };
  double right_max = 0;
  for (double y : chart.right.y) right_max = std::max(right_max, y);
  if (!(right_max > 0)) right_max = 1;
  auto py_left = [&](double y) { return bottom - std::clamp(y, 0.0, 1.0) * (bottom - top); };
  auto py_right = [&](double y) { return bottom - std::clamp(y / right_max, 0.0, 1.0) * (bottom - top); };
  // Grid, axes and ticks.
  for (int i = 0; i <= 4; ++i) {
    const double y = py_left(i / 4.0);
    canvas.line(left, y, right, y, 1, grid);
    canvas.text(short_number(i / 4.0), left - 8, int(y) - kTextHeight / 2, chart.left.color, 2);
    canvas.text(short_number(right_max * i / 4.0), right + 8, int(y) - kTextHeight / 2, chart.right.color);
  }
  canvas.line(left, bottom, right, bottom, 1.5, ink);
  canvas.line(left, top, left, bottom, 1.5, ink);
  canvas.line(right, top, right, bottom, 1.5, ink);
  // x ticks: every value when few, else every other, and the last.
  const size_t every = n > 8 ? 2 : 1;
  for (size_t i = 0; i < n; ++i) {
    if (i % every && i + 1 != n) continue;
    const double x = px(chart.x[i]);
    canvas.line(x, bottom, x, bottom + 6, 1.5, ink);
    canvas.text(short_number(chart.x[i]), int(x), bottom + 12, ink, 1);
  }
  canvas.text(chart.x_label, (left + right) / 2, bottom + 40, ink, 1);
  canvas.text(chart.title, width / 2, 16, ink, 1);
  // The curves, with a dot at each value.
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n) {
      canvas.line(px(chart.x[i]), py_left(chart.left.y[i]), px(chart.x[i + 1]), py_left(chart.left.y[i + 1]), 2.5,
                  chart.left.color);
      canvas.line(px(chart.x[i]), py_right(chart.right.y[i]), px(chart.x[i + 1]), py_right(chart.right.y[i + 1]), 2.5,
                  chart.right.color);
    }
    canvas.dot(px(chart.x[i]), py_left(chart.left.y[i]), 4, chart.left.color);
    canvas.dot(px(chart.x[i]), py_right(chart.right.y[i]), 4, chart.right.color);
  }
  // The legend, under the axis label: one line a curve.
  int y = height - 48;
  for (const ChartSeries* series : {&chart.left, &chart.right}) {
    canvas.line(left, y, left + 30, y, 3, series->color);
    canvas.text(series->label + (series == &chart.left ? " (left scale)" : " (right scale)"), left + 40,
                y - kTextHeight / 2, ink);
    y += 24;
  }
  return png_rgb(width, height, std::move(canvas.rgb));
}

}  // namespace cfdm::output
