#include "data/prepare.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/images.hpp"

namespace cfdm::data {
namespace {

// Images listed by index, in that order.
ImageSet subset(const ImageSet& images, const std::vector<int>& order) {
  ImageSet out;
  out.height = images.height;
  out.width = images.width;
  out.channels = images.channels;
  const size_t per = size_t(images.pixels_per_image());
  for (int i : order) {
    out.pixels.insert(out.pixels.end(), images.pixels.begin() + i * per, images.pixels.begin() + (i + 1) * per);
    out.labels.push_back(images.labels[i]);
  }
  out.n = int(order.size());
  return out;
}

void shuffle(std::vector<int>* order, uint64_t seed) {
  Rng rng(seed, 0xfa5);
  for (size_t i = order->size(); i > 1; --i) std::swap((*order)[i - 1], (*order)[rng.uniform_index(uint32_t(i))]);
}

void write(const std::string& out_dir, const std::string& name, const ImageSet& set) {
  write_idx(out_dir + "/" + name + "-images.idx", out_dir + "/" + name + "-labels.idx", set);
  std::fprintf(stderr, "cfdm: wrote %s/%s-{images,labels}.idx (%d images, %d x %d)\n", out_dir.c_str(), name.c_str(),
               set.n, set.height, set.width);
}

}  // namespace

int write_class_files(const std::string& out_dir, const std::string& name, const ImageSet& set) {
  int written = 0;
  for (int c = 0; c < kImageClasses; ++c) {
    // (the app's own selection of the class: the same images in the same order)
    if (std::find(set.labels.begin(), set.labels.end(), uint8_t(c)) == set.labels.end()) continue;
    const ImageSet one = subset(set, selected_images(set.n, set.labels, {c}, -1));
    write_idx(out_dir + "/" + class_dataset_name(name, c) + "-images.idx",
              out_dir + "/" + class_dataset_name(name, c) + "-labels.idx", one);
    ++written;
  }
  std::fprintf(stderr, "cfdm: wrote %s/%s-class-{0..9}-{images,labels}.idx (each class alone)\n", out_dir.c_str(),
               name.c_str());
  return written;
}

void prepare_datasets(const std::string& mnist_dir, const std::string& fashion_dir, const std::string& out_dir) {
  ::mkdir(out_dir.c_str(), 0755);
  if (!mnist_dir.empty()) {
    const ImageSet train = read_idx(mnist_dir + "/train-images-idx3-ubyte", mnist_dir + "/train-labels-idx1-ubyte");
    write(out_dir, "mnist", train);
    write_class_files(out_dir, "mnist", train);
    write(out_dir, "mnist-test",
          read_idx(mnist_dir + "/t10k-images-idx3-ubyte", mnist_dir + "/t10k-labels-idx1-ubyte"));
  }
  if (!fashion_dir.empty()) {
    ImageSet all;
    all.height = all.width = 28;
    std::vector<int> train, test;
    for (int label = 0; label < 10; ++label) {
      const std::string path = fashion_dir + "/" + std::to_string(label) + ".json";
      const ImageSet one = read_fashion_mnist_json(path, uint8_t(label));
      if (one.skipped) std::fprintf(stderr, "cfdm: %s: skipped %d empty entries\n", path.c_str(), one.skipped);
      for (int i = 0; i < one.n; ++i) (i < 6000 ? train : test).push_back(all.n + i);
      all.pixels.insert(all.pixels.end(), one.pixels.begin(), one.pixels.end());
      all.labels.insert(all.labels.end(), one.labels.begin(), one.labels.end());
      all.n += one.n;
    }
    shuffle(&train, 0);
    shuffle(&test, 1);
    const ImageSet train_set = subset(all, train);
    write(out_dir, "fashion-mnist", train_set);
    write_class_files(out_dir, "fashion-mnist", train_set);
    write(out_dir, "fashion-mnist-test", subset(all, test));
  }
}

}  // namespace cfdm::data
