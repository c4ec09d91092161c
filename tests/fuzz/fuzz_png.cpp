// Fuzzes PNG folder input: the bytes are two files of one folder (the first byte says where they
// split; the second picks --image-size 0 or 1-64 and grey or RGB). The images are read one after
// another as read_png_folder does; every outcome is an image set of consistent size or a cfdm::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "data/images.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = rest.size() * data[0] / 255;
  const int image_size = (data[1] & 0x7f) % 65;
  cfdm::data::ImageSet set;
  set.channels = data[1] & 0x80 ? 3 : 1;
  std::string first;
  try {
    cfdm::data::add_png(&set, rest.substr(0, split), "folder/a.png", image_size, &first);
    cfdm::data::add_png(&set, rest.substr(split), "folder/b.png", image_size, &first);
  } catch (const cfdm::Error&) {
  }
  if (set.pixels.size() != size_t(set.n) * size_t(set.pixels_per_image())) std::abort();
  return 0;
}
