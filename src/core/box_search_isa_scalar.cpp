// The box tree's search compiled for scalar (vector width 1); see box_search_impl.hpp.
#define CFDM_BOX_NAMESPACE box_scalar
#define CFDM_BOX_WIDTH 1
#include "core/box_search_impl.hpp"

namespace cfdm {
const BoxSearchTable& box_search_table_scalar() { return box_scalar::table(); }
}  // namespace cfdm
