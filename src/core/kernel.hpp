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

// Whether the kernels take the direct form for this training set (throws, as posterior_mean
// does, when a forced direct path cannot serve its dimension).
bool uses_direct_kernel(const TrainingSet& train, const KernelOptions& options);

// A training set split into parts (shards, one per process) gives the same posterior means: each
// part's online-softmax state per query, merged. A state is a row of d + kStateHead floats: the
// maximum logit m, the sum s of exp(l_i - m), then the weighted sum a = sum_i exp(l_i - m) x'_i
// of the part's centred rows (every part centred on the whole set's mean, TrainingSet::WholeSums).
constexpr int kStateHead = 2;
// The states of n_queries queries over train into states (n_queries rows of d + kStateHead).
// Returns false if cancelled; throws as posterior_mean does.
bool posterior_mean_states(const TrainingSet& train, const float* queries, int n_queries, int query_stride, double t,
                           float* states, ThreadPool& pool, const KernelOptions& options = {});
// Posterior means (data coordinates, + mean) from the states of n_parts parts, merged in part
// order with the log-sum-exp rule M = max_p m_p, S = sum_p e^(m_p - M) s_p, A = sum_p e^(m_p - M) a_p
// (in double; the same bits wherever it runs), D = A / S + c, finished as the kernels finish (direct:
// uses_direct_kernel). One part gives posterior_mean's result bit for bit; more agree with it to
// float rounding.
void merge_softmax_states(const float* const* parts, int n_parts, int n_queries, int d, const float* mean, bool direct,
                          float* out, int out_stride);

const KernelTable& kernel_table(Isa isa);

// Training rows per tile of the blocked kernels: a tile (about 256 KB) stays in L2 while every
// query block uses it.
int kernel_tile_rows(int stride);

// The job for the kernels over train: queries and out hold kQueryBlock-padded rows of
// train.stride() floats.
KernelJob make_kernel_job(const TrainingSet& train, const float* queries, float* out, float t,
                          const std::atomic<bool>* cancel);

}  // namespace cfdm
