#include "data/files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "data/memory.hpp"

namespace cfdm::data {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) { throw Error(path + ": " + message); }

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
  // The text and what is parsed from it are in memory together: refuse a file that cannot fit.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0)
    check_memory(uint64_t(size) * 2, "reading " + path, "use a smaller file (or a float32 .npy, 3x smaller than CSV)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail(path, "read error");
  return buffer.str();
}

namespace {

// The value of key in a .npy header dict, e.g. 'descr': '<f4' -> '<f4'.
std::string header_field(const std::string& path, const std::string& header, const std::string& key) {
  const size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) fail(path, "not a valid .npy file (header has no '" + key + "')");
  size_t start = header.find(':', at);
  if (start == std::string::npos) fail(path, "not a valid .npy file (malformed header)");
  ++start;
  while (start < header.size() && header[start] == ' ') ++start;
  size_t end = start;
  if (start < header.size() && header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) fail(path, "not a valid .npy file (unclosed shape)");
    return header.substr(start + 1, end - start - 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  std::string value = header.substr(start, end - start);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) value = value.substr(1, value.size() - 2);
  return value;
}

std::vector<int64_t> parse_shape(const std::string& path, const std::string& text) {
  std::vector<int64_t> shape;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t first = item.find_first_not_of(" L");
    if (first == std::string::npos) continue;  // trailing comma of a 1-tuple
    item = item.substr(first);
    while (!item.empty() && (item.back() == ' ' || item.back() == 'L')) item.pop_back();
    char* end = nullptr;
    errno = 0;
    const long long dim = std::strtoll(item.c_str(), &end, 10);
    if (errno || end == item.c_str() || *end != '\0' || dim < 0)
      fail(path, "not a valid .npy file (bad shape entry '" + item + "')");
    shape.push_back(dim);
  }
  return shape;
}

uint32_t read_le(const unsigned char* p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool parse_number(const std::string& field, double* value) {
  size_t begin = field.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return false;
  size_t end = field.find_last_not_of(" \t\r");
  const std::string trimmed = field.substr(begin, end - begin + 1);
  char* stop = nullptr;
  *value = std::strtod(trimmed.c_str(), &stop);
  return stop != trimmed.c_str() && *stop == '\0';
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

void check_finite(const std::string& path, const MatrixXfR& m) {
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index k = 0; k < m.cols(); ++k)
      if (!std::isfinite(m(i, k)))
        fail(path, "value at row " + std::to_string(i) + ", column " + std::to_string(k) +
                       " is not finite: remove or replace NaN/Inf values");
}

}  // namespace

int64_t Array::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool has_extension(const std::string& path, const std::string& extension) {
  return path.size() >= extension.size() &&
         lowercase(path.substr(path.size() - extension.size())) == lowercase(extension);
}

bool file_exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

Array read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

Array parse_npy(const std::string& bytes, const std::string& path) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) fail(path, "not a .npy file (no \\x93NUMPY magic)");
  const int major = data[6];
  if (major < 1 || major > 3) fail(path, "unsupported .npy version " + std::to_string(major));
  const int length_bytes = major == 1 ? 2 : 4;
  const size_t header_start = 8 + length_bytes;
  if (bytes.size() < header_start) fail(path, "truncated .npy header");
  const size_t header_length = read_le(data + 8, length_bytes);
  if (bytes.size() < header_start + header_length) fail(path, "truncated .npy header");
  const std::string header = bytes.substr(header_start, header_length);

  const std::string descr = header_field(path, header, "descr");
  int item_size;
  if (descr == "<f4" || descr == "|f4")
    item_size = 4;
  else if (descr == "<f8" || descr == "|f8")
    item_size = 8;
  else
    fail(path, "dtype '" + descr + "' is not supported: save as little-endian float32 or float64 (arr.astype('<f4'))");
  if (header_field(path, header, "fortran_order") != "False")
    fail(path, "array is in Fortran order: save np.ascontiguousarray(arr) instead");
  Array array;
  array.shape = parse_shape(path, header_field(path, header, "shape"));

  const size_t payload = bytes.size() - header_start - header_length;
  int64_t count = 1;
  for (int64_t dim : array.shape) {
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / 8 / dim) fail(path, "shape is too large");
    count *= dim;
  }
  if (uint64_t(count) * item_size != payload)
    fail(path, "holds " + std::to_string(payload) + " data bytes but its shape needs " +
                   std::to_string(count * item_size) + " (truncated or corrupt file)");
  array.values.resize(count);
  const unsigned char* values = data + header_start + header_length;
  if (count == 0) {
    // An empty array: nothing to copy (and no buffer to copy into).
  } else if (item_size == 4) {
    std::memcpy(array.values.data(), values, payload);
  } else {
    for (int64_t i = 0; i < count; ++i) {
      double v;
      std::memcpy(&v, values + i * 8, 8);
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
        fail(path, "value " + std::to_string(v) + " at flat index " + std::to_string(i) + " overflows float32");
      array.values[i] = static_cast<float>(v);
    }
  }
  return array;
}

MatrixXfR read_csv(const std::string& path) { return parse_csv(read_file(path), path); }

MatrixXfR parse_csv(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::vector<float> values;
  int64_t columns = -1, rows = 0, line_number = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::vector<std::string> fields = split_fields(line);
    std::vector<double> row(fields.size());
    bool numeric = true;
    size_t bad = 0;
    for (size_t c = 0; c < fields.size() && numeric; ++c) {
      numeric = parse_number(fields[c], &row[c]);
      bad = c;
    }
    if (!numeric) {
      if (rows == 0 && columns < 0) {  // a header line
        columns = int64_t(fields.size());
        continue;
      }
      fail(path, "line " + std::to_string(line_number) + ", column " + std::to_string(bad + 1) + ": '" + fields[bad] +
                     "' is not a number");
    }
    if (columns >= 0 && int64_t(fields.size()) != columns)
      fail(path, "line " + std::to_string(line_number) + " has " + std::to_string(fields.size()) +
                     " values, expected " + std::to_string(columns) + " (every row needs the same number)");
    columns = int64_t(fields.size());
    for (double v : row) values.push_back(static_cast<float>(v));
    ++rows;
  }
  if (rows == 0) fail(path, "no numeric rows: a CSV needs one point per line, comma-separated");
  MatrixXfR matrix(rows, columns);
  std::memcpy(matrix.data(), values.data(), values.size() * sizeof(float));
  return matrix;
}

MatrixXfR read_matrix(const std::string& path) {
  MatrixXfR matrix;
  if (has_extension(path, ".npy")) {
    const Array array = read_npy(path);
    if (array.shape.size() != 2)
      fail(path, "expected a 2-D array (points x dimensions), got rank " + std::to_string(array.shape.size()));
    if (array.shape[0] < 1 || array.shape[1] < 1)
      fail(path, "array is empty (" + std::to_string(array.shape[0]) + " x " + std::to_string(array.shape[1]) + ")");
    if (array.shape[0] > std::numeric_limits<int>::max() || array.shape[1] > std::numeric_limits<int>::max())
      fail(path, "array is too large");
    matrix.resize(array.shape[0], array.shape[1]);
    std::memcpy(matrix.data(), array.values.data(), array.values.size() * sizeof(float));
  } else if (has_extension(path, ".csv")) {
    matrix = read_csv(path);
  } else {
    fail(path, "unknown file type: use .npy or .csv");
  }
  check_finite(path, matrix);
  return matrix;
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& writer) {
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, std::string("cannot write (") + std::strerror(errno) + ")");
    try {
      writer(out);
      out.flush();
    } catch (...) {
      out.close();
      std::remove(temporary.c_str());
      throw;
    }
    if (!out) {
      out.close();
      std::remove(temporary.c_str());
      fail(path, "write failed (disk full?)");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    fail(path, std::string("cannot move the output into place (") + std::strerror(errno) + ")");
  }
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* values) {
  std::string shape_text = "(";
  int64_t count = 1;
  for (int64_t dim : shape) {
    shape_text += std::to_string(dim) + ",";
    count *= dim;
  }
  if (shape.size() > 1) shape_text.pop_back();
  shape_text += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text + ", }";
  header.append(63 - (10 + header.size()) % 64, ' ');  // pad so the data starts 64-byte aligned
  header += '\n';
  write_file_atomic(path, [&](std::ostream& out) {
    out.write("\x93NUMPY\x01\x00", 8);
    const unsigned char length[2] = {static_cast<unsigned char>(header.size() & 0xff),
                                     static_cast<unsigned char>(header.size() >> 8)};
    out.write(reinterpret_cast<const char*>(length), 2);
    out << header;
    out.write(reinterpret_cast<const char*>(values), std::streamsize(count * sizeof(float)));
  });
}

void write_csv(const std::string& path, const MatrixXfR& matrix) {
  write_file_atomic(path, [&](std::ostream& out) {
    char buffer[32];
    for (Eigen::Index i = 0; i < matrix.rows(); ++i) {
      for (Eigen::Index k = 0; k < matrix.cols(); ++k) {
        std::snprintf(buffer, sizeof buffer, "%.9g", matrix(i, k));  // round-trips float32
        out << (k ? "," : "") << buffer;
      }
      out << '\n';
    }
  });
}

void write_matrix(const std::string& path, const MatrixXfR& matrix) {
  if (has_extension(path, ".npy"))
    write_npy(path, {matrix.rows(), matrix.cols()}, matrix.data());
  else if (has_extension(path, ".csv"))
    write_csv(path, matrix);
  else
    fail(path, "unknown output type: use .npy or .csv");
}

}  // namespace cfdm::data
