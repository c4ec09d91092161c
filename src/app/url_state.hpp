// The app's settings as a URL query ("dataset=moons&sigma=0.1&draws=4"): a link reproduces what
// its author saw, bit for bit (same settings, same seed, same samples). Platform-free; the web
// build reads location.search, the native app its --state argument.
#pragma once
#include <string>
#include <vector>

#include "app/settings.hpp"

namespace cfdm::app {

// The longest query a link or a host page may set: a longer one is refused whole (its keys are
// not read), with a message. Well above any real link, far below what could strain the app.
constexpr size_t kMaxQueryBytes = 16384;

// The longest message parse_state writes: refused keys are named (with their reasons) while the
// message stays within it, the rest counted ("and 3 more"), so a status line or a host page's
// cfdm:error event stays readable whatever the query holds.
constexpr size_t kMaxNoticeBytes = 1000;

// Applies the query's keys to `base` (a leading '?' is skipped). Keys: dataset, n_train,
// n_samples, steps, draws, sigma, start_t, seed, estimator (exact|knn), model, models (the
// comparison view: "exact,scfdm,local"), k, l, points (dataset
// drawn: "x,y;x,y"), classes ("3,5"),
// space (pixels|pca), pca_dim, and how the page shows it: ui (full|min|none), autoplay (1|0), speed
// (steps shown per second, or max), view (x,y,zoom), trails (steps, 0: none), step (the step shown). Percent-escapes
// and '+' are decoded. On an unknown key or a bad value, *error names it (the other keys still apply) and the bad key
// is ignored; *error is at most kMaxNoticeBytes. A query over kMaxQueryBytes changes nothing and *error says so.
Settings parse_state(const std::string& query, const Settings& base, std::string* error);

// The query that parse_state turns back into `settings` (every key, in a fixed order; the image
// keys only for image data, ui and autoplay only when not their defaults).
std::string format_state(const Settings& settings);

// Every key parse_state reads for the settings, in format_state's order (the page's own keys,
// build and hosts, are not among them).
std::vector<std::string> state_keys();

}  // namespace cfdm::app
