// The local models' kernels (local_impl.hpp) compiled for avx2.
#define CFDM_LOCAL_NAMESPACE local_avx2
#include "core/local_impl.hpp"

namespace cfdm {
const LocalTable& local_table_avx2() { return local_avx2::local_table(); }
}  // namespace cfdm
