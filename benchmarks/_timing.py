"""Shared timing helpers for the benchmark scripts (median of repeated calls, same process)."""

import statistics
import time


def median_time(fn, *, repeat=7, warmup=1, setup=None):
    """Median wall time of ``fn()`` over ``repeat`` calls, after ``warmup`` untimed calls.

    ``setup`` (untimed) runs before each call, e.g. to restore inputs modified in place.
    """
    for _ in range(warmup):
        if setup:
            setup()
        fn()
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(rows, title):
    """Print criteria rows: (criterion, measured, target, met)."""
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows)
    for criterion, measured, target, met in rows:
        flag = "met" if met else "NOT MET"
        print(f"  {criterion:<{width}}  {measured:>24}  target {target:<14} {flag}")
