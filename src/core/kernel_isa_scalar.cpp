// The posterior-mean kernels compiled for scalar (vector width 1); see kernel_table_impl.hpp.
#define CFDM_KERNEL_NAMESPACE isa_scalar
#define CFDM_KERNEL_WIDTH 1
#define CFDM_KERNEL_REGISTERS 16
#include "core/kernel_table_impl.hpp"

namespace cfdm {
const KernelTable& kernel_table_scalar() { return isa_scalar::table(); }
}  // namespace cfdm
