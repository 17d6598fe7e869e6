"""Where a second thread starts to pay: one thread against every thread, around the sizes below
which fastinit stays on one thread.

    python benchmarks/bench_thresholds.py [--rounds 40]

For clipping (``config.CLIP_PARALLEL_MIN``: ``global_norm``, ``clip_grad_value``,
``clip_grad_norm`` on float32 arrays copied just before each call, as gradients are freshly
written) and for the metrics' light kernels (``COUNT_MIN_PART``: ``f1_score`` of binary labels,
a 10-class ``confusion_matrix``; ``MOMENTS_MIN_PART``: ``mean_squared_error``, ``r2_score``), each
size runs with the threshold lowered so that the call splits, once on one thread and once on
all of them, alternating in this process; it prints all threads' median over one thread's
(below 1: the threads pay) and whether fastinit's threshold splits that size.
"""

import argparse
import functools
import os
import platform
import statistics
import time

import numpy as np

import fastinit
import fastinit.metrics as M
from fastinit import config
from fastinit.comparisons.clip_ops import _setup
from fastinit.metrics import _parallel


def _ratio(call, prepare, rounds, threads):
    """All threads' median time over one thread's, alternating the two."""
    times = {1: [], threads: []}
    for r in range(rounds):
        for count in (1, threads) if r % 2 else (threads, 1):
            config.set_num_threads(count)
            args = prepare()
            start = time.perf_counter()
            call(*args)
            times[count].append(time.perf_counter() - start)
    return statistics.median(times[threads]) / statistics.median(times[1]), times


def _copies(arrays):
    """The call's arguments: fresh copies of ``arrays`` (the clipping calls write in place)."""
    return ([a.copy() for a in arrays],)


def _clip_rows(rounds, threads):
    kept = config.CLIP_PARALLEL_MIN
    calls = {
        "global_norm": fastinit.global_norm,
        "clip_grad_value": lambda a: fastinit.clip_grad_value(a, 0.5),
        "clip_grad_norm": lambda a: fastinit.clip_grad_norm(a, 1.0),
    }
    try:
        for size in (1 << 20, 1 << 21, 3 << 20, 1 << 22, 1 << 23):
            arrays = _setup(size)["arrays"]
            config.CLIP_PARALLEL_MIN = 1  # split every size; the real threshold is printed
            for name, call in calls.items():
                prepare = functools.partial(_copies, arrays)
                ratio, times = _ratio(call, prepare, rounds, threads)
                _print(name, size, ratio, statistics.median(times[1]), size >= kept)
    finally:
        config.CLIP_PARALLEL_MIN = kept


def _metric_rows(rounds, threads):
    kept = _parallel.COUNT_MIN_PART, _parallel.MOMENTS_MIN_PART
    rng = np.random.default_rng(0)
    try:
        for size in (1 << 17, 3 << 17, 1 << 19, 3 << 18, 1 << 20):
            y, yp = rng.integers(0, 2, size), rng.integers(0, 2, size)
            y10 = rng.integers(0, 10, size)
            p10 = np.where(rng.random(size) < 0.7, y10, rng.integers(0, 10, size))
            a = rng.standard_normal(size)
            b = a + rng.standard_normal(size)
            _parallel.COUNT_MIN_PART = _parallel.MOMENTS_MIN_PART = _parallel.MIN_PART
            rows = (
                ("f1_score, binary", M.f1_score, (y, yp), kept[0]),
                ("confusion_matrix, K=10", M.confusion_matrix, (y10, p10), kept[0]),
                ("mean_squared_error", M.mean_squared_error, (a, b), kept[1]),
                ("r2_score", M.r2_score, (a, b), kept[1]),
            )
            for name, call, inputs, min_part in rows:
                ratio, times = _ratio(call, functools.partial(tuple, inputs), rounds, threads)
                _print(name, size, ratio, statistics.median(times[1]), size >= 2 * min_part)
    finally:
        _parallel.COUNT_MIN_PART, _parallel.MOMENTS_MIN_PART = kept


def _print(name, size, ratio, one, splits):
    print(f"  {name:<24} {size:>10,}  one thread {one * 1e6:8.0f} us  all / one {ratio:5.2f}  "
          f"fastinit: {'threads' if splits else 'one thread'}")  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args(argv)
    threads = config.thread_count()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {threads} "
          f"threads, {args.rounds} rounds (medians)")  # fmt: skip
    if threads < 2:
        print("one thread only: nothing to compare")
        return
    print("clipping, float32 arrays of mixed shapes, copied before each call:")
    _clip_rows(args.rounds, threads)
    print("metrics' light kernels:")
    _metric_rows(args.rounds, threads)
    config.set_num_threads(threads)


if __name__ == "__main__":
    main()
