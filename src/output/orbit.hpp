// An orbit camera for 3-D point clouds: the view turns about the vertical (y) axis by the yaw and
// tilts by the pitch (positive: looking down from above); orthographic. Shared by the app's 3-D
// view and the command line's plots of 3-D data.
#pragma once
#include <cmath>

namespace cfdm::output {

struct Orbit {
  static constexpr float kDefaultYaw = 30.0f, kDefaultPitch = 20.0f;  // degrees
  float yaw = kDefaultYaw, pitch = kDefaultPitch;

  // The view's axes in data coordinates, an orthonormal basis: rows right, up, toward the viewer.
  // (The rows of R_x(pitch) R_y(yaw).)
  void basis(float out[3][3]) const {
    const double radians = 3.14159265358979323846 / 180.0;
    const double cy = std::cos(yaw * radians), sy = std::sin(yaw * radians);
    const double cp = std::cos(pitch * radians), sp = std::sin(pitch * radians);
    const double rows[3][3] = {{cy, 0, sy}, {sp * sy, cp, -sp * cy}, {-cp * sy, sp, cp * cy}};
    for (int i = 0; i < 3; ++i)
      for (int k = 0; k < 3; ++k) out[i][k] = float(rows[i][k]);
  }
};

// A 3-D point p seen about the centre c through basis b: (right, up) on the view's plane and its
// depth (larger: nearer the viewer).
inline void project(const float b[3][3], const float c[3], const float* p, float out[3]) {
  const float d[3] = {p[0] - c[0], p[1] - c[1], p[2] - c[2]};
  for (int i = 0; i < 3; ++i) out[i] = b[i][0] * d[0] + b[i][1] * d[1] + b[i][2] * d[2];
}

}  // namespace cfdm::output
