// A PNG grid of image samples, each beside its nearest training image and their distance.
#pragma once
#include <string>
#include <vector>

#include "core/training_set.hpp"
#include "core/types.hpp"
#include "data/files.hpp"
#include "eval/metrics.hpp"

namespace cfdm::output {

using ImageShape = cfdm::ImageShape;

// Cells of [sample | nearest training image] with the Euclidean distance under each pair; a
// distance below copy_threshold is printed in red (a copy). Values in [0, 1] (clamped).
// The PNG's bytes (data::write_file_atomic writes them).
data::FileWriter image_grid_png(const MatrixXfR& samples, const TrainingSet& train, const eval::Nearest& nearest,
                                ImageShape shape, double copy_threshold);

// Several such grids one under another, each under its title (cfdm compare: a section a model).
struct GridSection {
  std::string title;            // empty: no title line
  const MatrixXfR* samples;     // its samples
  const eval::Nearest* nearest;  // their nearest training images
};
data::FileWriter image_grid_png(const std::vector<GridSection>& sections, const TrainingSet& train, ImageShape shape,
                                double copy_threshold, int max_columns = 6);

}  // namespace cfdm::output
