#include "data/space.hpp"

#include <cstdio>

namespace cfdm::data {

std::string SamplingSpace::pca_summary() const {
  if (!pca) return "";
  char text[96];
  std::snprintf(text, sizeof text, "a %d-dimensional PCA space (%.1f%% of the variance)", pca->dim(),
                100 * pca->explained_variance());
  return text;
}

SamplingSpace make_sampling_space(TrainingSet data, int pca_dim, ThreadPool* pool) {
  SamplingSpace space;
  space.data = std::make_shared<const TrainingSet>(std::move(data));
  if (pca_dim > 0) {
    space.pca = std::make_shared<const Pca>(*space.data, pca_dim, pool);
    space.train = std::make_shared<const TrainingSet>(space.pca->encode(*space.data, pool), pool);
  } else {
    space.train = space.data;
  }
  return space;
}

}  // namespace cfdm::data
