// The box tree's search compiled for avx512 (vector width 16); see box_search_impl.hpp.
#define CFDM_BOX_NAMESPACE box_avx512
#define CFDM_BOX_WIDTH 16
#include "core/box_search_impl.hpp"

namespace cfdm {
const BoxSearchTable& box_search_table_avx512() { return box_avx512::table(); }
}  // namespace cfdm
