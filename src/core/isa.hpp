// The instruction sets the kernels are compiled for, spelled once: their names, which ones this
// build and CPU have, and the one dispatch from an Isa to a family's per-ISA table (the kernels'
// in kernel.cpp, the nearest-neighbour code's in neighbors.cpp).
//
// Each family compiles its code once per instruction set in a translation unit of its own
// (kernel_isa_NAME.cpp, knn_isa_NAME.cpp: the build decides which exist and defines
// CFDM_HAVE_NAME for them) that defines FAMILY_NAME() returning the family's table.
#pragma once
#include <string>

namespace cfdm {

enum class Isa { best, scalar, sse2, avx2, avx512, simd128 };

// Every instruction set, narrowest first (the order of the per-ISA tables below).
inline constexpr Isa kIsas[] = {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512, Isa::simd128};
inline constexpr int kIsaCount = 5;

const char* isa_name(Isa isa);         // as printed: "avx2+fma", "wasm-simd128", ...
const char* isa_option_name(Isa isa);  // as typed: "avx2", "simd128", ...
Isa best_isa();                        // the widest instruction set this CPU and build support
bool isa_available(Isa isa);           // compiled into this build and supported by this CPU
// Isa::best resolved; throws cfdm::Error when the build or the CPU lacks the instruction set.
Isa checked_isa(Isa isa);
// From --isa NAME (an option name or a printed name); throws cfdm::Error naming the choices, or
// when this build or CPU lacks it.
Isa parse_isa(const std::string& name);

// A family's tables, one per instruction set in kIsas order (null where the build has none).
template <class Table>
using PerIsa = const Table& (*const[kIsaCount])();

// The one dispatch: the table of `isa` (checked, Isa::best resolved).
template <class Table>
const Table& isa_table(Isa isa, const PerIsa<Table>& tables) {
  const Isa chosen = checked_isa(isa);
  for (int i = 0; i < kIsaCount; ++i)
    if (kIsas[i] == chosen && tables[i]) return tables[i]();
  return tables[0]();  // scalar, in every build
}

// Declares FAMILY_scalar() ... FAMILY_simd128() returning const TABLE&, and lists them in kIsas
// order, null for those this build does not compile: CFDM_PER_ISA(kernel_table) is a
// PerIsa<KernelTable> initializer.
#define CFDM_DECLARE_PER_ISA(TABLE, FAMILY) \
  const TABLE& FAMILY##_scalar();           \
  const TABLE& FAMILY##_sse2();             \
  const TABLE& FAMILY##_avx2();             \
  const TABLE& FAMILY##_avx512();           \
  const TABLE& FAMILY##_simd128();
#if defined(CFDM_HAVE_SSE2)
#define CFDM_ISA_SSE2(f) &f##_sse2
#else
#define CFDM_ISA_SSE2(f) nullptr
#endif
#if defined(CFDM_HAVE_AVX2)
#define CFDM_ISA_AVX2(f) &f##_avx2
#else
#define CFDM_ISA_AVX2(f) nullptr
#endif
#if defined(CFDM_HAVE_AVX512)
#define CFDM_ISA_AVX512(f) &f##_avx512
#else
#define CFDM_ISA_AVX512(f) nullptr
#endif
#if defined(CFDM_HAVE_SIMD128)
#define CFDM_ISA_SIMD128(f) &f##_simd128
#else
#define CFDM_ISA_SIMD128(f) nullptr
#endif
#define CFDM_PER_ISA(FAMILY) \
  { &FAMILY##_scalar, CFDM_ISA_SSE2(FAMILY), CFDM_ISA_AVX2(FAMILY), CFDM_ISA_AVX512(FAMILY), CFDM_ISA_SIMD128(FAMILY) }

}  // namespace cfdm
