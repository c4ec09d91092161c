// The nearest-neighbour estimator's per-instruction-set code compiled for avx2 (vector width
// 8): the box tree's search (box_search_impl.hpp) and the row sums (knn_row_impl.hpp).
#define CFDM_BOX_NAMESPACE knn_avx2
#define CFDM_BOX_WIDTH 8
#include "core/box_search_impl.hpp"
#include "core/knn_row_impl.hpp"

namespace cfdm {
const KnnTable& knn_table_avx2() { return knn_avx2::knn_table(); }
}  // namespace cfdm
