#include "data/dataset.hpp"

#include <sys/stat.h>

#include <sstream>

#include "core/error.hpp"
#include "data/files.hpp"
#include "data/images.hpp"
#include "data/memory.hpp"
#include "data/toy.hpp"

namespace cfdm::data {
namespace {

bool is_directory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

Dataset from_images(ImageSet images) {
  Dataset out;
  out.images = std::move(images);
  return out;
}

}  // namespace

MatrixXfR load_training_data(const std::string& spec, int n_train, uint64_t seed, std::string* note) {
  if (is_toy(spec)) {
    const int n = n_train < 0 ? kDefaultToyPoints : n_train;
    // The points, the training set's copies of them and the sampler's working sets: about 8 copies.
    check_memory(uint64_t(std::max(n, 0)) * uint64_t(toy_dim(spec)) * sizeof(float) * 8, std::to_string(n) + " training points",
                 "choose fewer (--n-train)");
    return make_toy(spec, n, seed);
  }
  if (!has_extension(spec, ".npy") && !has_extension(spec, ".csv")) {
    if (file_exists(spec))
      throw Error(printable(spec, 80) + ": cfdm does not read this kind of file as training data: give a .npy or .csv file of "
                         "points (one per row) or a folder of .png images");
    return make_toy(spec, 1, seed);  // throws: unknown name, with the list of names
  }
  if (!file_exists(spec)) throw Error(printable(spec, 80) + ": no such file");
  MatrixXfR points = read_matrix(spec, note);
  if (n_train == 0) throw Error("n-train must be at least 1 (got 0)");
  if (n_train > points.rows())
    throw Error(printable(spec, 80) + " has " + std::to_string(points.rows()) + " points, fewer than --n-train " +
                std::to_string(n_train));
  if (n_train > 0) points.conservativeResize(n_train, Eigen::NoChange);
  return points;
}

std::pair<int, int> shard_rows(int n, const DataRequest::Shard& shard) {
  if (n < shard.count)
    throw Error("the training set has " + std::to_string(n) + " points, fewer than the " + std::to_string(shard.count) +
                " processes it is split over: use fewer processes (mpirun -np) or more points");
  return {int(int64_t(n) * shard.index / shard.count), int(int64_t(n) * (shard.index + 1) / shard.count)};
}

namespace {

// The whole dataset's rows, and this shard's part of them, kept in place.
Dataset keep_shard(Dataset out, const DataRequest::Shard& shard) {
  if (!shard.whole_sums) return out;
  out.part.whole_sums = shard.whole_sums;
  if (out.is_image()) {
    ImageSet& images = out.images;
    out.part.total_rows = images.n;
    const auto [lo, hi] = shard_rows(images.n, shard);
    const size_t per = size_t(images.pixels_per_image());
    images.pixels.erase(images.pixels.begin() + hi * per, images.pixels.end());
    images.pixels.erase(images.pixels.begin(), images.pixels.begin() + lo * per);
    if (!images.labels.empty()) {
      images.labels.erase(images.labels.begin() + hi, images.labels.end());
      images.labels.erase(images.labels.begin(), images.labels.begin() + lo);
    }
    images.n = hi - lo;
    out.part.first_row = lo;
  } else {
    out.part.total_rows = int(out.points.rows());
    const auto [lo, hi] = shard_rows(out.part.total_rows, shard);
    out.points = MatrixXfR(out.points.middleRows(lo, hi - lo));
    out.part.first_row = lo;
  }
  return out;
}

}  // namespace

Dataset load_dataset(const DataRequest& request, ThreadPool* pool) {
  const std::string& spec = request.spec;
  const DataRequest::Shard& shard = request.shard;
  // Options that only a folder of PNG images reads are refused elsewhere, not ignored.
  if ((request.image_size > 0 || request.rgb) && !is_directory(spec))
    throw Error(std::string(request.image_size > 0 ? "--image-size" : "--rgb") +
                " applies to a folder of PNG images only, and " + in_quotes(spec) +
                " is not one: leave it out (mnist and fashion-mnist images are 28 x 28, grey)");
  if (is_image_dataset(spec)) {
    const std::string dir = request.data_dir.empty() ? default_data_dir() : request.data_dir;
    if (!shard.whole_sums)
      return from_images(select(load_image_dataset(spec, dir), request.classes, request.n_train));
    // A part: only its images are read.
    const std::string prefix = prepared_dataset(spec, dir);
    Dataset out;
    out.part.whole_sums = shard.whole_sums;
    out.images = read_idx_rows(prefix + "-images.idx", prefix + "-labels.idx", request.classes, request.n_train,
                               [&](int count) { return shard_rows(count, shard); }, &out.part.first_row,
                               &out.part.total_rows);
    return out;
  }
  if (is_directory(spec))
    return keep_shard(
        from_images(select(read_png_folder(spec, request.image_size, request.rgb), request.classes, request.n_train)),
        shard);
  if (!request.classes.empty()) throw Error("--classes applies to mnist, fashion-mnist and labelled image data only");
  Dataset out;
  if (has_extension(spec, ".npy") && file_exists(spec)) {
    // Only this shard's rows are read.
    out.train = std::make_shared<TrainingSet>(read_npy_training_set(spec, request.n_train, pool, &shard));
    return out;
  }
  out.points = load_training_data(spec, request.n_train, request.seed, &out.note);
  return keep_shard(std::move(out), shard);
}

TrainingSet make_training_set(const Dataset& dataset) {
  if (dataset.train) return *dataset.train;
  if (!dataset.is_image()) return TrainingSet(dataset.points);
  const ImageSet& images = dataset.images;
  return TrainingSet(images.pixels.data(), images.n, images.pixels_per_image(), 1.0f / 255.0f);
}

TrainingSet make_training_set(Dataset&& dataset, ThreadPool* pool) {
  if (dataset.train) {
    TrainingSet train = std::move(*dataset.train);
    dataset.train.reset();
    return train;
  }
  if (!dataset.is_image()) return TrainingSet(dataset.points, pool, dataset.part);
  // The pixels become the training set's rows (no second copy of the images).
  ImageSet& images = dataset.images;
  const int n = images.n, d = images.pixels_per_image();
  images.n = 0;
  return TrainingSet(std::move(images.pixels), n, d, 1.0f / 255.0f, pool, dataset.part);
}

std::vector<int> parse_classes(const std::string& text) {
  std::vector<int> classes;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    char* end = nullptr;
    const long value = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || value < 0 || value > 255)
      throw Error("--classes: " + in_quotes(item) + " is not a class label (a whole number 0-255; e.g. --classes 3,5)");
    classes.push_back(int(value));
  }
  if (classes.empty()) throw Error("--classes needs at least one label (e.g. --classes 3,5)");
  return classes;
}

}  // namespace cfdm::data
