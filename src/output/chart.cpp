#include "output/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "output/canvas.hpp"
#include "output/png.hpp"

namespace cfdm::output {
namespace {

constexpr int kTextHeight = 7 * 2;  // Canvas::text at its default scale

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
  Canvas canvas(width, height);
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
