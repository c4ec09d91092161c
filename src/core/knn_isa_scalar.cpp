// The nearest-neighbour estimator's per-instruction-set code compiled for scalar (vector width
// 1): the box tree's search (box_search_impl.hpp) and the row sums (knn_row_impl.hpp).
#define CFDM_BOX_NAMESPACE knn_scalar
#define CFDM_BOX_WIDTH 1
#include "core/box_search_impl.hpp"
#include "core/knn_row_impl.hpp"

namespace cfdm {
const KnnTable& knn_table_scalar() { return knn_scalar::knn_table(); }
}  // namespace cfdm
