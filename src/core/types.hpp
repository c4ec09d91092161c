// Matrix types shared by the library and its front ends.
#pragma once
#include <Eigen/Core>

namespace cfdm {

// Points are rows: an n x d matrix holds n points of dimension d.
using MatrixXfR = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace cfdm
