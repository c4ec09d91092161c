// A line chart as a PNG, with its own small bitmap font (5 x 7 pixels, drawn at twice that): the
// sigma sweep's picture (cfdm sweep --plot). Two curves against a logarithmic x axis, the first on
// a [0, 1] scale at the left, the second on its own scale at the right.
#pragma once
#include <string>
#include <vector>

#include "data/files.hpp"

namespace cfdm::output {

struct ChartSeries {
  std::string label;        // shown in the legend
  std::vector<double> y;    // one value per x
  unsigned char color[3];
};

struct Chart {
  std::string title, x_label;
  // x > 0 on a log scale; x = 0 (e.g. sigma = 0) is drawn at the left edge, tick "0".
  std::vector<double> x;
  ChartSeries left;   // on a [0, 1] scale
  ChartSeries right;  // on [0, max] of its values
};

// The chart's PNG bytes (width x height pixels). Throws cfdm::Error on series of the wrong length.
data::FileWriter chart_png(const Chart& chart, int width = 900, int height = 520);

}  // namespace cfdm::output
