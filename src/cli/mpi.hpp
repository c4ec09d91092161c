// The processes of an `mpirun -np P cfdm sample ...` launch (Open MPI; the build option CFDM_MPI):
// each holds one part (shard) of the training set, all run the same sampler on the same queries,
// and per step they exchange each query's state over their parts (the online softmax's, for the
// exact model: kernel.hpp, merge_softmax_states; PosteriorMean::Parts for the others) and merge
// them in rank order, so every process continues from the same posterior means and the result
// does not depend on timing. README: "More data than one machine".
//
// Failures: every exchange is preceded by a check in which each rank says whether it failed;
// a rank whose work threw joins the next check saying so (main.cpp), and every rank then stops
// with the error of the lowest failing rank: no rank waits for one that will never come.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/kernel.hpp"
#include "core/posterior_mean.hpp"
#include "core/sampler.hpp"
#include "core/training_set.hpp"

namespace cfdm {
class ThreadPool;
}

namespace cfdm::cli {

// Whether this build can join an mpirun launch, and with which MPI ("Open MPI v4.1.4").
bool mpi_built_in();
std::string mpi_library();

// An error every rank agreed on (one rank's, named in the message): printed by rank 0 only.
class RankError : public Error {
 public:
  using Error::Error;
};

class Cluster {
 public:
  // The launch this process belongs to: joins it (MPI_Init) when mpirun started the process,
  // else a cluster of this process alone that uses no MPI. Throws cfdm::Error when mpirun started
  // it but this build has no MPI.
  static Cluster& join();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  bool launched() const { return launched_; }  // started by mpirun (any number of ranks)
  int rank() const { return rank_; }
  int size() const { return size_; }

  // Rank 0's command-line arguments, on every rank (settings cannot differ between ranks).
  std::vector<std::string> arguments(const std::vector<std::string>& own);
  // Every rank says whether it failed (and why); when one did, every rank throws RankError with
  // the lowest failing rank's message. A no-op outside a launch or once closed.
  void check(bool failed, const std::string& message = "");
  // After the last exchange: from here on a failure is the failing rank's own (rank 0 writing the
  // outputs), and check() does nothing.
  void close();
  bool closed() const { return closed_; }

  // All ranks' `count` floats, rank after rank, into all (size() * count). Checks first.
  void allgather(const float* mine, size_t count, float* all);
  // Each value summed over every rank's, added in rank order (TrainingSet::WholeSums). Checks first.
  void whole_sums(std::vector<double>& values);
  // The same, one byte array a rank (all the same size), rank after rank. Checks first.
  void allgather_bytes(const unsigned char* mine, size_t count, unsigned char* all);
  // Bitwise OR of every rank's values (the rank that holds a point gives its bits, the others 0).
  // Checks first.
  void or_bits(float* values, size_t count);
  // Bytes this rank has sent in exchanges so far (allgather and or_bits).
  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  Cluster() = default;
  bool launched_ = false, closed_ = false;
  int rank_ = 0, size_ = 1;
  uint64_t bytes_sent_ = 0;
};

// The denoiser params ask for, over a training set split across the cluster's ranks, from this
// rank's part (TrainingSet::Part): the model's states exchanged and merged in rank order, or the
// model evaluated alone when its statistics are already the whole set's (PosteriorMean::Parts);
// the nearest-neighbour estimator in two exchanges a step (knn.hpp). Every rank evaluates the
// same queries. Throws cfdm::Error for a denoiser that needs the whole set.
std::unique_ptr<PosteriorMean> make_sharded_posterior_mean(Cluster& cluster, const TrainingSet& part,
                                                           const SamplerParams& params, ThreadPool& pool);

}  // namespace cfdm::cli
