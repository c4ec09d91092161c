// The posterior-mean kernels compiled for sse2 (vector width 4); see kernel_table_impl.hpp.
#define CFDM_KERNEL_NAMESPACE isa_sse2
#define CFDM_KERNEL_WIDTH 4
#define CFDM_KERNEL_REGISTERS 16
#include "core/kernel_table_impl.hpp"

namespace cfdm {
const KernelTable& kernel_table_sse2() { return isa_sse2::table(); }
}  // namespace cfdm
