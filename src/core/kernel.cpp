#include "core/kernel.hpp"

#include <algorithm>
#include <string>
#include <vector>

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

bool posterior_mean(const TrainingSet& train, const float* queries, int n_queries, int query_stride, double t,
                    float* out, int out_stride, ThreadPool& pool, const KernelOptions& options) {
  if (!(t >= 0.0 && t < 1.0)) {
    throw Error("time t = " + std::to_string(t) + " is outside [0, 1): the posterior mean is " +
                "defined for 0 <= t < 1");
  }
  if (n_queries <= 0) return true;
  const KernelTable& table = kernel_table(options.isa);
  const bool direct = options.path == KernelPath::direct ||
                      (options.path == KernelPath::automatic && train.dim() <= TrainingSet::kDirectMaxDim);
  if (direct && train.dim() > TrainingSet::kDirectMaxDim) {
    throw Error("the direct kernel needs d <= " + std::to_string(TrainingSet::kDirectMaxDim) +
                " (d = " + std::to_string(train.dim()) + "); use the expanded kernel");
  }
  const int d = train.dim(), stride = train.stride();
  const int n_blocks = (n_queries + kQueryBlock - 1) / kQueryBlock;
  const float tf = static_cast<float>(t);
  // Centered, padded queries q - t c; padding rows are zero and their outputs dropped.
  std::vector<float> centered(size_t(n_blocks) * kQueryBlock * stride, 0.0f);
  for (int r = 0; r < n_queries; ++r)
    for (int k = 0; k < d; ++k)
      centered[size_t(r) * stride + k] = queries[size_t(r) * query_stride + k] - tf * train.mean()[k];
  std::vector<float> result(centered.size());
  const KernelJob job = make_kernel_job(train, centered.data(), result.data(), tf, options.cancel);
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
  if (options.cancel && options.cancel->load()) return false;
  for (int r = 0; r < n_queries; ++r)
    for (int k = 0; k < d; ++k) out[size_t(r) * out_stride + k] = result[size_t(r) * stride + k] + train.mean()[k];
  return true;
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
