#!/usr/bin/env python3
"""End-to-end tests of the cfdm command-line tool, native or WebAssembly.

usage: test_cli.py CFDM_COMMAND...   (e.g. build/native/src/cfdm, or node --no-experimental-fetch cfdm.js)

Checks that good runs write what they should (velocity against a float64 NumPy oracle) and that
every bad input gets a one-line error on stderr, a non-zero exit, and no output file.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklist import check, finish  # noqa: E402

CFDM = [a for a in sys.argv[1:] if a != "--update-doc"]
TMP = tempfile.mkdtemp(prefix="cfdm_cli_")


def path(name):
    return os.path.join(TMP, name)


def run(*args, env=None):
    return subprocess.run(CFDM + [str(a) for a in args], capture_output=True, text=True, timeout=600,
                          env=None if env is None else {**os.environ, **env})


def write_idx(prefix, images, labels):
    """IDX files (MNIST's format): big-endian header, uint8 data."""
    n, h, w = images.shape
    with open(prefix + "-images.idx", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + np.array([n, h, w], ">u4").tobytes() + images.astype(np.uint8).tobytes())
    with open(prefix + "-labels.idx", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + np.array([n], ">u4").tobytes() + labels.astype(np.uint8).tobytes())




def oracle_velocity(train, points, t, sigma, eps):
    """vbar = (mean_m D(z + sigma eps_m) - z) / (1 - t), in float64 (method.md sections 2-3)."""
    train = train.astype(np.float64)
    means = []
    for draw in (eps if eps is not None else [np.zeros_like(points)]):
        q = points.astype(np.float64) + sigma * draw
        logits = -((q[:, None, :] - t * train[None, :, :]) ** 2).sum(-1) / (2 * (1 - t) ** 2)
        logits -= logits.max(1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(1, keepdims=True)
        means.append(w @ train)
    return (np.mean(means, 0) - points) / (1 - t)


# ---- good runs ----
out = path("s.npy")
r = run("sample", "--data", "moons", "--n-train", 300, "--n-samples", 50, "--steps", 20, "--out", out, "--plot", path("s.png"))
check("sample runs", r.returncode == 0, r.stderr)
if r.returncode == 0:
    s = np.load(out)
    check("sample shape", s.shape == (50, 2) and s.dtype == np.float32, s.shape)
    check("sample finite", np.isfinite(s).all())
    with open(path("s.png"), "rb") as f:
        check("plot is a PNG", f.read(8) == b"\x89PNG\r\n\x1a\n")
r = run("sample", "--data", "spirals", "--n-samples", 7, "--steps", 5, "--sigma", 0.1, "--draws", 3, "--out", path("s.csv"))
check("sample to csv", r.returncode == 0 and np.loadtxt(path("s.csv"), delimiter=",").shape == (7, 2), r.stderr)

rng = np.random.default_rng(0)
train = rng.normal(size=(40, 3)).astype(np.float32)
points = rng.normal(size=(6, 3)).astype(np.float32)
eps = rng.normal(size=(4, 6, 3)).astype(np.float32)
np.save(path("train.npy"), train)
np.savetxt(path("train.csv"), train, delimiter=",")
np.save(path("points.npy"), points)
np.save(path("eps.npy"), eps)
for t, sigma, use_eps in [(0.0, 0.0, False), (0.5, 0.0, False), (0.9, 0.0, False), (0.7, 0.3, True)]:
    args = ["velocity", "--train", path("train.npy"), "--points", path("points.npy"), "--t", t, "--out", path("v.npy")]
    if use_eps:
        args += ["--sigma", sigma, "--eps", path("eps.npy")]
    r = run(*args)
    if r.returncode != 0:
        check(f"velocity t={t}", False, r.stderr)
        continue
    got = np.load(path("v.npy"))
    want = oracle_velocity(train, points, t, sigma, eps if use_eps else None)
    err = np.abs(got - want).max() / (1 + np.abs(want).max())
    check(f"velocity t={t} sigma={sigma} vs float64 NumPy", err < 1e-5, f"relative error {err}")
# The nearest-neighbour estimator with K + L = N is exact.
for t in (0.3, 0.9):
    r = run("velocity", "--train", path("train.npy"), "--points", path("points.npy"), "--t", t, "--out", path("vk.npy"),
            "--estimator", "knn", "--k", 10, "--l", 30)
    if r.returncode != 0:
        check(f"knn velocity t={t}", False, r.stderr)
        continue
    err = np.abs(np.load(path("vk.npy")) - oracle_velocity(train, points, t, 0.0, None)).max()
    check(f"knn velocity K + L = N t={t} vs float64 NumPy", err < 1e-4 * (1 + 1 / (1 - t)), f"error {err}")
r = run("sample", "--data", "moons", "--n-train", 2000, "--n-samples", 30, "--steps", 10, "--estimator", "knn",
        "--knn-search", "brute-force", "--knn-neighbors", "shared", "--sigma", 0.1, "--draws", 2, "--out", path("k.npy"))
check("sample with knn", r.returncode == 0 and np.load(path("k.npy")).shape == (30, 2), r.stderr)
# The three searches are exact: the same neighbours, so the same samples to the bit.
for search in ("box-tree", "kd-tree"):
    r = run("sample", "--data", "moons", "--n-train", 2000, "--n-samples", 30, "--steps", 10, "--estimator", "knn",
            "--knn-search", search, "--knn-neighbors", "shared", "--sigma", 0.1, "--draws", 2, "--out", path("ks.npy"))
    check(f"knn sample with the {search} equals brute force",
          r.returncode == 0 and np.array_equal(np.load(path("ks.npy")), np.load(path("k.npy"))), r.stderr)
# The IVF index probing all its cells is the exact search too; with few probes it is approximate
# but its samples stay in the data's range.
r = run("sample", "--data", "moons", "--n-train", 2000, "--n-samples", 30, "--steps", 10, "--estimator", "knn",
        "--knn-search", "ivf", "--ivf-cells", 12, "--ivf-probe", 12, "--knn-neighbors", "shared", "--sigma", 0.1,
        "--draws", 2, "--out", path("ks.npy"))
check("knn sample with the IVF index probing every cell equals brute force",
      r.returncode == 0 and np.array_equal(np.load(path("ks.npy")), np.load(path("k.npy"))), r.stderr)
r = run("sample", "--data", "moons", "--n-train", 2000, "--n-samples", 30, "--steps", 10, "--estimator", "knn",
        "--knn-search", "ivf", "--ivf-probe", 2, "--sigma", 0.1, "--draws", 2, "--out", path("ks.npy"))
check("knn sample with the IVF index probing 2 cells",
      r.returncode == 0 and np.isfinite(np.load(path("ks.npy"))).all() and np.abs(np.load(path("ks.npy"))).max() < 5,
      r.stderr)
r = run("sample", "--data", "moons", "--n-train", 2000, "--n-samples", 30, "--steps", 10, "--estimator", "knn",
        "--knn-search", "ivf", "--ivf-recall", 0.9, "--sigma", 0.1, "--draws", 2, "--out", path("ks.npy"))
check("knn sample with the IVF index at a recall target of 0.9",
      r.returncode == 0 and np.isfinite(np.load(path("ks.npy"))).all() and np.abs(np.load(path("ks.npy"))).max() < 5,
      r.stderr)
# The analytic family's local models against float64 NumPy (analytic-family.md): the local patch
# model on flattened 4 x 3 x 2 images given by --image-shape, PCA locality with the gain from a
# matrix inverse.
def softmax_rows(dist, values, t, tau=1.0):
    logits = -dist / (2 * (1 - t) ** 2 * tau)
    w = np.exp(logits - logits.max(1, keepdims=True))
    return (w * values).sum(1) / w.sum(1)


def local_oracle(train, points, t, shape, patch):
    h, w, c = shape
    x, z, r = train.astype(np.float64).reshape(-1, h, w, c), points.astype(np.float64).reshape(-1, h, w, c), patch // 2
    e = ((z[:, None] - t * x[None]) ** 2).sum(-1)  # points x train x h x w
    out = np.zeros_like(z)
    for y in range(h):
        for s_ in range(w):
            dist = e[:, :, max(0, y - r):y + r + 1, max(0, s_ - r):s_ + r + 1].sum((2, 3))
            for ch in range(c):
                out[:, y, s_, ch] = softmax_rows(dist, x[None, :, y, s_, ch], t)
    return out.reshape(len(points), -1)


def pca_local_oracle(train, points, t, thr):
    x, z = train.astype(np.float64), points.astype(np.float64)
    cov = np.cov(x.T, bias=True)
    g = t * t * cov @ np.linalg.inv(t * t * cov + (1 - t) ** 2 * np.eye(len(cov)))
    diag = np.diag(g)[:, None]
    m = np.where(np.abs(diag) < 1e-6, g, g / diag)
    mask = np.abs(m) >= thr * np.abs(m).max()  # mask[k, j]: input k for output j
    e = (z[:, None, :] - t * x[None]) ** 2
    out = np.zeros_like(z)
    for j in range(x.shape[1]):
        out[:, j] = softmax_rows(e[:, :, mask[:, j]].sum(-1), x[None, :, j], t)
    return out


images = rng.uniform(size=(25, 24)).astype(np.float32)
image_points = (0.7 * images[:6] + 0.3 * rng.normal(size=(6, 24))).astype(np.float32)
np.save(path("images.npy"), images)
np.save(path("image_points.npy"), image_points)
for model, extra, oracle in [
        ("local", ["--patch", 3, "--image-shape", "4x3x2"], lambda t: local_oracle(images, image_points, t, (4, 3, 2), 3)),
        ("local", ["--patch", 1, "--image-shape", "4x3x2"], lambda t: local_oracle(images, image_points, t, (4, 3, 2), 1)),
        ("pca-local", ["--mask-threshold", 0.1], lambda t: pca_local_oracle(images, image_points, t, 0.1))]:
    for t in (0.4, 0.8):
        r = run("velocity", "--train", path("images.npy"), "--points", path("image_points.npy"), "--t", t,
                "--model", model, *extra, "--out", path("vm.npy"))
        if r.returncode != 0:
            check(f"{model} velocity t={t}", False, r.stderr)
            continue
        want = (oracle(t) - image_points) / (1 - t)
        err = np.abs(np.load(path("vm.npy")) - want).max() / (1 + np.abs(want).max())
        check(f"{model} {extra[:2]} velocity t={t} vs float64 NumPy", err < 1e-5, f"relative error {err}")
r = run("sample", "--data", path("images.npy"), "--image-shape", "4x3x2", "--model", "local", "--schedule", "ddim",
        "--steps", 5, "--n-samples", 4, "--out", path("local.npy"))
check("sample with the local model on the ddim grid", r.returncode == 0 and np.load(path("local.npy")).shape == (4, 24)
      and "model local, patch schedule, ddim grid" in r.stderr, r.stderr)
# The local model's nearest-neighbour estimator with K + L = N (every other image drawn, weight
# (N - K)/L = 1) is the local model itself.
for t in (0.4, 0.8):
    r = run("velocity", "--train", path("images.npy"), "--points", path("image_points.npy"), "--t", t, "--model", "local",
            "--patch", 3, "--image-shape", "4x3x2", "--estimator", "knn", "--k", 5, "--l", 20, "--out", path("vk.npy"))
    want = (local_oracle(images, image_points, t, (4, 3, 2), 3) - image_points) / (1 - t)
    err = np.abs(np.load(path("vk.npy")) - want).max() / (1 + np.abs(want).max()) if r.returncode == 0 else np.inf
    check(f"local with --estimator knn, K + L = N, velocity t={t} vs float64 NumPy", err < 1e-5, r.stderr or err)
r = run("sample", "--data", path("images.npy"), "--image-shape", "4x3x2", "--model", "local", "--estimator", "knn",
        "--k", 4, "--l", 6, "--steps", 5, "--n-samples", 4, "--out", path("localknn.npy"))
check("sample with the local model's knn estimator", r.returncode == 0 and np.load(path("localknn.npy")).shape == (4, 24)
      and "model local, knn K = 4, L = 6, patch schedule" in r.stderr, r.stderr)

# cfdm compare: the models from the same noise. The cfdm model's samples are cfdm sample's (same
# seed, same noise), so their r^2 to those is 1; the nearest model returns training images, all copies.
compare_args = ["--data", path("images.npy"), "--image-shape", "4x3x2", "--n-samples", 6, "--steps", 5, "--seed", 4]
r = run("sample", *compare_args, "--out", path("cfdm6.npy"))
r2 = run("compare", *compare_args, "--models", "cfdm,local,nearest", "--out", path("cmp.csv"), "--plot", path("cmp.png"),
         "--out-noise", path("noise.npy"), "--reference", path("cfdm6.npy"))
if r.returncode == 0 and r2.returncode == 0:
    table = np.genfromtxt(path("cmp.csv"), delimiter=",", names=True, dtype=None, encoding="utf-8")
    by_model = {str(row["model"]): row for row in table}
    check("compare writes a row a model", list(by_model) == ["cfdm", "local", "nearest"], list(by_model))
    check("compare: cfdm from the same noise as cfdm sample (r2 = 1)", abs(by_model["cfdm"]["median_r2"] - 1) < 1e-12,
          by_model["cfdm"]["median_r2"])
    check("compare: the nearest model only copies", by_model["nearest"]["copy_share"] == 1.0, by_model["nearest"])
    noise = np.load(path("noise.npy"))
    check("compare --out-noise is the first state", noise.shape == (6, 24) and np.isfinite(noise).all(), noise.shape)
    with open(path("cmp.png"), "rb") as f:
        check("compare --plot is a PNG", f.read(8) == b"\x89PNG\r\n\x1a\n")
else:
    check("compare runs", False, r.stderr + r2.stderr)
# The app's comparison names: --sigma and --draws smooth scfdm alone, the others run at sigma = 0,
# local-knn with --k and --l. Each model's samples are cfdm sample's with those settings (r^2 = 1
# to them, and below 1 to the others').
as_app = {"exact": ["--sigma", 0], "scfdm": ["--sigma", 0.5, "--draws", 3],
          "local": ["--model", "local"], "local-knn": ["--model", "local", "--estimator", "knn", "--k", 4, "--l", 6]}
for name, options in as_app.items():
    run("sample", *compare_args, *options, "--out", path(f"app_{name}.npy"))
for name in as_app:
    r = run("compare", *compare_args, "--models", ",".join(as_app), "--sigma", 0.5, "--draws", 3, "--k", 4, "--l", 6,
            "--reference", path(f"app_{name}.npy"), "--out", path("cmp_app.csv"))
    table = (np.genfromtxt(path("cmp_app.csv"), delimiter=",", names=True, dtype=None, encoding="utf-8")
             if r.returncode == 0 else [])
    r2_of = {str(row["model"]): float(row["median_r2"]) for row in table}
    check(f"compare --models exact,scfdm,local,local-knn: {name} is cfdm sample's with its settings (r2 = 1, "
          "the others below)", list(r2_of) == list(as_app) and abs(r2_of[name] - 1) < 1e-12 and
          all(v < 1 - 1e-6 for other, v in r2_of.items() if other != name), (r2_of, r.stderr))
    if name == "exact":
        check("compare with the app's names says scfdm alone is smoothed",
              "scfdm at sigma = 0.5, M = 3 (the others at sigma = 0)" in r.stdout, r.stdout)
# Two samples under a long title ("cfdm (smoothed: sigma = 0.5, M = 2): 0 of 2 copies, median
# nearest distance ..."): the picture widens to hold the title (12 pixels a glyph), not cut it.
r = run("compare", "--data", path("images.npy"), "--image-shape", "4x3x2", "--n-samples", 2, "--steps", 3,
        "--sigma", 0.5, "--draws", 2, "--models", "cfdm,local", "--plot", path("cmp_title.png"))
width = int.from_bytes(open(path("cmp_title.png"), "rb").read()[16:20], "big") if r.returncode == 0 else 0
check("compare --plot: a long title is whole (the picture at least 12 pixels a glyph of it)",
      r.returncode == 0 and width >= 12 * len("cfdm (smoothed: sigma = 0.5, M = 2): 0 of 2 copies, median nearest "
                                              "distance 0.00"), (width, r.stderr))

# A named scenario is its options: the same samples, bit for bit; options given beside it change it.
r = run("sample", "--scenario", "moons-knn", "--out", path("scenario.npy"))
r2 = run("sample", "--data", "moons", "--n-train", 20000, "--n-samples", 500, "--steps", 50, "--sigma", 0.05,
         "--draws", 2, "--seed", 3, "--estimator", "knn", "--out", path("explicit.npy"))
check("sample --scenario equals its options", r.returncode == 0 and r2.returncode == 0
      and np.array_equal(np.load(path("scenario.npy")), np.load(path("explicit.npy"))), r.stderr + r2.stderr)
r = run("sample", "--scenario", "moons-smoothed", "--n-samples", 7, "--estimator", "exact", "--out", path("scenario7.npy"))
check("options beside a scenario change it", r.returncode == 0 and np.load(path("scenario7.npy")).shape == (7, 2)
      and "sigma = 0.1, M = 4" in r.stderr, r.stderr)
r = run("velocity", "--train", path("train.csv"), "--points", path("points.npy"), "--t", 0.5, "--out", path("v.csv"))
check("velocity from csv training set", r.returncode == 0 and np.loadtxt(path("v.csv"), delimiter=",").shape == (6, 3), r.stderr)
# Image datasets: a tiny "mnist" in a data folder of our own (CFDM_DATA_DIR).
data_dir = path("data")
os.makedirs(data_dir)
images = np.random.default_rng(2).integers(0, 256, size=(30, 5, 4))
labels = np.arange(30) % 3
write_idx(os.path.join(data_dir, "mnist"), images, labels)
write_idx(os.path.join(data_dir, "mnist-test"), images[:9] // 2 + 60, labels[:9])
env = {"CFDM_DATA_DIR": data_dir}
r = run("sample", "--data", "mnist", "--classes", "1,2", "--n-samples", 6, "--steps", 30, "--out", path("img.npy"),
        "--plot", path("grid.png"), env=env)
check("sample mnist", r.returncode == 0, r.stderr)
if r.returncode == 0:
    s_img = np.load(path("img.npy"))
    train_img = images[labels != 0].reshape(-1, 20) / 255.0
    nearest = np.sqrt(((s_img[:, None] - train_img[None]) ** 2).sum(-1)).min(1)
    check("mnist samples are 20-pixel images and copies at sigma = 0", s_img.shape == (6, 20) and nearest.max() < 1e-4,
          f"{s_img.shape} {nearest.max()}")
    with open(path("grid.png"), "rb") as f:
        check("image grid is a PNG", f.read(8) == b"\x89PNG\r\n\x1a\n")

r = run("sample", "--data", "mnist", "--space", "pca", "--pca-dim", 4, "--n-samples", 5, "--steps", 20,
        "--out", path("pca.npy"), "--out-latent", path("latent.npy"), env=env)
check("sample in a PCA space", r.returncode == 0 and np.load(path("pca.npy")).shape == (5, 20)
      and np.load(path("latent.npy")).shape == (5, 4) and "PCA space" in r.stderr, r.stderr)

# eval: the training images themselves are all copies; a shifted version of them is not.
np.save(path("copies.npy"), (images[labels != 0].reshape(-1, 20) / 255.0).astype(np.float32))
r = run("eval", "--samples", path("copies.npy"), "--data", "mnist", "--classes", "1,2", env=env)
check("eval counts copies", r.returncode == 0 and "copies (nearest distance below the threshold): 100.0%" in r.stdout
      and "held-out real data (6)" in r.stdout, r.stdout + r.stderr)
r = run("eval", "--samples", path("s.npy"), "--data", "moons", "--n-train", 300)
check("eval on a toy set reports sliced W2", r.returncode == 0 and "sliced Wasserstein-2" in r.stdout, r.stdout + r.stderr)

r = run("info")
check("info", r.returncode == 0 and "simd:" in r.stdout and "threads:" in r.stdout and "build type:" in r.stdout
      and "models (--model): cfdm (default), wiener, local, pca-local, nearest" in r.stdout, r.stdout)

# ---- bad input: one line on stderr naming the problem, non-zero exit, no output file ----
with open(path("garbage.npy"), "wb") as f:
    f.write(b"this is not numpy")
np.save(path("truncated_src.npy"), train)
with open(path("truncated_src.npy"), "rb") as f:
    data = f.read()
with open(path("truncated.npy"), "wb") as f:
    f.write(data[:-10])
np.save(path("rank3.npy"), eps)
np.save(path("points2d.npy"), points[:, :2])
bad_train = train.copy()
bad_train[3, 1] = np.nan
np.save(path("nan.npy"), bad_train)
np.save(path("eps_wrong.npy"), eps[:, :5])
np.save(path("int.npy"), np.ones((3, 2), dtype=np.int64))
with open(path("ragged.csv"), "w") as f:
    f.write("1,2\n3\n")
with open(path("text.csv"), "w") as f:
    f.write("1,2\n3,abc\n")
with open(path("ragged.txt"), "w") as f:
    f.write("1,2\n3,4\n")

S = ["sample", "--n-samples", 5, "--steps", 3]
V = ["velocity", "--train", path("train.npy"), "--points", path("points.npy"), "--t", 0.5]
bad_cases = [
    ("unknown dataset", S + ["--data", "moooons"], "unknown dataset"),
    ("missing file", S + ["--data", path("nope.npy")], "no such file"),
    ("a file of another kind", S + ["--data", path("ragged.txt")], "does not read this kind of file"),
    ("not a npy", S + ["--data", path("garbage.npy")], "not a .npy"),
    ("truncated npy", S + ["--data", path("truncated.npy")], "truncated"),
    ("rank 3 training set", S + ["--data", path("rank3.npy")], "2-D"),
    ("integer npy", S + ["--data", path("int.npy")], "dtype"),
    ("NaN in training set", S + ["--data", path("nan.npy")], "not finite"),
    ("ragged csv", S + ["--data", path("ragged.csv")], "values, expected"),
    ("non-numeric csv", S + ["--data", path("text.csv")], "not a number"),
    ("negative sigma", S + ["--sigma", -1], "sigma"),
    ("NaN sigma", S + ["--sigma", "nan"], "sigma"),
    ("sigma not a number", S + ["--sigma", "abc"], "not a number"),
    ("sigma beyond 1,000 times the data's radius (moons: 1.66)", S + ["--sigma", 1e8],
     "sigma = 1e+08 is more than 1000 times the training data's radius (1.66, "),
    ("velocity with sigma beyond 1,000 times the data's radius", V + ["--sigma", 1e30, "--out", path("bad_out.npy")],
     "times the training data's radius"),
    ("zero steps", ["sample", "--steps", 0], "steps"),
    ("start-t 1", S + ["--start-t", 1], "start-t"),
    ("start-t negative", S + ["--start-t", -0.1], "start-t"),
    ("zero draws", S + ["--draws", 0], "draws"),
    ("zero samples", ["sample", "--n-samples", 0], "n-samples"),
    ("zero n-train", S + ["--n-train", 0], "n-train"),
    ("fractional steps", ["sample", "--steps", 2.5], "whole number"),
    ("unknown option", S + ["--sigmaa", 1], "unknown option"),
    ("bad output extension", S, "must end in"),
    ("n-train beyond file", S + ["--data", path("train.npy"), "--n-train", 41], "fewer than"),
    ("threads negative", S + ["--threads", -1], "threads"),
    ("velocity d mismatch", ["velocity", "--train", path("train.npy"), "--points", path("points2d.npy"), "--t", 0.5], "dimension"),
    ("velocity t = 1", ["velocity", "--train", path("train.npy"), "--points", path("points.npy"), "--t", 1], "--t"),
    ("velocity without t", ["velocity", "--train", path("train.npy"), "--points", path("points.npy")], "--t"),
    ("velocity eps shape", V + ["--sigma", 0.1, "--eps", path("eps_wrong.npy")], "M x B x d"),
    ("velocity eps not npy", V + ["--sigma", 0.1, "--eps", path("garbage.npy")], "not a .npy"),
    ("velocity NaN train", ["velocity", "--train", path("nan.npy"), "--points", path("points.npy"), "--t", 0.5], "not finite"),
    ("unknown command", ["sampel"], "unknown command"),
    ("K + L > N", S + ["--n-train", 20, "--estimator", "knn", "--k", 15, "--l", 6], "K + L"),
    ("k without knn", S + ["--k", 5], "needs --estimator knn"),
    ("zero k", S + ["--estimator", "knn", "--k", 0], "at least 1"),
    ("unknown estimator", S + ["--estimator", "fast"], "--estimator"),
    ("bad knn-search", S + ["--estimator", "knn", "--knn-search", "ball"], "--knn-search"),
    ("ivf-probe without ivf", S + ["--estimator", "knn", "--ivf-probe", 4], "needs --knn-search ivf"),
    ("ivf-cells zero", S + ["--estimator", "knn", "--knn-search", "ivf", "--ivf-cells", 0], "--ivf-cells"),
    ("ivf-cells beyond N", S + ["--n-train", 50, "--estimator", "knn", "--knn-search", "ivf", "--ivf-cells", 51], "1 ... N = 50"),
    ("ivf-recall above 1", S + ["--estimator", "knn", "--knn-search", "ivf", "--ivf-recall", 1.5], "--ivf-recall must be in (0, 1]"),
    ("ivf-recall with ivf-probe", S + ["--estimator", "knn", "--knn-search", "ivf", "--ivf-recall", 0.9, "--ivf-probe", 3],
     "give one of them"),
    ("unknown scenario", S + ["--scenario", "moons-exactly"], "unknown scenario"),
    ("--image-size for data that is not a folder of PNG images", S + ["--image-size", 5],
     "--image-size applies to a folder of PNG images only, and 'moons' is not one"),
    ("--rgb for data that is not a folder of PNG images", S + ["--data", path("train.npy"), "--rgb"],
     "--rgb applies to a folder of PNG images only"),
    ("unknown model", S + ["--model", "unet"], "the model must be cfdm, wiener"),
    ("the local model on points", S + ["--model", "local"], "needs the rows' image shape"),
    ("an image shape that does not match the rows", S + ["--data", path("images.npy"), "--model", "local",
                                                        "--image-shape", "5x5"], "has 25 values but the rows have 24"),
    ("an image shape that is not HxW", S + ["--data", path("images.npy"), "--model", "local", "--image-shape", "4by6"],
     "--image-shape must be HxW"),
    ("an even patch size", S + ["--data", path("images.npy"), "--model", "local", "--image-shape", "4x3x2",
                                "--patch", 2], "must be odd"),
    ("a patch size for another model", S + ["--patch", 3], "option of the local model"),
    ("a mask threshold above 1", S + ["--model", "pca-local", "--mask-threshold", 2], "--mask-threshold must be in [0, 1]"),
    ("a temperature of 0", S + ["--temperature", 0], "--temperature must be a finite number >= 1e-06 (got '0')"),
    ("a temperature too cold for float32", S + ["--temperature", "1e-12"],
     "--temperature must be a finite number >= 1e-06 (got '1e-12')"),
    ("a temperature for the Wiener model", S + ["--model", "wiener", "--temperature", 2], "no temperature"),
    ("the knn estimator for another model", S + ["--model", "nearest", "--estimator", "knn"], "serves the cfdm and local models only"),
    ("unknown schedule", S + ["--schedule", "cosine"], "the schedule must be flow or ddim"),
    ("ddim with more steps than DDPM has", ["sample", "--schedule", "ddim", "--steps", 1001], "at most 1000 steps"),
    ("compare with an unknown model", ["compare", "--models", "cfdm,unet"], "the model must be cfdm, wiener"),
    ("compare with an empty model name", ["compare", "--models", "cfdm,,wiener"], "names separated by commas"),
    ("compare mixing cfdm with the app's names", ["compare", "--models", "cfdm,scfdm"], "cfdm is named exact"),
    ("compare with --k but no local-knn", ["compare", "--models", "exact,local", "--k", 3], "name local-knn in"),
    ("compare plotting points", ["compare", "--n-samples", 4, "--steps", 2, "--plot", path("bad_out.png")],
     "--plot draws image grids"),
    ("compare with a reference of another shape", ["compare", "--n-samples", 4, "--steps", 2, "--reference",
                                                   path("train.npy")], "has shape 40 x 3 but the samples are 4 x 2"),
]
with open(path("corrupt-images.idx"), "wb") as f:
    f.write(bytes([0, 0, 8, 3]) + np.array([10, 5, 4], ">u4").tobytes() + bytes(50))
bad_data_dir = path("bad_data")
os.makedirs(bad_data_dir)
os.rename(path("corrupt-images.idx"), os.path.join(bad_data_dir, "mnist-images.idx"))
bad_cases += [
    ("class filter selects nothing", S + ["--data", "mnist", "--classes", 7], "selects no images"),
    ("bad class list", S + ["--data", "mnist", "--classes", "1,a"], "not a class label"),
    ("classes on a toy set", S + ["--classes", 1], "--classes applies"),
    ("fashion-mnist not prepared", S + ["--data", "fashion-mnist"], "not prepared"),
]
bad_cases += [
    ("PCA dimension beyond the data", S + ["--data", "mnist", "--space", "pca", "--pca-dim", 21], "PCA dimension"),
    ("pca-dim without pca", S + ["--pca-dim", 3], "--pca-dim needs --space pca"),
    ("no principal components", S + ["--data", "mnist", "--space", "pca", "--pca-dim", 0], "--pca-dim must be at least 1"),
    ("negative principal components", S + ["--data", "mnist", "--space", "pca", "--pca-dim", -1], "--pca-dim must be at least 1"),
    ("unknown space", S + ["--space", "latent"], "--space"),
]
bad_cases += [
    ("eval dimension mismatch", ["eval", "--samples", path("train.npy"), "--data", "moons"], "dimension"),
    ("eval without samples", ["eval", "--data", "moons"], "--samples"),
    ("eval negative threshold", ["eval", "--samples", path("points2d.npy"), "--data", "moons", "--copy-threshold", -1],
     "--copy-threshold"),
]
# Input read wrongly before: mixed first lines, NUL bytes, folders where files are expected.
with open(path("mixed_header.csv"), "w") as f:
    f.write("1,abc\n3,4\n5,6\n")
with open(path("nul.csv"), "wb") as f:
    f.write(b"3\0junk,4\n5,6\n")
with open(path("one.csv"), "w") as f:
    f.write("1,2\n")
png_dir = path("pngs")
os.makedirs(os.path.join(png_dir, "x.png"))
bad_cases += [
    ("csv whose first line mixes numbers and words", S + ["--data", path("mixed_header.csv")], "not a number"),
    ("NUL byte inside a csv number", S + ["--data", path("nul.csv")], "NUL byte"),
    ("a folder named x.png in a PNG folder", S + ["--data", png_dir], "not a regular file"),
    ("eval with a one-point training set", ["eval", "--samples", path("one.csv"), "--data", path("one.csv")],
     "at least 2 points"),
    ("control bytes and 100 kB in a value", S + ["--data", "a\x1b]0;title\x07\x1b[2J\xff" + "z" * 100_000],
     "unknown dataset"),
]
# Outputs: all of them or none. The --out of each case below must not appear.
bad_cases += [
    ("--out and --save-train naming one file", S + ["--save-train", os.path.join(TMP, ".", "bad_out.npy")],
     "name the same file"),
    ("--plot naming a folder", S + ["--plot", os.path.join(png_dir, "x.png")], "is a folder"),
    ("--save-train in a missing folder", S + ["--save-train", path("missing/t.npy")], "does not exist"),
]
bad_cases += [
    ("sweep with a negative sigma", ["sweep", "--sigmas", "0,-1"], "--sigmas must be >= 0"),
    ("sweep with a word among the sigmas", ["sweep", "--sigmas", "0,abc"], "numbers separated by commas"),
    ("sweep with M = 0", ["sweep", "--draws", "0"], "--draws takes whole numbers"),
    ("sweep with a fractional M", ["sweep", "--draws", "2,1.5"], "--draws takes whole numbers"),
    ("sweep writing a .npy", ["sweep", "--sigmas", "0"], "must end in .csv"),
]
env_cases = {"class filter selects nothing", "bad class list", "fashion-mnist not prepared",
             "PCA dimension beyond the data", "no principal components", "negative principal components"}
for name, args, fragment in bad_cases:
    target = path("bad_out.png" if name == "bad output extension" else "bad_out.csv" if args[0] == "compare"
                  else "bad_out.npy")
    if name == "bad output extension":
        args = args + ["--out", path("bad_out.txt")]
        target = path("bad_out.txt")
    elif "--out" not in args and args[0] != "eval":
        args = args + ["--out", target]
    r = run(*args, env=env if name in env_cases else None)
    lines = [l for l in r.stderr.splitlines() if l.startswith("cfdm: error:")]
    # An error quotes at most about 40 characters of any input, with control bytes escaped.
    safe = all(len(l) < 400 and not any(ord(c) < 32 for c in l) for l in r.stderr.splitlines())
    check(f"bad input: {name}",
          r.returncode != 0 and len(lines) == 1 and fragment in lines[0] and not os.path.exists(target)
          and not [f for f in os.listdir(TMP) if f.endswith(".partial")] and safe,
          f"exit {r.returncode}, stderr {r.stderr.strip()[-300:]!r}")

r = run("sample", "--data", "mnist", "--n-samples", 2, "--out", path("x.npy"), env={"CFDM_DATA_DIR": bad_data_dir})
check("corrupt IDX dataset", r.returncode == 2 and "truncated" in r.stderr and not os.path.exists(path("x.npy")),
      r.stderr)

# The sigma sweep: a table, a CSV with one row a run and a chart. Its sigma = 0 row counts the copies
# that `cfdm eval` counts for the same samples (another path through the code: sample, then eval).
sweep_args = ["--data", "moons", "--n-train", 100, "--n-samples", 300, "--seed", 3]
r = run("sweep", *sweep_args, "--sigmas", "0,0.05,0.5", "--draws", 4, "--out", path("sweep.csv"),
        "--plot", path("sweep.png"))
rows = []
if r.returncode == 0 and os.path.exists(path("sweep.csv")):
    with open(path("sweep.csv")) as f:
        lines = f.read().splitlines()
    rows = [[float(v) for v in line.split(",")] for line in lines[1:]]
check("sweep: a CSV of one row a run, with its header",
      r.returncode == 0 and lines[0] == "sigma,draws,copy_share,median_nearest_distance,seconds" and len(rows) == 3
      and [row[0] for row in rows] == [0, 0.05, 0.5] and [row[1] for row in rows] == [1, 4, 4],
      f"exit {r.returncode}: {r.stderr[-300:]!r}")
check("sweep: the chart is a PNG", os.path.exists(path("sweep.png"))
      and open(path("sweep.png"), "rb").read(4) == b"\x89PNG")
check("sweep: copies fall and distances grow with sigma", len(rows) == 3 and rows[0][2] > 0.5 > rows[2][2]
      and rows[2][3] > rows[0][3], str(rows))
r2 = run("sample", *sweep_args, "--out", path("sweep-sigma0.npy"))
r3 = run("eval", "--samples", path("sweep-sigma0.npy"), "--data", "moons", "--n-train", 100)
share = [l for l in r3.stdout.splitlines() if "copies (nearest distance below the threshold)" in l]  # samples first
check("sweep: its sigma = 0 copy share is the one cfdm eval reports",
      len(rows) == 3 and len(share) >= 1 and abs(float(share[0].split()[-1].rstrip("%")) - 100 * rows[0][2]) < 0.051,
      f"{share} vs {rows[:1]}")

# Resource limits: a request bigger than the memory there is gets a message that says how much was
# asked and how much there is, before anything is allocated. Natively the address space is capped
# at 1 GB for the run; the wasm build's heap has its own maximum (2 GB).
def limited(*args):
    if CFDM[0] == "node":
        return run(*args)
    import resource
    cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    return subprocess.run(CFDM + [str(a) for a in args], capture_output=True, text=True, timeout=600, preexec_fn=cap)


for name, args in [("training points beyond memory", ["--n-train", 50_000_000]),
                   ("samples x draws beyond memory", ["--n-samples", 100_000_000, "--sigma", 0.1, "--draws", 4])]:
    if "ASAN_OPTIONS" in os.environ:
        break  # AddressSanitizer reserves terabytes of address space: it cannot run under the cap
    r = limited("sample", "--data", "moons", *args, "--out", path("big.npy"))
    lines = [l for l in r.stderr.splitlines() if l.startswith("cfdm: error:")]
    check(f"resource limits: {name}", r.returncode == 2 and len(lines) == 1 and " needs " in lines[0]
          and " MB are available" in lines[0] and not os.path.exists(path("big.npy")), r.stderr.strip()[-300:])

r = limited("velocity", "--train", path("train.npy"), "--points", path("points.npy"), "--t", 0.5, "--sigma", 0.1,
            "--draws", 42949673, "--out", path("big.npy"))
if "ASAN_OPTIONS" not in os.environ:
    check("resource limits: velocity draws x points x d beyond memory (beyond 32 bits in wasm)",
          r.returncode == 2 and " needs " in r.stderr and "draws" in r.stderr and not os.path.exists(path("big.npy")),
          r.stderr.strip()[-300:])

# ---- what is read: a byte-order mark is no value; a header is said ----
with open(path("bom.csv"), "wb") as f:
    f.write(b"\xef\xbb\xbf1,2\n3,4\n5,6\n")
with open(path("header.csv"), "w") as f:
    f.write("x,y\n1,2\n3,4\n")
read_rows = []


def read_check(name, condition, detail=""):
    check(f"reading: {name}", condition, detail)
    read_rows.append(name)


r = run("sample", "--data", path("bom.csv"), "--n-samples", 3, "--steps", 2, "--save-train", path("bom_train.npy"))
read_check("a CSV with a UTF-8 byte-order mark keeps its first row", r.returncode == 0
           and np.array_equal(np.load(path("bom_train.npy")), np.array([[1, 2], [3, 4], [5, 6]], np.float32)), r.stderr)
r = run("sample", "--data", path("header.csv"), "--n-samples", 3, "--steps", 2, "--save-train", path("h_train.npy"))
read_check("a CSV header line is skipped and said on stderr (cfdm: note: ... read as a header)", r.returncode == 0
           and "'x,y'" in r.stderr and "header" in r.stderr and np.load(path("h_train.npy")).shape == (2, 2), r.stderr)
# Data far from unit size runs, with a note to rescale it: moons times 1e4 (the noise is lost next
# to it) and times 1e-3 (below the noise left at the last step); moons as they are, without one.
r = run("sample", "--n-train", 200, "--n-samples", 2, "--steps", 2, "--save-train", path("moons200.npy"),
        "--out", path("scale.npy"))
check("moons as they are: no note on their scale", r.returncode == 0 and "radius" not in r.stderr, r.stderr)
for factor, words in [(1e4, "far beyond the unit noise"), (1e-3, "below the noise still left at the last of the 100")]:
    np.save(path("scaled.npy"), np.load(path("moons200.npy")) * np.float32(factor))
    r = run("sample", "--data", path("scaled.npy"), "--n-samples", 5, "--out", path("scale.npy"))
    check(f"moons times {factor:g}: samples, and a note to rescale the data",
          r.returncode == 0 and words in r.stderr and "Rescale the data to about unit size" in r.stderr
          and np.isfinite(np.load(path("scale.npy"))).all(), r.stderr)
r = run("sample", "--n-samples", 3, "--steps", 2, "--draws", 4, "--out", path("draws0.npy"))
check("--draws at sigma = 0 runs, with a note that it changes nothing",
      r.returncode == 0 and "cfdm: note: --draws changes nothing at sigma = 0" in r.stderr, r.stderr)
r = run("sample", "--n-samples", 3, "--steps", 2, "--sigma", 0.1, "--draws", 4, "--out", path("draws1.npy"))
check("--draws at sigma > 0 runs without that note", r.returncode == 0 and "note" not in r.stderr, r.stderr)

# ---- output files: complete, from this run, never through a planted link ----
output_rows = []


def output_check(name, condition, detail=""):
    check(f"output files: {name}", condition, detail)
    output_rows.append(name)


def sample_to(out, seed):
    # A large CSV takes a while to write, so two runs started together write at the same time.
    return subprocess.Popen(CFDM + ["sample", "--n-train", "10", "--n-samples", "200000", "--steps", "2", "--seed",
                                    str(seed), "--out", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def file_bytes(name):
    with open(name, "rb") as f:
        return f.read()


for seed in (1, 2):
    sample_to(path(f"ref{seed}.csv"), seed).communicate()
references = [file_bytes(path(f"ref{seed}.csv")) for seed in (1, 2)]
shared = path("shared.csv")
outcomes = []
for attempt in range(10):
    runs = [sample_to(shared, seed) for seed in (1, 2)]
    codes = [p.wait(timeout=600) for p in runs]
    outcomes.append(codes == [0, 0] and file_bytes(shared) in references)
output_check("two runs writing one --out at once, 10 times: both succeed, the file is one run's complete samples",
             all(outcomes) and not [f for f in os.listdir(TMP) if f.endswith(".partial")], str(outcomes))
victim = path("victim.txt")
with open(victim, "w") as f:
    f.write("not yours")
planted = path("planted.npy")
os.symlink(victim, planted + ".partial")
r = run("sample", "--n-samples", 400, "--steps", 40, "--seed", 1, "--out", planted)
with open(victim) as f:
    untouched = f.read() == "not yours"
output_check("a link planted at OUT.partial is not followed", r.returncode == 0 and untouched
             and np.load(planted).shape == (400, 2), r.stderr)
os.symlink(victim, path("link_out.npy"))
r = run("sample", "--n-samples", 400, "--steps", 40, "--seed", 1, "--out", path("link_out.npy"))
with open(victim) as f:
    untouched = f.read() == "not yours"
output_check("a link planted at OUT itself is replaced, its target untouched", r.returncode == 0 and untouched
             and not os.path.islink(path("link_out.npy")), r.stderr)
# An output that is one of the command's inputs, by its own name, another name or a hard link, is
# refused before any work and the input kept byte for byte.
mine = path("mine.npy")
np.save(mine, np.random.default_rng(5).normal(size=(30, 2)).astype(np.float32))
os.link(mine, path("mine_hard.npy"))
np.save(path("train2d.npy"), np.random.default_rng(6).normal(size=(20, 2)).astype(np.float32))
kept = file_bytes(mine)
for name, args, option in [
        ("sample --out", ["sample", "--data", mine, "--n-samples", 5, "--steps", 3, "--out", mine], "--data"),
        ("sample --save-train, by another name", ["sample", "--data", mine, "--n-samples", 5, "--steps", 3,
                                                   "--save-train", os.path.join(TMP, ".", "mine.npy")], "--data"),
        ("velocity --out, a hard link to --points", ["velocity", "--train", path("train2d.npy"), "--points", mine,
                                                     "--t", 0.5, "--out", path("mine_hard.npy")], "--points"),
        ("compare --out-noise", ["compare", "--data", mine, "--models", "cfdm,nearest", "--n-samples", 2, "--steps",
                                 2, "--out-noise", mine], "--data")]:
    r = run(*args)
    output_check(f"{name} naming the file {option} reads is refused, the input kept",
                 r.returncode == 2 and f"is the file {option} reads" in r.stderr and file_bytes(mine) == kept,
                 r.stderr)

# Numerical edge cases: finite samples inside the data's bounding box (a box around the convex hull),
# never NaN: steps so fine that (1 - t)^2 is 1e-18, coordinates of 1e6 and 1e-6, duplicate points,
# N = 1, d = 1, sigma up to the largest kept, 1,000 times the data's radius R (its largest distance
# from the mean). Beyond that, sigma is refused with a message naming the radius, unless the points
# are all one (R = 0: every answer is that point).
edge_data = {
    "coordinates of 1e6": [[1e6, 2e6], [-1e6, 3e6], [5e5, -1e6]],
    "coordinates of 1e-6": [[1e-6, 2e-6], [-1e-6, 3e-6], [5e-7, -1e-6]],
    "N = 1": [[0.5, 0.25]],
    "d = 1": [[1.0], [2.0], [2.0], [3.0]],
    "duplicate points only": [[1.0, 1.0]] * 3,
}
edge_runs = {
    "sigma = 0": lambda R: [],
    "sigma = 0.1 R, M = 4": lambda R: ["--sigma", 0.1 * R, "--draws", 4],
    "sigma = 999 R, M = 2": lambda R: ["--sigma", 999 * R, "--draws", 2],
    "sigma = 1e30 where R = 0": lambda R: ["--sigma", 1e30, "--draws", 2] if R == 0 else None,
    "1e9 steps from T = 1 - 1e-8 ((1 - t)^2 down to 1e-18)":
        lambda R: ["--steps", 1_000_000_000, "--start-t", 0.99999999],
}
edge_rows = []
for data_name, rows in edge_data.items():
    data_file = path("edge.csv")
    np.savetxt(data_file, np.array(rows), delimiter=",")
    train = np.array(rows, dtype=np.float64)
    radius = float(np.sqrt(((train - train.mean(0)) ** 2).sum(1).max()))
    if radius > 0:
        r = run("sample", "--data", data_file, "--n-samples", 50, "--sigma", 1001 * radius, "--out",
                path("edge.npy"))
        check(f"numerical edge case: {data_name}, sigma = 1001 R is refused, naming the radius",
              r.returncode == 2 and "times the training data's radius" in r.stderr
              and not os.path.exists(path("edge.npy")), r.stderr.strip()[-300:])
        edge_rows.append((data_name, "sigma = 1001 R", "refused (exit 2, no output), the message naming R"))
    for run_name, extra_of in edge_runs.items():
        extra = extra_of(radius)
        if extra is None:
            continue
        r = run("sample", "--data", data_file, "--n-samples", 50, *extra, "--out", path("edge.npy"))
        x = np.load(path("edge.npy")) if r.returncode == 0 else None
        span = np.maximum(train.max(0) - train.min(0), np.abs(train).max(0) * 1e-6)
        ok = (x is not None and np.isfinite(x).all() and (x >= train.min(0) - 1e-4 * span).all()
              and (x <= train.max(0) + 1e-4 * span).all())
        check(f"numerical edge case: {data_name}, {run_name}", ok, r.stderr.strip()[-300:])
        edge_rows.append((data_name, run_name, "finite, inside the data's bounding box"))
        if os.path.exists(path("edge.npy")):
            os.remove(path("edge.npy"))

# docs/robustness.md stays true: its tables list exactly the cases above with their messages.
def table_rows():
    rows = ["| input | message (exit status 2, no output file) |", "|---|---|"]
    rows += [f"| {name} | `{fragment}` |" for name, _, fragment in bad_cases]
    rows += ["| training points beyond memory | `needs ... MB, but only ... MB are available` |",
             "| samples x draws beyond memory | `needs ... MB, but only ... MB are available` |",
             "| velocity draws x points x d beyond memory (beyond 32 bits in wasm) | `needs ... MB` |",
             "| corrupt IDX dataset (MNIST files truncated) | `truncated` |"]
    rows += ["", "| what is read | result |", "|---|---|"]
    rows += [f"| {name} | holds |" for name in read_rows]
    rows += ["", "| output files | result |", "|---|---|"]
    rows += [f"| {name} | holds |" for name in output_rows]
    rows += ["", "| data | run | result |", "|---|---|---|"]
    rows += [f"| {d} | {r} | {result} |" for d, r, result in edge_rows]
    return "\n".join(rows)


doc_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../docs/robustness.md")
begin, end = "<!-- cli-cases:begin (tests/cli/test_cli.py checks this table) -->", "<!-- cli-cases:end -->"
with open(doc_path) as f:
    doc = f.read()
if "--update-doc" in sys.argv:
    doc = doc[:doc.index(begin) + len(begin)] + "\n" + table_rows() + "\n" + doc[doc.index(end):]
    with open(doc_path, "w") as f:
        f.write(doc)
current = doc[doc.index(begin) + len(begin):doc.index(end)].strip() if begin in doc and end in doc else ""
check("docs/robustness.md lists exactly the cases tested (tests/cli/test_cli.py CFDM --update-doc rewrites it)",
      current == table_rows(), "the table differs")

finish()
