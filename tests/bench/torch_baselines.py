#!/usr/bin/env python3
"""Whole-process baselines for scripts/bench.sh's data and neighbour figures, each run as its own
process so that what is timed is what a user waits for (imports and loading included).

usage: torch_baselines.py exact FILE.npy --n-samples 64 --steps 100 --start-t 0.9 --threads 2
         the exact sampler (method.md sections 2 and 4) in PyTorch, batched: np.load the file,
         then the Euler steps from t = start-t on the uniform grid
       torch_baselines.py faiss-knn IMAGES.idx --k 200 --l 15 --draws 10 --sigma 0.5 --steps 10
                          --n-samples 64 --threads 2
         the nearest-neighbour estimator (method.md section 5) as the analytic-diffusion
         reference framework runs it: FAISS exact top-K (IndexFlatL2) of each perturbed query
         z/t, L uniform draws from the rest weighted (N - K)/L, the softmax in PyTorch
       torch_baselines.py pca IMAGES.idx --pca-dim 64 --threads 2
         the PCA space as cfdm fits it (data/pca.hpp): the covariance of every ceil(N / 20,000)-th
         image about the mean (a float32 product), its eigenvectors in float64, every image
         encoded in float64; ready when the latents are
Prints one JSON line: {"seconds_in_process", "first_step_after"}.
"""
import argparse
import json
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402


def exact(args):
    x = torch.from_numpy(np.load(args.data)).float()
    n, d = x.shape
    x_sq = (x * x).sum(1)
    first = int(round(args.start_t * args.steps))
    gen = torch.Generator().manual_seed(0)
    # The start-at-T shortcut: z_T = T x_i + (1 - T) xi for a random training point.
    t0 = first / args.steps
    picks = torch.randint(0, n, (args.n_samples,), generator=gen)
    z = t0 * x[picks] + (1 - t0) * torch.randn(args.n_samples, d, generator=gen)
    ready = time.perf_counter() - START
    for step in range(first, args.steps):
        t = step / args.steps
        logits = (t * (z @ x.T) - 0.5 * t * t * x_sq) / (1 - t) ** 2
        mean = torch.softmax(logits, 1) @ x
        z = z + (mean - z) / (args.steps - step)
    return ready


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    n, h, w = np.frombuffer(data[4:16], ">u4")
    return np.frombuffer(data[16:], np.uint8).reshape(n, h * w).astype(np.float32) / 255.0


def faiss_knn(args):
    import faiss
    faiss.omp_set_num_threads(args.threads)
    x_np = read_idx(args.data)
    n, d = x_np.shape
    index = faiss.IndexFlatL2(d)
    index.add(x_np)
    x = torch.from_numpy(x_np)
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.standard_normal((args.n_samples, d)).astype(np.float32))
    k, l, m = args.k, args.l, args.draws
    ready = time.perf_counter() - START
    for step in range(args.steps):
        t = step / args.steps
        if t == 0:
            mean = x.mean(0).expand_as(z)
        else:
            eps = torch.from_numpy(rng.standard_normal((m, args.n_samples, d)).astype(np.float32))
            q = (z[None] + args.sigma * eps).reshape(-1, d)
            _, near = index.search((q / t).numpy(), k)
            # L uniform draws from the N - K others (drawn from all N, the rare neighbour redrawn).
            drawn = rng.integers(0, n, (q.shape[0], l))
            for r in range(q.shape[0]):
                taken = set(near[r])
                for j in range(l):
                    while drawn[r, j] in taken:
                        drawn[r, j] = rng.integers(0, n)
            idx = torch.from_numpy(np.concatenate([near, drawn], 1))
            pts = x[idx]  # rows x (K + L) x d
            logits = -((q[:, None] - t * pts) ** 2).sum(-1) / (2 * (1 - t) ** 2)
            logw = torch.cat([torch.zeros(k), torch.full((l,), float(np.log((n - k) / l)))])
            w = torch.softmax(logits + logw, 1)
            mean = (w[..., None] * pts).sum(1).reshape(m, args.n_samples, d).mean(0)
        z = z + (mean - z) / (args.steps - step)
    return ready


def pca(args):
    # MNIST's covariance has many eigenvalues near 0, where LAPACK's eigensolver meets denormal
    # numbers: flushed, it takes 0.08 s instead of 2 to 6 s here.
    torch.set_flush_denormal(True)
    x = torch.from_numpy(read_idx(args.data))
    n = x.shape[0]
    mean = x.double().mean(0)
    fit = x[::-(-n // 20000)] - mean.float()
    covariance = (fit.T @ fit).double() / (fit.shape[0] - 1)
    _, vectors = torch.linalg.eigh(covariance)
    components = vectors[:, -args.pca_dim:].flip(1)
    latents = ((x.double() - mean) @ components).float()
    assert latents.shape == (n, args.pca_dim)
    return time.perf_counter() - START


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["exact", "faiss-knn", "pca"])
    parser.add_argument("data")
    parser.add_argument("--n-samples", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--start-t", type=float, default=0.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", type=int, default=200)
    parser.add_argument("--l", type=int, default=15)
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--sigma", type=float, default=0.5)
    parser.add_argument("--pca-dim", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ready = {"exact": exact, "faiss-knn": faiss_knn, "pca": pca}[args.what](args)
    print(json.dumps({"seconds_in_process": time.perf_counter() - START, "first_step_after": ready}))


if __name__ == "__main__":
    main()
