#include "core/kernel.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "core/detmath.hpp"
#include "core/error.hpp"
#include "core/posterior_mean.hpp"
#include "core/thread_pool.hpp"

namespace cfdm {

// Defined in kernel_isa_*.cpp; which ones exist is decided by the build (CMakeLists.txt).
CFDM_DECLARE_PER_ISA(KernelTable, kernel_table)

const KernelTable& kernel_table(Isa isa) {
  static constexpr PerIsa<KernelTable> tables = CFDM_PER_ISA(kernel_table);
  return isa_table(isa, tables);
}

int kernel_tile_rows(int stride) { return std::clamp((65536 / stride) / 16 * 16, 16, 1024); }

KernelJob make_kernel_job(const TrainingSet& train, const float* queries, float* out, float t,
                          const std::atomic<bool>* cancel) {
  static_assert(sizeof(std::atomic<bool>) == sizeof(bool), "the kernels read the flag as a bool");
  return KernelJob{train.rows(),
                   train.rows_u8(),
                   train.u8_scale(),
                   train.mean().data(),
                   train.columns(),
                   train.norms_sq(),
                   train.n(),
                   train.n_padded(),
                   train.dim(),
                   train.stride(),
                   queries,
                   out,
                   t,
                   kernel_tile_rows(train.stride()),
                   reinterpret_cast<const bool*>(cancel)};
}

bool uses_direct_kernel(const TrainingSet& train, const KernelOptions& options) {
  const bool direct = options.path == KernelPath::direct ||
                      (options.path == KernelPath::automatic && train.dim() <= TrainingSet::kDirectMaxDim);
  if (direct && train.dim() > TrainingSet::kDirectMaxDim) {
    throw Error("the direct kernel needs d <= " + std::to_string(TrainingSet::kDirectMaxDim) +
                " (d = " + std::to_string(train.dim()) + "); use the expanded kernel");
  }
  return direct;
}

namespace {

void check_time(double t) {
  if (!(t >= 0.0 && t < 1.0)) {
    throw Error("time t = " + std::to_string(t) + " is outside [0, 1): the posterior mean is " +
                "defined for 0 <= t < 1");
  }
}

// The kernels over n_queries queries: into `result` (kQueryBlock-padded rows of train.stride()),
// the centred posterior means, or with state_max and state_sum (as many) the softmax states
// (KernelJob::out_max). Returns false if cancelled.
bool run_kernels(const TrainingSet& train, const float* queries, int n_queries, int query_stride, double t,
                 std::vector<float>& result, float* state_max, float* state_sum, ThreadPool& pool,
                 const KernelOptions& options) {
  check_time(t);
  const KernelTable& table = kernel_table(options.isa);
  const bool direct = uses_direct_kernel(train, options);
  const int d = train.dim(), stride = train.stride();
  const int n_blocks = (n_queries + kQueryBlock - 1) / kQueryBlock;
  const float tf = static_cast<float>(t);
  // Centered, padded queries q - t c; padding rows are zero and their outputs dropped.
  std::vector<float> centered(size_t(n_blocks) * kQueryBlock * stride, 0.0f);
  for (int r = 0; r < n_queries; ++r)
    for (int k = 0; k < d; ++k)
      centered[size_t(r) * stride + k] = queries[size_t(r) * query_stride + k] - tf * train.mean()[k];
  result.assign(centered.size(), 0.0f);
  KernelJob job = make_kernel_job(train, centered.data(), result.data(), tf, options.cancel);
  job.out_max = state_max;
  job.out_sum = state_sum;
  // The expanded kernel streams the training set once per task: one task per thread. The direct
  // kernel's training set sits in cache: smaller tasks balance the load.
  const int per_thread = direct ? 8 : 1;
  const int n_tasks = std::min(n_blocks, pool.size() * per_thread);
  auto block_range = [&](int task) {
    return std::pair<int, int>(int(int64_t(n_blocks) * task / n_tasks), int(int64_t(n_blocks) * (task + 1) / n_tasks));
  };
  pool.run(n_tasks, [&](int task) {
    const auto [begin, end] = block_range(task);
    if (direct) {
      table.direct(job, begin, end);
    } else {
      std::vector<float> scratch(expanded_scratch_floats(job, (end - begin) * kQueryBlock));
      table.expanded(job, begin, end, scratch.data());
    }
  });
  return !(options.cancel && options.cancel->load());
}

}  // namespace

bool posterior_mean(const TrainingSet& train, const float* queries, int n_queries, int query_stride, double t,
                    float* out, int out_stride, ThreadPool& pool, const KernelOptions& options) {
  check_time(t);
  if (n_queries <= 0) return true;
  std::vector<float> result;
  if (!run_kernels(train, queries, n_queries, query_stride, t, result, nullptr, nullptr, pool, options)) return false;
  const int d = train.dim(), stride = train.stride();
  for (int r = 0; r < n_queries; ++r)
    for (int k = 0; k < d; ++k) out[size_t(r) * out_stride + k] = result[size_t(r) * stride + k] + train.mean()[k];
  return true;
}

bool posterior_mean_states(const TrainingSet& train, const float* queries, int n_queries, int query_stride, double t,
                           float* states, ThreadPool& pool, const KernelOptions& options) {
  const int d = train.dim(), stride = train.stride();
  const size_t padded = size_t((n_queries + kQueryBlock - 1) / kQueryBlock) * kQueryBlock;
  std::vector<float> result, max(padded), sum(padded);
  if (!run_kernels(train, queries, n_queries, query_stride, t, result, max.data(), sum.data(), pool, options))
    return false;
  for (int r = 0; r < n_queries; ++r) {
    float* state = states + size_t(r) * (d + kStateHead);
    state[0] = max[size_t(r)];
    state[1] = sum[size_t(r)];
    std::copy_n(&result[size_t(r) * stride], d, state + kStateHead);
  }
  return true;
}

void merge_softmax_states(const float* const* parts, int n_parts, int n_queries, int d, const float* mean, bool direct,
                          float* out, int out_stride) {
  std::vector<double> acc(static_cast<size_t>(d));
  for (int r = 0; r < n_queries; ++r) {
    const size_t row = size_t(r) * (d + kStateHead);
    float top = -std::numeric_limits<float>::infinity();
    for (int p = 0; p < n_parts; ++p) top = std::max(top, parts[p][row]);
    double sum = 0.0;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int p = 0; p < n_parts; ++p) {
      const float* state = parts[p] + row;
      // A part whose every weight underflowed (max -inf) adds nothing; the maximum's part adds with
      // weight e^0 = 1 exactly.
      if (!(state[0] > -std::numeric_limits<float>::infinity())) continue;
      const double gap = double(state[0]) - double(top);  // <= 0
      const double scale = gap == 0.0 ? 1.0 : gap < -745.0 ? 0.0 : detmath::exp(gap);
      sum += scale * double(state[1]);
      for (int k = 0; k < d; ++k) acc[size_t(k)] += scale * double(state[kStateHead + k]);
    }
    // Rounded to float and finished as the kernels finish (one part: exactly their result).
    const float total = float(sum), inv_total = 1.0f / total;
    float* o = out + size_t(r) * out_stride;
    for (int k = 0; k < d; ++k) {
      const float a = float(acc[size_t(k)]);
      o[k] = (direct ? a / total : a * inv_total) + mean[k];
    }
  }
}

namespace {

class ExactPosteriorMean final : public PosteriorMean {
 public:
  ExactPosteriorMean(const TrainingSet& train, ThreadPool& pool, const KernelOptions& kernel)
      : PosteriorMean(train), pool_(pool), kernel_(kernel) {}
  bool evaluate(const float* queries, int n_queries, int stride, double t, int, float* out, int out_stride,
                const float*, int) override {
    return posterior_mean(train(), queries, n_queries, stride, t, out, out_stride, pool_, kernel_);
  }

  Parts parts() const override { return Parts::merged; }
  size_t state_bytes() const override { return sizeof(float) * size_t(train().dim() + kStateHead); }
  bool evaluate_states(const float* queries, int n_queries, int stride, double t, unsigned char* states) override {
    return posterior_mean_states(train(), queries, n_queries, stride, t, reinterpret_cast<float*>(states), pool_,
                                 kernel_);
  }
  void merge_states(const unsigned char* const* parts, int n_parts, int n_queries, float* out,
                    int out_stride) const override {
    std::vector<const float*> states(static_cast<size_t>(n_parts));
    for (int p = 0; p < n_parts; ++p) states[size_t(p)] = reinterpret_cast<const float*>(parts[p]);
    merge_softmax_states(states.data(), n_parts, n_queries, train().dim(), train().mean().data(),
                         uses_direct_kernel(train(), kernel_), out, out_stride);
  }

 private:
  ThreadPool& pool_;
  KernelOptions kernel_;
};

}  // namespace

std::unique_ptr<PosteriorMean> make_exact_posterior_mean(const TrainingSet& train, ThreadPool& pool,
                                                         const KernelOptions& kernel) {
  return std::make_unique<ExactPosteriorMean>(train, pool, kernel);
}

}  // namespace cfdm
