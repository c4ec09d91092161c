// A minimal fixed-width float vector on GCC/Clang vector extensions.
//
// The kernels are written once against VecF<W> and compiled per instruction set: W = 16
// (AVX-512), 8 (AVX2), 4 (SSE2, wasm SIMD128) or 1 (the scalar reference path). Only IEEE
// operations are used, so a given build gives the same bits on every run and thread count.
#pragma once
#include <cstdint>
#include <cstring>
#include <utility>

// Everything here has internal linkage (unnamed namespace): each per-ISA translation unit gets
// its own copies, so the linker can never hand an AVX-512 instantiation to the baseline path.
namespace cfdm::simd {
namespace {

template <int W>
struct Types {
  typedef float F __attribute__((vector_size(4 * W)));
  typedef int32_t I __attribute__((vector_size(4 * W)));
};
template <int W>
using VecF = typename Types<W>::F;
template <int W>
using VecI = typename Types<W>::I;

template <int W>
inline VecF<W> load(const float* p) {
  VecF<W> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <int W>
inline void store(float* p, VecF<W> v) {
  std::memcpy(p, &v, sizeof v);
}

template <int W>
inline VecF<W> splat(float x) {
  return VecF<W>{} + x;
}

template <int W>
inline VecF<W> vmax(VecF<W> a, VecF<W> b) {
  return a > b ? a : b;
}

// Horizontal reduction by halving (lo op hi, down to one lane): a fixed tree, so the order
// depends only on W.
template <int W, class Op>
inline float reduce(VecF<W> v, Op op) {
  if constexpr (W == 1) {
    return v[0];
  } else {
    VecF<W / 2> lo, hi;
    std::memcpy(&lo, &v, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
    return reduce<W / 2>(op(lo, hi), op);
  }
}

template <int W>
inline float hsum(VecF<W> v) {
  return reduce<W>(v, [](auto a, auto b) { return a + b; });
}

template <int W>
inline float hmax(VecF<W> v) {
  return reduce<W>(v, [](auto a, auto b) { return a > b ? a : b; });
}

template <int W>
inline float hmin(VecF<W> v) {
  return reduce<W>(v, [](auto a, auto b) { return a < b ? a : b; });
}

template <int W, int... I>
inline VecF<W> even_lanes(VecF<W> a, VecF<W> b, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(a, b, (2 * I)...);
}
template <int W, int... I>
inline VecF<W> odd_lanes(VecF<W> a, VecF<W> b, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(a, b, (2 * I + 1)...);
}

// Sums of W vectors at once: lane j of the result is the sum of v[j]'s lanes. Each level folds
// neighbouring lanes pairwise (a0+a1, a2+a3, ..., b0+b1, ...), so log2(W) levels of shuffles
// replace W separate horizontal sums. The order is a fixed tree that depends only on W.
template <int W>
inline VecF<W> transpose_sum(const VecF<W>* v) {
  if constexpr (W == 1) {
    return v[0];
  } else {
    using Lanes = std::make_integer_sequence<int, W>;
    VecF<W> level[W];
    for (int i = 0; i < W; ++i) level[i] = v[i];
    for (int count = W; count > 1; count /= 2)
      for (int i = 0; i < count / 2; ++i)
        level[i] = even_lanes<W>(level[2 * i], level[2 * i + 1], Lanes{}) +
                   odd_lanes<W>(level[2 * i], level[2 * i + 1], Lanes{});
    return level[0];
  }
}

// exp(x) for x <= 0 (softmax terms after the max is subtracted); exactly 0 below -87.3, where
// exp(x) < 2^-126 no longer matters against the max term, which is 1. Relative error < 2e-7.
// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 (Cody-Waite), Cephes polynomial.
template <int W>
inline VecF<W> exp_nonpositive(VecF<W> x) {
  const VecF<W> lowest = splat<W>(-87.33654f);
  const VecF<W> xc = vmax<W>(x, lowest);
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const VecF<W> shifted = xc * 1.44269504088896341f + magic;
  const VecF<W> n = shifted - magic;
  VecF<W> r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  VecF<W> p = splat<W>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  VecI<W> magic_bits;
  VecF<W> magic_vec = splat<W>(magic);
  std::memcpy(&magic_bits, &magic_vec, sizeof magic_bits);
  VecI<W> n_int;
  std::memcpy(&n_int, &shifted, sizeof n_int);
  const VecI<W> pow2_bits = ((n_int - magic_bits) + 127) << 23;
  VecF<W> pow2;
  std::memcpy(&pow2, &pow2_bits, sizeof pow2);
  const VecF<W> result = p * pow2;
  return x < lowest ? VecF<W>{} : result;
}

}  // namespace
}  // namespace cfdm::simd
