// Fuzzes the app's URL/preset parser, which is also the host page's message path (cfdm:set ->
// cfdm_set -> App::update_state -> parse_state): any query gives settings within their ranges
// (bad keys named in the message, never thrown), the message is short and printable whatever the
// query holds, an over-long query changes nothing, and formatting the settings parses back to
// the same.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/url_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cfdm::app::Settings;
  std::string error;
  // Inputs past the cap are made by repeating the fuzzer's bytes.
  std::string query(reinterpret_cast<const char*>(data), size);
  if (!query.empty() && query[0] == 'L') while (query.size() <= cfdm::app::kMaxQueryBytes) query += query;
  const Settings s = cfdm::app::parse_state(query, Settings{}, &error);
  if (error.size() > cfdm::app::kMaxNoticeBytes)
    std::abort();  // refused keys named while there is room, the rest counted
  for (char c : error)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();  // escaped, never raw
  if (query.size() > cfdm::app::kMaxQueryBytes &&
      (error.empty() || cfdm::app::format_state(s) != cfdm::app::format_state(Settings{})))
    std::abort();
  if (s.n_train < 1 || s.sampler.n_samples < 1 || s.sampler.n_steps < 1 || s.sampler.n_draws < 1 || s.sampler.seed > uint64_t(INT32_MAX) || s.sampler.knn.k < 1 || s.sampler.knn.l < 0 ||
      s.pca_dim < 1 || !(s.sampler.sigma >= 0) || !std::isfinite(s.sampler.sigma) || !(s.sampler.start_t >= 0) || !(s.sampler.start_t < 1) ||
      s.classes_mask < 0 || s.classes_mask > 1023)
    std::abort();
  const std::string formatted = cfdm::app::format_state(s);
  std::string again;
  if (cfdm::app::format_state(cfdm::app::parse_state(formatted, Settings{}, &again)) != formatted || !again.empty())
    std::abort();
  return 0;
}
