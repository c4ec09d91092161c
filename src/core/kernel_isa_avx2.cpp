// The posterior-mean kernels compiled for avx2 (vector width 8); see kernel_table_impl.hpp.
#define CFDM_KERNEL_NAMESPACE isa_avx2
#define CFDM_KERNEL_WIDTH 8
#define CFDM_KERNEL_REGISTERS 16
#include "core/kernel_table_impl.hpp"

namespace cfdm {
const KernelTable& kernel_table_avx2() { return isa_avx2::table(); }
}  // namespace cfdm
