// Image datasets: IDX, Fashion-MNIST JSON, PNG folders, class selection (files the tests write).
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#include "core/error.hpp"
#include "core/gaussian.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "core/training_set.hpp"
#include "data/dataset.hpp"
#include "data/files.hpp"
#include "data/images.hpp"
#include "data/prepare.hpp"

namespace cfdm::test {
namespace {

// A fresh, empty folder (emptied if an earlier run left one: pids repeat, e.g. under wasm).
std::string temp_dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "cfdm_img_" + std::to_string(::getpid()) + "_" + name;
  ::mkdir(dir.c_str(), 0755);
  if (DIR* handle = opendir(dir.c_str())) {
    while (dirent* entry = readdir(handle))
      if (entry->d_name[0] != '.') std::remove((dir + "/" + entry->d_name).c_str());
    closedir(handle);
  }
  return dir;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

template <class F>
void expect_error(F f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no error, expected one containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

data::ImageSet small_set(int n) {
  data::ImageSet set;
  set.n = n;
  set.height = 3;
  set.width = 2;
  for (int i = 0; i < n * 6; ++i) set.pixels.push_back(uint8_t(i * 7));
  for (int i = 0; i < n; ++i) set.labels.push_back(uint8_t(i % 3));
  return set;
}

TEST(Idx, RoundTripAndCorruption) {
  const std::string dir = temp_dir("idx");
  const data::ImageSet set = small_set(5);
  data::write_idx(dir + "/a-images.idx", dir + "/a-labels.idx", set);
  const data::ImageSet back = data::read_idx(dir + "/a-images.idx", dir + "/a-labels.idx");
  EXPECT_EQ(back.n, 5);
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.width, 2);
  EXPECT_EQ(back.pixels, set.pixels);
  EXPECT_EQ(back.labels, set.labels);
  std::ifstream in(dir + "/a-images.idx", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write_text(dir + "/bad.idx", bytes.substr(0, bytes.size() - 1));
  expect_error([&] { data::read_idx(dir + "/bad.idx", ""); }, "truncated");
  write_text(dir + "/bad.idx", "\x89PNG....................");
  expect_error([&] { data::read_idx(dir + "/bad.idx", ""); }, "not an IDX");
  data::write_idx(dir + "/b-images.idx", dir + "/b-labels.idx", small_set(4));
  expect_error([&] { data::read_idx(dir + "/a-images.idx", dir + "/b-labels.idx"); }, "4 labels for 5 images");
}

// The file reader (pixels read in place) and the bytes parser (the browser's path) agree.
TEST(Idx, ReadingAFileEqualsParsingItsBytes) {
  const std::string dir = temp_dir("idx-bytes");
  data::write_idx(dir + "/a-images.idx", dir + "/a-labels.idx", small_set(7));
  const data::ImageSet read = data::read_idx(dir + "/a-images.idx", dir + "/a-labels.idx");
  const std::string labels = data::read_file(dir + "/a-labels.idx");
  const data::ImageSet parsed = data::parse_idx(data::read_file(dir + "/a-images.idx"), "a", &labels, "b");
  EXPECT_EQ(read.pixels, parsed.pixels);
  EXPECT_EQ(read.labels, parsed.labels);
  EXPECT_EQ(read.n, parsed.n);
}

// Read in parts of any size (the browser app without threads reads some megabytes a frame), a file
// gives what the set written to it holds; taking it early is refused, and a broken file is refused
// before anything is read.
TEST(Idx, ReadingInPartsGivesTheWholeSet) {
  const std::string dir = temp_dir("idx-parts");
  const data::ImageSet set = small_set(9);  // 54 pixel bytes
  data::write_idx(dir + "/a-images.idx", dir + "/a-labels.idx", set);
  for (size_t part : {size_t(1), size_t(5), size_t(6), size_t(53), size_t(54), size_t(1000)}) {
    data::IdxReader reader(dir + "/a-images.idx", dir + "/a-labels.idx");
    int calls = 1;
    if (part < 54) expect_error([&] { reader.take(); }, "before it was read to the end");
    while (!reader.read(part)) {
      EXPECT_NEAR(reader.fraction(), double(calls * part) / 54, 1e-12);
      ++calls;
    }
    EXPECT_EQ(calls, int((54 + part - 1) / part)) << part;
    EXPECT_EQ(reader.fraction(), 1.0);
    const data::ImageSet back = reader.take();
    EXPECT_EQ(back.n, 9);
    EXPECT_EQ(back.height, 3);
    EXPECT_EQ(back.width, 2);
    EXPECT_EQ(back.pixels, set.pixels) << part;
    EXPECT_EQ(back.labels, set.labels) << part;
  }
  std::ifstream in(dir + "/a-images.idx", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write_text(dir + "/bad.idx", bytes.substr(0, bytes.size() - 1));
  expect_error([&] { data::IdxReader(dir + "/bad.idx", dir + "/a-labels.idx"); }, "truncated");
  expect_error([&] { data::IdxReader(dir + "/a-images.idx", dir + "/missing-labels.idx"); }, "missing-labels.idx");
}

// The oracle of the selections: the images of `classes` (all when empty), the first `keep` of them
// (all when negative), by a plain loop.
void plain_filter(const data::ImageSet& all, const std::vector<int>& classes, int keep, LargeVector<uint8_t>* pixels,
                  std::vector<uint8_t>* labels) {
  const int per = all.pixels_per_image();
  for (int i = 0; i < all.n && (keep < 0 || int(labels->size()) < keep); ++i)
    if (classes.empty() || std::count(classes.begin(), classes.end(), all.labels[i])) {
      pixels->insert(pixels->end(), all.pixels.begin() + i * per, all.pixels.begin() + (i + 1) * per);
      labels->push_back(all.labels[i]);
    }
}

// select() works in place: the kept images are those a plain filter keeps, in order.
TEST(ImageDataset, SelectKeepsWhatAPlainFilterKeeps) {
  const data::ImageSet all = small_set(9);
  for (const auto& [classes, keep] : {std::pair{std::vector<int>{}, -1}, {std::vector<int>{1}, -1},
                                      {std::vector<int>{0, 2}, 4}, {std::vector<int>{}, 5}}) {
    LargeVector<uint8_t> pixels;
    std::vector<uint8_t> labels;
    plain_filter(all, classes, keep, &pixels, &labels);
    const data::ImageSet kept = data::select(all, classes, keep);
    EXPECT_EQ(kept.n, int(labels.size()));
    EXPECT_EQ(kept.pixels, pixels);
    EXPECT_EQ(kept.labels, labels);
  }
}

// copy_selected() leaves its input alone and keeps what a plain filter keeps, at most at_most of
// them (more than match: all that match).
TEST(ImageDataset, CopySelectedKeepsWhatAPlainFilterKeeps) {
  const data::ImageSet all = small_set(9);
  for (const auto& [classes, at_most] : {std::pair{std::vector<int>{}, -1}, {std::vector<int>{1}, -1},
                                         {std::vector<int>{0, 2}, 4}, {std::vector<int>{}, 5},
                                         {std::vector<int>{2}, 1000}}) {
    LargeVector<uint8_t> pixels;
    std::vector<uint8_t> labels;
    plain_filter(all, classes, at_most, &pixels, &labels);
    const data::ImageSet kept = data::copy_selected(all, classes, at_most);
    EXPECT_EQ(kept.n, int(labels.size()));
    EXPECT_EQ(kept.width, all.width);
    EXPECT_EQ(kept.height, all.height);
    EXPECT_EQ(kept.pixels, pixels);
    EXPECT_EQ(kept.labels, labels);
  }
  EXPECT_EQ(all.n, 9);
  EXPECT_THROW(data::copy_selected(all, {7}, -1), Error);  // no image of class 7
  EXPECT_THROW(data::copy_selected(all, {}, 0), Error);
}

// A process's part of an IDX dataset (mpirun, DataRequest::Shard): only its rows are read, and they
// are rows [p n / P, (p + 1) n / P) of what select() keeps, with their labels.
TEST(Idx, APartReadsItsRowsOfTheSelection) {
  const std::string dir = temp_dir("idx-part");
  data::write_idx(dir + "/a-images.idx", dir + "/a-labels.idx", small_set(11));
  const data::ImageSet all = data::read_idx(dir + "/a-images.idx", dir + "/a-labels.idx");
  const int per = all.pixels_per_image();
  for (const auto& [classes, keep] : {std::pair{std::vector<int>{}, -1}, {std::vector<int>{1, 2}, -1},
                                      {std::vector<int>{0}, 3}, {std::vector<int>{}, 7}}) {
    const data::ImageSet kept = data::select(all, classes, keep);
    for (int parts : {1, 2, 3}) {
      LargeVector<uint8_t> pixels;
      std::vector<uint8_t> labels;
      for (int p = 0; p < parts; ++p) {
        int first = -1, total = -1;
        const data::ImageSet part = data::read_idx_rows(
            dir + "/a-images.idx", dir + "/a-labels.idx", classes, keep,
            [&](int count) { return std::pair<int, int>(count * p / parts, count * (p + 1) / parts); }, &first, &total);
        EXPECT_EQ(total, kept.n);
        EXPECT_EQ(first, kept.n * p / parts);
        EXPECT_EQ(part.n, kept.n * (p + 1) / parts - kept.n * p / parts);
        EXPECT_EQ(int(part.pixels.size()), part.n * per);
        pixels.insert(pixels.end(), part.pixels.begin(), part.pixels.end());
        labels.insert(labels.end(), part.labels.begin(), part.labels.end());
      }
      EXPECT_EQ(pixels, kept.pixels) << parts;
      EXPECT_EQ(labels, kept.labels) << parts;
    }
  }
  expect_error([&] { data::read_idx_rows(dir + "/a-images.idx", dir + "/a-labels.idx", {7}, -1,
                                         [](int count) { return std::pair<int, int>(0, count); }, nullptr, nullptr); },
               "selects no images");
}

// Pixels handed over to a training set (spread to the padded stride in place) give the set a copy
// of them gives, for shapes that need padding and shapes that do not.
TEST(ImageDataset, PixelsHandedToTheTrainingSetEqualACopy) {
  for (const auto& [n, d] : {std::pair{9, 6}, {32, 16}, {17, 35}}) {
    std::vector<uint8_t> pixels(size_t(n) * d);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(i * 37 % 251);
    const TrainingSet copied(pixels.data(), n, d, 1.0f / 255.0f);
    ThreadPool pool(2);
    const TrainingSet taken(LargeVector<uint8_t>(pixels.begin(), pixels.end()), n, d, 1.0f / 255.0f, &pool);
    ASSERT_EQ(taken.stride(), copied.stride());
    for (size_t i = 0; i < size_t(copied.n_padded()) * copied.stride(); ++i)
      ASSERT_EQ(taken.rows_u8()[i], copied.rows_u8()[i]) << i;
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(taken.norms_sq()[i], copied.norms_sq()[i]);
      double expected = 0;  // float64 oracle of |x'_i|^2
      for (int k = 0; k < d; ++k) {
        const double v = double(pixels[size_t(i) * d + k] / 255.0f - copied.mean()[k]);
        expected += v * v;
      }
      EXPECT_NEAR(copied.norms_sq()[i], expected, 1e-5 * (1 + expected));
    }
    EXPECT_EQ(taken.mean(), copied.mean());
  }
  EXPECT_THROW(TrainingSet(LargeVector<uint8_t>(5), 2, 3, 1.0f), Error);
}

TEST(FashionJson, ParsesSkipsEmptyEntriesAndRejectsMalformed) {
  const std::string dir = temp_dir("json");
  std::string image = "[";
  for (int i = 0; i < 784; ++i) image += std::to_string(i % 256) + (i < 783 ? "," : "]");
  write_text(dir + "/ok.json", "{\"data\": [" + image + ", [], " + image + "]}\n");
  const data::ImageSet set = data::read_fashion_mnist_json(dir + "/ok.json", 4);
  EXPECT_EQ(set.n, 2);
  EXPECT_EQ(set.skipped, 1);
  EXPECT_EQ(set.pixels[783], 783 % 256);
  EXPECT_EQ(set.labels, std::vector<uint8_t>({4, 4}));
  write_text(dir + "/short.json", "{\"data\": [[1,2,3]]}");
  expect_error([&] { data::read_fashion_mnist_json(dir + "/short.json", 0); }, "has 3 pixels");
  write_text(dir + "/big.json", "{\"data\": [[256" + image.substr(image.find(',')) + "]}");
  expect_error([&] { data::read_fashion_mnist_json(dir + "/big.json", 0); }, "0-255");
  write_text(dir + "/trailing.json", "{\"data\": [" + image + "]} x");
  expect_error([&] { data::read_fashion_mnist_json(dir + "/trailing.json", 0); }, "after the JSON");
  write_text(dir + "/other.json", "{\"images\": []}");
  expect_error([&] { data::read_fashion_mnist_json(dir + "/other.json", 0); }, "expected {\"data\"");
}

void write_png(const std::string& path, int w, int h, int channels, const std::vector<uint8_t>& pixels) {
  ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, channels, pixels.data(), w * channels));
}

TEST(PngFolder, NativeSizeResizeAndErrors) {
  const std::string dir = temp_dir("png");
  // 4 x 4 grey image of 2 x 2 blocks (10, 20 / 30, 40): resized to 2 x 2 gives the block values.
  std::vector<uint8_t> blocks(16);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) blocks[y * 4 + x] = uint8_t(10 + 10 * (x / 2) + 20 * (y / 2));
  write_png(dir + "/a.png", 4, 4, 1, blocks);
  write_png(dir + "/b.png", 4, 4, 1, std::vector<uint8_t>(16, 200));
  const data::ImageSet native = data::read_png_folder(dir, 0, false);
  EXPECT_EQ(native.n, 2);
  EXPECT_EQ(native.height, 4);
  EXPECT_EQ(std::vector<uint8_t>(native.pixels.begin(), native.pixels.begin() + 16), blocks);
  const data::ImageSet small = data::read_png_folder(dir, 2, false);
  EXPECT_EQ(std::vector<uint8_t>(small.pixels.begin(), small.pixels.begin() + 4),
            std::vector<uint8_t>({10, 20, 30, 40}));
  const data::ImageSet colour = data::read_png_folder(dir, 2, true);
  EXPECT_EQ(colour.channels, 3);
  EXPECT_EQ(colour.pixels.size(), 2u * 2 * 2 * 3);
  write_png(dir + "/c.png", 6, 5, 1, std::vector<uint8_t>(30, 1));
  expect_error([&] { data::read_png_folder(dir, 0, false); }, "--image-size");
  EXPECT_EQ(data::read_png_folder(dir, 3, false).n, 3);
  write_text(dir + "/d.png", "not a png at all");
  expect_error([&] { data::read_png_folder(dir, 3, false); }, "not a readable PNG");
  expect_error([&] { data::read_png_folder(temp_dir("empty"), 3, false); }, "no .png");
}

// Each class written alone (what the app fetches for one class) holds that class's images of the
// whole set, in its order: the app's selection of them from either file gives the same images.
TEST(ImageDataset, EachClassAloneHoldsItsImagesInTheSetsOrder) {
  const std::string dir = temp_dir("classes");
  const data::ImageSet set = small_set(11);  // labels 0, 1, 2, 0, ...
  EXPECT_EQ(data::write_class_files(dir, "mnist", set), 3);
  for (int c = 0; c < data::kImageClasses; ++c) {
    const std::string name = data::class_dataset_name("mnist", c);
    ASSERT_EQ(data::image_dataset_prepared(name, dir), c < 3) << name;
    if (c >= 3) continue;
    const data::ImageSet alone = data::load_image_dataset(name, dir);
    const data::ImageSet expected = data::copy_selected(set, {c}, -1);
    EXPECT_EQ(alone.n, c == 0 ? 4 : c == 1 ? 4 : 3);
    EXPECT_EQ(alone.pixels, expected.pixels) << name;
    EXPECT_EQ(alone.labels, expected.labels) << name;
    EXPECT_EQ(data::copy_selected(alone, {c}, 2).pixels, data::copy_selected(set, {c}, 2).pixels);
  }
  EXPECT_EQ(data::class_dataset_name("fashion-mnist", 7), "fashion-mnist-class-7");
  EXPECT_FALSE(data::image_dataset_prepared("mnist", dir)) << "only the classes were written";
}

TEST(ImageDataset, ClassFilterAndDataDir) {
  const std::string dir = temp_dir("dataset");
  data::write_idx(dir + "/mnist-images.idx", dir + "/mnist-labels.idx", small_set(9));
  data::DataRequest request;
  request.spec = "mnist";
  request.data_dir = dir;
  request.classes = {2};
  const data::Dataset two = data::load_dataset(request);
  EXPECT_EQ(two.images.n, 3);
  EXPECT_TRUE(two.is_image());
  const TrainingSet train = data::make_training_set(two);
  EXPECT_EQ(train.n(), 3);
  EXPECT_EQ(train.dim(), 6);
  EXPECT_NE(train.rows_u8(), nullptr);
  EXPECT_FLOAT_EQ(train.coordinate(0, 0), (2 * 6 * 7 % 256) / 255.0f);
  request.classes = {7};
  expect_error([&] { data::load_dataset(request); }, "selects no images");
  request.classes = {1, 2};
  request.n_train = 7;
  expect_error([&] { data::load_dataset(request); }, "fewer than --n-train");
  request.spec = "fashion-mnist";
  expect_error([&] { data::load_dataset(request); }, "not prepared");
  EXPECT_EQ(data::parse_classes("3,5"), std::vector<int>({3, 5}));
  expect_error([] { data::parse_classes("3,x"); }, "not a class label");
  expect_error([] { data::parse_classes("3,,5"); }, "not a class label");
}

}  // namespace
}  // namespace cfdm::test

#include <Eigen/QR>

#include "data/pca.hpp"

namespace cfdm::test {
namespace {

// Data mean + z A^T with A (d x k) orthonormal and z of decreasing variances: the fitted
// components span A's columns, keep all the variance, and round-trip points of that span.
TEST(Pca, RecoversKnownComponentsAndRoundTrips) {
  const int n = 3000, d = 12, k = 3;
  Rng rng(11, 12);
  Eigen::MatrixXd random(d, k);
  for (int i = 0; i < d * k; ++i) random.data()[i] = rng.normal();
  const Eigen::MatrixXd basis =
      Eigen::HouseholderQR<Eigen::MatrixXd>(random).householderQ() * Eigen::MatrixXd::Identity(d, k);
  Eigen::RowVectorXd mean(d);
  for (int c = 0; c < d; ++c) mean(c) = c * 0.5;
  MatrixXfR x(n, d);
  for (int i = 0; i < n; ++i) {
    Eigen::RowVectorXd z(k);
    for (int j = 0; j < k; ++j) z(j) = (3.0 - j) * rng.normal();
    x.row(i) = (mean + z * basis.transpose()).cast<float>();
  }
  const TrainingSet train(x);
  const data::Pca pca(train, k);
  EXPECT_NEAR(pca.explained_variance(), 1.0, 1e-6);
  EXPECT_NEAR(pca.eigenvalues()[0] / pca.eigenvalues()[2], 9.0, 1.0);  // variances 9 : 4 : 1
  // Same subspace: the projector of the recovered components equals A A^T.
  const MatrixXfR identity = MatrixXfR::Identity(d, d);
  const MatrixXfR projected =
      pca.decode(pca.encode(MatrixXfR(identity.rowwise() + mean.cast<float>()))).rowwise() - mean.cast<float>();
  EXPECT_LT((projected.cast<double>() - basis * basis.transpose()).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_LT((pca.decode(pca.encode(x)) - x).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_LT((pca.decode(pca.encode(train)) - x).cwiseAbs().maxCoeff(), 1e-4);
  const data::Pca smaller(train, 1);
  EXPECT_NEAR(smaller.explained_variance(), 9.0 / 14.0, 0.03);
  EXPECT_THROW(data::Pca(train, 13), Error);
  EXPECT_THROW(data::Pca(train, 0), Error);
  EXPECT_THROW(pca.decode(MatrixXfR::Zero(2, 4)), Error);
}

}  // namespace
}  // namespace cfdm::test

#include "data/files.hpp"

namespace cfdm::test {
namespace {

// A PNG signature and IHDR chunk for a width x height grey image, then `rest` (CRCs are zero:
// stb_image does not check them).
std::string png_header(uint32_t width, uint32_t height, const std::string& rest) {
  auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(width) + be32(height) +
         std::string("\x08\x00\x00\x00\x00", 5) + be32(0) + rest;
}

// Regressions found by the fuzzers (tests/fuzz/corpus/*/regression-*).
TEST(FuzzRegressions, EmptyNpyArray) {
  const std::string npy = std::string("\x93NUMPY\x01\x00", 8) + std::string("\x76\x00", 2) +
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }" + std::string(58, ' ') + "\n";
  const data::Array array = data::parse_npy(npy, "empty.npy");
  EXPECT_EQ(array.shape, (std::vector<int64_t>{0, 2}));
  EXPECT_TRUE(array.values.empty());
}

TEST(FuzzRegressions, PngChunksThatClaimMoreThanTheFileAreRefused) {
  data::ImageSet set;
  std::string first;
  // An IDAT chunk that claims a gigabyte in a 60-byte file.
  const std::string bomb = png_header(4, 4, std::string("\x40\x00\x00\x00IDAT", 8) + std::string(8, '\0'));
  try {
    data::add_png(&set, bomb, "bomb.png", 0, &first);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("claims 1073741824 bytes"), std::string::npos) << e.what();
  }
  // Sides beyond the limit are refused before decoding.
  try {
    data::add_png(&set, png_header(5000, 1, ""), "wide.png", 0, &first);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("5000 x 1 pixels; images up to 4096 x 4096"), std::string::npos) << e.what();
  }
  EXPECT_EQ(set.n, 0);
}

// A pool shares the covariance's blocks and the encoding's rows: the same components, latents and
// scatter bits on every thread count (5,000 rows: five blocks, waves of 2, 3 and 4 with a ragged
// last one), and the scatter agrees with a float64 sum of outer products.
TEST(Pca, TheSameComponentsOnEveryThreadCount) {
  const int n = 5000, d = 20;
  Rng rng(5, 6);
  MatrixXfR x(n, d);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) x(i, c) = float((1 + c % 4) * rng.normal() + 0.1 * c);
  const TrainingSet train(x);
  int summed = 0;
  const Eigen::MatrixXd scatter = centered_scatter(train, 1, &summed);
  ASSERT_EQ(summed, n);
  Eigen::MatrixXd oracle = Eigen::MatrixXd::Zero(d, d);
  for (int i = 0; i < n; ++i) {
    Eigen::VectorXd centered(d);
    for (int c = 0; c < d; ++c) centered(c) = double(x(i, c)) - double(train.mean()[size_t(c)]);
    oracle += centered * centered.transpose();
  }
  EXPECT_LT((scatter - oracle).cwiseAbs().maxCoeff(), 1e-4 * oracle.cwiseAbs().maxCoeff());
  const data::Pca serial(train, 6);
  const MatrixXfR latents = serial.encode(train);
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    int pooled_summed = 0;
    EXPECT_TRUE(centered_scatter(train, 1, &pooled_summed, &pool) == scatter) << threads << " threads";
    EXPECT_TRUE(centered_scatter(train, 3, &pooled_summed, &pool) == centered_scatter(train, 3, &summed));
    EXPECT_EQ(pooled_summed, summed);
    const data::Pca pooled(train, 6, &pool);
    EXPECT_EQ(pooled.eigenvalues(), serial.eigenvalues()) << threads << " threads";
    EXPECT_TRUE(pooled.decode(MatrixXfR::Identity(6, 6)) == serial.decode(MatrixXfR::Identity(6, 6)));
    EXPECT_TRUE(pooled.encode(train, &pool) == latents) << threads << " threads";
  }
}

}  // namespace
}  // namespace cfdm::test
