"""Time every operation of the comparison table against the peers that are installed."""

import fnmatch
import statistics
import time

from . import load


def _seconds(fn, inputs, prepare):
    kwargs = prepare(inputs) if prepare else inputs
    start = time.perf_counter()
    fn(**kwargs)
    return time.perf_counter() - start


def measure(comparison, *, scale=1.0, repeat=5, peers=None):
    """Median seconds per unit for each available peer of ``comparison``.

    Returns ``{peer: (size, seconds_per_call, seconds_per_unit)}``. Every peer is called once
    first (compilation, caches), and slow peers run at their ``max_size``.

    Examples
    --------
    >>> from fastinit.comparisons import load
    >>> from fastinit.comparisons.runner import measure
    >>> timings = measure(load()["init.constant"], scale=1e-4, repeat=1, peers={"numpy"})
    >>> sorted(timings), timings["fastinit"][0]
    (['fastinit', 'numpy'], 5000)
    """
    size = max(1, int(comparison.bench_size * scale))
    inputs_by_size = {}
    results = {}
    for name in comparison.available():
        if peers is not None and name not in peers and name != "fastinit":
            continue
        peer = comparison.peers[name]
        n = min(size, peer.max_size) if peer.max_size else size
        if n not in inputs_by_size:
            inputs_by_size[n] = comparison.setup(n)
        inputs = inputs_by_size[n]
        prepare = comparison.prepare
        _seconds(peer.fn, inputs, prepare)  # warm-up: compilation, caches
        times = [_seconds(peer.fn, inputs, prepare)]
        # slow peers (seconds per call) get fewer repeats so that a full run stays short
        calls = max(1, min(repeat, int(3.0 / max(times[0], 1e-9))))
        times += [_seconds(peer.fn, inputs, prepare) for _ in range(calls - 1)]
        seconds = statistics.median(times)
        results[name] = (n, seconds, seconds / n)
    return results


def run(patterns=("*",), *, scale=1.0, repeat=5, peers=None, write=print):
    """Benchmark the operations whose names match any of ``patterns``; print and return rows.

    Each row is ``(operation, peer, size, seconds, ratio)`` where ``ratio`` is the peer's time
    per unit over fastinit's (above 1: fastinit is faster).

    Examples
    --------
    >>> from fastinit.comparisons.runner import run
    >>> rows = run(["init.constant"], scale=1e-4, repeat=1, write=lambda line: None)
    >>> rows[0][:3]
    ('init.constant', 'fastinit', 5000)
    """
    comparisons = load()
    names = [n for n in sorted(comparisons) if any(fnmatch.fnmatch(n, p) for p in patterns)]
    rows = []
    write(f"{'operation':<40} {'peer':<12} {'size':>11} {'time':>11} {'peer/fastinit':>14}")
    for name in names:
        timings = measure(comparisons[name], scale=scale, repeat=repeat, peers=peers)
        base = timings.get("fastinit")
        for peer, (n, seconds, per_unit) in timings.items():
            ratio = per_unit and base[2] and per_unit / base[2]
            rows.append((name, peer, n, seconds, ratio))
            speed = "" if peer == "fastinit" else f"{ratio:.1f}x"
            write(f"{name:<40} {peer:<12} {n:>11,} {seconds * 1e3:>9.2f}ms {speed:>14}")
    return rows
