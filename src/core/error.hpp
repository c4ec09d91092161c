// cfdm: errors raised by the library. Every message names the problem and, where one exists, the fix.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cfdm {

// Thrown for invalid input (bad parameters, malformed files, non-finite values).
// Front ends print what() and exit non-zero; the library never aborts on bad input.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Input as a message may show it: at most about max_chars characters (a longer text keeps its
// head and its tail around "..."), every byte that is not printable ASCII or part of well-formed
// UTF-8 (control bytes, terminal escapes, C1 controls, broken sequences) written as \xNN. Whatever
// a file or a page sends, the message that quotes it is short and safe to print.
std::string printable(std::string_view input, size_t max_chars = 40);
// The same in single quotes: 'input'.
inline std::string in_quotes(std::string_view input, size_t max_chars = 40) {
  return "'" + printable(input, max_chars) + "'";
}

}  // namespace cfdm
