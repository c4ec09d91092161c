// Fuzzes the app's URL/preset parser: any query gives settings within their ranges (bad keys
// named in the message, never thrown), and formatting those settings parses back to the same.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/url_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cfdm::app::Settings;
  std::string error;
  const Settings s = cfdm::app::parse_state(std::string(reinterpret_cast<const char*>(data), size), Settings{}, &error);
  if (s.n_train < 1 || s.n_samples < 1 || s.n_steps < 1 || s.n_draws < 1 || s.seed < 0 || s.knn_k < 1 || s.knn_l < 0 ||
      s.pca_dim < 1 || !(s.sigma >= 0) || !std::isfinite(s.sigma) || !(s.start_t >= 0) || !(s.start_t < 1) ||
      s.classes_mask < 0 || s.classes_mask > 1023)
    std::abort();
  const std::string query = cfdm::app::format_state(s);
  std::string again;
  if (cfdm::app::format_state(cfdm::app::parse_state(query, Settings{}, &again)) != query || !again.empty())
    std::abort();
  return 0;
}
