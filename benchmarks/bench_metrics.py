"""Speed criteria of the metrics, measured in one process: medians over interleaved repeats, ratios.

Run: python benchmarks/bench_metrics.py [--repeat 9] [--n 10000000] [--no-sklearn]

Each case times its contenders round-robin (one call of each per round), so that a change of the
machine's load during the run hits every contender alike; the table reports medians. "read once"
is the time of NumPy reading both inputs once, ``y_true.sum(); y_pred.sum()`` (one thread, no
writes). The last section times the counting and moments kernels alone on one thread with
``time.thread_time`` (CPU time of the calling thread: insensitive to waiting for a core), which is
how kernel variants were compared on the shared, loaded machine.
"""

import argparse
import os
import time

import numpy as np

from fastinit.comparisons.timing import interleaved


def labels(rng, n, k, kind):
    t = rng.integers(0, k, n)
    if kind == "uniform":
        return t, rng.integers(0, k, n)
    return t, np.where(rng.random(n) < 0.7, t, rng.integers(0, k, n))  # 70% correct


def classification(rng, n, rep, skm):
    import fastinit.metrics as fm

    for k in (10, 1000):
        for kind in ("70% correct", "uniform"):
            t, p = labels(rng, n, k, kind)
            fns = {
                "read": lambda t=t, p=p: (t.sum(), p.sum()),
                "fastinit": lambda t=t, p=p: fm.confusion_matrix(t, p),
                "bincount": lambda t=t, p=p, k=k: np.bincount(t * k + p, minlength=k * k),
            }
            m = interleaved(fns, rep)
            sk = ""
            if skm is not None:
                s = interleaved({"sk": lambda t=t, p=p: skm.confusion_matrix(t, p)}, 3)["sk"]
                sk = f"sklearn {s * 1e3:6.0f} ms ({s / m['fastinit']:5.1f}x, need 30x) | "
            print(
                f"confusion_matrix K={k:<4} {kind:<11}: fastinit {m['fastinit'] * 1e3:6.1f} ms | "
                f"{sk}bincount {m['bincount'] * 1e3:6.1f} ms "
                f"({m['bincount'] / m['fastinit']:4.2f}x, need 1.5x) | read once "
                f"{m['read'] * 1e3:5.1f} ms (fastinit/read {m['fastinit'] / m['read']:4.2f}, "
                "need <= 2)",
                flush=True,
            )
            if kind == "70% correct":
                ours = interleaved(
                    {
                        "f": lambda t=t, p=p: fm.precision_recall_fscore_support(
                            t, p, average="macro"
                        )
                    },
                    rep,
                )["f"]
                line = f"prfs(macro)      K={k:<4} {kind:<11}: fastinit {ours * 1e3:6.1f} ms"
                if skm is not None:
                    s = interleaved(
                        {"sk": lambda t=t, p=p: skm.precision_recall_fscore_support(
                            t, p, average="macro")}, 3
                    )["sk"]  # fmt: skip
                    line += f" | sklearn {s * 1e3:6.0f} ms ({s / ours:5.1f}x, need 30x)"
                print(line, flush=True)


def regression(rng, n, rep, skm):
    import fastinit.metrics as fm

    yt = rng.normal(size=n)
    yp = yt + 0.1 * rng.normal(size=n)
    for name in ("r2_score", "mean_squared_error"):
        fns = {
            "read": lambda: (yt.sum(), yp.sum()),
            "fastinit": lambda name=name: getattr(fm, name)(yt, yp),
        }
        if skm is not None:
            fns["sklearn"] = lambda name=name: getattr(skm, name)(yt, yp)
        m = interleaved(fns, rep)
        sk = ""
        if skm is not None:
            ratio = m["sklearn"] / m["fastinit"]
            sk = f" | sklearn {m['sklearn'] * 1e3:6.1f} ms ({ratio:4.1f}x, need 3x)"
        print(
            f"{name:<18} float64: fastinit {m['fastinit'] * 1e3:6.1f} ms{sk} | read once "
            f"{m['read'] * 1e3:5.1f} ms",
            flush=True,
        )


def kernels_one_thread(rng, n, rep):
    """CPU time of the serial kernels against NumPy's read, on the calling thread."""
    from fastinit.kernels.confusion import count_pairs_serial
    from fastinit.kernels.moments import SQUARED_ONLY, SQUARES, column_moments_serial

    for k in (10, 1000):
        for kind in ("70% correct", "uniform"):
            t, p = labels(rng, n, k, kind)
            buf = np.zeros((1, k * k + k), np.int32)  # the table and the diagonal strip
            info = np.zeros((1, 3), np.int64)
            none = np.zeros((1, 0), np.int32)

            def count(t=t, p=p, k=k, buf=buf, info=info, none=none):
                buf.fill(0)
                count_pairs_serial(t, p, None, np.int64(0), np.int64(k), buf, info, none, none)

            m = interleaved(
                {"read": lambda t=t, p=p: (t.sum(), p.sum()), "count": count},
                rep,
                clock=time.thread_time,
            )
            print(
                f"1 thread, CPU time: count K={k:<4} {kind:<11} {m['count'] * 1e3:5.1f} ms | "
                f"read once {m['read'] * 1e3:5.1f} ms ({m['count'] / m['read']:4.2f}x)",
                flush=True,
            )
    yt = rng.normal(size=n)
    yp = yt + 0.1 * rng.normal(size=n)
    m = interleaved(
        {
            "read": lambda: (yt.sum(), yp.sum()),
            "mse": lambda: column_moments_serial(yt, yp, None, 1, SQUARED_ONLY),
            "r2": lambda: column_moments_serial(yt, yp, None, 1, SQUARES),
        },
        rep,
        clock=time.thread_time,
    )
    print(
        f"1 thread, CPU time: moments MSE mode {m['mse'] * 1e3:5.1f} ms, r2 mode "
        f"{m['r2'] * 1e3:5.1f} ms | read once {m['read'] * 1e3:5.1f} ms",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--n", type=int, default=10**7)
    parser.add_argument("--no-sklearn", action="store_true")
    args = parser.parse_args()
    import numba

    skm = None
    if not args.no_sklearn:
        import sklearn.metrics as skm
    from fastinit.metrics._parallel import thread_parts

    n, rep = args.n, args.repeat
    rng = np.random.default_rng(0)
    print(
        f"n = {n:,}; medians of {rep} interleaved runs; numba threads "
        f"{numba.get_num_threads()}, threads used now {thread_parts(n)}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    classification(rng, n, rep, skm)
    regression(rng, n, rep, skm)
    kernels_one_thread(rng, n, rep)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
