// Named scenarios: a dataset and the sampler's settings under one name, so that the golden-value
// test (tests/test_golden.cpp), the command line (`cfdm sample --scenario NAME`) and the
// benchmark mean the same run by it. A scenario's samples are pinned, bit for bit, by the golden
// test: a change that moves them must update its constants on purpose, saying why.
#pragma once
#include <string>
#include <vector>

#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "core/types.hpp"
#include "data/dataset.hpp"

namespace cfdm::data {

struct Scenario {
  std::string name;
  std::string description;  // one line: what it exercises
  DataRequest data;
  SamplerParams params;
  int pca_dim = 0;  // > 0: sample in this many principal components of the data (images)
};

const std::vector<Scenario>& scenarios();
// Throws cfdm::Error naming the unknown name and listing the known ones.
const Scenario& find_scenario(const std::string& name);

// Runs a scenario to its last step with the given kernel options (e.g. a forced instruction set)
// and returns the final states in the space it samples in (PCA latents for a PCA scenario).
// Throws cfdm::Error when its data cannot be loaded (an image dataset not prepared).
MatrixXfR run_scenario(const Scenario& scenario, ThreadPool& pool, const KernelOptions& kernel = {});

}  // namespace cfdm::data
