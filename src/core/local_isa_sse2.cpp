// The local models' kernels (local_impl.hpp) compiled for sse2.
#define CFDM_LOCAL_NAMESPACE local_sse2
#include "core/local_impl.hpp"

namespace cfdm {
const LocalTable& local_table_sse2() { return local_sse2::local_table(); }
}  // namespace cfdm
