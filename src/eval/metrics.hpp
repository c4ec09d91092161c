// Measures of what a sampler produced: distances between sample sets, nearness to training data.
#pragma once
#include <cstdint>
#include <vector>

#include "core/types.hpp"

namespace cfdm {
class TrainingSet;
class ThreadPool;
}  // namespace cfdm

namespace cfdm::eval {

// The k nearest training points of each sample (exact search), with Euclidean distances
// (not squared) computed in double: row r holds sample r's neighbours, nearest first.
struct Nearest {
  int k = 0;
  std::vector<int> index;        // n_samples x k
  std::vector<double> distance;  // n_samples x k
};
Nearest nearest_training(const TrainingSet& train, const MatrixXfR& samples, int k, ThreadPool& pool);

// Sliced Wasserstein-2 distance between two point sets of equal size and dimension: the root
// mean over n_directions random unit directions (seeded) of the squared 1-D W2 distance between
// the projections (sorted projections, matched in order). Throws cfdm::Error on mismatched shapes.
double sliced_wasserstein2(const MatrixXfR& a, const MatrixXfR& b, int n_directions = 256, uint64_t seed = 0);

}  // namespace cfdm::eval
