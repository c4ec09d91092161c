#include "app/caption.hpp"

#include <cstdio>

#include "core/schedule.hpp"

namespace cfdm::app {
namespace {

std::string number(double value, const char* format = "%g") {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Plain digits: a thousands comma would let the text wrap inside a number ("1," / "949").
std::string count(int value) { return std::to_string(value); }

// "sigma = 0.15, M = 4" (plain letters: the app's font has no Greek).
std::string setting_text(const Settings& s) {
  std::string text = "sigma = " + number(s.sampler.sigma, "%.3g");
  if (s.sampler.sigma > 0) text += ", M = " + std::to_string(s.sampler.n_draws);
  return text;
}

bool smooths(const Settings& s) { return s.sampler.sigma > 0 && s.sampler.n_draws >= 2; }

// A comparison: what each model does, in a sentence.
std::string model_sentence(const Settings& s, const std::string& name, const std::string& what) {
  if (name == "exact")
    return "exact (sigma = 0) memorizes: each sample ends on one of the " + what + ".";
  if (name == "scfdm")
    return s.sampler.sigma > 0 && s.sampler.n_draws >= 2
               ? "sigma-CFDM averages the exact model over " + std::to_string(s.sampler.n_draws) +
                     " slightly nudged versions of each sample at every step: its samples are averages of a few " +
                     what + ", new but blurred, like double exposures."
               : "sigma-CFDM with sigma = 0 or M = 1 still copies: raise sigma and M to see it average.";
  if (name == "wiener") return "Wiener knows only the average image and how pixels vary together: smooth blurs.";
  if (name == "local")
    return "local patches decides each pixel from a small window around it, taking it from the " + what +
           " that match there: new images made of pieces of different ones.";
  if (name == "local-knn")
    return "local-knn does the same, but each pixel looks only at the K = " + std::to_string(s.sampler.knn.k) + " " +
           what + " nearest to the whole sample and L = " + std::to_string(s.sampler.knn.l) +
           " drawn at random: many times faster, close to local's samples but not the same.";
  if (name == "pca-local")
    return "PCA-local does the same with the pixels the data say vary together: new images, a little noisier.";
  if (name == "nearest") return "nearest answers with the nearest training example: copies by construction.";
  return name;
}

}  // namespace

std::string caption(const Settings& s, const CaptionFacts& f) {
  if (!s.models.empty() && f.image) {
    // The comparison: the same noise through each model, side by side.
    std::string text = "The same noise through " + std::to_string(s.models.size()) +
                       " models, side by side: sample i of every model started from the same noise image.";
    for (const std::string& name : s.models) text += " " + model_sentence(s, name, "training images");
    if (!f.running) return text;
    if (!f.done) {
      text += "\nt = " + number(f.t, "%.2f") + ": the samples are on their way from noise (t = 0) to data (t = 1).";
      if (f.models_done > 0)
        text += " " + std::to_string(f.models_done) + " of the " + std::to_string(s.models.size()) +
                " models finished first: each takes its steps on its own, the cheapest first, and the slower ones follow.";
      return text;
    }
    if (f.model_copies.size() == s.models.size()) {
      text += "\nDone, copies of training images (red frames) per model:";
      for (size_t g = 0; g < s.models.size(); ++g)
        text += std::string(g ? "," : "") + " " + s.models[g] + " " + count(f.model_copies[g]) + " of " + count(f.n_samples);
      text += "; green frames are new images.";
    }
    return text;
  }
  const std::string what = f.image ? "training images" : "training points";
  const std::string one = f.image ? "training image" : "training point";
  const std::string fresh_ones = f.image ? "new images" : "new points";
  const std::string marks = f.image ? "" : " (dark rings)";
  std::string text;
  // What the model is.
  const cfdm::Model model = s.sampler.denoiser.model;
  if (model == cfdm::Model::wiener) {
    text = "The Gaussian (Wiener) model knows only the average of the " + what +
           " and how their values vary together, not any one of them: samples are smooth, blurry shapes, never "
           "copies.";
  } else if (model == cfdm::Model::local) {
    text = "The local model decides each pixel from a small window around it: it takes that pixel from the " + what +
           " whose windows match the sample's best, and the windows shrink as t nears 1. Pieces of different "
           "training images fit together: new images, not copies.";
  } else if (model == cfdm::Model::pca_local) {
    text = "The PCA-locality model decides each pixel from the pixels the data say it varies with, and takes it "
           "from the " + what + " that match the sample there: new images made of pieces, a little noisier.";
  } else if (model == cfdm::Model::nearest) {
    text = "The nearest model always answers with the training example nearest to the sample's guess: every "
           "sample ends as a copy (retrieval, the memorizing extreme).";
  } else if (s.sampler.sigma == 0) {
    text = "sigma = 0: the exact model. Each sample is pulled towards an average of the " + what + marks +
           ", weighted by nearness; as t nears 1 the weights narrow to the nearest one, so samples end on, or a "
           "hair's breadth from, " +
           what + ": the model memorizes.";
  } else if (!smooths(s)) {
    text = setting_text(s) + ": one smoothing draw still picks a single " + one +
           " at the end, so samples are still copies. Two or more draws (M) average different ones.";
  } else {
    text = setting_text(s) + ": each step averages the exact model at " + std::to_string(s.sampler.n_draws) +
           (f.image ? " slightly nudged versions of the sample" : " nearby points") + ", so a sample can end between " +
           what + ": an average (barycenter) of a few of them, " + (f.image ? "a new image." : "a new point.");
    if (!f.image && s.sampler.sigma >= 0.5)
      text += " With sigma this large, far-apart points are averaged too and samples crowd towards the middle: "
              "blur.";
  }
  if (s.knn() && s.models.empty() && s.sampler.denoiser.model == cfdm::Model::local)
    text += " The nearest-neighbour estimator lets each pixel look only at the K = " + std::to_string(s.sampler.knn.k) +
            " training images nearest to the whole sample, plus L = " + std::to_string(s.sampler.knn.l) +
            " others at random: many times faster, new images close to the local model's but not the same.";
  else if (s.knn())
    text += " The nearest-neighbour estimator sums only the K = " + std::to_string(s.sampler.knn.k) +
            " nearest " + what + " of each sample, plus L = " + std::to_string(s.sampler.knn.l) +
            " others at random: nearly the same flow, much faster on large data.";
  if (f.three_d) text += " Drag the picture to turn the cloud and see it from all sides.";
  if (!f.running) return text;
  // Where the run is.
  if (!f.done) {
    text += "\nt = " + number(f.t, "%.2f") + ": the samples" + std::string(f.image ? "" : " (orange)") +
            " are on their way from noise (t = 0) to data (t = 1).";
    if (f.first_step > 0)
      text += " The run started at t = " + number(s.sampler.start_t, "%.2g") +
              " (start T): the exact model's picture there, a " + one +
              " plus noise, is drawn directly, "
              "saving those steps.";
    return text;
  }
  if (f.copies >= 0 && f.n_samples > 0) {
    const int fresh = f.n_samples - f.copies;
    text += "\nDone: " + count(f.copies) + " of " + count(f.n_samples) + " samples are copies of " + what + " (" +
            (f.image ? "red frame" : "red") + "), " + count(fresh) + " are new (" +
            (f.image ? "green frame" : "green") + ").";
    if (s.sampler.sigma == 0 && f.copies * 10 < f.n_samples * 9 && !f.image)
      text += " The others stopped between two close training points: the last of the " +
              std::to_string(s.sampler.n_steps) + " steps is at t = " +
              number(cfdm::time_grid(s.sampler.schedule, s.sampler.n_steps)[size_t(s.sampler.n_steps - 1)], "%.3g") +
              ", before the weights pick one. More steps or fewer training points make more copies.";
    if (model != cfdm::Model::cfdm) {
      if (f.image && model != cfdm::Model::local)
        text += " Compare the local model: new images from pieces of training images.";
    } else if (s.sampler.sigma == 0)
      text += " Raise sigma and set M to 2 or more to make " + fresh_ones + ".";
    else if (f.copies * 2 >= f.n_samples && !smooths(s))
      text += " Set M to 2 or more: averages of " + what + " are " + fresh_ones + ".";
    else if (f.copies * 2 >= f.n_samples)
      text += std::string(" Over half are still copies: at this sigma the ") +
              (f.image ? "nudged versions of a sample" : "nearby points a sample is averaged at") +
              " mostly share one nearest " + one + ". A larger sigma mixes more of them.";
  }
  return text;
}

std::string short_caption(const Settings& s, const CaptionFacts& f) {
  const std::string what = f.image ? "images" : "points";
  if (f.failed) return "this setting did not run: the message below says why";
  if (!s.models.empty() && f.image) {
    if (!f.running || !f.done || f.model_copies.size() != s.models.size())
      return "the same noise through " + std::to_string(s.models.size()) + " models: memorize, smooth, generalize";
    std::string text = "copies:";
    for (size_t g = 0; g < s.models.size(); ++g)
      text += std::string(g ? "," : "") + " " + s.models[g] + " " + count(f.model_copies[g]) + "/" + count(f.n_samples);
    return text;
  }
  if (f.running && f.done && f.copies >= 0 && f.n_samples > 0) {
    const std::string who = s.sampler.denoiser.model == cfdm::Model::cfdm
                                ? setting_text(s)
                                : std::string(model_name(s.sampler.denoiser.model)) + " model";
    const std::string head =
        who + ": " + count(f.copies) + " of " + count(f.n_samples) + " samples copy training " + what;
    if (f.copies * 2 >= f.n_samples) return head + " (memorized)";
    if (s.sampler.sigma == 0 && s.sampler.denoiser.model == cfdm::Model::cfdm)
      return head + "; the rest stop next to one (more steps: more copies)";
    return head + " (new " + what + ")";
  }
  if (s.sampler.denoiser.model != cfdm::Model::cfdm)
    return std::string(model_name(s.sampler.denoiser.model)) + " model: " +
           (s.sampler.denoiser.model == cfdm::Model::nearest ? "samples will copy training " + what
                                                              : "samples from the analytic family");
  if (s.sampler.sigma == 0) return "sigma = 0: samples will land on training " + what + " (memorize)";
  if (!smooths(s)) return setting_text(s) + ": one draw still copies; try M >= 2";
  return setting_text(s) + ": samples will land between training " + what + " (new " + what + ")";
}

}  // namespace cfdm::app
