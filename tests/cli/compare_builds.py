#!/usr/bin/env python3
"""Native and WebAssembly builds give the same samples for the same seed (within 1e-5; bit for bit
with the nearest-neighbour estimator in low dimension, whose tree searches and sums compute the
same bits at every vector width, and with the local model, computed in double without libm).

usage: compare_builds.py NATIVE_CFDM WASM_CFDM_JS
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

native, wasm = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="cfdm_cmp_")
rng = np.random.default_rng(1)
np.save(os.path.join(tmp, "d20.npy"), rng.normal(size=(300, 20)).astype(np.float32))
np.save(os.path.join(tmp, "img64.npy"), rng.uniform(size=(200, 64)).astype(np.float32))
images = ["--data", os.path.join(tmp, "img64.npy"), "--image-shape", "8x8", "--n-samples", 16, "--steps", 10,
          "--schedule", "ddim"]
configs = [
    ["--data", "moons", "--n-samples", 400, "--steps", 50],
    ["--data", "checkerboard", "--n-samples", 300, "--steps", 40, "--sigma", 0.1, "--draws", 4],
    ["--data", "pinwheel", "--n-samples", 300, "--steps", 40, "--sigma", 0.05, "--draws", 2, "--redraw", "--start-t", 0.5],
    ["--data", os.path.join(tmp, "d20.npy"), "--n-samples", 64, "--steps", 30, "--sigma", 0.2, "--draws", 2],
    ["--data", "moons", "--n-train", 20000, "--n-samples", 300, "--steps", 40, "--estimator", "knn"],
    ["--data", "moons", "--n-train", 20000, "--n-samples", 300, "--steps", 40, "--estimator", "knn",
     "--knn-search", "kd-tree"],
    ["--data", "swissroll", "--n-samples", 200, "--steps", 30, "--sigma", 0.1, "--draws", 2, "--estimator", "knn",
     "--knn-neighbors", "shared"],
    ["--data", os.path.join(tmp, "d20.npy"), "--n-samples", 64, "--steps", 30, "--estimator", "knn", "--k", 10, "--l", 20],
    images + ["--model", "local"],
    images + ["--model", "local", "--patch", 3, "--sigma", 0.1, "--draws", 2, "--temperature", 0.5],
    images + ["--model", "pca-local"],
    images + ["--model", "wiener"],
    images + ["--model", "nearest"],
]
passed = failed = 0
for i, config in enumerate(configs):
    outputs = []
    for name, command in (("native", [native]), ("wasm", ["node", "--no-experimental-fetch", wasm])):
        out = os.path.join(tmp, f"{name}{i}.npy")
        r = subprocess.run(command + ["sample", "--seed", "11", "--out", out] + [str(a) for a in config],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            print(f"FAIL {name} {config}: {r.stderr}")
            sys.exit(1)
        outputs.append(np.load(out))
    diff = np.abs(outputs[0] - outputs[1]).max()
    identical = (outputs[0] == outputs[1]).mean()
    tree_knn = "knn" in config and config[1] in ("moons", "swissroll")  # 2-D: the box tree, or the kd-tree
    # The local model computes in double with its own exponential: the same bits everywhere. (PCA
    # locality too, but its masks come from Eigen, whose last bits may differ: within 1e-5 here.)
    double_models = "local" in config
    ok = identical == 1.0 if tree_knn or double_models else diff <= 1e-5
    passed += ok
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {' '.join(map(str, config))}: max |native - wasm| = {diff:.3g}, "
          f"{identical:.1%} of coordinates bit-identical")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
