"""The random streams compiled for several SIMD targets, in one run.

Run: ``python benchmarks/bench_simd.py [--size 50000000]``. Each target is measured in a fresh
process (Numba fixes the target when it starts): the host's default (what users get), and
``NUMBA_CPU_NAME=haswell`` (AVX2 tuning) and ``skylake-avx512`` (AVX-512 tuning), each with the
host's own instruction set. Printed per target: ns per value on one thread, and the ratio to
torch's initializers in the same process with every thread (targets: normal and uniform >= 4x,
trunc_normal(std=0.02, a=-0.04, b=0.04) >= 50x). The host default should be at least as fast as
the best named target.
"""

import argparse
import json
import os
import subprocess
import sys

_CHILD = """
import json, statistics, sys, time
import numpy as np
import fastinit
from fastinit import config
from fastinit.comparisons.timing import median_time

n = int(sys.argv[1])
buf = np.empty(n, np.float32)
buf.fill(0)
tn = dict(mean=0.0, std=0.02, a=-0.04, b=0.04)
calls = {
    "uniform": lambda: fastinit.uniform(None, -1, 1, out=buf, seed=0),
    "normal": lambda: fastinit.normal(None, out=buf, seed=0),
    "trunc_normal": lambda: fastinit.trunc_normal(None, **tn, out=buf, seed=0),
}

def median(fn, repeat=5):
    return median_time(fn, repeat)

threads = config.thread_count()
result = {"one": {}, "all": {}, "torch": {}}
config.set_num_threads(1)
for name, fn in calls.items():
    result["one"][name] = median(fn) / n * 1e9
config.set_num_threads(threads)
for name, fn in calls.items():
    result["all"][name] = median(fn)
try:
    import torch
    t = torch.from_numpy(buf)
    peers = {"uniform": lambda: torch.nn.init.uniform_(t, -1, 1),
             "normal": lambda: torch.nn.init.normal_(t),
             "trunc_normal": lambda: torch.nn.init.trunc_normal_(t, **tn)}
    for name, fn in peers.items():
        result["torch"][name] = median(fn, 3)
except ImportError:
    pass
print(json.dumps(result))
"""

GOALS = {"uniform": 4.0, "normal": 4.0, "trunc_normal": 50.0}


def _host_features():
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    return llvm.get_host_cpu_name(), "avx512f" if features.get("avx512f") else (
        "avx2" if features.get("avx2") else "sse")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=50_000_000)
    args = parser.parse_args()
    host, simd = _host_features()
    print(f"host CPU {host} ({simd}), {os.cpu_count()} CPUs, {args.size:,} float32 values")
    print(f"{'target':<16} {'ns/value, 1 thread':>24}   torch / fastinit, all threads")
    print(f"{'':<16} {'uniform  normal   trunc':>24}   uniform  normal   trunc (goals 4/4/50)")
    for target in (None, "haswell", "skylake-avx512"):
        env = {
            k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")
        }
        if target:
            env["NUMBA_CPU_NAME"] = target
        child = subprocess.run([sys.executable, "-c", _CHILD, str(args.size)], env=env,
                               capture_output=True, text=True)  # fmt: skip
        if child.returncode:
            sys.exit(f"the child for target {target or 'host default'} failed:\n{child.stderr}")
        out = child.stdout
        r = json.loads(out.strip().splitlines()[-1])
        one = "  ".join(f"{r['one'][k]:6.2f}" for k in GOALS)
        if r["torch"]:
            ratios = "  ".join(f"{r['torch'][k] / r['all'][k]:6.1f}x" for k in GOALS)
            met = all(r["torch"][k] / r["all"][k] >= g for k, g in GOALS.items())
            ratios += "  met" if met else "  NOT MET"
        else:
            ratios = "(torch not installed)"
        print(f"{target or 'host default':<16} {one:>24}   {ratios}")


if __name__ == "__main__":
    main()
