#include "core/error.hpp"

#include <cstdio>

namespace cfdm {
namespace {

// Length of the well-formed UTF-8 sequence at text[i] that prints (no C1 controls), or 0.
size_t printable_utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  const unsigned lead = byte(i);
  size_t length = 0;
  unsigned low = 0x80, high = 0xbf;  // the second byte's range (narrower for some leads)
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    if (lead == 0xc2) low = 0xa0;  // U+0080..U+009F are C1 control characters
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return length;
}

// Appends text[begin, end) with non-printable bytes escaped.
void append_escaped(std::string_view text, size_t begin, size_t end, std::string* out) {
  for (size_t i = begin; i < end;) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      *out += char(c);
      ++i;
      continue;
    }
    const size_t length = printable_utf8_length(text, i);
    if (length > 0 && i + length <= end) {
      out->append(text.substr(i, length));
      i += length;
      continue;
    }
    char escape[8];
    std::snprintf(escape, sizeof escape, "\\x%02x", unsigned(c));
    *out += escape;
    ++i;
  }
}

// A cut at byte i that does not split a UTF-8 sequence (moves back over continuation bytes).
size_t boundary(std::string_view text, size_t i) {
  size_t k = i;
  while (k > 0 && k < text.size() && (static_cast<unsigned char>(text[k]) & 0xc0) == 0x80 && i - k < 3) --k;
  return k;
}

}  // namespace

std::string printable(std::string_view input, size_t max_chars) {
  std::string out;
  if (max_chars < 16) max_chars = 16;
  if (input.size() <= max_chars) {
    append_escaped(input, 0, input.size(), &out);
    return out;
  }
  const size_t tail = max_chars / 4;
  const size_t head_end = boundary(input, max_chars - tail - 3);
  const size_t tail_begin = boundary(input, input.size() - tail);
  append_escaped(input, 0, head_end, &out);
  out += "...";
  append_escaped(input, tail_begin, input.size(), &out);
  return out;
}

}  // namespace cfdm
