// What the picture shows, in plain words with the live numbers: the caption beside the canvas
// (a sentence or three in the full app, one line in the compact embed). Platform- and UI-free, so
// tests read it as a student would.
#pragma once
#include <string>
#include <vector>

#include "app/settings.hpp"

namespace cfdm::app {

struct CaptionFacts {
  bool image = false;     // images (copies of training images) or points
  bool running = false;   // a run is on screen (not fetching or preparing)
  bool done = false;      // the run reached t = 1
  bool failed = false;    // the run stopped with an error (shown below the caption)
  double t = 0;           // the time shown
  int first_step = 0;     // where the run started (start T)
  int n_samples = 0;      // samples shown
  int copies = -1;        // of them, copies of a training point (-1: not measured yet)
  bool three_d = false;   // a 3-D point cloud (the canvas turns when dragged)
  // A comparison (settings.models): each model's copies among its n_samples (empty: not measured).
  std::vector<int> model_copies;
  int models_done = 0;  // a comparison: how many of its models finished (each steps on its own)
};

// Full: what the current picture shows and why, with a hint of what to try next.
std::string caption(const Settings& settings, const CaptionFacts& facts);
// One short line for the compact embed.
std::string short_caption(const Settings& settings, const CaptionFacts& facts);

}  // namespace cfdm::app
