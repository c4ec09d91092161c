// The app's UI code, headless: Dear ImGui with no platform or renderer backend drives
// App::frame() as the native and web builds do, while sampling runs on its worker thread.
#include <gtest/gtest.h>
#include <imgui.h>

#include <chrono>
#include <thread>

#include "app/app.hpp"

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
  // One frame of the app; returns the number of vertices it drew.
  int frame(app::App& app) {
    ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
    ImGui::NewFrame();
    app.frame();
    ImGui::Render();
    return ImGui::GetDrawData()->TotalVtxCount;
  }
};

TEST(AppHeadless, FramesDrawWhileSamplingAndSettingsRestart) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 2);
  int vertices = 0;
  for (int i = 0; i < 2000 && !app.snapshot().done; ++i) {
    vertices = imgui.frame(app);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(app.snapshot().done) << "sampling never finished";
  EXPECT_EQ(app.snapshot().states.rows(), app.settings().n_samples);
  // Every training point and sample is drawn (6-segment circles: 7 vertices each at least).
  EXPECT_GT(vertices, 7 * (app.settings().n_train + app.settings().n_samples));

  app::Settings s = app.settings();
  s.dataset = 2;  // swissroll
  s.n_samples = 300;
  s.sigma = 0.1f;
  s.n_draws = 2;
  const uint64_t before = app.snapshot().generation;
  app.apply(s);
  for (int i = 0; i < 2000 && !(app.snapshot().done && app.snapshot().generation > before); ++i) {
    imgui.frame(app);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GT(app.snapshot().generation, before);
  EXPECT_EQ(app.snapshot().states.rows(), 300);
  EXPECT_TRUE(app.snapshot().error.empty());
}

TEST(AppHeadless, BadSettingsShowAMessageAndKeepRunning) {
  HeadlessImGui imgui;
  app::App app(app::PlatformInfo{}, 1);
  app::Settings s = app.settings();
  s.n_steps = 0;
  app.apply(s);
  for (int i = 0; i < 2000 && app.snapshot().error.empty(); ++i) {
    imgui.frame(app);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_NE(app.snapshot().error.find("steps"), std::string::npos);
  imgui.frame(app);  // the message is drawn; the app goes on
}

}  // namespace
}  // namespace cfdm::test
