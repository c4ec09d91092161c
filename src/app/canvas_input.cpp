// The canvas's input: pan and zoom, the 3-D view's orbit, picking a sample to inspect, and the
// drawing mode's clicks and drags.
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "app/app.hpp"
#include "app/app_internal.hpp"

namespace cfdm::app {

// Drawing mode: a click on empty canvas adds a training point there, a press on a point picks it
// (Delete or Backspace removes it), a drag moves it (sampling restarts when it is let go).
void App::handle_drawing_input() {
  ImGuiIO& io = ImGui::GetIO();
  const PlotFrame frame = plot_frame();
  const float mx = frame.data_x(io.MousePos.x), my = frame.data_y(io.MousePos.y);
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
  if (drawing_ && !is_image_name(settings_.dataset) && projection().dim == 2) {
    handle_drawing_input();
    return;
  }
  // 3-D data: a drag turns the camera (a quarter turn per 225 pixels), a drag with Shift or the
  // right button pans; 2-D: a drag pans.
  const bool orbit = projection().dim == 3 && !io.KeyShift;
  if (ImGui::IsMouseDragging(ImGuiMouseButton_Left) && orbit)
    orbit_by(io.MouseDelta.x, io.MouseDelta.y);
  else if (ImGui::IsMouseDragging(ImGuiMouseButton_Left))
    pan_by(io.MouseDelta.x, io.MouseDelta.y);
  if (ImGui::IsMouseDragging(ImGuiMouseButton_Right)) pan_by(io.MouseDelta.x, io.MouseDelta.y);
  // A click (not a drag) picks the nearest sample on screen within 12 pixels, or clears the pick.
  if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
      io.MouseDragMaxDistanceSqr[0] < io.MouseDragThreshold * io.MouseDragThreshold && snapshot_.model &&
      !snapshot_.model->is_image()) {
    int found_step = 0;
    const MatrixXfR* states = history_at(view_step(), &found_step);
    const Projection seen = projection();
    selected_ = -1;
    float best = 12.0f * 12.0f;
    for (Eigen::Index i = 0; states && i < states->rows(); ++i) {
      float v[3];
      seen.to_view(states->row(i).data(), v);
      const float dx = scene_.screen_x(v[0]) - io.MousePos.x, dy = scene_.screen_y(v[1]) - io.MousePos.y;
      if (dx * dx + dy * dy < best) best = dx * dx + dy * dy, selected_ = int(i);
    }
  }
}

}  // namespace cfdm::app
