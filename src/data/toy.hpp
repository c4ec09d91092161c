// Seeded 2-D toy datasets. Same seed, same points, on every build (own RNG and trigonometry).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace cfdm::data {

// The names accepted by make_toy and the CLI's --data.
const std::vector<std::string>& toy_names();
bool is_toy(const std::string& name);

// n_points x 2 points of the named set, roughly within [-3, 3]^2. Throws cfdm::Error for an
// unknown name or n_points < 1.
MatrixXfR make_toy(const std::string& name, int n_points, uint64_t seed);

}  // namespace cfdm::data
