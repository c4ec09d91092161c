// The app's UI code, headless: Dear ImGui with no platform or renderer backend drives
// App::frame() as the native and web builds do, while sampling runs on its worker thread. The
// scene the renderer would draw is checked against the sampler run directly and float64 oracles.
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>  // ImGui::FindWindowByName: where the control panel is

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <tuple>

#include "app/app.hpp"
#include "app/frame_budget.hpp"
#include "app/url_state.hpp"
#include "core/error.hpp"
#include "data/files.hpp"
#include "data/images.hpp"
#include "data/memory.hpp"
#include "data/toy.hpp"
#include "eval/metrics.hpp"
#include "eval/sweep.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

class HeadlessImGui {
 public:
  HeadlessImGui() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1024, 768);
    unsigned char* pixels;
    int width, height;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);  // builds the font atlas
  }
  ~HeadlessImGui() { ImGui::DestroyContext(); }
  // One frame of the app; returns the number of vertices ImGui drew.
  int frame(app::App& app) {
    ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
    ImGui::NewFrame();
    app.frame();
    ImGui::Render();
    return ImGui::GetDrawData()->TotalVtxCount;
  }
  // Frames until pred() holds (at most about 60 s).
  template <class Pred>
  bool frames_until(app::App& app, Pred pred) {
    for (int i = 0; i < 30000; ++i) {
      frame(app);
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
};

// The run is done and the picture shows its last step (the flow plays on screen at the speed
// setting, behind the sampler).
bool shown_done(const app::App& app) { return app.snapshot().done && app.view_step() == app.snapshot().step; }

// The velocity overlay draws each arrow as a shaft from its grid point, then two head strokes from
// its tip: true for a shaft (whose tip it records), false for heads and every other mark.
bool is_arrow_shaft(const app::Mark& m, float tip[2]) {
  if (m.rgba != app::rgba(40, 90, 170, 190) || (m.x0 == m.x1 && m.y0 == m.y1)) return false;
  if (m.x0 == tip[0] && m.y0 == tip[1]) return false;  // a head stroke
  tip[0] = m.x1, tip[1] = m.y1;
  return true;
}

// How many marks of the scene sit exactly on these points (as zero-length segments).
int marks_on(const app::Scene& scene, const MatrixXfR& points) {
  int found = 0;
  for (Eigen::Index i = 0; i < points.rows(); ++i)
    for (const app::Mark& m : scene.marks)
      if (m.x0 == points(i, 0) && m.y0 == points(i, 1) && m.x1 == m.x0 && m.y1 == m.y0) {
        ++found;
        break;
      }
  return found;
}

// The sampler's parameters for app settings, written here apart from the app's own mapping so
// the tests compare the app with an independent reading of its settings.
SamplerParams params_of(const app::Settings& s) {
  SamplerParams p = default_sampler_params();
  p.n_samples = s.sampler.n_samples;
  p.n_steps = s.sampler.n_steps;
  p.n_draws = s.sampler.n_draws;
  p.sigma = s.sampler.sigma;
  p.start_t = s.sampler.start_t;
  p.seed = uint64_t(s.sampler.seed);
  return p;
}

TEST(AppHeadless, DrawsTrainingPointsSamplesAndTrailsAndRestartsOnChange) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << "sampling never finished";
  imgui.frame(app);
  const app::Settings& s = app.settings();
  EXPECT_EQ(app.snapshot().states.rows(), s.sampler.n_samples);
  // Every training point and every sample is a mark; trails add segments between steps.
  const MatrixXfR train = data::make_toy(s.dataset, s.n_train, 0);
  EXPECT_EQ(marks_on(app.scene(), train), s.n_train);
  EXPECT_EQ(marks_on(app.scene(), app.snapshot().states), s.sampler.n_samples);
  int segments = 0;
  for (const app::Mark& m : app.scene().marks) segments += m.x0 != m.x1 || m.y0 != m.y1;
  EXPECT_GT(segments, s.sampler.n_samples) << "no trails";

  app::Settings other = s;
  other.dataset = "swissroll";
  other.sampler.n_samples = 300;
  other.sampler.sigma = 0.1f;
  other.sampler.n_draws = 2;
  const uint64_t before = app.snapshot().generation;
  app.apply(other);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; }));
  EXPECT_EQ(app.snapshot().states.rows(), 300);
  EXPECT_TRUE(app.snapshot().error.empty());
  // The same samples as the sampler run directly.
  ThreadPool pool(1);
  const TrainingSet direct_train(data::make_toy("swissroll", other.n_train, 0));
  Sampler direct(direct_train, params_of(other), pool);
  direct.run([](int) { return true; });
  EXPECT_TRUE(bit_identical(app.snapshot().states, direct.states()));
}

// In a wide window the 2-D view is framed right of the open control panel, nothing under it;
// in a narrow one it is centred on the whole window.
// Where the page capped the memory (a phone), the image datasets open on one class; a link that
// names its classes, or none, keeps them.
TEST(AppHeadless, ASmallDeviceOpensOneClassOfImagesByDefault) {
  std::string ignored;
  data::set_memory_cap(512u << 20);
  EXPECT_EQ(app::defaults_for("mnist").classes_mask, 1 << 3);
  EXPECT_EQ(app::defaults_for("fashion-mnist").classes_mask, 1 << 7);
  EXPECT_EQ(app::parse_state("dataset=mnist&classes=5", app::defaults_for("mnist"), &ignored).classes_mask, 1 << 5);
  data::set_memory_cap(0);
  EXPECT_EQ(app::defaults_for("mnist").classes_mask, 0);
  const app::Settings everything = app::defaults_for("mnist");
  data::set_memory_cap(512u << 20);
  EXPECT_EQ(app::parse_state(app::format_state(everything), app::defaults_for("mnist"), &ignored).classes_mask, 0);
  data::set_memory_cap(0);
}

TEST(AppHeadless, FramesTheViewBesideTheOpenControls) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  imgui.frame(app);
  const ImGuiWindow* panel = ImGui::FindWindowByName("cfdm: closed-form diffusion");
  ASSERT_NE(panel, nullptr);
  ASSERT_FALSE(panel->Collapsed);
  const float right = panel->Pos.x + panel->Size.x;
  const app::Scene& scene = app.scene();
  const MatrixXfR train = data::make_toy(app.settings().dataset, app.settings().n_train, 0);
  float lowest_x = 1e30f, highest_x = -1e30f;
  for (Eigen::Index i = 0; i < train.rows(); ++i) {
    lowest_x = std::min(lowest_x, scene.screen_x(train(i, 0)));
    highest_x = std::max(highest_x, scene.screen_x(train(i, 0)));
  }
  EXPECT_GT(lowest_x, right) << "training points under the control panel";
  EXPECT_LT(highest_x, 1024.0f) << "training points beyond the window";
  EXPECT_FLOAT_EQ(scene.center_x, right + (1024.0f - right) / 2);

  ImGui::GetIO().DisplaySize = ImVec2(500, 800);  // portrait: no room beside the panel
  imgui.frame(app);
  imgui.frame(app);
  EXPECT_FLOAT_EQ(app.scene().center_x, 250.0f);
  EXPECT_FLOAT_EQ(app.scene().scale, 500.0f / 6.0f);

  // A window shrunk to a pixel (ImGui then moves the panel so that a corner of it stays on screen)
  // and grown again: the panel is whole inside it again, title bar and all.
  ImGui::GetIO().DisplaySize = ImVec2(1, 1);
  for (int i = 0; i < 3; ++i) imgui.frame(app);
  ImGui::GetIO().DisplaySize = ImVec2(1024, 768);
  for (int i = 0; i < 3; ++i) imgui.frame(app);
  EXPECT_GE(panel->Pos.x, 0.0f);
  EXPECT_GE(panel->Pos.y, 0.0f);
  EXPECT_LE(panel->Pos.x + panel->Size.x, 1024.0f);
}

TEST(AppHeadless, TheScrubberShowsTheStatesOfEarlierSteps) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = app.settings();
  s.sampler.n_samples = 200;
  s.sampler.n_steps = 40;
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  EXPECT_EQ(app.snapshot().history_steps.size(), 41u) << "every step is recorded";
  app.set_view_step(13);
  imgui.frame(app);
  EXPECT_EQ(app.view_step(), 13);
  ThreadPool pool(1);
  const TrainingSet train(data::make_toy(s.dataset, s.n_train, 0));
  Sampler direct(train, params_of(s), pool);
  for (int i = 0; i < 13; ++i) direct.step();
  EXPECT_EQ(marks_on(app.scene(), direct.states()), s.sampler.n_samples) << "the samples drawn are those of step 13";
  app.set_view_step(-1);
  imgui.frame(app);
  EXPECT_EQ(app.view_step(), 40);
}

TEST(AppHeadless, VelocityOverlayPointsAlongTheExactVelocity) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app::Settings s = app.settings();
  s.n_train = 200;
  s.sampler.n_samples = 10;
  s.sampler.n_steps = 10;
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  app.set_view_step(5);  // t = 0.5
  app.set_velocity_overlay(true);
  imgui.frame(app);
  // Arrows are the segments not between two recorded states: check each against the float64
  // velocity (D(z) - z) / (1 - t) of its start point.
  const MatrixXdR train = data::make_toy(s.dataset, s.n_train, 0).cast<double>();
  const double t = 0.5;
  int arrows = 0;
  float tip[2] = {NAN, NAN};
  for (const app::Mark& m : app.scene().marks) {
    if (!is_arrow_shaft(m, tip)) continue;
    MatrixXdR z(1, 2);
    z << m.x0, m.y0;
    const MatrixXdR mean = oracle_mean(train, z, t);
    const double v[2] = {(mean(0, 0) - z(0, 0)) / (1 - t), (mean(0, 1) - z(0, 1)) / (1 - t)};
    const double a[2] = {double(m.x1) - m.x0, double(m.y1) - m.y0};
    const double cosine = (a[0] * v[0] + a[1] * v[1]) / (std::hypot(a[0], a[1]) * std::hypot(v[0], v[1]));
    EXPECT_GT(cosine, 0.9999) << "arrow at (" << z(0, 0) << ", " << z(0, 1) << ")";
    ++arrows;
  }
  EXPECT_GE(arrows, 24 * 12) << "a grid over the visible plane, 24 cells along its longer side";
}

// With the nearest-neighbour estimator the field shown is the estimator's, which the samples
// follow (it used to be the exact one whatever ran). K = 1, L = 0: D_t(z) is the training point
// nearest to z / t, so each arrow points from z to it.
TEST(AppHeadless, VelocityOverlayFollowsTheNearestNeighbourEstimatorWhenItRuns) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app.apply_state("dataset=moons&n_train=200&n_samples=10&steps=10&estimator=knn&k=1&l=0");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  app.set_view_step(5);  // t = 0.5
  app.set_velocity_overlay(true);
  imgui.frame(app);
  const MatrixXdR train = data::make_toy("moons", 200, 0).cast<double>();
  const double t = 0.5;
  int arrows = 0, unlike_exact = 0;
  float tip[2] = {NAN, NAN};
  for (const app::Mark& m : app.scene().marks) {
    if (!is_arrow_shaft(m, tip)) continue;
    const double z[2] = {m.x0, m.y0};
    int nearest = 0;
    double best = 1e300;
    for (int i = 0; i < train.rows(); ++i) {
      const double dx = z[0] / t - train(i, 0), dy = z[1] / t - train(i, 1), dist = dx * dx + dy * dy;
      if (dist < best) best = dist, nearest = i;
    }
    const double v[2] = {(train(nearest, 0) - z[0]) / (1 - t), (train(nearest, 1) - z[1]) / (1 - t)};
    const double a[2] = {double(m.x1) - m.x0, double(m.y1) - m.y0};
    const double cosine = (a[0] * v[0] + a[1] * v[1]) / (std::hypot(a[0], a[1]) * std::hypot(v[0], v[1]));
    EXPECT_GT(cosine, 0.9999) << "arrow at (" << z[0] << ", " << z[1] << ")";
    MatrixXdR zz(1, 2);
    zz << z[0], z[1];
    const MatrixXdR exact = oracle_mean(train, zz, t);
    const double e[2] = {(exact(0, 0) - z[0]) / (1 - t), (exact(0, 1) - z[1]) / (1 - t)};
    unlike_exact += (a[0] * e[0] + a[1] * e[1]) / (std::hypot(a[0], a[1]) * std::hypot(e[0], e[1])) < 0.99;
    ++arrows;
  }
  EXPECT_GE(arrows, 24 * 12);
  EXPECT_GT(unlike_exact, 20) << "the estimator's field should differ visibly from the exact one somewhere";
}

TEST(AppHeadless, InspectingASampleDrawsItsStrongestPosteriorWeights) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app::Settings s = app.settings();
  s.n_train = 100;
  s.sampler.n_samples = 5;
  s.sampler.n_steps = 10;
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  app.set_view_step(8);
  imgui.frame(app);
  const size_t before = app.scene().marks.size();
  app.select_sample(2);
  imgui.frame(app);
  // A line and a ring for each of the 8 strongest weights of at least 0.01, the nearest training
  // point (two marks) and the sample's highlight.
  int heavy = 0;
  ASSERT_EQ(app.snapshot().history_steps[8], 8);
  const MatrixXfR train = data::make_toy("moons", 100, 0);
  const double t = 8.0 / 10.0;
  for (const auto& [index, weight] :
       eval::top_posterior_weights(TrainingSet(train), app.snapshot().history[8]->row(2).data(), t, 8))
    heavy += weight >= 0.01;
  EXPECT_GE(heavy, 1);
  EXPECT_EQ(app.scene().marks.size(), before + 2 * heavy + 3);
  // Labels are part of the scene: the inspected sample's, and each weight above 0.05.
  const auto& labels = app.scene().labels;
  ASSERT_FALSE(labels.empty());
  EXPECT_EQ(labels.back().text.rfind("sample 2: nearest training point ", 0), 0u) << labels.back().text;
  for (size_t i = 0; i + 1 < labels.size(); ++i) EXPECT_GT(std::stod(labels[i].text), 0.05) << labels[i].text;
}

TEST(AppHeadless, BadSettingsShowAMessageAndKeepRunning) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app::Settings s = app.settings();
  s.sampler.n_steps = 0;
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return !app.snapshot().error.empty(); }));
  EXPECT_NE(app.snapshot().error.find("steps"), std::string::npos);
  imgui.frame(app);  // the message is drawn; the app goes on
  s.dataset = "no-such-set";
  s.sampler.n_steps = 10;
  const uint64_t before = app.snapshot().generation;
  app.apply(s);
  ASSERT_TRUE(
      imgui.frames_until(app, [&] { return app.snapshot().generation > before && !app.snapshot().error.empty(); }));
  EXPECT_NE(app.snapshot().error.find("no-such-set"), std::string::npos);
  // A sigma (a link may give up to 10^6) so far beyond the data that float32 cannot sample it.
  s = app.settings();
  s.dataset = "moons";
  s.sampler.sigma = 1e5;
  s.sampler.n_draws = 2;
  const uint64_t far = app.snapshot().generation;
  app.apply(s);
  ASSERT_TRUE(
      imgui.frames_until(app, [&] { return app.snapshot().generation > far && !app.snapshot().error.empty(); }));
  EXPECT_NE(app.snapshot().error.find("times the training data's radius"), std::string::npos) << app.snapshot().error;
  EXPECT_TRUE(app.caption_facts().failed);
}

TEST(AppHeadless, ExportsWriteTheSamplesAndTheirTrajectories) {
  HeadlessImGui imgui;
  app::PlatformInfo platform;
  const std::string dir = own_temp_dir("exports");
  platform.export_dir = dir;
  app::App app(platform, 1);
  app.apply_state("dataset=spirals&n_train=200&n_samples=30&steps=12&sigma=0.05&draws=2");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  const std::string samples = app.export_file(app::Export::samples_npy);
  EXPECT_TRUE(bit_identical(data::read_matrix(samples), app.snapshot().states));
  const data::Array trajectories = data::read_npy(app.export_file(app::Export::trajectories_npy));
  ASSERT_EQ(trajectories.shape, (std::vector<int64_t>{13, 30, 2}));
  for (int step : {0, 5, 12}) {
    app.set_view_step(step);
    imgui.frame(app);
    const MatrixXfR at_step = data::read_matrix(app.export_file(app::Export::samples_csv));
    for (Eigen::Index i = 0; i < at_step.size(); ++i)
      EXPECT_NEAR(at_step.data()[i], trajectories.values[size_t(step) * 60 + size_t(i)], 1e-6) << "step " << step;
  }
  // CSV exports name their columns.
  EXPECT_EQ(data::read_file(app.export_file(app::Export::samples_csv)).rfind("x1,x2\n", 0), 0u);
  EXPECT_EQ(data::read_file(app.export_file(app::Export::trajectories_csv)).rfind("step,sample,x1,x2\n", 0), 0u);
  const std::string picture = app.export_file(app::Export::picture_png);
  EXPECT_EQ(data::read_file(picture).substr(1, 3), "PNG");
}

TEST(AppHeadless, ASettingTooBigForMemoryIsRefusedAndTheRunKept) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app.apply_state("n_train=300&n_samples=100&steps=10");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  const uint64_t generation = app.snapshot().generation;
  const MatrixXfR samples = app.snapshot().states;
  app.update_state("n_samples=10000000&sigma=1&draws=1024");  // about 80 GB
  for (int i = 0; i < 20; ++i) imgui.frame(app);
  EXPECT_EQ(app.settings().sampler.n_samples, 100) << "the settings stay";
  EXPECT_EQ(app.snapshot().generation, generation) << "the run stays";
  EXPECT_TRUE(bit_identical(app.snapshot().states, samples));
  const std::string stats = app.stats_json();
  EXPECT_NE(stats.find("needs"), std::string::npos) << stats;
  EXPECT_NE(stats.find("are available"), std::string::npos) << stats;
  app.update_state("n_samples=50");  // a setting that fits runs, and the message goes
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > generation; }));
  EXPECT_EQ(app.stats_json().find("needs"), std::string::npos);
}

// Settings the library refuses once a run's data are built. Where the app's controls reach them
// (fewer training points than the estimator's K + L, fewer images than a PCA space's dimensions,
// the local model on points or in a PCA space) they are refused before the run, which stays. Where a run cannot start
// all the same (a sigma beyond a dropped file's radius, from a slider or a link), the controls go back to the run
// before, which runs again, and the message stays; drawn points stay as they are.
TEST(AppHeadless, SettingsTheLibraryWouldRefuseKeepOrGiveBackTheRunBefore) {
  HeadlessImGui imgui;
  for (app::JobMode mode : {app::JobMode::foreground, app::JobMode::background}) {
    app::App app(app::PlatformInfo{}, 1, mode);
    app.apply_state("n_train=300&n_samples=100&steps=10&estimator=knn&k=15&l=15");
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.stats_json();
    const uint64_t generation = app.snapshot().generation;
    const MatrixXfR samples = app.snapshot().states;
    const std::string few = app.update_state("n_train=20");
    EXPECT_NE(
        few.find(
            "K + L = 30 is more than the 20 training points: lower K or L, or take more (the current run is kept)"),
        std::string::npos)
        << few;
    const std::string pca = app.update_state("dataset=mnist&classes=3&n_train=50&space=pca&pca_dim=64");
    EXPECT_NE(pca.find("a 64-dimensional PCA space needs at least as many training images, and there are 50"),
              std::string::npos)
        << pca;
    // The local model compares windows of pixels: not on points, not in a PCA space.
    const std::string points = app.update_state("model=local");
    EXPECT_NE(points.find("so it needs images: choose MNIST or Fashion-MNIST, or another model"), std::string::npos)
        << points;
    const std::string pca_local = app.update_state("dataset=mnist&classes=3&n_train=300&space=pca&models=exact,local");
    EXPECT_NE(pca_local.find("it runs in pixel space, not in the PCA space"), std::string::npos) << pca_local;
    const std::string compared = app.update_state("models=exact,scfdm");
    EXPECT_NE(compared.find("the comparison view shows images side by side"), std::string::npos) << compared;
    for (int i = 0; i < 5; ++i) imgui.frame(app);
    EXPECT_EQ(app.snapshot().generation, generation);
    EXPECT_EQ(app.settings().n_train, 300);
    EXPECT_EQ(app.settings().dataset, "moons");
    EXPECT_TRUE(bit_identical(app.snapshot().states, samples));
    EXPECT_EQ(app.update_state("n_train=30"), "") << "K + L = N is the model itself, and runs";
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > generation; }));

    // A file of points a thousandth of unit size (radius 0.00075): sigma = 1, the slider's top, is
    // more than 1,000 times its radius.
    // (Five points are fewer than K + L: the file is refused while the estimator is on.)
    const std::string dir = own_temp_dir("tiny");
    std::ofstream(dir + "/tiny.csv") << "0,0\n0.001,0\n0,0.001\n0.001,0.001\n0.0005,0.0002\n";
    app.drop_file(dir + "/tiny.csv");
    EXPECT_NE(app.error_message().find("K + L = 30 is more than the 5 training points"), std::string::npos)
        << app.error_message();
    EXPECT_EQ(app.settings().dataset, "moons");
    EXPECT_EQ(app.update_state("estimator=exact"), "");
    const uint64_t before_drop = app.snapshot().generation;
    app.drop_file(dir + "/tiny.csv");
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before_drop; }))
        << app.stats_json();
    const uint64_t dropped = app.snapshot().generation;
    const MatrixXfR tiny_samples = app.snapshot().states;
    EXPECT_EQ(app.update_state("sigma=1&draws=2"), "");
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > dropped + 1; }))
        << app.stats_json();
    EXPECT_EQ(app.settings().dataset, app::App::kDroppedDataset);
    EXPECT_EQ(app.settings().sampler.sigma, 0) << "the controls went back";
    EXPECT_TRUE(bit_identical(app.snapshot().states, tiny_samples)) << "the run before, again";
    const std::string stats = app.stats_json();
    EXPECT_NE(stats.find("times the training data's radius"), std::string::npos) << stats;
    EXPECT_NE(stats.find("(the settings from before run again)"), std::string::npos) << stats;
    EXPECT_FALSE(app.caption_facts().failed);

    // Drawn points: a run that cannot start says why, and the points stay for more to be added.
    app.apply_state("dataset=drawn&points=0,0;1,0;0,1&estimator=knn&k=15&l=15");
    ASSERT_TRUE(imgui.frames_until(app, [&] { return !app.snapshot().error.empty(); })) << app.stats_json();
    for (int i = 0; i < 5; ++i) imgui.frame(app);
    EXPECT_EQ(app.settings().dataset, app::kDrawnDataset);
    EXPECT_EQ(app.settings().points.size(), 6u);
    EXPECT_NE(app.error_message().find("K + L = 30 is more than the 3 training points: lower K or L"),
              std::string::npos)
        << app.error_message();
  }
}

TEST(AppHeadless, RefusedSettingsAreReturnedReportedAndShownWhileTheRunGoesOn) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app.apply_state("n_train=300&n_samples=100&steps=10");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  const uint64_t generation = app.snapshot().generation;
  // A host page's cfdm:set with two bad values: both named in what update_state returns (the
  // page sends it as cfdm:error) and in stats().warnings; nothing changes.
  const std::string refused = app.update_state("sigma=-5&steps=0");
  EXPECT_NE(refused.find("sigma=-5"), std::string::npos) << refused;
  EXPECT_NE(refused.find("steps=0"), std::string::npos) << refused;
  EXPECT_NE(app.stats_json().find("\"warnings\": \"ignored sigma=-5"), std::string::npos) << app.stats_json();
  EXPECT_EQ(app.settings().sampler.n_steps, 10);
  // A long refusal (many keys, each with its reason: up to kMaxNoticeBytes) reaches stats() whole,
  // so the host's cfdm:error is the message update_state returned.
  const char* bad[] = {"dataset=not-a-set", "models=cfdm,not-a-model", "sigma=-1", "steps=-", "draws=99999",
                       "n_train=-"};
  std::string many;
  for (int i = 0; i < 20; ++i) many += (i ? "&" : "") + std::string(bad[i % 6]) + std::to_string(i);
  const std::string long_refusal = app.update_state(many);
  ASSERT_GT(long_refusal.size(), 400u) << long_refusal;
  std::string escaped;
  for (char c : long_refusal) escaped += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  EXPECT_NE(app.stats_json().find("\"warnings\": \"" + escaped + "\""), std::string::npos) << app.stats_json();
  // A setting too big for memory is returned too.
  EXPECT_NE(app.update_state("n_samples=10000000&draws=1024&sigma=1").find("needs"), std::string::npos);
  // An over-long query changes nothing and says why; the run goes on.
  const std::string flood = "x=" + std::string(3'000'000, 'z');
  EXPECT_NE(app.update_state(flood).find("at most 16384"), std::string::npos);
  for (int i = 0; i < 3; ++i) imgui.frame(app);
  EXPECT_EQ(app.snapshot().generation, generation);
  // A message from the page (e.g. its own refusal) is shown like the app's own errors.
  app.report_error(std::string("refused: \x1b[2J") + std::string(1000, 'q'));
  const std::string stats = app.stats_json();
  EXPECT_NE(stats.find("refused: \\\\x1b[2J"), std::string::npos) << stats;  // JSON of \x1b
  EXPECT_LT(stats.size(), 2000u);
  // A good setting applies and clears the warnings.
  EXPECT_EQ(app.update_state("n_samples=40"), "");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > generation; }));
  EXPECT_NE(app.stats_json().find("\"warnings\": \"\""), std::string::npos) << app.stats_json();
}

TEST(AppHeadless, TheSingleThreadBuildRefusesWorkThatWouldFreezeAFrameAndKeepsItsRun) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1, app::JobMode::foreground);
  app.apply_state("n_train=300&n_samples=100&steps=10");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  const uint64_t generation = app.snapshot().generation;
  // Ten million training points: minutes of preparation in one frame. Refused at once.
  const std::string refused = app.update_state("n_train=10000000");
  EXPECT_NE(refused.find("prepares at most"), std::string::npos) << refused;
  EXPECT_NE(refused.find("(this setting asks for 10,000,000)"), std::string::npos) << refused;
  EXPECT_NE(refused.find("full-speed page"), std::string::npos) << refused;
  // One step of 20,000 samples over 50,000 points: seconds in one piece. Refused too.
  EXPECT_NE(app.update_state("n_train=50000&n_samples=20000").find("one step"), std::string::npos);
  EXPECT_NE(app.update_state("dataset=mnist&space=pca").find("PCA"), std::string::npos);
  // On images it names what the reader sees: training images.
  for (const char* query :
       {"dataset=mnist&n_train=60000", "dataset=mnist&n_train=20000&n_samples=2000&draws=8&sigma=1"}) {
    const std::string images = app.update_state(query);
    EXPECT_NE(images.find(" training images"), std::string::npos) << images;
    EXPECT_EQ(images.find("point"), std::string::npos) << images;
  }
  for (int i = 0; i < 3; ++i) imgui.frame(app);
  EXPECT_EQ(app.snapshot().generation, generation);
  EXPECT_EQ(app.settings().n_train, 300);
  // Every preset fits, and the estimate of a preset's work stays within the budget.
  for (const app::Preset& preset : app::presets()) {
    std::string ignored;
    const app::Settings s = app::parse_state(preset.query, app::defaults_for("moons"), &ignored);
    const app::Settings full = app::parse_state(preset.query, app::defaults_for(s.dataset), &ignored);
    EXPECT_NO_THROW(app::check_frame_budget(full)) << preset.title;
    const app::FrameWork work = app::estimate_frame_work(full);
    EXPECT_LE(work.step_seconds, app::kFrameBudgetSeconds) << preset.title;
  }
}

TEST(AppHeadless, ADroppedFileIsUsedOrRefusedWithTheCurrentDataKept) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app.apply_state("dataset=circles&n_train=300&n_samples=60&steps=10");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  const uint64_t generation = app.snapshot().generation;
  const std::string dir = own_temp_dir("drops");
  // Not data, wrong dimension, wrong kind of file: a message, and nothing else changes.
  for (const auto& [name, content, fragment] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"garbage.npy", "not an npy file", "not a .npy"},
                                                                      {"four.csv", "1,2,3,4\n4,5,6,7\n", "4-dimensional"},
                                                                      {"picture.png", "\x89PNG", ".npy or .csv"},
                                                                      {"nan.csv", "1,2\nnan,3\n", "not finite"}}) {
    std::ofstream(dir + "/" + name) << content;
    app.drop_file(dir + "/" + name);
    for (int i = 0; i < 5; ++i) imgui.frame(app);
    const std::string stats = app.stats_json();
    EXPECT_NE(stats.find("could not use " + name), std::string::npos) << stats;
    EXPECT_NE(stats.find(fragment), std::string::npos) << stats;
    EXPECT_EQ(app.settings().dataset, "circles");
    EXPECT_EQ(app.snapshot().generation, generation) << name;
  }
  // 2-D points become the training data.
  std::ofstream(dir + "/points.csv") << "x,y\n0,0\n1,0\n0,1\n1,1\n";
  app.drop_file(dir + "/points.csv");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > generation; }));
  EXPECT_EQ(app.settings().dataset, app::App::kDroppedDataset);
  EXPECT_EQ(app.snapshot().model->train->n(), 4);
  EXPECT_TRUE(app.snapshot().error.empty());
  EXPECT_EQ(app.stats_json().find("could not use"), std::string::npos);
  // 3-D points too: the 3-D view.
  const uint64_t flat = app.snapshot().generation;
  std::ofstream(dir + "/cloud.csv") << "0,0,0\n1,0,0\n0,1,0\n0,0,1\n1,1,1\n";
  app.drop_file(dir + "/cloud.csv");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > flat; }));
  EXPECT_EQ(app.snapshot().model->train->dim(), 3);
  EXPECT_EQ(app.projection().dim, 3);
  EXPECT_EQ(app.stats_json().find("Rescale the data"), std::string::npos) << app.stats_json();
  // Points in metres of a city: they run, and a warning says to rescale them.
  const uint64_t unit = app.snapshot().generation;
  std::ofstream(dir + "/city.csv") << "0,0\n5000,0\n0,4000\n3000,3000\n";
  app.drop_file(dir + "/city.csv");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > unit; }));
  EXPECT_NE(app.stats_json().find("far beyond the unit noise"), std::string::npos) << app.stats_json();
  EXPECT_NE(app.stats_json().find("Rescale the data to about unit size"), std::string::npos) << app.stats_json();
}

// Image view on MNIST (prepared by scripts/setup.sh into build/data): why it cannot be loaded,
// or empty when it can.
std::string mnist_missing() {
  try {
    data::load_image_dataset("mnist", data::default_data_dir());
  } catch (const Error& e) {
    return std::string("MNIST is not prepared: ") + e.what();
  }
  return {};
}

// What the library samples with params on the app's training set of MNIST images (their shape
// given, as the app gives it).
MatrixXfR library_samples(const app::App& app, SamplerParams params) {
  ThreadPool pool(1);
  params.denoiser.image = ImageShape{28, 28, 1};
  Sampler sampler(*app.snapshot().model->train, params, pool);
  sampler.run([](int) { return true; });
  return sampler.states();
}

// A small MNIST run: 8 samples from 300 images of the digit 3.
app::Settings small_mnist(int n_steps) {
  app::Settings s = app::defaults_for("mnist");
  s.classes_mask = 1 << 3;
  s.n_train = 300;
  s.sampler.n_samples = 8;
  s.sampler.n_steps = n_steps;
  return s;
}

// The export's command line of a run, run by the command-line tool, gives the app's samples bit for
// bit (sigma and start T, float values, written as the doubles they are; a knn estimator on the
// DDIM grid; two classes of MNIST with the local model). A comparison's command names its models.
TEST(AppHeadless, TheCommandLineOfARunGivesItsSamples) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  std::vector<std::string> states = {
      "dataset=moons&n_train=200&n_samples=50&steps=20&sigma=0.15&draws=3&start_t=0.3&seed=7",
      "dataset=circles&n_train=300&n_samples=40&steps=10&estimator=knn&k=10&l=5&schedule=ddim"};
  if (mnist_missing().empty())
    states.push_back("dataset=mnist&classes=3,5&n_train=300&n_samples=4&steps=10&model=local&start_t=0.5");
  const std::string dir = own_temp_dir("command");
  for (const std::string& state : states) {
    const uint64_t before = app.snapshot().generation;
    app.apply_state(state);
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; }))
        << state << ": " << app.stats_json();
    std::string command = app::command_line(app.settings(), "");
    ASSERT_EQ(command.rfind("cfdm sample ", 0), 0u) << command;
    const std::string out = " --out samples.npy";
    ASSERT_EQ(command.substr(command.size() - out.size()), out) << command;
    command = std::string(CFDM_CLI) + command.substr(4, command.size() - 4 - out.size()) + " --out " + dir +
              "/samples.npy 2>" + dir + "/stderr.txt";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    EXPECT_TRUE(bit_identical(data::read_matrix(dir + "/samples.npy"), app.snapshot().states)) << command;
  }
  app::Settings s = app::defaults_for("mnist");
  s.classes_mask = 1 << 3, s.n_train = 1000, s.sampler.n_samples = 8, s.sampler.n_steps = 20;
  s.sampler.sigma = 1, s.sampler.n_draws = 8, s.models = {"exact", "scfdm", "local"};
  s.sampler.start_t = 0;
  EXPECT_EQ(app::command_line(s, ""),
            "cfdm compare --data mnist --n-train 1000 --classes 3 --n-samples 8 --steps 20 --seed 0 --sigma 1 "
            "--draws 8 --models exact,scfdm,local --plot comparison.png");
  s.models = {"exact", "local"};  // nothing smoothed: no sigma
  EXPECT_EQ(app::command_line(s, "").find("--sigma"), std::string::npos);
  s.dataset = app::kDrawnDataset;
  EXPECT_EQ(app::command_line(s, ""), "") << "no file holds drawn points";
  s = app::defaults_for("moons");
  s.dataset = app::kDroppedDataset;
  EXPECT_NE(app::command_line(s, "my points.csv").find("--data 'my points.csv' "), std::string::npos);
}

// At sigma = 0 every sample is a training image (method.md section 7, check 3), and the
// memorization meter says so.
// A comparison with the Wiener model: while the training set is prepared, the status says that
// the data's covariance is computed too (its eigenvectors take a moment on 784 pixels), also when
// the images themselves were prepared for the run before.
TEST(AppHeadless, TheStatusSaysWhatThePreparationComputes) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  const std::string covariance = "\"status\": \"preparing the training set: the covariance the Wiener";
  for (const std::vector<std::string>& models :
       {std::vector<std::string>{"exact", "wiener"}, std::vector<std::string>{"exact", "scfdm"}}) {
    app::Settings s = small_mnist(5);
    s.n_train = models[1] == "wiener" ? 300 : 301;  // the images prepared anew, then the second run's kept
    s.models = models;
    const uint64_t before = app.snapshot().generation;
    app.apply(s);
    if (models[1] == "wiener") {
      EXPECT_TRUE(imgui.frames_until(app, [&] { return app.stats_json().find(covariance) != std::string::npos; }))
          << app.stats_json();
    }
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; }))
        << app.snapshot().error;
    EXPECT_NE(app.stats_json().find("\"status\": \"\""), std::string::npos);
  }
  // The same images (prepared by the scfdm run), now with the Wiener model: its covariance is new.
  app::Settings s = small_mnist(5);
  s.n_train = 301;
  s.models = {"exact", "wiener"};
  app.apply(s);
  EXPECT_TRUE(imgui.frames_until(app, [&] { return app.stats_json().find(covariance) != std::string::npos; }))
      << app.stats_json();
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.snapshot().error;
}

TEST(AppHeadless, MnistSamplesAtSigmaZeroAreAllCopies) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  for (bool pca : {false, true}) {
    app::Settings s = small_mnist(10);
    s.pca = pca;
    s.pca_dim = 16;
    const uint64_t before = app.snapshot().generation;
    app.apply(s);
    // While the PCA space is fitted (the eigenvectors of a 784 x 784 covariance), the status says so.
    if (pca) {
      EXPECT_TRUE(imgui.frames_until(app, [&] {
        return app.stats_json().find("\"status\": \"preparing the training set: fitting a 16-dimensional PCA space") !=
               std::string::npos;
      })) << app.stats_json();
    }
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; }))
        << app.snapshot().error;
    imgui.frame(app);
    EXPECT_NE(app.stats_json().find("\"status\": \"\""), std::string::npos) << "no status once it samples";
    EXPECT_EQ(app.snapshot().states.cols(), pca ? 16 : 784);
    EXPECT_EQ(app.copies(), 8) << (pca ? "PCA space" : "pixel space");
    // One definition of a copy: the app's threshold is cfdm eval's, in the space sampled in.
    ThreadPool pool(1);
    EXPECT_EQ(app.snapshot().model->copy_threshold, eval::copy_threshold(*app.snapshot().model->train, pool));
    EXPECT_EQ(app.scene().labels.size(), 8u) << "each pair's distance under it";
    EXPECT_EQ(app.scene().tiles.size(), 16u) << "each sample beside its nearest training image";
    EXPECT_EQ(app.scene().n_images, 16);
    EXPECT_EQ(app.scene().image_width, 28);
  }
  // Smoothing makes new digits: far fewer copies.
  app::Settings s = small_mnist(10);
  s.sampler.sigma = 1.0f;
  s.sampler.n_draws = 4;
  const uint64_t before = app.snapshot().generation;
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; }));
  EXPECT_LE(app.copies(), 2);
}

// Without threads the app reads an image dataset a part a frame (about 30 ms of reading each, so
// frames keep coming); its samples are the threaded app's, which reads the files whole.
TEST(AppHeadless, TheSingleThreadBuildReadsImagesAPartAFrameAndSamplesAsWithThreads) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App single(app::PlatformInfo{}, 1, app::JobMode::foreground);
  app::App threads(app::PlatformInfo{}, 2);
  const app::Settings s = small_mnist(10);
  single.apply(s);
  threads.apply(s);
  ASSERT_TRUE(imgui.frames_until(single, [&] { return shown_done(single); })) << single.snapshot().error;
  ASSERT_TRUE(imgui.frames_until(threads, [&] { return shown_done(threads); })) << threads.snapshot().error;
  EXPECT_TRUE(single.snapshot().error.empty()) << single.snapshot().error;
  EXPECT_EQ(single.snapshot().model->description, threads.snapshot().model->description);
  EXPECT_TRUE(single.snapshot().states == threads.snapshot().states) << "the same images, the same samples";
  EXPECT_EQ(single.snapshot().nearest, threads.snapshot().nearest);
}

// One class chosen: the page fetches and the app reads that class alone (a tenth of the whole
// set), and samples as from the whole set, bit for bit; once the whole set is loaded it serves
// every class without another fetch.
TEST(AppHeadless, OneClassIsFetchedAloneAndSamplesAsTheWholeSet) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  if (!data::image_dataset_prepared("mnist-class-3", data::default_data_dir()))
    GTEST_SKIP() << "MNIST's classes are not prepared alone: run scripts/build.sh";
  struct Recording : app::DataSource {
    std::vector<std::string> asked;
    Progress request(const std::string& name) override {
      if (asked.empty() || asked.back() != name) asked.push_back(name);
      return Progress{true, 1, 1, ""};
    }
    std::string directory() const override { return data::default_data_dir(); }
  };
  HeadlessImGui imgui;
  // Runs `settings` to its end (a new run: its generation beyond the last one).
  const auto run = [&](app::App& app, const app::Settings& settings) {
    const uint64_t before = app.snapshot().generation;
    app.apply(settings);
    return imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; });
  };
  Recording one_source, whole_source;
  app::PlatformInfo one_platform, whole_platform;
  one_platform.data = &one_source;
  whole_platform.data = &whole_source;
  app::App one(one_platform, 2), whole(whole_platform, 2);
  const app::Settings s = small_mnist(10);
  app::Settings all_classes = s;
  all_classes.classes_mask = 0;
  ASSERT_TRUE(run(one, s)) << one.snapshot().error;
  EXPECT_EQ(one_source.asked, std::vector<std::string>{"mnist-class-3"});
  ASSERT_TRUE(run(whole, all_classes)) << whole.snapshot().error;
  ASSERT_TRUE(run(whole, s)) << whole.snapshot().error;
  EXPECT_EQ(whole_source.asked, std::vector<std::string>{"mnist"}) << "the whole set serves the class";
  EXPECT_TRUE(one.snapshot().states == whole.snapshot().states) << "the same images, the same samples";
  EXPECT_EQ(one.snapshot().nearest, whole.snapshot().nearest);
  // After the whole set, the class alone is not read again either.
  ASSERT_TRUE(run(one, all_classes)) << one.snapshot().error;
  ASSERT_TRUE(run(one, s)) << one.snapshot().error;
  EXPECT_EQ(one_source.asked, (std::vector<std::string>{"mnist-class-3", "mnist"}));
  EXPECT_TRUE(one.snapshot().states == whole.snapshot().states);
}

// Choosing other data while an image dataset is still on its way (fetched by the page, or read a
// part a frame) gives up waiting for it: the new run goes to its end and stays (it is not started
// again every frame), and nothing is said to be loading.
TEST(AppHeadless, OtherDataChosenWhileImagesAreOnTheirWayRunsToItsEnd) {
  struct NeverReady : app::DataSource {
    Progress request(const std::string&) override { return Progress{false, 1e6, 1e7, ""}; }
    std::string directory() const override { return "/nonexistent"; }
  } source;
  app::PlatformInfo platform;
  platform.data = &source;
  HeadlessImGui imgui;
  for (app::JobMode mode : {app::JobMode::foreground, app::JobMode::background}) {
    app::App app(platform, 1, mode);
    app.apply_state("dataset=mnist&classes=3&n_train=300&n_samples=8&steps=10");
    for (int i = 0; i < 3; ++i) imgui.frame(app);
    EXPECT_NE(app.stats_json().find("\"loading\": true"), std::string::npos) << app.stats_json();
    app.apply_state("dataset=moons&n_train=300&n_samples=100&steps=10");
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.snapshot().error;
    const uint64_t generation = app.snapshot().generation;
    for (int i = 0; i < 3; ++i) imgui.frame(app);
    EXPECT_EQ(app.snapshot().generation, generation) << "the run was started again";
    EXPECT_NE(app.stats_json().find("\"loading\": false"), std::string::npos) << app.stats_json();
    EXPECT_NE(app.stats_json().find("\"reading\": false"), std::string::npos) << app.stats_json();
  }
}

// A download that fails (on the first request, or frames later), or files that cannot be read once
// downloaded, take the controls back to the run from before, and that run (cancelled when the data
// were asked for) samples again to its end, the failure's message shown meanwhile; nothing is said
// to be loading.
TEST(AppHeadless, AFailedDownloadRunsTheDataFromBeforeAgainAndSaysSo) {
  struct Failing : app::DataSource {
    int frames_before_failing = 0;
    bool unreadable = false;  // "downloaded", into a folder that is not there
    Progress request(const std::string&) override {
      if (frames_before_failing-- > 0) return Progress{false, 1e6, 1e7, ""};
      if (unreadable) return Progress{true, 1e7, 1e7, ""};
      return Progress{false, 0, 0, "data/mnist-labels.idx.gz: HTTP 404"};
    }
    std::string directory() const override { return "/nonexistent"; }
  };
  HeadlessImGui imgui;
  for (int later : {0, 3, -1})
    for (app::JobMode mode : {app::JobMode::foreground, app::JobMode::background}) {
      Failing source;
      source.frames_before_failing = std::max(later, 0);
      source.unreadable = later < 0;
      app::PlatformInfo platform;
      platform.data = &source;
      app::App app(platform, 1, mode);
      app.apply_state("dataset=moons&n_train=300&n_samples=100&steps=10");
      ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.snapshot().error;
      const uint64_t before = app.snapshot().generation;
      app.apply_state("dataset=mnist&classes=3&n_train=300&n_samples=8&steps=10");
      ASSERT_TRUE(imgui.frames_until(app, [&] { return app.snapshot().generation > before && shown_done(app); }))
          << app.stats_json();
      EXPECT_EQ(app.settings().dataset, "moons");
      EXPECT_EQ(app.snapshot().states.rows(), 100);
      const std::string stats = app.stats_json();
      EXPECT_NE(
          stats.find(later < 0 ? "/nonexistent" : "could not fetch mnist-class-3: data/mnist-labels.idx.gz: HTTP 404"),
          std::string::npos)
          << stats;
      EXPECT_NE(stats.find("(the data from before runs again)"), std::string::npos) << stats;
      EXPECT_NE(stats.find("\"loading\": false"), std::string::npos) << stats;
    }
}

// Runs s to its end: the library's samples bit for bit, none a copy of a training image, and the
// caption's words.
void expect_new_digits_as_the_library(HeadlessImGui& imgui, app::App& app, const app::Settings& s, const char* words) {
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.snapshot().error;
  imgui.frame(app);
  EXPECT_TRUE(test::bit_identical(app.snapshot().states, library_samples(app, s.sampler)));
  EXPECT_EQ(app.copies(), 0) << "pieces of training digits make new digits";
  app::CaptionFacts facts;
  facts.image = true, facts.running = true, facts.done = true, facts.n_samples = 8, facts.copies = app.copies();
  const std::string caption = app::caption(s, facts);
  EXPECT_NE(caption.find(words), std::string::npos) << caption;
}

// The local model in the app: the library's samples bit for bit (the app passes the images' shape),
// new digits rather than copies; where it does not apply (a PCA space, points) a message says so.
TEST(AppHeadless, TheLocalModelMakesNewDigitsAsTheLibraryDoes) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(10);
  s.sampler.denoiser.model = cfdm::Model::local;
  expect_new_digits_as_the_library(imgui, app, s, "local model");
  for (const char* link : {"dataset=mnist&classes=3&n_train=300&n_samples=8&steps=10&space=pca&model=local",
                           "dataset=moons&model=local"}) {
    std::string error;
    const uint64_t before = app.snapshot().generation;
    app.apply(app::parse_state(link, app::Settings{}, &error));
    for (int i = 0; i < 5; ++i) imgui.frame(app);
    EXPECT_NE(app.error_message().find("the local model compares windows of pixels"), std::string::npos)
        << app.error_message();
    EXPECT_EQ(app.snapshot().generation, before) << "refused: the run on screen stays";
    EXPECT_EQ(app.settings().dataset, "mnist");
    EXPECT_FALSE(app.settings().pca);
  }
}

// The local model's nearest-neighbour estimator from a link: the library's samples bit for bit,
// new digits, and the caption says what the estimator does.
TEST(AppHeadless, TheLocalModelsEstimatorRunsAsTheLibraryDoes) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  std::string error;
  const app::Settings s = app::parse_state(
      "dataset=mnist&classes=3&n_train=300&n_samples=8&steps=10&model=local&estimator=knn&k=20&l=20", app::Settings{},
      &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_TRUE(s.knn() && s.sampler.denoiser.model == cfdm::Model::local);
  expect_new_digits_as_the_library(imgui, app, s, "K = 20 training images nearest to the whole sample");
}

// The DDIM time grid in the app: the run steps on it (the library's samples, bit for bit) and the
// times shown are the grid's, not step / S.
TEST(AppHeadless, TheAppStepsOnTheDdimGrid) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(10);
  s.sampler.schedule = Schedule::ddim;
  s.sampler.start_t = 0;
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.snapshot().error;
  const std::vector<double> grid = time_grid(Schedule::ddim, 10);
  ASSERT_NE(grid[5], 0.5) << "the DDIM grid is not even";
  ASSERT_TRUE(app.snapshot().times);
  EXPECT_EQ(*app.snapshot().times, grid);
  EXPECT_EQ(app.caption_facts().t, grid[10]);
  EXPECT_TRUE(test::bit_identical(app.snapshot().states, library_samples(app, s.sampler)));
  // Stepping the view back shows the grid's time of that step.
  app.set_view_step(3);
  imgui.frame(app);
  ASSERT_EQ(app.view_step(), 3);
  EXPECT_EQ(app.caption_facts().t, grid[3]);
}

// Runs the comparison s to its end: a block per model, each the library's samples with that
// model's parameters, bit for bit.
void expect_blocks_as_the_library(HeadlessImGui& imgui, app::App& app, const app::Settings& s) {
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.snapshot().error;
  imgui.frame(app);
  const app::Snapshot& shot = app.snapshot();
  ASSERT_EQ(shot.groups, s.models);
  const Eigen::Index b = s.sampler.n_samples;
  ASSERT_EQ(shot.states.rows(), Eigen::Index(s.models.size()) * b);
  for (size_t g = 0; g < s.models.size(); ++g)
    EXPECT_TRUE(test::bit_identical(MatrixXfR(shot.states.middleRows(Eigen::Index(g) * b, b)),
                                    library_samples(app, app::comparison_params(s, s.models[g]))))
        << s.models[g];
}

// The comparison view: every model's block holds what the library samples with that model from
// the same seed, bit for bit; the exact model copies and the local one does not; each block has a
// title with its copies, and stats() reports them per model. On points it is refused in words.
TEST(AppHeadless, TheComparisonSamplesEachModelAsTheLibraryDoes) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(10);
  s.sampler.sigma = 1.0, s.sampler.n_draws = 4;
  s.models = {"exact", "scfdm", "local"};
  expect_blocks_as_the_library(imgui, app, s);
  const app::Snapshot& shot = app.snapshot();
  const Eigen::Index b = s.sampler.n_samples;
  // The three models start from the same noise.
  ASSERT_GE(shot.history.size(), 1u);
  const MatrixXfR& first = *shot.history.front();
  EXPECT_TRUE(test::bit_identical(MatrixXfR(first.topRows(b)), MatrixXfR(first.middleRows(2 * b, b))));
  EXPECT_EQ(app.copies(0), 8) << "the exact model memorizes";
  EXPECT_EQ(app.copies(2), 0) << "the local model makes new digits";
  // A title per block, naming the model and its copies; a pair of tiles per sample.
  int titles = 0;
  for (const app::Label& label : app.scene().labels)
    titles += label.text.find("are copies") != std::string::npos;
  EXPECT_EQ(titles, 3);
  EXPECT_EQ(app.scene().tiles.size(), size_t(3 * 2 * b));
  const std::string stats = app.stats_json();
  EXPECT_NE(stats.find("{\"model\": \"exact\", \"samples\": 8, \"copies\": 8, \"step\": 10, \"done\": true}"),
            std::string::npos)
      << stats;
  EXPECT_NE(stats.find("{\"model\": \"local\", \"samples\": 8, \"copies\": 0, \"step\": 10, \"done\": true}"),
            std::string::npos)
      << stats;
  app::CaptionFacts facts = app.caption_facts();
  EXPECT_EQ(facts.model_copies, (std::vector<int>{8, app.copies(1), 0}));
  const std::string caption = app::caption(app.settings(), facts);
  EXPECT_NE(caption.find("exact 8 of 8"), std::string::npos) << caption;
  std::string error;
  const uint64_t before = app.snapshot().generation;
  app.apply(app::parse_state("dataset=moons&models=exact,scfdm", app::Settings{}, &error));
  for (int i = 0; i < 5; ++i) imgui.frame(app);
  EXPECT_NE(app.error_message().find("comparison view shows images"), std::string::npos) << app.error_message();
  EXPECT_EQ(app.snapshot().generation, before) << "refused: the comparison on screen stays";
}

// The local model beside its nearest-neighbour estimator (local-knn, the run's K and L): each block
// the library's samples bit for bit, new digits both, the estimator's title naming K and L.
TEST(AppHeadless, TheComparisonShowsTheLocalModelBesideItsEstimator) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(10);
  s.sampler.knn.k = 20, s.sampler.knn.l = 20;
  s.models = {"local", "local-knn"};
  const SamplerParams estimator = app::comparison_params(s, "local-knn");
  EXPECT_TRUE(estimator.estimator == Estimator::knn && estimator.denoiser.model == cfdm::Model::local &&
              estimator.knn.k == 20 && estimator.knn.l == 20 && estimator.sigma == 0);
  expect_blocks_as_the_library(imgui, app, s);
  const app::Snapshot& shot = app.snapshot();
  const Eigen::Index b = s.sampler.n_samples;
  EXPECT_FALSE(test::bit_identical(MatrixXfR(shot.states.topRows(b)), MatrixXfR(shot.states.middleRows(b, b))))
      << "the estimator is not the local model";
  EXPECT_EQ(app.copies(0), 0);
  EXPECT_EQ(app.copies(1), 0) << "the estimator makes new digits too";
  int titled = 0;
  for (const app::Label& label : app.scene().labels)
    titled += label.text.find("local patches (K = 20, L = 20)") != std::string::npos;
  EXPECT_EQ(titled, 1);
  const std::string caption = app::caption(app.settings(), app.caption_facts());
  EXPECT_NE(caption.find("local-knn does the same, but each pixel looks only at the K = 20"), std::string::npos)
      << caption;
  // More neighbours and draws than images, from a link: refused with a message naming them, the
  // comparison on screen kept.
  std::string error;
  const uint64_t before = app.snapshot().generation;
  app.apply(app::parse_state("dataset=mnist&classes=3&n_train=300&n_samples=8&steps=10&models=exact,local-knn&k=200&l=200",
                             app::Settings{}, &error));
  ASSERT_TRUE(error.empty()) << error;
  for (int i = 0; i < 5; ++i) imgui.frame(app);
  EXPECT_NE(app.error_message().find("K + L = 400 is more than the 300 training images"), std::string::npos)
      << app.error_message();
  EXPECT_EQ(app.snapshot().generation, before);
  EXPECT_EQ(app.settings().sampler.knn.k, 20);
}

// A comparison's fast model finishes first (the models run cheapest first, each to its end): the
// exact model's block is done and titled so while the local model is still sampling (its title
// says where), the stats say which rows are done, the caption says how many finished, and the
// scrubber's steps are those every model has taken.
TEST(AppHeadless, AComparisonsFastRowFinishesWhileTheLocalModelSamplesOn) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(20);
  s.speed = 0;  // the latest states shown at once
  s.models = {"exact", "local"};
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] {
    const app::Snapshot& shot = app.snapshot();
    return shot.group_steps.size() == 2 && shot.group_steps[0] == 20;
  })) << app.snapshot().error;
  ASSERT_EQ(app.view_step(), app.snapshot().step);
  imgui.frame(app);
  const app::Snapshot& shot = app.snapshot();
  ASSERT_LT(shot.group_steps[1], 20) << "the local model finished with the exact one";
  EXPECT_EQ(shot.step, shot.group_steps[1]);
  EXPECT_FALSE(shot.done);
  EXPECT_EQ(shot.history_steps.back(), shot.step) << "the history holds the steps both models have taken";
  std::vector<std::string> titles;
  for (const app::Label& label : app.scene().labels)
    if (label.text.find("are copies") != std::string::npos) titles.push_back(label.text);
  ASSERT_EQ(titles.size(), 2u);
  EXPECT_NE(titles[0].find("8 of 8 are copies, done"), std::string::npos) << titles[0];
  EXPECT_NE(titles[1].find(", at t = "), std::string::npos) << titles[1];
  const std::string stats = app.stats_json();
  EXPECT_NE(stats.find("\"copies\": 8, \"step\": 20, \"done\": true}"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"done\": false}]"), std::string::npos) << stats;
  EXPECT_EQ(app.caption_facts().models_done, 1);
  const std::string caption = app::caption(app.settings(), app.caption_facts());
  EXPECT_NE(caption.find("1 of the 2 models finished first"), std::string::npos) << caption;
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); })) << app.snapshot().error;
  EXPECT_EQ(app.copies(0), 8);
  EXPECT_EQ(app.copies(1), 0) << "the local model makes new digits";
}

// The image grid keeps clear of the controls: right of the open panel in a desktop window, below
// it in a portrait one, below the compact bar of an embed (and then across the whole width).
TEST(AppHeadless, TheImageGridKeepsClearOfTheControls) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(5);
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.scene().tiles.size() == 16; }))
      << app.snapshot().error;
  struct Box {
    float left = 1e30f, top = 1e30f, right = -1e30f, bottom = -1e30f;
  };
  auto tiles_box = [&] {
    imgui.frame(app);
    imgui.frame(app);  // the grid follows the controls of the frame before
    Box box;
    for (const app::Tile& tile : app.scene().tiles) {
      box.left = std::min(box.left, tile.x);
      box.top = std::min(box.top, tile.y);
      box.right = std::max(box.right, tile.x + tile.w);
      box.bottom = std::max(box.bottom, tile.y + tile.h);
    }
    return box;
  };
  const ImGuiWindow* panel = ImGui::FindWindowByName("cfdm: closed-form diffusion");
  ASSERT_NE(panel, nullptr);
  Box box = tiles_box();
  EXPECT_GT(box.left, panel->Pos.x + panel->Size.x) << "tiles under the control panel";
  EXPECT_LT(box.right, 1024.0f);
  EXPECT_LT(box.bottom, 768.0f);

  ImGui::GetIO().DisplaySize = ImVec2(500, 800);  // portrait: the open panel spans the width
  box = tiles_box();
  EXPECT_GT(box.top, panel->Pos.y + panel->Size.y) << "tiles under the control panel";
  EXPECT_LT(box.right, 500.0f);
  EXPECT_LT(box.bottom, 800.0f);

  ImGui::GetIO().DisplaySize = ImVec2(1024, 768);
  s.ui = app::Settings::Ui::min;  // an embed's compact bar
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.scene().tiles.size() == 16; }));
  box = tiles_box();
  const ImGuiWindow* bar = ImGui::FindWindowByName("cfdm");
  ASSERT_NE(bar, nullptr);
  EXPECT_GT(box.top, bar->Pos.y + bar->Size.y) << "tiles under the compact controls";
  EXPECT_LT(box.left, 50.0f) << "the grid uses the whole width";
  EXPECT_LT(box.bottom, 768.0f);
}

// A comparison in a small embed (320 x 200, a phone's column): each block's title and copy count
// run neither under the next block's title nor past the frame's edge (a shorter form where the
// long one does not fit), and the tiles stay inside the frame; a wide window keeps the long form
// (and the pairs of sample and nearest image).
TEST(AppHeadless, AComparisonsTitlesFitTheirBlocksInASmallEmbed) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(5);
  s.sampler.sigma = 1.0, s.sampler.n_draws = 4;
  s.models = {"exact", "scfdm", "local"};
  s.ui = app::Settings::Ui::min;
  struct Title {
    float left, right;
    std::string text;
  };
  auto titles = [&] {
    std::vector<Title> out;
    for (const app::Label& label : app.scene().labels)
      if (label.text.find('\n') != std::string::npos)
        out.push_back({label.x, label.x + ImGui::CalcTextSize(label.text.c_str()).x, label.text});
    std::sort(out.begin(), out.end(), [](const Title& a, const Title& b) { return a.left < b.left; });
    return out;
  };
  ImGui::GetIO().DisplaySize = ImVec2(320, 200);
  app.apply(s);
  // So small a frame shows the 24 samples alone (their frames tell copies from new images), not
  // beside their nearest training images.
  auto counted = [&] {
    const std::vector<Title> now = titles();
    return shown_done(app) && now.size() == 3 && now[0].text.find("8/8") != std::string::npos;
  };
  ASSERT_TRUE(imgui.frames_until(app, counted)) << app.snapshot().error;
  EXPECT_EQ(app.scene().tiles.size(), 24u);
  imgui.frame(app);
  std::vector<Title> small = titles();
  ASSERT_EQ(small.size(), 3u);
  for (size_t g = 0; g < small.size(); ++g) {
    const float next = g + 1 < small.size() ? small[g + 1].left : 320.0f;
    EXPECT_LT(small[g].right + 3, next) << "runs under the next title or past the edge: " << small[g].text;
    EXPECT_NE(small[g].text.find(", done"), std::string::npos) << "says the model is done: " << small[g].text;
  }
  // Every tile inside the frame.
  for (const app::Tile& tile : app.scene().tiles) EXPECT_LE(tile.x + tile.w, 320.0f);
  EXPECT_NE(small[0].text.find("8/8"), std::string::npos) << "the exact model's copies: " << small[0].text;
  EXPECT_NE(small[2].text.find("0/8"), std::string::npos) << "the local model's copies: " << small[2].text;

  // A phone's portrait frame, 360 x 420, where the width binds: the samples alone, 24 pixels or
  // more (beside their nearest images they would be under 24, too small to read); a large window
  // shows the pairs.
  ImGui::GetIO().DisplaySize = ImVec2(360, 420);
  imgui.frame(app);
  imgui.frame(app);
  EXPECT_EQ(app.scene().tiles.size(), 24u);
  for (const app::Tile& tile : app.scene().tiles) EXPECT_GE(tile.w, 24.0f);
  ImGui::GetIO().DisplaySize = ImVec2(1280, 800);
  imgui.frame(app);
  imgui.frame(app);
  EXPECT_EQ(app.scene().tiles.size(), 48u) << "a large window shows each sample beside its nearest image";
  for (const app::Tile& tile : app.scene().tiles) EXPECT_GE(tile.w, 24.0f);  // large enough to read a distance under
  std::vector<Title> wide = titles();
  ASSERT_EQ(wide.size(), 3u);
  EXPECT_NE(wide[0].text.find("8 of 8 are copies, done"), std::string::npos) << wide[0].text;
  ImGui::GetIO().DisplaySize = ImVec2(1024, 768);
}

// A box on screen from the app's stats, [left, top, right, bottom]: the status window's
// ("status_box") or the training points' rings' ("rings_box").
std::array<float, 4> stats_box(const app::App& app, const std::string& name = "status_box") {
  const std::string stats = app.stats_json(), key = "\"" + name + "\": [";
  const size_t at = stats.find(key);
  EXPECT_NE(at, std::string::npos) << stats;
  std::array<float, 4> box = {0, 0, 0, 0};
  if (at != std::string::npos)
    std::sscanf(stats.c_str() + at + key.size(), "%f, %f, %f, %f", &box[0], &box[1], &box[2], &box[3]);
  return box;
}
std::array<float, 4> status_box(const app::App& app) { return stats_box(app); }

// Where the page covers the canvas's bottom (an embed's link to the full-speed app, 60 pixels
// here), the status window and the image tiles keep above it; out-of-range insets are clamped.
// In a window too small for the status below the open controls, it goes beside them and its
// lines end inside the window.
TEST(AppHeadless, TheStatusAndTilesKeepAboveThePagesBottomInset) {
  if (const std::string missing = mnist_missing(); !missing.empty()) GTEST_SKIP() << missing;
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app::Settings s = small_mnist(5);
  s.models = {"exact", "scfdm"};
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.scene().tiles.size() == 32; }))
      << app.snapshot().error;
  auto lowest = [&](float inset) {
    app.set_bottom_inset(inset);
    for (int i = 0; i < 3; ++i) imgui.frame(app);  // the status sizes itself to the frame before
    float bottom = 0;
    for (const app::Tile& tile : app.scene().tiles) bottom = std::max(bottom, tile.y + tile.h);
    return std::max(bottom, status_box(app)[3]);
  };
  EXPECT_GT(lowest(0), 768.0f - 60) << "without an inset the status reaches the bottom row";
  EXPECT_LE(lowest(60), 768.0f - 60);
  EXPECT_LE(lowest(std::nanf("")), 768.0f) << "NaN: no inset";
  EXPECT_GT(lowest(1e9f), 768.0f - 210) << "an inset is at most 200 pixels";
  EXPECT_GT(lowest(-5), 768.0f - 60) << "a negative inset: none";

  ImGui::GetIO().DisplaySize = ImVec2(780, 520);  // an embed of every control in a blog's column
  s.models.clear();
  s.sampler.n_samples = 36;
  app.apply(s);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.scene().tiles.size() == 72; }));
  for (int i = 0; i < 3; ++i) imgui.frame(app);
  const std::array<float, 4> box = status_box(app);
  const ImGuiWindow* panel = ImGui::FindWindowByName("cfdm: closed-form diffusion");
  ASSERT_NE(panel, nullptr);
  EXPECT_GE(box[0], panel->Pos.x + panel->Size.x) << "beside the controls";
  EXPECT_LE(box[2], 780.0f) << "past the window's edge";
  ImGui::GetIO().DisplaySize = ImVec2(1024, 768);
}

// In a window too low for the status below the open controls (1024 x 600, a small laptop), the
// status sits beside them, at the bottom of the picture: the points are framed above it where
// they would reach under it (the bunny's lower half did), and keep the usual frame where they
// stay clear of it (the moons).
TEST(AppHeadless, PointsBesideTheControlsKeepAboveTheStatus) {
  try {
    data::make_toy("bunny", 10, 0);
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  HeadlessImGui imgui;
  ImGui::GetIO().DisplaySize = ImVec2(1024, 600);
  app::App app(app::PlatformInfo{}, 2);
  auto settle = [&](const std::string& state) {
    const uint64_t before = app.snapshot().generation;
    app.apply_state(state);
    EXPECT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; }))
        << state;
    for (int i = 0; i < 4; ++i) imgui.frame(app);  // the status sizes itself to the frame before
  };
  const auto overlapping = [](const std::array<float, 4>& a, const std::array<float, 4>& b) {
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
  };
  const ImGuiWindow* panel = ImGui::FindWindowByName("cfdm: closed-form diffusion");
  for (const char* state : {"dataset=bunny&n_train=2000&n_samples=400&steps=30&draws=4&sigma=0.05",
                            "dataset=torus&n_train=500&n_samples=400&steps=30&draws=4&sigma=0.05&orbit=0,80",
                            "dataset=moons&n_train=400&n_samples=400&steps=30&draws=4&sigma=0.1"}) {
    settle(state);
    panel = ImGui::FindWindowByName("cfdm: closed-form diffusion");
    ASSERT_NE(panel, nullptr);
    const std::array<float, 4> status = stats_box(app), rings = stats_box(app, "rings_box");
    EXPECT_GE(status[0], panel->Pos.x + panel->Size.x) << state << ": the status beside the controls";
    EXPECT_FALSE(overlapping(status, rings))
        << state << ": status [" << status[0] << ", " << status[1] << ", " << status[2] << ", " << status[3]
        << "] over the points [" << rings[0] << ", " << rings[1] << ", " << rings[2] << ", " << rings[3] << "]";
    // The moons stay clear of the status in the usual frame (one sixth of the picture's side a
    // unit); the point clouds are made smaller than that only as much as the room above the
    // status asks for (the sphere that holds them in its 441 pixels).
    const float usual = std::min(1024.0f - (panel->Pos.x + panel->Size.x), 600.0f) / 6.0f;
    if (app.projection().dim == 2)
      EXPECT_FLOAT_EQ(app.scene().scale, usual) << state;
    else
      EXPECT_GT(app.scene().scale, 0.7f * usual) << state;
  }
  ImGui::GetIO().DisplaySize = ImVec2(1024, 768);
}

TEST(UrlState, TheAppAppliesALinkOverTheDatasetDefaults) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app.apply_state("?dataset=circles&n_train=300&n_samples=40&steps=12&sigma=0.05&draws=2&seed=7&bogus=1");
  EXPECT_EQ(app.settings().dataset, "circles");
  EXPECT_EQ(app.settings().sampler.n_samples, 40);
  EXPECT_EQ(app.settings().sampler.n_draws, 2);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  ThreadPool pool(1);
  const TrainingSet train(data::make_toy("circles", 300, 0));
  Sampler direct(train, params_of(app.settings()), pool);
  direct.run([](int) { return true; });
  EXPECT_TRUE(bit_identical(app.snapshot().states, direct.states())) << "a link reproduces the samples";
}


double copy_share_of(const std::string& stats) {
  const size_t at = stats.find("\"copy_share\": ");
  if (at == std::string::npos || stats.compare(at + 14, 4, "null") == 0) return -1;
  return std::atof(stats.c_str() + at + 14);
}

// Runs `dataset` (n_train points, steps 100, M = 4) at sigma = 0 and at sigma_new and checks the
// app's copy share against an independent count: a brute-force nearest search in double over the
// same toy set, copies nearer than eval::copy_threshold. Near 1 at sigma = 0 (memorizing), far
// below at sigma_new (barycenters).
void expect_copy_meter(HeadlessImGui& imgui, app::App& app, const std::string& dataset, int n_train, int n_samples,
                       const char* sigma_new) {
  const MatrixXfR train = data::make_toy(dataset, n_train, 0);
  ThreadPool pool(2);
  const double threshold = eval::copy_threshold(TrainingSet(train), pool);
  for (const std::string sigma : {"0", sigma_new}) {
    const uint64_t before = app.snapshot().generation;
    app.apply_state("dataset=" + dataset + "&n_train=" + std::to_string(n_train) + "&n_samples=" +
                    std::to_string(n_samples) + "&steps=100&draws=4&sigma=" + sigma);
    ASSERT_TRUE(imgui.frames_until(app, [&] {
      return app.snapshot().generation > before && app.snapshot().done && !app.snapshot().nearest_distance.empty();
    }));
    imgui.frame(app);
    const MatrixXfR& samples = app.snapshot().states;
    ASSERT_EQ(samples.cols(), train.cols());
    int copies = 0;
    for (Eigen::Index r = 0; r < samples.rows(); ++r) {
      double best = INFINITY;
      for (Eigen::Index i = 0; i < train.rows(); ++i)
        best = std::min(best, (samples.row(r).cast<double>() - train.row(i).cast<double>()).norm());
      copies += best < threshold;
    }
    const double share = copy_share_of(app.stats_json());
    EXPECT_NEAR(share, double(copies) / samples.rows(), 1e-4) << dataset << ", sigma = " << sigma;
    if (sigma == "0")
      EXPECT_GT(share, 0.85) << dataset << ": sigma = 0 memorizes";
    else
      EXPECT_LT(share, 0.15) << dataset << ": sigma = " << sigma << ", M = 4 makes new points";
    std::printf("  %s, sigma = %s: copy share %.3f\n", dataset.c_str(), sigma.c_str(), share);
  }
}

// The copy meter of point data: the share of finished samples nearer than the copy threshold to a
// training point, as `cfdm eval` counts it, on the story preset's data (100 moons points, 100
// steps): near 1 at sigma = 0 (memorizing; the few others stop between two training points, the
// last step landing at t = 0.99) and far below at sigma = 0.15, M = 4 (barycenters); null while
// the run is in flight.
TEST(AppHeadless, TheCopyMeterOfPointDataCountsCopiesAsEvalDoes) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  expect_copy_meter(imgui, app, "moons", 100, 500, "0.15");
  app.update_state("seed=7");
  imgui.frame(app);
  if (!app.snapshot().done) {
    EXPECT_EQ(copy_share_of(app.stats_json()), -1) << "no share while in flight";
  }
}

// The flow plays on screen at the speed setting (steps per second of frame time), never faster
// than it samples, and never slows the sampler: with 60 frames a second at 30 steps/s, 100 steps
// take about 200 frames to show, step by step forward, then the view follows the latest step.
// At speed=max the view is always the latest step.
TEST(AppHeadless, TheFlowPlaysOnScreenAtTheSpeedSetting) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app.apply_state("dataset=moons&n_train=200&n_samples=200&steps=100");
  EXPECT_EQ(app.settings().speed, app::Settings::kWatchSpeed) << "a first visit plays at a pace one can follow";
  ASSERT_TRUE(imgui.frames_until(app, [&] { return app.snapshot().done; }));
  int frames = 0, last = -1;
  bool forward = true;
  while (!shown_done(app) && frames < 2000) {
    imgui.frame(app);
    forward &= app.view_step() >= last;
    last = app.view_step();
    ++frames;
  }
  EXPECT_TRUE(forward) << "the playhead only moves forward";
  EXPECT_TRUE(shown_done(app));
  EXPECT_GT(frames, 60) << "the flow took " << frames << " frames to show: it should play, not jump to the end";
  EXPECT_LT(frames, 260);
  const uint64_t before = app.snapshot().generation;
  app.update_state("speed=max&seed=3");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return app.snapshot().done && app.snapshot().generation > before; }));
  imgui.frame(app);
  EXPECT_EQ(app.view_step(), app.snapshot().step) << "speed=max shows the latest step";
  EXPECT_EQ(app.settings().speed, 0);
  EXPECT_NE(app.state_query().find("speed=max"), std::string::npos) << app.state_query();
  app.replay();
  imgui.frame(app);
  EXPECT_LT(app.view_step(), app.snapshot().step) << "Replay plays from the start";
}

// The captions say, with the live numbers, what the picture shows: read as a student would, each
// names the model's behaviour and, once done, how many samples are copies.
TEST(AppHeadless, TheCaptionExplainsThePictureWithItsNumbers) {
  app::Settings s = app::defaults_for("moons");
  app::CaptionFacts f;
  f.running = true, f.done = true, f.n_samples = 2000, f.copies = 1820, f.t = 1;
  std::string text = app::caption(s, f);
  EXPECT_NE(text.find("memorizes"), std::string::npos) << text;
  EXPECT_NE(text.find("1820 of 2000 samples are copies"), std::string::npos) << text;
  EXPECT_NE(text.find("Raise sigma"), std::string::npos) << text;
  s.sampler.sigma = 0.15, s.sampler.n_draws = 4;
  f.copies = 64;
  text = app::caption(s, f);
  EXPECT_NE(text.find("sigma = 0.15, M = 4"), std::string::npos) << text;
  EXPECT_NE(text.find("between training points"), std::string::npos) << text;
  EXPECT_NE(text.find("1936 are new"), std::string::npos) << text;
  EXPECT_EQ(text.find("larger sigma"), std::string::npos) << "most samples are new: no hint " << text;
  f.copies = 1200;  // smoothing, yet most samples still copy: the caption says why and what to change
  EXPECT_NE(app::caption(s, f).find("Over half are still copies"), std::string::npos) << app::caption(s, f);
  EXPECT_NE(app::caption(s, f).find("A larger sigma mixes more"), std::string::npos) << app::caption(s, f);
  f.copies = 64;
  s.sampler.n_draws = 1;
  EXPECT_NE(app::caption(s, f).find("one smoothing draw still picks a single training point"), std::string::npos);
  f.done = false, f.t = 0.42, f.copies = -1;
  EXPECT_NE(app::caption(s, f).find("t = 0.42"), std::string::npos);
  const std::string line = app::short_caption(s, f);
  EXPECT_LT(line.size(), 70u) << "short enough for the compact embed: " << line;
  s.sampler.n_draws = 4;
  f.done = true, f.copies = 12;
  EXPECT_EQ(app::short_caption(s, f), "sigma = 0.15, M = 4: 12 of 2000 samples copy training points (new points)");
  // A run that stopped with an error: no forecast of where samples will land, but where to look.
  f = app::CaptionFacts{};
  f.failed = true;
  EXPECT_EQ(app::short_caption(s, f), "this setting did not run: the message below says why");
}

// On images the captions speak of images: a student reading "training points" beside a grid of
// digits would look for points that are not there. Each kind of caption (memorizing, one draw,
// smoothing; started at start T; done) for MNIST, once done and on the way.
TEST(AppHeadless, ImageCaptionsSpeakOfImagesNotPoints) {
  app::Settings s = app::defaults_for("mnist");
  app::CaptionFacts f;
  f.image = true, f.running = true, f.n_samples = 16, f.t = 1;
  for (double sigma : {0.0, 0.5})
    for (int draws : {1, 4})
      for (bool done : {false, true})
        for (int copies : {16, 2}) {
          s.sampler.sigma = sigma, s.sampler.n_draws = draws, s.sampler.start_t = 0.3;
          f.done = done, f.copies = copies, f.first_step = done ? 0 : 6;
          const std::string text = app::caption(s, f) + "\n" + app::short_caption(s, f);
          EXPECT_EQ(text.find("point"), std::string::npos)
              << "sigma " << sigma << ", M " << draws << (done ? ", done" : "") << ": " << text;
          EXPECT_NE(text.find("image"), std::string::npos) << text;
        }
  s.sampler.sigma = 0, s.sampler.n_draws = 1;
  f.done = true, f.copies = 16;
  EXPECT_NE(app::caption(s, f).find("to make new images"), std::string::npos) << app::caption(s, f);
}

// Attribution at t = 1: a finished smoothed sample is an average of training points, and the
// inspector draws each with a line as wide as its share. Those shares, read back from the scene,
// must rebuild the sample: sum_i w_i x_i / sum_i w_i lands on it (the independent check: the
// sample's own coordinates against the drawn training points'). At sigma = 0.15, M = 2 on 40
// moons points most samples average two or more training points.
TEST(AppHeadless, AFinishedSampleIsTracedToTheTrainingPointsItAverages) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app.apply_state("dataset=moons&n_train=40&n_samples=300&steps=100&sigma=0.15&draws=2&speed=max");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  const MatrixXfR train = data::make_toy("moons", 40, 0);
  const MatrixXfR samples = app.snapshot().states;
  int traced = 0, averages = 0, copies = 0;
  for (int b = 0; b < 300; b += 10) {
    app.select_sample(b);
    imgui.frame(app);
    double wx = 0, wy = 0, total = 0;
    int lines = 0;
    for (const app::Mark& m : app.scene().marks) {
      const bool from_sample = m.x0 == samples(b, 0) && m.y0 == samples(b, 1) && (m.x1 != m.x0 || m.y1 != m.y0);
      if (!from_sample || m.ring != 0) continue;
      const double w = (m.width - 1.5) / 7.0;
      wx += w * m.x1, wy += w * m.y1, total += w;
      ++lines;
    }
    if (lines == 0) {  // a copy: its one training point lies under it (a line of length zero)
      EXPECT_LT(app.snapshot().nearest_distance[size_t(b)], app.snapshot().model->copy_threshold) << "sample " << b;
      ++copies;
      continue;
    }
    ++traced;
    averages += lines >= 2;
    EXPECT_NEAR(total, 1.0, 0.05) << "sample " << b << ": the shares sum to one";
    EXPECT_NEAR(wx / total, samples(b, 0), 0.02) << "sample " << b;
    EXPECT_NEAR(wy / total, samples(b, 1), 0.02) << "sample " << b;
  }
  EXPECT_EQ(traced + copies, 30) << "every inspected finished sample is traced, or a copy";
  EXPECT_GE(averages, 15) << "most are averages of two or more training points";
  std::printf("  %d averages, %d single training points, %d copies of 30\n", averages, traced - averages, copies);
}


// The sigma sweep in the app: nine ordinary runs of the same seed, from sigma = 0 up, each
// measured when done; the rows agree with the library's sweep (eval::sigma_sweep) run on the same
// data, and tell the story: most samples copy at sigma = 0, far fewer at the larger sigmas, which
// land further from the training points. The settings return to where they were.
TEST(AppHeadless, TheSigmaSweepRunsTheStoryAndAgreesWithTheLibrary) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app.apply_state("dataset=moons&n_train=100&n_samples=300&steps=100&sigma=0.05&draws=3&speed=max");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  const std::string before = app.state_query();
  app.control(app::App::Control::sweep);
  ASSERT_TRUE(app.sweeping());
  ASSERT_TRUE(imgui.frames_until(app, [&] { return !app.sweeping() && shown_done(app); }));
  const std::vector<eval::SweepRow> rows = app.sweep_rows();
  ASSERT_EQ(rows.size(), 9u);
  EXPECT_EQ(rows[0].sigma, 0.0);
  EXPECT_GT(rows[0].copy_share, 0.7) << "sigma = 0 memorizes";
  EXPECT_LT(rows.back().copy_share, rows[0].copy_share / 4) << "large sigma makes new points";
  EXPECT_GT(rows.back().median_distance, 10 * rows[0].median_distance) << "and they land away from the data";
  EXPECT_EQ(app.state_query(), before) << "the settings are restored";
  // The library's sweep, on the same training set and sampler settings.
  ThreadPool pool(2);
  const TrainingSet train(data::make_toy("moons", 100, 0));
  SamplerParams params = app.settings().sampler;
  std::vector<double> sigmas;
  for (const auto& row : rows) sigmas.push_back(row.sigma);
  const std::vector<eval::SweepRow> library = eval::sigma_sweep(train, params, sigmas, {3}, pool);
  ASSERT_EQ(library.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(library[i].copy_share, rows[i].copy_share) << "sigma " << rows[i].sigma;
    EXPECT_EQ(library[i].median_distance, rows[i].median_distance) << "sigma " << rows[i].sigma;
  }
  imgui.frame(app);  // the chart is drawn
  EXPECT_NE(app.stats_json().find("\"sweep_runs\": 9"), std::string::npos) << app.stats_json();
}

// The sweep's chart opens bottom right, where the moons reached: they are framed in the room above
// it, at the usual scale (a sixth of the picture's side a unit). An image grid keeps clear of it too.
TEST(AppHeadless, TheSweepsChartKeepsClearOfThePoints) {
  HeadlessImGui imgui;
  ImGui::GetIO().DisplaySize = ImVec2(1280, 800);
  app::App app(app::PlatformInfo{}, 2);
  app.apply_state("dataset=moons&n_train=100&n_samples=200&steps=20&sigma=0.15&draws=4&speed=max");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  for (int i = 0; i < 3; ++i) imgui.frame(app);
  const float usual = app.scene().scale;
  const std::array<float, 4> alone = stats_box(app, "rings_box");
  app.control(app::App::Control::sweep);
  ASSERT_TRUE(imgui.frames_until(app, [&] { return !app.sweeping() && shown_done(app); }));
  for (int i = 0; i < 3; ++i) imgui.frame(app);
  const std::array<float, 4> sweep = stats_box(app, "sweep_box"), rings = stats_box(app, "rings_box");
  ASSERT_GT(sweep[2], sweep[0]) << app.stats_json();
  EXPECT_TRUE(alone[2] > sweep[0] && alone[3] > sweep[1]) << "the usual frame reaches under the chart";
  EXPECT_TRUE(rings[2] < sweep[0] || rings[3] < sweep[1] || rings[0] > sweep[2] || rings[1] > sweep[3])
      << "chart [" << sweep[0] << ", " << sweep[1] << ", " << sweep[2] << ", " << sweep[3] << "] over the points ["
      << rings[0] << ", " << rings[1] << ", " << rings[2] << ", " << rings[3] << "]";
  EXPECT_FLOAT_EQ(app.scene().scale, usual);
  // Images: the grid takes the largest room beside, above or below the chart.
  if (const std::string missing = mnist_missing(); missing.empty()) {
    app.apply_state("dataset=mnist&classes=3&n_train=300&n_samples=8&steps=10&sigma=0.5&draws=4&speed=max");
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().model->is_image(); }));
    app.control(app::App::Control::sweep);
    ASSERT_TRUE(imgui.frames_until(app, [&] { return !app.sweeping() && shown_done(app); }));
    for (int i = 0; i < 3; ++i) imgui.frame(app);
    const std::array<float, 4> chart = stats_box(app, "sweep_box");
    ASSERT_GT(chart[2], chart[0]) << app.stats_json();
    ASSERT_EQ(app.scene().tiles.size(), 16u);
    for (const app::Tile& tile : app.scene().tiles)
      EXPECT_TRUE(tile.x + tile.w <= chart[0] || tile.x >= chart[2] || tile.y + tile.h <= chart[1] ||
                  tile.y >= chart[3])
          << "a tile at " << tile.x << ", " << tile.y << " under the chart";
    EXPECT_GT(app.scene().tiles[0].w, 40) << "tiles large enough to read";
  }
  ImGui::GetIO().DisplaySize = ImVec2(1024, 768);
}

// Your own points: drawn on the canvas (here through the same calls the clicks make), sampled at
// once, and carried by the link: another app opening it samples the same points, bit for bit.
// Three points 3 apart at sigma = 0: every sample lands on one of them.
TEST(AppHeadless, DrawnPointsAreSampledAndTravelInTheLink) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app.apply_state("n_samples=300&steps=100&speed=max");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  app.clear_points();
  for (const auto& [x, y] : {std::pair{0.0f, 0.0f}, {3.0f, 0.0f}, {0.0f, 3.0f}, {1.0f, 1.0f}}) app.add_point(x, y);
  app.remove_point(3);                  // (1, 1) goes again
  app.move_point(2, 0.0f, 3.5f, false);  // dragged ...
  app.move_point(2, 0.0f, 3.0f, true);   // ... and let go where it was
  EXPECT_EQ(app.settings().dataset, "drawn");
  EXPECT_EQ(app.settings().n_train, 3);
  const uint64_t before = app.snapshot().generation;
  // The run of the final three points (a run of an earlier edit may still finish first).
  MatrixXfR drawn(3, 2);
  drawn << 0, 0, 3, 0, 0, 3;
  const auto on_final_points = [&] {
    const auto& model = app.snapshot().model;
    return model && model->train && model->train->n() == 3 && model->train->points() == drawn;
  };
  ASSERT_TRUE(imgui.frames_until(
      app, [&] { return app.snapshot().generation > before && on_final_points() && shown_done(app); }));
  const MatrixXfR samples = app.snapshot().states;
  const float points[3][2] = {{0, 0}, {3, 0}, {0, 3}};
  for (Eigen::Index i = 0; i < samples.rows(); ++i) {
    float best = INFINITY;
    for (const auto& p : points) best = std::min(best, std::hypot(samples(i, 0) - p[0], samples(i, 1) - p[1]));
    ASSERT_LT(best, 1e-3f) << "sample " << i << " is not on a drawn point";
  }
  const std::string link = app.state_query();
  EXPECT_NE(link.find("dataset=drawn"), std::string::npos) << link;
  EXPECT_NE(link.find("points=0%2C0%3B3%2C0%3B0%2C3"), std::string::npos) << link;
  app::App other(app::PlatformInfo{}, 1);
  other.apply_state(link);
  ASSERT_TRUE(imgui.frames_until(other, [&] { return shown_done(other); }));
  EXPECT_TRUE(bit_identical(other.snapshot().states, samples)) << "the link reproduces the samples";
  // At most kMaxDrawnPoints: one more is refused with a message.
  app::Settings many = app.settings();
  many.points.assign(2 * app::kMaxDrawnPoints, 0.5f);
  app.apply(many);
  app.add_point(1, 1);
  EXPECT_EQ(app.settings().points.size(), 2u * app::kMaxDrawnPoints);
  EXPECT_NE(app.stats_json().find("at most 400 drawn points"), std::string::npos) << app.stats_json();
}

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

// Marks of the scene (rings when ring > 0, else dots) within 1e-4 of each (x, y), one per point.
int marks_near(const app::Scene& scene, const std::vector<std::array<float, 2>>& points, bool rings) {
  int found = 0;
  for (const auto& p : points)
    for (const app::Mark& m : scene.marks)
      if ((m.ring > 0) == rings && m.x0 == m.x1 && m.y0 == m.y1 && std::abs(m.x0 - p[0]) < 1e-4f &&
          std::abs(m.y0 - p[1]) < 1e-4f) {
        ++found;
        break;
      }
  return found;
}

// A 3-D point cloud is seen through the orbit camera, about its box's centre c: at yaw = pitch = 0
// the view shows (x - cx, y - cy); turned a quarter (yaw 90) it shows (z - cz, y - cy). Changing
// the angle (a host page's cfdm:set of `orbit`) does not restart sampling; a drag turns it, the
// pitch stopping short of the pole. Checked against projections computed here from the toy set.
TEST(AppHeadless, APointCloudIsSeenThroughTheOrbitCamera) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  app.apply_state("dataset=torus&n_train=300&n_samples=200&steps=40&orbit=0,0");
  ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app); }));
  imgui.frame(app);
  ASSERT_EQ(app.projection().dim, 3);
  const MatrixXfR train = data::make_toy("torus", 300, 0);
  float c[3];
  for (int k = 0; k < 3; ++k) c[k] = (train.col(k).minCoeff() + train.col(k).maxCoeff()) / 2;
  auto seen = [&](int a, int b) {
    std::vector<std::array<float, 2>> out;
    for (Eigen::Index i = 0; i < train.rows(); ++i) out.push_back({train(i, a) - c[a], train(i, b) - c[b]});
    return out;
  };
  EXPECT_EQ(marks_near(app.scene(), seen(0, 1), true), 300) << "front view: (x, y)";
  const uint64_t generation = app.snapshot().generation;
  EXPECT_EQ(app.update_state("orbit=90,0"), "");
  imgui.frame(app);
  EXPECT_EQ(app.snapshot().generation, generation) << "turning the view restarted sampling";
  EXPECT_EQ(marks_near(app.scene(), seen(2, 1), true), 300) << "side view: (z, y)";
  // Every sample is drawn (a dot at its projection), nearer ones later.
  int samples = 0;
  for (const app::Mark& m : app.scene().marks) samples += m.ring == 0 && m.x0 == m.x1 && m.y0 == m.y1 && m.width > 2;
  EXPECT_EQ(samples, 200);
  app.orbit_by(50, 1000);
  EXPECT_FLOAT_EQ(app.settings().view.yaw, 90 + 20);
  EXPECT_FLOAT_EQ(app.settings().view.pitch, 89);
  EXPECT_NE(app.state_query().find("orbit=110%2C89"), std::string::npos) << app.state_query();
  app.reset_view();
  EXPECT_FLOAT_EQ(app.settings().view.yaw, output::Orbit::kDefaultYaw);
}

// The training points' rings go above the samples (a copy shows inside its ring), except where
// there are more than 3,000: there a band of rings would bury the samples (the nearest-neighbour
// story's 20,000 moons showed a dark band and none of its new points), so they go below them,
// fainter.
TEST(AppHeadless, DenseTrainingPointsGoBelowTheSamples) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  for (const int n_train : {100, 12000}) {
    const uint64_t before = app.snapshot().generation;
    app.apply_state("dataset=moons&n_samples=50&steps=10&sigma=0.05&draws=2&n_train=" + std::to_string(n_train));
    ASSERT_TRUE(imgui.frames_until(app, [&] { return shown_done(app) && app.snapshot().generation > before; }));
    imgui.frame(app);
    // Where the rings and the sample dots are in the list of marks (drawn in its order), and the
    // rings' opacity.
    size_t first_ring = SIZE_MAX, last_ring = 0, first_dot = SIZE_MAX, last_dot = 0, rings = 0;
    uint32_t alpha = 0;
    const std::vector<app::Mark>& marks = app.scene().marks;
    for (size_t i = 0; i < marks.size(); ++i) {
      const app::Mark& m = marks[i];
      if (m.ring > 0) {
        first_ring = std::min(first_ring, i), last_ring = i, ++rings, alpha = m.rgba >> 24;
      } else if (m.x0 == m.x1 && m.y0 == m.y1 && m.width > 2) {
        first_dot = std::min(first_dot, i), last_dot = i;
      }
    }
    ASSERT_EQ(rings, size_t(n_train));
    ASSERT_NE(first_dot, SIZE_MAX);
    if (n_train <= 3000) {
      EXPECT_GT(first_ring, last_dot) << "the rings above the samples";
      EXPECT_EQ(alpha, 170u);
    } else {
      EXPECT_LT(last_ring, first_dot) << "the rings below the samples";
      EXPECT_NEAR(double(alpha), 170 * std::sqrt(3000.0 / n_train), 1.0) << "fainter";
    }
  }
}

// The copy meter counts 3-D copies as `cfdm eval` does: near 1 at sigma = 0, far below at
// sigma = 0.3, M = 4, on 100 points of the sphere (radius 1.5: its points are farther apart than
// the moons', so the smoothing that makes new points is larger).
TEST(AppHeadless, TheCopyMeterOfAPointCloudCountsCopies) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  expect_copy_meter(imgui, app, "sphere", 100, 400, "0.3");
}

}  // namespace
}  // namespace cfdm::test
