"""Speed criteria of orthogonal initialization, measured against the peers in one process.

Run: ``python benchmarks/bench_orthogonal.py [--rounds 7] [--quick]``.

The machine is shared, so the peers of one case are timed in interleaved rounds (one call of
each per round, in turn) and the medians over rounds are compared: a burst of load hits every
peer of a round alike, and each call follows a short pause (see ``PAUSE``). The GEMM rate
(``np.dot`` of two 2048 x 2048 matrices) is measured in the same rounds as the square cases,
and the flop fraction is (4/3)n^3 (2mk^2 - (2/3)k^3 for an m x k matrix) over fastinit's median
time, divided by that rate.

Peers: ``torch.nn.init.orthogonal_`` on a preallocated tensor (its own normal draws, QR and
sign fix); ``numpy.linalg.qr`` and ``scipy.linalg.qr(mode="economic")`` of a pre-drawn Gaussian
matrix (the QR alone, neither draws nor sign fix); ``scipy.stats.ortho_group.rvs``.
fastinit's time includes its draws and writes into a preallocated ``out``.
"""

import argparse
import os
import platform

import numpy as np
import scipy
import scipy.linalg
import scipy.stats

from fastinit import config
from fastinit._orthogonal import orthogonal
from fastinit.comparisons.timing import interleaved, median_time, report
from fastinit.random import block

# Seconds slept before each timed call: OpenBLAS's worker threads spin for a while after a
# threaded product returns, and the next call timed (the GEMM rate after a fastinit call whose
# products ran on scipy's OpenBLAS threads) was charged for them: the GEMM rate then measured
# 142 GFLOP/s in float32 instead of 266, and the fraction below read 108% instead of about 57%.
PAUSE = 0.25


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def square_case(n, dtype, rounds, torch):
    a = np.random.default_rng(1).standard_normal((n, n)).astype(dtype)
    b = a.copy()
    out = np.empty((n, n), dtype)
    fns = {
        "fastinit": lambda: orthogonal(None, out=out, seed=0),
        "gemm": lambda: np.dot(a, b),
        "numpy.linalg.qr": lambda: np.linalg.qr(a),
        "scipy.linalg.qr": lambda: scipy.linalg.qr(a, mode="economic"),
    }
    if dtype == np.float64:
        fns["scipy.stats.ortho_group"] = lambda: scipy.stats.ortho_group.rvs(n, random_state=0)
    if torch is not None:
        tt = torch.empty((n, n), dtype=getattr(torch, np.dtype(dtype).name))
        fns["torch orthogonal_"] = lambda: torch.nn.init.orthogonal_(tt)
    return interleaved(fns, rounds, pause=PAUSE)


def _gemm(n=2048):
    a = np.random.default_rng(2).standard_normal((n, n))
    return lambda: np.dot(a, a)


def tall_case(m, k, rounds, torch):
    a = np.random.default_rng(1).standard_normal((m, k))
    out = np.empty((m, k))
    fns = {
        "fastinit": lambda: orthogonal(None, out=out, seed=0),
        "gemm": _gemm(),
        "numpy.linalg.qr": lambda: np.linalg.qr(a),
        "scipy.linalg.qr": lambda: scipy.linalg.qr(a, mode="economic"),
    }
    if torch is not None:
        tt = torch.empty((m, k), dtype=torch.float64)
        fns["torch orthogonal_"] = lambda: torch.nn.init.orthogonal_(tt)
    return interleaved(fns, rounds, pause=PAUSE)


def batched_case(count, n, rounds, torch):
    a = np.random.default_rng(1).standard_normal((count, n, n))
    out = np.empty((count, n, n))
    fns = {
        "fastinit": lambda: orthogonal(None, batch_ndim=1, out=out, seed=0),
        "gemm": _gemm(),
        "numpy.linalg.qr": lambda: np.linalg.qr(a),
        "scipy.stats.ortho_group": lambda: scipy.stats.ortho_group.rvs(
            n, size=count, random_state=0
        ),
    }
    if torch is not None:
        tt = torch.empty((count, n, n), dtype=torch.float64)

        def torch_loop():
            for matrix in tt:
                torch.nn.init.orthogonal_(matrix)

        fns["torch orthogonal_ (loop)"] = torch_loop
    return interleaved(fns, rounds, pause=PAUSE)


def _table(title, times, flops=None, rate=None):
    print(f"\n{title}")
    base = times["fastinit"]
    for name, t in times.items():
        if name == "gemm":
            continue
        ratio = "" if name == "fastinit" else f"fastinit {t / base:5.1f}x faster"
        print(f"  {name:<26} {t * 1e3:9.1f} ms  {ratio}")
    if flops and rate:
        print(
            f"  fastinit: {flops / base / 1e9:.1f} GFLOP/s = {flops / base / rate:.0%} of the "
            f"GEMM rate ({rate / 1e9:.1f} GFLOP/s)"
        )


def _row(rows, criterion, value, target, met):
    rows.append((criterion, value, target, met))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 rounds, smaller sanity sizes")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    torch = _torch()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"fastinit threads {config.thread_count()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, torch {torch.__version__ if torch else 'absent'}; "
        f"{rounds} interleaved rounds, medians"
    )
    try:
        from threadpoolctl import threadpool_info

        pools = {(p["internal_api"], p["num_threads"]) for p in threadpool_info()}
        print("thread pools:", ", ".join(f"{api} x{n}" for api, n in sorted(pools)))
    except ImportError:
        pass
    n = 2048
    rows = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        times = square_case(n, dtype, rounds, torch)
        rate = 2 * n**3 / times["gemm"]
        flops = 4 / 3 * n**3
        _table(f"{n} x {n} {name}", times, flops, rate)
        draws = median_time(
            lambda d=dtype: block("normal", 0, n * (n + 1) // 2, seed=0, dtype=d), 3, warmup=0
        )
        print(f"  (fastinit's share spent drawing the n(n+1)/2 normals: {draws * 1e3:.1f} ms)")
        for peer in ("torch orthogonal_", "numpy.linalg.qr"):
            if peer in times:
                ratio = times[peer] / times["fastinit"]
                _row(rows, f"n=2048 {name} vs {peer}", f"{ratio:.2f}x", ">= 3x", ratio >= 3)
        frac = flops / times["fastinit"] / rate
        _row(rows, f"n=2048 {name} fraction of GEMM rate", f"{frac:.0%}", ">= 60%", frac >= 0.6)
    m, k = 4096, 1024
    times = tall_case(m, k, rounds, torch)
    flops = 2 * m * k * k - 2 / 3 * k**3
    _table(f"{m} x {k} float64", times, flops, 2 * n**3 / times["gemm"])
    ratio = times["numpy.linalg.qr"] / times["fastinit"]
    _row(rows, "4096 x 1024 float64 vs numpy.linalg.qr", f"{ratio:.2f}x", ">= 3x", ratio >= 3)
    count = 1024
    times = batched_case(count, 64, rounds, torch)
    rate = 2 * n**3 / times["gemm"]
    _table(f"{count} stacked 64 x 64 float64", times, count * 4 / 3 * 64**3, rate)
    ratio = times["numpy.linalg.qr"] / times["fastinit"]
    _row(rows, "1024 x 64 x 64 float64 vs numpy.linalg.qr", f"{ratio:.2f}x", ">= 3x", ratio >= 3)
    report(rows, "orthogonal speed criteria")


if __name__ == "__main__":
    main()
