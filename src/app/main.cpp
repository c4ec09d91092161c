// The cfdm app's platform layer: SDL2 window, OpenGL 3.3 (native) or WebGL2 (browser), Dear
// ImGui's SDL and OpenGL backends, and the main loop. The only file with platform #ifdefs.
#include <SDL.h>
#include <imgui.h>
#include <imgui_impl_opengl3.h>
#include <imgui_impl_sdl.h>

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "app/app.hpp"
#include "app/renderer.hpp"
#include "core/error.hpp"
#include "data/files.hpp"
#include "data/memory.hpp"
#include "output/png.hpp"

#if defined(__EMSCRIPTEN__)
#include <GLES3/gl3.h>
#include <emscripten.h>
#include <emscripten/html5.h>
#else
#include <SDL_opengl.h>
#endif

namespace {

#if defined(__EMSCRIPTEN__)
constexpr const char* kGlslVersion = "#version 300 es";  // WebGL2
#else
constexpr const char* kGlslVersion = "#version 330 core";
#endif
// The canvas between frames: the paper colour (cfdm::app::kPaper, 250, 250, 248, in app_internal.hpp,
// internal to the app library) and the page's background (#fafaf8, web/index.html).
constexpr float kClearColor[3] = {0.98f, 0.98f, 0.973f};

#if defined(__EMSCRIPTEN__)
// Image datasets in the browser: the page fetches their gzipped IDX files on first use
// (cfdmFetchDataset in index.html), writes them into /data and reports progress through
// cfdm_fetch_progress.
class WebData : public cfdm::app::DataSource {
 public:
  Progress request(const std::string& dataset) override {
    const auto it = state_.find(dataset);
    if (it == state_.end()) {
      state_[dataset] = Progress{};
      // clang-format off
      EM_ASM({ cfdmFetchDataset(UTF8ToString($0)); }, dataset.c_str());
      // clang-format on
      return Progress{};
    }
    const Progress progress = it->second;
    if (!progress.error.empty()) state_.erase(it);  // reported once; asking again tries again
    return progress;
  }
  std::string directory() const override { return "/data"; }
  void report(const std::string& dataset, double loaded, double total, bool ready, const std::string& error) {
    Progress& p = state_[dataset];
    p.loaded = loaded;
    p.total = total;
    p.ready = ready;
    p.error = error;
  }

 private:
  std::map<std::string, Progress> state_;
};
WebData g_web_data;

// The page's address follows the settings, so it is always a link to what is shown.
void replace_address(const std::string& query) {
  // clang-format off
  EM_ASM({ if (window.cfdmOnState) window.cfdmOnState(UTF8ToString($0)); }, query.c_str());
  // clang-format on
}
// The full app's address for these settings, to the clipboard (and the page's address bar).
void copy_link(const std::string& query) {
  // clang-format off
  EM_ASM({ if (window.cfdmCopyLink) window.cfdmCopyLink(UTF8ToString($0)); }, query.c_str());
  // clang-format on
}
// A text to the clipboard (the page keeps it for tests too).
void copy_text(const std::string& text) {
  // clang-format off
  EM_ASM({ if (window.cfdmCopyText) window.cfdmCopyText(UTF8ToString($0)); }, text.c_str());
  // clang-format on
}
// An export written to /export: the page downloads it.
void download(const std::string& path) {
  // clang-format off
  EM_ASM({ if (window.cfdmDownload) window.cfdmDownload(UTF8ToString($0)); }, path.c_str());
  // clang-format on
}
// WebGL context loss (the GPU process restarts, a driver resets, too many contexts): sampling goes
// on while nothing can be drawn; once the browser restores the context, every GL object is made
// anew. (Handling the loss is what allows the restore.)
enum class Context { ok, lost, restored };
std::atomic<Context> g_context{Context::ok};
EM_BOOL on_context_lost(int, const void*, void*) {
  g_context = Context::lost;
  return EM_TRUE;
}
EM_BOOL on_context_restored(int, const void*, void*) {
  g_context = Context::restored;
  return EM_TRUE;
}

// The canvas as PNG: taken right after the next frame is drawn (WebGL clears its drawing buffer
// once the frame is shown).
bool g_canvas_wanted = false;
// window.cfdm.setDrawing(false): frames keep the app's state moving (sampling, the host page's
// messages) but draw nothing, as while the WebGL context is lost.
bool g_drawing = true;
double g_bottom_inset = 0;  // cfdm_set_bottom_inset (App::set_bottom_inset checks it)
void download_canvas() { g_canvas_wanted = true; }
#endif

// The desktop app's options (the browser takes its settings from the page's address).
struct Options {
  std::string state;           // --state QUERY: the settings to start with
  int width = 1200, height = 800;  // --size WxH: the window, in screen pixels
  float scale = 0;             // --scale F: the UI's size (0: from the display's DPI)
  std::string screenshot;      // --screenshot PATH: a PNG of the window once the run is done, then exit
};

struct Platform {
  SDL_Window* window = nullptr;
  SDL_GLContext context = nullptr;
  std::unique_ptr<cfdm::app::App> app;
  std::unique_ptr<cfdm::app::Renderer> renderer;
  bool running = true;
  float scale = 1;  // screen pixels per logical pixel of the UI (a 4K screen: 2)
  // --screenshot: where to, frames drawn since the run was done and shown, and the deadline.
  std::string screenshot;
  int frames_done = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  int exit_code = 0;
};

bool init(Platform* p, const Options& options) {
  const std::string& state = options.state;
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
    std::fprintf(stderr, "cfdm-app: SDL_Init failed: %s\n", SDL_GetError());
    return false;
  }
#if defined(__EMSCRIPTEN__)
  const char* glsl_version = kGlslVersion;  // WebGL2
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
#else
  const char* glsl_version = kGlslVersion;
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
#endif
  // Nothing is drawn with a depth or stencil test, and no multisampling (marks and the UI are
  // smoothed in their shaders): a context without those buffers is smaller and quicker to make
  // (in headless Chromium's software renderer, tens of milliseconds less).
  SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
  SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);
  SDL_GL_SetAttribute(SDL_GL_MULTISAMPLEBUFFERS, 0);
  SDL_GL_SetAttribute(SDL_GL_MULTISAMPLESAMPLES, 0);
  p->window = SDL_CreateWindow("cfdm", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, options.width, options.height,
                               SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
  if (!p->window || !(p->context = SDL_GL_CreateContext(p->window))) {
    std::fprintf(stderr, "cfdm-app: no OpenGL context: %s\n", SDL_GetError());
    return false;
  }
  SDL_GL_MakeCurrent(p->window, p->context);
  SDL_GL_SetSwapInterval(1);
  // The page's colour until the first frame (a new or resized WebGL canvas shows black).
  glClearColor(kClearColor[0], kClearColor[1], kClearColor[2], 1);
  glClear(GL_COLOR_BUFFER_BIT);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  ImGui::StyleColorsLight();
#if !defined(__EMSCRIPTEN__)
  // A high-DPI screen without the system's scaling (X11): the UI at its size in logical pixels,
  // e.g. 2 screen pixels per logical pixel on a 4K monitor (--scale overrides). The font is made
  // at that size, so text stays sharp.
  p->scale = options.scale;
  float dpi = 0;
  if (p->scale <= 0) p->scale = SDL_GetDisplayDPI(0, &dpi, nullptr, nullptr) == 0 && dpi >= 144 ? std::round(dpi / 96 * 4) / 4 : 1;
  if (p->scale != 1) {
    ImFontConfig font;
    font.SizePixels = std::round(13 * p->scale);
    ImGui::GetIO().Fonts->AddFontDefault(&font);
    ImGui::GetIO().FontGlobalScale = 1 / p->scale;
  }
  p->screenshot = options.screenshot;
#endif
  ImGui_ImplSDL2_InitForOpenGL(p->window, p->context);
  ImGui_ImplOpenGL3_Init(glsl_version);
  p->renderer = std::make_unique<cfdm::app::Renderer>(glsl_version);
  if (!p->renderer->error().empty())
    std::fprintf(stderr, "cfdm-app: the shaders did not compile: %s\n", p->renderer->error().c_str());
  cfdm::app::PlatformInfo info;
  cfdm::app::JobMode mode = cfdm::app::JobMode::background;
  int threads = std::min(4, int(std::max(1u, std::thread::hardware_concurrency())));
#if defined(__EMSCRIPTEN__)
  info.data = &g_web_data;
  info.on_state = replace_address;
  info.copy_link = copy_link;
  info.copy_text = copy_text;
  info.export_dir = "/export";
  info.on_export = download;
  info.export_canvas = download_canvas;
  // clang-format off
  EM_ASM({ try { FS.mkdir('/export'); } catch (e) { /* exists */ } });
  // clang-format on
  info.cross_origin_isolated = EM_ASM_INT({ return self.crossOriginIsolated ? 1 : 0; }) == 1;
#if defined(__EMSCRIPTEN_PTHREADS__)
  info.build = "wasm threads + simd";
#else
  info.build = "wasm single-thread simd";  // sampling runs in the frame loop
  mode = cfdm::app::JobMode::foreground;
  threads = 1;
#endif
  emscripten_set_webglcontextlost_callback("#canvas", nullptr, EM_FALSE, on_context_lost);
  emscripten_set_webglcontextrestored_callback("#canvas", nullptr, EM_FALSE, on_context_restored);
#endif
  p->app = std::make_unique<cfdm::app::App>(info, threads, mode);
  if (!state.empty()) p->app->apply_state(state);
  return true;
}

#if !defined(__EMSCRIPTEN__)
// --screenshot: once the run is done and its last step shown, or it stopped with an error (and a
// few frames later, so the controls have settled), the frame just drawn as a PNG, then the app
// quits: with status 1, the message on stderr, if the window shows an error. A run not done within
// 5 minutes quits with an error and no file.
void take_screenshot(Platform* p, int width, int height) {
  const cfdm::app::App& app = *p->app;
  const bool stopped = !app.snapshot().error.empty();  // the run could not go on
  const bool shown = (stopped || (app.snapshot().done && app.view_step() == app.snapshot().step)) && !app.sweeping();
  p->frames_done = shown ? p->frames_done + 1 : 0;
  if (p->frames_done < 5) {
    if (std::chrono::steady_clock::now() - p->started > std::chrono::minutes(5)) {
      std::fprintf(stderr, "cfdm-app: the run was not done after 5 minutes: no screenshot\n");
      p->exit_code = 1;
      p->running = false;
    }
    return;
  }
  std::vector<uint8_t> rgb(size_t(width) * size_t(height) * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  std::vector<uint8_t> flipped(rgb.size());  // GL's rows run bottom up
  for (int y = 0; y < height; ++y)
    std::copy_n(&rgb[size_t(height - 1 - y) * size_t(width) * 3], size_t(width) * 3, &flipped[size_t(y) * size_t(width) * 3]);
  try {
    cfdm::data::write_file_atomic(p->screenshot, cfdm::output::png_rgb(width, height, std::move(flipped)));
    std::fprintf(stderr, "cfdm-app: wrote %s (%d x %d)\n", p->screenshot.c_str(), width, height);
    if (!app.error_message().empty()) {
      std::fprintf(stderr, "cfdm-app: the window shows an error: %s\n", app.error_message().c_str());
      p->exit_code = 1;
    }
  } catch (const cfdm::Error& e) {
    std::fprintf(stderr, "cfdm-app: %s\n", e.what());
    p->exit_code = 1;
  }
  p->running = false;
}
#endif

void frame(void* arg) {
  Platform* p = static_cast<Platform*>(arg);
  SDL_Event event;
  int window_width, window_height, width, height;
  SDL_GetWindowSize(p->window, &window_width, &window_height);
  while (SDL_PollEvent(&event)) {
    ImGui_ImplSDL2_ProcessEvent(&event);
    if (event.type == SDL_QUIT) p->running = false;
    if (event.type == SDL_DROPFILE) {  // a file dropped on the window (the browser's: cfdm_drop_file)
      p->app->drop_file(event.drop.file);
      SDL_free(event.drop.file);
    }
    // Two-finger pinch on touch screens zooms the 2-D view (one finger drags it, as a mouse).
    if (event.type == SDL_MULTIGESTURE && event.mgesture.numFingers == 2 && !ImGui::GetIO().WantCaptureMouse)
      p->app->zoom_at(1.0f + 2.5f * event.mgesture.dDist, event.mgesture.x * float(window_width),
                      event.mgesture.y * float(window_height));
  }
#if defined(__EMSCRIPTEN__)
  if (g_context == Context::restored) {
    // The backend from scratch (it caches buffer sizes that its new buffers do not have).
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplOpenGL3_Init(kGlslVersion);
    p->renderer = std::make_unique<cfdm::app::Renderer>(kGlslVersion);
    g_context = Context::ok;
  }
  p->app->set_bottom_inset(g_bottom_inset);
  if (g_context == Context::lost || !g_drawing) {  // nothing can or should be drawn: keep the UI's state moving
    ImGui_ImplSDL2_NewFrame();
    ImGui::NewFrame();
    p->app->frame();
    ImGui::EndFrame();
    return;
  }
#endif
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplSDL2_NewFrame();
  if (p->scale != 1) {  // the app lays out in logical pixels
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(io.DisplaySize.x / p->scale, io.DisplaySize.y / p->scale);
    io.DisplayFramebufferScale = ImVec2(io.DisplayFramebufferScale.x * p->scale, io.DisplayFramebufferScale.y * p->scale);
    if (io.MousePos.x > -FLT_MAX) io.MousePos = ImVec2(io.MousePos.x / p->scale, io.MousePos.y / p->scale);
  }
  ImGui::NewFrame();
  p->app->frame();
  ImGui::Render();
  SDL_GL_GetDrawableSize(p->window, &width, &height);
  glViewport(0, 0, width, height);
  glClearColor(kClearColor[0], kClearColor[1], kClearColor[2], 1);
  glClear(GL_COLOR_BUFFER_BIT);
  // The samples under the controls; the framebuffer has pixel_scale pixels per logical pixel.
  const float pixel_scale = window_width > 0 ? float(width) / float(window_width) * p->scale : 1.0f;
  p->renderer->draw(p->app->scene(), width, height, pixel_scale);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
#if defined(__EMSCRIPTEN__)
  if (g_canvas_wanted) {
    g_canvas_wanted = false;
    // clang-format off
    EM_ASM({ if (window.cfdmDownloadCanvas) window.cfdmDownloadCanvas(); });
    // clang-format on
  }
#else
  if (!p->screenshot.empty()) take_screenshot(p, width, height);
#endif
  SDL_GL_SwapWindow(p->window);
#if defined(__EMSCRIPTEN__)
  static bool first_frame = true;  // a milestone on the page's performance timeline (web/loader.js)
  if (first_frame) {
    first_frame = false;
    // clang-format off
    EM_ASM({ if (self.performance && performance.mark) performance.mark('cfdm-first-frame'); });
    // clang-format on
  }
#endif
}

#if defined(__EMSCRIPTEN__)
Platform* g_platform = nullptr;  // for the page's window.cfdm.stats()
#endif

void shutdown(Platform* p) {
  p->app.reset();
  p->renderer.reset();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplSDL2_Shutdown();
  ImGui::DestroyContext();
  SDL_GL_DeleteContext(p->context);
  SDL_DestroyWindow(p->window);
  SDL_Quit();
}

}  // namespace

#if defined(__EMSCRIPTEN__)
// The page's window.cfdm.stats(): a JSON object (valid until the next call).
extern "C" EMSCRIPTEN_KEEPALIVE const char* cfdm_stats_json() {
  static std::string json;
  json = g_platform && g_platform->app ? g_platform->app->stats_json() : "null";
  return json.c_str();
}

// The host-page API (web/loader.js turns postMessage messages and window.cfdm calls into these;
// it passes strings through the heap, never the stack, and caps their length first).
// Applies a query over the current settings ("sigma=0.2&draws=4"); returns what was refused
// ("" when all of it applied; valid until the next call).
extern "C" EMSCRIPTEN_KEEPALIVE const char* cfdm_set(const char* query) {
  static std::string refused;
  refused = g_platform && g_platform->app && query ? g_platform->app->update_state(query) : "";
  return refused.c_str();
}
// A message from the page (a refused input): shown in the app like its own errors.
extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_report_error(const char* message) {
  if (g_platform && g_platform->app && message) g_platform->app->report_error(message);
}
// 0 play, 1 pause, 2 reset, 3 single step, 4 the sigma sweep.
extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_control(int what) {
  using Control = cfdm::app::App::Control;
  const Control controls[] = {Control::play, Control::pause, Control::reset, Control::step, Control::sweep};
  if (g_platform && g_platform->app && what >= 0 && what < 5) g_platform->app->control(controls[what]);
}
// Draw frames (1) or not (0); sampling goes on either way.
extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_set_drawing(int on) { g_drawing = on != 0; }
// The height in CSS pixels that the page covers along the canvas's bottom (web/embed.html's link
// to the full-speed app); may come before the app runs.
extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_set_bottom_inset(double pixels) { g_bottom_inset = pixels; }
// The settings as a query that reproduces the samples.
extern "C" EMSCRIPTEN_KEEPALIVE const char* cfdm_state() {
  static std::string query;
  query = g_platform && g_platform->app ? g_platform->app->state_query() : "";
  return query.c_str();
}
// Writes an export (0 samples .npy, 1 samples .csv, 2 trajectories .npy, 3 trajectories .csv,
// 4 picture .png) into /export; returns its path, or "error: ..." .
extern "C" EMSCRIPTEN_KEEPALIVE const char* cfdm_export(int what) {
  static std::string result;
  using cfdm::app::Export;
  const Export kinds[] = {Export::samples_npy, Export::samples_csv, Export::trajectories_npy, Export::trajectories_csv,
                          Export::picture_png};
  if (!g_platform || !g_platform->app || what < 0 || what > 4) return "error: no such export";
  try {
    result = g_platform->app->export_file(kinds[what]);
  } catch (const cfdm::Error& e) {
    result = std::string("error: ") + e.what();
  }
  return result.c_str();
}

// A file the page wrote into the app's file system after it was dropped on the canvas.
// Inspects sample `index` (as a click on it does; -1 clears).
extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_select(int index) {
  if (g_platform && g_platform->app) g_platform->app->select_sample(index);
}

extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_drop_file(const char* path) {
  if (g_platform && g_platform->app) g_platform->app->drop_file(path);
}

// Saves the canvas as PNG after the next frame.
extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_export_canvas() { download_canvas(); }

// The page reports how far the fetch of an image dataset got (ready: its files are in /data).
extern "C" EMSCRIPTEN_KEEPALIVE void cfdm_fetch_progress(const char* dataset, double loaded, double total, int ready,
                                                         const char* error) {
  g_web_data.report(dataset, loaded, total, ready != 0, error ? error : "");
}
#endif

int main(int argc, char** argv) {
  static Platform platform;
  // The settings to start with, as a URL query: the page's, or the desktop app's --state QUERY.
  Options options;
#if defined(__EMSCRIPTEN__)
  (void)argc, (void)argv;
  options.state = emscripten_run_script_string("location.search");
  // The page may give the threaded build a smaller memory than its maximum (web/loader.js).
  const double cap = EM_ASM_DOUBLE({ return Number(Module['cfdmMemoryCap']) || 0; });
  if (cap > 0) cfdm::data::set_memory_cap(uint64_t(cap));
#else
  const char* usage =
      "usage: cfdm_app [--state \"dataset=moons&sigma=0.1&draws=4\"] [--size WIDTHxHEIGHT] [--scale F]\n"
      "                [--screenshot PATH.png]\n"
      "  --size        the window in screen pixels (default 1200x800)\n"
      "  --scale       screen pixels per pixel of the UI, 1 to 4 (default: from the display's DPI)\n"
      "  --screenshot  once the run is done, write the window as a PNG and quit (status 1 if it shows\n"
      "                an error)\n"
      "  --list-presets  print the story presets, one per line: TITLE<tab>QUERY (for benchmarks)\n";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    char* end = nullptr;
    if (arg == "--list-presets") {
      for (const cfdm::app::Preset& preset : cfdm::app::presets())
        std::printf("%s\t%s\n", preset.title.c_str(), preset.query.c_str());
      return 0;
    } else if (arg == "--state" && has_value) {
      options.state = argv[++i];
    } else if (arg == "--size" && has_value) {
      const char* text = argv[++i];
      options.width = int(std::strtol(text, &end, 10));
      if (*end != 'x' || options.width < 200 || options.width > 8192 ||
          (options.height = int(std::strtol(end + 1, &end, 10)), *end != '\0') || options.height < 200 ||
          options.height > 8192) {
        std::fprintf(stderr, "cfdm_app: --size %s: give WIDTHxHEIGHT, each 200 to 8192 (e.g. 3840x2160)\n", text);
        return 2;
      }
    } else if (arg == "--scale" && has_value) {
      const char* text = argv[++i];
      options.scale = std::strtof(text, &end);
      if (*end != '\0' || !(options.scale >= 1 && options.scale <= 4)) {
        std::fprintf(stderr, "cfdm_app: --scale %s: give a number from 1 to 4 (2 for a 4K screen)\n", text);
        return 2;
      }
    } else if (arg == "--screenshot" && has_value) {
      options.screenshot = argv[++i];
      if (!cfdm::data::has_extension(options.screenshot, ".png")) {
        std::fprintf(stderr, "cfdm_app: --screenshot %s: the file must end in .png\n", options.screenshot.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "%s", usage);
      return 2;
    }
  }
#endif
  if (!init(&platform, options)) return 1;
#if defined(__EMSCRIPTEN__)
  g_platform = &platform;
  emscripten_set_main_loop_arg(frame, &platform, 0, true);
#else
  while (platform.running) frame(&platform);
  shutdown(&platform);
#endif
  return platform.exit_code;
}
