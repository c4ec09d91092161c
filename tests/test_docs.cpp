// The documents stay true to the code: every test that docs/robustness.md names exists.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "app/settings.hpp"
#include "app/url_state.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

// docs/robustness.md names the tests behind its rows: each must exist.
TEST(Docs, EveryTestNamedInTheRobustnessReportExists) {
  auto read = [](const std::string& path) {
    std::ifstream file(std::string(CFDM_SOURCE_DIR) + "/" + path);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  };
  const std::string doc = read("docs/robustness.md");
  ASSERT_FALSE(doc.empty());
  std::string sources;
  for (const char* file : {"tests/test_app_headless.cpp", "tests/test_sampling_job.cpp", "tests/test_images.cpp",
                           "tests/test_data.cpp", "tests/test_knn.cpp", "tests/test_sampler.cpp",
                           "tests/test_url_state.cpp", "tests/test_neighbors.cpp", "tests/test_error.cpp"})
    sources += read(file);
  int named = 0;
  for (const char* suite : {"AppHeadless", "UrlState", "SamplingJob", "FuzzRegressions", "Files", "Error"}) {
    const std::string prefix = std::string("`") + suite + ".";
    for (size_t at = doc.find(prefix); at != std::string::npos; at = doc.find(prefix, at + 1)) {
      const size_t start = at + prefix.size();
      const std::string name = doc.substr(start, doc.find('`', start) - start);
      EXPECT_NE(sources.find("TEST(" + std::string(suite) + ", " + name + ")"), std::string::npos)
          << suite << "." << name << " is named in docs/robustness.md but no such test exists";
      ++named;
    }
  }
  EXPECT_GE(named, 6);
  for (const char* target : {"fuzz_npy", "fuzz_csv", "fuzz_idx", "fuzz_png", "fuzz_fashion_json", "fuzz_url_state"})
    EXPECT_NE(doc.find(target), std::string::npos) << target;
}

}  // namespace
}  // namespace cfdm::test
