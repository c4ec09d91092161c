// The local models' kernels (local_impl.hpp) compiled for simd128.
#define CFDM_LOCAL_NAMESPACE local_simd128
#include "core/local_impl.hpp"

namespace cfdm {
const LocalTable& local_table_simd128() { return local_simd128::local_table(); }
}  // namespace cfdm
