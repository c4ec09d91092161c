#include "core/isa.hpp"

#include "core/error.hpp"

namespace cfdm {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::best:
      return isa_name(best_isa());
    case Isa::scalar:
      return "scalar";
    case Isa::sse2:
      return "sse2";
    case Isa::avx2:
      return "avx2+fma";
    case Isa::avx512:
      return "avx512f";
    case Isa::simd128:
      return "wasm-simd128";
  }
  return "unknown";
}

const char* isa_option_name(Isa isa) {
  switch (isa) {
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
    case Isa::simd128:
      return "simd128";
    case Isa::best:
      return "best";
    default:
      return isa_name(isa);
  }
}

bool isa_available(Isa isa) {
  switch (isa) {
    case Isa::best:
    case Isa::scalar:
      return true;
#if defined(CFDM_HAVE_SSE2)
    case Isa::sse2:
      return true;
#endif
#if defined(CFDM_HAVE_AVX2)
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#if defined(CFDM_HAVE_AVX512)
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
#if defined(CFDM_HAVE_SIMD128)
    case Isa::simd128:
      return true;
#endif
    default:
      return false;
  }
}

Isa best_isa() {
#if defined(CFDM_FORCE_SCALAR)
  return Isa::scalar;
#else
  for (Isa isa : {Isa::avx512, Isa::avx2, Isa::simd128, Isa::sse2})
    if (isa_available(isa)) return isa;
  return Isa::scalar;
#endif
}

Isa checked_isa(Isa isa) {
  if (isa == Isa::best) isa = best_isa();
  if (!isa_available(isa)) {
    throw Error(std::string("instruction set ") + isa_name(isa) +
                " is not available in this build or on this CPU; use a narrower one");
  }
  return isa;
}

Isa parse_isa(const std::string& name) {
  std::string names;
  for (Isa isa : kIsas) {
    if (name == isa_option_name(isa) || name == isa_name(isa)) {
      if (!isa_available(isa)) throw Error("--isa " + name + " is not available in this build or on this CPU");
      return isa;
    }
    names += std::string(names.empty() ? "" : ", ") + isa_option_name(isa);
  }
  throw Error("--isa: unknown instruction set " + in_quotes(name) + " (" + names + ")");
}

}  // namespace cfdm
