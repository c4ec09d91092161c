// Measures of what a sampler produced: distances between sample sets, nearness to training data.
#pragma once
#include <cstdint>

#include "core/types.hpp"

namespace cfdm::eval {

// Sliced Wasserstein-2 distance between two point sets of equal size and dimension: the root
// mean over n_directions random unit directions (seeded) of the squared 1-D W2 distance between
// the projections (sorted projections, matched in order). Throws cfdm::Error on mismatched shapes.
double sliced_wasserstein2(const MatrixXfR& a, const MatrixXfR& b, int n_directions = 256, uint64_t seed = 0);

}  // namespace cfdm::eval
