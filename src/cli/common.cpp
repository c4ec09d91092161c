#include "cli/common.hpp"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#if defined(__linux__)
#include <sched.h>
#endif

#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "data/files.hpp"
#include "data/images.hpp"
#include "data/toy.hpp"

#if defined(__EMSCRIPTEN__)
#include <emscripten/heap.h>
#endif

namespace cfdm::cli {

namespace {
const auto process_start = std::chrono::steady_clock::now();  // set before main() runs
}  // namespace

double seconds_since_start() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - process_start).count();
}

std::string heap_report() {
#if defined(__EMSCRIPTEN__)
  char text[64];
  std::snprintf(text, sizeof text, ", wasm heap %.1f MB", emscripten_get_heap_size() / 1e6);
  return text;
#else
  return "";
#endif
}

void say_note(const std::string& note) {
  if (!note.empty()) std::fprintf(stderr, "cfdm: note: %s\n", note.c_str());
}

MatrixXfR read_matrix_noting(const std::string& path) {
  std::string note;
  MatrixXfR matrix = data::read_matrix(path, &note);
  say_note(note);
  return matrix;
}

namespace {

// The cores this process may use: all of them, or under mpirun those it is bound to, shared with
// the other processes on this machine when it is not bound.
int usable_cores() {
  int cores = ThreadPool::hardware_threads();
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) cores = std::min(cores, CPU_COUNT(&set));
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (local && cores == ThreadPool::hardware_threads()) cores = std::max(1, cores / std::max(1, std::atoi(local)));
#endif
  return cores;
}

}  // namespace

int thread_count(const Args& args) {
  const int64_t threads = args.integer("threads", 0);
  if (threads < 0 || threads > kMaxThreads)
    throw Error("--threads must be between 0 (all) and " + std::to_string(kMaxThreads) + " in this build (got " +
                std::to_string(threads) + ")");
  return threads == 0 ? std::min(usable_cores(), kMaxThreads) : int(threads);
}

int checked_int(const Args& args, const std::string& name, int64_t fallback) {
  const int64_t value = args.integer(name, fallback);
  if (value < -1 || value > 1000000000)
    throw Error("--" + name + " is out of range (got " + std::to_string(value) + ")");
  return int(value);
}

void keep_inputs(data::OutputFiles& outputs, const Args& args, std::initializer_list<const char*> options) {
  for (const char* option : options)
    if (args.has(option)) outputs.keep_input(args.text(option, ""), std::string("--") + option);
}

void check_output_path(const std::string& path, const std::vector<std::string>& extensions, const char* option) {
  for (const auto& extension : extensions)
    if (data::has_extension(path, extension)) return;
  std::string list;
  for (const auto& extension : extensions) list += (list.empty() ? "" : " or ") + extension;
  throw Error(std::string(option) + " " + path + ": the file name must end in " + list);
}

namespace {

// "28x28" or "32x32x3": two or three positive whole numbers.
ImageShape parse_image_shape(const std::string& text) {
  std::vector<int> parts;
  bool ok = text.size() <= 40;
  for (size_t at = 0; ok && at <= text.size();) {
    const size_t end = std::min(text.find('x', at), text.size());
    const std::string part = text.substr(at, end - at);
    ok = !part.empty() && part.size() <= 6 && part.find_first_not_of("0123456789") == std::string::npos &&
         std::stoi(part) >= 1;
    if (ok) parts.push_back(std::stoi(part));
    at = end + 1;
  }
  if (!ok || parts.size() < 2 || parts.size() > 3)
    throw Error("--image-shape must be HxW or HxWxC in pixels, e.g. 28x28 or 32x32x3 (got " + in_quotes(text) + ")");
  return ImageShape{parts[0], parts[1], parts.size() == 3 ? parts[2] : 1};
}

}  // namespace

void parse_model_options(const Args& args, ModelOptions* options, const ImageShape& image) {
  if (args.has("model")) options->model = parse_model(args.text("model", ""));
  options->temperature = args.number("temperature", options->temperature);
  options->patch = checked_int(args, "patch", options->patch);
  if (args.has("patch") && options->patch < 1)
    throw Error("--patch must be an odd number of pixels >= 1 (got " + in_quotes(args.text("patch", "")) + ")");
  options->mask_threshold = args.number("mask-threshold", options->mask_threshold);
  if (args.has("mask-threshold") && !(options->mask_threshold >= 0 && options->mask_threshold <= 1))
    throw Error("--mask-threshold must be in [0, 1] (got " + in_quotes(args.text("mask-threshold", "")) + ")");
  if (args.has("image-shape")) {
    const ImageShape given = parse_image_shape(args.text("image-shape", ""));
    if (!image.empty() && (given.height != image.height || given.width != image.width || given.channels != image.channels))
      throw Error("--image-shape " + args.text("image-shape", "") + " does not match the data's images (" +
                  std::to_string(image.height) + "x" + std::to_string(image.width) + "x" +
                  std::to_string(image.channels) + "): leave it out for image datasets");
    options->image = given;
  } else {
    options->image = image;
  }
  if (args.has("temperature") && !(options->temperature >= kMinTemperature && std::isfinite(options->temperature)))
    throw Error("--temperature " + temperature_rule(in_quotes(args.text("temperature", ""))));
}

bool parse_estimator(const Args& args, KnnOptions* knn, bool knn_by_default) {
  const std::string estimator = args.text("estimator", knn_by_default ? "knn" : "exact");
  if (estimator != "exact" && estimator != "knn")
    throw Error("--estimator must be exact or knn (got " + in_quotes(estimator) + ")");
  if (estimator == "exact") {
    for (const auto& name : knn_options())
      if (args.has(name)) throw Error("--" + name + " needs --estimator knn");
    return false;
  }
  knn->k = checked_int(args, "k", knn->k);
  knn->l = checked_int(args, "l", knn->l);
  const std::string numerator = args.text("knn-numerator", "all");
  if (numerator != "all" && numerator != "neighbors")
    throw Error("--knn-numerator must be all or neighbors (got " + in_quotes(numerator) + ")");
  knn->weight_numerator = numerator == "all";
  const std::string neighbors = args.text("knn-neighbors", "per-draw");
  if (neighbors != "per-draw" && neighbors != "shared")
    throw Error("--knn-neighbors must be per-draw or shared (got " + in_quotes(neighbors) + ")");
  knn->neighbors_per_draw = neighbors == "per-draw";
  const std::string search = args.text("knn-search", "auto");
  if (search == "auto")
    knn->search = NeighborSearch::automatic;
  else if (search == "kd-tree")
    knn->search = NeighborSearch::kd_tree;
  else if (search == "box-tree")
    knn->search = NeighborSearch::box_tree;
  else if (search == "brute-force")
    knn->search = NeighborSearch::brute_force;
  else if (search == "ivf")
    knn->search = NeighborSearch::ivf;
  else
    throw Error("--knn-search must be auto, box-tree, kd-tree, brute-force or ivf (got " + in_quotes(search) + ")");
  for (const char* name : {"ivf-cells", "ivf-probe", "ivf-recall"})
    if (args.has(name) && knn->search != NeighborSearch::ivf) throw Error(std::string("--") + name + " needs --knn-search ivf");
  knn->ivf.cells = checked_int(args, "ivf-cells", 0);
  knn->ivf.probe = checked_int(args, "ivf-probe", 0);
  if (args.has("ivf-cells") && knn->ivf.cells < 1)
    throw Error("--ivf-cells must be at least 1 (got " + std::to_string(knn->ivf.cells) + ")");
  if (args.has("ivf-probe") && knn->ivf.probe < 1)
    throw Error("--ivf-probe must be at least 1 (got " + std::to_string(knn->ivf.probe) + ")");
  if (args.has("ivf-probe") && args.has("ivf-recall"))
    throw Error("--ivf-probe and --ivf-recall both set the cells a query probes: give one of them");
  knn->ivf.recall = args.number("ivf-recall", 0.0);
  if (args.has("ivf-recall") && !(knn->ivf.recall > 0 && knn->ivf.recall <= 1))
    throw Error("--ivf-recall must be in (0, 1], the share of the true K nearest to find (got " +
                args.text("ivf-recall", "") + ")");
  return true;
}

data::DataRequest parse_data_request(const Args& args, const data::DataRequest& base) {
  data::DataRequest request = base;
  request.spec = args.text("data", base.spec);
  request.n_train = checked_int(args, "n-train", base.n_train);
  if (args.has("n-train") && request.n_train < 1)
    throw Error("n-train must be at least 1 (got " + std::to_string(request.n_train) + ")");
  request.seed = args.seed("data-seed", base.seed);
  if (args.has("classes")) request.classes = data::parse_classes(args.text("classes", ""));
  request.image_size = checked_int(args, "image-size", 0);
  if (args.has("image-size") && request.image_size < 1)
    throw Error("--image-size must be at least 1 (got " + in_quotes(args.text("image-size", "")) + ")");
  request.rgb = args.has("rgb");
  request.data_dir = args.text("data-dir", "");
  return request;
}

std::vector<std::string> split_list(const std::string& text, const char* option) {
  std::vector<std::string> items;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    items.push_back(text.substr(start, comma - start));
    if (items.back().empty())
      throw Error(std::string(option) + " takes names separated by commas (got " + in_quotes(printable(text, 80)) + ")");
    if (items.size() > 100) throw Error(std::string(option) + " takes at most 100 names");
    start = comma + 1;
  }
  return items;
}

std::vector<double> parse_number_list(const std::string& text, const char* option) {
  std::vector<double> values;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(item.c_str(), &end);
    if (item.empty() || errno || *end != '\0' || !std::isfinite(value))
      throw Error(std::string(option) + " takes numbers separated by commas (got " + in_quotes(printable(item, 40)) +
                  " in " + in_quotes(printable(text, 80)) + ")");
    values.push_back(value);
    if (values.size() > 1000) throw Error(std::string(option) + " takes at most 1,000 values");
    start = comma + 1;
  }
  return values;
}

MatrixXfR held_out_data(const std::string& file, const data::DataRequest& request, int count) {
  if (!file.empty()) return read_matrix_noting(file);
  if (data::is_image_dataset(request.spec)) {
    data::DataRequest test = request;
    test.spec += "-test";
    test.n_train = -1;
    const std::string dir = request.data_dir.empty() ? data::default_data_dir() : request.data_dir;
    data::ImageSet images = data::select(data::load_image_dataset(test.spec, dir), request.classes, -1);
    const int keep = std::min(count, images.n);
    images = data::select(std::move(images), {}, keep);
    return data::to_matrix(images);
  }
  if (data::is_toy(request.spec)) return data::make_toy(request.spec, count, request.seed + 1);
  return MatrixXfR();
}

}  // namespace cfdm::cli
