#!/usr/bin/env python3
"""Benchmark: cfdm native and wasm against NumPy and this machine's roofline, in one run.

usage: run_bench.py NATIVE_BUILD_DIR [WASM_BUILD_DIR] [--web WEB_DIR --playwright DIR] [--save FILE.md]

Speeds are compared within the run (ratios), as the machines are shared and noisy.
"""
import json
import re
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_reference  # noqa: E402


def run_bench(command):
    r = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        sys.exit(f"benchmark failed: {' '.join(command)}\n{r.stderr}")
    results = {}
    for d in map(json.loads, r.stdout.splitlines()):
        if d["workload"] in ("crossover", "mnist_pca_knn", "knn_search"):
            results.setdefault("_" + d["workload"], []).append(d)
        elif "skipped" in d:
            print(f"skipped {d['workload']}: {d['skipped']}", file=sys.stderr)
        else:
            results[d["workload"]] = d
    return results


def take_option(args, name):
    if name not in args:
        return None
    value = args[args.index(name) + 1]
    del args[args.index(name):args.index(name) + 2]
    return value


def emit(lines, save):
    """Prints the report and, given a path, saves it there."""
    text = "\n".join(lines)
    print(text)
    if save:
        with open(save, "w") as f:
            f.write(text + "\n")


# The live app's workload (issue: moons, N = 5,000, 2,000 samples, 100 steps, sigma = 0.1, M = 4):
# time to the last step in headless Chromium against the same work on the native CLI.
APP_QUERY = "dataset=moons&n_train=5000&n_samples=2000&steps=100&sigma=0.1&draws=4&seed=0"
APP_CLI = ["sample", "--data", "moons", "--n-train", "5000", "--n-samples", "2000", "--steps", "100",
           "--sigma", "0.1", "--draws", "4", "--seed", "0", "--threads", "2", "--out",
           os.path.join(tempfile.gettempdir(), "cfdm-app-bench.npy")]


def app_run(web_dir, playwright_dir, build, drawing):
    here = os.path.dirname(os.path.abspath(__file__))
    command = ["node", os.path.join(here, "../browser/bench_app.js"), web_dir, playwright_dir, build, APP_QUERY]
    r = subprocess.run(command + ([] if drawing else ["--no-drawing"]), capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        print(f"app benchmark failed: {r.stderr}", file=sys.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def cli_sampling_seconds(command, optional=False):
    """The sampling time the CLI prints in its summary (': 3.486 s;'), and the whole process's
    (optional: None when the command fails, as a forced instruction set this CPU lacks does)."""
    start = time.perf_counter()
    r = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        if optional:
            return None, None
        sys.exit(f"benchmark failed: {' '.join(command)}\n{r.stderr}")
    wall = time.perf_counter() - start
    match = re.search(r": ([0-9.]+) s;", r.stderr)
    return (float(match.group(1)) if match else wall), wall


def app_benchmark(native_dir, wasm_dir, web_dir, playwright_dir):
    """The app on both builds, drawing and with drawing off, against the wasm CLI on the same
    threads (the app's own sampling time against the CLI's), and the native CLI per instruction set
    for the wasm gap."""
    app = {"runs": {}}
    for build in ("threads", "single"):
        for drawing in (True, False):
            run = app_run(web_dir, playwright_dir, build, drawing)
            if run:
                app["runs"][(build, drawing)] = run
    if ("threads", True) not in app["runs"]:
        return None
    cli = os.path.join(native_dir, "src/cfdm")
    app["native"] = {}
    for isa in ("sse2", "avx2", "avx512"):
        times = [cli_sampling_seconds([cli] + APP_CLI + ["--isa", isa], optional=True)[0] for _ in range(2)]
        if None not in times:
            app["native"][isa] = min(times)
    node_cli = os.path.join(wasm_dir or "", "src/cfdm.js")
    if wasm_dir and os.path.exists(node_cli):
        for threads in ("2", "1"):
            command = ["node", "--no-experimental-fetch", node_cli] + APP_CLI[:-4] + ["--threads", threads] + APP_CLI[-2:]
            app[f"node_{threads}"] = min(cli_sampling_seconds(command)[0] for _ in range(2))
    return app


def main():
    args = sys.argv[1:]
    save = take_option(args, "--save")
    web_dir = take_option(args, "--web")
    playwright_dir = take_option(args, "--playwright")
    native_dir = args[0]
    wasm_dir = args[1] if len(args) > 1 else None

    print("running the native benchmark ...", file=sys.stderr)
    native = run_bench([os.path.join(native_dir, "tests/bench/cfdm_bench"), "--threads", "2"])
    print("running the native benchmark at wasm's vector width (sse2, 4 lanes) ...", file=sys.stderr)
    native_4 = {}
    for name in ("moons", "mnist", "mnist_real"):
        native_4.update(run_bench([os.path.join(native_dir, "tests/bench/cfdm_bench"), "--threads", "2",
                                   "--isa", "sse2", "--workload", name]))
    wasm = None
    if wasm_dir and os.path.exists(os.path.join(wasm_dir, "tests/bench/cfdm_bench.js")):
        print("running the wasm benchmark under node ...", file=sys.stderr)
        wasm = run_bench(["node", "--no-experimental-fetch", os.path.join(wasm_dir, "tests/bench/cfdm_bench.js"),
                          "--threads", "2"])
    app = None
    if web_dir and playwright_dir and os.path.exists(os.path.join(web_dir, "threads/cfdm_app.js")):
        print("running the app benchmark in headless Chromium ...", file=sys.stderr)
        app = app_benchmark(native_dir, wasm_dir, web_dir, playwright_dir)
    print("running the NumPy reference ...", file=sys.stderr)
    sgemm = numpy_reference.sgemm_gflops()
    bandwidth = native["bandwidth"]["gb_per_s"]
    from_data = {}
    rng = np.random.default_rng(0)
    # Same shapes as bench.cpp: (a) moons-sized 2-D data, (b) uniform MNIST-shaped data.
    theta = rng.uniform(0, np.pi, 10000)
    moons = np.stack([np.cos(theta), np.sin(theta)], 1).astype(np.float32)
    from_data["moons"] = numpy_reference.time_steps(moons, 2000, 100, 0, 10)
    mnist = rng.uniform(size=(60000, 784)).astype(np.float32)
    from_data["mnist"] = numpy_reference.time_steps(mnist, 64, 100, 90, 10)
    data_dir = os.environ.get("CFDM_DATA_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build/data"))
    real = os.path.join(data_dir, "mnist-images.idx")
    if os.path.exists(real):
        from_data["mnist_real"] = numpy_reference.time_steps(numpy_reference.read_idx_images(real), 64, 100, 90, 10)

    lines = []
    out = lines.append
    out(f"# cfdm benchmark ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores)")
    out("")
    out(f"Roofline measured in this run: streaming read {bandwidth:.1f} GB/s (2 threads), "
        f"OpenBLAS sgemm {sgemm:.1f} GFLOP/s (NumPy {np.__version__}).")
    out("GFLOP/s are GEMM-equivalent: 4 B N d per step (distances and weighted sum) over the time taken. cfdm")
    out("skips training rows whose softmax weight is exactly 0 for a whole query block (late in the flow, most),")
    out("so its equivalent rate can exceed the sgemm rate; NumPy computes the dense products. The moons roofline is")
    out("not reachable: with d = 2 the work is one exp per (sample, training point) pair, not FLOPs.")
    out("WebAssembly SIMD128 has 4 lanes and no FMA; native AVX-512 has 16 lanes with FMA. The sse2 rows")
    out("run the native build at wasm's width, to separate code quality from vector width.")
    out("")
    out("| workload | build | s/step | GFLOP/s (GEMM-equiv.) | training set GB/s | vs NumPy | vs roofline | wasm / native |")
    out("|---|---|---|---|---|---|---|---|")
    verdicts = []
    targets = {"moons": (5.0, None), "mnist": (3.0, 2.0), "mnist_real": (3.0, None)}
    for name in ("moons", "mnist", "mnist_real"):
        if name not in native or name not in from_data:
            continue
        n = native[name]
        flops = n["gflops"] * 1e9 * n["seconds_per_step"]
        bytes_ = n["train_gb_per_s"] * 1e9 * n["seconds_per_step"]
        roofline = max(flops / (sgemm * 1e9), bytes_ / (bandwidth * 1e9))
        out(f"| {name} | NumPy | {from_data[name]:.4g} | {flops / from_data[name] / 1e9:.1f} | "
            f"{bytes_ / from_data[name] / 1e9:.2f} | 1 | {from_data[name] / roofline:.2f} | |")
        out(f"| {name} | roofline | {roofline:.4g} | | | | 1 | |")
        for build, data in (("native", native), ("native", native_4), ("wasm", wasm)):
            if not data or name not in data:
                continue
            b = data[name]
            speedup = from_data[name] / b["seconds_per_step"]
            ratio_roof = b["seconds_per_step"] / roofline
            wasm_ratio = f"{b['seconds_per_step'] / n['seconds_per_step']:.2f}" if build == "wasm" else ""
            out(f"| {name} | {build} ({b['isa']}, {b['threads']} threads) | {b['seconds_per_step']:.4g} | "
                f"{b['gflops']:.1f} | {b['train_gb_per_s']:.2f} | {speedup:.1f}x faster | {ratio_roof:.2f} | {wasm_ratio} |")
        speed_target, roof_target = targets[name]
        speedup = from_data[name] / n["seconds_per_step"]
        verdicts.append(f"- {name}: native {speedup:.1f}x faster than NumPy (target >= {speed_target:g}x): "
                        f"{'met' if speedup >= speed_target else 'NOT met'}")
        if roof_target:
            ratio = n["seconds_per_step"] / roofline
            verdicts.append(f"- {name}: native at {ratio:.2f}x the roofline time (target <= {roof_target:g}x): "
                            f"{'met' if ratio <= roof_target else 'NOT met'}")
        if wasm and name in native_4:
            ratio = wasm[name]["seconds_per_step"] / n["seconds_per_step"]
            same_width = wasm[name]["seconds_per_step"] / native_4[name]["seconds_per_step"]
            verdicts.append(f"- {name}: wasm {ratio:.2f}x the native time (target <= 3x): {'met' if ratio <= 3 else 'NOT met'}; "
                            f"{same_width:.2f}x native at the same 4-lane width (sse2)")
    for build, data in (("native", native), ("wasm", wasm)):
        if not data or "knn" not in data:
            continue
        k = data["knn"]
        ratio = k["sw2_knn_exact"] / k["sw2_exact_exact"]
        out("")
        out(f"Nearest-neighbour estimator, {build} ({k['threads']} threads): moons N = 100,000, 2,000 samples, 100 steps, "
            f"K = L = 15, best of {k['runs']} runs each: exact {k['exact_seconds']:.3f} s, knn {k['knn_seconds']:.3f} s "
            f"({k['speedup']:.1f}x); sliced W2 knn-exact {k['sw2_knn_exact']:.4f}, exact-exact {k['sw2_exact_exact']:.4f} "
            f"({ratio:.2f}x), each the mean over the pairs of {k['runs']} runs with independent seeds.")
        verdicts.append(f"- knn ({build}): {k['speedup']:.1f}x faster than exact (target >= 50x): "
                        f"{'met' if k['speedup'] >= 50 else 'NOT met'}; sliced W2 {ratio:.2f}x the exact-exact noise floor "
                        f"(target <= 1.5x): {'met' if ratio <= 1.5 else 'NOT met'}")
        searches = {s["search"]: s for s in data.get("_knn_search", [])}
        box, kd = searches.get("box-tree"), searches.get("kd-tree")
        if box and kd:
            exact, knn = k["exact_seconds"], k["knn_seconds"]
            rest = knn - box["build_seconds"] - box["previous_step_seconds"]
            floor = box["build_seconds"] + box["own_answer_seconds"]
            out(f"Where its time goes: the box tree's build {box['build_seconds']:.3f} s and the run's "
                f"{box['searches']:,} searches (K = 15 of z/t), each bounded by its row's neighbours one step earlier, "
                f"{box['previous_step_seconds']:.3f} s (nanoflann's kd-tree: build {kd['build_seconds']:.3f} s, searches "
                f"{kd['previous_step_seconds']:.3f} s); the L draws and the sums about {rest:.3f} s, the rest of the run. "
                f"Unbounded, the box tree takes {box['unbounded_seconds']:.3f} s (kd-tree {kd['unbounded_seconds']:.3f} s); "
                f"bounded by their own answer, the floor of any bound, {box['own_answer_seconds']:.3f} s "
                f"(kd-tree {kd['own_answer_seconds']:.3f} s). Build and searches alone, at that floor, would cap the "
                f"speedup at {exact / floor:.0f}x.")
        q = data.get("knn_queries")
        if q:
            at = ", ".join(f"{v:.3g} at t = {t}" for t, v in q["query_kth_distance"].items())
            out(f"The queries z/t sit off the data for most of the flow: the median distance from z/t to its 15th "
                f"neighbour is {at}, against {q['data_kth_distance']:.3g} from a training point to its 15th nearest "
                f"other: the 15 nearest of a query that far off are a thin crescent on the data's edge facing it, "
                f"wider the farther the query, which a search must cover across many leaves of a tree.")
    for build, data in (("native", native), ("wasm", wasm)):
        for p in (data or {}).get("_mnist_pca_knn", []):
            out("")
            out(f"MNIST in a 64-dimensional PCA space ({100 * p['explained_variance']:.1f}% of the variance; fitted in "
                f"{p['fit_seconds']:.2f} s), kNN K = L = 15, {p['neighbors']} neighbours, sigma = 0.5, M = 2, 256 samples, "
                f"100 steps, {build}: {p['seconds']:.2f} s, {p['images_per_s']:.1f} images/s")
            verdicts.append(f"- MNIST PCA-64 kNN ({build}, {p['neighbors']} neighbours): {p['images_per_s']:.1f} images/s "
                            f"(target >= 100): {'met' if p['images_per_s'] >= 100 else 'NOT met'}")
    crossover = [d for d in native.get("_crossover", [])]
    if crossover:
        out("")
        out("Neighbour search, K = 15 of 2,000 queries among N = 20,000 Gaussian points (native, seconds; the box tree "
            "compiles up to d = 8):")
        out("")
        out("| d | " + " | ".join(str(c["dim"]) for c in crossover) + " |")
        out("|---|" + "---|" * len(crossover))
        out("| box tree | " + " | ".join(f"{c['box_tree_seconds']:.4f}" if c["box_tree_seconds"] >= 0 else "-"
                                         for c in crossover) + " |")
        out("| kd-tree | " + " | ".join(f"{c['kd_tree_seconds']:.4f}" for c in crossover) + " |")
        out("| brute force | " + " | ".join(f"{c['brute_force_seconds']:.4f}" for c in crossover) + " |")
    if app:
        runs, native = app["runs"], app["native"]
        out("")
        out("Live app (headless Chromium with SwiftShader software WebGL on the same 2 cores): moons N = 5,000, "
            "2,000 samples, 100 steps, sigma = 0.1, M = 4; the app's own sampling time to the last step, drawing and "
            "with drawing off (window.cfdm.setDrawing(false) after the first step), against the wasm CLI under node "
            "on the same threads (its printed sampling time):")
        out("")
        out("| build | drawing | drawing off | wasm CLI | drawing / CLI | drawing off / CLI | frames/s while sampling |")
        out("|---|---|---|---|---|---|---|")
        for build, threads, target in (("threads", "2", 1.3), ("single", "1", 1.5)):
            on, off, node = runs.get((build, True)), runs.get((build, False)), app.get(f"node_{threads}")
            if not (on and off and node):
                continue
            out(f"| {on['build']} ({threads} thread{'s' if threads != '1' else ''}) | {on['seconds_to_last_step']:.2f} s "
                f"| {off['seconds_to_last_step']:.2f} s | {node:.2f} s | {on['seconds_to_last_step'] / node:.2f}x "
                f"| {off['seconds_to_last_step'] / node:.2f}x | {on['fps_while_sampling']:.1f} |")
            ratio = off["seconds_to_last_step"] / node
            verdicts.append(f"- app ({build}): time to the last step with drawing off {ratio:.2f}x the wasm CLI on "
                            f"{threads} thread{'s' if threads != '1' else ''} (target <= {target}x): "
                            f"{'met' if ratio <= target else 'NOT met'}; drawing with SwiftShader "
                            f"{on['seconds_to_last_step'] / node:.2f}x")
        if "node_2" in app and len(native) == 3:
            gap = app["node_2"] / native["avx512"]
            out("")
            out(f"The wasm gap on the same workload (CLI sampling time, 2 threads): native AVX-512 "
                f"{native['avx512']:.2f} s, AVX2 + FMA {native['avx2']:.2f} s, SSE2 {native['sse2']:.2f} s, wasm "
                f"SIMD128 {app['node_2']:.2f} s: wasm is {gap:.1f}x native, of which {native['sse2'] / native['avx512']:.1f}x "
                f"is the vector width and FMA (native at wasm's 4 lanes without FMA; AVX2's 8 lanes with FMA "
                f"{native['sse2'] / native['avx2']:.1f}x of SSE2, AVX-512's 16 lanes {native['avx2'] / native['avx512']:.1f}x "
                f"of AVX2) and {app['node_2'] / native['sse2']:.2f}x is left (wasm against native code of the same "
                f"width: bounds checks, no FMA contraction, the runtime).")
            verdicts.append(f"- wasm gap: {gap:.1f}x native = {native['sse2'] / native['avx512']:.1f}x vector width and "
                            f"FMA x {app['node_2'] / native['sse2']:.2f}x left")
    out("")
    out("Targets:")
    lines.extend(verdicts)
    emit(lines, save)


if __name__ == "__main__":
    main()
