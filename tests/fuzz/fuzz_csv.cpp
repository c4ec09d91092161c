// Fuzzes the CSV parser: any text gives a non-empty matrix, or a cfdm::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "data/files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const cfdm::MatrixXfR m = cfdm::data::parse_csv(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    if (m.rows() < 1 || m.cols() < 1) std::abort();
  } catch (const cfdm::Error&) {
  }
  return 0;
}
