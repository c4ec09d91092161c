// The neighbour searches (box tree, kd-tree, brute force) against a brute-force float64 oracle,
// with ties, duplicates, hints, overflow and every instruction set.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "core/error.hpp"
#include "core/knn.hpp"
#include "core/knn_row.hpp"
#include "core/neighbor_structures.hpp"
#include "core/rng.hpp"
#include "core/sampler.hpp"
#include "core/thread_pool.hpp"
#include "eval/metrics.hpp"
#include "reference.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

// Brute-force oracle: the k nearest rows of x to q by (squared distance in double, index).
std::vector<int> oracle_neighbors(const MatrixXfR& x, const float* q, int k) {
  std::vector<std::pair<double, int>> all;
  for (int i = 0; i < x.rows(); ++i) {
    double dist_sq = 0;
    for (int c = 0; c < x.cols(); ++c) dist_sq += (double(q[c]) - x(i, c)) * (double(q[c]) - x(i, c));
    all.emplace_back(dist_sq, i);
  }
  std::sort(all.begin(), all.end());
  std::vector<int> out;
  for (int j = 0; j < k; ++j) out.push_back(all[j].second);
  return out;
}

// Rows of m less the training set's mean: the centered coordinates the index stores and searches.
MatrixXfR minus_mean(MatrixXfR m, const TrainingSet& train) {
  for (int c = 0; c < m.cols(); ++c) m.col(c).array() -= train.mean()[c];
  return m;
}

// Integer grid points with duplicates: distances are exact in float, so ties are real ties.
MatrixXfR grid_with_duplicates(int dim) {
  std::vector<std::vector<float>> rows;
  const int side = dim == 2 ? 7 : 3;
  int total = 1;
  for (int c = 0; c < dim; ++c) total *= side;
  for (int i = 0; i < total; ++i) {
    std::vector<float> p(dim);
    for (int c = 0, rest = i; c < dim; ++c, rest /= side) p[c] = float(rest % side);
    rows.push_back(p);
    if (i % 3 == 0) rows.push_back(p);  // a duplicate
  }
  MatrixXfR m(rows.size(), dim);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int c = 0; c < dim; ++c) m(i, c) = rows[i][c];
  return m;
}

// Whether points holds the centered coordinates of the training points in neighbors.
bool points_of(const TrainingSet& train, const std::vector<int>& neighbors, const std::vector<float>& points) {
  const int d = train.dim();
  if (points.size() != neighbors.size() * size_t(d)) return false;
  for (size_t j = 0; j < neighbors.size(); ++j)
    for (int c = 0; c < d; ++c)
      if (points[j * d + c] != train.centered(neighbors[j], c)) return false;
  return true;
}

// Every search, and the box tree on every instruction set, as (search, isa) pairs.
std::vector<std::pair<NeighborSearch, Isa>> searches_to_check() {
  std::vector<std::pair<NeighborSearch, Isa>> out = {{NeighborSearch::kd_tree, Isa::best},
                                                     {NeighborSearch::brute_force, Isa::best}};
  for (Isa isa : available_isas()) out.emplace_back(NeighborSearch::box_tree, isa);
  return out;
}

TEST(Neighbors, EverySearchEqualsOracleWithTiesAndDuplicates) {
  ThreadPool pool(2);
  for (int dim : {2, 3, 5}) {
    const MatrixXfR x = grid_with_duplicates(dim);
    const TrainingSet train(x);
    // Queries on grid points, half-integers and corners: many exactly tied distances.
    MatrixXfR q(12, dim);
    for (int r = 0; r < 12; ++r)
      for (int c = 0; c < dim; ++c) q(r, c) = float((r * 7 + c * 3) % 5) * 0.5f;
    // Centered queries for the index (x - mean), as the estimator passes them.
    const MatrixXfR centered = minus_mean(q, train);
    for (int k : {1, 4, 9, 20, int(x.rows())}) {
      for (const auto& [search, isa] : searches_to_check()) {
        const NeighborIndex index(train, search);
        std::vector<int> got(12 * k);
        std::vector<float> points(size_t(12) * k * dim);
        KernelOptions options;
        options.isa = isa;
        ASSERT_TRUE(index.find(centered.data(), 12, dim, k, got.data(), pool, options, nullptr, points.data()));
        EXPECT_TRUE(points_of(train, got, points)) << neighbor_search_name(search) << " " << isa_name(isa);
        for (int r = 0; r < 12; ++r) {
          // The oracle works on the same centered coordinates the index stores.
          const std::vector<int> want = oracle_neighbors(
              train.points().rowwise() - Eigen::Map<const Eigen::RowVectorXf>(train.mean().data(), dim),
              centered.row(r).data(), k);
          EXPECT_EQ(std::vector<int>(got.begin() + r * k, got.begin() + (r + 1) * k), want)
              << neighbor_search_name(search) << " " << isa_name(isa) << " dim " << dim << " k " << k << " query " << r;
        }
      }
    }
  }
}

// Hints (a bound for the tree searches) never change the answer: the true neighbours of a nearby
// query, random indices, repeated indices (not a valid hint: the search must notice), and the
// output array itself.
TEST(Neighbors, HintsGiveTheOracleNeighbors) {
  ThreadPool pool(2);
  for (NeighborSearch search : {NeighborSearch::kd_tree, NeighborSearch::box_tree})
    for (int dim : {2, 3}) {
      const MatrixXfR x = normal_points(3000, dim, 11);
      const TrainingSet train(x);
      const MatrixXfR centered_x = minus_mean(x, train);
      MatrixXfR q = normal_points(40, dim, 12) * 2.0f, moved = q;
      moved.array() += 0.05f;
      const NeighborIndex index(train, search);
      const int k = 15;
      std::vector<int> previous(40 * k), random(40 * k), repeated(40 * k), got(40 * k);
      ASSERT_TRUE(index.find(q.data(), 40, dim, k, previous.data(), pool));
      Rng rng(13, 0);
      for (int& i : random) i = int(rng.uniform_index(3000));  // far from the queries, some repeated
      for (int r = 0; r < 40; ++r)  // the query's own nearest point, k times: a bound only it meets
        for (int j = 0; j < k; ++j)
          repeated[size_t(r * k + j)] = oracle_neighbors(centered_x, moved.row(r).data(), 1)[0];
      for (const std::vector<int>* hints : {&previous, &random, &repeated}) {
        std::fill(got.begin(), got.end(), -1);
        ASSERT_TRUE(index.find(moved.data(), 40, dim, k, got.data(), pool, {}, hints->data()));
        for (int r = 0; r < 40; ++r)
          EXPECT_EQ(std::vector<int>(got.begin() + r * k, got.begin() + (r + 1) * k),
                    oracle_neighbors(centered_x, moved.row(r).data(), k))
              << neighbor_search_name(search) << " dim " << dim << " query " << r << " hint " << (hints - &previous);
      }
      std::vector<int> in_place = previous;
      ASSERT_TRUE(index.find(moved.data(), 40, dim, k, in_place.data(), pool, {}, in_place.data()));
      for (int r = 0; r < 40; ++r)
        EXPECT_EQ(std::vector<int>(in_place.begin() + r * k, in_place.begin() + (r + 1) * k),
                  oracle_neighbors(centered_x, moved.row(r).data(), k));
    }
}

// Squared distances beyond float's range (queries near 1e20) still give the true neighbours.
TEST(Neighbors, TreesSurviveOverflowingDistances) {
  ThreadPool pool(1);
  const MatrixXfR x = normal_points(200, 2, 14);
  const TrainingSet train(x);
  const MatrixXfR centered_x = minus_mean(x, train);
  for (NeighborSearch search : {NeighborSearch::kd_tree, NeighborSearch::box_tree}) {
    const NeighborIndex index(train, search);
    const float q[2] = {3e19f, -1e20f};
    std::vector<int> got(5);
    ASSERT_TRUE(index.find(q, 1, 2, 5, got.data(), pool));
    EXPECT_EQ(got, oracle_neighbors(centered_x, q, 5)) << neighbor_search_name(search);
  }
}

// A thousand copies of one point among others: every copy ties, more than the search's scratch
// holds at first (it must grow it), and the lowest indices win.
TEST(Neighbors, BoxTreeManyTiedCopies) {
  ThreadPool pool(2);
  MatrixXfR x = normal_points(3000, 2, 31);
  for (int i = 0; i < 3000; i += 3) x.row(i) << 0.25f, -0.5f;
  const TrainingSet train(x);
  const MatrixXfR centered_x = minus_mean(x, train);
  MatrixXfR q(2, 2);
  q << 0.25f, -0.5f, 0.3f, -0.5f;  // on the copies, and beside them
  const MatrixXfR centered_q = minus_mean(q, train);
  const NeighborIndex index(train, NeighborSearch::box_tree);
  for (Isa isa : available_isas())
    for (int k : {5, 40}) {
      KernelOptions options;
      options.isa = isa;
      std::vector<int> got(2 * k);
      ASSERT_TRUE(index.find(centered_q.data(), 2, 2, k, got.data(), pool, options));
      for (int r = 0; r < 2; ++r)
        EXPECT_EQ(std::vector<int>(got.begin() + r * k, got.begin() + (r + 1) * k),
                  oracle_neighbors(centered_x, centered_q.row(r).data(), k))
            << isa_name(isa) << " k " << k << " query " << r;
    }
}

// The box tree over several levels (N = 20,000: 1,250 blocks, 79 groups, 5, 1), in every
// dimension it compiles (1 to 8), on every instruction set, from scratch and bounded by the
// neighbours of a query moved a little: the oracle's neighbours, queries near and far.
TEST(Neighbors, BoxTreeEqualsOracleInEveryDimensionAndIsa) {
  ThreadPool pool(2);
  for (int dim = 1; dim <= 8; ++dim) {
    const MatrixXfR x = normal_points(20000, dim, 40 + dim);
    const TrainingSet train(x);
    const MatrixXfR centered_x = minus_mean(x, train);
    MatrixXfR q = normal_points(30, dim, 60 + dim);
    for (int r = 0; r < 30; ++r) q.row(r) *= float(1 << (r % 6));  // 1 to 32 standard deviations out
    MatrixXfR moved = q;
    moved.array() += 0.02f;
    const int k = dim == 1 ? 40 : 15;  // in 1-D, more than a block
    const NeighborIndex index(train, NeighborSearch::box_tree);
    for (Isa isa : available_isas()) {
      KernelOptions options;
      options.isa = isa;
      std::vector<int> first(30 * k), second(30 * k);
      std::vector<float> points(size_t(30) * k * dim);
      ASSERT_TRUE(index.find(q.data(), 30, dim, k, first.data(), pool, options, nullptr, points.data()));
      EXPECT_TRUE(points_of(train, first, points)) << isa_name(isa) << " dim " << dim;
      // Bounded by the first answer, its coordinates given: in place, as the estimator does.
      second = first;
      ASSERT_TRUE(index.find(moved.data(), 30, dim, k, second.data(), pool, options, second.data(), points.data(),
                             points.data()));
      EXPECT_TRUE(points_of(train, second, points)) << isa_name(isa) << " dim " << dim;
      for (int r = 0; r < 30; ++r) {
        EXPECT_EQ(std::vector<int>(first.begin() + r * k, first.begin() + (r + 1) * k),
                  oracle_neighbors(centered_x, q.row(r).data(), k))
            << isa_name(isa) << " dim " << dim << " query " << r;
        EXPECT_EQ(std::vector<int>(second.begin() + r * k, second.begin() + (r + 1) * k),
                  oracle_neighbors(centered_x, moved.row(r).data(), k))
            << isa_name(isa) << " dim " << dim << " moved query " << r;
      }
    }
  }
}

// The bound a hint's coordinates give the box tree's search: the farthest of the k points,
// each squared distance summed in coordinate order in float (the bits the search compares
// against), on every instruction set and dimension, for k below, at and past one vector of
// 16, a NaN coordinate passed over as std::max passes it over. Too small a bound would only
// send the search to its slow fallback, so the answers above cannot show it.
TEST(Neighbors, HintBoundIsTheFarthestPointOnEveryIsa) {
  for (int dim = 1; dim <= 8; ++dim)
    for (int k : {1, 15, 16, 17, 40}) {
      const MatrixXfR points = normal_points(k, dim, 200 + dim + k);
      const MatrixXfR query = normal_points(1, dim, 300 + dim);
      for (bool with_nan : {false, true}) {
        MatrixXfR hint = points;
        if (with_nan) hint(k / 2, dim - 1) = NAN;
        float want = 0.0f;
        for (int j = 0; j < k; ++j) {
          volatile float sum = 0.0f;  // no contraction: (q - p)^2 rounded, then added
          for (int c = 0; c < dim; ++c) {
            const volatile float diff = query(0, c) - hint(j, c);
            const volatile float square = diff * diff;
            sum = sum + square;
          }
          want = std::max(want, float(sum));
        }
        for (Isa isa : available_isas())
          EXPECT_EQ(knn_table(isa).box.farthest(query.data(), hint.data(), k, dim), want)
              << isa_name(isa) << " dim " << dim << " k " << k << " nan " << with_nan;
      }
    }
}

TEST(Neighbors, BruteForceMatchesOracleOnRandomDataEveryIsa) {
  ThreadPool pool(2);
  const MatrixXfR x = normal_points(3000, 40, 3);
  const TrainingSet train(x);
  const MatrixXfR q = minus_mean(normal_points(20, 40, 4), train);
  const MatrixXfR centered_x = minus_mean(x, train);
  for (Isa isa : available_isas()) {
    KernelOptions options;
    options.isa = isa;
    const NeighborIndex index(train, NeighborSearch::brute_force);
    std::vector<int> got(20 * 10);
    ASSERT_TRUE(index.find(q.data(), 20, 40, 10, got.data(), pool, options));
    for (int r = 0; r < 20; ++r)
      EXPECT_EQ(std::vector<int>(got.begin() + r * 10, got.begin() + (r + 1) * 10),
                oracle_neighbors(centered_x, q.row(r).data(), 10))
          << isa_name(isa);
  }
}

// Check 11: K = N, and K + L = N, reproduce the exact posterior mean (float64 oracle).

// Points around `clusters` centres in d dimensions (the structure k-means cells find).
MatrixXfR clustered_points(int n, int d, int clusters, uint64_t seed) {
  const MatrixXfR centres = normal_points(clusters, d, seed, 4.0);
  MatrixXfR x = normal_points(n, d, seed + 1);
  for (int i = 0; i < n; ++i) x.row(i) += centres.row(i % clusters);
  return x;
}

// The IVF index probing every cell is the exact search: the oracle's neighbours, on every
// instruction set, float and uint8 training sets; with k = 60 (three cells' points) a query's
// search bound comes from its first several cells.
TEST(Ivf, ProbingEveryCellIsTheExactSearch) {
  ThreadPool pool(2);
  const MatrixXfR x = clustered_points(2000, 40, 12, 5);
  const TrainingSet train(x);
  std::vector<uint8_t> values(1500 * 30);
  Rng rng(8, 9);
  for (uint8_t& v : values) v = uint8_t(rng.uniform_index(256));
  const TrainingSet bytes(values.data(), 1500, 30, 1.0f / 255);
  for (const TrainingSet* set : {&train, &bytes}) {
    const int d = set->dim(), n_queries = 25;
    MatrixXfR centered_x(set->n(), d);
    for (int i = 0; i < set->n(); ++i)
      for (int c = 0; c < d; ++c) centered_x(i, c) = set->centered(i, c);
    MatrixXfR q(n_queries, d);
    for (int r = 0; r < n_queries; ++r) q.row(r) = centered_x.row(r * 37) + 0.3f * normal_points(1, d, r + 100);
    for (Isa isa : available_isas()) {
      IvfOptions ivf;
      ivf.cells = 20;
      ivf.probe = 20;
      ivf.isa = isa;
      const NeighborIndex index(*set, NeighborSearch::ivf, &pool, ivf);
      EXPECT_EQ(index.ivf_cells(), 20);
      KernelOptions options;
      options.isa = isa;
      for (int k : {9, 60}) {
        std::vector<int> got(size_t(n_queries) * k);
        ASSERT_TRUE(index.find(q.data(), n_queries, d, k, got.data(), pool, options));
        // In order for k = 9; for k = 60 as sets (float keys may order near ties otherwise than
        // the float64 oracle)
        for (int r = 0; r < n_queries; ++r) {
          std::vector<int> found(got.begin() + r * k, got.begin() + (r + 1) * k),
              expected = oracle_neighbors(centered_x, q.row(r).data(), k);
          if (k > 9) {
            std::sort(found.begin(), found.end());
            std::sort(expected.begin(), expected.end());
          }
          EXPECT_EQ(found, expected) << isa_name(isa) << ", query " << r << ", k = " << k;
        }
      }
    }
  }
}

// With its default (a recall target) the index finds most true neighbours of points near the data
// (recall against the float64 oracle), the same ones on any number of threads and whatever other
// queries share the call; more probes find more; asking for more neighbours than the probed cells
// hold takes further cells.
TEST(Ivf, RecallIsHighTheSameOnEveryThreadCountAndGrowsWithProbes) {
  const int n = 6000, d = 48, k = 15, n_queries = 60;
  const MatrixXfR x = clustered_points(n, d, 40, 11);
  const TrainingSet train(x);
  const MatrixXfR centered_x = minus_mean(x, train);
  MatrixXfR q(n_queries, d);
  for (int r = 0; r < n_queries; ++r) q.row(r) = centered_x.row(r * 97) + 0.5f * normal_points(1, d, r + 7);
  const auto recall_of = [&](const std::vector<int>& got) {
    int hits = 0;
    for (int r = 0; r < n_queries; ++r) {
      std::vector<int> truth = oracle_neighbors(centered_x, q.row(r).data(), k);
      for (int j = 0; j < k; ++j) hits += std::count(truth.begin(), truth.end(), got[size_t(r) * k + j]);
    }
    return double(hits) / (n_queries * k);
  };
  std::vector<int> first;
  double last_recall = 0;
  for (int probe : {2, 0, 40}) {
    IvfOptions ivf;
    ivf.probe = probe;
    ThreadPool one(1);
    const NeighborIndex index(train, NeighborSearch::ivf, &one, ivf);
    std::vector<int> got(size_t(n_queries) * k);
    ASSERT_TRUE(index.find(q.data(), n_queries, d, k, got.data(), one));
    const double recall = recall_of(got);
    EXPECT_GE(recall, last_recall) << "probe " << probe;
    last_recall = recall;
    if (probe == 0) {
      EXPECT_GE(recall, 0.9);
      first = got;
      for (int threads : {2, 3}) {
        ThreadPool pool(threads);
        const NeighborIndex again(train, NeighborSearch::ivf, &pool, ivf);
        std::vector<int> other(got.size());
        ASSERT_TRUE(again.find(q.data(), n_queries, d, k, other.data(), pool));
        EXPECT_EQ(other, got) << threads << " threads";
      }
      std::vector<int> alone(size_t(7) * k);  // rows 20 ... 26 on their own
      ASSERT_TRUE(index.find(q.row(20).data(), 7, d, k, alone.data(), one));
      EXPECT_TRUE(std::equal(alone.begin(), alone.end(), got.begin() + 20 * k));
    }
  }
  EXPECT_EQ(last_recall, 1.0);  // 40 of sqrt(6000) = 77 cells: every neighbour of these queries
  // k = 500 from 1 probed cell of about 78 points: further cells are taken until 500 are held.
  IvfOptions ivf;
  ivf.probe = 1;
  ThreadPool pool(2);
  const NeighborIndex index(train, NeighborSearch::ivf, &pool, ivf);
  std::vector<int> many(size_t(2) * 500);
  ASSERT_TRUE(index.find(q.data(), 2, d, 500, many.data(), pool));
  std::vector<int> sorted(many.begin(), many.begin() + 500);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());  // 500 distinct points
}

// On a byte image set the index (its k-means on bytes where integer dot products are fast, in
// floats elsewhere) finds most true neighbours at its recall target, on every instruction set,
// the same ones on any number of threads.
TEST(Ivf, ByteSetsReachTheRecallOnEveryIsaAndThreadCount) {
  const int n = 4000, d = 144, k = 15, n_queries = 40, clusters = 30;
  Rng rng(31, 7);
  std::vector<uint8_t> centres(size_t(clusters) * d), values(size_t(n) * d);
  for (uint8_t& v : centres) v = uint8_t(rng.uniform() < 0.3 ? 200 + rng.uniform_index(56) : 0);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) {
      const double v = centres[size_t(i % clusters) * d + c] + 25 * rng.normal();
      values[size_t(i) * d + c] = uint8_t(std::min(255.0, std::max(0.0, std::round(v))));
    }
  const TrainingSet train(values.data(), n, d, 1.0f / 255);
  MatrixXfR centered_x(n, d), q(n_queries, d);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) centered_x(i, c) = train.centered(i, c);
  for (int r = 0; r < n_queries; ++r) q.row(r) = centered_x.row(r * 89) + 0.1f * normal_points(1, d, r + 3);
  for (Isa isa : available_isas()) {
    IvfOptions ivf;
    ivf.isa = isa;
    KernelOptions options;
    options.isa = isa;
    std::vector<int> got[2];
    for (int threads : {1, 3}) {
      ThreadPool pool(threads);
      const NeighborIndex index(train, NeighborSearch::ivf, &pool, ivf);
      got[threads == 3].resize(size_t(n_queries) * k);
      ASSERT_TRUE(index.find(q.data(), n_queries, d, k, got[threads == 3].data(), pool, options));
    }
    EXPECT_EQ(got[0], got[1]) << isa_name(isa);
    int hits = 0;
    for (int r = 0; r < n_queries; ++r) {
      const std::vector<int> truth = oracle_neighbors(centered_x, q.row(r).data(), k);
      for (int j = 0; j < k; ++j) hits += int(std::count(truth.begin(), truth.end(), got[0][size_t(r) * k + j]));
    }
    EXPECT_GE(double(hits) / (n_queries * k), 0.9) << isa_name(isa);
    // The cells follow the clusters: 4 of the 63 cells hold most of a query's neighbours.
    ivf.probe = 4;
    ThreadPool pool(2);
    const NeighborIndex few(train, NeighborSearch::ivf, &pool, ivf);
    std::vector<int> near(size_t(n_queries) * k);
    ASSERT_TRUE(few.find(q.data(), n_queries, d, k, near.data(), pool, options));
    hits = 0;
    for (int r = 0; r < n_queries; ++r) {
      const std::vector<int> truth = oracle_neighbors(centered_x, q.row(r).data(), k);
      for (int j = 0; j < k; ++j) hits += int(std::count(truth.begin(), truth.end(), near[size_t(r) * k + j]));
    }
    EXPECT_GE(double(hits) / (n_queries * k), 0.8) << isa_name(isa) << ", 4 cells";
  }
}

// A recall target is met at every noise level (recall against the float64 oracle, on queries
// other than the calibration's): noisier queries probe more cells, and the noisiest are handed
// to the exact scan (the oracle's neighbours exactly); the same answers on any thread count and
// instruction set. Targets outside (0, 1] are refused.
TEST(Ivf, ARecallTargetHoldsAtEveryNoiseLevel) {
  const int n = 5000, d = 32, k = 12, n_queries = 40;
  // Clusters 0.25 wide, their centres 1 apart per coordinate: the calibrated noise (0.1 to 6.4)
  // runs from inside a cluster to far beyond the data.
  const MatrixXfR x = 0.25f * clustered_points(n, d, 30, 31);
  const TrainingSet train(x);
  const MatrixXfR centered_x = minus_mean(x, train);
  for (double target : {0.8, 0.95}) {
    IvfOptions ivf;
    ivf.recall = target;
    ivf.k = k;
    ThreadPool one(1);
    const NeighborIndex index(train, NeighborSearch::ivf, &one, ivf);
    EXPECT_EQ(index.ivf_probe(), 0);
    EXPECT_EQ(index.ivf_recall(), target);
    const auto levels = index.ivf_calibration();
    ASSERT_EQ(levels.size(), 7u);
    EXPECT_LT(levels.front().second, levels.back().second);  // noisier: more cells
    for (size_t j = 1; j < levels.size(); ++j) {
      EXPECT_GE(levels[j].first, levels[j - 1].first);
      EXPECT_GE(levels[j].second, levels[j - 1].second);
    }
    for (double s : {0.05, 0.4, 1.5, 100.0}) {
      MatrixXfR q(n_queries, d);
      for (int r = 0; r < n_queries; ++r)
        q.row(r) = centered_x.row(r * 113 + 5) + float(s) * normal_points(1, d, 900 + r);
      const auto recall_of = [&](const std::vector<int>& got, bool* all_exact) {
        int hits = 0;
        for (int r = 0; r < n_queries; ++r) {
          const std::vector<int> truth = oracle_neighbors(centered_x, q.row(r).data(), k);
          for (int j = 0; j < k; ++j) hits += std::count(truth.begin(), truth.end(), got[size_t(r) * k + j]);
          *all_exact = *all_exact && std::equal(truth.begin(), truth.end(), got.begin() + size_t(r) * k);
        }
        return double(hits) / (n_queries * k);
      };
      std::vector<int> got(size_t(n_queries) * k);
      ASSERT_TRUE(index.find(q.data(), n_queries, d, k, got.data(), one));
      bool all_exact = true;
      EXPECT_GE(recall_of(got, &all_exact), target - 0.03) << "target " << target << ", noise " << s;
      if (s == 100.0) {
        EXPECT_TRUE(all_exact) << "the noisiest queries go to the exact scan";
      }
      {
        ThreadPool pool(3);
        const NeighborIndex again(train, NeighborSearch::ivf, &pool, ivf);
        std::vector<int> same(got.size());
        ASSERT_TRUE(again.find(q.data(), n_queries, d, k, same.data(), pool));
        EXPECT_EQ(same, got) << "3 threads, noise " << s;
      }
      // Each instruction set calibrates and searches on its own dot products (answers may differ
      // at near ties), and meets the target too.
      for (Isa isa : available_isas()) {
        ThreadPool pool(2);
        IvfOptions other = ivf;
        other.isa = isa;
        const NeighborIndex again(train, NeighborSearch::ivf, &pool, other);
        KernelOptions options;
        options.isa = isa;
        std::vector<int> theirs(got.size());
        ASSERT_TRUE(again.find(q.data(), n_queries, d, k, theirs.data(), pool, options));
        bool exact = true;
        EXPECT_GE(recall_of(theirs, &exact), target - 0.03)
            << isa_name(isa) << ", target " << target << ", noise " << s;
      }
    }
  }
  for (double bad : {-0.1, 1.5, double(NAN)}) {
    IvfOptions ivf;
    ivf.recall = bad;
    EXPECT_THROW(NeighborIndex(train, NeighborSearch::ivf, nullptr, ivf), Error) << bad;
  }
}

// The kNN sampler with the IVF index: finite samples, the same on any thread count; the estimator
// refuses impossible settings.
TEST(Ivf, TheSamplerRunsOnItDeterministically) {
  const MatrixXfR x = clustered_points(3000, 24, 30, 21);
  const TrainingSet train(x);
  SamplerParams params = default_sampler_params();
  params.estimator = Estimator::knn;
  params.knn.k = 20;
  params.knn.l = 10;
  params.n_samples = 16;
  params.n_steps = 20;
  params.knn.search = NeighborSearch::ivf;
  MatrixXfR first;
  for (int threads : {1, 3}) {
    ThreadPool pool(threads);
    Sampler sampler(train, params, pool);
    sampler.run([](int) { return true; });
    ASSERT_TRUE(sampler.states().allFinite());
    if (threads == 1)
      first = sampler.states();
    else
      EXPECT_TRUE(bit_identical(sampler.states(), first));
  }
  params.knn.ivf.cells = 3001;
  ThreadPool pool(1);
  EXPECT_THROW(Sampler(train, params, pool), Error);
  params.knn.ivf.cells = 0;
  params.knn.ivf.probe = -1;
  EXPECT_THROW(Sampler(train, params, pool), Error);
}

TEST(Neighbors, Uint8StorageMatchesOracle) {
  ThreadPool pool(2);
  std::vector<uint8_t> values(2000 * 30);
  Rng rng(8, 9);
  for (uint8_t& v : values) v = uint8_t(rng.uniform_index(256));
  const TrainingSet train(values.data(), 2000, 30, 1.0f / 255);
  MatrixXfR centered_x(2000, 30), q = normal_points(10, 30, 2) * 0.3f;
  for (int i = 0; i < 2000; ++i)
    for (int c = 0; c < 30; ++c) centered_x(i, c) = train.centered(i, c);
  EXPECT_THROW(NeighborIndex(train, NeighborSearch::box_tree), Error);  // 30 dimensions: more than it compiles
  for (NeighborSearch search : {NeighborSearch::brute_force, NeighborSearch::kd_tree}) {
    const NeighborIndex index(train, search);
    std::vector<int> got(10 * 5);
    ASSERT_TRUE(index.find(q.data(), 10, 30, 5, got.data(), pool));
    for (int r = 0; r < 10; ++r)
      EXPECT_EQ(std::vector<int>(got.begin() + r * 5, got.begin() + (r + 1) * 5),
                oracle_neighbors(centered_x, q.row(r).data(), 5))
          << neighbor_search_name(search);
  }
}

// KernelTable::dots_u8 on every instruction set: the exact integer sums (an int64 loop), with the
// extremes (255 x -127, 255 x 127) and row lengths that leave a partial vector.
TEST(ScanU8, IntegerDotProductsAreExactOnEveryIsa) {
  Rng rng(21, 3);
  for (int stride : {16, 32, 112, 784, 800}) {
    const int rows = 8, len = 12;
    std::vector<int8_t> q(size_t(rows) * stride);
    std::vector<uint8_t> x(size_t(len) * stride);
    for (size_t i = 0; i < q.size(); ++i)
      q[i] = int8_t(i % 5 == 0 ? -127 : i % 7 == 0 ? 127 : int(rng.uniform_index(255)) - 127);
    for (size_t i = 0; i < x.size(); ++i) x[i] = uint8_t(i % 3 == 0 ? 255 : rng.uniform_index(256));
    for (Isa isa : available_isas()) {
      std::vector<int32_t> got(size_t(rows) * len, -1);
      kernel_table(isa).dots_u8(q.data(), rows, x.data(), len, stride, got.data(), len);
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < len; ++c) {
          int64_t sum = 0;
          for (int k = 0; k < stride; ++k) sum += int64_t(q[size_t(r) * stride + k]) * x[size_t(c) * stride + k];
          ASSERT_EQ(got[size_t(r) * len + c], sum) << isa_name(isa) << ", stride " << stride << ", " << r << ", " << c;
        }
    }
  }
}

// The float scan's answer (KernelTable::nearest, or nearest_columns for a set in the column
// layout, as NeighborIndex scans without scan_u8).
std::vector<int> float_scan(const TrainingSet& train, const MatrixXfR& q, int k, Isa isa) {
  const int n_queries = int(q.rows()), blocks = (n_queries + kQueryBlock - 1) / kQueryBlock;
  std::vector<float> padded(size_t(blocks) * kQueryBlock * train.stride(), 0.0f);
  for (int r = 0; r < n_queries; ++r)
    for (int c = 0; c < train.dim(); ++c) padded[size_t(r) * train.stride() + c] = q(r, c);
  const KernelJob job = make_kernel_job(train, padded.data(), nullptr, 0.0f, nullptr);
  std::vector<int> found(size_t(blocks) * kQueryBlock * k);
  std::vector<float> scratch(nearest_scratch_floats(job, blocks * kQueryBlock, k));
  (job.columns ? kernel_table(isa).nearest_columns : kernel_table(isa).nearest)(job, 0, blocks, k, found.data(),
                                                                                scratch.data());
  found.resize(size_t(n_queries) * k);
  return found;
}

// scan_u8 on bytes gives float_scan's answer on every instruction set, on 1 and 3 threads.
void expect_the_float_scan(const TrainingSet& train, const ByteRows& bytes, const MatrixXfR& q, int k,
                           const std::string& label) {
  const int n_queries = int(q.rows());
  for (Isa isa : available_isas()) {
    const std::vector<int> want = float_scan(train, q, k, isa);
    KernelOptions options;
    options.isa = isa;
    for (int threads : {1, 3}) {
      ThreadPool pool(threads);
      std::vector<int> got(size_t(n_queries) * k, -1);
      ASSERT_EQ(scan_u8(train, bytes, q.data(), n_queries, train.dim(), k, got.data(), pool, options, true),
                U8Scan::done);
      EXPECT_EQ(got, want) << isa_name(isa) << ", " << label << ", " << threads << " threads";
    }
  }
}

// The two-pass scan of uint8 sets is the float scan bit for bit, on every instruction set and
// thread count: random bytes, sparse MNIST-like rows with many duplicates (ties), and queries on
// the data, far off it (noisy), with one outlying coordinate (coarse rounding), and zero.
TEST(ScanU8, TwoPassScanIsTheFloatScanOnEveryIsa) {
  Rng rng(5, 17);
  struct Set {
    int n, d;
    std::vector<uint8_t> values;
  };
  std::vector<Set> sets = {{1500, 150, {}}, {2400, 196, {}}};  // (d > 128: no column layout)
  for (uint8_t& v : (sets[0].values = std::vector<uint8_t>(1500 * 150))) v = uint8_t(rng.uniform_index(256));
  sets[1].values.assign(2400 * 196, 0);
  for (int i = 0; i < 2400; ++i) {
    const int source = i % 4 == 3 ? i - 3 : i;  // every fourth row a copy of an earlier one
    for (int c = 0; c < 196; ++c)
      sets[1].values[size_t(i) * 196 + c] = source != i
                                                ? sets[1].values[size_t(source) * 196 + c]
                                                : (rng.uniform() < 0.2 ? uint8_t(rng.uniform_index(256)) : uint8_t(0));
  }
  for (const Set& set : sets) {
    const TrainingSet train(set.values.data(), set.n, set.d, 1.0f / 255);
    const ByteRows bytes = byte_rows(train, false);
    const int n_queries = 21, k = 12;
    MatrixXfR q(n_queries, set.d);
    for (int r = 0; r < n_queries; ++r) {
      const double noise = r < 7 ? 0.05 : r < 14 ? 3.0 : 0.5;
      for (int c = 0; c < set.d; ++c) q(r, c) = train.centered(r * 41, c) + float(noise * rng.normal());
    }
    q(14, 3) = 60.0f;  // one coordinate far beyond the rest: the rounding step is coarse
    q.row(20).setZero();
    expect_the_float_scan(train, bytes, q, k, "d = " + std::to_string(set.d));
  }
}

// Float sets rounded to bytes (each coordinate to 255 steps, the rest bounded per row) give the
// float scan's answer bit for bit as well: in the column layout (d <= 128: the packed bytes, and
// the rows' bytes) and in rows (d > 128), on every instruction set and thread count. The sets mimic
// a PCA space (coordinates of falling spread, one constant), with duplicated rows (ties); the
// queries lie on the data, off it, far off it, with one outlying coordinate, at zero and far out.
// A uint8 set in the column layout, which the float scan searches by columns, too.
TEST(ScanU8, FloatSetsInBytesGiveTheFloatScanOnEveryIsa) {
  Rng rng(7, 3);
  struct Case {
    int n, d;
    bool packed;
  };
  for (const Case& c : {Case{3000, 64, true}, Case{3000, 64, false}, Case{1200, 37, true}, Case{1500, 150, false}}) {
    MatrixXfR x(c.n, c.d);
    for (int i = 0; i < c.n; ++i)
      for (int k = 0; k < c.d; ++k)
        x(i, k) = i % 5 == 4 ? x(i - 4, k) : k == 7 ? 0.25f : float(3.0 / (1 + k / 4.0) * rng.normal());
    const TrainingSet train(x);
    ASSERT_EQ(train.columns() != nullptr, c.d <= TrainingSet::kColumnsMaxDim);
    const ByteRows bytes = byte_rows(train, c.packed);
    EXPECT_EQ(bytes.packed.empty(), !c.packed);
    const int n_queries = 26, k = 15;
    MatrixXfR q(n_queries, c.d);
    for (int r = 0; r < n_queries; ++r) {
      const double noise = r < 7 ? 0.02 : r < 14 ? 4.0 : r < 21 ? 0.5 : 40.0;
      for (int j = 0; j < c.d; ++j) q(r, j) = train.centered(r * 97 % c.n, j) + float(noise * rng.normal());
    }
    q(14, 3) = 300.0f;  // one coordinate far beyond the rest: the rounding step is coarse
    q.row(20).setZero();
    q.row(25) *= 1e4f;
    expect_the_float_scan(train, bytes, q, k, "d = " + std::to_string(c.d) + (c.packed ? ", packed" : ""));
    // Hints bound the scan from its start, the same answer: the answer itself (in place, as a
    // sampler passes its last neighbours), another query's, rows far off, and hints that are not
    // k distinct rows (ignored).
    ThreadPool pool(2);
    const std::vector<int> want = float_scan(train, q, k, Isa::best);
    std::vector<std::vector<int>> hint_sets(4, std::vector<int>(size_t(n_queries) * k));
    hint_sets[0] = want;
    for (int r = 0; r < n_queries; ++r)
      for (int j = 0; j < k; ++j) {
        hint_sets[1][size_t(r) * k + j] = want[size_t((r + 1) % n_queries) * k + j];
        hint_sets[2][size_t(r) * k + j] = c.n - 1 - j * 13;
        hint_sets[3][size_t(r) * k + j] = j < 2 ? 5 : j;  // row 5 twice
      }
    for (std::vector<int>& got : hint_sets) {
      ASSERT_EQ(scan_u8(train, bytes, q.data(), n_queries, c.d, k, got.data(), pool, {}, true, got.data()),
                U8Scan::done);
      EXPECT_EQ(got, want) << "d = " << c.d << ", hints";
    }
  }
  std::vector<uint8_t> values(size_t(800) * 20);
  for (size_t j = 0; j < values.size(); ++j) values[j] = j % 3 == 0 ? uint8_t(rng.uniform_index(256)) : 0;
  const TrainingSet narrow(values.data(), 800, 20, 1.0f / 255);
  ASSERT_NE(narrow.columns(), nullptr);
  MatrixXfR q(9, 20);
  for (int r = 0; r < 9; ++r)
    for (int j = 0; j < 20; ++j) q(r, j) = narrow.centered(r * 31, j) + float((r < 4 ? 0.05 : 2.0) * rng.normal());
  for (Isa isa : available_isas())
    for (bool packed : {true, false}) {
      ThreadPool pool(2);
      KernelOptions options;
      options.isa = isa;
      std::vector<int> got(size_t(9) * 6, -1);
      ASSERT_EQ(scan_u8(narrow, byte_rows(narrow, packed), q.data(), 9, 20, 6, got.data(), pool, options, true),
                U8Scan::done);
      EXPECT_EQ(got, float_scan(narrow, q, 6, isa)) << isa_name(isa) << (packed ? ", packed" : "");
    }
}

// What a sampler is told its kNN search will take (sampler_memory_bytes: the app and the CLI
// check it against the memory there is) covers the exact scan's bytes, packed or not.
TEST(ScanU8, TheMemoryEstimateCoversTheBytes) {
  std::vector<uint8_t> pixels(size_t(1001) * 784, 9);
  const TrainingSet images(pixels.data(), 1001, 784, 1.0f / 255);
  for (const int d : {20, 64, 128, 784}) {  // (784: a uint8 set, its own rows read in place)
    const MatrixXfR x = normal_points(1001, d, 3);
    const TrainingSet floats(x);
    const TrainingSet& train = d == 784 ? images : floats;
    const ByteRows bytes = byte_rows(train, train.columns() && d > kPackedScanMinDim);
    const uint64_t held =
        bytes.own.size() + bytes.packed.size() + sizeof(float) * (bytes.magnitude.size() + bytes.residual.size());
    SamplerParams params = default_sampler_params();
    params.estimator = Estimator::knn;
    params.n_samples = 0;  // the index alone
    params.knn.search = NeighborSearch::brute_force;
    EXPECT_GE(sampler_memory_bytes(params, d, train.n()), held) << "d = " << d;
  }
}

// The packed integer dot products are exact on every instruction set: against int64 sums, rows
// from an offset, lengths in 16s with the last 16 alone.
TEST(ScanU8, PackedDotProductsAreExactOnEveryIsa) {
  Rng rng(11, 2);
  const int n_padded = 96, words = 12, rows = 8;
  std::vector<uint8_t> packed(size_t(n_padded) * words * 4);
  std::vector<int8_t> q(size_t(rows) * words * 4);
  for (uint8_t& v : packed) v = uint8_t(rng.uniform_index(256));
  for (int8_t& v : q) v = int8_t(int(rng.uniform_index(255)) - 127);
  for (Isa isa : available_isas())
    for (int i0 : {0, 16, 32}) {
      const int len = n_padded - i0 - (i0 == 16 ? 16 : 0);
      std::vector<int32_t> got(size_t(rows) * len, -1);
      kernel_table(isa).dots_u8_packed(q.data(), rows, packed.data(), n_padded, words, i0, len, got.data(), len);
      for (int r = 0; r < rows; ++r)
        for (int j = 0; j < len; ++j) {
          int64_t sum = 0;
          for (int b = 0; b < words * 4; ++b)
            sum += int64_t(q[size_t(r) * words * 4 + b]) * packed[(size_t(b / 4) * n_padded + i0 + j) * 4 + b % 4];
          ASSERT_EQ(got[size_t(r) * len + j], sum) << isa_name(isa) << ", i0 " << i0 << ", " << r << ", " << j;
        }
    }
}

// It declines what it cannot do as the float scan would: a set whose bytes were not built, a
// query not finite, rows too long for 32-bit sums.
TEST(ScanU8, DeclinesWithoutBytesAndQueriesNotFinite) {
  ThreadPool pool(1);
  const MatrixXfR x = normal_points(100, 150, 1);
  const TrainingSet floats(x);
  std::vector<uint8_t> values(100 * 150, 7);
  const TrainingSet bytes(values.data(), 100, 150, 1.0f / 255);
  MatrixXfR q = normal_points(2, 150, 2);
  std::vector<int> got(2 * 3);
  EXPECT_EQ(scan_u8(floats, ByteRows(), q.data(), 2, 150, 3, got.data(), pool, {}, true), U8Scan::not_applicable);
  EXPECT_EQ(scan_u8(floats, byte_rows(floats, false), q.data(), 2, 150, 3, got.data(), pool, {}, true), U8Scan::done);
  EXPECT_EQ(scan_u8(bytes, byte_rows(bytes, false), q.data(), 2, 150, 3, got.data(), pool, {}, true), U8Scan::done);
  q(1, 5) = NAN;
  EXPECT_EQ(scan_u8(bytes, byte_rows(bytes, false), q.data(), 2, 150, 3, got.data(), pool, {}, true),
            U8Scan::not_applicable);
  // Rows of 70,000 bytes: 255 x 127 x 70,000 overflows a 32-bit sum.
  EXPECT_TRUE(u8_sums_fit(66304));
  EXPECT_FALSE(u8_sums_fit(70000));
  std::vector<uint8_t> long_rows(size_t(6) * 70000, 255);
  const TrainingSet wide(long_rows.data(), 6, 70000, 1.0f / 255);
  const MatrixXfR far = MatrixXfR::Constant(1, 70000, -1.0f);
  EXPECT_EQ(scan_u8(wide, byte_rows(wide, false), far.data(), 1, 70000, 3, got.data(), pool, {}, true),
            U8Scan::not_applicable);
}

}  // namespace
}  // namespace cfdm::test
