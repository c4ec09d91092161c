// Resolving --data: a toy set's name, an image dataset (mnist, fashion-mnist), a folder of PNG
// images, or a .npy/.csv file of points.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/training_set.hpp"
#include "core/types.hpp"
#include "data/images.hpp"

namespace cfdm::data {

constexpr int kDefaultToyPoints = 1000;

struct DataRequest {
  std::string spec = "moons";
  int n_train = -1;          // < 0: toy default (kDefaultToyPoints) or all of a dataset/file; else the first n_train
  uint64_t seed = 0;         // toy generators
  std::vector<int> classes;  // image datasets: keep these labels only (empty: all)
  int image_size = 0;        // PNG folders: resize to image_size x image_size (0: keep, sizes must agree)
  bool rgb = false;          // PNG folders: keep colour
  std::string data_dir;      // prepared image datasets (empty: default_data_dir())
  // One part of the training set (a process of `mpirun -np P cfdm sample`): of the N points the
  // rest of the request selects, rows [index N / count, (index + 1) N / count), centred on the
  // whole set's mean through whole_sums (TrainingSet::WholeSums; null when count is 1).
  struct Shard {
    int index = 0, count = 1;
    TrainingSet::WholeSums whole_sums;
  } shard;
};

struct Dataset {
  MatrixXfR points;  // N x d points of a toy set or a CSV file
  // A .npy file, read straight into the training set's layout (points is then empty).
  std::shared_ptr<TrainingSet> train;
  ImageSet images;   // image datasets: uint8 pixels, values pixel / 255 in [0, 1]
  std::string note;  // what the reader assumed (a CSV's first line read as a header), else empty
  // A shard (DataRequest::Shard): which part of the whole set the points are (TrainingSet::Part).
  TrainingSet::Part part;
  bool is_image() const { return images.n > 0; }
  // The images' shape (H x W x C), or an empty shape for points.
  ImageShape image_shape() const {
    return is_image() ? ImageShape{images.height, images.width, images.channels} : ImageShape{};
  }
};

// A shard's rows of n: [index n / count, (index + 1) n / count). Throws cfdm::Error when a part
// would be empty (fewer points than parts).
std::pair<int, int> shard_rows(int n, const DataRequest::Shard& shard);

// The training set of a dataset; images keep their uint8 pixels (x = u / 255). The second form
// moves the data (a set already read from a .npy file, or the images' pixels) into the training
// set instead of copying them, with `pool`, when given, sharing the rest of the work.
TrainingSet make_training_set(const Dataset& dataset);
TrainingSet make_training_set(Dataset&& dataset, ThreadPool* pool = nullptr);

// `pool`, when given, shares the work of laying out a .npy file.
// Throws cfdm::Error naming the problem (unknown name, missing or malformed file, empty selection).
Dataset load_dataset(const DataRequest& request, ThreadPool* pool = nullptr);

// The points of a toy set or a .npy/.csv file (no images).
// *note as in read_matrix.
MatrixXfR load_training_data(const std::string& spec, int n_train, uint64_t seed, std::string* note = nullptr);

// Parses a class list "3,5,8" (labels 0-255). Throws cfdm::Error on anything else.
std::vector<int> parse_classes(const std::string& text);

}  // namespace cfdm::data
