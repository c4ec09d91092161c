// The picture of a frame: the 2-D view (training points, samples, trails, the velocity field,
// the inspector) or the image view, and the canvas's pan and zoom.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "app/app.hpp"
#include "app/app_internal.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/metrics.hpp"

namespace cfdm::app {

// Drawing mode: a click on empty canvas adds a training point there, a press on a point picks it
// (Delete or Backspace removes it), a drag moves it (sampling restarts when it is let go).
void App::handle_drawing_input() {
  ImGuiIO& io = ImGui::GetIO();
  const PlotFrame frame = plot_frame();
  const float mx = (io.MousePos.x - frame.center_x) / frame.scale, my = (frame.center_y - io.MousePos.y) / frame.scale;
  if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    dragged_point_ = -1;
    float best = 10.0f * 10.0f;  // pixels
    for (size_t i = 0; settings_.dataset == kDrawnDataset && i + 1 < settings_.points.size(); i += 2) {
      const float dx = (settings_.points[i] - mx) * frame.scale, dy = (settings_.points[i + 1] - my) * frame.scale;
      if (dx * dx + dy * dy < best) best = dx * dx + dy * dy, dragged_point_ = int(i / 2);
    }
    if (dragged_point_ >= 0) selected_point_ = dragged_point_;
  }
  const bool dragged = io.MouseDragMaxDistanceSqr[0] >= io.MouseDragThreshold * io.MouseDragThreshold;
  if (dragged_point_ >= 0 && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) move_point(dragged_point_, mx, my, false);
  if (ImGui::IsMouseReleased(ImGuiMouseButton_Left)) {
    if (dragged_point_ >= 0 && dragged)
      move_point(dragged_point_, mx, my, true);
    else if (dragged_point_ < 0 && !dragged)
      add_point(mx, my);
    dragged_point_ = -1;
  }
  if ((ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Delete)) ||
       ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Backspace))) &&
      selected_point_ >= 0)
    remove_point(selected_point_);
}

void App::handle_canvas_input() {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantCaptureMouse) return;
  if (io.MouseWheel != 0.0f) zoom_at(std::pow(1.15f, io.MouseWheel), io.MousePos.x, io.MousePos.y);
  if (drawing_ && !is_image_name(settings_.dataset)) {
    handle_drawing_input();
    return;
  }
  if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    pan_by(io.MouseDelta.x, io.MouseDelta.y);
  }
  // A click (not a drag) picks the nearest sample within 12 pixels, or clears the pick.
  if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
      io.MouseDragMaxDistanceSqr[0] < io.MouseDragThreshold * io.MouseDragThreshold && snapshot_.model &&
      !snapshot_.model->is_image()) {
    int found_step = 0;
    const MatrixXfR* states = history_at(view_step(), &found_step);
    selected_ = -1;
    float best = 12.0f * 12.0f;
    for (Eigen::Index i = 0; states && i < states->rows(); ++i) {
      const float dx = scene_.center_x + (*states)(i, 0) * scene_.scale - io.MousePos.x;
      const float dy = scene_.center_y - (*states)(i, 1) * scene_.scale - io.MousePos.y;
      if (dx * dx + dy * dy < best) best = dx * dx + dy * dy, selected_ = int(i);
    }
  }
}

void App::update_velocity_field(double t, const float view_lo[2], const float view_hi[2]) {
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
  char key[256];
  std::snprintf(key, sizeof key, "%p|%.6f|%g|%d|%d|%.4g|%.4g|%.4g|%.4g", static_cast<const void*>(&model), t,
                double(settings_.sampler.sigma), settings_.sampler.n_draws, int(settings_.sampler.seed),
                double(view_lo[0]), double(view_lo[1]), double(view_hi[0]), double(view_hi[1]));
  if (velocity_key_ == key) return;
  velocity_key_ = key;
  // A grid over the part of the plane on screen (so early samples far from the data have arrows
  // around them too): kVelocityGrid cells across its longer side, square cells.
  const Eigen::Array2f lo(view_lo[0], view_lo[1]), hi(view_hi[0], view_hi[1]);
  const float cell = std::max(hi[0] - lo[0], hi[1] - lo[1]) / kVelocityGrid;
  const int gx = std::max(1, int((hi[0] - lo[0]) / cell)), gy = std::max(1, int((hi[1] - lo[1]) / cell));
  const int n = gx * gy;
  velocity_grid_.resize(n, 2);
  for (int i = 0; i < n; ++i) {
    velocity_grid_(i, 0) = lo[0] + (float(i % gx) + 0.5f) * (hi[0] - lo[0]) / float(gx);
    velocity_grid_(i, 1) = lo[1] + (float(i / gx) + 0.5f) * (hi[1] - lo[1]) / float(gy);
  }
  // The field the samples follow: the smoothed velocity with this run's sigma and M, the grid
  // points' own draws fixed by the seed.
  const int m = settings_.sampler.sigma > 0 ? settings_.sampler.n_draws : 1;
  MatrixXfR eps = MatrixXfR::Zero(Eigen::Index(m) * n, 2);
  Rng rng(uint64_t(settings_.sampler.seed), kVelocityStream);
  for (Eigen::Index i = 0; i < eps.size(); ++i) eps.data()[i] = float(rng.normal());
  velocity_.resize(n, 2);
  try {
    if (!velocity_mean_ || !smoothed_velocity(*velocity_mean_, velocity_grid_.data(), n, t, settings_.sampler.sigma, eps.data(),
                                              m, velocity_.data()))
      velocity_.setZero();
  } catch (const Error&) {
    velocity_.setZero();
  }
}

void App::build_points_scene() {
  const Model& model = *snapshot_.model;
  if (points_model_ != snapshot_.model) {
    points_ = model.points.size() ? model.points : model.train->points();
    points_model_ = snapshot_.model;
    selected_ = -1;
  }
  if (points_.cols() != 2) return;
  const PlotFrame frame = plot_frame();
  scene_.scale = frame.scale;
  scene_.center_x = frame.center_x;
  scene_.center_y = frame.center_y;
  auto point = [&](float x, float y, float width, uint32_t color) {
    scene_.marks.push_back({x, y, x, y, width, color});
  };
  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states) return;
  const double t = snapshot_.n_steps ? double(shown_step) / snapshot_.n_steps : 0.0;

  if (show_velocity_) {
    // The visible part of the plane, in data units.
    const ImVec2 size = ImGui::GetIO().DisplaySize;
    const float left = view_left();
    const float view_lo[2] = {(left - frame.center_x) / frame.scale, (frame.center_y - size.y) / frame.scale};
    const float view_hi[2] = {(size.x - frame.center_x) / frame.scale, frame.center_y / frame.scale};
    update_velocity_field(std::min(t, 1.0 - 1.0 / std::max(2, snapshot_.n_steps)), view_lo, view_hi);
    float longest = 1e-12f;
    for (Eigen::Index i = 0; i < velocity_.rows(); ++i) longest = std::max(longest, velocity_.row(i).norm());
    // The longest arrow spans 0.9 grid cells; the others in proportion; each with a head.
    const float cell = std::max(view_hi[0] - view_lo[0], view_hi[1] - view_lo[1]) / kVelocityGrid;
    const float factor = 0.9f * cell / longest;
    const uint32_t arrow = rgba(40, 90, 170, 190);
    for (Eigen::Index i = 0; i < velocity_.rows(); ++i) {
      const float x = velocity_grid_(i, 0), y = velocity_grid_(i, 1);
      const float dx = velocity_(i, 0) * factor, dy = velocity_(i, 1) * factor;
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
      for (Eigen::Index i = 0; i < a.rows(); i += stride)
        scene_.marks.push_back({a(i, 0), a(i, 1), b(i, 0), b(i, 1), 1.5f, color});
    }
  }
  // The samples: once a run is done and each one's nearest training point is known, copies (nearer
  // than the copy threshold) in the copy colour, new points in the new colour; in flight, all alike.
  const bool judged = shown_step == snapshot_.step && snapshot_.done &&
                      snapshot_.nearest_distance.size() == size_t(states->rows());
  for (Eigen::Index i = 0; i < states->rows(); ++i) {
    const uint32_t color = !judged ? kSampleColor
                           : snapshot_.nearest_distance[size_t(i)] < model.copy_threshold ? kCopyColor
                                                                                          : kNewColor;
    point((*states)(i, 0), (*states)(i, 1), judged ? 4.2f : 3.6f, color);
  }
  // The training points above the samples, as rings: a sample that is a copy shows inside its ring.
  // Drawing: the picked point, and a point under a drag where it is now (before the restart).
  if (drawing_ && settings_.dataset == kDrawnDataset && selected_point_ >= 0 &&
      2 * size_t(selected_point_) + 1 < settings_.points.size()) {
    const float px = settings_.points[2 * size_t(selected_point_)], py = settings_.points[2 * size_t(selected_point_) + 1];
    scene_.marks.push_back({px, py, px, py, 16.0f, rgba(40, 110, 220, 230), 2.5f});
  }
  // Smaller rings where there are many, so that dense data does not bury its samples.
  const float ring = points_.rows() <= 300 ? 9.0f : points_.rows() <= 3000 ? 7.0f : 5.5f;
  if (show_training_)
    for (Eigen::Index i = 0; i < points_.rows(); ++i)
      scene_.marks.push_back({points_(i, 0), points_(i, 1), points_(i, 0), points_(i, 1), ring, kTrainColor, 1.2f});

  // The inspected sample: the training points whose posterior weights pull it (one line each,
  // as wide and as strong as its weight, the heaviest labelled). Mid-flow, the weights of D_t(z);
  // once done, what the sample is an average of: the last step lands on the mean over the M draws
  // of D_t(z + sigma eps_m) at t = (S-1)/S, so training point i's share is the mean over m of its
  // weight in draw m.
  if (selected_ < 0 || selected_ >= states->rows()) return;
  const float zx = (*states)(selected_, 0), zy = (*states)(selected_, 1);
  std::vector<std::pair<int, double>> weights;
  const bool finished = shown_step == snapshot_.step && snapshot_.done && snapshot_.last_inputs &&
                        snapshot_.last_inputs->rows() == states->rows();
  if (finished) {
    const MatrixXfR& z = *snapshot_.last_inputs;
    const double t_last = double(snapshot_.n_steps - 1) / snapshot_.n_steps, sigma = settings_.sampler.sigma;
    const bool smoothed = sigma > 0 && snapshot_.last_draws && snapshot_.last_draws->rows() > 0;
    const int m_count = smoothed ? int(snapshot_.last_draws->rows() / z.rows()) : 1;
    std::map<int, double> share;
    for (int m = 0; m < m_count; ++m) {
      float q[2] = {z(selected_, 0), z(selected_, 1)};
      if (smoothed)
        for (int k = 0; k < 2; ++k)
          q[k] += float(sigma) * (*snapshot_.last_draws)(Eigen::Index(m) * z.rows() + selected_, k);
      for (const auto& [index, weight] : eval::top_posterior_weights(*model.train, q, t_last, 4))
        share[index] += weight / m_count;
    }
    weights.assign(share.begin(), share.end());
    std::sort(weights.begin(), weights.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    });
    if (weights.size() > 8) weights.resize(8);
  } else if (shown_step < snapshot_.n_steps) {
    weights = eval::top_posterior_weights(*model.train, states->row(selected_).data(), t, 8);
  }
  int labelled = 0;
  for (const auto& [index, weight] : weights) {
    if (weight < 0.01) continue;
    const float px = points_(index, 0), py = points_(index, 1);
    scene_.marks.push_back({zx, zy, px, py, 1.5f + 7.0f * float(weight), rgba(120, 40, 170, int(90 + 150 * weight))});
    scene_.marks.push_back({px, py, px, py, 10.0f, rgba(120, 40, 170, 255), 2.0f});
    if (weight >= 0.05 && labelled++ < 4) {
      char text[32];
      std::snprintf(text, sizeof text, "%.2f", weight);
      scene_.labels.push_back({scene_.center_x + px * scene_.scale + 8, scene_.center_y - py * scene_.scale - 8, text,
                               rgba(90, 20, 140, 255)});
    }
  }
  int nearest = 0;
  float best = INFINITY;
  for (Eigen::Index i = 0; i < points_.rows(); ++i) {
    const float d = (points_.row(i) - states->row(selected_)).squaredNorm();
    if (d < best) best = d, nearest = int(i);
  }
  point(points_(nearest, 0), points_(nearest, 1), 11.0f, rgba(20, 140, 90, 230));
  point(points_(nearest, 0), points_(nearest, 1), 6.0f, kPaper);
  point(zx, zy, 9.0f, rgba(200, 60, 10, 255));
  char text[160];
  if (finished && weights.size() > 1 && weights[1].second >= 0.05)
    std::snprintf(text, sizeof text, "sample %d: an average of %zu training points (purple, with their weights)",
                  selected_, size_t(std::count_if(weights.begin(), weights.end(), [](const auto& w) { return w.second >= 0.05; })));
  else
    std::snprintf(text, sizeof text, "sample %d: nearest training point %d at %.3g", selected_, nearest,
                  std::sqrt(double(best)));
  scene_.labels.push_back(
      {scene_.center_x + zx * scene_.scale + 10, scene_.center_y - zy * scene_.scale + 6, text, rgba(40, 40, 40, 255)});
}

void App::build_image_scene() {
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  const Model& model = *snapshot_.model;
  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states) return;
  const bool latest = shown_step == snapshot_.step;
  const int n = std::min<int>(kMaxImagePairs, int(states->rows()));
  const int w = model.image_width, h = model.image_height, d = w * h;
  const bool with_nearest = latest && int(snapshot_.nearest.size()) >= n;
  // The atlas: samples first, then their nearest training images; rebuilt when they change.
  char key[96];
  std::snprintf(key, sizeof key, "%llu|%d|%d", (unsigned long long)snapshot_.generation, shown_step, int(with_nearest));
  if (images_key_ != key || model.pixels->dim() != d) {
    images_key_ = key;
    const MatrixXfR head = states->topRows(n);
    const MatrixXfR pixels = latest ? snapshot_.pixels.topRows(n) : model.pca ? model.pca->decode(head) : head;
    scene_.image_width = w;
    scene_.image_height = h;
    scene_.n_images = with_nearest ? 2 * n : n;
    scene_.images.assign(size_t(scene_.n_images) * size_t(d), 0);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < d; ++k)
        scene_.images[size_t(i) * d + k] = uint8_t(std::clamp(pixels(i, k), 0.0f, 1.0f) * 255.0f + 0.5f);
    if (with_nearest)
      for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k)
          scene_.images[size_t(n + i) * d + k] = uint8_t(
              std::clamp(model.pixels->coordinate(snapshot_.nearest[size_t(i)], k), 0.0f, 1.0f) * 255.0f + 0.5f);
    scene_.images_version = ++images_version_;
  }
  // The grid: pairs (sample | nearest training image) with the distance below, right of the open
  // control panel in a desktop window, else below the controls; tiles as large as fit, above the
  // status window (full controls) or the embed's link.
  const float beside = view_left(), left = beside + 20, top = (beside > 0 ? 0 : controls_bottom_) + 20;
  const float gap = 6, label = 16;
  // Above the status window where it reaches under the grid (full controls), else above the
  // embed's link.
  const float bottom = settings_.ui == Settings::Ui::full && status_right_ > left && status_top_ > top
                           ? status_top_ - 10
                           : size.y - 40;
  const float avail_w = size.x - left - 20, avail_h = bottom - top;
  int columns = std::max(1, int(std::ceil(std::sqrt(double(n) * avail_w / std::max(1.0f, avail_h) / 2))));
  const int rows = (n + columns - 1) / columns;
  float tile = std::min((avail_w / columns - 3 * gap) / 2, avail_h / rows - gap - label);
  tile = std::max(tile, 8.0f);
  for (int i = 0; i < n; ++i) {
    const float x = left + float(i % columns) * (2 * tile + 3 * gap),
                y = top + float(i / columns) * (tile + gap + label);
    const bool copy = with_nearest && snapshot_.nearest_distance[size_t(i)] < model.copy_threshold;
    const uint32_t border = !with_nearest ? 0u : copy ? kCopyBorder : kNewBorder;
    scene_.tiles.push_back({x, y, tile, tile, float(i), border});
    if (!with_nearest) continue;
    scene_.tiles.push_back({x + tile + gap, y, tile, tile, float(n + i), rgba(150, 150, 150, 255)});
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", snapshot_.nearest_distance[size_t(i)]);
    scene_.labels.push_back({x, y + tile + 1, text, copy ? rgba(200, 30, 30, 255) : rgba(60, 60, 60, 255)});
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
