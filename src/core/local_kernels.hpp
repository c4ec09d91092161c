// The local models' kernels per instruction set (local_impl.hpp, compiled by each
// local_isa_*.cpp): the same bits on every one, faster where the lanes are wider.
#pragma once
#include "core/isa.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "core/types.hpp"

namespace cfdm {

struct LocalTable {
  // The local patch model's posterior means of n_queries rows at a = t, scale = 1 / (2 b^2), with
  // windows of (2 radius + 1)^2 pixels (local_model.cpp).
  void (*window)(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride, double a,
                 double scale, const ImageShape& image, int radius, float* out, int out_stride);
  // PCA locality's, output coordinate j summing the coordinates indices[offsets[j] .. offsets[j + 1])
  // (pca_local_model.cpp).
  void (*mask)(const TrainingSet& train, ThreadPool& pool, const float* queries, int n_queries, int stride, double a,
               double scale, const int* offsets, const int* indices, float* out, int out_stride);
};

CFDM_DECLARE_PER_ISA(LocalTable, local_table)
// The table of `isa` (checked; Isa::best: the widest this CPU runs).
const LocalTable& local_table(Isa isa);

}  // namespace cfdm
