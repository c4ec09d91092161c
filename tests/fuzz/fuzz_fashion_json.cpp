// Fuzzes the Fashion-MNIST conversion (its JSON class files): any text gives 28 x 28 images with
// their label, or a cfdm::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "data/images.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const cfdm::data::ImageSet set =
        cfdm::data::parse_fashion_mnist_json(std::string(reinterpret_cast<const char*>(data), size), 7, "0.json");
    if (set.n < 1 || set.pixels.size() != size_t(set.n) * 784 || set.labels.size() != size_t(set.n)) std::abort();
    for (uint8_t label : set.labels)
      if (label != 7) std::abort();
  } catch (const cfdm::Error&) {
  }
  return 0;
}
