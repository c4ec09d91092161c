// local_floor.hpp for AVX-512 (compiled as core/local_isa_avx512.cpp is).
#define CFDM_LOCAL_NAMESPACE local_floor_avx512
#define CFDM_LOCAL_VECTOR_LANES 1
#include "core/local_impl.hpp"
#include "local_floor_impl.hpp"

double cfdm::bench::local_logits_avx512(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries,
                                        double t, const ImageShape& image, int radius) {
  return local_floor_avx512::logits_only(train, pool, queries, n_queries, t, image, radius);
}
