// Matrix types shared by the library and its front ends.
#pragma once
#include <Eigen/Core>

namespace cfdm {

// Points are rows: an n x d matrix holds n points of dimension d.
using MatrixXfR = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The shape of image rows: height x width x channels values, row-major, channel last.
struct ImageShape {
  int height = 0, width = 0, channels = 0;
  bool empty() const { return height <= 0 || width <= 0 || channels <= 0; }
  long long size() const { return (long long)height * width * channels; }
};

}  // namespace cfdm
