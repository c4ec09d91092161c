// What the commands of the command line share: reading their options into settings, checking
// output paths, notes on stderr, the thread count, and the platform's limits.
#pragma once
#include <initializer_list>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "core/knn.hpp"
#include "core/posterior_mean.hpp"
#include "core/types.hpp"
#include "data/dataset.hpp"
#include "data/files.hpp"

namespace cfdm::cli {

#if defined(__EMSCRIPTEN__)
constexpr int kMaxThreads = 4;  // the build's preallocated worker pool (-sPTHREAD_POOL_SIZE)
constexpr const char* kPlatform = "wasm32 (Emscripten)";
#else
constexpr int kMaxThreads = 1024;
constexpr const char* kPlatform = "native";
#endif

// Memory of the process as this build sees it: ", wasm heap 12.3 MB", or nothing natively.
std::string heap_report();
// Seconds since the process started (its static initialisation): what a user waits for.
double seconds_since_start();
// What a reader assumed (a CSV's first line read as a header), on stderr; nothing when empty.
void say_note(const std::string& note);
// A matrix from .npy or .csv, its reader's note said.
MatrixXfR read_matrix_noting(const std::string& path);
// --threads: 0 for all the hardware's (at most kMaxThreads).
int thread_count(const Args& args);
// A whole-number option in [-1, 10^9].
int checked_int(const Args& args, const std::string& name, int64_t fallback);
// Throws unless path ends in one of the extensions, naming the option.
void check_output_path(const std::string& path, const std::vector<std::string>& extensions, const char* option);
// The files these options name, as inputs the command's outputs must not replace
// (data::OutputFiles::keep_input): {"data", "reference"}.
void keep_inputs(data::OutputFiles& outputs, const Args& args, std::initializer_list<const char*> options);
// --model, --temperature, --patch, --mask-threshold and --image-shape into options (image: the
// data's own image shape, empty when they are not images). Throws cfdm::Error on a bad value.
void parse_model_options(const Args& args, ModelOptions* options, const ImageShape& image);
// --estimator and the nearest-neighbour switches; returns true for the knn estimator.
bool parse_estimator(const Args& args, KnnOptions* knn, bool knn_by_default = false);
// The options that choose a training set: --data, --n-train, --data-seed, --classes,
// --image-size, --rgb, --data-dir; base: the request's defaults (a scenario's, or none).
data::DataRequest parse_data_request(const Args& args, const data::DataRequest& base = {});
// "0,0.1,1": numbers separated by commas, each finite (a bad one is named with the option).
std::vector<double> parse_number_list(const std::string& text, const char* option);
// "cfdm,local": names separated by commas, none empty (at most 100).
std::vector<std::string> split_list(const std::string& text, const char* option);

// Held-out real data to measure samples against: a file (when not empty), the prepared test split of an
// image dataset (at most count images, the request's classes), or count fresh toy points (another
// data seed). Empty when there is none.
MatrixXfR held_out_data(const std::string& file, const data::DataRequest& request, int count);

// cfdm sweep (sweep.cpp) and cfdm compare (compare.cpp).
int command_sweep(const Args& args);
int command_compare(const Args& args);

}  // namespace cfdm::cli
