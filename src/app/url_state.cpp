#include "app/url_state.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/error.hpp"

namespace cfdm::app {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += char(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool parse_int(const std::string& text, long lo, long hi, int* out) {
  if (text.empty() || text.size() > 20) return false;
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (errno || *end != '\0' || value < lo || value > hi) return false;
  *out = int(value);
  return true;
}

bool parse_float(const std::string& text, double lo, double hi, float* out) {
  if (text.empty() || text.size() > 40) return false;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (errno || *end != '\0' || !std::isfinite(value) || value < lo || value > hi) return false;
  *out = float(value);
  return true;
}

bool parse_classes(const std::string& text, int* mask) {
  int m = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    int c = 0;
    if (!parse_int(text.substr(start, comma - start), 0, 9, &c)) return false;
    m |= 1 << c;
    start = comma + 1;
  }
  *mask = m;
  return true;
}

enum class Applied { ok, bad_value, unknown_key };

// Applies one key; false when its value is bad (unknown keys never reach it).
bool apply_value(const std::string& key, const std::string& value, Settings* s) {
  constexpr long kMaxCount = 10'000'000;
  if (key == "dataset") {
    for (const std::string& name : dataset_names())
      if (name == value) return s->dataset = value, true;
    return false;
  }
  if (key == "n_train") return parse_int(value, 1, kMaxCount, &s->n_train);
  if (key == "n_samples") return parse_int(value, 1, kMaxCount, &s->n_samples);
  if (key == "steps") return parse_int(value, 1, 100000, &s->n_steps);
  if (key == "draws") return parse_int(value, 1, 1024, &s->n_draws);
  if (key == "seed") return parse_int(value, 0, std::numeric_limits<int>::max(), &s->seed);
  if (key == "k") return parse_int(value, 1, kMaxCount, &s->knn_k);
  if (key == "l") return parse_int(value, 0, kMaxCount, &s->knn_l);
  if (key == "pca_dim") return parse_int(value, 1, 4096, &s->pca_dim);
  if (key == "sigma") return parse_float(value, 0, 1e6, &s->sigma);
  if (key == "start_t") return parse_float(value, 0, 0.999, &s->start_t);
  if (key == "classes") return value.empty() ? (s->classes_mask = 0, true) : parse_classes(value, &s->classes_mask);
  if (key == "estimator") {
    if (value != "exact" && value != "knn") return false;
    return s->knn = value == "knn", true;
  }
  if (key == "space") {
    if (value != "pixels" && value != "pca") return false;
    return s->pca = value == "pca", true;
  }
  if (key == "ui") {
    if (value == "full") return s->ui = Settings::Ui::full, true;
    if (value == "min") return s->ui = Settings::Ui::min, true;
    if (value == "none") return s->ui = Settings::Ui::none, true;
    return false;
  }
  if (key == "autoplay") {
    if (value != "0" && value != "1" && value != "true" && value != "false") return false;
    return s->autoplay = value == "1" || value == "true", true;
  }
  return false;
}

const char* const kKeys[] = {"dataset",   "n_train", "n_samples", "steps",   "draws", "sigma",   "start_t", "seed",
                             "estimator", "k",       "l",         "classes", "space", "pca_dim", "ui",      "autoplay"};

// Keys for the page alone (web/loader.js reads them): accepted here and not stored.
const char* const kPageKeys[] = {"build", "hosts"};

Applied apply_key(const std::string& key, const std::string& value, Settings* s) {
  for (const char* page_key : kPageKeys)
    if (key == page_key) return Applied::ok;
  for (const char* known : kKeys)
    if (key == known) return apply_value(key, value, s) ? Applied::ok : Applied::bad_value;
  return Applied::unknown_key;
}

// The shortest decimal that reads back as the same float (0.05, not 0.0500000007).
std::string shortest(float value) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, double(value));
    if (std::strtof(text, nullptr) == value) break;
  }
  // No '+' in an exponent: a query reads '+' as a space (1.1e+02 -> 1.1e02).
  std::string out = text;
  const size_t plus = out.find('+');
  if (plus != std::string::npos) out.erase(plus, 1);
  return out;
}

}  // namespace

Settings parse_state(const std::string& query, const Settings& base, std::string* error) {
  Settings s = base;
  error->clear();
  if (query.size() > kMaxQueryBytes) {
    *error = "ignored settings of " + std::to_string(query.size()) + " characters: at most " +
             std::to_string(kMaxQueryBytes) + " are read (a link or a host page's cfdm:set)";
    return s;
  }
  size_t start = !query.empty() && query[0] == '?' ? 1 : 0;
  int ignored = 0;  // the first kNamed are named in *error, the rest counted
  constexpr int kNamed = 6;
  while (start < query.size()) {
    const size_t amp = std::min(query.find('&', start), query.size());
    const std::string item = query.substr(start, amp - start);
    start = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = decode(item.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : decode(item.substr(eq + 1));
    const Applied applied = apply_key(key, value, &s);
    if (applied == Applied::ok) continue;
    if (++ignored > kNamed) continue;
    if (!error->empty()) *error += "; ";
    *error += "ignored " + printable(key, 24) + "=" + printable(value, 24) +
              (applied == Applied::bad_value ? " (a bad value)" : " (an unknown key)");
  }
  if (ignored > kNamed) *error += "; and " + std::to_string(ignored - kNamed) + " more";
  return s;
}

std::string format_state(const Settings& s) {
  char text[512];
  std::snprintf(text, sizeof text,
                "dataset=%s&n_train=%d&n_samples=%d&steps=%d&draws=%d&sigma=%s&start_t=%s&seed=%d"
                "&estimator=%s&k=%d&l=%d",
                s.dataset.c_str(), s.n_train, s.n_samples, s.n_steps, s.n_draws, shortest(s.sigma).c_str(),
                shortest(s.start_t).c_str(), s.seed, s.knn ? "knn" : "exact", s.knn_k, s.knn_l);
  std::string out = text;
  if (is_image_name(s.dataset)) {
    std::string classes;
    for (int c = 0; c < 10; ++c)
      if (s.classes_mask & (1 << c)) classes += (classes.empty() ? "" : "%2C") + std::to_string(c);
    out += "&classes=" + classes + "&space=" + (s.pca ? "pca" : "pixels") + "&pca_dim=" + std::to_string(s.pca_dim);
  }
  // How it is shown, when not the default.
  if (s.ui != Settings::Ui::full) out += s.ui == Settings::Ui::min ? "&ui=min" : "&ui=none";
  if (!s.autoplay) out += "&autoplay=0";
  return out;
}

}  // namespace cfdm::app
