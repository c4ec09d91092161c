// The documents stay true to the code: every test that docs/robustness.md names exists.
#include <gtest/gtest.h>

#include <algorithm>
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

// docs/embedding.md's table of URL keys names every key the app reads, and no other.
TEST(Docs, TheEmbeddingGuideListsEveryUrlKey) {
  std::ifstream file(std::string(CFDM_SOURCE_DIR) + "/docs/embedding.md");
  const std::string doc((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  std::string table;  // the rows of the key table: lines starting "| `"
  for (size_t at = doc.find("\n| `"); at != std::string::npos; at = doc.find("\n| `", at + 1))
    table += doc.substr(at, doc.find(" | ", at + 1) - at);  // the row's first cell
  for (const std::string& key : app::state_keys())
    EXPECT_NE(table.find("`" + key + "`"), std::string::npos) << key << " is read from links but not documented";
  // Every documented key (outside the page's own build and hosts) is one the app reads.
  const std::vector<std::string> keys = app::state_keys();
  for (size_t at = table.find('`'); at != std::string::npos; at = table.find('`', table.find('`', at + 1) + 1)) {
    const std::string key = table.substr(at + 1, table.find('`', at + 1) - at - 1);
    if (key.rfind("{type", 0) == 0 || key == "build" || key == "hosts") continue;
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key << " is documented but not read";
  }
}

}  // namespace
}  // namespace cfdm::test
