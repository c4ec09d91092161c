// The nearest-neighbour estimator's per-instruction-set code compiled for sse2 (vector width
// 4): the box tree's search (box_search_impl.hpp) and the row sums (knn_row_impl.hpp).
#define CFDM_BOX_NAMESPACE knn_sse2
#define CFDM_BOX_WIDTH 4
#include "core/box_search_impl.hpp"
#include "core/knn_row_impl.hpp"

namespace cfdm {
const KnnTable& knn_table_sse2() { return knn_sse2::knn_table(); }
}  // namespace cfdm
