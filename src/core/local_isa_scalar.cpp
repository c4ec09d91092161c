// The local models' kernels (local_impl.hpp) compiled for scalar.
#define CFDM_LOCAL_NAMESPACE local_scalar
#include "core/local_impl.hpp"

namespace cfdm {
const LocalTable& local_table_scalar() { return local_scalar::local_table(); }
}  // namespace cfdm
