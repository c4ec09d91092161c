#include "app/url_state.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
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

// The shortest decimal that reads back as the same float (0.05, not 0.0500000007).
std::string shortest(double value) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtof(text, nullptr) == float(value)) break;
  }
  // Plain digits where they are no longer (110, not 1.1e+02; but 1e-05, not 0.00001).
  for (int decimals = 0; decimals <= 9 && std::strchr(text, 'e'); ++decimals) {
    char plain[48];
    std::snprintf(plain, sizeof plain, "%.*f", decimals, value);
    if (std::strtof(plain, nullptr) != float(value)) continue;
    if (std::strlen(plain) <= std::strlen(text)) std::snprintf(text, sizeof text, "%s", plain);
    break;
  }
  // No '+' in an exponent: a query reads '+' as a space (1e+07 -> 1e07).
  std::string out = text;
  const size_t plus = out.find('+');
  if (plus != std::string::npos) out.erase(plus, 1);
  return out;
}

// A numeric key's bounds: one pair, read by the parser and quoted by the refusal.
struct Range {
  double lo, hi;
};
constexpr double kMaxCount = 10'000'000;
constexpr Range kCounts{1, kMaxCount}, kSteps{1, 100000}, kDraws{1, 1024}, kSigma{0, 1e6}, kStartT{0, 0.999},
    kSeeds{0, double(std::numeric_limits<int>::max())}, kL{0, kMaxCount}, kPcaDim{1, 4096}, kSpeed{0, 10000},
    kTrails{0, 1000}, kStepShown{0, 100000};

bool parse_int(const std::string& text, Range r, int* out) { return parse_int(text, long(r.lo), long(r.hi), out); }

std::string bound_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}
// "a whole number from 1 to 1024": what a refused numeric key takes.
// (lowest: what the lowest value means, e.g. "none".)
std::string whole_number(Range r, const std::string& lowest = "") {
  return "a whole number from " + bound_text(r.lo) + (lowest.empty() ? "" : " (" + lowest + ")") + " to " +
         bound_text(r.hi);
}
std::string number(Range r, const std::string& lowest = "") {
  return "a number from " + bound_text(r.lo) + (lowest.empty() ? "" : " (" + lowest + ")") + " to " + bound_text(r.hi);
}

// A float setting kept in a double (sigma, start_t): parsed as today's links always were, to the
// nearest float, so an old link gives the same samples.
bool parse_float_value(const std::string& text, Range r, double* out) {
  float value = 0;
  if (!parse_float(text, r.lo, r.hi, &value)) return false;
  *out = double(value);
  return true;
}

bool parse_choice(const std::string& text, std::initializer_list<const char*> names, int* index) {
  int i = 0;
  for (const char* name : names) {
    if (text == name) return *index = i, true;
    ++i;
  }
  return false;
}

std::string classes_text(int mask) {
  std::string classes;
  for (int c = 0; c < 10; ++c)
    if (mask & (1 << c)) classes += (classes.empty() ? "" : "%2C") + std::to_string(c);
  return classes;
}

using Parse = bool (*)(const std::string& value, Settings* s);  // false: a bad value
using Format = std::string (*)(const Settings& s);              // the value a link carries
using Written = bool (*)(const Settings& s);                    // whether a link carries it
using Explain = std::string (*)(const std::string& value);      // why a value was refused

// A value's comma-separated items ("exact,,local": three, one empty), at most `limit` + 1 of them.
std::vector<std::string> items_of(const std::string& v, size_t limit) {
  std::vector<std::string> items;
  size_t start = 0;
  while (!v.empty() && start <= v.size() && items.size() <= limit) {
    const size_t comma = std::min(v.find(',', start), v.size());
    items.push_back(v.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// "one of a, b or c": what a key with a fixed set of names takes.
std::string one_of(const std::vector<std::string>& names) {
  std::string text = "one of ";
  for (size_t i = 0; i < names.size(); ++i) text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return text;
}

bool always(const Settings&) { return true; }
bool image_data(const Settings& s) { return is_image_name(s.dataset); }

// Every key a link or a host page may set: its name, how it is read, how it is written and when
// (format_state writes them in this order). The one list: parsing, formatting and key names.
struct Key {
  const char* name;
  Parse parse;
  Format format;
  Written written;
  Explain explain;  // a refused value's reason: what the key takes
};
const Key kKeys[] = {
    {"dataset",
     [](const std::string& v, Settings* s) {
       for (const std::string& name : dataset_names())
         if (name == v) return s->dataset = v, true;
       return false;
     },
     [](const Settings& s) { return s.dataset; }, always,
     [](const std::string&) { return "the dataset is " + one_of(dataset_names()); }},
    {"n_train", [](const std::string& v, Settings* s) { return parse_int(v, kCounts, &s->n_train); },
     [](const Settings& s) { return std::to_string(s.n_train); }, always,
     [](const std::string&) { return "the training set's size is " + whole_number(kCounts); }},
    {"n_samples", [](const std::string& v, Settings* s) { return parse_int(v, kCounts, &s->sampler.n_samples); },
     [](const Settings& s) { return std::to_string(s.sampler.n_samples); }, always,
     [](const std::string&) { return "the number of samples is " + whole_number(kCounts); }},
    {"steps", [](const std::string& v, Settings* s) { return parse_int(v, kSteps, &s->sampler.n_steps); },
     [](const Settings& s) { return std::to_string(s.sampler.n_steps); }, always,
     [](const std::string&) { return "the number of steps is " + whole_number(kSteps); }},
    // The time grid: written only for ddim (links from before it stay the same).
    {"schedule",
     [](const std::string& v, Settings* s) {
       int i = 0;
       if (!parse_choice(v, {"flow", "ddim"}, &i)) return false;
       return s->sampler.schedule = i ? cfdm::Schedule::ddim : cfdm::Schedule::flow, true;
     },
     [](const Settings& s) { return std::string(cfdm::schedule_name(s.sampler.schedule)); },
     [](const Settings& s) { return s.sampler.schedule != cfdm::Schedule::flow; },
     [](const std::string&) { return std::string("the time grid is flow or ddim"); }},
    {"draws", [](const std::string& v, Settings* s) { return parse_int(v, kDraws, &s->sampler.n_draws); },
     [](const Settings& s) { return std::to_string(s.sampler.n_draws); }, always,
     [](const std::string&) { return "M, the draws a step averages, is " + whole_number(kDraws); }},
    {"sigma", [](const std::string& v, Settings* s) { return parse_float_value(v, kSigma, &s->sampler.sigma); },
     [](const Settings& s) { return shortest(s.sampler.sigma); }, always,
     [](const std::string&) { return "sigma, the smoothing, is " + number(kSigma, "the exact model"); }},
    {"start_t", [](const std::string& v, Settings* s) { return parse_float_value(v, kStartT, &s->sampler.start_t); },
     [](const Settings& s) { return shortest(s.sampler.start_t); }, always,
     [](const std::string&) { return "the start time is " + number(kStartT, "pure noise"); }},
    {"seed",
     [](const std::string& v, Settings* s) {
       int seed = 0;
       if (!parse_int(v, kSeeds, &seed)) return false;
       return s->sampler.seed = uint64_t(seed), true;
     },
     [](const Settings& s) { return std::to_string(s.sampler.seed); }, always,
     [](const std::string&) { return "the seed is " + whole_number(kSeeds); }},
    {"estimator",
     [](const std::string& v, Settings* s) {
       int i = 0;
       if (!parse_choice(v, {"exact", "knn"}, &i)) return false;
       return s->sampler.estimator = i ? Estimator::knn : Estimator::exact, true;
     },
     [](const Settings& s) { return std::string(s.knn() ? "knn" : "exact"); }, always,
     [](const std::string&) { return std::string("the estimator is exact or knn"); }},
    // The denoiser: written only for another model than cfdm (links from before it stay the same).
    {"model",
     [](const std::string& v, Settings* s) {
       int i = 0;
       if (!parse_choice(v, {"cfdm", "wiener", "local", "pca-local", "nearest"}, &i)) return false;
       return s->sampler.denoiser.model = cfdm::Model(i), true;
     },
     [](const Settings& s) { return std::string(model_name(s.sampler.denoiser.model)); },
     [](const Settings& s) { return s.sampler.denoiser.model != cfdm::Model::cfdm; },
     [](const std::string&) {
       return std::string("the model is one of cfdm, wiener, local, pca-local or nearest; models= compares several");
     }},
    // The comparison view: "exact,scfdm,local" (2 to 4 distinct names), or empty for one model.
    {"models",
     [](const std::string& v, Settings* s) {
       std::vector<std::string> models = items_of(v, size_t(kMaxCompared));
       if (!comparison_problem(models).empty()) return false;
       return s->models = std::move(models), true;
     },
     [](const Settings& s) {
       std::string text;
       for (const std::string& name : s.models) text += (text.empty() ? "" : "%2C") + name;
       return text;
     },
     [](const Settings& s) { return !s.models.empty(); },
     [](const std::string& v) { return comparison_problem(items_of(v, v.size())); }},  // every item counted
    {"k", [](const std::string& v, Settings* s) { return parse_int(v, kCounts, &s->sampler.knn.k); },
     [](const Settings& s) { return std::to_string(s.sampler.knn.k); }, always,
     [](const std::string&) { return "K, the neighbours a query uses, is " + whole_number(kCounts); }},
    {"l", [](const std::string& v, Settings* s) { return parse_int(v, kL, &s->sampler.knn.l); },
     [](const Settings& s) { return std::to_string(s.sampler.knn.l); }, always,
     [](const std::string&) { return "L, the random training points a query adds, is " + whole_number(kL); }},
    {"points",
     [](const std::string& v, Settings* s) {
       // "x,y;x,y;...": the drawn dataset's points, at most kMaxDrawnPoints, every value finite.
       std::vector<float> points;
       size_t start = 0;
       while (start < v.size()) {
         const size_t end = std::min(v.find(';', start), v.size());
         const std::string pair = v.substr(start, end - start);
         const size_t comma = pair.find(',');
         float x = 0, y = 0;
         if (comma == std::string::npos || !parse_float(pair.substr(0, comma), -1e6, 1e6, &x) ||
             !parse_float(pair.substr(comma + 1), -1e6, 1e6, &y) || points.size() >= 2 * size_t(kMaxDrawnPoints))
           return false;
         points.push_back(x), points.push_back(y);
         start = end + 1;
       }
       s->points = std::move(points);
       return true;
     },
     [](const Settings& s) {
       std::string text;
       for (size_t i = 0; i + 1 < s.points.size(); i += 2)
         text += (i ? "%3B" : "") + shortest(s.points[i]) + "%2C" + shortest(s.points[i + 1]);
       return text;
     },
     [](const Settings& s) { return s.dataset == kDrawnDataset; },
     [](const std::string&) {
       return "the drawn points are x,y pairs joined by ';' (points=0.5,1;-1,0), at most " +
              std::to_string(kMaxDrawnPoints) + ", each from -1000000 to 1000000";
     }},
    {"classes",
     [](const std::string& v, Settings* s) {
       return v.empty() ? (s->classes_mask = 0, true) : parse_classes(v, &s->classes_mask);
     },
     [](const Settings& s) { return classes_text(s.classes_mask); }, image_data,
     [](const std::string&) {
       return std::string("the classes are digits from 0 to 9 joined by commas (classes=3,5)");
     }},
    {"space",
     [](const std::string& v, Settings* s) {
       int i = 0;
       if (!parse_choice(v, {"pixels", "pca"}, &i)) return false;
       return s->pca = i == 1, true;
     },
     [](const Settings& s) { return std::string(s.pca ? "pca" : "pixels"); }, image_data,
     [](const std::string&) { return std::string("the space is pixels or pca"); }},
    {"pca_dim", [](const std::string& v, Settings* s) { return parse_int(v, kPcaDim, &s->pca_dim); },
     [](const Settings& s) { return std::to_string(s.pca_dim); }, image_data,
     [](const std::string&) { return "the PCA space's dimension is " + whole_number(kPcaDim); }},
    // How the page shows it: written only when not the default.
    {"ui",
     [](const std::string& v, Settings* s) {
       int i = 0;
       if (!parse_choice(v, {"full", "min", "none"}, &i)) return false;
       return s->ui = Settings::Ui(i), true;
     },
     [](const Settings& s) { return std::string(s.ui == Settings::Ui::min ? "min" : "none"); },
     [](const Settings& s) { return s.ui != Settings::Ui::full; },
     [](const std::string&) { return std::string("the controls are full, min or none"); }},
    {"autoplay",
     [](const std::string& v, Settings* s) {
       int i = 0;
       if (!parse_choice(v, {"0", "1", "false", "true"}, &i)) return false;
       return s->autoplay = i % 2 == 1, true;
     },
     [](const Settings&) { return std::string("0"); }, [](const Settings& s) { return !s.autoplay; },
     [](const std::string&) { return std::string("autoplay is 1 or 0"); }},
    {"speed",
     [](const std::string& v, Settings* s) {
       if (v == "max") return s->speed = 0, true;
       return parse_int(v, kSpeed, &s->speed);
     },
     [](const Settings& s) { return s.speed == 0 ? std::string("max") : std::to_string(s.speed); },
     [](const Settings& s) { return s.speed != Settings::kWatchSpeed; },
     [](const std::string&) { return "the speed is steps shown a second, " + whole_number(kSpeed) + ", or max"; }},
    {"view",
     [](const std::string& v, Settings* s) {
       // "x,y,zoom": the data point at the view's centre, and the zoom (0.1 to 50).
       float parts[3];
       size_t start = 0;
       for (int i = 0; i < 3; ++i) {
         const size_t comma = i < 2 ? v.find(',', start) : v.size();
         if (comma == std::string::npos) return false;
         if (!parse_float(v.substr(start, comma - start), i < 2 ? -1e6 : 0.1, i < 2 ? 1e6 : 50, &parts[i]))
           return false;
         start = comma + 1;
       }
       s->view.x = parts[0], s->view.y = parts[1], s->view.zoom = parts[2];
       return true;
     },
     [](const Settings& s) { return shortest(s.view.x) + "%2C" + shortest(s.view.y) + "%2C" + shortest(s.view.zoom); },
     [](const Settings& s) { return s.view.x != 0 || s.view.y != 0 || s.view.zoom != 1; },
     [](const std::string&) { return std::string("the view is x,y,zoom (view=0,0,2), the zoom from 0.1 to 50"); }},
    {"orbit",
     [](const std::string& v, Settings* s) {
       // "yaw,pitch" in degrees: the 3-D view's camera (yaw -360 to 360, pitch -90 to 90).
       const size_t comma = v.find(',');
       float yaw = 0, pitch = 0;
       if (comma == std::string::npos || !parse_float(v.substr(0, comma), -360, 360, &yaw) ||
           !parse_float(v.substr(comma + 1), -90, 90, &pitch))
         return false;
       s->view.yaw = yaw, s->view.pitch = pitch;
       return true;
     },
     [](const Settings& s) { return shortest(s.view.yaw) + "%2C" + shortest(s.view.pitch); },
     [](const Settings& s) {
       return s.view.yaw != output::Orbit::kDefaultYaw || s.view.pitch != output::Orbit::kDefaultPitch;
     },
     [](const std::string&) {
       return std::string(
           "the orbit is yaw,pitch in degrees (orbit=30,20), yaw from -360 to 360, pitch from -90 to 90");
     }},
    {"trails", [](const std::string& v, Settings* s) { return parse_int(v, kTrails, &s->view.trails); },
     [](const Settings& s) { return std::to_string(s.view.trails); },
     [](const Settings& s) { return s.view.trails != Settings::View{}.trails; },
     [](const std::string&) { return "the trails' length in steps is " + whole_number(kTrails, "none"); }},
    {"step", [](const std::string& v, Settings* s) { return parse_int(v, kStepShown, &s->view.step); },
     [](const Settings& s) { return std::to_string(s.view.step); }, [](const Settings& s) { return s.view.step >= 0; },
     [](const std::string&) { return "the step shown is " + whole_number(kStepShown); }},
};

// Keys for the page alone (web/loader.js reads them): accepted here and not stored.
const char* const kPageKeys[] = {"build", "hosts"};

enum class Applied { ok, bad_value, unknown_key };

// Sets *why to a refused value's reason.
Applied apply_key(const std::string& key, const std::string& value, Settings* s, std::string* why) {
  for (const char* page_key : kPageKeys)
    if (key == page_key) return Applied::ok;
  for (const Key& known : kKeys)
    if (key == known.name) {
      if (known.parse(value, s)) return Applied::ok;
      *why = known.explain(value);
      return Applied::bad_value;
    }
  return Applied::unknown_key;
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
  int ignored = 0;  // refused keys: named in *error while it has room, the rest counted
  int named = 0, groups = 0;
  constexpr int kGroups = 6;         // reasons given at most (each with the keys in a row it refused)
  constexpr size_t kCountRoom = 32;  // "; and 123 more"
  // Refused keys in a row with the same reason share it: "ignored a=1, b=2 (reason)". The text so
  // far is *error (closed groups) and the open group's names and reason.
  std::string names, reason;
  const auto text_size = [&] { return error->size() + (names.empty() ? 0 : 10 + names.size() + reason.size()); };
  const auto close_group = [&] {
    if (names.empty()) return;
    *error += (error->empty() ? "ignored " : "; ignored ") + names + reason;
    names.clear();
  };
  while (start < query.size()) {
    const size_t amp = std::min(query.find('&', start), query.size());
    const std::string item = query.substr(start, amp - start);
    start = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = decode(item.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : decode(item.substr(eq + 1));
    std::string why;
    const Applied applied = apply_key(key, value, &s, &why);
    if (applied == Applied::ok) continue;
    ++ignored;
    if (named != ignored - 1) continue;  // (named ones are the first, in order)
    const std::string name = printable(key, 24) + "=" + printable(value, 24),
                      because = applied == Applied::unknown_key ? " (an unknown key)"
                                : why.empty()                   ? " (a bad value)"
                                                                : " (a bad value: " + printable(why, 300) + ")";
    const bool shared = !names.empty() && because == reason;
    const size_t added = shared ? 2 + name.size() : 10 + name.size() + because.size();
    // The first always fits (keys and values are cut to 24 bytes, reasons to 300).
    if (named > 0 && (text_size() + added + kCountRoom > kMaxNoticeBytes || (!shared && groups == kGroups))) continue;
    if (shared) {
      names += ", " + name;
    } else {
      close_group();
      names = name;
      reason = because;
      ++groups;
    }
    ++named;
  }
  close_group();
  if (ignored > named) *error += "; and " + std::to_string(ignored - named) + " more";
  return s;
}

std::string format_state(const Settings& s) {
  std::string out;
  for (const Key& key : kKeys)
    if (key.written(s)) out += (out.empty() ? "" : "&") + std::string(key.name) + "=" + key.format(s);
  return out;
}

std::vector<std::string> state_keys() {
  std::vector<std::string> names;
  for (const Key& key : kKeys) names.push_back(key.name);
  return names;
}

}  // namespace cfdm::app
