"""The same sampler in NumPy (float32, OpenBLAS): GEMM for the distances, softmax, GEMM for the
weighted sum (method.md sections 2 and 4). The baseline the benchmark compares against."""
import time

import numpy as np


def posterior_mean(z, x, x_sq, t):
    """D_t(z) = softmax(l) @ x, l_i = (t <z, x_i> - t^2 |x_i|^2 / 2) / (1-t)^2 (|z|^2 cancels)."""
    logits = z @ x.T
    logits *= t
    logits -= (0.5 * t * t) * x_sq
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits @ x


def time_steps(x, n_samples, n_steps, first_step, timed_steps, repeats=2):
    """Seconds per Euler step z <- z + (D - z) / (S - n), the best of `repeats` runs."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    x_sq = (x * x).sum(axis=1)
    rng = np.random.default_rng(0)
    best = float("inf")
    for _ in range(repeats):
        z = rng.standard_normal((n_samples, x.shape[1])).astype(np.float32)
        start = time.perf_counter()
        for n in range(first_step, first_step + timed_steps):
            d = posterior_mean(z, x, x_sq, np.float32(n / n_steps))
            z += (d - z) / np.float32(n_steps - n)
        best = min(best, (time.perf_counter() - start) / timed_steps)
    return best


def sgemm_gflops(size=3000, repeats=3):
    """OpenBLAS single-precision GEMM rate: the compute roofline."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9


def read_idx_images(path):
    """MNIST's IDX image file as an n x (h w) float32 array in [0, 1]."""
    with open(path, "rb") as f:
        data = f.read()
    n, h, w = np.frombuffer(data[4:16], ">u4")
    return np.frombuffer(data[16:], np.uint8).reshape(n, h * w).astype(np.float32) / 255.0
