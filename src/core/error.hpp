// cfdm: errors raised by the library. Every message names the problem and, where one exists, the fix.
#pragma once
#include <stdexcept>
#include <string>

namespace cfdm {

// Thrown for invalid input (bad parameters, malformed files, non-finite values).
// Front ends print what() and exit non-zero; the library never aborts on bad input.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace cfdm
