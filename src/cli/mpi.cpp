#include "cli/mpi.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/thread_pool.hpp"

#if defined(CFDM_HAVE_MPI)
#include <mpi.h>
#endif

namespace cfdm::cli {
namespace {

// mpirun's environment for the processes it starts (Open MPI's, and the PMI/PMIx names other
// launchers use).
bool started_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

}  // namespace

#if defined(CFDM_HAVE_MPI)

bool mpi_built_in() { return true; }

std::string mpi_library() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, size_t(std::max(0, length)));
  text = text.substr(0, text.find_first_of(",\n"));
  return text;
}

Cluster& Cluster::join() {
  static Cluster cluster;
  static bool joined = false;
  if (!joined && started_by_mpirun()) {
    joined = true;
    int provided = 0;
    // Only the main thread exchanges (the sampler's threads compute between exchanges).
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    cluster.launched_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &cluster.rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &cluster.size_);
  }
  joined = true;
  return cluster;
}

Cluster::~Cluster() {
  if (launched_) MPI_Finalize();
}

std::vector<std::string> Cluster::arguments(const std::vector<std::string>& own) {
  if (!launched_) return own;
  std::string packed;  // each argument followed by a NUL
  if (rank_ == 0)
    for (const std::string& argument : own) packed += argument + '\0';
  long long length = (long long)packed.size();
  MPI_Bcast(&length, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  if (length > INT_MAX) throw Error("the command line is too long to pass to the other processes");
  packed.resize(size_t(length));
  MPI_Bcast(packed.data(), int(length), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::string> out;
  for (size_t at = 0; at < packed.size();) {
    const size_t end = packed.find('\0', at);
    out.push_back(packed.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

void Cluster::check(bool failed, const std::string& message) {
  if (!launched_ || closed_) return;
  int mine = failed ? rank_ : size_, first = size_;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == size_) return;
  constexpr int kLength = 1024;
  char text[kLength] = {};
  if (rank_ == first) std::snprintf(text, kLength, "%s", message.c_str());
  MPI_Bcast(text, kLength, MPI_CHAR, first, MPI_COMM_WORLD);
  throw RankError(size_ > 1 ? "rank " + std::to_string(first) + " of " + std::to_string(size_) + ": " + text
                            : std::string(text));
}

void Cluster::close() {
  check(false);
  closed_ = true;
}

void Cluster::allgather(const float* mine, size_t count, float* all) {
  allgather_bytes(reinterpret_cast<const unsigned char*>(mine), count * sizeof(float),
                  reinterpret_cast<unsigned char*>(all));
}

void Cluster::allgather_bytes(const unsigned char* mine, size_t count, unsigned char* all) {
  check(false);
  if (!launched_) {
    std::copy_n(mine, count, all);
    return;
  }
  if (count > size_t(INT_MAX))
    throw Error("an exchange of " + std::to_string(count / 1000000) + " MB per process is more than MPI sends at " +
                "once: choose fewer --n-samples or --draws");
  MPI_Allgather(mine, int(count), MPI_BYTE, all, int(count), MPI_BYTE, MPI_COMM_WORLD);
  bytes_sent_ += count;
}

void Cluster::whole_sums(std::vector<double>& values) {
  check(false);
  if (!launched_) return;
  const size_t count = values.size();
  if (count > size_t(INT_MAX)) throw Error("too many sums to exchange at once");
  std::vector<double> all(count * size_t(size_));
  MPI_Allgather(values.data(), int(count), MPI_DOUBLE, all.data(), int(count), MPI_DOUBLE, MPI_COMM_WORLD);
  bytes_sent_ += count * sizeof(double);
  // In rank order, the same on every rank.
  std::fill(values.begin(), values.end(), 0.0);
  for (int r = 0; r < size_; ++r)
    for (size_t k = 0; k < count; ++k) values[k] += all[size_t(r) * count + k];
}

void Cluster::or_bits(float* values, size_t count) {
  check(false);
  if (!launched_) return;
  static_assert(sizeof(float) == sizeof(uint32_t), "floats are 32 bits");
  std::vector<uint32_t> bits(count);
  std::memcpy(bits.data(), values, count * sizeof(float));
  if (count > size_t(INT_MAX)) throw Error("too many training points drawn at once: choose fewer --n-samples");
  MPI_Allreduce(MPI_IN_PLACE, bits.data(), int(count), MPI_UINT32_T, MPI_BOR, MPI_COMM_WORLD);
  bytes_sent_ += count * sizeof(float);
  std::memcpy(values, bits.data(), count * sizeof(float));
}

#else  // built without MPI: a cluster of one

bool mpi_built_in() { return false; }
std::string mpi_library() { return ""; }

Cluster& Cluster::join() {
  if (started_by_mpirun())
    throw Error("this cfdm was built without MPI, so it cannot share the work with other processes: run it without "
                "mpirun, or install Open MPI (libopenmpi-dev openmpi-bin, scripts/setup.sh) and build again "
                "(cmake -DCFDM_MPI=ON)");
  static Cluster cluster;
  return cluster;
}
Cluster::~Cluster() = default;
std::vector<std::string> Cluster::arguments(const std::vector<std::string>& own) { return own; }
void Cluster::check(bool, const std::string&) {}
void Cluster::close() { closed_ = true; }
void Cluster::allgather(const float* mine, size_t count, float* all) { std::copy_n(mine, count, all); }
void Cluster::allgather_bytes(const unsigned char* mine, size_t count, unsigned char* all) {
  std::copy_n(mine, count, all);
}
void Cluster::whole_sums(std::vector<double>&) {}
void Cluster::or_bits(float*, size_t) {}

#endif

namespace {

class ShardedPosteriorMean final : public PosteriorMean {
 public:
  ShardedPosteriorMean(Cluster& cluster, std::unique_ptr<PosteriorMean> inner)
      : PosteriorMean(inner->train()), cluster_(cluster), inner_(std::move(inner)) {}

  bool evaluate(const float* queries, int n_queries, int stride, double t, int step, float* out, int out_stride,
                const float* points, int n_points) override {
    if (inner_->parts() == Parts::independent)
      return inner_->evaluate(queries, n_queries, stride, t, step, out, out_stride, points, n_points);
    const size_t count = size_t(n_queries) * inner_->state_bytes();
    states_.resize(count);
    if (!inner_->evaluate_states(queries, n_queries, stride, t, states_.data())) return false;
    all_.resize(count * size_t(cluster_.size()));
    cluster_.allgather_bytes(states_.data(), count, all_.data());
    std::vector<const unsigned char*> parts;
    for (int r = 0; r < cluster_.size(); ++r) parts.push_back(all_.data() + size_t(r) * count);
    inner_->merge_states(parts.data(), cluster_.size(), n_queries, out, out_stride);
    return true;
  }

  int total_points() const override { return train().total_rows(); }

  void training_points(const int* indices, int count, float* out) const override {
    const int d = train().dim(), n = train().n(), first = train().part().first_row;
    std::fill_n(out, size_t(count) * d, 0.0f);
    for (int j = 0; j < count; ++j) {
      const int i = indices[j] - first;
      if (i >= 0 && i < n)
        for (int k = 0; k < d; ++k) out[size_t(j) * d + k] = train().coordinate(i, k);
    }
    cluster_.or_bits(out, size_t(count) * d);
  }

 private:
  Cluster& cluster_;
  std::unique_ptr<PosteriorMean> inner_;
  std::vector<unsigned char> states_, all_;
};

}  // namespace

std::unique_ptr<PosteriorMean> make_sharded_posterior_mean(Cluster& cluster, std::unique_ptr<PosteriorMean> inner,
                                                           const std::string& what) {
  if (inner->parts() == PosteriorMean::Parts::whole_only)
    throw Error("under mpirun, " + what + " needs the whole training set in one process: leave out mpirun");
  return std::make_unique<ShardedPosteriorMean>(cluster, std::move(inner));
}

}  // namespace cfdm::cli
