"""Speed criteria of the initializers, measured against the peers in one process.

Run: ``python benchmarks/bench_init.py [--size 50000000] [--repeat 7]``. Prints medians and
the ratios that the criteria are stated in (normal and uniform >= 4x torch, trunc_normal
>= 50x torch and >= 10x NumPy, 10^9 trunc_normal values in under 2 s).
"""

import argparse
import platform
import time

import numpy as np

import fastinit
from fastinit import config
from fastinit.comparisons.timing import median_time, report


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--billion", action="store_true", help="also time 10^9 trunc_normal")
    args = parser.parse_args()
    n, r = args.size, args.repeat
    print(f"{platform.processor() or platform.machine()}, {config.thread_count()} threads, n={n}")
    buf = np.empty(n, np.float32)
    buf.fill(0)  # touch the pages once
    t = {}
    t["fill"] = median_time(lambda: buf.fill(0.5), repeat=r)
    t["normal"] = median_time(lambda: fastinit.normal(None, out=buf, seed=0), repeat=r)
    t["uniform"] = median_time(lambda: fastinit.uniform(None, -1, 1, out=buf, seed=0), repeat=r)
    tn = {"mean": 0.0, "std": 0.02, "a": -0.04, "b": 0.04}
    t["trunc"] = median_time(lambda: fastinit.trunc_normal(None, **tn, out=buf, seed=0), repeat=r)
    rng = np.random.default_rng(0)
    t["np_normal32"] = median_time(
        lambda: rng.standard_normal(dtype=np.float32, out=buf), repeat=max(3, r // 2)
    )
    t["np_normal64"] = median_time(lambda: rng.standard_normal(n), repeat=max(3, r // 2))
    rows = []
    try:
        import torch

        tt = torch.from_numpy(buf)
        t["torch_normal"] = median_time(lambda: torch.nn.init.normal_(tt), repeat=r)
        t["torch_uniform"] = median_time(lambda: torch.nn.init.uniform_(tt, -1, 1), repeat=r)
        t["torch_trunc"] = median_time(lambda: torch.nn.init.trunc_normal_(tt, **tn), repeat=3)
        rows += [
            ("normal vs torch.nn.init.normal_", f"{t['torch_normal'] / t['normal']:.1f}x", ">= 4x",
             t["torch_normal"] / t["normal"] >= 4),
            ("uniform vs torch.nn.init.uniform_", f"{t['torch_uniform'] / t['uniform']:.1f}x",
             ">= 4x", t["torch_uniform"] / t["uniform"] >= 4),
            ("trunc_normal vs torch trunc_normal_", f"{t['torch_trunc'] / t['trunc']:.1f}x",
             ">= 50x", t["torch_trunc"] / t["trunc"] >= 50),
        ]  # fmt: skip
    except ImportError:
        print("torch is not installed: torch ratios skipped")
    rows += [
        ("normal vs numpy standard_normal(float32)", f"{t['np_normal32'] / t['normal']:.1f}x",
         ">= 10x", t["np_normal32"] / t["normal"] >= 10),
        ("normal vs numpy standard_normal(float64)", f"{t['np_normal64'] / t['normal']:.1f}x",
         "(reference)", True),
        ("normal speed / constant-fill speed", f"{t['fill'] / t['normal']:.0%}", ">= 20%",
         t["fill"] / t["normal"] >= 0.2),
    ]  # fmt: skip
    print("\nmedian times (ms):", {k: round(v * 1e3, 2) for k, v in t.items()})
    bandwidth = n * 4 / t["fill"] / 1e9
    print(f"constant fill write bandwidth: {bandwidth:.1f} GB/s")
    if args.billion:
        del buf
        big = 1_000_000_000

        def fresh():
            w = fastinit.trunc_normal(big, **tn, seed=0)
            del w

        def numpy_touch():
            w = np.empty(big, np.float32)
            w.fill(0)
            del w

        # A new 4 GB array is mostly the kernel handing out fresh pages: time that alone too
        # (NumPy writing a constant into a new array of the same size), in the same run.
        first = time.perf_counter()
        fresh()
        first = time.perf_counter() - first
        t["fresh"] = median_time(fresh, repeat=3, warmup=0)
        t["numpy_touch"] = median_time(numpy_touch, repeat=3, warmup=0)
        w = np.empty(big, np.float32)
        w.fill(0)
        t["existing"] = median_time(
            lambda: fastinit.trunc_normal(None, **tn, out=w, seed=0), repeat=3
        )
        print(
            f"10^9 float32: first allocation in this process {first:.2f} s; new array "
            f"{t['fresh']:.2f} s (NumPy filling a new array with a constant: "
            f"{t['numpy_touch']:.2f} s); existing array {t['existing']:.2f} s"
        )
        rows += [
            ("10^9 trunc_normal into a new array", f"{t['fresh']:.2f} s", "< 2 s",
             t["fresh"] < 2),
            ("10^9 trunc_normal into an existing array", f"{t['existing']:.2f} s", "< 2 s",
             t["existing"] < 2),
        ]  # fmt: skip
    report(rows, "initializer speed criteria")


if __name__ == "__main__":
    main()
