// The models of a comparison by name, as the app's comparison view and `cfdm compare` read them:
// "exact" (cfdm at sigma = 0: it memorizes), "scfdm" (cfdm with the run's sigma and M: it smooths),
// and the analytic family at sigma = 0 ("wiener", "local", "local-knn" (the local model's
// nearest-neighbour estimator with the run's K and L), "pca-local", "nearest"). All of them start
// from the same noise: the run's seed, samples, steps and start T.
#pragma once
#include <string>
#include <vector>

#include "core/sampler.hpp"

namespace cfdm::eval {

const std::vector<std::string>& comparison_names();
// Empty when `name` is one of comparison_names(), else the message that says so.
std::string unknown_compared(const std::string& name);
// The sampler's parameters of the compared model `name` in a run of `run`'s parameters (the
// denoiser's options at their defaults: the caller adds its own). Throws cfdm::Error for an
// unknown name.
SamplerParams comparison_params(const SamplerParams& run, const std::string& name);

}  // namespace cfdm::eval
