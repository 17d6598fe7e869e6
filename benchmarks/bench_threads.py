"""Sharing the machine: parallel kernels beside busy processes, and beside BLAS.

Run: ``python benchmarks/bench_threads.py [--repeat 15]``. The script starts the busy processes
itself (each spins on one core) and, for each load (idle, one core busy, every core busy), times
every operation with one thread and with all threads (fastinit's and BLAS's), alternating call
by call in the same process, and prints the ratio
all-threads median / one-thread median. Targets: at most 1.5 with every core busy, 1.2 with one.
Then, with every core busy, it alternates 50 calls of each operation with NumPy matrix products
(BLAS threads competing for the same cores) and prints the slowest call over the median; target
at most 5.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import fastinit
import fastinit.metrics as M
from fastinit import config
from fastinit.comparisons.timing import repeat_times, seconds


def _operations():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal(4 << 20).astype(np.float32)
    labels = rng.integers(0, 10, 10**7)
    preds = np.where(rng.random(10**7) < 0.7, labels, rng.integers(0, 10, 10**7))
    out = np.empty(10**7, np.float32)
    return {
        "global_norm 4M float32": lambda: fastinit.global_norm(grads),
        "confusion_matrix 10^7": lambda: M.confusion_matrix(labels, preds),
        "normal 10^7 float32": lambda: fastinit.normal(None, out=out, seed=0),
        "orthogonal 256^2": lambda: fastinit.orthogonal((256, 256), seed=0),
        "orthogonal 2048^2": lambda: fastinit.orthogonal((2048, 2048), seed=0),
    }


def _medians(fn, repeat, threads):
    """Medians of ``fn`` on one thread and on ``threads``, fastinit and BLAS both (a blocked
    ``orthogonal`` runs its products on BLAS's threads, which fastinit's thread count does not
    set). The two settings alternate call by call, so that a phase of the scheduler (a busy
    process sharing the caller's core for a while) hits both alike."""
    import threadpoolctl

    blas = threadpoolctl.ThreadpoolController()
    counts = (1, threads)
    times = ([], [])
    # calls of a millisecond or so are at the mercy of time slices several times as long: time
    # more of them, up to about a second's worth
    rounds = max(repeat, min(10 * repeat, int(1.0 / max(seconds(fn), 1e-6))))
    for _ in range(rounds + 1):  # the first round is a warm-up
        for count, timed in zip(counts, times, strict=True):
            config.set_num_threads(count)
            with blas.limit(limits=count, user_api="blas"):
                timed.append(seconds(fn))
    return tuple(statistics.median(timed[1:]) for timed in times)


def _spinners(count):
    code = "while True:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    everything = config.thread_count()
    ops = _operations()
    print(f"{cores} cores; fastinit threads {everything}; medians of {args.repeat}+ calls (ms)")
    for busy, target in ((0, None), (1, 1.2), (cores, 1.5)):
        spinners = _spinners(busy)
        try:
            time.sleep(0.5)
            print(f"\n{busy} busy process(es)" + (f", target ratio <= {target}" if target else ""))
            for name, fn in ops.items():
                one, many = _medians(fn, args.repeat, everything)
                verdict = "" if target is None else ("met" if many / one <= target else "NOT MET")
                print(f"  {name:<26} 1 thread {one * 1e3:8.2f}  {everything} threads "
                      f"{many * 1e3:8.2f}  ratio {many / one:5.2f}  {verdict}")  # fmt: skip
        finally:
            for p in spinners:
                p.kill()
    spinners = _spinners(cores)
    try:
        time.sleep(0.5)
        a = np.random.default_rng(1).standard_normal((512, 512))
        print(f"\n{cores} busy processes, each call alternating with a 512^2 NumPy matmul "
              "(target: slowest <= 5x median)")  # fmt: skip
        config.set_num_threads(everything)
        for name, fn in ops.items():
            times = repeat_times(fn, 50, setup=lambda: a @ a)
            median, worst = statistics.median(times), max(times)
            print(
                f"  {name:<26} median {median * 1e3:8.2f}  slowest {worst * 1e3:8.2f}  "
                f"{worst / median:5.2f}x  {'met' if worst / median <= 5 else 'NOT MET'}"
            )
    finally:
        for p in spinners:
            p.kill()
        config.set_num_threads(everything)


if __name__ == "__main__":
    main()
