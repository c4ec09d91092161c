// The space a sampler runs in: the training data itself, or its top principal components (PCA).
// One assembly for the command line, the app and the named scenarios: load, build the training
// set, optionally fit a PCA and encode, and decode samples back to the data's own space.
#pragma once
#include <memory>
#include <string>

#include "core/training_set.hpp"
#include "data/pca.hpp"

namespace cfdm::data {

struct SamplingSpace {
  std::shared_ptr<const TrainingSet> data;   // the training data in its own space (points or pixels)
  std::shared_ptr<const Pca> pca;            // null when sampling the data itself
  std::shared_ptr<const TrainingSet> train;  // what the sampler sees: data, or its PCA latents

  // Samples (rows in the sampled space) in the data's own space: latents decoded, else a copy.
  MatrixXfR to_data(const MatrixXfR& states) const { return pca ? pca->decode(states) : states; }
  // "a 64-dimensional PCA space (86.2% of the variance)", or "" when sampling the data itself.
  std::string pca_summary() const;
};

// Sampling in the data itself (pca_dim == 0) or in its top pca_dim principal components (the
// data's memory is then kept once, shared by `data`). Throws cfdm::Error on a bad pca_dim. A
// pool shares the PCA's fit and encoding (the same space on any thread count).
SamplingSpace make_sampling_space(TrainingSet data, int pca_dim, ThreadPool* pool = nullptr);

}  // namespace cfdm::data
