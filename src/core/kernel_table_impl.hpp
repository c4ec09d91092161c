// One instruction set's table of kernels (kernel_job.hpp): the posterior-mean kernels
// (kernel_impl.hpp) and the brute-force neighbour search (nearest_impl.hpp), compiled for the
// width CFDM_KERNEL_WIDTH by each kernel_isa_*.cpp, the only files that include this one.
#pragma once
// An instruction set with packed integer dot products of its own defines CFDM_KERNEL_DOTS_U8_PACKED
// (and CFDM_KERNEL_BOUNDED_DOTS_U8_PACKED where it fuses the bounds) and
// CFDM_KERNEL_FAST_U8_PACKED, before this file.
#ifndef CFDM_KERNEL_DOTS_U8_PACKED
#define CFDM_KERNEL_DOTS_U8_PACKED &dots_u8_packed_loop
#define CFDM_KERNEL_FAST_U8_PACKED false
#endif
#ifndef CFDM_KERNEL_BOUNDED_DOTS_U8_PACKED
#define CFDM_KERNEL_BOUNDED_DOTS_U8_PACKED &bounded_dots_u8_packed<CFDM_KERNEL_WIDTH>
#endif
#include "core/kernel_impl.hpp"
#include "core/nearest_impl.hpp"

namespace cfdm {
namespace CFDM_KERNEL_NAMESPACE {

static_assert(kDotRowMultiple % kDotQueries == 0 && kDotRowMultiple % kDotColumns == 0,
              "dots() takes rows in multiples of kDotRowMultiple");

// An instruction set with integer dot products of its own defines CFDM_KERNEL_DOTS_U8 (the
// function, chosen for the CPU) and CFDM_KERNEL_FAST_U8 (whether it beats the float ones).
#ifndef CFDM_KERNEL_DOTS_U8
#define CFDM_KERNEL_DOTS_U8 &dots_u8_loop
#define CFDM_KERNEL_FAST_U8 false
#endif

inline const KernelTable& table() {
  static const KernelTable t = {&direct<CFDM_KERNEL_WIDTH>,
                                &expanded<CFDM_KERNEL_WIDTH>,
                                &nearest<CFDM_KERNEL_WIDTH>,
                                &nearest_columns<CFDM_KERNEL_WIDTH>,
                                &tile_dots<CFDM_KERNEL_WIDTH>,
                                CFDM_KERNEL_DOTS_U8,
                                &listed_keys<CFDM_KERNEL_WIDTH>,
                                CFDM_KERNEL_FAST_U8,
                                CFDM_KERNEL_DOTS_U8_PACKED,
                                CFDM_KERNEL_FAST_U8_PACKED,
                                &coarse_bounds<CFDM_KERNEL_WIDTH>,
                                CFDM_KERNEL_BOUNDED_DOTS_U8_PACKED,
                                &listed_column_keys<CFDM_KERNEL_WIDTH>};
  return t;
}

}  // namespace CFDM_KERNEL_NAMESPACE
}  // namespace cfdm
