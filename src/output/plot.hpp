// A scatter plot of training points and samples as a PNG: the first two coordinates, or 3-D points
// as the app's orbit camera first shows them (output/orbit.hpp).
#pragma once
#include <string>

#include "core/types.hpp"
#include "data/files.hpp"

namespace cfdm::output {

// Samples in orange, training points as dark rings on top, on a square canvas of size x size pixels that
// frames both: the PNG's bytes (data::write_file_atomic writes them).
data::FileWriter scatter_png(const MatrixXfR& train, const MatrixXfR& samples, int size = 800);

}  // namespace cfdm::output
