// Image datasets: uint8 images with labels, IDX files (MNIST's format, also used for our
// converted Fashion-MNIST), Fashion-MNIST's JSON, and folders of PNG images.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/large_vector.hpp"
#include "core/types.hpp"

namespace cfdm::data {

class InputFile;  // data/files.hpp

struct ImageSet {
  int n = 0, height = 0, width = 0, channels = 1;
  LargeVector<uint8_t> pixels;  // n x height x width x channels, row-major (huge pages for large sets)
  std::vector<uint8_t> labels;  // n class labels (empty when unlabelled)
  int skipped = 0;              // empty entries passed over while reading (Fashion-MNIST JSON)
  int pixels_per_image() const { return height * width * channels; }
};

// IDX (big-endian header, uint8 data): images idx3 (n x h x w) and labels idx1 (n).
ImageSet read_idx(const std::string& images_path, const std::string& labels_path);
// The same in parts, for a caller that must not stop for the whole file (the browser app without
// threads reads some megabytes a frame): the constructor checks the images file's header and size
// (before the labels file, as read_idx does), reserves the pixels and reads the labels (none when
// labels_path is empty); read() reads on; take() hands over the set once every pixel is read.
class IdxReader {
 public:
  IdxReader(const std::string& images_path, const std::string& labels_path);
  ~IdxReader();
  // Reads up to max_bytes more pixel bytes; true once all of them are read.
  bool read(size_t max_bytes);
  double fraction() const { return total_ == 0 ? 1.0 : double(set_.pixels.size()) / double(total_); }
  ImageSet take();  // throws cfdm::Error before read() has returned true

 private:
  std::unique_ptr<InputFile> file_;
  ImageSet set_;      // its pixels: those read so far
  size_t total_ = 0;  // pixel bytes in the file
};
// The same from the files' bytes (labels may be null); the names appear in error messages.
ImageSet parse_idx(const std::string& images, const std::string& images_name, const std::string* labels,
                   const std::string& labels_name);
void add_idx_labels(ImageSet* set, const std::string& labels, const std::string& labels_name);
void write_idx(const std::string& images_path, const std::string& labels_path, const ImageSet& images);

// One Fashion-MNIST class file, {"data": [[784 values 0-255], ...]}; every image gets `label`.
// Empty entries ([]) are skipped and counted in `skipped`; any other length is an error.
ImageSet read_fashion_mnist_json(const std::string& path, uint8_t label);
ImageSet parse_fashion_mnist_json(const std::string& text, uint8_t label, const std::string& name);

// Every .png in a folder (sorted by name), grey or RGB. size > 0: each resized to size x size
// (area average); size == 0: native sizes, which must all agree. Throws cfdm::Error for an empty
// folder, an unreadable file, or mixed sizes without a size.
ImageSet read_png_folder(const std::string& folder, int size, bool rgb);
// Decodes one PNG (bytes; path names it) into *set, as read_png_folder does for each file: set
// fixes channels; the first image fixes the size (*first records its name). Sides above
// kMaxImageSide are refused before decoding.
constexpr int kMaxImageSide = 4096;
void add_png(ImageSet* set, const std::string& bytes, const std::string& path, int size, std::string* first);

// Keeps the images whose label is in classes (all when empty), then the first n_keep (all when
// n_keep < 0). Throws cfdm::Error when nothing is left.
ImageSet select(ImageSet images, const std::vector<int>& classes, int n_keep);
// A new set of the images whose label is in classes (all when empty), at most the first at_most
// of them (all when negative): copies of those images only, the whole set not copied first (the
// app keeps a dataset and takes a class of it for each run). Throws when nothing is kept.
ImageSet copy_selected(const ImageSet& images, const std::vector<int>& classes, int at_most);
// The indices of the images select keeps, of n with these labels (empty: unlabelled).
std::vector<int> selected_images(int n, const std::vector<uint8_t>& labels, const std::vector<int>& classes,
                                 int n_keep);
// Of the images select would keep from an IDX file, only rows part(count) = [lo, hi) of them, read
// from the file (the labels file is read whole); *first = lo, *total = count.
ImageSet read_idx_rows(const std::string& images_path, const std::string& labels_path, const std::vector<int>& classes,
                       int n_keep, const std::function<std::pair<int, int>(int)>& part, int* first, int* total);

// Images as an n x (h w c) float matrix with values in [0, 1].
MatrixXfR to_matrix(const ImageSet& images);

// The built-in image datasets, prepared in data_dir by `cfdm prepare-data`.
bool is_image_dataset(const std::string& name);
// Their labels: classes 0 .. kImageClasses - 1.
constexpr int kImageClasses = 10;
// The name of one class of a built-in dataset prepared alone ("mnist-class-3"): a dataset of its
// own to load_image_dataset and open_image_dataset.
std::string class_dataset_name(const std::string& name, int image_class);
// Whether data_dir holds the prepared dataset `name` (a built-in one or one of its classes).
bool image_dataset_prepared(const std::string& name, const std::string& data_dir);
ImageSet load_image_dataset(const std::string& name, const std::string& data_dir);
// The same dataset's files opened for reading in parts.
std::unique_ptr<IdxReader> open_image_dataset(const std::string& name, const std::string& data_dir);
// The prepared dataset's path prefix (PREFIX-images.idx, PREFIX-labels.idx). Throws cfdm::Error
// when it is not prepared.
std::string prepared_dataset(const std::string& name, const std::string& data_dir);
std::string default_data_dir();  // $CFDM_DATA_DIR, else the build's data folder

}  // namespace cfdm::data
