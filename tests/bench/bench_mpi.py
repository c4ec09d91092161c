#!/usr/bin/env python3
"""The training set split over mpirun's processes: time per step and bytes exchanged per step, at
P = 1 and 2 on this machine, against one process without MPI in the same run; and what those
figures predict for larger sets and clusters (README: More data than one machine).

usage: bench_mpi.py NATIVE_BUILD [--save FILE] [--repeat R]

Figures are read from cfdm's summary line (sampling time, bytes sent per step per rank); whole
processes are timed around them. No timing is asserted.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("native")
parser.add_argument("--save")
parser.add_argument("--repeat", type=int, default=3)
args = parser.parse_args()
CFDM = os.path.join(args.native, "src", "cfdm")
MPIRUN = shutil.which("mpirun")
if not MPIRUN:
    sys.exit("bench_mpi.py: mpirun not found: install openmpi-bin (scripts/setup.sh)")
ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
       "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
SUMMARY = re.compile(r": ([0-9.]+) s; training set")
SENT = re.compile(r"([0-9.]+) MB sent per step per rank")


def run(command):
    """Best of args.repeat: (sampling s, whole process s, MB sent per step per rank)."""
    best = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        r = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=1800)
        whole = time.perf_counter() - start
        if r.returncode != 0:
            sys.exit("failed: " + " ".join(command) + "\n" + r.stderr[-800:])
        line = [l for l in r.stderr.splitlines() if " samples from " in l][-1]
        sampling = float(SUMMARY.search(line).group(1))
        sent = SENT.search(line)
        figure = (sampling, whole, float(sent.group(1)) if sent else 0.0)
        best = figure if best is None or figure[0] < best[0] else best
    return best


workloads = [
    ("MNIST, N = 60,000, d = 784, 64 samples, sigma = 0, 10 steps from t = 0.5",
     ["--data", "mnist", "--n-samples", 64, "--steps", 20, "--start-t", 0.5], 10, 64, 784),
    ("MNIST, 64 samples, sigma = 0.5, M = 4 (256 queries a step), 10 steps from t = 0.5",
     ["--data", "mnist", "--n-samples", 64, "--steps", 20, "--start-t", 0.5, "--sigma", 0.5, "--draws", 4], 10, 256, 784),
]
# mpirun binds each of up to two processes to a core: one process is unbound to use both cores.
configs = [("one process, no MPI (2 threads)", None, 2, []),
           ("mpirun --bind-to none -np 1 (2 threads)", 1, 2, ["--bind-to", "none"]),
           ("mpirun -np 2 (1 thread each)", 2, 1, [])]
lines = [f"# cfdm split over mpirun's processes ({time.strftime('%Y-%m-%d')}, {os.uname().machine}, "
         f"{os.cpu_count()} cores)", "",
         "Best of %d runs each. Sampling: the steps only (from cfdm's summary line); whole: the process, timed "
         "around it. Bytes: what each rank sends per step (its queries' softmax states, B x (d + 2) floats, "
         "gathered by every rank)." % args.repeat, ""]
per_core = None
for title, flags, steps, queries, d in workloads:
    lines += [f"## {title}", "", "| run | sampling s | s/step (vs one process) | whole s | MB sent/step/rank | B (d + 2) 4 bytes |",
              "|---|---|---|---|---|---|"]
    base = None
    for name, ranks, threads, binding in configs:
        command = ([MPIRUN, "--quiet", *binding, "-np", str(ranks)] if ranks else []) + \
            [CFDM, "sample", *map(str, flags), "--threads", str(threads), "--out", "/tmp/cfdm_bench_mpi.npy"]
        sampling, whole, sent = run(command)
        expected = queries * (d + 2) * 4 / 1e6 if ranks else 0.0
        base = base or sampling
        lines.append(f"| {name} | {sampling:.3f} | {sampling / steps:.4f} ({sampling / base:.2f}x) | {whole:.2f} | "
                     f"{sent:.3f} | {expected:.3f} |")
        if name.startswith("one process") and per_core is None:
            # multiply-adds per second per core of the exact kernel: B N d per step, on 2 threads
            per_core = queries * 60000 * d * steps / sampling / threads
    lines.append("")
lines += ["## What the figures predict", "",
          f"The exact kernel ran {2 * per_core / 1e9:.1f} GFLOP/s per core here (one multiply-add = 2 FLOP). "
          "Per step each of P ranks computes 2 B N d / P FLOP and receives (P - 1) B (d + 2) 4 bytes, so "
          "computing takes longer than exchanging while P < P* = sqrt(N BW / (2 F)) (d >> 2; B and d cancel), "
          "F the FLOP/s of one rank, BW its network bandwidth in bytes/s.", "",
          "| set | nodes | F per node | BW | compute s/step (B = 256) | exchange s/step | P* |",
          "|---|---|---|---|---|---|---|"]
for nodes in (16, 64):
    for bw_name, bw in (("100 Gb/s (12.5 GB/s)", 12.5e9), ("10 Gb/s (1.25 GB/s)", 1.25e9)):
        n, d, b = 1_280_000, 64 * 64 * 3, 256
        f = 32 * 2 * per_core  # a 32-core node at this machine's rate per core
        compute = 2 * b * n * d / (nodes * f)
        exchange = (nodes - 1) * b * (d + 2) * 4 / bw
        lines.append(f"| 1.28 M images of 64 x 64 x 3 | {nodes} | {f / 1e12:.2f} TFLOP/s (32 cores) | {bw_name} | "
                     f"{compute:.3f} | {exchange:.3f} | {(n * bw / (2 * f)) ** 0.5:.0f} |")
text = "\n".join(lines) + "\n"
print(text)
if args.save:
    with open(args.save, "w") as out:
        out.write(text)
