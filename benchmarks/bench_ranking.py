"""Speed of the ranking and probabilistic metrics against scikit-learn, in one process.

Run: python benchmarks/bench_ranking.py [--n 10000000] [--repeat 5] [--sk-repeat 3]
                                        [--threads N] [--no-sklearn]

Binary float64 scores, labels drawn as Bernoulli(score) (so about half are positive), with
distinct scores (``rng.random``) and with ties (the same scores rounded to 2 decimals: 101
values). Each case times its contenders round-robin (one call of each per round: a change of
the machine's load hits all alike) and prints the median and the range over the rounds, the
ratio scikit-learn / fastinit (goal: 20x) and fastinit / ``np.argsort(scores, kind="stable")``
(the sort scikit-learn starts with; for the losses, fastinit / reading both inputs once). The
first call of each fastinit function in the process (compilation, or loading the cached
kernels, included) is printed on its own line before the timed rounds.
"""

import argparse
import os
import statistics
import time

import numpy as np

from fastinit.comparisons.timing import seconds

SORTED = (
    "roc_auc_score",
    "average_precision_score",
    "roc_curve",
    "precision_recall_curve",
    "det_curve",
)
LOSSES = ("log_loss", "brier_score_loss")


def rounds(fns, n_rounds):
    """{name: [seconds per round]}: every callable once per round, round-robin."""
    times = {name: [] for name in fns}
    for _ in range(n_rounds):
        for name, fn in fns.items():
            times[name].append(seconds(fn))
    return times


def summary(ts):
    return f"{statistics.median(ts) * 1e3:7.1f} ms [{min(ts) * 1e3:.1f}-{max(ts) * 1e3:.1f}]"


def case(title, name, ours, peers, args):
    """Time fastinit's ``name`` against its peers: the first call, then interleaved rounds."""
    first = seconds(ours)
    print(f"{title} {name}: first call {first * 1e3:.0f} ms", flush=True)
    fast = {"fastinit": ours, **{k: v for k, v in peers.items() if k != "sklearn"}}
    t = rounds(fast, args.repeat)
    if "sklearn" in peers:
        # scikit-learn takes seconds per call: fewer rounds, each beside one fastinit call
        sk = rounds({"sklearn": peers["sklearn"], "fastinit": ours}, args.sk_repeat)
        t["sklearn"] = sk["sklearn"]
        t["fastinit"] += sk["fastinit"]
    med = {k: statistics.median(v) for k, v in t.items()}
    line = f"    fastinit {summary(t['fastinit'])}"
    if "sklearn" in t:
        ratio = med["sklearn"] / med["fastinit"]
        line += f" | sklearn {summary(t['sklearn'])} ({ratio:5.1f}x, goal 20x)"
    for floor in ("argsort", "read once"):
        if floor in t:
            line += f" | {floor} {summary(t[floor])} (fastinit / {floor} "
            line += f"{med['fastinit'] / med[floor]:4.2f})"
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10**7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sk-repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-sklearn", action="store_true")
    args = parser.parse_args()

    import fastinit.metrics as fm
    from fastinit import config

    if args.threads:
        config.set_num_threads(args.threads)
    skm = None
    if not args.no_sklearn:
        import sklearn.metrics as skm
    rng = np.random.default_rng(0)
    n = args.n
    score = rng.random(n)
    y = (rng.random(n) < score).astype(np.int64)
    print(
        f"n = {n:,} float64 scores, {y.mean():.0%} positive; {args.repeat} rounds "
        f"({args.sk_repeat} beside scikit-learn); fastinit threads {config.thread_count()}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    for title, s in (("distinct", score), ("ties", np.round(score, 2))):
        for name in SORTED:
            peers = {"argsort": lambda s=s: np.argsort(s, kind="stable")}
            if skm is not None:
                peers["sklearn"] = lambda name=name, s=s: getattr(skm, name)(y, s)
            case(title, name, lambda name=name, s=s: getattr(fm, name)(y, s), peers, args)
    for name in LOSSES:
        peers = {"read once": lambda: (y.sum(), score.sum())}
        if skm is not None:
            peers["sklearn"] = lambda name=name: getattr(skm, name)(y, score)
        case("probabilities", name, lambda name=name: getattr(fm, name)(y, score), peers, args)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.0f} s")
