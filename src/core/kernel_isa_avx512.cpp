// The posterior-mean kernels compiled for avx512 (vector width 16); see kernel_table_impl.hpp.
#define CFDM_KERNEL_NAMESPACE isa_avx512
#define CFDM_KERNEL_WIDTH 16
#define CFDM_KERNEL_REGISTERS 32
#include "core/kernel_table_impl.hpp"

namespace cfdm {
const KernelTable& kernel_table_avx512() { return isa_avx512::table(); }
}  // namespace cfdm
