#!/usr/bin/env python3
"""Benchmark of the analytic family: cfdm's models against a PyTorch port of the reference
framework's denoisers (torch_reference.py), on the same data, noise, time grid and threads.

usage: bench_models.py NATIVE_BUILD_DIR [--wasm WASM_BUILD_DIR] [--web WEB_DIR --playwright PLAYWRIGHT_CORE_DIR]
                       [--save FILE.md]

For each workload: `cfdm compare` times every model's sampling (the steps only) and writes the
initial noise; torch_reference.py samples from that noise with the same grid; `cfdm sample`
writes each model's samples, which are held against PyTorch's (median pixel r^2, largest
difference). Ratios are within the run, as the machine is shared and noisy.

The local model's floor (its logits alone, cfdm_bench --workload local_floor) natively, and with
--wasm under node as well.

With --web and --playwright: the app's comparison in headless Chromium (threaded build, a fresh
page each): from the start of the navigation to the run's end on screen, every model's row of
samples finished (tests/browser/bench_app.js --done), for the story preset and for the same
comparison on the whole class.
"""
import csv
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_bench import emit, take_option  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = 2

# (title, dataset, classes, samples, DDIM steps, models)
WORKLOADS = [
    ("MNIST threes, N = 6,131, 16 samples, 10 DDIM steps", "mnist", "3", 16, 10,
     ["cfdm", "wiener", "local", "pca-local", "nearest"]),
    ("all of MNIST, N = 60,000, 8 samples, 2 DDIM steps", "mnist", "", 8, 2, ["cfdm", "wiener", "local", "nearest"]),
    # Wiener's throughput needs a batch: its queries go through two matrix products in blocks of 32.
    ("Wiener's throughput: MNIST threes, 2,000 samples, 10 DDIM steps", "mnist", "3", 2000, 10, ["cfdm", "wiener"]),
]


def run(command, timeout=7200, env=None):
    r = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if r.returncode != 0:
        sys.exit(f"benchmark failed: {' '.join(command)}\n{r.stderr}")
    return r.stdout


def median_r2(a, b):
    """Median over samples of the pixel r^2 of a to b (1 - residual / variance of b)."""
    res = ((a - b) ** 2).sum(axis=1)
    var = ((b - b.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    return float(np.median(1 - res / np.maximum(var, 1e-30)))


def workload(cli, data_dir, tmp, title, dataset, classes, n_samples, steps, models):
    common = ["--data", dataset, "--data-dir", data_dir, "--n-samples", str(n_samples), "--steps", str(steps),
              "--schedule", "ddim", "--seed", "0", "--threads", str(THREADS)]
    if classes:
        common += ["--classes", classes]
    noise = os.path.join(tmp, "noise.npy")
    table = os.path.join(tmp, "table.csv")
    print(f"{title}: cfdm compare ...", file=sys.stderr)
    run([cli, "compare", "--models", ",".join(models), "--out", table, "--out-noise", noise] + common)
    with open(table) as f:
        cfdm_seconds = {row["model"]: float(row["seconds"]) for row in csv.DictReader(f)}
    print(f"{title}: PyTorch ...", file=sys.stderr)
    torch_out = run([sys.executable, os.path.join(HERE, "torch_reference.py"), data_dir, noise, "--dataset", dataset,
                     "--classes", classes, "--steps", str(steps), "--threads", str(THREADS), "--models",
                     ",".join(models), "--out-prefix", os.path.join(tmp, "torch-")])
    rows = []
    for line in torch_out.splitlines():
        t = json.loads(line)
        name = t["model"]
        mine = os.path.join(tmp, f"cfdm-{name}.npy")
        run([cli, "sample", "--model", name, "--out", mine] + common)
        a, b = np.load(mine).astype(np.float64), np.load(t["samples"]).astype(np.float64)
        rows.append({"model": name, "cfdm": cfdm_seconds[name], "torch": t["seconds"],
                     "r2": median_r2(a, b), "max_diff": float(np.abs(a - b).max())})
    return rows


def main():
    args = sys.argv[1:]
    save = take_option(args, "--save")
    wasm_dir = take_option(args, "--wasm")
    native_dir = args[0]
    cli = os.path.join(native_dir, "src/cfdm")
    data_dir = os.environ.get("CFDM_DATA_DIR", os.path.join(HERE, "../../build/data"))
    import torch  # noqa: F401  (fails early, with its own message, when PyTorch is missing)
    lines = [f"# cfdm's analytic family against PyTorch ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
             f"{os.cpu_count()} cores, {THREADS} threads each, torch {torch.__version__})", ""]
    lines += ["Sampling time (the steps; data loaded and each model's statistics computed before), "
              "cfdm native against a PyTorch port of the reference framework's denoisers from the same "
              "initial noise on the same DDIM grid, and how closely the two agree (median pixel r^2 of "
              "cfdm's samples to PyTorch's, largest pixel difference).", ""]
    with tempfile.TemporaryDirectory(prefix="cfdm-bench-models-") as tmp:
        for title, dataset, classes, n_samples, steps, models in WORKLOADS:
            rows = workload(cli, data_dir, tmp, title, dataset, classes, n_samples, steps, models)
            exact = next(r for r in rows if r["model"] == "cfdm")
            lines += [f"## {title}", "", "| model | cfdm s | cfdm s/step | PyTorch s | PyTorch / cfdm | "
                      "vs exact (cfdm) | r^2 to PyTorch | max diff |", "|---|---|---|---|---|---|---|---|"]
            for r in rows:
                lines.append(f"| {r['model']} | {r['cfdm']:.3f} | {r['cfdm'] / steps:.4f} | {r['torch']:.3f} | "
                             f"{r['torch'] / r['cfdm']:.1f}x | {r['cfdm'] / exact['cfdm']:.1f}x | {r['r2']:.4f} | "
                             f"{r['max_diff']:.2g} |")
            wiener = next((r for r in rows if r["model"] == "wiener"), None)
            if wiener:
                lines += ["", f"Wiener: {n_samples * steps / wiener['cfdm']:.0f} sample-steps/s "
                              f"({n_samples / wiener['cfdm']:.0f} samples/s at {steps} steps)."]
            lines.append("")
        lines += local_floor(native_dir, wasm_dir, data_dir)
        lines += local_estimator(cli, data_dir, tmp)
    web, playwright = take_option(args, "--web"), take_option(args, "--playwright")
    if web and playwright:
        lines += browser_comparison(native_dir, web, playwright)
    emit(lines, save)


def local_floor(native_dir, wasm_dir, data_dir):
    """The local model's logits alone (cfdm_bench --workload local_floor) beside the whole local
    model and the exact model, natively on the best instruction set and on SSE2, and in wasm under
    node when its build is given: the floor under the time of a local kernel over every image,
    against the 2x target."""
    bench = [os.path.join(native_dir, "tests/bench/cfdm_bench")]
    wasm_bench = os.path.join(wasm_dir, "tests/bench/cfdm_bench.js") if wasm_dir else ""
    lines = ["## The local model's floor: its logits alone", "",
             "Every window distance of 16 noised held-out threes to every training three (N = 6,131) at each time of "
             "a 10-step DDIM grid, in the local kernel's own blocks and precision but without its softmaxes, against "
             "one evaluation of the exact model and of the whole local model at the same times (best of three each, "
             f"{THREADS} threads; `cfdm_bench --workload local_floor`). Any kernel of the local model "
             "over every image computes such logits for every image and pixel before its softmaxes.", "",
             "| instruction set | exact model s | local model s | logits alone s | local / exact | logits / exact "
             "| logits' share of local |", "|---|---|---|---|---|---|---|"]
    env = dict(os.environ, CFDM_DATA_DIR=data_dir)
    runs = [(bench, "best"), (bench, "sse2")]
    if wasm_bench and os.path.exists(wasm_bench):
        runs.append((["node", "--no-experimental-fetch", wasm_bench], "best"))
    for program, isa in runs:
        command = program + ["--workload", "local_floor", "--threads", str(THREADS)] + ([] if isa == "best" else
                                                                                      ["--isa", isa])
        print(f"local model's floor ({'wasm' if program[0] == 'node' else isa}) ...", file=sys.stderr)
        d = json.loads(run(command, env=env).strip().splitlines()[-1])
        if "skipped" in d:
            lines.append(f"| {isa} | skipped: {d['skipped']} | | | | | |")
            continue
        lines.append(f"| {d['isa']} ({d['platform']}) | {d['exact_seconds']:.4f} | {d['local_seconds']:.3f} | {d['logits_seconds']:.3f} | "
                     f"{d['local_per_exact']:.0f}x | {d['logits_per_exact']:.1f}x | {d['logits_share_of_local']:.2f} |")
    return lines + [""]


# The local model's nearest-neighbour estimator: (K, L) pairs timed against the exact model's kernel.
LOCAL_KNN = [(50, 50), (100, 100)]


def sampling_seconds(cli, command):
    """The sampling time cfdm sample reports (the steps), the best of three runs."""
    best = None
    for _ in range(3):
        r = subprocess.run([cli, "sample"] + command, capture_output=True, text=True, timeout=3600)
        if r.returncode != 0:
            sys.exit(f"benchmark failed: cfdm sample {' '.join(command)}\n{r.stderr}")
        found = re.search(r": ([0-9.]+) s; training set", r.stderr)
        if not found:
            sys.exit(f"no sampling time in: {r.stderr}")
        best = min(best or float("inf"), float(found.group(1)))
    return best


def local_estimator(cli, data_dir, tmp):
    """The local model with --estimator knn against the exact model's time per step (target: within
    2x) and against the local model's own samples (median pixel r^2 from the same noise)."""
    lines = ["## The local model's nearest-neighbour estimator against the exact kernel", "",
             "`--model local --estimator knn`: each query's softmaxes over its K nearest training images (whole-image "
             "distance of z/t, the exact scan) plus L drawn from the rest, weighted (N - K)/L. Sampling time "
             "(best of three) against the exact model (`--model cfdm`) and the local model over every image on the "
             "same workload, and the median pixel r^2 of its samples to the local model's from the same seed.", "",
             "| workload | local, every image | exact model | K, L | estimator s | vs exact model | faster than local "
             "| r^2 to local | target (vs exact) | result |", "|---|---|---|---|---|---|---|---|---|---|"]
    for title, classes, n_samples, steps in [("MNIST threes, N = 6,131, 16 samples, 10 DDIM steps", "3", 16, 10),
                                             ("all of MNIST, N = 60,000, 8 samples, 10 DDIM steps", "", 8, 10)]:
        common = ["--data", "mnist", "--data-dir", data_dir, "--n-samples", str(n_samples), "--steps", str(steps),
                  "--schedule", "ddim", "--seed", "0", "--threads", str(THREADS)]
        if classes:
            common += ["--classes", classes]
        print(f"{title}: the local model's estimator ...", file=sys.stderr)
        exact = sampling_seconds(cli, common + ["--out", os.path.join(tmp, "e.npy")])
        local_out = os.path.join(tmp, "local.npy")
        local = sampling_seconds(cli, common + ["--model", "local", "--out", local_out])
        for k, l in LOCAL_KNN:
            knn_out = os.path.join(tmp, "local-knn.npy")
            seconds = sampling_seconds(cli, common + ["--model", "local", "--estimator", "knn", "--k", str(k), "--l",
                                                      str(l), "--out", knn_out])
            r2 = median_r2(np.load(knn_out).astype(np.float64), np.load(local_out).astype(np.float64))
            ratio = seconds / exact
            lines.append(f"| {title} | {local:.3f} s | {exact:.3f} s | {k}, {l} | {seconds:.3f} s | {ratio:.1f}x | "
                         f"{local / seconds:.0f}x | {r2:.3f} | <= 2x | {'met' if ratio <= 2 else 'NOT met'} |")
    return lines + [""]


def browser_comparison(native_dir, web, playwright):
    """The comparison view's time to its first finished row in the threaded build, against 5 s, and to
    every row finished."""
    out = run([os.path.join(native_dir, "src/cfdm_app"), "--list-presets"])
    story = next(q for _, q in (line.split("\t") for line in out.splitlines() if line) if "models=" in q and "dataset=mnist" in q)
    params = dict(item.split("=", 1) for item in story.split("&"))
    whole = story.replace(f"n_train={params['n_train']}", "n_train=60000")  # clamped to the class
    # The same with the local model's nearest-neighbour estimator (the run's K = L = 15) for local.
    whole_knn = whole.replace("%2Clocal", "%2Clocal-knn")
    out = run(["node", os.path.join(HERE, "../browser/bench_app.js"), web, playwright, "threads", "--done", story, whole,
               whole_knn])
    found = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    lines = ["## The comparison view in the browser (threaded build, headless Chromium)", "",
             f"Models {params['models'].replace('%2C', ', ')}, MNIST class {params['classes']}, "
             f"{params['n_samples']} samples each, {params['steps']} steps, sigma-CFDM at sigma = {params['sigma']}, "
             f"M = {params['draws']}. From the start of the page's navigation (download, compile, MNIST fetched "
             "and prepared) to the first model's row finished on screen (the models step on their own, cheapest "
             "first, each to its end, so the fast rows finish while the local model samples on) and to every "
             "row finished, on a fresh browser's first visit and on a second visit with MNIST in the page's cache; "
             "the sampling run's own time beside it.", "",
             "| training images | visit | navigation to the first finished row | to every row finished | of it, the run "
             "| target (first row) | result |",
             "|---|---|---|---|---|---|---|"]
    names = {story: params["n_train"], whole: "the whole class", whole_knn: "the whole class, local-knn for local"}
    for d in found:  # per query: a fresh visit, then a second one with MNIST in the page's cache
        first_row = d["first_row_seconds"]
        ok = not d["error"] and first_row is not None and first_row <= 5.0
        visit = "first (download)" if d["visit"] == "first" else "second (data cached)"
        shown = f"{first_row:.2f} s" if first_row is not None else "not seen"
        lines.append(f"| {names[d['query']]} | {visit} | {shown} | {d['seconds']:.2f} s | {d['run_seconds']:.2f} s | "
                     f"<= 5 s | {'met' if ok else 'NOT met'}{': ' + d['error'] if d['error'] else ''} |")
    return lines + [""]


if __name__ == "__main__":
    main()
