// Fuzzes the IDX parser: the input is split into an images file and a labels file (the first
// byte says where); the result holds n x height x width pixels and n labels, or is a cfdm::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "data/images.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = rest.size() * data[0] / 255;
  const std::string images = rest.substr(0, split), labels = rest.substr(split);
  try {
    const cfdm::data::ImageSet set = cfdm::data::parse_idx(images, "images.idx", &labels, "labels.idx");
    if (set.pixels.size() != size_t(set.n) * size_t(set.pixels_per_image()) || set.labels.size() != size_t(set.n))
      std::abort();
  } catch (const cfdm::Error&) {
  }
  return 0;
}
