#!/usr/bin/env python3
"""The analytic family in PyTorch: the baseline of the benchmark's model table.

A port of the analytic-diffusion reference framework's denoisers (exact / "optimal", Wiener,
local patch, PCA locality, nearest), written for this benchmark from their published equations
(docs/analytic-family.md), run as that framework runs them: dense tensors, batched over chunks of
the training set, float32. It samples from the initial states cfdm wrote (`cfdm compare
--out-noise`) on the same DDIM time grid, so its samples can be held against cfdm's.

usage: torch_reference.py DATA_DIR NOISE.npy --classes 3 --steps 10 --threads 2 --models a,b
                          --out-prefix PREFIX
Prints one JSON line per model: {"model", "seconds", "samples"} (the .npy written).
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

DDPM_STEPS = 1000


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def ddim_flow_grid(steps):
    """The reference's grid (DDPM linear beta 1e-4..0.02, 1,000 steps, leading spacing, the last
    step to alpha-bar = 1) in flow time t = sqrt(ab) / (sqrt(ab) + sqrt(1 - ab))."""
    betas = np.linspace(1e-4, 0.02, DDPM_STEPS, dtype=np.float64)
    alpha_bar = np.cumprod(1.0 - betas)
    ratio = DDPM_STEPS // steps
    timesteps = (np.arange(steps) * ratio)[::-1]
    ab = list(alpha_bar[timesteps]) + [1.0]
    return [math.sqrt(a) / (math.sqrt(a) + math.sqrt(1 - a)) for a in ab]


def patch_size(t, side):
    """The local model's window: 27 / 15 / 9 / 5 / 3 on 28 x 28 for t below 0.2 / 0.45 / 0.7 /
    0.9 / above, scaled to the image (odd)."""
    for limit, p in ((0.2, 27), (0.45, 15), (0.7, 9), (0.9, 5)):
        if t < limit:
            break
    else:
        p = 3
    p = max(1, round(p * side / 28))
    return p if p % 2 == 1 else p + 1


class Streaming:
    """Online softmax over chunks of the training set, per output coordinate."""

    def __init__(self, shape):
        self.m = torch.full(shape, -math.inf)
        self.s = torch.zeros(shape)
        self.acc = torch.zeros(shape)

    def add(self, logits, values):  # logits B x n x d, values n x d
        new_m = torch.maximum(self.m, logits.max(dim=1).values)
        scale = torch.exp(self.m - new_m)
        w = torch.exp(logits - new_m[:, None, :])
        self.s = self.s * scale + w.sum(dim=1)
        self.acc = self.acc * scale + torch.einsum("bnd,nd->bd", w, values)
        self.m = new_m

    def mean(self):
        return self.acc / self.s


class Models:
    def __init__(self, x, side, chunk, threshold):
        self.x = x  # N x d float32 in [0, 1]
        self.side = side
        self.chunk = chunk
        self.threshold = threshold
        self.xx = (x * x).sum(dim=1)
        # The Gaussian statistics, once per dataset (float64 eigendecomposition).
        x64 = x.double()
        mu = x64.mean(dim=0)
        cov = (x64 - mu).T @ (x64 - mu) / x.shape[0]
        lam, u = torch.linalg.eigh(cov)
        self.mu, self.lam, self.u = mu.float(), lam.clamp(min=0), u

    def exact(self, z, a, b):
        logits = -(((z * z).sum(1, keepdim=True) - 2 * a * z @ self.x.T + a * a * self.xx) / (2 * b * b))
        return torch.softmax(logits, dim=1) @ self.x

    def nearest(self, z, a, b):
        d = (z * z).sum(1, keepdim=True) - 2 * a * z @ self.x.T + a * a * self.xx
        return self.x[d.argmin(dim=1)]

    def wiener(self, z, a, b):
        gain = (a * self.lam / (a * a * self.lam + b * b)).float()
        u = self.u.float()
        return self.mu + ((z - a * self.mu) @ u * gain) @ u.T

    def local(self, z, a, b, t):
        p = patch_size(t, self.side)
        acc = Streaming(z.shape)
        bsz, d = z.shape
        for start in range(0, self.x.shape[0], self.chunk):
            xc = self.x[start:start + self.chunk]
            diff2 = (z[:, None, :] - a * xc[None]).square().reshape(-1, 1, self.side, self.side)
            window = F.avg_pool2d(diff2, p, stride=1, padding=p // 2, count_include_pad=True) * (p * p)
            acc.add(-window.reshape(bsz, -1, d) / (2 * b * b), xc)
        return acc.mean()

    def pca_local(self, z, a, b):
        lam = self.lam
        g = (self.u * (a * a * lam / (a * a * lam + b * b))) @ self.u.T
        diag = g.diagonal().clone()
        safe = diag.abs() >= 1e-6
        m = torch.where(safe[:, None], g / torch.where(safe, diag, torch.ones_like(diag))[:, None], g)
        mask = (m.abs() >= self.threshold * m.abs().max()).float()  # m_kj: pixel j reads column j
        acc = Streaming(z.shape)
        bsz, d = z.shape
        for start in range(0, self.x.shape[0], self.chunk):
            xc = self.x[start:start + self.chunk]
            diff2 = (z[:, None, :] - a * xc[None]).square()
            acc.add(-(diff2 @ mask) / (2 * b * b), xc)
        return acc.mean()

    def denoise(self, name, z, t):
        a, b = t, 1.0 - t
        if name == "cfdm":
            return self.exact(z, a, b)
        if name == "nearest":
            return self.nearest(z, a, b)
        if name == "wiener":
            return self.wiener(z, a, b)
        if name == "local":
            return self.local(z, a, b, t)
        if name == "pca-local":
            return self.pca_local(z, a, b)
        raise SystemExit(f"unknown model {name}")


def sample(models, name, z0, grid):
    z = z0.clone()
    steps = len(grid) - 1
    for n in range(steps):
        t, t_next = grid[n], grid[n + 1]
        d = models.denoise(name, z, t)
        z = d if n == steps - 1 else z + (t_next - t) * (d - z) / (1 - t)
    return z


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("noise")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--classes", default="")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default="cfdm,wiener,local,pca-local,nearest")
    parser.add_argument("--mask-threshold", type=float, default=0.005)
    parser.add_argument("--chunk", type=int, default=512)
    parser.add_argument("--out-prefix", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images = read_idx(f"{args.data_dir}/{args.dataset}-images.idx")
    labels = read_idx(f"{args.data_dir}/{args.dataset}-labels.idx")
    if args.classes:
        keep = np.isin(labels, [int(c) for c in args.classes.split(",")])
        images = images[keep]
    side = images.shape[1]
    x = torch.from_numpy(images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255))
    z0 = torch.from_numpy(np.load(args.noise).astype(np.float32))
    models = Models(x, side, args.chunk, args.mask_threshold)
    grid = ddim_flow_grid(args.steps)
    with torch.no_grad():
        for name in args.models.split(","):
            start = time.perf_counter()
            z = sample(models, name, z0, grid)
            seconds = time.perf_counter() - start
            path = f"{args.out_prefix}{name}.npy"
            np.save(path, z.numpy())
            print(json.dumps({"model": name, "seconds": seconds, "samples": path}), flush=True)


if __name__ == "__main__":
    main()
