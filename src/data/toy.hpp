// Seeded toy datasets: 2-D sets and 3-D point clouds (a sphere, a torus, the Stanford bunny). Same seed, same points, on every build (own RNG and trigonometry).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace cfdm::data {

// The names accepted by make_toy and the CLI's --data.
const std::vector<std::string>& toy_names();
bool is_toy(const std::string& name);

// The number of coordinates of the named set's points (2 or 3), 0 for an unknown name.
int toy_dim(const std::string& name);

// n_points x toy_dim(name) points of the named set, roughly within [-3, 3]^d. Throws cfdm::Error
// for an unknown name, n_points < 1, or the bunny in a build without its mesh.
MatrixXfR make_toy(const std::string& name, int n_points, uint64_t seed);

// The Stanford bunny's triangle mesh as embedded at build time (from the npm package bunny):
// x, y, z per vertex (y up) and three vertex indices per triangle. Empty when the build had no mesh.
struct MeshView {
  const float* positions = nullptr;
  int n_vertices = 0;
  const int* cells = nullptr;
  int n_cells = 0;
};
MeshView bunny_mesh();

}  // namespace cfdm::data
