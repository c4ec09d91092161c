#include "data/toy.hpp"

#include <cmath>

#include "core/detmath.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace cfdm::data {
namespace {

constexpr double kPi = 3.14159265358979323846;
using detmath::cos;
using detmath::sin;

// Each generator fills one point from its own random stream (seed, point index).
using Generator = void (*)(Rng& rng, int index, int n_points, float* xy);

// Two interleaved half circles (as scikit-learn's make_moons), noise 0.05.
void moons(Rng& rng, int index, int n_points, float* xy) {
  const bool upper = index < (n_points + 1) / 2;
  const double angle = kPi * rng.uniform();
  const double x = upper ? cos(angle) : 1.0 - cos(angle);
  const double y = upper ? sin(angle) : 0.5 - sin(angle);
  xy[0] = float(x - 0.5 + 0.05 * rng.normal());
  xy[1] = float(y - 0.25 + 0.05 * rng.normal());
}

// Concentric circles of radius 1 and 0.5, noise 0.03.
void circles(Rng& rng, int index, int n_points, float* xy) {
  const double radius = index < (n_points + 1) / 2 ? 1.0 : 0.5;
  const double angle = 2.0 * kPi * rng.uniform();
  xy[0] = float(radius * cos(angle) + 0.03 * rng.normal());
  xy[1] = float(radius * sin(angle) + 0.03 * rng.normal());
}

// The swiss roll's (x, z) projection, r = 1.5 pi (1 + 2u), scaled by 1/5, noise 0.05.
void swiss_roll(Rng& rng, int, int, float* xy) {
  const double r = 1.5 * kPi * (1.0 + 2.0 * rng.uniform());
  xy[0] = float(r * cos(r) / 5.0 + 0.05 * rng.normal());
  xy[1] = float(r * sin(r) / 5.0 + 0.05 * rng.normal());
}

// 4 x 4 checkerboard on [-2, 2]^2, the 8 dark squares filled uniformly.
void checkerboard(Rng& rng, int, int, float* xy) {
  const double x = 4.0 * rng.uniform() - 2.0;
  const double column = std::floor(x + 2.0);                                       // 0 .. 3
  const double row = 2.0 * double(rng.uniform_index(2)) + std::fmod(column, 2.0);  // 0 .. 3
  xy[0] = float(x);
  xy[1] = float(row + rng.uniform() - 2.0);
}

// 8 Gaussians (std 0.1) evenly spaced on the circle of radius 2.
void gaussians(Rng& rng, int, int, float* xy) {
  const double angle = 2.0 * kPi * rng.uniform_index(8) / 8.0;
  xy[0] = float(2.0 * cos(angle) + 0.1 * rng.normal());
  xy[1] = float(2.0 * sin(angle) + 0.1 * rng.normal());
}

// Two interleaved spirals, noise 0.1.
void spirals(Rng& rng, int index, int n_points, float* xy) {
  const double sign = index < (n_points + 1) / 2 ? 1.0 : -1.0;
  const double r = std::sqrt(rng.uniform()) * 3.0 * kPi;
  xy[0] = float(sign * -cos(r) * r / 3.0 + 0.1 * rng.normal());
  xy[1] = float(sign * sin(r) * r / 3.0 + 0.1 * rng.normal());
}

// Five curved arms (the pinwheel of Johnson et al. 2016): radial std 0.3, tangential 0.1.
void pinwheel(Rng& rng, int, int, float* xy) {
  const int arm = int(rng.uniform_index(5));
  const double radial = 1.0 + 0.3 * rng.normal();
  const double tangential = 0.1 * rng.normal();
  const double angle = 2.0 * kPi * arm / 5.0 + 0.25 * detmath::exp(radial);
  const double c = cos(angle), s = sin(angle);
  xy[0] = float(1.5 * (c * radial - s * tangential));
  xy[1] = float(1.5 * (s * radial + c * tangential));
}

struct Toy {
  const char* name;
  Generator generate;
};
constexpr Toy kToys[] = {
    {"moons", moons},          {"circles", circles}, {"swissroll", swiss_roll}, {"checkerboard", checkerboard},
    {"8gaussians", gaussians}, {"spirals", spirals}, {"pinwheel", pinwheel}};

}  // namespace

const std::vector<std::string>& toy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Toy& toy : kToys) out.push_back(toy.name);
    return out;
  }();
  return names;
}

bool is_toy(const std::string& name) {
  for (const Toy& toy : kToys)
    if (name == toy.name) return true;
  return false;
}

MatrixXfR make_toy(const std::string& name, int n_points, uint64_t seed) {
  if (n_points < 1) throw Error("n-train must be at least 1 (got " + std::to_string(n_points) + ")");
  for (const Toy& toy : kToys) {
    if (name != toy.name) continue;
    MatrixXfR points(n_points, 2);
    for (int i = 0; i < n_points; ++i) {
      Rng rng(seed, uint64_t(i), uint64_t(Stream::toy_data));
      toy.generate(rng, i, n_points, points.row(i).data());
    }
    return points;
  }
  std::string names;
  for (const Toy& toy : kToys) names += std::string(names.empty() ? "" : ", ") + toy.name;
  throw Error("unknown dataset " + in_quotes(name) + ": use one of " + names + ", or a .npy/.csv file");
}

}  // namespace cfdm::data
