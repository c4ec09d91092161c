// The data library: toy generators, file formats (.npy, CSV, output files), dataset resolution.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

#include <Eigen/Geometry>

#include "core/detmath.hpp"
#include "core/error.hpp"
#include "core/large_vector.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "data/dataset.hpp"
#include "data/files.hpp"
#include "data/memory.hpp"
#include "data/toy.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "cfdm_test_" + std::to_string(::getpid()) + "_" + name;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Writes bytes to path and expects read_matrix to reject them with a message containing fragment;
// a .npy is also read straight into a training set, which must refuse it the same way.
void expect_read_error(const std::string& path, const std::string& bytes, const std::string& fragment) {
  write_bytes(path, bytes);
  for (int reader = 0; reader < (data::has_extension(path, ".npy") ? 2 : 1); ++reader) {
    try {
      if (reader == 0)
        data::read_matrix(path);
      else
        data::read_npy_training_set(path, -1);
      ADD_FAILURE() << "no error from reader " << reader << ", expected one containing '" << fragment << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
}

// The stored layout of points, computed the plain way in float64: c_k the column means (summed in
// row order), x'_ik = x_ik - c_k rounded to float, |x'_i|^2 summed in coordinate order.
void expect_layout(const TrainingSet& set, const MatrixXfR& points) {
  ASSERT_EQ(set.n(), points.rows());
  ASSERT_EQ(set.dim(), points.cols());
  for (int k = 0; k < set.dim(); ++k) {
    double sum = 0;
    for (int i = 0; i < set.n(); ++i) sum += points(i, k);
    ASSERT_EQ(set.mean()[k], float(sum / set.n())) << "mean " << k;
  }
  for (int i = 0; i < set.n_padded(); ++i) {
    double norm_sq = 0;
    for (int k = 0; k < set.stride(); ++k) {
      const float expected = i < set.n() && k < set.dim() ? float(double(points(i, k)) - double(set.mean()[k])) : 0.0f;
      ASSERT_EQ(set.rows()[size_t(i) * set.stride() + k], expected) << "row " << i << ", coordinate " << k;
      norm_sq += double(expected) * double(expected);
    }
    if (i < set.n()) {
      ASSERT_EQ(set.norms_sq()[i], float(norm_sq)) << "norm " << i;
    }
  }
}

TEST(LargeVector, HoldsWhatItIsGivenAndAlignsLargeBlocksToHugePages) {
  // Small blocks: the standard allocator; large ones (4 MB and up): 2 MB aligned on Linux.
  for (size_t n : {size_t(7), size_t(1) << 20, (size_t(5) << 20) / sizeof(float) + 3}) {
    LargeVector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = float(i % 1009);
    LargeVector<float> copy = v;
    v.resize(n + 1, -1.0f);
    for (size_t i = 0; i < n; i += 997) ASSERT_EQ(copy[i], float(i % 1009));
    EXPECT_EQ(v[n], -1.0f);
#ifdef CFDM_HUGE_PAGES
    if (n * sizeof(float) >= (size_t(4) << 20)) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(copy.data()) % (size_t(2) << 20), 0u);
    }
#endif
  }
}

TEST(Toy, EveryDatasetIsSeededFiniteAndBounded) {
  for (const std::string& name : data::toy_names()) {
    const MatrixXfR a = data::make_toy(name, 500, 9), b = data::make_toy(name, 500, 9),
                    c = data::make_toy(name, 500, 10);
    EXPECT_TRUE(bit_identical(a, b)) << name;
    EXPECT_FALSE(bit_identical(a, c)) << name;
    ASSERT_EQ(a.rows(), 500);
    ASSERT_EQ(a.cols(), data::toy_dim(name)) << name;
    EXPECT_TRUE(a.cols() == 2 || a.cols() == 3) << name;
    EXPECT_TRUE(a.allFinite()) << name;
    EXPECT_LT(a.cwiseAbs().maxCoeff(), 4.0f) << name;
    EXPECT_GT(a.cwiseAbs().maxCoeff(), 0.5f) << name;
  }
  EXPECT_THROW(data::make_toy("moon", 10, 0), Error);
  EXPECT_THROW(data::make_toy("moons", 0, 0), Error);
}

// Checkerboard: every point lies on a dark square ((floor(x) + floor(y)) even on [-2, 2]^2).
TEST(Toy, CheckerboardFillsOnlyDarkSquares) {
  const MatrixXfR a = data::make_toy("checkerboard", 2000, 1);
  for (int i = 0; i < a.rows(); ++i) {
    const int parity = int(std::floor(a(i, 0)) + std::floor(a(i, 1)) + 4) % 2;
    EXPECT_EQ(parity, 0) << a.row(i);
  }
}

// The sphere: radius 1.5 (noise 0.03), directions uniform (their mean near 0; a cap of height h
// holds h / 3 of the points, here the cap y > 0.75: a quarter).
TEST(Toy, SpherePointsLieOnTheSphereUniformly) {
  const MatrixXfR a = data::make_toy("sphere", 20000, 2);
  ASSERT_EQ(a.cols(), 3);
  int cap = 0;
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    const Eigen::Vector3d p = a.row(i).transpose().cast<double>();
    EXPECT_NEAR(p.norm(), 1.5, 0.2) << i;
    mean += p / p.norm() / double(a.rows());
    cap += p.y() > 0.75;
  }
  EXPECT_LT(mean.norm(), 0.03);
  EXPECT_NEAR(double(cap) / a.rows(), 0.25, 0.015);  // binomial sd 0.003
}

// The torus (radii 1.4 and 0.55 about the y axis): every point near the tube, uniform by area. The
// outer half of the tube (farther than 1.4 from the axis) has area pi R + 2 r of 2 pi R per unit
// angle: 0.5 + r / (pi R) = 0.625 of the points.
TEST(Toy, TorusPointsLieOnTheTubeUniformlyByArea) {
  const MatrixXfR a = data::make_toy("torus", 20000, 3);
  ASSERT_EQ(a.cols(), 3);
  int outer = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    const double ring = std::hypot(double(a(i, 0)), double(a(i, 2)));
    EXPECT_NEAR(std::hypot(ring - 1.4, double(a(i, 1))), 0.55, 0.15) << i;
    outer += ring > 1.4;
  }
  EXPECT_NEAR(double(outer) / a.rows(), 0.5 + 0.55 / (3.14159265358979 * 1.4), 0.015);  // sd 0.0034
}

// The bunny: points on the mesh of the npm package bunny, normalized here independently (centred
// on its box, the longest side spanning [-2, 2]); each point lies in one of its triangles (in its
// plane, barycentric coordinates in [0, 1]), and the triangles are hit in proportion to their
// area (the first half of the triangles, by index, against its share of the area).
TEST(Toy, BunnyPointsLieOnItsSurfaceUniformlyByArea) {
  const data::MeshView mesh = data::bunny_mesh();
  if (mesh.n_cells == 0) {
    EXPECT_THROW(data::make_toy("bunny", 10, 0), Error);
    GTEST_SKIP() << "built without the npm package bunny (scripts/setup.sh installs it)";
  }
  ASSERT_GT(mesh.n_vertices, 1000);
  std::vector<Eigen::Vector3d> v(size_t(mesh.n_vertices));
  Eigen::Vector3d lo = Eigen::Vector3d::Constant(INFINITY), hi = -lo;
  for (int i = 0; i < mesh.n_vertices; ++i) {
    v[size_t(i)] = Eigen::Vector3d(mesh.positions[3 * i], mesh.positions[3 * i + 1], mesh.positions[3 * i + 2]);
    lo = lo.cwiseMin(v[size_t(i)]), hi = hi.cwiseMax(v[size_t(i)]);
  }
  const double half = (hi - lo).maxCoeff() / 2;
  for (auto& p : v) p = (p - (lo + hi) / 2) * (2.0 / half);
  double area_first = 0, area_all = 0;
  for (int c = 0; c < mesh.n_cells; ++c) {
    const auto& a = v[size_t(mesh.cells[3 * c])];
    const double area =
        0.5 * (v[size_t(mesh.cells[3 * c + 1])] - a).cross(v[size_t(mesh.cells[3 * c + 2])] - a).norm();
    area_all += area;
    if (c < mesh.n_cells / 2) area_first += area;
  }
  const MatrixXfR points = data::make_toy("bunny", 3000, 4);
  ASSERT_EQ(points.cols(), 3);
  EXPECT_NEAR(points.cwiseAbs().maxCoeff(), 2.0f, 0.05f);
  int first = 0, off = 0;
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    const Eigen::Vector3d p = points.row(i).transpose().cast<double>();
    int found = -1;
    for (int c = 0; c < mesh.n_cells && found < 0; ++c) {
      const auto &a = v[size_t(mesh.cells[3 * c])], &b = v[size_t(mesh.cells[3 * c + 1])],
                 &d = v[size_t(mesh.cells[3 * c + 2])];
      const Eigen::Vector3d e = b - a, f = d - a, n = e.cross(f), q = p - a;
      if (n.norm() == 0 || std::abs(n.dot(q)) / n.norm() > 1e-5) continue;
      // Barycentric coordinates of q in (e, f).
      const double ee = e.dot(e), ef = e.dot(f), ff = f.dot(f), qe = q.dot(e), qf = q.dot(f);
      const double det = ee * ff - ef * ef, s = (ff * qe - ef * qf) / det, t = (ee * qf - ef * qe) / det;
      if (s >= -1e-4 && t >= -1e-4 && s + t <= 1 + 1e-4) found = c;
    }
    off += found < 0;
    first += found >= 0 && found < mesh.n_cells / 2;
  }
  EXPECT_EQ(off, 0) << "points off the surface";
  EXPECT_NEAR(double(first) / points.rows(), area_first / area_all, 0.04);  // binomial sd 0.009
}

TEST(Files, NpyRoundTripAndFloat64) {
  const MatrixXfR m = normal_points(7, 3, 1);
  const std::string path = temp_path("a.npy");
  data::write_matrix(path, m);
  EXPECT_TRUE(bit_identical(data::read_matrix(path), m));
  // A float64 file written by hand (NumPy's layout, version 1.0).
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string bytes =
      std::string("\x93NUMPY\x01\x00", 8) + char(header.size() & 0xff) + char(header.size() >> 8) + header;
  const double values[4] = {1.5, -2.0, 3.25, 1e-3};
  bytes.append(reinterpret_cast<const char*>(values), sizeof values);
  write_bytes(path, bytes);
  const MatrixXfR read = data::read_matrix(path);
  EXPECT_EQ(read(1, 0), 3.25f);
  EXPECT_EQ(read(1, 1), 1e-3f);
  std::remove(path.c_str());
}

// A file is read whole, every byte (zeros and high bytes too), in one read of its size; an empty
// file is an empty string.
TEST(Files, ReadFileReadsEveryByte) {
  const std::string path = temp_path("bytes.bin");
  std::string bytes(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = char((i * 7919u) >> 3);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  EXPECT_TRUE(data::read_file(path) == bytes);
  { std::ofstream out(path, std::ios::binary | std::ios::trunc); }
  EXPECT_EQ(data::read_file(path), "");
  std::remove(path.c_str());
}

// A memory cap (the web page's smaller memory) bounds what is available, so a request above it is
// refused with its size named.
TEST(Memory, ACapBoundsWhatIsAvailable) {
  data::set_memory_cap(1000000);
  EXPECT_LE(data::available_memory_bytes(), 1000000u);
  try {
    data::check_memory(2000000, "the test's request", "ask for less");
    ADD_FAILURE() << "a request above the cap was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs 2.0 MB"), std::string::npos) << e.what();
  }
  data::set_memory_cap(0);
  EXPECT_GT(data::available_memory_bytes(), 1000000u);
}

// A .npy read straight into the training set's layout (in slices, rows spread to the padded
// stride, float64 narrowed) is the layout of the same points computed the plain way, on any
// number of threads; n_train reads the first rows only.
TEST(Files, NpyIsReadStraightIntoTheTrainingSet) {
  const std::string path = temp_path("layout.npy");
  ThreadPool pool(3);
  for (const auto& [n, d] : {std::pair{1, 1}, {37, 3}, {1500, 784}, {5000, 17}}) {
    const MatrixXfR m = normal_points(n, d, uint64_t(n + d), 3.0).array() + 2.0f;
    data::write_matrix(path, m);
    expect_layout(data::read_npy_training_set(path, -1), m);
    expect_layout(data::read_npy_training_set(path, -1, &pool), m);
    expect_layout(TrainingSet(m), m);
    const int half = std::max(1, n / 2);
    expect_layout(data::read_npy_training_set(path, half, &pool), m.topRows(half));
    if (n > 1) {
      // The same as a float64 file.
      std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(n) + ", " +
                           std::to_string(d) + "), }";
      header.append(63 - (10 + header.size()) % 64, ' ');
      header += '\n';
      std::string bytes =
          std::string("\x93NUMPY\x01\x00", 8) + char(header.size() & 0xff) + char(header.size() >> 8) + header;
      for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k) {
          const double v = m(i, k);
          bytes.append(reinterpret_cast<const char*>(&v), 8);
        }
      write_bytes(path, bytes);
      expect_layout(data::read_npy_training_set(path, -1), m);
    }
  }
  data::write_matrix(path, normal_points(4, 2, 1));
  EXPECT_THROW(data::read_npy_training_set(path, 5), Error);
  EXPECT_THROW(data::read_npy_training_set(path, 0), Error);
  std::remove(path.c_str());
}

TEST(Files, NpyRejectsBrokenFiles) {
  const std::string path = temp_path("bad.npy");
  const MatrixXfR m = normal_points(4, 2, 1);
  data::write_matrix(path, m);
  std::ifstream in(path, std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), {});
  auto expect_error = [&](const std::string& bytes, const std::string& fragment) {
    expect_read_error(path, bytes, fragment);
  };
  expect_error(good.substr(0, good.size() - 3), "truncated");
  expect_error("hello world, not numpy", "not a .npy");
  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  expect_error(big_endian, "dtype");
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  expect_error(fortran, "Fortran");
  std::string rank3 = good;
  rank3.replace(rank3.find("(4,2), }  "), 10, "(2,2,2), }");  // same header length
  expect_error(rank3, "2-D");
  std::string nan_value = good;
  const float nan = NAN;
  nan_value.replace(nan_value.size() - 4, 4, reinterpret_cast<const char*>(&nan), 4);
  expect_error(nan_value, "not finite");
  std::remove(path.c_str());
}

TEST(Files, CsvParsesHeadersAndRejectsBadRows) {
  const std::string path = temp_path("a.csv");
  write_bytes(path, "x,y\n1,2\n\n3.5, -4e-1\n");
  const MatrixXfR m = data::read_matrix(path);
  ASSERT_EQ(m.rows(), 2);
  EXPECT_EQ(m(1, 1), -0.4f);
  auto expect_error = [&](const std::string& text, const std::string& fragment) {
    expect_read_error(path, text, fragment);
  };
  expect_error("1,2\n3\n", "line 2 has 1 values");
  expect_error("1,2\n3,abc\n", "not a number");
  expect_error("1,2\nnan,2\n", "not finite");
  expect_error("", "no numeric rows");
  expect_error("a,b\n", "no numeric rows");
  const MatrixXfR back = normal_points(5, 4, 2);
  data::write_matrix(path, back);
  EXPECT_TRUE(bit_identical(data::read_matrix(path), back));  // %.9g round-trips float32
  std::remove(path.c_str());
}

TEST(Files, CsvSkipsAByteOrderMarkSaysWhatItTookAsAHeaderAndRefusesNulBytes) {
  std::string note;
  const MatrixXfR bom = data::parse_csv(
      "\xEF\xBB\xBF"
      "1,2\n3,4\n",
      "bom.csv", &note);
  ASSERT_EQ(bom.rows(), 2);  // the mark made the first row look like a header
  EXPECT_EQ(bom(0, 0), 1.0f);
  EXPECT_TRUE(note.empty()) << note;
  const MatrixXfR headed = data::parse_csv(
      "\xEF\xBB\xBF"
      "x,y\n1,2\n",
      "h.csv", &note);
  EXPECT_EQ(headed.rows(), 1);
  EXPECT_NE(note.find("'x,y'"), std::string::npos) << note;
  EXPECT_NE(note.find("header"), std::string::npos) << note;
  auto message = [](const std::string& text) {
    try {
      data::parse_csv(text, "f.csv");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // A first line that mixes numbers and words is no header: it is an error.
  EXPECT_NE(message("1,abc\n3,4\n").find("line 1, column 2: 'abc' is not a number"), std::string::npos);
  EXPECT_NE(message(std::string("3\0junk,4\n5,6\n", 14)).find("line 1, column 1: a NUL byte"), std::string::npos)
      << message(std::string("3\0junk,4\n5,6\n", 14));
  EXPECT_NE(message(std::string("1,2\n5,6\0\n", 10)).find("line 2, column 2: a NUL byte"), std::string::npos);
}

TEST(Files, OutputFilesAreAllWrittenOrNoneAndNeverShareAFile) {
  const std::string a = temp_path("out_a.npy"), b = temp_path("out_b.csv");
  const MatrixXfR m = normal_points(3, 2, 1);
  try {
    data::OutputFiles outputs;
    outputs.reserve(a, "--out");
    outputs.reserve(b, "--plot");
    EXPECT_THROW(outputs.reserve(a, "--save-train"), Error);  // the same file twice
    outputs.write(a, data::matrix_file(a, m));
    outputs.write(b, [](std::ostream&) { throw Error("boom"); });
    ADD_FAILURE() << "the failing writer did not throw";
  } catch (const Error&) {
  }
  // Not committed: neither output, nor any temporary, is left.
  EXPECT_FALSE(data::file_exists(a));
  EXPECT_FALSE(data::file_exists(b));
  {
    data::OutputFiles outputs;
    outputs.reserve(a, "--out");
    outputs.reserve(b, "--plot");
    outputs.write(a, data::matrix_file(a, m));
    outputs.write(b, data::matrix_file(b, m));
    outputs.commit();
  }
  EXPECT_TRUE(bit_identical(data::read_matrix(a), m));
  EXPECT_TRUE(bit_identical(data::read_matrix(b), m));
  data::OutputFiles refused;
  EXPECT_THROW(refused.reserve(::testing::TempDir() + "no_such_folder_cfdm/x.npy", "--out"), Error);
  EXPECT_THROW(refused.reserve(::testing::TempDir(), "--out"), Error);  // a folder
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST(Files, AtomicWriteLeavesNothingOnFailure) {
  const std::string path = temp_path("atomic.npy");
  EXPECT_THROW(data::write_file_atomic(path, [](std::ostream&) { throw Error("boom"); }), Error);
  EXPECT_FALSE(data::file_exists(path));
  EXPECT_FALSE(data::file_exists(path + ".partial"));
}

TEST(Dataset, ResolvesNamesAndFiles) {
  EXPECT_EQ(data::load_training_data("moons", -1, 0).rows(), data::kDefaultToyPoints);
  EXPECT_EQ(data::load_training_data("spirals", 77, 0).rows(), 77);
  const std::string path = temp_path("train.csv");
  write_bytes(path, "1,2\n3,4\n5,6\n");
  EXPECT_EQ(data::load_training_data(path, -1, 0).rows(), 3);
  EXPECT_EQ(data::load_training_data(path, 2, 0).rows(), 2);
  EXPECT_THROW(data::load_training_data(path, 4, 0), Error);
  EXPECT_THROW(data::load_training_data("nosuchset", -1, 0), Error);
  EXPECT_THROW(data::load_training_data(temp_path("missing.npy"), -1, 0), Error);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace cfdm::test
