// What the app's parts share (app.cpp, panels.cpp, scene_builder.cpp, exports.cpp): colours,
// limits of the view, and small helpers. Internal to the app.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "app/scene.hpp"
#include "app/settings.hpp"
#include "core/sampler.hpp"

namespace cfdm::app {

inline constexpr uint32_t kPaper = rgba(250, 250, 248, 255);
inline constexpr uint32_t kTrainColor = rgba(35, 35, 50, 170);   // training points: dark rings
inline constexpr uint32_t kSampleColor = rgba(230, 110, 20, 210);  // samples in flight
inline constexpr uint32_t kCopyColor = rgba(205, 35, 35, 235);     // finished samples: copies of training points
inline constexpr uint32_t kNewColor = rgba(30, 140, 75, 235);      // finished samples: new points
inline constexpr uint32_t kCopyBorder = rgba(215, 40, 40, 255);
inline constexpr uint32_t kNewBorder = rgba(40, 150, 80, 255);
inline constexpr int kMaxImagePairs = 64;              // image view: samples shown, each beside its nearest
inline constexpr size_t kMaxTrailMarks = 200000;       // trails are thinned beyond this
inline constexpr int kVelocityGrid = 24;               // the velocity overlay's grid, per side
inline constexpr uint64_t kVelocityStream = 0x7e10c1;  // the overlay's smoothing draws

inline const char* const kFashionClasses[] = {"T-shirt", "trouser", "pullover", "dress", "coat",
                                              "sandal",  "shirt",   "sneaker",  "bag",   "boot"};

inline uint32_t with_alpha(uint32_t color, float alpha) {
  const int a = int(std::clamp(alpha, 0.0f, 1.0f) * float(color >> 24) + 0.5f);
  return (color & 0x00ffffffu) | uint32_t(a) << 24;
}

// The four rooms of the area {left, top, right, bottom} around a window `box` (the same form):
// left of it, right of it, above it and below it, each `gap` clear of the window.
inline std::array<std::array<float, 4>, 4> rooms_around(const float box[4], const std::array<float, 4>& area,
                                                        float gap) {
  return {{{area[0], area[1], std::min(area[2], box[0] - gap), area[3]},
           {std::max(area[0], box[2] + gap), area[1], area[2], area[3]},
           {area[0], area[1], area[2], std::min(area[3], box[1] - gap)},
           {area[0], std::max(area[1], box[3] + gap), area[2], area[3]}}};
}

inline std::vector<int> classes_of(int mask) {
  std::vector<int> classes;
  for (int c = 0; c < 10; ++c)
    if (mask & (1 << c)) classes.push_back(c);
  return classes;
}

// 12,345: a count as people read it.
std::string thousands(long long n);

// The first of `forms` no wider than `width` on screen in the UI's font (the last when none is).
std::string fitting(const std::vector<std::string>& forms, float width);

// The current (movable) window back inside the screen where the screen was shrunk to almost
// nothing and grown again (ImGui then keeps only a corner of the window in view, pushed past the
// top left edge, and leaves it there): 10 pixels in from the edge it had crossed.
void keep_window_on_screen();

}  // namespace cfdm::app
