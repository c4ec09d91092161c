// The single-thread web build samples inside the page's frame loop (it has no worker thread), and
// a page that shares its main thread with the embed (a blog hosting it on the same site) freezes
// while a frame runs. Building a model (its copy threshold is measured after it, a few points a
// frame) and taking one step are each one piece of work there, so settings whose build or single
// step would take much longer than a frame are refused, with a message naming the full-speed
// (threaded) page, which does that work off the main thread.
// Platform-free: an estimate from sizes, calibrated on the single-thread WebAssembly build.
#pragma once
#include <string>

#include "app/settings.hpp"

namespace cfdm::app {

// About how long one piece of work may block a frame.
constexpr double kFrameBudgetSeconds = 0.1;

struct FrameWork {
  double prepare_seconds = 0;  // building the model (data, training set, index, PCA) at once
  double step_seconds = 0;     // one Euler step (a comparison: one model's), and what is measured of it for the view
};

// Estimated seconds on a desktop machine's single thread (wasm SIMD128), from the sizes alone.
FrameWork estimate_frame_work(const Settings& settings);
// The same for one step of a sampler with these parameters on the settings' data (the comparison
// runs its models in this order, cheapest first).
double step_seconds(const Settings& settings, const SamplerParams& params);

// Throws cfdm::Error naming what is too large and what the full-speed page allows.
void check_frame_budget(const Settings& settings);

}  // namespace cfdm::app
