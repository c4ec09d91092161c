#include "data/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <streambuf>

#include "core/error.hpp"
#include "core/training_set.hpp"
#include "data/memory.hpp"

namespace cfdm::data {
namespace {

// A path is input too: shown escaped and at most 80 characters long.
[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw Error(printable(path, 80) + ": " + message);
}

}  // namespace

InputFile::InputFile(const std::string& path) : path_(path) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
    fail(path, S_ISDIR(info.st_mode) ? "is a folder, not a file" : "is not a regular file (a device or a pipe?)");
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
}

InputFile::~InputFile() { ::close(fd_); }

uint64_t InputFile::size() const {
  struct stat info;
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) fail(path_, "is not a regular file");
  return uint64_t(info.st_size);
}

void InputFile::read_at(uint64_t offset, void* out, size_t bytes) const {
  auto* to = static_cast<char*>(out);
  while (bytes > 0) {
    const ssize_t got = ::pread(fd_, to, std::min<size_t>(bytes, size_t(1) << 30), off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      fail(path_, got < 0 ? std::string("read error (") + std::strerror(errno) + ")"
                          : "read error (the file changed while it was read?)");
    to += got, offset += uint64_t(got), bytes -= size_t(got);
  }
}

std::string read_file(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
    fail(path, S_ISDIR(info.st_mode) ? "is a folder, not a file" : "is not a regular file (a device or a pipe?)");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
  // The text and what is parsed from it are in memory together: refuse a file that cannot fit.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) {
    check_memory(uint64_t(size) * 2, "reading " + path, "use a smaller file (or a float32 .npy, 3x smaller than CSV)");
    // One read into a string of the file's size (a stream copy grows and copies its buffer, and in
    // WebAssembly each of its small reads is a call out to JavaScript: 3 s for MNIST's 47 MB).
    std::string bytes(static_cast<size_t>(size), '\0');
    in.read(&bytes[0], size);
    if (in.gcount() != size || in.bad()) fail(path, "read error (the file changed while it was read?)");
    return bytes;
  }
  std::ostringstream buffer;  // a size the stream does not tell: read to the end
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
      fail(path, "not a valid .npy file (bad shape entry " + in_quotes(item) + ")");
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

namespace {

// What a .npy header says: the shape, the size of one value (4 or 8) and where the values start.
struct NpyLayout {
  std::vector<int64_t> shape;
  int item_size = 4;
  uint64_t data_offset = 0;
  int64_t count = 1;  // values the shape holds
};

// The layout from the file's first bytes (`prefix`, which must hold the header) and its size;
// checks that the file holds exactly the values its shape needs.
NpyLayout parse_npy_layout(const unsigned char* data, size_t prefix, uint64_t file_size, const std::string& path) {
  if (prefix < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) fail(path, "not a .npy file (no \\x93NUMPY magic)");
  const int major = data[6];
  if (major < 1 || major > 3) fail(path, "unsupported .npy version " + std::to_string(major));
  const int length_bytes = major == 1 ? 2 : 4;
  const size_t header_start = 8 + length_bytes;
  if (prefix < header_start) fail(path, "truncated .npy header");
  const size_t header_length = read_le(data + 8, length_bytes);
  if (prefix < header_start + header_length) fail(path, "truncated .npy header");
  const std::string header(reinterpret_cast<const char*>(data) + header_start, header_length);

  NpyLayout layout;
  const std::string descr = header_field(path, header, "descr");
  if (descr == "<f4" || descr == "|f4")
    layout.item_size = 4;
  else if (descr == "<f8" || descr == "|f8")
    layout.item_size = 8;
  else
    fail(path, "dtype " + in_quotes(descr) +
                   " is not supported: save as little-endian float32 or float64 (arr.astype('<f4'))");
  if (header_field(path, header, "fortran_order") != "False")
    fail(path, "array is in Fortran order: save np.ascontiguousarray(arr) instead");
  layout.shape = parse_shape(path, header_field(path, header, "shape"));
  layout.data_offset = header_start + header_length;

  const uint64_t payload = file_size - layout.data_offset;
  for (int64_t dim : layout.shape) {
    if (dim != 0 && layout.count > std::numeric_limits<int64_t>::max() / 8 / dim) fail(path, "shape is too large");
    layout.count *= dim;
  }
  if (uint64_t(layout.count) * layout.item_size != payload)
    fail(path, "holds " + std::to_string(payload) + " data bytes but its shape needs " +
                   std::to_string(layout.count * layout.item_size) + " (truncated or corrupt file)");
  return layout;
}

// float64 values as float32, refusing one that does not fit.
void narrow(const unsigned char* values, int64_t count, int64_t first_index, float* out, const std::string& path) {
  for (int64_t i = 0; i < count; ++i) {
    double v;
    std::memcpy(&v, values + i * 8, 8);
    if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
      fail(path, "value " + std::to_string(v) + " at flat index " + std::to_string(first_index + i) +
                     " overflows float32");
    out[i] = static_cast<float>(v);
  }
}

// The points x shape of a matrix file, checked as read_matrix checks it.
void check_matrix_shape(const std::vector<int64_t>& shape, const std::string& path) {
  if (shape.size() != 2)
    fail(path, "expected a 2-D array (points x dimensions), got rank " + std::to_string(shape.size()));
  if (shape[0] < 1 || shape[1] < 1)
    fail(path, "array is empty (" + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) + ")");
  if (shape[0] > std::numeric_limits<int>::max() || shape[1] > std::numeric_limits<int>::max())
    fail(path, "array is too large");
}

// Rows [lo, hi) of a .npy file into a training set.
TrainingSet read_npy_rows(const InputFile& file, const NpyLayout& layout, const std::string& path, int lo, int hi,
                          ThreadPool* pool, const TrainingSet::Part& part) {
  const int n = hi - lo, d = int(layout.shape[1]);
  std::vector<unsigned char> wide;  // float64 files: one slice at a time
  return TrainingSet(n, d, [&](int first, int count, float* out, int stride) {
    first += lo;
    const uint64_t offset = layout.data_offset + uint64_t(first) * d * layout.item_size;
    const size_t values = size_t(count) * d;
    if (layout.item_size == 4) {
      file.read_at(offset, out, values * 4);
    } else {
      wide.resize(values * 8);
      file.read_at(offset, wide.data(), wide.size());
      narrow(wide.data(), int64_t(values), int64_t(first) * d, out, path);
    }
    // A part starting inside the file names a bad value by its row in the file (the training set
    // would count from the part's first row).
    for (size_t v = 0; lo > 0 && v < values; ++v)
      if (!std::isfinite(out[v]))
        throw Error(printable(path, 80) + ": row " + std::to_string(first + int64_t(v) / d) + ", column " +
                    std::to_string(int64_t(v) % d) + " is not finite (" + std::to_string(out[v]) +
                    "): remove or replace NaN/Inf values");
    spread_rows(out, count, d, stride);  // read back to back
  }, pool, part);
}

}  // namespace

Array parse_npy(const std::string& bytes, const std::string& path) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const NpyLayout layout = parse_npy_layout(data, bytes.size(), bytes.size(), path);
  Array array;
  array.shape = layout.shape;
  array.values.resize(layout.count);
  const unsigned char* values = data + layout.data_offset;
  if (layout.count == 0) {
    // An empty array: nothing to copy (and no buffer to copy into).
  } else if (layout.item_size == 4) {
    std::memcpy(array.values.data(), values, size_t(layout.count) * 4);
  } else {
    narrow(values, layout.count, 0, array.values.data(), path);
  }
  return array;
}

TrainingSet read_npy_training_set(const std::string& path, int n_train, ThreadPool* pool,
                                  const DataRequest::Shard* shard) {
  const InputFile file(path);
  const uint64_t size = file.size();
  // The header: its length is in the first 12 bytes; real headers are well under a kilobyte.
  std::vector<unsigned char> head(size_t(std::min<uint64_t>(size, 12)));
  file.read_at(0, head.data(), head.size());
  if (head.size() >= 10 && std::memcmp(head.data(), "\x93NUMPY", 6) == 0 && head[6] >= 1 && head[6] <= 3) {
    const size_t length = 8 + (head[6] == 1 ? 2 : 4) + read_le(head.data() + 8, head[6] == 1 ? 2 : 4);
    if (length > (size_t(1) << 20)) fail(path, "not a valid .npy file (a header of " + std::to_string(length) + " bytes)");
    head.resize(size_t(std::min<uint64_t>(size, length)));
    file.read_at(0, head.data(), head.size());
  }
  const NpyLayout layout = parse_npy_layout(head.data(), head.size(), size, path);
  check_matrix_shape(layout.shape, path);
  const int rows = int(layout.shape[0]), d = int(layout.shape[1]);
  if (n_train == 0) throw Error("n-train must be at least 1 (got 0)");
  if (n_train > rows)
    throw Error(printable(path, 80) + " has " + std::to_string(rows) + " points, fewer than --n-train " +
                std::to_string(n_train));
  const int whole = n_train > 0 ? n_train : rows;
  const auto [lo, hi] = shard ? shard_rows(whole, *shard) : std::pair<int, int>(0, whole);
  const int n = hi - lo;
  check_memory(TrainingSet::memory_bytes_for(n, d, false),
               shard && shard->count > 1 ? "this process's part of the training set of " + path + " (" +
                                               std::to_string(n) + " of " + std::to_string(whole) + " points)"
                                         : "the training set of " + path,
               shard && shard->count > 1 ? "use more processes (mpirun -np), fewer points (--n-train) or more memory"
                                         : "use fewer points (--n-train), a smaller file, or split it over processes "
                                           "(mpirun -np P cfdm sample, README: More data than one machine)");
  TrainingSet::Part part;
  if (shard && shard->whole_sums) part = TrainingSet::Part{lo, whole, shard->whole_sums};
  return read_npy_rows(file, layout, path, lo, hi, pool, part);
}

MatrixXfR read_csv(const std::string& path, std::string* note) { return parse_csv(read_file(path), path, note); }

MatrixXfR parse_csv(const std::string& input, const std::string& path, std::string* note) {
  // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first value.
  const bool bom = input.compare(0, 3, "\xEF\xBB\xBF") == 0;
  std::istringstream in(bom ? input.substr(3) : input);
  std::vector<float> values;
  int64_t columns = -1, rows = 0, line_number = 0;
  std::string line;
  const auto where = [&](size_t column) {
    return "line " + std::to_string(line_number) + ", column " + std::to_string(column + 1);
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::vector<std::string> fields = split_fields(line);
    std::vector<double> row(fields.size());
    size_t numbers = 0, first_bad = fields.size();
    for (size_t c = 0; c < fields.size(); ++c) {
      if (fields[c].find('\0') != std::string::npos)
        fail(path, where(c) + ": a NUL byte inside " + in_quotes(fields[c]) + " (not a text CSV file?)");
      if (parse_number(fields[c], &row[c]))
        ++numbers;
      else if (first_bad == fields.size())
        first_bad = c;
    }
    if (numbers < fields.size()) {
      // The first line is a header when none of its fields is a number; a line that mixes numbers
      // and words is an error wherever it stands.
      if (rows == 0 && columns < 0 && numbers == 0) {
        columns = int64_t(fields.size());
        if (note)
          *note = printable(path, 60) + ": line " + std::to_string(line_number) + " " + in_quotes(line) +
                  " is not numeric: read as a header and skipped";
        continue;
      }
      fail(path, where(first_bad) + ": " + in_quotes(fields[first_bad]) + " is not a number");
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

MatrixXfR read_matrix(const std::string& path, std::string* note) {
  MatrixXfR matrix;
  if (has_extension(path, ".npy")) {
    const Array array = read_npy(path);
    check_matrix_shape(array.shape, path);
    matrix.resize(array.shape[0], array.shape[1]);
    std::memcpy(matrix.data(), array.values.data(), array.values.size() * sizeof(float));
  } else if (has_extension(path, ".csv")) {
    matrix = read_csv(path, note);
  } else {
    fail(path, "unknown file type: use .npy or .csv");
  }
  check_finite(path, matrix);
  return matrix;
}

namespace {

// An output stream over a file descriptor (std::ofstream cannot open one exclusively).
class FdBuffer : public std::streambuf {
 public:
  explicit FdBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  ~FdBuffer() override { sync(); }
  bool failed() const { return failed_; }

 protected:
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    for (const char* p = pbase(); p < pptr();) {
      const ssize_t written = ::write(fd_, p, size_t(pptr() - p));
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) {
        failed_ = true;
        setp(buffer_, buffer_ + sizeof buffer_);
        return -1;
      }
      p += written;
    }
    setp(buffer_, buffer_ + sizeof buffer_);
    return 0;
  }

 private:
  int fd_;
  bool failed_ = false;
  char buffer_[1 << 16];
};

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A name no other run uses at the same moment (the exclusive create checks it).
std::string temporary_name(const std::string& path, int attempt) {
  static std::atomic<uint64_t> counter{0};
  const uint64_t now = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  uint64_t x = now ^ (uint64_t(::getpid()) << 32) ^ (counter++ * 0x9e3779b97f4a7c15ull) ^ uint64_t(attempt);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, ".%012llx", static_cast<unsigned long long>(x & 0xffffffffffffull));
  return path + suffix + ".partial";
}

}  // namespace

OutputFiles::~OutputFiles() {
  for (const File& file : files_)
    if (!file.temporary.empty()) ::unlink(file.temporary.c_str());
}

void OutputFiles::reserve(const std::string& path, const std::string& option) {
  const std::string shown = (option.empty() ? "" : option + " ") + printable(path, 80);
  if (path.empty() || path.back() == '/') throw Error(shown + ": give a file name");
  const std::string folder = folder_of(path);
  struct stat info;
  if (::stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    throw Error(shown + ": the folder " + printable(folder, 60) + " does not exist: create it first");
  File file{path, option, "", uint64_t(info.st_dev), uint64_t(info.st_ino), path.substr(path.find_last_of('/') + 1)};
  if (file.name == "." || file.name == "..") throw Error(shown + ": give a file name");
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    throw Error(shown + ": is a folder: give a file name inside it");
  // The entry the rename will replace (a link itself, not what it points to).
  if (::lstat(path.c_str(), &info) == 0) {
    file.exists = true;
    file.device = uint64_t(info.st_dev);
    file.inode = uint64_t(info.st_ino);
    check_inputs(file);
  }
  for (const File& other : files_)
    if (other.folder_device == file.folder_device && other.folder_inode == file.folder_inode && other.name == file.name)
      throw Error(shown + " and " + other.option + " " + printable(other.path, 80) +
                  " name the same file: give each output its own");
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string temporary = temporary_name(path, attempt);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      file.temporary = temporary;
      files_.push_back(std::move(file));
      return;
    }
    if (errno != EEXIST) throw Error(shown + ": cannot write there (" + std::strerror(errno) + ")");
  }
  throw Error(shown + ": cannot create a temporary file beside it (too many exist)");
}

void OutputFiles::keep_input(const std::string& path, const std::string& option) {
  struct stat info;
  if (path.empty() || ::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return;
  inputs_.push_back({path, option, uint64_t(info.st_dev), uint64_t(info.st_ino)});
  for (const File& file : files_) check_inputs(file);
}

void OutputFiles::check_inputs(const File& file) const {
  if (!file.exists) return;
  for (const Input& input : inputs_)
    if (input.device == file.device && input.inode == file.inode)
      throw Error((file.option.empty() ? "" : file.option + " ") + printable(file.path, 80) + " is the file " +
                  input.option + " reads (" + printable(input.path, 80) +
                  "): writing it would replace that input. Give the output another name");
}

void OutputFiles::write(const std::string& path, const FileWriter& writer) {
  for (File& file : files_) {
    if (file.path != path) continue;
    const int fd = ::open(file.temporary.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) fail(path, std::string("cannot write (") + std::strerror(errno) + ")");
    bool failed;
    {
      FdBuffer buffer(fd);
      std::ostream out(&buffer);
      try {
        writer(out);
      } catch (...) {
        ::close(fd);
        throw;
      }
      out.flush();
      failed = !out || buffer.failed();
    }
    if (::close(fd) != 0 || failed) fail(path, "write failed (disk full?)");
    file.written = true;
    return;
  }
  throw Error("internal: " + printable(path, 80) + " was not reserved as an output");
}

void OutputFiles::commit() {
  for (const File& file : files_)
    if (!file.written) throw Error("internal: " + printable(file.path, 80) + " was reserved but not written");
  for (File& file : files_) {
    if (std::rename(file.temporary.c_str(), file.path.c_str()) != 0)
      fail(file.path, std::string("cannot move the output into place (") + std::strerror(errno) + ")");
    file.temporary.clear();
  }
}

void write_file_atomic(const std::string& path, const FileWriter& writer) {
  OutputFiles outputs;
  outputs.reserve(path, "");
  outputs.write(path, writer);
  outputs.commit();
}

namespace {

void npy_bytes(std::ostream& out, const std::vector<int64_t>& shape, const float* values) {
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
  out.write("\x93NUMPY\x01\x00", 8);
  const unsigned char length[2] = {static_cast<unsigned char>(header.size() & 0xff),
                                   static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<const char*>(length), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(values), std::streamsize(count * sizeof(float)));
}

void csv_bytes(std::ostream& out, const MatrixXfR& matrix) {
  char buffer[32];
  for (Eigen::Index i = 0; i < matrix.rows(); ++i) {
    for (Eigen::Index k = 0; k < matrix.cols(); ++k) {
      std::snprintf(buffer, sizeof buffer, "%.9g", matrix(i, k));  // round-trips float32
      out << (k ? "," : "") << buffer;
    }
    out << '\n';
  }
}

}  // namespace

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* values) {
  write_file_atomic(path, [&](std::ostream& out) { npy_bytes(out, shape, values); });
}

void write_csv(const std::string& path, const MatrixXfR& matrix, const std::string& header) {
  write_file_atomic(path, [&](std::ostream& out) {
    if (!header.empty()) out << header << '\n';
    csv_bytes(out, matrix);
  });
}

std::string csv_header(int d, const std::string& leading) {
  std::string header = leading;
  for (int k = 0; k < d; ++k) header += (k ? ",x" : "x") + std::to_string(k + 1);
  return header;
}

FileWriter matrix_file(const std::string& path, MatrixXfR matrix) {
  if (!has_extension(path, ".npy") && !has_extension(path, ".csv")) fail(path, "unknown output type: use .npy or .csv");
  auto held = std::make_shared<const MatrixXfR>(std::move(matrix));
  if (has_extension(path, ".npy"))
    return [held](std::ostream& out) { npy_bytes(out, {held->rows(), held->cols()}, held->data()); };
  return [held](std::ostream& out) { csv_bytes(out, *held); };
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
