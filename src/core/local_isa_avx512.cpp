// The local models' kernels (local_impl.hpp) compiled for avx512.
#define CFDM_LOCAL_NAMESPACE local_avx512
#define CFDM_LOCAL_VECTOR_LANES 1  // eight doubles fill one register here (local_impl.hpp)
#include "core/local_impl.hpp"

namespace cfdm {
const LocalTable& local_table_avx512() { return local_avx512::local_table(); }
}  // namespace cfdm
