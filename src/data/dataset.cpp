#include "data/dataset.hpp"

#include "core/error.hpp"
#include "data/files.hpp"
#include "data/toy.hpp"

namespace cfdm::data {

MatrixXfR load_training_data(const std::string& spec, int n_train, uint64_t seed) {
  if (is_toy(spec)) return make_toy(spec, n_train < 0 ? kDefaultToyPoints : n_train, seed);
  if (!has_extension(spec, ".npy") && !has_extension(spec, ".csv"))
    return make_toy(spec, 1, seed);  // throws: unknown name, with the list of names
  if (!file_exists(spec)) throw Error(spec + ": no such file");
  MatrixXfR points = read_matrix(spec);
  if (n_train == 0) throw Error("n-train must be at least 1 (got 0)");
  if (n_train > points.rows())
    throw Error(spec + " has " + std::to_string(points.rows()) + " points, fewer than --n-train " +
                std::to_string(n_train));
  if (n_train > 0) points.conservativeResize(n_train, Eigen::NoChange);
  return points;
}

}  // namespace cfdm::data
