// Reading and writing arrays: NumPy .npy (float32/float64, C order) and CSV.
// Every reader checks what it reads and throws cfdm::Error naming the file and the problem.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/types.hpp"
#include "data/dataset.hpp"

namespace cfdm {
class TrainingSet;
class ThreadPool;
}

namespace cfdm::data {

struct Array {
  std::vector<int64_t> shape;  // C order
  std::vector<float> values;   // float32 (float64 files are converted)
  int64_t size() const;
};

// .npy of version 1-3, dtype <f4 or <f8, C order, any rank. Values are not checked for finiteness.
Array read_npy(const std::string& path);
// The same from the file's bytes; `name` names it in error messages.
Array parse_npy(const std::string& bytes, const std::string& name);
// The first n_train rows (all when n_train < 0) of a 2-D .npy as a training set, read straight
// into its layout in slices (no copy of the file in memory), centred on `pool` when given. Throws as read_matrix does, and when
// n_train is 0 or more than the file's rows.
// With a shard (DataRequest::Shard), only its rows of the first n_train are read: the set is that
// part of the whole (TrainingSet::Part).
TrainingSet read_npy_training_set(const std::string& path, int n_train, ThreadPool* pool = nullptr,
                                  const DataRequest::Shard* shard = nullptr);
// A 2-D matrix from .npy or .csv (chosen by extension); every value must be finite. *note (when
// given) says what the reader assumed, e.g. that a CSV's first line was a header; else empty.
MatrixXfR read_matrix(const std::string& path, std::string* note = nullptr);
// CSV: one row per line, comma-separated numbers. A first line none of whose fields is a number is
// a header (skipped, and said in *note); a UTF-8 byte-order mark is skipped; a NUL byte is refused.
MatrixXfR read_csv(const std::string& path, std::string* note = nullptr);
MatrixXfR parse_csv(const std::string& text, const std::string& name, std::string* note = nullptr);

// Writes the bytes of one output file.
using FileWriter = std::function<void(std::ostream&)>;

// The output files of one command: all of them or none, and never someone else's.
// reserve() checks a path before any work is done (its folder exists, it is not a folder itself,
// no two outputs name the same file) and creates a temporary file of a unique name beside it,
// exclusively (O_CREAT | O_EXCL, so never through a link planted there; a concurrent run gets its
// own); write() fills that temporary; commit() renames every one into place. Temporaries not
// committed are removed when the object ends (an error, a failed write). keep_input() names a file
// the command reads: an output that would replace it (the same file, by any name) is refused.
class OutputFiles {
 public:
  OutputFiles() = default;
  OutputFiles(const OutputFiles&) = delete;
  OutputFiles& operator=(const OutputFiles&) = delete;
  ~OutputFiles();
  // `option` names the path in messages ("--out"). Throws cfdm::Error naming the problem.
  void reserve(const std::string& path, const std::string& option);
  // An input file the outputs must not replace (`option` names it: "--data"); a path that is not
  // an existing regular file (a dataset's name) is no file to keep. Throws cfdm::Error, as reserve.
  void keep_input(const std::string& path, const std::string& option);
  void write(const std::string& path, const FileWriter& writer);  // a reserved path
  void commit();  // every reserved path must have been written

 private:
  struct File {
    std::string path, option, temporary;
    uint64_t folder_device = 0, folder_inode = 0;  // the folder, as the file system knows it
    std::string name;                              // the last part of path
    bool written = false;
    bool exists = false;  // a file is at path already (the one the rename replaces):
    uint64_t device = 0, inode = 0;
  };
  struct Input {
    std::string path, option;
    uint64_t device = 0, inode = 0;
  };
  // Throws unless `file` (reserved) replaces none of the inputs.
  void check_inputs(const File& file) const;
  std::vector<File> files_;
  std::vector<Input> inputs_;
};

// Writes one file through OutputFiles: complete, or not at all.
void write_file_atomic(const std::string& path, const FileWriter& writer);

// The bytes of a float32 .npy of a matrix, or of a CSV (by the extension of path).
FileWriter matrix_file(const std::string& path, MatrixXfR matrix);

// Writes a float32 .npy (version 1.0) with the given shape.
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* values);
// header, when given, is the CSV's first line (column names, "x1,x2"; read_csv skips such a line).
void write_csv(const std::string& path, const MatrixXfR& matrix, const std::string& header = "");
// "x1,x2,...,xd" (prefix "x"), optionally after leading names ("step,sample,").
std::string csv_header(int d, const std::string& leading = "");
// Writes a matrix as .npy or .csv, by the extension of path.
void write_matrix(const std::string& path, const MatrixXfR& matrix);

// A file opened for reading parts of it in place (a .npy's rows straight into a training set).
// Every failure throws cfdm::Error naming the file.
class InputFile {
 public:
  explicit InputFile(const std::string& path);  // refuses folders and devices
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();
  uint64_t size() const;
  // Exactly `bytes` bytes from `offset`: a short read (the file shrank) is an error.
  void read_at(uint64_t offset, void* out, size_t bytes) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The whole file; throws cfdm::Error naming the file when it cannot be read.
std::string read_file(const std::string& path);

bool has_extension(const std::string& path, const std::string& extension);  // case-insensitive
bool file_exists(const std::string& path);

}  // namespace cfdm::data
