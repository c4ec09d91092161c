// The posterior-mean kernels compiled for avx512 (vector width 16); see kernel_table_impl.hpp.
#include <immintrin.h>

#include <cstdint>

// GCC 12's AVX-512 headers leave a variable undefined on purpose (`__m256i __Y = __Y;`), which
// -Wmaybe-uninitialized reports in functions with a target attribute.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace cfdm {
namespace avx512_vnni {

// The sum of a vector's 16 lanes (GCC 12's _mm512_reduce_add_epi32 warns inside its own header).
__attribute__((target("avx512f"))) inline int32_t lane_sum(__m512i s) {
  s = _mm512_add_epi32(s, _mm512_shuffle_i64x2(s, s, 0x4E));  // 256-bit halves swapped
  s = _mm512_add_epi32(s, _mm512_shuffle_i64x2(s, s, 0xB1));  // 128-bit quarters
  s = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, _MM_PERM_BADC));
  s = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, _MM_PERM_CDAB));
  return _mm_cvtsi128_si32(_mm512_castsi512_si128(s));
}

// KernelTable::dots_u8 with AVX-512 VNNI (vpdpbusd: 64 byte products a vector, summed four to a
// 32-bit lane): 4 queries x 4 training rows a block, 16 accumulators, the rows' last partial
// vector read through a mask. The sums are exact, so the same as the plain loops'.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void dots_u8(const int8_t* q, int rows, const uint8_t* x,
                                                                    int len, int stride, int32_t* dots,
                                                                    int dots_stride) {
  const int whole = stride / 64 * 64, tail = stride - whole;
  const __mmask64 mask = tail ? ~0ULL >> (64 - tail) : 0;
  for (int r = 0; r < rows; r += 4)
    for (int c = 0; c < len; c += 4) {
      __m512i acc[4][4];
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_setzero_si512();
      for (int k = 0; k < stride; k += 64) {  // (no lambda: it would not inherit the target)
        const bool masked = k == whole;
        __m512i xv[4], qv[4];
        for (int b = 0; b < 4; ++b) {
          const uint8_t* from = x + long(c + b) * stride + k;
          xv[b] = masked ? _mm512_maskz_loadu_epi8(mask, from) : _mm512_loadu_si512(from);
        }
        for (int a = 0; a < 4; ++a) {
          const int8_t* from = q + long(r + a) * stride + k;
          qv[a] = masked ? _mm512_maskz_loadu_epi8(mask, from) : _mm512_loadu_si512(from);
        }
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_dpbusd_epi32(acc[a][b], xv[b], qv[a]);
      }
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) dots[long(r + a) * dots_stride + c + b] = lane_sum(acc[a][b]);
    }
}

// The sums of 4 queries (words words each, one after another) with 1 or 2 vectors of 16 packed rows
// from `from` (each word `column` bytes after the last): acc[query][vector].
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline void packed_block(const int8_t* q, const uint8_t* from,
                                                                                long column, int words, int vectors,
                                                                                __m512i acc[4][2]) {
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 2; ++b) acc[a][b] = _mm512_setzero_si512();
  for (int w = 0; w < words; ++w) {
    const __m512i x0 = _mm512_loadu_si512(from + w * column),
                  x1 = vectors == 2 ? _mm512_loadu_si512(from + w * column + 64) : x0;
    for (int a = 0; a < 4; ++a) {
      int32_t word;
      __builtin_memcpy(&word, q + (long(a) * words + w) * 4, 4);
      const __m512i qv = _mm512_set1_epi32(word);
      acc[a][0] = _mm512_dpbusd_epi32(acc[a][0], x0, qv);
      acc[a][1] = _mm512_dpbusd_epi32(acc[a][1], x1, qv);
    }
  }
}

// KernelTable::dots_u8_packed with AVX-512 VNNI: 16 training rows a vector, four of their bytes a
// lane, against one query word broadcast: 64 products an instruction and no sum across lanes.
// 4 queries x 2 vectors of rows a block (1 vector for a last 16).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void dots_u8_packed(const int8_t* q, int rows,
                                                                           const uint8_t* packed, int n_padded,
                                                                           int words, int i0, int len, int32_t* dots,
                                                                           int dots_stride) {
  const long column = long(n_padded) * 4;  // bytes from one word of a row to the next
  for (int r = 0; r < rows; r += 4)
    for (int j = 0; j < len; j += 32) {
      const int vectors = j + 32 <= len ? 2 : 1;
      __m512i acc[4][2];
      packed_block(q + long(r) * words * 4, packed + long(i0 + j) * 4, column, words, vectors, acc);
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < vectors; ++b) _mm512_storeu_si512(dots + long(r + a) * dots_stride + j + 16 * b, acc[a][b]);
    }
}

// KernelTable::bounded_dots_u8_packed with AVX-512 VNNI: dots_u8_packed's blocks for the four
// queries, then each block's bounds while its sums are still in registers, the rows left marked
// from the comparison's mask.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void bounded_dots_u8_packed(
    const int8_t* q, const uint8_t* packed, int n_padded, int words, int i0, int len, const float* norms,
    const float* magnitude, const float* residual, const float* terms, const float* limits, int32_t* dots, float* lo,
    int dots_stride, char* left) {
  const long column = long(n_padded) * 4;
  for (int j = 0; j < len; j += 32) {
    const int vectors = j + 32 <= len ? 2 : 1;
    __m512i acc[4][2];
    packed_block(q, packed + long(i0 + j) * 4, column, words, vectors, acc);
    for (int b = 0; b < vectors; ++b) {
      const int at = j + 16 * b;
      const __m512 norm = _mm512_loadu_ps(norms + at), size = _mm512_loadu_ps(magnitude + at),
                   rest = _mm512_loadu_ps(residual + at);
      for (int a = 0; a < 4; ++a) {
        const float* t = terms + 5 * a;  // c1, c0, e1, r1, margin
        const __m512 dot = _mm512_cvtepi32_ps(acc[a][b]);
        const __m512 width = _mm512_fmadd_ps(_mm512_set1_ps(t[2]), size,
                                             _mm512_fmadd_ps(_mm512_set1_ps(t[3]), rest, _mm512_set1_ps(t[4])));
        const __m512 bound = _mm512_sub_ps(
            _mm512_add_ps(_mm512_fnmadd_ps(_mm512_set1_ps(t[0]), dot, norm), _mm512_set1_ps(t[1])), width);
        _mm512_storeu_si512(dots + long(a) * dots_stride + at, acc[a][b]);
        _mm512_storeu_ps(lo + long(a) * dots_stride + at, bound);
        for (__mmask16 mask = _mm512_cmp_ps_mask(bound, _mm512_set1_ps(limits[a]), _CMP_LE_OQ); mask;
             mask = __mmask16(mask & (mask - 1)))
          left[at + __builtin_ctz(mask)] = 1;
      }
    }
  }
}

inline bool available() {
  static const bool has = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
  return has;
}

}  // namespace avx512_vnni
}  // namespace cfdm
#pragma GCC diagnostic pop

#define CFDM_KERNEL_NAMESPACE isa_avx512
#define CFDM_KERNEL_WIDTH 16
#define CFDM_KERNEL_REGISTERS 32
#define CFDM_KERNEL_DOTS_U8 (avx512_vnni::available() ? &avx512_vnni::dots_u8 : &dots_u8_loop)
#define CFDM_KERNEL_FAST_U8 avx512_vnni::available()
#define CFDM_KERNEL_DOTS_U8_PACKED (avx512_vnni::available() ? &avx512_vnni::dots_u8_packed : &dots_u8_packed_loop)
#define CFDM_KERNEL_FAST_U8_PACKED avx512_vnni::available()
#define CFDM_KERNEL_BOUNDED_DOTS_U8_PACKED \
  (avx512_vnni::available() ? &avx512_vnni::bounded_dots_u8_packed : &bounded_dots_u8_packed<16>)
#include "core/kernel_table_impl.hpp"

namespace cfdm {
const KernelTable& kernel_table_avx512() { return isa_avx512::table(); }
}  // namespace cfdm
