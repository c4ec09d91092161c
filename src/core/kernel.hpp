// The fused posterior-mean kernel: D_t(q) = sum_i softmax_i(l) x_i for a batch of queries,
// l_i = -|q - t x_i|^2 / (2 (1 - t)^2)   (method.md section 2).
//
// One streaming pass over the training set per call: per query a running max, a running sum
// of exp(l_i - max) and a running weighted sum of x_i (online softmax, as in attention). Two
// forms of the logits:
//   direct    l_i = -sum_k (q_k - t x_ik)^2 / (2 (1-t)^2), vectorized over i; for small d.
//   expanded  l_i = (t <q, x_i> - t^2 |x_i|^2 / 2) / (1-t)^2 (the |q|^2 term is common to all i
//             and cancels in the softmax); register-blocked dot products; for large d.
// Work is split across threads by blocks of kQueryBlock queries; each query's arithmetic is the
// same whichever block or thread computes it, so results are bit-identical on any thread count.
#pragma once
#include <atomic>

#include "core/isa.hpp"
#include "core/kernel_job.hpp"
#include "core/training_set.hpp"

namespace cfdm {

class ThreadPool;

enum class KernelPath { automatic, direct, expanded };

struct KernelOptions {
  KernelPath path = KernelPath::automatic;    // automatic: direct for d <= kDirectMaxDim
  Isa isa = Isa::best;                        // force a narrower path (tests, benchmarks)
  const std::atomic<bool>* cancel = nullptr;  // polled between tiles; set it to abandon a call
};

// Posterior means D_t(q) of n_queries query rows (data coordinates, row stride query_stride
// floats) into out (row stride out_stride), for t in [0, 1). Returns false if cancelled (out
// is then incomplete). Throws cfdm::Error on a bad t or an unavailable forced ISA.
bool posterior_mean(const TrainingSet& train, const float* queries, int n_queries, int query_stride, double t,
                    float* out, int out_stride, ThreadPool& pool, const KernelOptions& options = {});

const KernelTable& kernel_table(Isa isa);

// Training rows per tile of the blocked kernels: a tile (about 256 KB) stays in L2 while every
// query block uses it.
int kernel_tile_rows(int stride);

// The job for the kernels over train: queries and out hold kQueryBlock-padded rows of
// train.stride() floats.
KernelJob make_kernel_job(const TrainingSet& train, const float* queries, float* out, float t,
                          const std::atomic<bool>* cancel);

}  // namespace cfdm
