// The posterior-mean kernels compiled for simd128 (vector width 4); see kernel_table_impl.hpp.
#define CFDM_KERNEL_NAMESPACE isa_simd128
#define CFDM_KERNEL_WIDTH 4
#define CFDM_KERNEL_REGISTERS 16
#include "core/kernel_table_impl.hpp"

namespace cfdm {
const KernelTable& kernel_table_simd128() { return isa_simd128::table(); }
}  // namespace cfdm
