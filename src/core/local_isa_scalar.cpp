// The local models' kernels (local_impl.hpp) compiled for scalar.
#define CFDM_LOCAL_NAMESPACE local_scalar
#define CFDM_LOCAL_SCALAR 1  // plain loops: the reference the vector builds match bit for bit
#include "core/local_impl.hpp"

namespace cfdm {
const LocalTable& local_table_scalar() { return local_scalar::local_table(); }
}  // namespace cfdm
