#!/usr/bin/env python3
"""cfdm sample with its training set split over the processes of an mpirun launch (README: More
data than one machine).

usage: test_mpi.py CFDM MPIRUN

Checks, on 1, 2 and 3 processes (oversubscribed on a machine with fewer cores):
- one process under mpirun gives the samples of cfdm without mpirun, bit for bit (it holds the
  whole set);
- P processes give the same bits from run to run, and agree with one process to float rounding;
- rank 0's settings hold on every rank (an MPMD launch with different seeds samples rank 0's);
- a rank that cannot read its part, or has too little memory for it, ends every rank with its
  one-line error, no output file and no hang;
- every model of the analytic family and the nearest-neighbour estimator; what a split set does
  not serve refused in one line;
- under a limit on the address space (ulimit -v) that refuses the whole set in one process, two
  processes sample it.
The merge itself is tested against the float64 oracle in tests/test_shards.cpp.
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklist import check, finish  # noqa: E402

CFDM, MPIRUN = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="cfdm_mpi_")
ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
       "OMPI_MCA_rmaps_base_oversubscribe": "1",
       # containers often forbid the cross-memory attach of the shared-memory transport: copy instead
       "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
# What P processes may differ from one by (float rounding of the merged sums, carried through the
# steps); the largest seen is printed.
BOUND = 1e-4


def path(name):
    return os.path.join(TMP, name)




def run(args, ranks=None, limit=None, timeout=300):
    """cfdm (under mpirun -np ranks when given); limit: RLIMIT_AS in bytes. A hang is a failure."""
    command = ([MPIRUN, "--quiet", "--oversubscribe", "-np", str(ranks)] if ranks else []) + [CFDM] + \
        [str(a) for a in args]
    cap = (lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))) if limit else None
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV, preexec_fn=cap)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, -1, "", f"timed out after {timeout} s (a hang)")


def errors(result):
    return [line for line in result.stderr.splitlines() if line.startswith("cfdm: error:")]


r = subprocess.run([CFDM, "info"], capture_output=True, text=True)
check("cfdm info says MPI is built in", "mpi: built in (Open MPI" in r.stdout, r.stdout)

rng = np.random.default_rng(7)
np.save(path("points5.npy"), rng.normal(size=(3001, 5)).astype(np.float32))
np.save(path("points37.npy"), (rng.normal(size=(1500, 37)) * 2 + 1).astype(np.float64))
cases = {
    "moons, sigma-CFDM, start at T": ["--data", "moons", "--n-train", 2000, "--n-samples", 200, "--steps", 50,
                                      "--sigma", 0.1, "--draws", 4, "--start-t", 0.5, "--seed", 3],
    ".npy d = 5 (direct kernel)": ["--data", path("points5.npy"), "--n-samples", 100, "--steps", 40, "--seed", 4],
    ".npy float64 d = 37 (expanded kernel), sigma-CFDM": ["--data", path("points37.npy"), "--n-samples", 64,
                                                         "--steps", 30, "--sigma", 0.2, "--draws", 3, "--seed", 5],
    "MNIST threes (uint8 rows)": ["--data", "mnist", "--classes", 3, "--n-samples", 16, "--steps", 20, "--sigma", 0.5,
                                  "--draws", 4, "--start-t", 0.5],
}
# The analytic family: per-pixel softmax states (local, pca-local), the nearest point of each part,
# Wiener on the whole set's covariance; a temperature.
few_threes = ["--data", "mnist", "--classes", 3, "--n-train", 600, "--n-samples", 8, "--steps", 10, "--start-t", 0.5]
for model in (["local"], ["pca-local"], ["nearest"], ["wiener"], ["cfdm", "--temperature", 0.5, "--sigma", 0.3]):
    cases[f"MNIST threes, --model {' '.join(map(str, model))}"] = few_threes + ["--model", *model]
# The nearest-neighbour estimator: neighbours merged from the parts, sums over the points each holds.
moons_knn = ["--data", "moons", "--n-train", 2000, "--n-samples", 100, "--steps", 20, "--sigma", 0.1, "--draws", 4,
             "--estimator", "knn"]
cases["moons, knn, start at T"] = moons_knn + ["--start-t", 0.5]
cases["moons, knn, shared neighbours"] = moons_knn + ["--knn-neighbors", "shared"]
cases["MNIST threes, knn K = 20, L = 20"] = few_threes + ["--estimator", "knn", "--k", 20, "--l", 20, "--sigma", 0.5,
                                                          "--draws", 2]
# The estimator's weights are summed in double on a split set, from float weights in one process.
BOUND_KNN = 1e-3
worst = 0.0
for name, args in cases.items():
    single = run(["sample", *args, "--out", path("single.npy")])
    if "mnist" in args and single.returncode != 0 and "prepare" in single.stderr:
        print(f"note: {name} skipped (MNIST is not prepared: scripts/setup.sh)")
        continue
    check(f"{name}: one process", single.returncode == 0, single.stderr[-300:])
    if single.returncode != 0:
        continue
    reference = np.load(path("single.npy"))
    for ranks in (1, 2, 3):
        outs = []
        for attempt in range(2 if ranks > 1 else 1):
            out = path(f"p{ranks}_{attempt}.npy")
            r = run(["sample", *args, "--out", out], ranks=ranks)
            check(f"{name}: {ranks} processes run", r.returncode == 0 and os.path.exists(out), r.stderr[-400:])
            if r.returncode != 0:
                break
            summary = [l for l in r.stderr.splitlines() if l.startswith("cfdm: ") and " samples from " in l]
            check(f"{name}: {ranks} processes: one summary line naming the ranks",
                  len(summary) == 1 and f" on {ranks} rank" in summary[0], r.stderr[-400:])
            outs.append(np.load(out))
        if not outs:
            continue
        if ranks == 1:
            check(f"{name}: one process under mpirun is cfdm without it, bit for bit",
                  np.array_equal(outs[0], reference), f"max diff {np.abs(outs[0] - reference).max()}")
        else:
            if len(outs) == 2:
                check(f"{name}: {ranks} processes give the same bits twice", np.array_equal(outs[0], outs[1]),
                      f"max diff {np.abs(outs[0] - outs[1]).max()}")
            diff = float(np.abs(outs[0] - reference).max())
            if "knn" not in args:
                worst = max(worst, diff)
            print(f"FIGURE {name}: {ranks} processes against one: largest difference {diff:.3g}")
            bound = BOUND_KNN if "knn" in args else BOUND
            check(f"{name}: {ranks} processes agree with one to float rounding", diff <= bound, f"max diff {diff}")
print(f"FIGURE largest difference between P = 2, 3 processes and one process, models: {worst:.3g} (bound {BOUND})")

# Rank 0's settings everywhere: an MPMD launch gives rank 1 another seed; the samples are rank 0's.
base = ["sample", "--data", path("points5.npy"), "--n-samples", 50, "--steps", 20]
run([*base, "--seed", 1, "--out", path("seed1.npy")], ranks=2)
mpmd = subprocess.run([MPIRUN, "--quiet", "--oversubscribe", "-np", "1", CFDM, *map(str, base), "--seed", "1", "--out",
                       path("mpmd.npy"), ":", "-np", "1", CFDM, *map(str, base), "--seed", "2", "--out",
                       path("mpmd.npy")], capture_output=True, text=True, timeout=300, env=ENV)
check("rank 0's settings hold on every rank (MPMD launch, other seed on rank 1)",
      mpmd.returncode == 0 and np.array_equal(np.load(path("mpmd.npy")), np.load(path("seed1.npy"))), mpmd.stderr[-300:])

# A rank that cannot read its part: a NaN in rank 1's rows of 2.
bad = rng.normal(size=(3001, 5)).astype(np.float32)
bad[2500, 3] = np.nan
np.save(path("bad.npy"), bad)
r = run(["sample", "--data", path("bad.npy"), "--n-samples", 10, "--steps", 5, "--out", path("never.npy")], ranks=2)
check("a rank that cannot read its part: every rank stops with its one-line error, no output file",
      r.returncode != 0 and len(errors(r)) == 1 and "rank 1 of 2" in errors(r)[0] and "row 2500" in errors(r)[0]
      and not os.path.exists(path("never.npy")), r.stderr[-400:])
r = run(["sample", "--data", path("missing.npy"), "--out", path("never.npy")], ranks=3)
check("a missing file on every rank: one line", r.returncode != 0 and len(errors(r)) == 1
      and "missing.npy" in errors(r)[0] and not os.path.exists(path("never.npy")), r.stderr[-400:])

for name, extra in [("a plot", ["--plot", path("never.png")]), ("PCA space", ["--space", "pca"]),
                    ("the training set written out", ["--save-train", path("never.csv")]),
                    ("the local model's nearest-neighbour estimator",
                     ["--model", "local", "--image-shape", "5x1", "--estimator", "knn"])]:
    r = run(["sample", "--data", path("points5.npy"), *extra, "--out", path("never.npy")], ranks=2)
    check(f"refused under mpirun: {name}", r.returncode != 0 and len(errors(r)) == 1 and "leave out mpirun" in errors(r)[0]
          and not os.path.exists(path("never.npy")) and not os.path.exists(path("never.png"))
          and not os.path.exists(path("never.csv")), r.stderr[-400:])
r = run(["eval", "--data", "moons", "--samples", path("seed1.npy")], ranks=2)
check("other commands are refused under mpirun", r.returncode != 0 and len(errors(r)) == 1
      and "without mpirun" in errors(r)[0], r.stderr[-300:])
r = run(["sample", "--data", path("points5.npy"), "--n-train", 2, "--out", path("never.npy")], ranks=3)
check("fewer points than processes: one line", r.returncode != 0 and len(errors(r)) == 1
      and "fewer than the 3 processes" in errors(r)[0], r.stderr[-300:])

# More data than one process may hold: 200,000 x 200 floats (a training set of 167 MB) under an
# address-space limit of 160 MB. One process is refused; two (84 MB each) sample it.
np.save(path("big.npy"), np.random.default_rng(1).normal(size=(200_000, 200)).astype(np.float32))
big = ["sample", "--data", path("big.npy"), "--n-samples", 20, "--steps", 10, "--start-t", 0.5]
limit = 160 << 20
r = run([*big, "--out", path("big1.npy")], limit=limit)
check("ulimit -v 160 MB: one process is refused, before reading, with a pointer to mpirun",
      r.returncode == 2 and len(errors(r)) == 1 and " needs " in errors(r)[0] and "mpirun" in errors(r)[0]
      and not os.path.exists(path("big1.npy")), r.stderr[-300:])
r = run([*big, "--out", path("big2.npy")], ranks=2, limit=limit)
free = run([*big, "--out", path("big2_free.npy")], ranks=2)
check("ulimit -v 160 MB: two processes sample the set, as they do without the limit",
      r.returncode == 0 and free.returncode == 0 and os.path.exists(path("big2.npy"))
      and np.array_equal(np.load(path("big2.npy")), np.load(path("big2_free.npy"))), r.stderr[-400:])
r = run([*big, "--out", path("never.npy")], ranks=2, limit=100 << 20)
check("ulimit -v 100 MB: a rank without memory for its part ends every rank with its error",
      r.returncode != 0 and len(errors(r)) == 1 and " of 2: this process's part" in errors(r)[0]
      and not os.path.exists(path("never.npy")), r.stderr[-400:])

# The docs' command: scripts/mpi-sample.sh P ... says what to install when mpirun is missing.
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "mpi-sample.sh")
r = subprocess.run(["bash", script, "2", "--data", path("points5.npy"), "--n-samples", "10", "--steps", "5", "--out",
                    path("script.npy")], capture_output=True, text=True, timeout=300, env={**ENV, "CFDM": CFDM})
check("scripts/mpi-sample.sh 2 samples on two processes", r.returncode == 0 and os.path.exists(path("script.npy"))
      and " on 2 ranks " in r.stderr, r.stderr[-300:])
bare = os.path.join(TMP, "bin")  # a PATH with the tools the script uses but no mpirun
os.makedirs(bare, exist_ok=True)
for tool in ("bash", "id", "nproc", "grep", "dirname"):
    found = shutil.which(tool)
    if found:
        os.symlink(found, os.path.join(bare, tool))
r = subprocess.run([os.path.join(bare, "bash"), script, "2", "--data", "moons"], capture_output=True, text=True,
                   timeout=60, env={**ENV, "CFDM": CFDM, "PATH": bare})
check("scripts/mpi-sample.sh without mpirun: says to install Open MPI", r.returncode == 2
      and "mpirun not found: install Open MPI" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-300:])

finish()
