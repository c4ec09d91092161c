// The analytic family's names, options and the local model's patch-size schedule.
#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "core/posterior_mean.hpp"

namespace cfdm {

const char* model_name(Model model) {
  switch (model) {
    case Model::wiener: return "wiener";
    case Model::local: return "local";
    case Model::pca_local: return "pca-local";
    case Model::nearest: return "nearest";
    case Model::cfdm: break;
  }
  return "cfdm";
}

Model parse_model(const std::string& name) {
  for (Model m : {Model::cfdm, Model::wiener, Model::local, Model::pca_local, Model::nearest})
    if (name == model_name(m)) return m;
  throw Error("the model must be cfdm, wiener, local, pca-local or nearest (got \"" + name.substr(0, 40) + "\")");
}

std::string temperature_rule(const std::string& got) {
  char least[32];
  std::snprintf(least, sizeof least, "%g", kMinTemperature);
  return std::string("must be a finite number >= ") + least + " (got " + got +
         "): colder than that, the softmax is already one training point's";
}

void check_temperature(double tau) {
  if (!std::isfinite(tau) || !(tau >= kMinTemperature)) {
    char got[32];
    std::snprintf(got, sizeof got, "%g", tau);
    throw Error("the temperature " + temperature_rule(got));
  }
}

void validate(const ModelOptions& o, int dim) {
  const std::string name = model_name(o.model);
  check_temperature(o.temperature);
  if (o.temperature != 1.0 && (o.model == Model::wiener || o.model == Model::nearest))
    throw Error("the " + name + " model has no softmax, so no temperature: use cfdm, local or pca-local");
  if (o.model == Model::local) {
    if (o.image.empty())
      throw Error("the local model needs the rows' image shape (height x width x channels): image data in pixel "
                  "space, or --image-shape HxW[xC] for a file of flattened images");
    if (o.image.size() != dim)
      throw Error("the image shape " + std::to_string(o.image.height) + "x" + std::to_string(o.image.width) + "x" +
                  std::to_string(o.image.channels) + " has " + std::to_string(o.image.size()) +
                  " values but the rows have " + std::to_string(dim) + ": give the shape of the images in the file");
    if (o.patch < 0 || (o.patch > 0 && o.patch % 2 == 0))
      throw Error("the patch size must be odd (a window centred on its pixel; got " + std::to_string(o.patch) +
                  "), or 0 for the schedule");
  } else if (o.patch != 0) {
    throw Error("a patch size is an option of the local model (got the " + name + " model)");
  }
  if (o.model == Model::pca_local) {
    if (o.mask_threshold >= 0 && !(o.mask_threshold <= 1))
      throw Error("the mask threshold must be in [0, 1] (got " + std::to_string(o.mask_threshold) + ")");
    if (std::isnan(o.mask_threshold)) throw Error("the mask threshold must be in [0, 1] (got nan)");
  } else if (o.mask_threshold >= 0) {
    throw Error("a mask threshold is an option of the pca-local model (got the " + name + " model)");
  }
}

int local_patch_size(const ImageShape& image, int patch, double t) {
  if (patch > 0) return patch;
  const double at28 = t < 0.2 ? 27 : t < 0.45 ? 15 : t < 0.7 ? 9 : t < 0.9 ? 5 : 3;
  const double scaled = at28 * std::max(image.height, image.width) / 28.0;
  return std::max(1, 2 * int(std::lround((scaled - 1.0) / 2.0)) + 1);
}

}  // namespace cfdm
