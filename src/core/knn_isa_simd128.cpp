// The nearest-neighbour estimator's per-instruction-set code compiled for simd128 (vector width
// 4): the box tree's search (box_search_impl.hpp) and the row sums (knn_row_impl.hpp).
#define CFDM_BOX_NAMESPACE knn_simd128
#define CFDM_BOX_WIDTH 4
#include "core/box_search_impl.hpp"
#include "core/knn_row_impl.hpp"

namespace cfdm {
const KnnTable& knn_table_simd128() { return knn_simd128::knn_table(); }
}  // namespace cfdm
