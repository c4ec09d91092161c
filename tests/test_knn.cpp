// The nearest-neighbour estimator (method.md section 5, check 11) and the neighbour searches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "core/error.hpp"
#include "core/knn.hpp"
#include "core/knn_row.hpp"
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
TEST(Knn, AllPointsReproduceExactPosteriorMean) {
  ThreadPool pool(2);
  const MatrixXfR x = normal_points(60, 3, 5);
  const TrainingSet train(x);
  const NeighborIndex index(train);
  const MatrixXfR z = normal_points(9, 3, 6);
  for (double t : {0.0, 0.3, 0.8, 0.97}) {
    const MatrixXdR expected = oracle_mean(x.cast<double>(), z.cast<double>(), t);
    for (auto [k, l] : {std::pair{60, 0}, std::pair{20, 40}, std::pair{1, 59}}) {
      KnnOptions options;
      options.k = k;
      options.l = l;
      MatrixXfR got(9, 3);
      ASSERT_TRUE(knn_posterior_mean(train, index, options, z.data(), 9, 3, t, 1, 2, got.data(), 3, pool));
      EXPECT_LT(max_abs_diff(got, expected), 2e-6) << "t=" << t << " K=" << k << " L=" << l;
    }
  }
}

// The estimator's sums in low dimension run per instruction set in float, in 16 lanes reduced in
// one fixed order: every instruction set gives the same bits, in every dimension up to 8, for a
// count of points that is not a multiple of a lane group and with either numerator choice; and
// they agree with the estimator computed in double from the same neighbours and draws.
TEST(Knn, RowSumsSameBitsOnEveryIsaAndMatchDouble) {
  ThreadPool pool(2);
  for (int dim = 1; dim <= 8; ++dim) {
    const MatrixXfR x = normal_points(500, dim, 70 + dim);
    const TrainingSet train(x);
    const NeighborIndex index(train);
    const MatrixXfR z = normal_points(20, dim, 90 + dim, 0.7);
    for (bool weight_numerator : {true, false}) {
      KnnOptions options;
      options.k = 7;
      options.l = 20;
      options.weight_numerator = weight_numerator;
      const double t = 0.6;
      MatrixXfR first(20, dim);
      for (Isa isa : available_isas()) {
        KernelOptions kernel;
        kernel.isa = isa;
        MatrixXfR got(20, dim);
        ASSERT_TRUE(
            knn_posterior_mean(train, index, options, z.data(), 20, dim, t, 3, 4, got.data(), dim, pool, kernel));
        if (isa == available_isas().front())
          first = got;
        else
          EXPECT_TRUE(bit_identical(got, first)) << isa_name(isa) << " dim " << dim;
      }
      // The double oracle on the same neighbours and draws (centered: c + sum w x' / sum w, which
      // differs from sum w x / sum w when the numerator leaves the draws out).
      std::vector<int> neighbors(20 * 7), drawn;
      ASSERT_TRUE(knn_neighbors(train, index, 7, z.data(), 20, dim, t, neighbors.data(), pool));
      for (int r = 0; r < 20; ++r) {
        Rng rng(3, uint64_t(r), 4);
        knn_draw_others(rng, 500, &neighbors[size_t(r) * 7], 7, 20, &drawn);
        std::vector<int> points(&neighbors[size_t(r) * 7], &neighbors[size_t(r) * 7] + 7);
        points.insert(points.end(), drawn.begin(), drawn.end());
        std::vector<double> logit;
        double top = -INFINITY;
        for (int i : points) {
          double dist_sq = 0;
          for (int c = 0; c < dim; ++c) dist_sq += std::pow(double(z(r, c)) - t * double(x(i, c)), 2);
          logit.push_back(-dist_sq / (2 * (1 - t) * (1 - t)));
          top = std::max(top, logit.back());
        }
        double denominator = 0;
        std::vector<double> numerator(dim, 0.0);
        for (size_t j = 0; j < points.size(); ++j) {
          const double w = std::exp(logit[j] - top) * (j < 7 ? 1.0 : (500.0 - 7) / 20);
          denominator += w;
          if (weight_numerator || j < 7)
            for (int c = 0; c < dim; ++c) numerator[size_t(c)] += w * (double(x(points[j], c)) - train.mean()[c]);
        }
        for (int c = 0; c < dim; ++c)
          EXPECT_NEAR(first(r, c), train.mean()[c] + numerator[size_t(c)] / denominator, 2e-5)
              << "dim " << dim << " row " << r << " numerator weighted " << weight_numerator;
      }
    }
  }
}

// The sampler's neighbour memory (last step's neighbours bounding this step's search) changes
// nothing: the same bits as searching afresh, for moving queries and after a change of size.
TEST(Knn, NeighborMemoryGivesTheSameBits) {
  ThreadPool pool(2);
  const TrainingSet train(normal_points(2000, 2, 15));
  const NeighborIndex index(train);
  const KnnOptions options;
  KnnMemory memory;
  MatrixXfR z = normal_points(50, 2, 16);
  for (int step = 1; step < 6; ++step) {
    const double t = 0.15 * step;
    const int rows = step == 4 ? 30 : 50;  // a different size: the memory starts afresh
    MatrixXfR fresh(rows, 2), remembered(rows, 2);
    ASSERT_TRUE(knn_posterior_mean(train, index, options, z.data(), rows, 2, t, 1, 2, fresh.data(), 2, pool));
    ASSERT_TRUE(knn_posterior_mean(train, index, options, z.data(), rows, 2, t, 1, 2, remembered.data(), 2, pool, {},
                                   nullptr, &memory));
    EXPECT_TRUE(bit_identical(fresh, remembered)) << "step " << step;
    ASSERT_EQ(memory.neighbors.size(), size_t(rows) * options.k);
    ASSERT_EQ(memory.points.size(), size_t(rows) * options.k * 2);
    for (size_t j = 0; j < memory.neighbors.size(); ++j)  // the carried coordinates are the neighbours'
      for (int c = 0; c < 2; ++c) ASSERT_EQ(memory.points[j * 2 + c], train.centered(memory.neighbors[j], c));
    z.topRows(rows) += 0.3 * (fresh - z.topRows(rows));  // move toward the estimate
  }
}

// Check 11: the estimated denominator is unbiased: E[(N-K)/L sum_L w + sum_K w] = sum_N w.
// 20,000 independent draws; the mean must lie within 4 standard errors of the exact sum.
TEST(Knn, DenominatorIsUnbiased) {
  const MatrixXfR x = normal_points(50, 2, 7);
  const TrainingSet train(x);
  const NeighborIndex index(train);
  ThreadPool pool(1);
  KnnOptions options;
  options.k = 4;
  options.l = 6;
  const double t = 0.6;
  const float z[2] = {0.3f, -0.2f};
  std::vector<int> neighbors(4);
  ASSERT_TRUE(knn_neighbors(train, index, 4, z, 1, 2, t, neighbors.data(), pool));
  double log_exact = -INFINITY;
  std::vector<double> logits;
  for (int i = 0; i < 50; ++i) {
    const double dist_sq = std::pow(z[0] - t * x(i, 0), 2) + std::pow(z[1] - t * x(i, 1), 2);
    logits.push_back(-dist_sq / (2 * (1 - t) * (1 - t)));
    log_exact = std::max(log_exact, logits.back());
  }
  double exact = 0;
  for (double l : logits) exact += std::exp(l - log_exact);
  std::vector<int> sorted = neighbors, drawn;
  std::sort(sorted.begin(), sorted.end());
  const int trials = 20000;
  double sum = 0, sum_sq = 0;
  KnnSums sums;
  for (int trial = 0; trial < trials; ++trial) {
    Rng rng(99, uint64_t(trial));
    knn_draw_others(rng, 50, sorted.data(), 4, 6, &drawn);
    ASSERT_EQ(drawn.size(), 6u);
    for (int j : drawn) ASSERT_FALSE(std::binary_search(sorted.begin(), sorted.end(), j));
    knn_sums(train, options, z, t, neighbors.data(), drawn.data(), &sums);
    const double estimate = sums.denominator * std::exp(sums.log_scale - log_exact);
    sum += estimate;
    sum_sq += estimate * estimate;
  }
  const double mean = sum / trials, std_error = std::sqrt((sum_sq / trials - mean * mean) / trials);
  EXPECT_GT(std_error, 0.0);
  EXPECT_NEAR(mean, exact, 4 * std_error) << "exact " << exact;
}

TEST(Knn, DrawsAreUniformOverNonNeighbors) {
  const std::vector<int> sorted = {2, 5, 6};
  std::vector<int> counts(10, 0), drawn;
  for (int trial = 0; trial < 14000; ++trial) {
    Rng rng(3, uint64_t(trial));
    knn_draw_others(rng, 10, sorted.data(), 3, 2, &drawn);
    ASSERT_EQ(drawn.size(), 2u);
    ASSERT_NE(drawn[0], drawn[1]);
    for (int j : drawn) ++counts[j];
  }
  for (int j : sorted) EXPECT_EQ(counts[j], 0);
  // 7 non-neighbours, each drawn with probability 2/7: 4000 expected; chi-square, 6 dof, p = 0.001.
  double chi = 0;
  for (int j = 0; j < 10; ++j)
    if (!std::binary_search(sorted.begin(), sorted.end(), j)) chi += std::pow(counts[j] - 4000.0, 2) / 4000.0;
  EXPECT_LT(chi, 22.46);
}

// Many neighbours (counted by binary search rather than a scan) and many draws (remembered in a
// hash set): the draws still avoid the neighbours, never repeat, and cover the other points
// uniformly.
TEST(Knn, DrawsAreUniformBesideManyNeighbors) {
  std::vector<int> neighbors;
  for (int i = 299; i >= 0; i -= 3) neighbors.push_back(i);  // 100 neighbours, in any order
  for (const auto& [l, trials] : {std::pair{5, 20000}, std::pair{100, 1000}}) {
    std::vector<int> counts(300, 0), drawn;
    for (int trial = 0; trial < trials; ++trial) {
      Rng rng(5, uint64_t(trial));
      knn_draw_others(rng, 300, neighbors.data(), 100, l, &drawn);
      ASSERT_EQ(drawn.size(), size_t(l));
      std::vector<int> unique = drawn;
      std::sort(unique.begin(), unique.end());
      ASSERT_EQ(std::unique(unique.begin(), unique.end()), unique.end());
      for (int j : drawn) ++counts[j];
    }
    // 200 non-neighbours, each in a trial's draws with probability p = l/200: counts binomial with
    // variance e (1 - p), and summing to l x trials. Their chi-square has 199 dof; p = 0.001.
    const double expected = double(trials) * l / 200, variance = expected * (1 - l / 200.0);
    double chi = 0;
    for (int j = 0; j < 300; ++j) {
      if (j % 3 == 2) {
        EXPECT_EQ(counts[j], 0) << j;
        continue;
      }
      chi += std::pow(counts[j] - expected, 2) / variance;
    }
    EXPECT_LT(chi, 267.0) << "L = " << l;
  }
}

// The draws are Floyd's algorithm on the stream's uniform_index, rank r then the r-th index that
// is not a neighbour: replayed here on the same stream, with the ranks mapped by walking the
// sorted neighbours, for few and many neighbours and draws (each path of knn_draw_others, the
// vector path on every instruction set), with repeated ranks common (N = 40) and Lemire's
// rejections common (N = 2e9, where the vector path must hand over to the scalar one).
TEST(Knn, DrawsEqualFloydReplayedOnTheSameStream) {
  for (const auto& [n, k, l] :
       {std::tuple{1000, 15, 15}, std::tuple{1000, 16, 16}, std::tuple{1000, 64, 64}, std::tuple{1000, 65, 15},
        std::tuple{1000, 15, 65}, std::tuple{300, 100, 200}, std::tuple{40, 1, 39}, std::tuple{40, 1, 16},
        std::tuple{40, 16, 16}, std::tuple{2000000000, 15, 15}, std::tuple{1000, 3, 0}}) {
    for (int trial = 0; trial < 50; ++trial) {
      Rng pick(77, uint64_t(trial));
      std::vector<int> neighbors;
      while (int(neighbors.size()) < k) {  // k distinct indices, in no order
        const int i = int(pick.uniform_index(uint32_t(n)));
        if (std::find(neighbors.begin(), neighbors.end(), i) == neighbors.end()) neighbors.push_back(i);
      }
      std::vector<int> sorted = neighbors;
      std::sort(sorted.begin(), sorted.end());
      Rng replay(9, uint64_t(trial));
      std::vector<int> ranks, want;
      for (int j = n - k - l; j < n - k; ++j) {
        const int r = int(replay.uniform_index(uint32_t(j + 1)));
        ranks.push_back(std::find(ranks.begin(), ranks.end(), r) != ranks.end() ? j : r);
      }
      for (int r : ranks) {
        int index = r;
        for (int s : sorted) index += s <= index;  // step over each neighbour at or below
        want.push_back(index);
      }
      for (Isa isa : available_isas()) {
        Rng rng(9, uint64_t(trial));
        std::vector<int> drawn;
        knn_draw_others(rng, n, neighbors.data(), k, l, &drawn, isa);
        ASSERT_EQ(drawn, want) << "N " << n << " K " << k << " L " << l << " trial " << trial << " " << isa_name(isa);
        ASSERT_EQ(rng.next_u64(), Rng(replay).next_u64()) << "the stream moves on as the replay's";
      }
    }
  }
}

SamplerParams knn_params(int k, int l, bool per_draw = true) {
  SamplerParams p = default_sampler_params();
  p.n_samples = 64;
  p.n_steps = 25;
  p.sigma = 0.2;
  p.n_draws = 2;
  p.seed = 4;
  p.estimator = Estimator::knn;
  p.knn.k = k;
  p.knn.l = l;
  p.knn.neighbors_per_draw = per_draw;
  return p;
}

MatrixXfR run(const TrainingSet& train, const SamplerParams& p, int threads) {
  ThreadPool pool(threads);
  Sampler sampler(train, p, pool);
  EXPECT_TRUE(sampler.run([](int) { return true; }));
  return sampler.states();
}

TEST(Knn, SamplerWithAllPointsMatchesExactSampler) {
  const TrainingSet train(normal_points(80, 2, 8));
  SamplerParams exact = knn_params(1, 0);
  exact.estimator = Estimator::exact;
  const MatrixXfR want = run(train, exact, 2);
  EXPECT_LT((run(train, knn_params(30, 50), 2) - want).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_LT((run(train, knn_params(80, 0, false), 2) - want).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(Knn, SamplerBitIdenticalAcrossThreadCounts) {
  for (int d : {2, 20}) {
    const TrainingSet train(normal_points(500, d, 9));
    for (bool per_draw : {true, false}) {
      const MatrixXfR one = run(train, knn_params(15, 15, per_draw), 1);
      EXPECT_TRUE(bit_identical(one, run(train, knn_params(15, 15, per_draw), 2)));
      EXPECT_TRUE(bit_identical(one, run(train, knn_params(15, 15, per_draw), 4)));
    }
  }
}

TEST(Knn, RejectsBadKAndL) {
  EXPECT_THROW(validate(KnnOptions{0, 5}, 100), Error);
  EXPECT_THROW(validate(KnnOptions{5, -1}, 100), Error);
  EXPECT_THROW(validate(KnnOptions{60, 41}, 100), Error);
  EXPECT_NO_THROW(validate(KnnOptions{60, 40}, 100));
  const TrainingSet train(normal_points(10, 2, 1));
  ThreadPool pool(1);
  EXPECT_THROW(Sampler(train, knn_params(8, 3), pool), Error);
}

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

// Sliced W2 against closed forms: a set against itself is 0; a shift by c moves every 1-D
// projection by <u, c>, so SW2^2 = E_u <u, c>^2 = |c|^2 / d.
TEST(Metrics, SlicedWassersteinClosedForms) {
  const MatrixXfR a = normal_points(500, 3, 1);
  EXPECT_DOUBLE_EQ(eval::sliced_wasserstein2(a, a), 0.0);
  MatrixXfR shifted = a;
  shifted.rowwise() += Eigen::RowVector3f(0.6f, 0.0f, 0.0f);
  EXPECT_NEAR(eval::sliced_wasserstein2(a, shifted, 4000), 0.6 / std::sqrt(3.0), 0.01);
  EXPECT_THROW(eval::sliced_wasserstein2(a, normal_points(499, 3, 1)), Error);
}

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

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

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

// A unit grid has spacing 1; points 0.05 from grid points are copies at threshold 0.1 and by the
// ratio test (0.05 / 0.95 < 1/3); grid-cell centers (0.707 from four points) are neither.
TEST(Metrics, NearestStatsAndSpacingOnAGrid) {
  MatrixXfR grid(100, 2);
  for (int i = 0; i < 100; ++i) grid.row(i) << float(i % 10), float(i / 10);
  const TrainingSet train(grid);
  ThreadPool pool(2);
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool), 1.0);
  // The 64 inner points have 4 others at distance 1, then 4 at sqrt 2; edges and corners fewer.
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool, 2000, 4), 1.0);
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool, 2000, 5), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(eval::typical_spacing(train, pool, 2000, 8), std::sqrt(2.0));
  EXPECT_THROW(eval::typical_spacing(train, pool, 2000, 0), Error);
  EXPECT_THROW(eval::typical_spacing(train, pool, 2000, 100), Error);
  MatrixXfR near = grid.topRows(20);
  near.col(0).array() += 0.05f;
  const eval::NearestStats copies = eval::nearest_stats(eval::nearest_training(train, near, 2, pool), 0.1);
  EXPECT_DOUBLE_EQ(copies.copy_share, 1.0);
  EXPECT_DOUBLE_EQ(copies.ratio_share, 1.0);
  EXPECT_NEAR(copies.quantile[3], 0.05, 1e-6);
  MatrixXfR centers(9, 2);
  for (int i = 0; i < 9; ++i) centers.row(i) << i + 0.5f, 4.5f;
  const eval::NearestStats fresh = eval::nearest_stats(eval::nearest_training(train, centers, 2, pool), 0.1);
  EXPECT_DOUBLE_EQ(fresh.copy_share, 0.0);
  EXPECT_DOUBLE_EQ(fresh.ratio_share, 0.0);
  EXPECT_NEAR(fresh.quantile[6], std::sqrt(0.5), 1e-6);
}

}  // namespace
}  // namespace cfdm::test

namespace cfdm::test {
namespace {

// The app's inspector: the largest posterior weights of one point, against the float64 oracle.
TEST(Metrics, TopPosteriorWeightsMatchTheOracle) {
  Rng rng(5, 0);
  MatrixXfR x(300, 3);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = float(rng.normal());
  const TrainingSet train(x);
  const MatrixXdR stored = train.points().cast<double>();
  for (double t : {0.0, 0.3, 0.8, 0.97}) {
    const float z[3] = {0.4f, -0.2f, 0.9f};
    const double zd[3] = {0.4f, -0.2f, 0.9f};
    std::vector<double> oracle = oracle_weights(stored, zd, t);
    std::vector<int> order(oracle.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return oracle[size_t(a)] > oracle[size_t(b)]; });
    const auto top = eval::top_posterior_weights(train, z, t, 10);
    ASSERT_EQ(top.size(), 10u);
    for (size_t j = 0; j < top.size(); ++j) {
      EXPECT_EQ(top[j].first, order[j]) << "t = " << t << ", rank " << j;
      EXPECT_NEAR(top[j].second, oracle[size_t(order[j])], 1e-12 + 1e-9 * oracle[size_t(order[j])]);
    }
  }
  EXPECT_THROW(eval::top_posterior_weights(train, nullptr, 1.0, 3), Error);
}

}  // namespace
}  // namespace cfdm::test
