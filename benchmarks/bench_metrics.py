"""Speed criteria of issue 5, measured in one process: medians over repeats, ratios.

Run: python benchmarks/bench_metrics.py [--repeat 7]
"""

import argparse
import statistics
import time

import numpy as np


def median_time(fn, repeat):
    fn()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--n", type=int, default=10**7)
    args = parser.parse_args()
    import sklearn.metrics as skm

    import fastinit.metrics as fm

    n, rep = args.n, args.repeat
    rng = np.random.default_rng(0)
    print(f"n = {n:,}; medians of {rep} runs")
    for k in (10, 1000):
        t = rng.integers(0, k, n)
        p = np.where(rng.random(n) < 0.7, t, rng.integers(0, k, n))
        read = median_time(lambda t=t, p=p: (t.max(), p.max()), rep)
        ours = median_time(lambda t=t, p=p: fm.confusion_matrix(t, p), rep)
        bc = median_time(lambda t=t, p=p, k=k: np.bincount(t * k + p, minlength=k * k), rep)
        sk = median_time(lambda t=t, p=p: skm.confusion_matrix(t, p), max(1, rep // 3))
        print(
            f"confusion_matrix K={k:<5} fastinit {ours * 1e3:7.1f} ms | sklearn {sk * 1e3:7.1f} ms "
            f"({sk / ours:5.1f}x, need 30x) | bincount {bc * 1e3:6.1f} ms ({bc / ours:4.2f}x, need 1.5x)"
            f" | read once {read * 1e3:5.1f} ms (fastinit/read {ours / read:4.2f}, need <= 2)"
        )
        if k == 10:
            ours = median_time(
                lambda t=t, p=p: fm.precision_recall_fscore_support(t, p, average="macro"), rep
            )
            sk = median_time(
                lambda t=t, p=p: skm.precision_recall_fscore_support(t, p, average="macro"),
                max(1, rep // 3),
            )
            print(
                f"prfs(macro)      K={k:<5} fastinit {ours * 1e3:7.1f} ms | sklearn {sk * 1e3:7.1f} ms "
                f"({sk / ours:5.1f}x, need 30x)"
            )
    yt = rng.normal(size=n)
    yp = yt + 0.1 * rng.normal(size=n)
    read = median_time(lambda: (yt.sum(), yp.sum()), rep)
    for name in ("r2_score", "mean_squared_error"):
        ours = median_time(lambda name=name: getattr(fm, name)(yt, yp), rep)
        sk = median_time(lambda name=name: getattr(skm, name)(yt, yp), rep)
        print(
            f"{name:<18} float64 fastinit {ours * 1e3:7.1f} ms | sklearn {sk * 1e3:7.1f} ms "
            f"({sk / ours:5.1f}x, need 3x) | read once {read * 1e3:5.1f} ms"
        )


if __name__ == "__main__":
    main()
