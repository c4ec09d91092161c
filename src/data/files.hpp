// Reading and writing arrays: NumPy .npy (float32/float64, C order) and CSV.
// Every reader checks what it reads and throws cfdm::Error naming the file and the problem.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/types.hpp"

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
// A 2-D matrix from .npy or .csv (chosen by extension); every value must be finite.
MatrixXfR read_matrix(const std::string& path);
// CSV: one row per line, comma-separated numbers; a first line that is not numeric is a header.
MatrixXfR read_csv(const std::string& path);
MatrixXfR parse_csv(const std::string& text, const std::string& name);

// Writes a float32 .npy (version 1.0) with the given shape.
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* values);
void write_csv(const std::string& path, const MatrixXfR& matrix);
// Writes a matrix as .npy or .csv, by the extension of path.
void write_matrix(const std::string& path, const MatrixXfR& matrix);

// Writes through a temporary file renamed into place, so a failure never leaves a partial or
// stale output behind.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& writer);

// The whole file; throws cfdm::Error naming the file when it cannot be read.
std::string read_file(const std::string& path);

bool has_extension(const std::string& path, const std::string& extension);  // case-insensitive
bool file_exists(const std::string& path);

}  // namespace cfdm::data
