#include "cli/usage.hpp"

namespace cfdm::cli {
namespace {

constexpr const char* kUsage = R"(cfdm: sampling with smoothed closed-form diffusion models (sigma-CFDM)

usage:
  cfdm sample   [--scenario NAME] --data NAME|FILE [--n-train N] [--n-samples B] [--sigma S] [--draws M]
                [--steps S] [--start-t T] [--seed N] [--threads N] [--out FILE.npy|FILE.csv]
                [--plot FILE.png] [--save-train FILE] [--redraw] [--data-seed N] [--isa NAME]
                [--estimator exact|knn [--k K] [--l L] [--knn-numerator all|neighbors]
                 [--knn-neighbors per-draw|shared] [--knn-search auto|box-tree|kd-tree|brute-force]]
  cfdm velocity --train FILE --points FILE --t T [--sigma S (--eps FILE | --draws M --seed N)]
                [--threads N] [--estimator exact|knn --k K --l L ...] --out FILE.npy|FILE.csv
  cfdm eval     --samples FILE --data NAME|FILE [--n-train N] [--classes L] [--reference FILE]
                [--copy-threshold T]
  cfdm prepare-data [--mnist DIR] [--fashion-mnist DIR] --out DIR
  cfdm info

sample options (defaults in brackets):
  --scenario NAME   a named run (cfdm info lists them): its data and settings become the
                    defaults, and the options below change them
  --data NAME|FILE  a toy set (moons, circles, swissroll, checkerboard, 8gaussians, spirals,
                    pinwheel), mnist or fashion-mnist (pixels in [0, 1]), a folder of .png
                    images, or a .npy/.csv of training points, one per row   [moons]
  --classes 3,5     image datasets: keep these labels only
  --image-size S    PNG folders: resize every image to S x S [keep; sizes must agree];
                    --rgb keeps colour (default grey)
  --data-dir DIR    where prepare-data put mnist and fashion-mnist [$CFDM_DATA_DIR or build/data]
  --space pixel|pca sample the data itself, or its top principal components [pixel]; --pca-dim K
                    [64]; --out gets decoded samples, --out-latent FILE the latents
  --n-train N       training points: toy sets generate N [1000]; files use the first N [all]
  --n-samples B     samples to draw [1000]
  --sigma S         smoothing scale in data units; 0 is the exact model, which memorizes [0]
  --draws M         smoothing draws per step [1]; M = 2 or more makes new points
  --steps S         Euler steps over [0, 1] [100]
  --start-t T       start at time T in [0, 1), skipping [0, T] exactly [0]
  --seed N          random seed of the samples [0]; --data-seed N: of toy data [0]
  --threads N       threads, 0 for all [0]; results do not depend on it
  --redraw          draw new smoothing perturbations every step (default: fixed per sample)
  --out FILE        samples, float32 .npy (B x d) or .csv
  --plot FILE.png   samples (orange) and training points (dark rings)
  --save-train FILE the training set used, .npy or .csv (e.g. a generated toy set)
  --isa NAME        force a kernel: scalar, sse2, avx2, avx512, simd128 [fastest available]

eval: how near the samples are to the training set (distance quantiles, share of copies), beside
the same figures for held-out real data (the test split of mnist / fashion-mnist, fresh toy points,
or --reference FILE), and for 2-D/3-D data the sliced Wasserstein-2 distance between them. A sample
is a copy when its nearest training distance is below --copy-threshold [spacing / 10], and, the
second figure, when nearest / second-nearest < 1/3.

nearest-neighbour estimator (sample and velocity):
  --estimator knn   sum the K nearest training points of z/t exactly, plus L uniform draws
                    from the rest weighted (N-K)/L [exact]
  --k K, --l L      [15, 15]; K + L <= N, and K + L = N is exact
  --knn-numerator all|neighbors    DEANN weights on numerator and denominator, or the
                    numerator over the K neighbours only [all]
  --knn-neighbors per-draw|shared  search neighbours for each z + sigma eps_m, or once for z [per-draw]
  --knn-search auto|box-tree|kd-tree|brute-force   [auto: box tree up to d = 8]
)";

}  // namespace

const char* usage_text() { return kUsage; }

}  // namespace cfdm::cli
