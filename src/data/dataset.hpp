// Resolving a --data argument: a toy dataset's name or a .npy/.csv file of points.
#pragma once
#include <cstdint>
#include <string>

#include "core/types.hpp"

namespace cfdm::data {

constexpr int kDefaultToyPoints = 1000;

// n_train < 0: the toy default (kDefaultToyPoints) or every row of a file; otherwise that many
// toy points, or the first n_train rows of a file. Throws cfdm::Error with the reason.
MatrixXfR load_training_data(const std::string& spec, int n_train, uint64_t seed);

}  // namespace cfdm::data
