// The box tree's search compiled for sse2 (vector width 4); see box_search_impl.hpp.
#define CFDM_BOX_NAMESPACE box_sse2
#define CFDM_BOX_WIDTH 4
#include "core/box_search_impl.hpp"

namespace cfdm {
const BoxSearchTable& box_search_table_sse2() { return box_sse2::table(); }
}  // namespace cfdm
