// The local patch model's logits alone, for `cfdm_bench --workload local_floor`: the window
// distances of every query to every training image (local_impl.hpp's WindowLogits, in the same
// blocks of eight images in double, per instruction set), without the per-pixel softmaxes: the
// part of the local model's time that a kernel of it over every image spends before its first
// exponential, held beside the exact model's.
#pragma once
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "core/types.hpp"

namespace cfdm::bench {

// Computes the logits of n_queries rows (stride d) against every training row at time t with
// windows of (2 radius + 1)^2 pixels, split over pool as the local kernel splits them; returns a
// sum of some of them so that none is optimized away.
using LocalLogits = double (*)(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries,
                               double t, const ImageShape& image, int radius);

// Compiled as the local kernels are: with the baseline's flags (SSE2 on x86-64, SIMD128 in
// WebAssembly), and for AVX-512 on x86-64.
double local_logits_base(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, double t,
                         const ImageShape& image, int radius);
#if defined(__x86_64__)
double local_logits_avx512(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, double t,
                           const ImageShape& image, int radius);
#endif

}  // namespace cfdm::bench
