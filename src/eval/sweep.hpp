// The sigma sweep: the same noise (one seed) sampled at a range of smoothing scales sigma (and
// draws M), each run measured by its share of copies and the median distance from a sample to its
// nearest training point. Read left to right it is the story of the paper: at sigma = 0 every
// sample copies a training point (memorization), a little smoothing makes new points between them
// (generalization), and much more averages far-apart points (blur: distances grow again).
#pragma once
#include <functional>
#include <vector>

#include "core/sampler.hpp"

namespace cfdm::eval {

struct SweepRow {
  double sigma = 0;
  int draws = 1;
  double copy_share = 0;       // share of samples nearer than the copy threshold to a training point
  double median_distance = 0;  // median distance from a sample to its nearest training point
  double seconds = 0;          // sampling time of the run
};

// A run's share of copies (nearest distance below copy_threshold) and median nearest distance, into
// row, from each sample's distance to its nearest training point (not empty). One measure for the
// library's sweep and the app's.
void measure_run(std::vector<double> nearest_distance, double copy_threshold, SweepRow* row);

// 0, then count - 1 values spaced evenly in log from half the typical spacing of the training set
// to its spread (the root-mean-square distance of a training point from the mean).
std::vector<double> default_sweep_sigmas(const TrainingSet& train, ThreadPool& pool, int count = 13);

// Samples `base` (its seed, sizes and estimator) at every sigma for every M in draws (sigma = 0
// once, with M = 1: draws do not matter there) and measures each run. progress(done, total) is
// called after each run; returning false stops the sweep (the rows so far are returned). Throws
// cfdm::Error on a negative or non-finite sigma or an M below 1.
std::vector<SweepRow> sigma_sweep(const TrainingSet& train, const SamplerParams& base, const std::vector<double>& sigmas,
                                  const std::vector<int>& draws, ThreadPool& pool,
                                  const std::function<bool(int done, int total)>& progress = {});

}  // namespace cfdm::eval
