// Golden values: the samples of every named scenario (src/data/scenarios.cpp), hashed bit for bit,
// on every instruction set this build and CPU have, against constants committed with the code.
// Same link, same samples, across versions: a change that moves any bit fails here until the
// constants are updated on purpose, in a commit that says why. CFDM_GOLDEN_PRINT=1 prints the
// values this build computes, in the table's form.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/kernel.hpp"
#include "core/thread_pool.hpp"
#include "data/scenarios.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

#if defined(__EMSCRIPTEN__)
constexpr const char* kPlatform = "wasm";
#else
constexpr const char* kPlatform = "native";
#endif

// The FMA kernels (avx2, avx512: compiled with -mfma, contraction allowed) take their bits from
// where the compiler fuses a * b + c, which depends on the optimization level: their constants
// hold for the Release build that users run, and other builds (the sanitizers' -O1) skip them.
#if defined(CFDM_RELEASE_BUILD) && CFDM_RELEASE_BUILD
constexpr bool kFmaBitsPinned = true;
#else
constexpr bool kFmaBitsPinned = false;
#endif

// FNV-1a over the float bits of the states, row by row.
uint64_t hash_bits(const MatrixXfR& states) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (Eigen::Index i = 0; i < states.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, states.data() + i, sizeof bits);
    for (int byte = 0; byte < 4; ++byte) {
      hash ^= (bits >> (8 * byte)) & 0xffu;
      hash *= 0x100000001b3ull;
    }
  }
  return hash;
}

struct Golden {
  const char* scenario;
  Isa isa;
  const char* platform;  // "any" where native and wasm give the same bits (documented in the README)
  uint64_t hash;
};

// Produced by this test (CFDM_GOLDEN_PRINT=1) from the code as of the commit that added it.
const Golden kGolden[] = {
#include "golden_values.inc"
};

const Golden* find_golden(const std::string& scenario, Isa isa) {
  for (const Golden& g : kGolden)
    if (g.scenario == scenario && g.isa == isa &&
        (std::strcmp(g.platform, "any") == 0 || std::strcmp(g.platform, kPlatform) == 0))
      return &g;
  return nullptr;
}

TEST(Golden, EveryScenarioGivesItsCommittedSamplesOnEveryInstructionSet) {
  const bool print = std::getenv("CFDM_GOLDEN_PRINT") != nullptr;
  ThreadPool pool(2);
  int compared = 0;
  for (const data::Scenario& scenario : data::scenarios()) {
    if (scenario.pinned == data::Scenario::Pinned::no) continue;
    std::vector<Isa> isas = available_isas();
    if (scenario.pinned == data::Scenario::Pinned::fastest_isa) isas = {best_isa()};
    for (Isa isa : isas) {
      // (The local model's estimator searches its neighbours with those kernels' dot products.)
      const bool fma_kernels =
          scenario.params.estimator == Estimator::exact || scenario.params.denoiser.model != Model::cfdm;
      if (!kFmaBitsPinned && fma_kernels && (isa == Isa::avx2 || isa == Isa::avx512)) {
        std::printf("  %s on %s: not compared (the FMA kernels' bits are pinned for the Release build)\n",
                    scenario.name.c_str(), isa_name(isa));
        continue;
      }
      KernelOptions kernel;
      kernel.isa = isa;
      MatrixXfR states;
      try {
        states = data::run_scenario(scenario, pool, kernel);
      } catch (const Error& e) {
        std::printf("  %s: not run (%s)\n", scenario.name.c_str(), e.what());  // an image dataset not prepared
        break;
      }
      const uint64_t hash = hash_bits(states);
      if (print)
        std::printf("    {\"%s\", Isa::%s, \"%s\", 0x%016llxull},\n", scenario.name.c_str(), isa_option_name(isa),
                    kPlatform, static_cast<unsigned long long>(hash));
      const Golden* golden = find_golden(scenario.name, isa);
      if (!golden) {
        ADD_FAILURE() << "no golden value for " << scenario.name << " on " << isa_name(isa) << " (" << kPlatform
                      << "): add it (CFDM_GOLDEN_PRINT=1 prints it)";
        continue;
      }
      EXPECT_EQ(hash, golden->hash) << scenario.name << " on " << isa_name(isa) << " (" << kPlatform
                                    << "): the samples' bits changed; if on purpose, update tests/golden_values.inc "
                                       "in the same commit and say why";
      ++compared;
    }
  }
  EXPECT_GE(compared, 3);  // the toy scenarios at least, on every build
}

// The hash sees every bit: one ulp anywhere changes it.
TEST(Golden, TheHashSeesEveryBit) {
  MatrixXfR a = normal_points(50, 3, 9);
  const uint64_t before = hash_bits(a);
  a(37, 2) = std::nextafter(a(37, 2), 1e9f);
  EXPECT_NE(hash_bits(a), before);
  MatrixXfR b = normal_points(50, 3, 9);
  std::swap(b(0, 0), b(0, 1));
  EXPECT_NE(hash_bits(b), before);
}

}  // namespace
}  // namespace cfdm::test
