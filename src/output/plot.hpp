// A scatter plot of training points and samples as a PNG (the first two coordinates).
#pragma once
#include <string>

#include "core/types.hpp"

namespace cfdm::output {

// Samples in orange, training points as dark rings on top, on a square canvas of size x size pixels that
// frames both. Written atomically; throws cfdm::Error on failure.
void write_scatter_png(const std::string& path, const MatrixXfR& train, const MatrixXfR& samples, int size = 800);

}  // namespace cfdm::output
