"""Confusion matrix of 10^9 labels with fastinit.dask, never all in memory (not a test).

Labels are generated lazily chunk by chunk (dask.array.random), counted by the fastinit kernel
per chunk and summed by a tree reduction. Prints wall time and peak resident memory.

Run: python benchmarks/dask_billion.py [--n 1000000000] [--chunk 10000000] [--classes 10]
"""

import argparse
import resource
import time

import dask
import dask.array as da

from fastinit.dask import confusion_matrix


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10**9)
    parser.add_argument("--chunk", type=int, default=10**7)
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args()
    rs = da.random.RandomState(0)
    t = rs.randint(0, args.classes, size=args.n, chunks=args.chunk, dtype="int32")
    p = rs.randint(0, args.classes, size=args.n, chunks=args.chunk, dtype="int32")
    t0 = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=2):
        cm = confusion_matrix(t, p, num_classes=args.classes)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data_mb = 2 * args.n * 4 / 2**20
    print(f"{args.n:,} labels, {args.classes} classes, chunks of {args.chunk:,}")
    print(
        f"total counted {int(cm.sum()):,} in {seconds:.1f} s; peak RSS {peak_mb:.0f} MB "
        f"(the labels alone would take {data_mb:.0f} MB)"
    )


if __name__ == "__main__":
    main()
