// local_floor.hpp for the baseline instruction set (compiled as core/local_isa_sse2.cpp and
// core/local_isa_simd128.cpp are).
#define CFDM_LOCAL_NAMESPACE local_floor_base
#include "core/local_impl.hpp"
#include "local_floor_impl.hpp"

double cfdm::bench::local_logits_base(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries,
                                      double t, const ImageShape& image, int radius) {
  return local_floor_base::logits_only(train, pool, queries, n_queries, t, image, radius);
}
