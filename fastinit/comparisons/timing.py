"""The one timing harness: every benchmark, ``fastinit bench`` and the scripts in ``benchmarks/``,
times calls with these functions.

The machine is shared and its load changes, so comparisons are made in one process and, where
several contenders are compared, round-robin (:func:`interleaved`): a burst of load then hits
every contender alike. Reported figures are medians over repeats.
"""

import statistics
import time


def seconds(fn, *, pause=0.0, clock=time.perf_counter):
    """Seconds taken by one call of ``fn()``, on ``clock``.

    ``pause`` sleeps first, untimed: on two cores another library's worker threads (OpenMP,
    OpenBLAS) keep spinning for a while after its call returns, and would otherwise be charged
    to the next call timed.
    """
    if pause:
        time.sleep(pause)
    start = clock()
    fn()
    return clock() - start


def repeat_times(fn, repeat, *, warmup=1, setup=None, pause=0.0, clock=time.perf_counter):
    """The times of ``repeat`` calls of ``fn()`` after ``warmup`` untimed calls (compilation,
    page faults). ``setup`` runs untimed before every call, e.g. to restore an input that the
    call modifies in place."""
    for _ in range(warmup):
        if setup:
            setup()
        fn()
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        times.append(seconds(fn, pause=pause, clock=clock))
    return times


def median_time(fn, repeat=7, **options):
    """Median of :func:`repeat_times` (same options)."""
    return statistics.median(repeat_times(fn, repeat, **options))


def interleaved(fns, rounds, *, warmup=1, pause=0.0, clock=time.perf_counter):
    """``{name: median seconds}`` of the callables in the dict ``fns``, timed round-robin: every
    one once per round, after ``warmup`` untimed calls of each."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name].append(seconds(fn, pause=pause, clock=clock))
    return {name: statistics.median(ts) for name, ts in times.items()}


def report(rows, title):
    """Print criteria rows ``(criterion, measured, target, met)`` under ``title``."""
    print(f"\n{title}")
    width = max(len(row[0]) for row in rows)
    for criterion, measured, target, met in rows:
        verdict = "met" if met else "NOT MET"
        print(f"  {criterion:<{width}}  {measured:>24}  target {target:<14} {verdict}")
