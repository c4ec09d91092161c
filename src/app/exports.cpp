// Exports of the shown step: samples and trajectories (.npy, .csv) and a picture (.png).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/app.hpp"
#include "app/app_internal.hpp"
#include "core/error.hpp"
#include "data/files.hpp"
#include "eval/metrics.hpp"
#include "output/image_grid.hpp"
#include "output/plot.hpp"

namespace cfdm::app {

std::string App::export_file(Export what) {
  int shown_step = 0;
  const MatrixXfR* states = history_at(view_step(), &shown_step);
  if (!states || !snapshot_.model) throw Error("nothing to export yet: wait for the first step");
  const Model& model = *snapshot_.model;
  // Samples in data space: images decode from a PCA space.
  auto to_data = [&](const MatrixXfR& z) { return model.pca ? model.pca->decode(z) : z; };
  char name[96];
  std::snprintf(name, sizeof name, "cfdm-%s-step%d", settings_.dataset.c_str(), shown_step);
  const std::string base = platform_.export_dir + "/" + name;
  switch (what) {
    case Export::samples_npy:
    case Export::samples_csv: {
      const std::string path = base + (what == Export::samples_npy ? ".npy" : ".csv");
      const MatrixXfR samples = to_data(*states);
      if (what == Export::samples_npy)
        data::write_matrix(path, samples);
      else
        data::write_csv(path, samples, data::csv_header(int(samples.cols())));
      return path;
    }
    case Export::trajectories_npy:
    case Export::trajectories_csv: {
      // Every recorded step up to the shown one: steps x samples x d (CSV: step, sample, coordinates).
      const auto& steps = snapshot_.history_steps;
      const size_t count = size_t(std::upper_bound(steps.begin(), steps.end(), shown_step) - steps.begin());
      const Eigen::Index b = states->rows(), d = to_data(states->topRows(1)).cols();
      const std::string path = base + (what == Export::trajectories_npy ? "-trajectories.npy" : "-trajectories.csv");
      MatrixXfR all(Eigen::Index(count) * b, d + (what == Export::trajectories_csv ? 2 : 0));
      for (size_t j = 0; j < count; ++j) {
        const MatrixXfR x = to_data(*snapshot_.history[j]);
        for (Eigen::Index i = 0; i < b; ++i) {
          const Eigen::Index row = Eigen::Index(j) * b + i;
          if (what == Export::trajectories_csv) {
            all(row, 0) = float(steps[j]);
            all(row, 1) = float(i);
            all.row(row).tail(d) = x.row(i);
          } else {
            all.row(row) = x.row(i);
          }
        }
      }
      if (what == Export::trajectories_npy)
        data::write_npy(path, {int64_t(count), int64_t(b), int64_t(d)}, all.data());
      else
        data::write_csv(path, all, data::csv_header(int(d), "step,sample,"));
      return path;
    }
    case Export::picture_png: {
      const std::string path = base + ".png";
      const MatrixXfR samples = to_data(*states);
      if (model.is_image()) {
        const eval::Nearest nearest = eval::nearest_training(*model.pixels, samples, 1, ui_pool_);
        const double threshold =
            model.pca ? eval::copy_threshold(*model.pixels, ui_pool_) : model.copy_threshold;
        data::write_file_atomic(path, output::image_grid_png(samples, *model.pixels, nearest,
                                                             {model.image_height, model.image_width, 1}, threshold));
      } else {
        data::write_file_atomic(path, output::scatter_png(points_, samples));
      }
      return path;
    }
  }
  throw Error("unknown export");
}

}  // namespace cfdm::app
