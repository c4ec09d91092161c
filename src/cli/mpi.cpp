#include "cli/mpi.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/knn.hpp"
#include "core/rng.hpp"
#include "core/sampler.hpp"
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

// Points of the whole set by index: the part that holds each gives its bits, the others zeros.
void fetch_training_points(Cluster& cluster, const TrainingSet& part, const int* indices, int count, float* out) {
  const int d = part.dim(), n = part.n(), first = part.part().first_row;
  std::fill_n(out, size_t(count) * d, 0.0f);
  for (int j = 0; j < count; ++j) {
    const int i = indices[j] - first;
    if (i >= 0 && i < n)
      for (int k = 0; k < d; ++k) out[size_t(j) * d + k] = part.coordinate(i, k);
  }
  cluster.or_bits(out, size_t(count) * d);
}

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
    fetch_training_points(cluster_, train(), indices, count, out);
  }

 private:
  Cluster& cluster_;
  std::unique_ptr<PosteriorMean> inner_;
  std::vector<unsigned char> states_, all_;
};


// The nearest-neighbour estimator on a split set (knn.hpp): each step, the parts' nearest rows
// are exchanged and merged into every query's K neighbours in the whole set, then the parts' sums
// over the neighbours and draws they hold.
class ShardedKnnPosteriorMean final : public PosteriorMean {
 public:
  ShardedKnnPosteriorMean(Cluster& cluster, const TrainingSet& part, const KnnOptions& options, uint64_t seed,
                          ThreadPool& pool, const KernelOptions& kernel)
      : PosteriorMean(part), cluster_(cluster), options_(options), seed_(seed), pool_(pool), kernel_(kernel) {
    validate(options_, part.total_rows());
    index_ = make_knn_index(part, options_, pool_, kernel.isa);
  }

  bool evaluate(const float* queries, int n_queries, int stride, double t, int step, float* out, int out_stride,
                const float* points, int n_points) override {
    const int d = train().dim(), k = options_.k;
    if (t == 0.0) {  // all weights 1/N: D_0 = mean(x), the whole set's (every part is centred on it)
      for (int r = 0; r < n_queries; ++r)
        for (int c = 0; c < d; ++c) out[size_t(r) * out_stride + c] = train().mean()[size_t(c)];
      return true;
    }
    const uint64_t substream = knn_draws_substream(step);
    // The shared-neighbour choice: neighbours of the unperturbed z_b serve every draw of b.
    const bool shared = points && n_points > 0 && !options_.neighbors_per_draw;
    const float* searched = shared ? points : queries;
    const int n_searched = shared ? n_points : n_queries, searched_stride = shared ? d : stride;
    std::vector<int> neighbors(size_t(n_searched) * k);
    {
      std::vector<double> mine(size_t(n_searched) * k * kKnnCandidateDoubles);
      if (!knn_part_candidates(train(), *index_, k, searched, n_searched, searched_stride, t, mine.data(), pool_,
                               kernel_))
        return false;
      const std::vector<unsigned char> all = gather(mine);
      knn_merge_candidates(parts_of(all, mine.size()).data(), cluster_.size(), n_searched, k, neighbors.data());
    }
    if (shared) {
      const int n_draws = n_queries / n_points;
      std::vector<int> each(neighbors.size() * size_t(n_draws));
      for (int m = 0; m < n_draws; ++m) std::copy(neighbors.begin(), neighbors.end(), each.begin() + size_t(m) * neighbors.size());
      neighbors.swap(each);
    }
    std::vector<double> sums(size_t(n_queries) * knn_part_state_doubles(d));
    knn_part_sums(train(), options_, queries, n_queries, stride, t, seed_, substream, neighbors.data(), sums.data(),
                  pool_);
    const std::vector<unsigned char> all = gather(sums);
    knn_merge_sums(parts_of(all, sums.size()).data(), cluster_.size(), n_queries, d, train().mean().data(), out,
                   out_stride);
    return true;
  }

  int total_points() const override { return train().total_rows(); }
  void training_points(const int* indices, int count, float* out) const override {
    fetch_training_points(cluster_, train(), indices, count, out);
  }

 private:
  std::vector<unsigned char> gather(const std::vector<double>& mine) {
    std::vector<unsigned char> all(mine.size() * sizeof(double) * size_t(cluster_.size()));
    cluster_.allgather_bytes(reinterpret_cast<const unsigned char*>(mine.data()), mine.size() * sizeof(double),
                             all.data());
    return all;
  }
  std::vector<const double*> parts_of(const std::vector<unsigned char>& all, size_t count) const {
    std::vector<const double*> parts;
    for (int r = 0; r < cluster_.size(); ++r)
      parts.push_back(reinterpret_cast<const double*>(all.data()) + size_t(r) * count);
    return parts;
  }

  Cluster& cluster_;
  KnnOptions options_;
  uint64_t seed_;
  ThreadPool& pool_;
  KernelOptions kernel_;
  std::unique_ptr<NeighborIndex> index_;
};

}  // namespace

std::unique_ptr<PosteriorMean> make_sharded_posterior_mean(Cluster& cluster, const TrainingSet& part,
                                                           const SamplerParams& params, ThreadPool& pool) {
  if (params.estimator == Estimator::knn && params.denoiser.model != Model::cfdm)
    throw Error(std::string("under mpirun, the nearest-neighbour estimator serves the cfdm model only (got the ") +
                model_name(params.denoiser.model) + " model): leave out mpirun or --estimator knn");
  if (params.estimator == Estimator::knn)
    return std::make_unique<ShardedKnnPosteriorMean>(cluster, part, params.knn, params.seed, pool, params.kernel);
  std::unique_ptr<PosteriorMean> inner = make_posterior_mean(part, params, pool);
  if (inner->parts() == PosteriorMean::Parts::whole_only)
    throw Error(std::string("under mpirun, the ") + model_name(params.denoiser.model) +
                " model needs the whole training set in one process: leave out mpirun");
  return std::make_unique<ShardedPosteriorMean>(cluster, std::move(inner));
}

}  // namespace cfdm::cli
