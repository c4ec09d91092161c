// The app's sampling job: live snapshots, restart, pause/step, cancel, errors as messages.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "app/sampling_job.hpp"
#include "data/toy.hpp"
#include "eval/metrics.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

using namespace std::chrono_literals;

// Waits (up to 20 s) until pred(snapshot) holds; returns the snapshot.
template <class Pred>
app::Snapshot wait_for(const app::SamplingJob& job, Pred pred) {
  app::Snapshot snapshot;
  for (int i = 0; i < 4000; ++i) {
    job.latest(&snapshot);
    if (pred(snapshot)) return snapshot;
    std::this_thread::sleep_for(5ms);
  }
  ADD_FAILURE() << "timed out waiting for the sampling job";
  return snapshot;
}

SamplerParams small_params(int steps) {
  SamplerParams p = default_sampler_params();
  p.n_samples = 50;
  p.n_steps = steps;
  p.seed = 3;
  return p;
}

TEST(SamplingJob, RunsToTheSameSamplesAsTheSampler) {
  auto train = std::make_shared<const TrainingSet>(data::make_toy("moons", 300, 0));
  app::SamplingJob job(2);
  job.start(train, small_params(30));
  const app::Snapshot done = wait_for(job, [](const app::Snapshot& s) { return s.done; });
  EXPECT_EQ(done.step, 30);
  EXPECT_TRUE(done.error.empty());
  ThreadPool pool(1);
  Sampler direct(*train, small_params(30), pool);
  direct.run([](int) { return true; });
  EXPECT_TRUE(bit_identical(done.states, direct.states()));
}

TEST(SamplingJob, PauseSingleStepAndRestart) {
  auto train = std::make_shared<const TrainingSet>(data::make_toy("circles", 300, 0));
  app::SamplingJob job(2);
  job.set_paused(true);
  job.start(train, small_params(50));
  const app::Snapshot first = wait_for(job, [](const app::Snapshot& s) { return s.generation > 0; });
  EXPECT_EQ(first.step, 0);
  job.single_step();
  job.single_step();
  const app::Snapshot two = wait_for(job, [](const app::Snapshot& s) { return s.step == 2; });
  EXPECT_EQ(two.step, 2);
  std::this_thread::sleep_for(50ms);
  app::Snapshot still = two;
  job.latest(&still);
  EXPECT_EQ(still.step, 2) << "paused: no steps without a request";
  // A restart with other parameters replaces the run at once.
  job.set_paused(false);
  SamplerParams other = small_params(20);
  other.seed = 9;
  job.start(train, other);
  const app::Snapshot fresh =
      wait_for(job, [&](const app::Snapshot& s) { return s.generation > two.generation && s.done; });
  EXPECT_EQ(fresh.n_steps, 20);
}

TEST(SamplingJob, BadParametersBecomeAMessage) {
  auto train = std::make_shared<const TrainingSet>(data::make_toy("moons", 10, 0));
  app::SamplingJob job(1);
  SamplerParams bad = small_params(10);
  bad.sigma = -1;
  job.start(train, bad);
  const app::Snapshot s = wait_for(job, [](const app::Snapshot& s) { return !s.error.empty(); });
  EXPECT_NE(s.error.find("sigma"), std::string::npos);
}

TEST(SamplingJob, CancelStopsALongRun) {
  auto train = std::make_shared<const TrainingSet>(normal_points(20000, 64, 1));
  app::SamplingJob job(2);
  SamplerParams p = small_params(100000);
  p.n_samples = 512;
  job.start(train, p);
  wait_for(job, [](const app::Snapshot& s) { return s.step >= 1; });
  const auto t0 = std::chrono::steady_clock::now();
  job.cancel();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

// Foreground mode (the browser build without threads): advance() steps within its budget and
// gives the same samples as the sampler.
TEST(SamplingJob, ForegroundModeStepsInTheCallersFrames) {
  auto train = std::make_shared<const TrainingSet>(data::make_toy("pinwheel", 300, 0));
  app::SamplingJob job(4, app::JobMode::foreground);
  EXPECT_EQ(job.threads(), 1);
  job.start(train, small_params(40));
  app::Snapshot s;
  // Its preparation a piece a call: the model built, then the sampler made and step 0 published.
  int preparing = 0;
  while (!s.model && preparing < 10) {
    job.advance(0.0);
    job.latest(&s);
    ++preparing;
  }
  EXPECT_EQ(preparing, 2);
  EXPECT_EQ(s.step, 0);
  int frames = 0;
  while (!s.done && frames < 10000) {
    job.advance(0.0);  // a zero budget: exactly one step per frame
    job.latest(&s);
    ++frames;
  }
  EXPECT_TRUE(s.done);
  EXPECT_EQ(frames, 40);
  ThreadPool pool(1);
  Sampler direct(*train, small_params(40), pool);
  direct.run([](int) { return true; });
  EXPECT_TRUE(bit_identical(s.states, direct.states()));
  job.set_paused(true);
  job.start(train, small_params(40));
  job.advance(0.01);
  job.latest(&s);
  EXPECT_EQ(s.step, 0) << "paused";
  job.single_step();
  job.advance(0.01);
  job.latest(&s);
  EXPECT_EQ(s.step, 1);
}

// Foreground mode with a budget to spare: the preparation's pieces and then steps in one call, so
// that a quick run's first step is in the first frame (the same samples as a piece a call).
TEST(SamplingJob, ForegroundModePreparesAndStepsInOneCallWhenTheBudgetAllows) {
  auto train = std::make_shared<const TrainingSet>(data::make_toy("pinwheel", 300, 0));
  app::SamplingJob job(1, app::JobMode::foreground);
  job.start(train, small_params(40));
  app::Snapshot s;
  job.advance(60.0);
  job.latest(&s);
  ASSERT_TRUE(s.model) << s.error;
  EXPECT_TRUE(s.done) << "step " << s.step;
  ThreadPool pool(1);
  Sampler direct(*train, small_params(40), pool);
  direct.run([](int) { return true; });
  EXPECT_TRUE(bit_identical(s.states, direct.states()));
}

// A model of side x side images (the training rows as pixels) with the given copy threshold.
app::ModelBuilder image_model(std::shared_ptr<const TrainingSet> train, int side, double copy_threshold) {
  return [train, side, copy_threshold](ThreadPool&) {
    app::Model model;
    model.train = train;
    model.pixels = train;
    model.image_width = side;
    model.image_height = side;
    model.copy_threshold = copy_threshold;
    return model;
  };
}

// A comparison's models step on their own, the one with the least work left first (its step's
// estimated cost times the steps it has left): the cheaper model runs to its end while the other
// waits at its start, in both modes, whichever the order of the blocks. Each block ends as its
// model samples alone, bit for bit, and the history holds every model's states at each step. A
// single step while paused advances them all.
TEST(SamplingJob, AComparisonRunsItsCheapestModelFirst) {
  auto train = std::make_shared<const TrainingSet>(normal_points(300, 64, 5));
  const app::ModelBuilder build = image_model(train, 8, 0.0);
  SamplerParams exact = small_params(12);
  exact.n_samples = 8;
  SamplerParams local = exact;
  local.denoiser.model = Model::local;
  local.denoiser.image = ImageShape{8, 8, 1};
  local.denoiser.patch = 3;
  const std::vector<app::Variant> variants{{"exact", exact, 1.0}, {"local", local, 30.0}};
  // The local model's step estimated the cheaper: it goes first.
  const std::vector<app::Variant> reversed{{"exact", exact, 2.0}, {"local", local, 1.0}};
  for (app::JobMode mode : {app::JobMode::background, app::JobMode::foreground})
    for (const auto& run : {variants, reversed}) {
      SCOPED_TRACE(mode == app::JobMode::background ? "background" : "foreground");
      const size_t first = run[0].step_cost < run[1].step_cost ? 0 : 1, second = 1 - first;
      app::SamplingJob job(2, mode);
      job.start("images", build, run);
      app::Snapshot s;
      // Every published snapshot: the first model's step, and the second's while the first runs.
      std::vector<std::pair<int, int>> seen;
      for (int i = 0; i < 100000 && !s.done; ++i) {
        job.advance(0.0);  // foreground: one model's step a call
        if (!job.latest(&s)) {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          continue;
        }
        ASSERT_TRUE(s.error.empty()) << s.error;
        if (!s.model) continue;  // "preparing the training set"
        ASSERT_EQ(s.group_steps.size(), 2u);
        EXPECT_EQ(s.step, std::min(s.group_steps[0], s.group_steps[1]));
        seen.emplace_back(s.group_steps[first], s.group_steps[second]);
      }
      ASSERT_TRUE(s.done);
      for (const auto& [a, b] : seen)
        EXPECT_TRUE(a == 12 || b == 0) << "the second model stepped before the first finished: " << a << ", " << b;
      ThreadPool pool(2);
      for (size_t g = 0; g < 2; ++g) {
        Sampler alone(*train, run[g].params, pool);
        alone.run([](int) { return true; });
        EXPECT_TRUE(bit_identical(MatrixXfR(s.states.middleRows(Eigen::Index(g) * 8, 8)), alone.states()))
            << run[g].name;
      }
      ASSERT_EQ(s.history_steps.size(), 13u);
      for (size_t i = 0; i < s.history_steps.size(); ++i) EXPECT_EQ(s.history_steps[i], int(i));
      EXPECT_TRUE(bit_identical(*s.history.back(), s.states));
      EXPECT_EQ(s.nearest_distance.size(), 16u);
    }
  // Paused: a single step takes every model one step further.
  app::SamplingJob job(2);
  job.set_paused(true);
  job.start("images", build, variants);
  wait_for(job, [](const app::Snapshot& s) { return s.generation > 0 && s.group_steps.size() == 2; });
  job.single_step();
  const app::Snapshot one = wait_for(job, [](const app::Snapshot& s) { return s.step == 1; });
  EXPECT_EQ(one.group_steps, (std::vector<int>{1, 1}));
  std::this_thread::sleep_for(50ms);
  app::Snapshot still = one;
  job.latest(&still);
  EXPECT_EQ(still.group_steps, (std::vector<int>{1, 1})) << "paused: no steps without a request";
}

// Foreground mode measures a model's copy threshold a few points a call (the single-thread page's
// frames stay short while it prepares a dataset): the same threshold as measured at once, and the
// same in background mode.
TEST(SamplingJob, ForegroundModeMeasuresTheCopyThresholdAPieceACall) {
  auto train = std::make_shared<const TrainingSet>(normal_points(500, 49, 8));
  const app::ModelBuilder build = image_model(train, 7, -1);  // the job measures the threshold
  ThreadPool pool(1);
  const double expected = eval::copy_threshold(*train, pool);
  ASSERT_GT(expected, 0.0);
  SamplerParams p = small_params(5);
  p.n_samples = 4;
  app::SamplingJob job(1, app::JobMode::foreground);
  job.start("images", build, p);
  app::Snapshot s;
  int calls = 0;
  while (!s.model && calls < 1000) {
    job.advance(0.0);  // a zero budget: one piece a call
    job.latest(&s);
    ++calls;
  }
  ASSERT_TRUE(s.model) << s.error;
  // Build, 64 points 4 at a time, the samplers.
  EXPECT_EQ(calls, 1 + eval::kCopySpacingPoints / 4 + 1);
  EXPECT_EQ(s.model->copy_threshold, expected);
  app::SamplingJob background(2);
  background.start("images", build, p);
  const app::Snapshot b = wait_for(background, [](const app::Snapshot& s) { return s.model != nullptr; });
  EXPECT_EQ(b.model->copy_threshold, expected);
}

// A model build cannot be interrupted, but the caller never waits for it: a restart returns at
// once and the new run starts when the build is over.
TEST(SamplingJob, RestartDuringASlowModelBuildDoesNotBlock) {
  auto train = std::make_shared<const TrainingSet>(data::make_toy("moons", 200, 0));
  app::SamplingJob job(2);
  auto slow = [train](ThreadPool&) {
    std::this_thread::sleep_for(1500ms);
    app::Model model;
    model.train = train;
    return model;
  };
  job.start("slow", slow, small_params(10));
  std::this_thread::sleep_for(100ms);  // the build is under way
  const auto before = std::chrono::steady_clock::now();
  job.start(train, small_params(12));
  job.cancel();
  job.start(train, small_params(14));
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  EXPECT_LT(waited, 0.5) << "start() and cancel() waited for the model build";
  const app::Snapshot done = wait_for(job, [](const app::Snapshot& s) { return s.done; });
  EXPECT_EQ(done.n_steps, 14);
}

}  // namespace
}  // namespace cfdm::test
