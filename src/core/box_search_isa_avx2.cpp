// The box tree's search compiled for avx2 (vector width 8); see box_search_impl.hpp.
#define CFDM_BOX_NAMESPACE box_avx2
#define CFDM_BOX_WIDTH 8
#include "core/box_search_impl.hpp"

namespace cfdm {
const BoxSearchTable& box_search_table_avx2() { return box_avx2::table(); }
}  // namespace cfdm
