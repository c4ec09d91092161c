// The picture of a frame: the 2-D view (training points, samples, trails, the velocity field,
// the inspector) or the image view, and the canvas's pan and zoom.
#include <imgui.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "app/app.hpp"
#include "app/app_internal.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/metrics.hpp"
#include "output/orbit.hpp"

namespace cfdm::app {

void App::Projection::to_view(const float* p, float out[3]) const {
  if (dim == 3) return output::project(basis, center, p, out);
  out[0] = p[0], out[1] = p[1], out[2] = 0.0f;
}

App::Projection App::projection() const {
  Projection seen;
  seen.dim = points_.cols() == 3 ? 3 : 2;
  if (seen.dim == 3) {
    output::Orbit{settings_.view.yaw, settings_.view.pitch}.basis(seen.basis);
    for (int k = 0; k < 3; ++k) seen.center[k] = (points_lo_[k] + points_hi_[k]) / 2;
  }
  return seen;
}

void App::orbit_by(float dx, float dy) {
  settings_.view.yaw = std::remainder(settings_.view.yaw + 0.4f * dx, 360.0f);
  settings_.view.pitch = std::clamp(settings_.view.pitch + 0.4f * dy, -89.0f, 89.0f);
}

void App::update_velocity_field(double t, const float view_lo[2], const float view_hi[2], const Projection& seen) {
  const Model& model = *snapshot_.model;
  // The run's own kind of posterior mean (the exact kernel or the nearest-neighbour estimator with
  // its K and L), built for the overlay: the field shown is the field the samples follow.
  const SamplerParams& params = settings_.sampler;
  char mean_key[160];
  std::snprintf(mean_key, sizeof mean_key, "%p|%d|%d|%d|%d", static_cast<const void*>(&model), int(params.estimator),
                params.knn.k, params.knn.l, int(params.seed));
  if (velocity_mean_key_ != mean_key || velocity_model_ != snapshot_.model) {
    velocity_mean_.reset();
    velocity_model_ = snapshot_.model;  // kept alive while its posterior mean refers to its training set
    try {
      velocity_mean_ = make_posterior_mean(*model.train, params, ui_pool_);
    } catch (const Error&) {
      velocity_mean_.reset();  // (the run reports the same error)
    }
    velocity_mean_key_ = mean_key;
    velocity_key_.clear();
  }
  char key[320];
  std::snprintf(key, sizeof key, "%p|%.6f|%g|%d|%d|%.4g|%.4g|%.4g|%.4g|%.4g|%.4g", static_cast<const void*>(&model), t,
                double(settings_.sampler.sigma), settings_.sampler.n_draws, int(settings_.sampler.seed),
                double(view_lo[0]), double(view_lo[1]), double(view_hi[0]), double(view_hi[1]),
                double(seen.dim == 3 ? settings_.view.yaw : 0), double(seen.dim == 3 ? settings_.view.pitch : 0));
  if (velocity_key_ == key) return;
  velocity_key_ = key;
  // A grid over the part of the view's plane on screen (so early samples far from the data have
  // arrows around them too): kVelocityGrid cells across its longer side, square cells. In 3-D the
  // plane through the camera's centre that faces the viewer: data point c + x right + y up.
  const Eigen::Array2f lo(view_lo[0], view_lo[1]), hi(view_hi[0], view_hi[1]);
  const float cell = std::max(hi[0] - lo[0], hi[1] - lo[1]) / kVelocityGrid;
  const int gx = std::max(1, int((hi[0] - lo[0]) / cell)), gy = std::max(1, int((hi[1] - lo[1]) / cell));
  const int n = gx * gy, d = seen.dim;
  velocity_view_.resize(n, 2);
  velocity_grid_.resize(n, d);
  for (int i = 0; i < n; ++i) {
    const float x = lo[0] + (float(i % gx) + 0.5f) * (hi[0] - lo[0]) / float(gx);
    const float y = lo[1] + (float(i / gx) + 0.5f) * (hi[1] - lo[1]) / float(gy);
    velocity_view_(i, 0) = x, velocity_view_(i, 1) = y;
    for (int k = 0; k < d; ++k)
      velocity_grid_(i, k) = d == 3 ? seen.center[k] + x * seen.basis[0][k] + y * seen.basis[1][k] : k == 0 ? x : y;
  }
  // The field the samples follow: the smoothed velocity with this run's sigma and M, the grid
  // points' own draws fixed by the seed.
  const int m = settings_.sampler.sigma > 0 ? settings_.sampler.n_draws : 1;
  MatrixXfR eps = MatrixXfR::Zero(Eigen::Index(m) * n, d);
  Rng rng(uint64_t(settings_.sampler.seed), kVelocityStream);
  for (Eigen::Index i = 0; i < eps.size(); ++i) eps.data()[i] = float(rng.normal());
  velocity_.resize(n, d);
  try {
    if (!velocity_mean_ || !smoothed_velocity(*velocity_mean_, velocity_grid_.data(), n, t, settings_.sampler.sigma, eps.data(),
                                              m, velocity_.data()))
      velocity_.setZero();
  } catch (const Error&) {
    velocity_.setZero();
  }
}

void App::add_velocity_marks(double t, const PlotFrame& frame, const Projection& seen) {
  // The visible part of the view's plane.
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  const float left = view_left();
  const float view_lo[2] = {frame.data_x(left), frame.data_y(size.y)};
  const float view_hi[2] = {frame.data_x(size.x), frame.data_y(0)};
  update_velocity_field(t, view_lo, view_hi, seen);
  // Each velocity as seen: its components along the view's right and up (3-D: its part in the plane).
  const Eigen::Index n = velocity_.rows();
  MatrixXfR arrows(n, 2);
  for (Eigen::Index i = 0; i < n; ++i) {
    float v[3];
    if (seen.dim == 3) {
      const float zero[3] = {0, 0, 0};
      output::project(seen.basis, zero, velocity_.row(i).data(), v);
    } else {
      v[0] = velocity_(i, 0), v[1] = velocity_(i, 1);
    }
    arrows(i, 0) = v[0], arrows(i, 1) = v[1];
  }
  float longest = 1e-12f;
  for (Eigen::Index i = 0; i < n; ++i) longest = std::max(longest, arrows.row(i).norm());
  // The longest arrow spans 0.9 grid cells; the others in proportion; each with a head.
  const float cell = std::max(view_hi[0] - view_lo[0], view_hi[1] - view_lo[1]) / kVelocityGrid;
  const float factor = 0.9f * cell / longest;
  const uint32_t arrow = rgba(40, 90, 170, 190);
  for (Eigen::Index i = 0; i < n; ++i) {
    const float x = velocity_view_(i, 0), y = velocity_view_(i, 1);
    const float dx = arrows(i, 0) * factor, dy = arrows(i, 1) * factor;
    const float x1 = x + dx, y1 = y + dy;
    scene_.marks.push_back({x, y, x1, y1, 1.5f, arrow});
    // The head: two strokes back from the tip at +-25 degrees, a third of the arrow long (at
    // least 4 pixels, so short arrows still show their direction).
    const float length = std::hypot(dx, dy);
    if (length * frame.scale < 1.0f) continue;
    const float head = std::max(length / 3, 4.0f / frame.scale) / length;
    const float c = std::cos(0.436f), s = std::sin(0.436f);
    for (const float sign : {1.0f, -1.0f}) {
      const float hx = -(dx * c - sign * dy * s) * head, hy = -(sign * dx * s + dy * c) * head;
      scene_.marks.push_back({x1, y1, x1 + hx, y1 + hy, 1.5f, arrow});
    }
  }
}

void App::add_box_marks(const Projection& seen) {
  // The 12 edges of the training data's box: corners differ in one coordinate along an edge.
  const uint32_t edge = rgba(150, 150, 160, 150);
  for (int a = 0; a < 8; ++a)
    for (int k = 0; k < 3; ++k) {
      if (a & (1 << k)) continue;
      const int b = a | (1 << k);
      float p[3], q[3], u[3], v[3];
      for (int j = 0; j < 3; ++j)
        p[j] = (a & (1 << j)) ? points_hi_[j] : points_lo_[j], q[j] = (b & (1 << j)) ? points_hi_[j] : points_lo_[j];
      seen.to_view(p, u);
      seen.to_view(q, v);
      scene_.marks.push_back({u[0], u[1], v[0], v[1], 1.0f, edge});
    }
}

namespace {

// 3-D depth cue: f in [0, 1] from far to near; far marks are paler and smaller.
uint32_t toward_paper(uint32_t color, float f) {
  const float keep = 0.45f + 0.55f * f;
  uint32_t out = color & 0xff000000u;
  for (int shift = 0; shift < 24; shift += 8) {
    const float c = float((color >> shift) & 255u), paper = float((kPaper >> shift) & 255u);
    out |= uint32_t(std::lround(paper + (c - paper) * keep)) << shift;
  }
  return out;
}

}  // namespace

void App::build_points_scene() {
  const Model& model = *snapshot_.model;
  if (points_model_ != snapshot_.model) {
    points_ = model.points.size() ? model.points : model.train->points();
    points_model_ = snapshot_.model;
    selected_ = -1;
    for (int k = 0; k < 3; ++k) points_lo_[k] = points_hi_[k] = 0;
    for (Eigen::Index k = 0; k < std::min<Eigen::Index>(3, points_.cols()) && points_.rows() > 0; ++k)
      points_lo_[k] = points_.col(k).minCoeff(), points_hi_[k] = points_.col(k).maxCoeff();
    points_radius_ = 0;
    if (points_.cols() == 3)
      for (Eigen::Index i = 0; i < points_.rows(); ++i) {
        float r2 = 0;
        for (int k = 0; k < 3; ++k)
          r2 += (points_(i, k) - (points_lo_[k] + points_hi_[k]) / 2) *
                (points_(i, k) - (points_lo_[k] + points_hi_[k]) / 2);
        points_radius_ = std::max(points_radius_, std::sqrt(r2));
      }
  }
  if (points_.cols() != 2 && points_.cols() != 3) return;
  const PlotFrame frame = plot_frame();
  static_cast<View2D&>(scene_) = frame;
  const Projection seen = projection();
  const bool three = seen.dim == 3;
  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states) return;
  const double t = snapshot_.time(shown_step);

  if (show_velocity_) add_velocity_marks(snapshot_.time(std::min(shown_step, snapshot_.n_steps - 1)), frame, seen);
  if (three) add_box_marks(seen);

  // Fading trails: segments between the recorded states of the last settings_.view.trails steps.
  const auto& steps = snapshot_.history_steps;
  const size_t end = size_t(std::upper_bound(steps.begin(), steps.end(), shown_step) - steps.begin());
  if (settings_.view.trails > 0 && end >= 2) {
    const size_t n_segments = std::min(end - 1, size_t(settings_.view.trails));
    const Eigen::Index stride =
        std::max<Eigen::Index>(1, Eigen::Index(n_segments * size_t(states->rows()) / kMaxTrailMarks) + 1);
    for (size_t j = end - 1 - n_segments; j + 1 < end; ++j) {
      const MatrixXfR& a = *snapshot_.history[j];
      const MatrixXfR& b = *snapshot_.history[j + 1];
      const float age = float(end - 1 - j) / float(n_segments + 1);  // 1: oldest
      const uint32_t color = with_alpha(kSampleColor, 0.45f * (1.0f - age));
      for (Eigen::Index i = 0; i < a.rows(); i += stride) {
        float u[3], v[3];
        seen.to_view(a.row(i).data(), u);
        seen.to_view(b.row(i).data(), v);
        scene_.marks.push_back({u[0], u[1], v[0], v[1], 1.5f, color});
      }
    }
  }
  // The samples: once a run is done and each one's nearest training point is known, copies (nearer
  // than the copy threshold) in the copy colour, new points in the new colour; in flight, all alike.
  // 3-D: drawn from the farthest to the nearest, the far ones paler and smaller.
  const bool judged = shown_step == snapshot_.step && snapshot_.done &&
                      snapshot_.nearest_distance.size() == size_t(states->rows());
  const float radius = std::sqrt((points_hi_[0] - points_lo_[0]) * (points_hi_[0] - points_lo_[0]) +
                                 (points_hi_[1] - points_lo_[1]) * (points_hi_[1] - points_lo_[1]) +
                                 (points_hi_[2] - points_lo_[2]) * (points_hi_[2] - points_lo_[2])) / 2 + 1e-6f;
  auto nearness = [&](float depth) { return three ? std::clamp(0.5f + 0.5f * depth / radius, 0.0f, 1.0f) : 1.0f; };
  auto add_points = [&](const MatrixXfR& m, auto&& mark_of) {
    std::vector<std::pair<float, Eigen::Index>> order(size_t(m.rows()));
    MatrixXfR view(m.rows(), 3);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      seen.to_view(m.row(i).data(), view.row(i).data());
      order[size_t(i)] = {view(i, 2), i};
    }
    if (three) std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [depth, i] : order) {
      Mark mark = mark_of(i);
      const float f = nearness(depth);
      mark.x0 = mark.x1 = view(i, 0), mark.y0 = mark.y1 = view(i, 1);
      if (three) mark.width *= 0.75f + 0.5f * f, mark.ring *= 0.75f + 0.5f * f, mark.rgba = toward_paper(mark.rgba, f);
      scene_.marks.push_back(mark);
    }
  };
  const auto add_samples = [&] {
    add_points(*states, [&](Eigen::Index i) {
      const uint32_t color = !judged                                                        ? kSampleColor
                             : snapshot_.nearest_distance[size_t(i)] < model.copy_threshold ? kCopyColor
                                                                                            : kNewColor;
      return Mark{0, 0, 0, 0, judged ? 4.2f : 3.6f, color};
    });
  };
  // The training points as rings, above the samples: a sample that is a copy shows inside its
  // ring. Smaller rings where there are many; where there are more than 3,000 (the nearest-
  // neighbour estimator's 20,000) their rings make a solid band that would bury the samples, so
  // there they go below the samples, fainter.
  const Eigen::Index n_train = points_.rows();
  const bool dense = n_train > 3000;
  const float ring = n_train <= 300 ? 9.0f : n_train <= 3000 ? 7.0f : 5.5f;
  const uint32_t train_color = dense ? with_alpha(kTrainColor, std::sqrt(3000.0f / float(n_train))) : kTrainColor;
  const auto add_training = [&] {
    if (show_training_) add_points(points_, [&](Eigen::Index) { return Mark{0, 0, 0, 0, ring, train_color, 1.2f}; });
  };
  if (dense) add_training();
  add_samples();
  // Drawing: the picked point, and a point under a drag where it is now (before the restart).
  if (drawing_ && settings_.dataset == kDrawnDataset && selected_point_ >= 0 &&
      2 * size_t(selected_point_) + 1 < settings_.points.size()) {
    const float px = settings_.points[2 * size_t(selected_point_)], py = settings_.points[2 * size_t(selected_point_) + 1];
    scene_.marks.push_back({px, py, px, py, 16.0f, rgba(40, 110, 220, 230), 2.5f});
  }
  if (!dense) add_training();
  add_inspector_marks(*states, shown_step, t, seen);
}

void App::add_inspector_marks(const MatrixXfR& states, int shown_step, double t, const Projection& seen) {
  // The inspected sample: the training points whose posterior weights pull it (one line each,
  // as wide and as strong as its weight, the heaviest labelled). Mid-flow, the weights of D_t(z);
  // once done, what the sample is an average of: the last step lands on the mean over the M draws
  // of D_t(z + sigma eps_m) at t = (S-1)/S, so training point i's share is the mean over m of its
  // weight in draw m.
  if (selected_ < 0 || selected_ >= states.rows()) return;
  const Model& model = *snapshot_.model;
  const Eigen::Index d = states.cols();
  float z[3];
  seen.to_view(states.row(selected_).data(), z);
  auto seen_point = [&](int index) {
    std::array<float, 3> v;
    seen.to_view(points_.row(index).data(), v.data());
    return v;
  };
  std::vector<std::pair<int, double>> weights;
  const bool finished = shown_step == snapshot_.step && snapshot_.done && snapshot_.last_inputs &&
                        snapshot_.last_inputs->rows() == states.rows();
  if (finished) {
    const MatrixXfR& inputs = *snapshot_.last_inputs;
    const double t_last = snapshot_.time(snapshot_.n_steps - 1), sigma = settings_.sampler.sigma;
    const bool smoothed = sigma > 0 && snapshot_.last_draws && snapshot_.last_draws->rows() > 0;
    const int m_count = smoothed ? int(snapshot_.last_draws->rows() / inputs.rows()) : 1;
    std::map<int, double> share;
    std::vector<float> q(static_cast<size_t>(d));
    for (int m = 0; m < m_count; ++m) {
      for (Eigen::Index k = 0; k < d; ++k)
        q[size_t(k)] = inputs(selected_, k) +
                       (smoothed ? float(sigma) * (*snapshot_.last_draws)(Eigen::Index(m) * inputs.rows() + selected_, k)
                                 : 0.0f);
      for (const auto& [index, weight] : eval::top_posterior_weights(*model.train, q.data(), t_last, 4))
        share[index] += weight / m_count;
    }
    weights.assign(share.begin(), share.end());
    std::sort(weights.begin(), weights.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    });
    if (weights.size() > 8) weights.resize(8);
  } else if (shown_step < snapshot_.n_steps) {
    weights = eval::top_posterior_weights(*model.train, states.row(selected_).data(), t, 8);
  }
  // Labels kept inside the window and clear of each other (two close training points: the second
  // label goes below the first).
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  auto place_label = [&](float x, float y, const std::string& text, uint32_t color) {
    const ImVec2 size = ImGui::CalcTextSize(text.c_str());
    x = std::max(2.0f, std::min(x, display.x - size.x - 4));
    for (int tries = 0; tries < 6; ++tries) {
      bool clear = true;
      for (const Label& other : scene_.labels) {
        const ImVec2 other_size = ImGui::CalcTextSize(other.text.c_str());
        if (x < other.x + other_size.x && other.x < x + size.x && y < other.y + other_size.y && other.y < y + size.y)
          clear = false;
      }
      if (clear) break;
      y += size.y;
    }
    scene_.labels.push_back({x, y, text, color});
  };
  int labelled = 0;
  for (const auto& [index, weight] : weights) {
    if (weight < 0.01) continue;
    const auto p = seen_point(index);
    scene_.marks.push_back({z[0], z[1], p[0], p[1], 1.5f + 7.0f * float(weight), rgba(120, 40, 170, int(90 + 150 * weight))});
    scene_.marks.push_back({p[0], p[1], p[0], p[1], 10.0f, rgba(120, 40, 170, 255), 2.0f});
    if (weight >= 0.05 && labelled++ < 4) {
      char text[32];
      std::snprintf(text, sizeof text, "%.2f", weight);
      place_label(scene_.screen_x(p[0]) + 8, scene_.screen_y(p[1]) - 8, text, rgba(90, 20, 140, 255));
    }
  }
  int nearest = 0;
  float best = INFINITY;
  for (Eigen::Index i = 0; i < points_.rows(); ++i) {
    const float dist = (points_.row(i) - states.row(selected_)).squaredNorm();
    if (dist < best) best = dist, nearest = int(i);
  }
  const auto n = seen_point(nearest);
  scene_.marks.push_back({n[0], n[1], n[0], n[1], 11.0f, rgba(20, 140, 90, 230)});
  scene_.marks.push_back({n[0], n[1], n[0], n[1], 6.0f, kPaper});
  scene_.marks.push_back({z[0], z[1], z[0], z[1], 9.0f, rgba(200, 60, 10, 255)});
  char text[160];
  if (finished && weights.size() > 1 && weights[1].second >= 0.05)
    std::snprintf(text, sizeof text, "sample %d: an average of %zu training points (purple, with their weights)",
                  selected_, size_t(std::count_if(weights.begin(), weights.end(), [](const auto& w) { return w.second >= 0.05; })));
  else
    std::snprintf(text, sizeof text, "sample %d: nearest training point %d at %.3g", selected_, nearest,
                  std::sqrt(double(best)));
  place_label(scene_.screen_x(z[0]) + 10, scene_.screen_y(z[1]) + 6, text, rgba(40, 40, 40, 255));
}

namespace {

// The pairs' grid inside a block w x h: the columns that make the tiles largest, and that tile size
// (label: the height of the distance line under each tile, 0 when tiles get too small for it; gap:
// the space between tiles, narrower when they are small; per: tiles per sample, 2 for a pair of
// sample and nearest image, 1 for the sample alone).
struct PairGrid {
  int columns = 1, rows = 1, per = 2;
  float tile = 8, label = 16, gap = 6;
  // a row of `columns` pairs (sample | nearest image), each followed by a gap
  float width() const { return float(columns) * (float(per) * tile + float(per + 1) * gap); }
  float height() const { return float(rows) * (tile + gap + label); }
};

PairGrid pair_grid(int n, float w, float h, int per = 2) {
  auto best = [&](float label, float gap) {
    PairGrid g;
    g.label = label, g.gap = gap, g.tile = -1, g.per = per;
    for (int columns = 1; columns <= std::max(1, n); ++columns) {
      const int rows = (n + columns - 1) / columns;
      const float tile =
          std::min((w / float(columns) - float(per + 1) * gap) / float(per), h / float(rows) - gap - label);
      if (tile > g.tile) g.columns = columns, g.rows = rows, g.tile = tile;
    }
    return g;
  };
  PairGrid g = best(16, 6);
  // Tiles too small for a readable distance under each (a small embed): no distances, larger tiles
  // (the frames still tell copies from new images); smaller still, narrower gaps.
  if (g.tile < 24) g = best(0, 6);
  if (g.tile < 16) g = best(0, 2);
  g.tile = std::max(g.tile, 4.0f);
  return g;
}

// The grid for n samples in a block w x h: pairs (each sample beside its nearest training image)
// while their tiles are large enough to read (kReadableTile); smaller, the samples alone, larger
// (their frames still tell copies from new images), where that gains a third at least.
constexpr float kReadableTile = 24;
PairGrid sample_grid(int n, float w, float h) {
  const PairGrid paired = pair_grid(n, w, h, 2);
  if (paired.tile >= kReadableTile) return paired;
  const PairGrid alone = pair_grid(n, w, h, 1);
  return alone.tile >= paired.tile * 4 / 3 ? alone : paired;
}

// A comparison block's two title lines: its model (named in full where that fits) and below it how
// many of its n samples are copies (copies < 0: not known yet) and where its model is (done < 0:
// not said), in the longest form that fits the block's width.
std::string block_title(const std::string& title, const std::string& name, int copies, int n, int done, double t,
                        float width) {
  auto join = [](const std::string& a, const std::string& b) { return a.empty() || b.empty() ? a + b : a + ", " + b; };
  const std::string count = std::to_string(copies) + " of " + std::to_string(n);
  const std::string ratio = std::to_string(copies) + "/" + std::to_string(n);
  const std::string many = copies < 0 ? "" : count + " are copies", some = copies < 0 ? "" : ratio + " copies",
                    few = copies < 0 ? "" : ratio;
  char at[32] = "", near[32] = "";
  if (done == 1) std::snprintf(at, sizeof at, "done"), std::snprintf(near, sizeof near, "done");
  if (done == 0) std::snprintf(at, sizeof at, "at t = %.2f", t), std::snprintf(near, sizeof near, "t = %.2f", t);
  const std::string second =
      fitting({join(many, at), join(some, at), join(few, at), join(few, near), few.empty() ? near : few}, width);
  return fitting({title, name}, width) + "\n" + second;
}

}  // namespace

void App::build_image_scene() {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  const Model& model = *snapshot_.model;
  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states) return;
  const bool latest = shown_step == snapshot_.step;
  // A comparison: G blocks of B samples, one a model, each block with its title and copy count.
  const int groups = std::max<int>(1, int(snapshot_.groups.size()));
  const int b = int(snapshot_.group_rows(size_t(states->rows())));
  const int n = std::min<int>(kMaxImagePairs / groups, b);
  const int w = model.image_width, h = model.image_height, d = w * h;
  const bool with_nearest = latest && int(snapshot_.nearest.size()) >= groups * b;
  auto row_of = [&](int g, int i) { return size_t(g) * size_t(b) + size_t(i); };  // in the states
  // The atlas: samples first (block after block), then their nearest training images; rebuilt
  // when they change.
  // A comparison's models step on their own: the latest states change while the step they all
  // have taken stays.
  int group_steps = 0;
  if (latest)
    for (int step : snapshot_.group_steps) group_steps += step;
  char key[96];
  std::snprintf(key, sizeof key, "%llu|%d|%d|%d", (unsigned long long)snapshot_.generation, shown_step, int(with_nearest),
                group_steps);
  if (images_key_ != key || model.pixels->dim() != d) {
    images_key_ = key;
    MatrixXfR head(Eigen::Index(groups) * n, states->cols());
    for (int g = 0; g < groups; ++g)
      for (int i = 0; i < n; ++i) head.row(Eigen::Index(g) * n + i) = states->row(Eigen::Index(row_of(g, i)));
    MatrixXfR pixels;
    if (latest) {
      pixels.resize(head.rows(), snapshot_.pixels.cols());
      for (int g = 0; g < groups; ++g)
        for (int i = 0; i < n; ++i) pixels.row(Eigen::Index(g) * n + i) = snapshot_.pixels.row(Eigen::Index(row_of(g, i)));
    } else {
      pixels = model.pca ? model.pca->decode(head) : head;
    }
    const int shown = groups * n;
    scene_.image_width = w;
    scene_.image_height = h;
    scene_.n_images = with_nearest ? 2 * shown : shown;
    scene_.images.assign(size_t(scene_.n_images) * size_t(d), 0);
    for (int i = 0; i < shown; ++i)
      for (int k = 0; k < d; ++k)
        scene_.images[size_t(i) * d + k] = uint8_t(std::clamp(pixels(i, k), 0.0f, 1.0f) * 255.0f + 0.5f);
    if (with_nearest)
      for (int g = 0; g < groups; ++g)
        for (int i = 0; i < n; ++i) {
          const int nearest = snapshot_.nearest[row_of(g, i)];
          for (int k = 0; k < d; ++k)
            scene_.images[size_t(shown + g * n + i) * d + k] =
                uint8_t(std::clamp(model.pixels->coordinate(nearest, k), 0.0f, 1.0f) * 255.0f + 0.5f);
        }
    scene_.images_version = ++images_version_;
  }
  // The grid: pairs (sample | nearest training image) with the distance below (in a small frame the
  // samples alone), right of the open
  // control panel in a desktop window, else below the controls; tiles as large as fit, above the
  // status window (full controls) or the embed's link. A comparison puts its blocks side by side
  // or one above the other, whichever gives larger tiles.
  const float beside = view_left();
  float left = beside + 20, top = (beside > 0 ? 0 : controls_bottom_) + 20;
  float bottom = settings_.ui == Settings::Ui::full && status_right_ > left && status_top_ > top
                     ? status_top_ - 10
                     : size.y - std::max(40.0f, bottom_inset_ + 10);
  float avail_w = size.x - left - 20, avail_h = bottom - top;
  const float title = groups > 1 ? 2 * ImGui::GetTextLineHeight() + 6 : 0.0f, block_gap = groups > 1 ? 14.0f : 0.0f;
  // (The same layout whether the nearest images are known or not: scrubbing back does not move it.)
  auto across_of = [&](float w, float h) { return sample_grid(n, (w - block_gap * (groups - 1)) / groups, h - title); };
  auto down_of = [&](float w, float h) { return sample_grid(n, w, (h - block_gap * (groups - 1)) / groups - title); };
  // The sigma sweep's window, where it would cover tiles: the grid takes the largest room beside,
  // above or below it.
  const float* sweep = sweep_box_;
  if (settings_.ui == Settings::Ui::full && sweep[2] > sweep[0] && sweep[0] < left + avail_w && sweep[2] > left &&
      sweep[1] < bottom && sweep[3] > top) {
    float best = 0;
    for (const auto& room : rooms_around(sweep, {left, top, left + avail_w, bottom}, 10)) {
      const float w = room[2] - room[0], h = room[3] - room[1];
      if (w <= 0 || h <= 0) continue;
      const float tile = std::max(across_of(w, h).tile, groups > 1 ? down_of(w, h).tile : 0.0f);
      if (tile <= best) continue;
      best = tile;
      left = room[0], top = room[1], avail_w = w, avail_h = h;
    }
  }
  const PairGrid across = across_of(avail_w, avail_h), down = down_of(avail_w, avail_h);
  const bool side_by_side = groups == 1 || across.tile >= down.tile;
  const PairGrid grid = side_by_side ? across : down;
  images_paired_ = grid.per == 2;
  const float gap = grid.gap, block_w = grid.width(), block_h = title + grid.height();
  // Blocks whose tiles are bound by the height spread over the width (up to 80 pixels apart), which
  // leaves their titles more room.
  const float spread = groups > 1 ? std::clamp((avail_w - float(groups) * block_w) / float(groups - 1), block_gap,
                                               std::max(block_gap, 80.0f))
                                  : 0.0f;
  const float pitch = block_w + spread;
  for (int g = 0; g < groups; ++g) {
    const float bx = left + (side_by_side ? float(g) * pitch : 0.0f);
    const float by = top + (side_by_side ? 0.0f : float(g) * (block_h + block_gap));
    int copies_here = 0;
    for (int i = 0; i < n; ++i) {
      const float x = bx + float(i % grid.columns) * (float(grid.per) * grid.tile + float(grid.per + 1) * gap),
                  y = by + title + float(i / grid.columns) * (grid.tile + gap + grid.label);
      const double distance = with_nearest ? snapshot_.nearest_distance[row_of(g, i)] : 0.0;
      const bool copy = with_nearest && distance < model.copy_threshold;
      copies_here += copy;
      const uint32_t border = !with_nearest ? 0u : copy ? kCopyBorder : kNewBorder;
      scene_.tiles.push_back({x, y, grid.tile, grid.tile, float(g * n + i), border});
      if (!with_nearest) continue;
      if (grid.per == 2)
        scene_.tiles.push_back(
            {x + grid.tile + gap, y, grid.tile, grid.tile, float(groups * n + g * n + i), rgba(150, 150, 150, 255)});
      if (grid.label == 0) continue;
      char text[32];
      std::snprintf(text, sizeof text, "%.2f", distance);
      scene_.labels.push_back({x, y + grid.tile + 1, text, copy ? rgba(200, 30, 30, 255) : rgba(60, 60, 60, 255)});
    }
    if (groups == 1) continue;
    // The block's title, clear of the next block's and of the window's edge: its model, how many
    // of its samples are copies and, in the latest states, where its model is (a fast one finishes
    // while a slow one samples on).
    const std::string& name = snapshot_.groups[size_t(g)];
    const bool where = latest && !snapshot_.group_steps.empty();
    const int done = !where ? -1 : snapshot_.group_done(size_t(g)) ? 1 : 0;
    const double t = done == 0 ? snapshot_.time(snapshot_.group_step(size_t(g))) : 0.0;
    const std::string text = block_title(comparison_title(settings_, name), name, with_nearest ? copies_here : -1, n,
                                         done, t, std::min(side_by_side ? pitch - 10 : avail_w, size.x - 6 - bx));
    scene_.labels.push_back({bx, by + 2, text, rgba(30, 30, 40, 255)});
  }
}

void App::build_scene() {
  scene_.clear();
  if (!snapshot_.model) return;
  if (snapshot_.model->is_image())
    build_image_scene();
  else
    build_points_scene();
}

}  // namespace cfdm::app
