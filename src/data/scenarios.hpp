// Named scenarios: a dataset and the sampler's settings under one name, so that the golden-value
// test (tests/test_golden.cpp), the command line (`cfdm sample --scenario NAME`), the app's story
// presets and the benchmark's workloads mean the same run by it. A pinned scenario's samples are
// held bit for bit by the golden test: a change that moves them must update its constants on
// purpose, saying why.
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
  std::string story;  // non-empty: one of the app's presets, under this title ("sigma = 0 memorizes")
  // Which instruction sets' samples the golden test holds: every one, the fastest available only
  // (the kernel the app runs; for presets whose scalar run takes seconds), or none (the benchmark's
  // large runs).
  enum class Pinned { every_isa, fastest_isa, no } pinned = Pinned::every_isa;
};

const std::vector<Scenario>& scenarios();
// Throws cfdm::Error naming the unknown name and listing the known ones.
const Scenario& find_scenario(const std::string& name);

// Runs a scenario to its last step with the given kernel options (e.g. a forced instruction set)
// and returns the final states in the space it samples in (PCA latents for a PCA scenario).
// Throws cfdm::Error when its data cannot be loaded (an image dataset not prepared).
MatrixXfR run_scenario(const Scenario& scenario, ThreadPool& pool, const KernelOptions& kernel = {});

}  // namespace cfdm::data
