#include "app/sampling_job.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>

#include "core/error.hpp"
#include "eval/metrics.hpp"

namespace cfdm::app {

using Clock = std::chrono::steady_clock;

struct SamplingJob::Run {
  std::shared_ptr<const Model> model;
  // One sampler, or a comparison's: each steps on its own (they share the step count and start),
  // the one with the least work left first, so that a fast model's row finishes while a slow one
  // is still on its way. Each sampler's samples are its own, whatever the order.
  std::vector<std::unique_ptr<Sampler>> samplers;
  std::vector<double> step_costs;   // each sampler's estimated cost of a step (Variant::step_cost)
  std::vector<std::string> groups;  // a comparison's names
  std::vector<size_t> round;        // samplers still to step in a single step asked for while paused
  std::vector<std::shared_ptr<const MatrixXfR>> history;
  std::vector<int> history_steps;
  // Each sampler's recorded states not yet in the history (it holds every sampler's states at a
  // step once all of them have taken it).
  std::vector<std::deque<std::pair<int, MatrixXfR>>> waiting;
  int history_stride = 1;
  Clock::time_point start = Clock::now();
  std::shared_ptr<const MatrixXfR> last_inputs, last_draws;  // point data: the last step's z and eps
  std::shared_ptr<const std::vector<double>> times;  // t at steps 0 .. S, made once, shared with snapshots
  // Image models: the latest states in pixel space and each sample's nearest training image, block
  // by block, updated for the sampler that stepped.
  MatrixXfR pixels;
  std::vector<int> nearest;
  std::vector<double> nearest_distance;

  const Sampler& lead() const { return *samplers.front(); }
  bool done() const {
    for (const auto& sampler : samplers)
      if (!sampler->done()) return false;
    return true;
  }
  int step() const {  // the step every sampler has taken
    int n = lead().step_index();
    for (const auto& sampler : samplers) n = std::min(n, sampler->step_index());
    return n;
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
  Eigen::Index rows() const { return lead().states().rows(); }
  // Every sampler's states, one block after another.
  MatrixXfR states() const {
    if (samplers.size() == 1) return lead().states();
    const Eigen::Index b = rows();
    MatrixXfR all(b * Eigen::Index(samplers.size()), lead().states().cols());
    for (size_t g = 0; g < samplers.size(); ++g) all.middleRows(Eigen::Index(g) * b, b) = samplers[g]->states();
    return all;
  }
  // The sampler to step next: of those not done, the one with the least work left (its step's cost
  // times the steps it has left; the first of equals). It stays the least as it steps, so the
  // models run one after another, cheapest first, each to its end.
  size_t next() const {
    size_t best = samplers.size();
    double least = 0;
    for (size_t g = 0; g < samplers.size(); ++g) {
      if (samplers[g]->done()) continue;
      const double left = step_costs[g] * double(samplers[g]->n_steps() - samplers[g]->step_index());
      if (best == samplers.size() || left < least) best = g, least = left;
    }
    return best;
  }
  // Records sampler g's states if its step is one the history keeps, and moves the steps every
  // sampler has recorded into the history.
  void record(size_t g) {
    const Sampler& sampler = *samplers[g];
    const int n = sampler.step_index();
    if ((n - sampler.first_step()) % history_stride != 0 && !sampler.done()) return;
    if (samplers.size() == 1) {
      history.push_back(std::make_shared<const MatrixXfR>(sampler.states()));
      history_steps.push_back(n);
      return;
    }
    waiting.resize(samplers.size());
    waiting[g].emplace_back(n, sampler.states());
    for (const auto& queue : waiting)
      if (queue.empty()) return;
    const Eigen::Index b = rows();
    auto all = std::make_shared<MatrixXfR>(b * Eigen::Index(samplers.size()), sampler.states().cols());
    for (size_t k = 0; k < samplers.size(); ++k) {
      all->middleRows(Eigen::Index(k) * b, b) = waiting[k].front().second;
      waiting[k].pop_front();
    }
    history.push_back(std::move(all));
    history_steps.push_back(n);
  }
  // Image models: sampler g's block of pixels and nearest training images.
  void judge(size_t g, ThreadPool& pool) {
    if (!model->is_image()) return;
    const Eigen::Index b = rows();
    const MatrixXfR& z = samplers[g]->states();
    if (pixels.rows() != b * Eigen::Index(samplers.size())) {
      pixels.resize(b * Eigen::Index(samplers.size()), model->pixels->dim());
      nearest.assign(size_t(pixels.rows()), 0);
      nearest_distance.assign(size_t(pixels.rows()), 0.0);
    }
    pixels.middleRows(Eigen::Index(g) * b, b) = model->pca ? model->pca->decode(z) : z;
    // Nearness is measured where the model samples: a sample that lands on a training point's
    // PCA latent is a copy, though it decodes to that image's reconstruction.
    const eval::Nearest found = eval::nearest_training(*model->train, z, 1, pool);
    std::copy(found.index.begin(), found.index.end(), nearest.begin() + Eigen::Index(g) * b);
    std::copy(found.distance.begin(), found.distance.end(), nearest_distance.begin() + Eigen::Index(g) * b);
  }
};

SamplingJob::SamplingJob(int n_threads, JobMode mode)
    : mode_(mode), pool_(mode == JobMode::foreground ? 1 : n_threads) {}

SamplingJob::~SamplingJob() { stop_worker(); }

void SamplingJob::stop_worker() {
  {
    std::lock_guard<std::mutex> lock(request_mutex_);
    quit_ = true;
    *cancel_ = true;
    pending_.reset();
  }
  request_cv_.notify_one();
  if (worker_.joinable()) worker_.join();
}

void SamplingJob::cancel() {
  {
    std::lock_guard<std::mutex> lock(request_mutex_);
    *cancel_ = true;  // the run stops within a kernel tile
    pending_.reset();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;  // what it still publishes is ignored
  }
  foreground_.reset();
  cancel_preparation();
}

// The one worker thread: runs the newest request, one after another. A request that arrives while
// a run is under way cancels it; one that arrives while another waits replaces that one.
void SamplingJob::worker_loop() {
  for (;;) {
    Request request;
    {
      std::unique_lock<std::mutex> lock(request_mutex_);
      request_cv_.wait(lock, [&] { return quit_ || pending_.has_value(); });
      if (quit_) return;
      request = std::move(*pending_);
      pending_.reset();
    }
    run(request.model_key, request.build, std::move(request.variants), request.generation, *request.cancel);
  }
}

void SamplingJob::set_paused(bool paused) { paused_ = paused; }

void SamplingJob::single_step() { ++step_requests_; }

void SamplingJob::start(std::shared_ptr<const TrainingSet> train, const SamplerParams& params) {
  // A unique key: the model is this training set, never a cached one.
  start(
      "points@" + std::to_string(reinterpret_cast<uintptr_t>(train.get())),
      [train](ThreadPool&) {
        Model model;
        model.train = train;
        return model;
      },
      params);
}

void SamplingJob::start(const std::string& model_key, ModelBuilder build, const SamplerParams& params) {
  start(model_key, std::move(build), std::vector<Variant>{Variant{"", params}});
}

void SamplingJob::start(const std::string& model_key, ModelBuilder build, std::vector<Variant> variants) {
  foreground_.reset();
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation = ++generation_;
  }
  step_requests_ = 0;
  if (mode_ == JobMode::background) {
    // The caller never waits: the run under way is told to stop (a model build cannot be
    // interrupted: it finishes first), and the worker takes this request next.
    {
      std::lock_guard<std::mutex> lock(request_mutex_);
      *cancel_ = true;
      cancel_ = std::make_shared<std::atomic<bool>>(false);
      pending_ = Request{model_key, std::move(build), std::move(variants), generation, cancel_};
    }
    request_cv_.notify_one();
    if (!worker_.joinable()) worker_ = std::thread([this] { worker_loop(); });
    return;
  }
  // Prepared a piece a frame by advance(); the model is rebuilt unless its key is unchanged.
  cancel_preparation();
  preparing_ = Request{model_key, std::move(build), std::move(variants), generation, nullptr};
  std::lock_guard<std::mutex> lock(model_mutex_);
  if (model_key_ != model_key || !model_) publish_status(kPreparing, generation);
}

void SamplingJob::prepare_foreground(double budget_seconds) {
  const Request& request = *preparing_;
  const auto start = Clock::now();
  try {
    std::lock_guard<std::mutex> lock(model_mutex_);
    if (!unmeasured_ && (model_key_ != request.model_key || !model_)) {
      model_.reset();
      model_key_.clear();
      unmeasured_ = std::make_unique<Model>(request.build(pool_));
      if (unmeasured_->copy_threshold < 0)
        measuring_ = std::make_unique<eval::SpacingMeasure>(*unmeasured_->train, eval::kCopySpacingPoints, 1,
                                                            unmeasured_->index.get());
    } else if (measuring_) {
      // A few points at a time (each a scan of the training set) for about the budget.
      while (!measuring_->measure(kSpacingPointsPerPiece, pool_) &&
             std::chrono::duration<double>(Clock::now() - start).count() < budget_seconds) {
      }
      if (measuring_->done()) {
        unmeasured_->copy_threshold = eval::copy_threshold_of_spacing(measuring_->spacing());
        measuring_.reset();
      }
    }
    if (unmeasured_) {
      if (!measuring_) {
        model_ = std::shared_ptr<const Model>(std::move(unmeasured_));
        model_key_ = request.model_key;
      }
      return;  // a model's build, or a part of its measuring, is this call's piece
    }
  } catch (const Error& error) {
    publish(nullptr, error.what(), request.generation);
    cancel_preparation();
    return;
  } catch (const std::bad_alloc&) {
    publish(nullptr, "out of memory: choose fewer training points or samples", request.generation);
    cancel_preparation();
    return;
  }
  // The model is ready: the samplers and step n0.
  const Request ready = std::move(*preparing_);
  preparing_.reset();
  foreground_ = begin(ready.model_key, ready.build, ready.variants, ready.generation);
}

void SamplingJob::cancel_preparation() {
  preparing_.reset();
  unmeasured_.reset();
  measuring_.reset();
}

// Builds (or reuses) the model and the sampler, and publishes step n0. Null on an error, which is
// published as the run's message.
std::unique_ptr<SamplingJob::Run> SamplingJob::begin(const std::string& model_key, const ModelBuilder& build,
                                                     const std::vector<Variant>& variants, uint64_t generation) {
  auto run = std::make_unique<Run>();
  try {
    {
      std::lock_guard<std::mutex> lock(model_mutex_);
      if (model_key_ != model_key || !model_) {
        model_.reset();
        model_key_.clear();
        publish_status(kPreparing, generation);
        Model model = build(pool_);
        if (model.copy_threshold < 0)
          model.copy_threshold = eval::copy_threshold(*model.train, pool_, nullptr, model.index.get());
        model_ = std::make_shared<const Model>(std::move(model));
        model_key_ = model_key;
      }
      run->model = model_;
    }
    const SamplerParams& params = variants.front().params;
    if (params.kernel.cancel && *params.kernel.cancel) return nullptr;
    const Model& model = *run->model;
    // The Wiener and PCA-locality models first need the data's covariance and its eigenvectors
    // (kept with the training set once computed): say so while they are computed.
    const bool covariance = std::any_of(variants.begin(), variants.end(), [](const Variant& v) {
      return v.params.denoiser.model == cfdm::Model::wiener || v.params.denoiser.model == cfdm::Model::pca_local;
    });
    if (covariance) {
      TrainingSet::Derived& derived = model.train->derived();
      std::unique_lock<std::mutex> lock(derived.mutex);
      const bool known = derived.gaussian != nullptr;
      lock.unlock();
      if (!known)
        publish_status(std::string(kPreparing) + ": the covariance the Wiener and PCA-locality models read",
                       generation);
    }
    if (variants.size() > 1 && !model.is_image())
      throw Error("the comparison view shows images side by side: choose MNIST or Fashion-MNIST, or one model");
    for (const Variant& variant : variants) {
      // The local model reads pixel windows: the images' shape, in pixel space (a PCA space has none).
      SamplerParams run_params = variant.params;
      if (model.is_image() && !model.pca && model.image_width > 0 && model.image_height > 0)
        run_params.denoiser.image = ImageShape{model.image_height, model.image_width,
                                               model.train->dim() / (model.image_width * model.image_height)};
      if (run_params.denoiser.model == cfdm::Model::local && model.pca)
        throw Error("the local model compares windows of pixels: sample in pixel space, not in the PCA space");
      run->samplers.push_back(std::make_unique<Sampler>(*run->model->train, run_params, pool_));
      if (variants.size() > 1) run->groups.push_back(variant.name);
    }
    std::vector<double> times(size_t(run->lead().n_steps()) + 1);
    for (size_t n = 0; n < times.size(); ++n) times[n] = run->lead().time(int(n));
    run->times = std::make_shared<const std::vector<double>>(std::move(times));
    const size_t state_bytes =
        variants.size() * size_t(params.n_samples) * size_t(run->model->train->dim()) * sizeof(float);
    const size_t max_records = std::max<size_t>(2, kHistoryBytes / std::max<size_t>(1, state_bytes));
    const size_t records = size_t(params.n_steps - run->lead().first_step()) + 1;
    run->history_stride = int((records + max_records - 2) / (max_records - 1));
    for (const Variant& variant : variants) run->step_costs.push_back(variant.step_cost);
    for (size_t g = 0; g < run->samplers.size(); ++g) {
      run->record(g);
      run->judge(g, pool_);
    }
    publish(run.get(), "", generation);
    return run;
  } catch (const Error& error) {
    publish(nullptr, error.what(), generation);
  } catch (const std::bad_alloc&) {
    publish(nullptr, "out of memory: choose fewer training points or samples", generation);
  }
  return nullptr;
}

// One sampler's step and its publication. False when cancelled or failed. Running, the sampler
// with the least work left steps (a comparison's fast models finish first); a single step asked
// for while paused steps every sampler that is behind, one a call, so that they all advance.
bool SamplingJob::step(Run* run) {
  try {
    if (run->round.empty() && paused_) {  // a single step: every sampler at the step all have taken
      const int n = run->step();
      for (size_t k = run->samplers.size(); k-- > 0;)
        if (run->samplers[k]->step_index() == n && !run->samplers[k]->done()) run->round.push_back(k);
    }
    size_t g = run->samplers.size();
    if (!run->round.empty()) {
      g = run->round.back();
      run->round.pop_back();
    } else if (!paused_) {
      g = run->next();
    }
    if (g == run->samplers.size()) return true;  // nothing left to step
    Sampler& sampler = *run->samplers[g];
    // Point data: the last step's inputs, kept so that a finished sample can be traced to the
    // training points it averages (its z at t = (S-1)/S and its smoothing draws).
    const bool last = sampler.step_index() == sampler.n_steps() - 1 && !run->model->is_image();
    MatrixXfR inputs;
    if (last) inputs = sampler.states();
    if (!sampler.step()) return false;
    if (last) {
      run->last_inputs = std::make_shared<const MatrixXfR>(std::move(inputs));
      run->last_draws = std::make_shared<const MatrixXfR>(sampler.draws());
    }
    run->record(g);
    run->judge(g, pool_);
    publish(run, "", 0);
    return true;
  } catch (const std::bad_alloc&) {
    publish(nullptr, "out of memory while sampling: choose fewer samples", 0);
  }
  return false;
}

bool SamplingJob::step_due() {
  if (!paused_) return true;
  if (step_requests_ == 0) return false;
  --step_requests_;
  return true;
}

void SamplingJob::advance(double budget_seconds) {
  if (mode_ != JobMode::foreground) return;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  // Pieces of the preparation while the budget lasts (at least one), then steps in what is left
  // of it: a run whose preparation is quick shows its first step in the frame that started it.
  bool first = true;
  while (preparing_ && (first || elapsed() < budget_seconds)) {
    first = false;
    prepare_foreground(budget_seconds - elapsed());
  }
  if (!foreground_ || (!first && elapsed() >= budget_seconds)) return;
  // At least one step when one is due (and no preparation took this call), then more while the
  // budget lasts. A single step under way goes on (it is asked for once, not once a model).
  while (foreground_ && !foreground_->done() && (first || elapsed() < budget_seconds) &&
         (!foreground_->round.empty() || step_due())) {
    first = false;
    if (!step(foreground_.get())) foreground_.reset();
  }
}

void SamplingJob::publish_status(const std::string& status, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != generation_) return;
  published_ = Snapshot{};
  published_.status = status;
  published_.generation = generation;
}

// generation 0: the current one (the worker and the foreground run always publish their own).
void SamplingJob::publish(Run* run, const std::string& error, uint64_t generation) {
  Snapshot next;
  if (run) {
    const Model& model = *run->model;
    next.model = run->model;
    next.states = run->states();
    next.groups = run->groups;
    if (run->samplers.size() > 1)
      for (const auto& sampler : run->samplers) next.group_steps.push_back(sampler->step_index());
    next.history = run->history;
    next.history_steps = run->history_steps;
    next.step = run->step();
    next.first_step = run->lead().first_step();
    next.n_steps = run->lead().n_steps();
    next.times = run->times;
    next.done = run->done();
    next.seconds = run->seconds();
    next.last_inputs = run->last_inputs;
    next.last_draws = run->last_draws;
    if (model.is_image()) {
      next.pixels = run->pixels;
      next.nearest = run->nearest;
      next.nearest_distance = run->nearest_distance;
    } else if (next.done && model.index) {
      // Point data: which finished samples are copies (the same definition as `cfdm eval`).
      const eval::Nearest nearest = eval::nearest_training(*model.train, next.states, 1, pool_, model.index.get());
      next.nearest = nearest.index;
      next.nearest_distance = nearest.distance;
    }
  }
  next.error = error;
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation == 0) generation = generation_;
  if (generation != generation_) return;
  next.generation = generation;
  if (!run && error.empty()) return;
  published_ = std::move(next);
}

void SamplingJob::run(std::string model_key, ModelBuilder build, std::vector<Variant> variants, uint64_t generation,
                      const std::atomic<bool>& cancel) {
  if (cancel) return;  // replaced before it began
  for (Variant& variant : variants) variant.params.kernel.cancel = &cancel;
  std::unique_ptr<Run> run = begin(model_key, build, variants, generation);
  while (run && !run->done() && !cancel) {
    if (run->round.empty() && !step_due()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (!step(run.get())) break;  // cancelled
  }
}

bool SamplingJob::latest(Snapshot* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (published_.generation == out->generation && published_.step == out->step && published_.error == out->error &&
      published_.done == out->done && published_.status == out->status)
    return false;
  *out = published_;
  return true;
}

uint64_t SamplingJob::generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}

}  // namespace cfdm::app
