"""First calls: what a new user waits for, from an empty kernel cache and from a warm one.

Run: ``python benchmarks/bench_first_call.py [--rounds 1]``. Each round starts a fresh Python
process with an empty ``NUMBA_CACHE_DIR`` and makes the calls below in order, each timed on its
own (compilation included), then a second fresh process with the cache the first one filled.
Targets: every cold first call at most 3 s, all of them together at most 15 s, every warm first
call at most 0.1 s. The first Numba call of a process also pays Numba's own start-up (loading its
typing and lowering registries, about half a second), reported on its own line.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

# (name, setup, call): setup runs untimed in the child
CALLS = [
    ("clip_grad_norm, one float32 array", "g = [np.ones(1000, np.float32)]",
     "fi.clip_grad_norm(g, 1.0)"),
    ("normal float32 (1000, 1000)", "", "fi.normal((1000, 1000))"),
    ("normal float64 (1000, 1000)", "", "fi.normal((1000, 1000), dtype=np.float64)"),
    ("orthogonal (256, 256)", "", "fi.orthogonal((256, 256))"),
    ("confusion_matrix, 10^5 int64 labels",
     "y = np.random.default_rng(0).integers(0, 10, 10**5); p = np.roll(y, 1)",
     "M.confusion_matrix(y, p)"),
    ("f1_score(average='macro')", "", "M.f1_score(y, p, average='macro')"),
    ("r2_score, 1000 float64", "a = np.linspace(0, 1, 1000); b = a[::-1].copy()",
     "M.r2_score(a, b)"),
    ("propagation.theory('tanh', depth=10)", "", "P.theory('tanh', 1.5, depth=10)"),
    ("propagation.simulate, ReLU 5 x 64", "",
     "P.simulate([64] * 5, 'relu', n_networks=2, batch=32, seed=0)"),
]  # fmt: skip

_CHILD = """
import json, sys, time
import numpy as np
import numba
start = time.perf_counter()
numba.njit(lambda: 0)()
startup = time.perf_counter() - start
import fastinit as fi
import fastinit.metrics as M
from fastinit import propagation as P
times = []
for name, setup, call in json.loads(sys.argv[1]):
    exec(setup)
    start = time.perf_counter()
    exec(call)
    times.append(time.perf_counter() - start)
print(json.dumps({"startup": startup, "times": times}))
"""


def _child(cache):
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(CALLS)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def _machine():
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} CPUs"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1, help="fresh-cache rounds (medians)")
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(_child(cache))
            warm.append(_child(cache))
    print(f"{_machine()}; {args.rounds} round(s), medians; Numba start-up in each process "
          f"(a trivial function's first call, before the calls below): "
          f"{statistics.median(r['startup'] for r in warm):.2f} s")  # fmt: skip
    print(f"{'first call':<40} {'empty cache':>12} {'warm cache':>11}")
    cold_times = [statistics.median(r["times"][i] for r in cold) for i in range(len(CALLS))]
    warm_times = [statistics.median(r["times"][i] for r in warm) for i in range(len(CALLS))]
    for (name, _, _), c, w in zip(CALLS, cold_times, warm_times, strict=True):
        print(f"{name:<40} {c:>10.2f} s {w:>9.3f} s")
    total = sum(cold_times)
    print(f"{'all together':<40} {total:>10.2f} s {sum(warm_times):>9.3f} s")
    worst, worst_warm = max(cold_times), max(warm_times)
    verdict = "met" if worst <= 3 else "NOT MET"
    print(f"\nslowest cold call {worst:.2f} s (target <= 3 s): {verdict}")
    print(f"all cold calls {total:.2f} s (target <= 15 s): {'met' if total <= 15 else 'NOT MET'}")
    print(f"slowest warm call {worst_warm:.3f} s (target <= 0.1 s): "
          f"{'met' if worst_warm <= 0.1 else 'NOT MET'}")  # fmt: skip


if __name__ == "__main__":
    main()
