#include "eval/comparison.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cfdm::eval {

const std::vector<std::string>& comparison_names() {
  static const std::vector<std::string> names = {"exact", "scfdm", "wiener", "local", "local-knn", "pca-local",
                                                 "nearest"};
  return names;
}

std::string unknown_compared(const std::string& name) {
  const auto& names = comparison_names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return "";
  return "unknown model " + in_quotes(name) +
         " in the comparison: use exact, scfdm, wiener, local, local-knn, pca-local or nearest";
}

SamplerParams comparison_params(const SamplerParams& run, const std::string& name) {
  if (const std::string problem = unknown_compared(name); !problem.empty()) throw Error(problem);
  SamplerParams params = run;
  params.estimator = Estimator::exact;
  params.denoiser = ModelOptions{};
  if (name == "scfdm") return params;  // the run's sigma and M
  params.sigma = 0;
  params.n_draws = 1;
  if (name == "local-knn") {  // the local model's nearest-neighbour estimator, with the run's K and L
    params.denoiser.model = Model::local;
    params.estimator = Estimator::knn;
  } else if (name != "exact") {
    params.denoiser.model = parse_model(name);
  }
  return params;
}

}  // namespace cfdm::eval
