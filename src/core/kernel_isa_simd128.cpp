// The posterior-mean kernels compiled for simd128 (vector width 4); see kernel_table_impl.hpp.
#include <wasm_simd128.h>

#include <cstdint>

namespace cfdm {
namespace simd128_u8 {

// KernelTable::dots_u8 with SIMD128's 16-bit dot products (i32x4.dot_i16x8_s: 8 products a
// vector, summed in pairs; the bytes widened to 16 bits first), 4 queries x 2 training rows a
// block. The sums are exact, so the same as the plain loops'. Rows are a multiple of 16 bytes
// (TrainingSet::kPad).
void dots_u8(const int8_t* q, int rows, const uint8_t* x, int len, int stride, int32_t* dots, int dots_stride) {
  for (int r = 0; r < rows; r += 4)
    for (int c = 0; c < len; c += 2) {
      v128_t acc[4][2];
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 2; ++b) acc[a][b] = wasm_i32x4_splat(0);
      for (int k = 0; k < stride; k += 16) {
        v128_t lo[2], hi[2];
        for (int b = 0; b < 2; ++b) {
          const v128_t v = wasm_v128_load(x + long(c + b) * stride + k);
          lo[b] = wasm_u16x8_extend_low_u8x16(v);
          hi[b] = wasm_u16x8_extend_high_u8x16(v);
        }
        for (int a = 0; a < 4; ++a) {
          const v128_t v = wasm_v128_load(q + long(r + a) * stride + k);
          const v128_t q_lo = wasm_i16x8_extend_low_i8x16(v), q_hi = wasm_i16x8_extend_high_i8x16(v);
          for (int b = 0; b < 2; ++b)
            acc[a][b] = wasm_i32x4_add(
                acc[a][b], wasm_i32x4_add(wasm_i32x4_dot_i16x8(lo[b], q_lo), wasm_i32x4_dot_i16x8(hi[b], q_hi)));
        }
      }
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 2; ++b)
          dots[long(r + a) * dots_stride + c + b] =
              wasm_i32x4_extract_lane(acc[a][b], 0) + wasm_i32x4_extract_lane(acc[a][b], 1) +
              wasm_i32x4_extract_lane(acc[a][b], 2) + wasm_i32x4_extract_lane(acc[a][b], 3);
    }
}

// KernelTable::dots_u8_packed with SIMD128's 16-bit dot products: a vector of packed bytes is 4
// training rows x one word, widened to two vectors of 2 rows; each query word widened and
// repeated ([q0 q1 q2 q3 q0 q1 q2 q3]) so that i32x4.dot_i16x8_s sums each row's word in two
// lanes, added together once per 4 rows at the end. 4 queries x 4 rows a block. Exact.
void dots_u8_packed(const int8_t* q, int rows, const uint8_t* packed, int n_padded, int words, int i0, int len,
                    int32_t* dots, int dots_stride) {
  const long column = long(n_padded) * 4;
  for (int r = 0; r < rows; r += 4)
    for (int j = 0; j < len; j += 4) {
      const uint8_t* from = packed + long(i0 + j) * 4;
      v128_t lo[4], hi[4];
      for (int a = 0; a < 4; ++a) lo[a] = hi[a] = wasm_i32x4_splat(0);
      for (int w = 0; w < words; ++w) {
        const v128_t x = wasm_v128_load(from + w * column);
        const v128_t x_lo = wasm_u16x8_extend_low_u8x16(x), x_hi = wasm_u16x8_extend_high_u8x16(x);
        for (int a = 0; a < 4; ++a) {
          const v128_t word = wasm_v128_load32_splat(q + (long(r + a) * words + w) * 4);
          const v128_t qq = wasm_i16x8_extend_low_i8x16(word);  // q0 q1 q2 q3 q0 q1 q2 q3
          lo[a] = wasm_i32x4_add(lo[a], wasm_i32x4_dot_i16x8(x_lo, qq));
          hi[a] = wasm_i32x4_add(hi[a], wasm_i32x4_dot_i16x8(x_hi, qq));
        }
      }
      for (int a = 0; a < 4; ++a) {
        const v128_t sums =
            wasm_i32x4_add(wasm_i32x4_shuffle(lo[a], hi[a], 0, 2, 4, 6), wasm_i32x4_shuffle(lo[a], hi[a], 1, 3, 5, 7));
        wasm_v128_store(dots + long(r + a) * dots_stride + j, sums);
      }
    }
}

}  // namespace simd128_u8
}  // namespace cfdm

#define CFDM_KERNEL_NAMESPACE isa_simd128
#define CFDM_KERNEL_WIDTH 4
#define CFDM_KERNEL_REGISTERS 16
#define CFDM_KERNEL_DOTS_U8 &simd128_u8::dots_u8
#define CFDM_KERNEL_FAST_U8 true
#define CFDM_KERNEL_DOTS_U8_PACKED &simd128_u8::dots_u8_packed
#define CFDM_KERNEL_FAST_U8_PACKED true
#include "core/kernel_table_impl.hpp"

namespace cfdm {
const KernelTable& kernel_table_simd128() { return isa_simd128::table(); }
}  // namespace cfdm
