// The box tree's search compiled for simd128 (vector width 4); see box_search_impl.hpp.
#define CFDM_BOX_NAMESPACE box_simd128
#define CFDM_BOX_WIDTH 4
#include "core/box_search_impl.hpp"

namespace cfdm {
const BoxSearchTable& box_search_table_simd128() { return box_simd128::table(); }
}  // namespace cfdm
