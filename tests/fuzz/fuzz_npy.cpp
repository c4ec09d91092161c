// Fuzzes the .npy parser: any bytes give an array whose values fill its shape, or a cfdm::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "data/files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const cfdm::data::Array array =
        cfdm::data::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    int64_t count = 1;
    for (int64_t dim : array.shape) {
      if (dim < 0) std::abort();
      count *= dim;
    }
    if (count != int64_t(array.values.size())) std::abort();
  } catch (const cfdm::Error&) {
  }
  return 0;
}
