// The local models' kernels (local_impl.hpp) compiled for avx512.
#define CFDM_LOCAL_NAMESPACE local_avx512
#include "core/local_impl.hpp"

namespace cfdm {
const LocalTable& local_table_avx512() { return local_avx512::local_table(); }
}  // namespace cfdm
