"""fastinit.metrics on dask arrays of 10^9 samples, never all in memory.

Run: ``python benchmarks/bench_dask_metrics.py [--size 1e9] [--chunk 1e7] [--classes 10]
[--slice 1e7]``. Needs dask (``pip install "fastinit[dask]"``) and, for the comparison,
scikit-learn.

Inputs are generated lazily, chunk by chunk, by ``fastinit.dask.uniform`` / ``normal`` (each
chunk its own region of the stream): int32 labels ``floor(10 u)``, predictions equal to them
70% of the time and uniform otherwise, and float32 targets with predictions = targets + noise.
Measured, each in a process of its own so that its peak resident memory (``ru_maxrss``) is its
own, with the threaded scheduler on every core:

* ``labels`` and ``targets``: generating the inputs and reading them once (their sums), the
  cost every metric pays for the data;
* ``f1_score(average="macro")`` and ``confusion_matrix`` through ``fastinit.metrics`` (the dask
  branch: per-chunk counts merged in a tree), and ``r2_score`` of the float32 targets;
* for scale, ``--slice`` samples in memory (computed from the same lazy arrays): fastinit's and
  scikit-learn's f1_score and confusion_matrix, and r2_score, timed on the slice (the data
  generation excluded), with the time scikit-learn would take for ``--size`` samples at the
  same rate.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

TASKS = ("labels", "f1_score", "confusion_matrix", "targets", "r2_score", "in_memory")


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _labels(args):
    import dask.array as da

    import fastinit.dask as fd

    shape, chunks = (args.size,), args.chunk
    u = fd.uniform(shape, chunks=chunks, seed=0)
    t = da.minimum((u * args.classes).astype(np.int32), args.classes - 1)
    noise = fd.uniform(shape, chunks=chunks, seed=1)
    other = da.minimum(((noise - 0.7) / 0.3 * args.classes).astype(np.int32), args.classes - 1)
    return t, da.where(noise < 0.7, t, other)


def _targets(args):
    import fastinit.dask as fd

    shape, chunks = (args.size,), args.chunk
    t = fd.normal(shape, chunks=chunks, seed=2)
    return t, t + fd.normal(shape, std=0.5, chunks=chunks, seed=3)


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run_task(task, args):
    """One measurement in this process: {seconds, peak_mb, before_mb, result}."""
    import dask

    dask.config.set(scheduler="threads", num_workers=os.cpu_count())
    if task == "in_memory":
        return _in_memory(args)
    # the same computation on 1000 samples first: kernels compiled or loaded, dask warm
    _compute(task, argparse.Namespace(**{**vars(args), "size": 1000, "chunk": 100}))
    before = _peak_mb()
    seconds, value = _timed(lambda: _compute(task, args))
    value = value.tolist() if isinstance(value, np.ndarray) else value
    return {"seconds": seconds, "peak_mb": _peak_mb(), "before_mb": before, "result": value}


def _compute(task, args):
    import dask

    import fastinit.metrics as M

    a, b = _targets(args) if task in ("targets", "r2_score") else _labels(args)
    if task in ("labels", "targets"):  # the inputs alone: generated and read once
        return [float(s) for s in dask.compute(a.sum(), b.sum())]
    kwargs = {"average": "macro"} if task == "f1_score" else {}
    return getattr(M, task)(a, b, **kwargs)


def _in_memory(args):
    """The first ``--slice`` samples, computed into memory, then fastinit and scikit-learn."""
    import fastinit.metrics as M

    size = args.slice
    t, p = _labels(args)
    yt, yp = _targets(args)
    t, p, yt, yp = (a[:size].compute() for a in (t, p, yt, yp))
    out = {"size": size, "peak_mb": 0.0}
    for name, fn, data in [
        ("f1_score", lambda m, a, b: m.f1_score(a, b, average="macro"), (t, p)),
        ("confusion_matrix", lambda m, a, b: m.confusion_matrix(a, b), (t, p)),
        ("r2_score", lambda m, a, b: m.r2_score(a, b), (yt, yp)),
    ]:
        fn(M, *data)  # compiled and warm
        out[f"fastinit {name}"] = _timed(lambda fn=fn, data=data: fn(M, *data))[0]
        try:
            import sklearn.metrics as skm
        except ImportError:
            continue
        out[f"scikit-learn {name}"] = _timed(lambda fn=fn, data=data: fn(skm, *data))[0]
    out["peak_mb"] = _peak_mb()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1e9, help="samples (default 1e9)")
    parser.add_argument("--chunk", type=float, default=1e7, help="samples per chunk")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--slice", type=float, default=1e7, help="samples timed in memory")
    parser.add_argument("--task", choices=TASKS, help=argparse.SUPPRESS)  # one measurement
    args = parser.parse_args()
    args.size, args.chunk, args.slice = int(args.size), int(args.chunk), int(args.slice)
    args.slice = min(args.slice, args.size)
    if args.task:
        print(json.dumps(run_task(args.task, args)))
        return
    n = args.size
    print(f"{_cpu()}, {os.cpu_count()} cores; {n:,} samples")
    print(
        f"chunks of {args.chunk:,}; labels int32 ({2 * 4 * n / 1e9:.1f} GB if materialized), "
        f"targets float32 ({2 * 4 * n / 1e9:.1f} GB)"
    )
    results = {}
    for task in TASKS:
        cmd = [sys.executable, __file__, "--task", task] + [
            f"--{k}={getattr(args, k)}" for k in ("size", "chunk", "classes", "slice")
        ]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results[task] = json.loads(line.strip().splitlines()[-1])
    for task in TASKS[:-1]:
        r = results[task]
        result = r["result"] if task not in ("labels", "targets") else "(inputs read once)"
        if task == "confusion_matrix":
            result = f"{int(np.sum(r['result'])):,} counted"
        print(
            f"{task:>18}: {r['seconds']:8.2f} s, peak RSS {r['peak_mb']:7.0f} MB "
            f"({r['before_mb']:.0f} MB before the computation)  {result}"
        )
    mem = results["in_memory"]
    print(f"in memory, {mem['size']:,} samples (peak RSS {mem['peak_mb']:.0f} MB):")
    for name in ("f1_score", "confusion_matrix", "r2_score"):
        line = f"{name:>18}: fastinit {mem[f'fastinit {name}']:.3f} s"
        sk = mem.get(f"scikit-learn {name}")
        if sk is not None:
            scale = n / mem["size"]
            line += f", scikit-learn {sk:.3f} s (x {scale:g}: {sk * scale:.1f} s)"
        print(line)


if __name__ == "__main__":
    main()
