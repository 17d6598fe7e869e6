"""Out of core: 2.5·10^9 float32 parameters (10 GB) of trunc_normal into a zarr store on disk.

Run: ``python benchmarks/bench_out_of_core.py [--elements 2.5e9] [--dir /tmp]``. Needs dask and
zarr (``pip install "fastinit[dask]" zarr``). It writes about ``4 * elements`` bytes, then
deletes them.

``fastinit.dask.trunc_normal`` builds the lazy array; ``dask.array.to_zarr`` writes it chunk by
chunk with two worker threads (one per core; fastinit runs one thread inside each), so only a
few chunks are in memory at a time. Printed, all in this process:

* the disk's own write speed: 2 GB of bytes written and fsync'ed;
* in-memory generation: the same ``trunc_normal`` filling one chunk-sized buffer, both cores;
* the zarr write: time to the last chunk written, and to the data being on disk (``os.sync``),
  in GB/s, against both; the peak resident memory of the process (``ru_maxrss``);
* a check: 16 random boxes read back from the store equal ``fastinit.trunc_normal(...,
  region=box)``.
"""

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time

import numpy as np

import fastinit
from fastinit import config

STD, A, B = 0.02, -0.04, 0.04
COLUMNS, CHUNK_ROWS = 4096, 6144  # 25M float32 (100 MB) per chunk


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def disk_speed(directory, nbytes=2 * 10**9, piece=64 * 2**20):
    """GB/s of writing ``nbytes`` to a new file in ``directory``, fsync included."""
    data = np.random.default_rng(0).integers(0, 255, piece, dtype=np.uint8).tobytes()
    path = os.path.join(directory, "disk-speed.bin")
    start = time.perf_counter()
    with open(path, "wb", buffering=0) as f:
        for _ in range(nbytes // piece):
            f.write(data)
        os.fsync(f.fileno())
    seconds = time.perf_counter() - start
    os.remove(path)
    return (nbytes // piece) * piece / seconds / 1e9


def memory_speed(rounds=5):
    """GB/s of drawing one chunk of the benchmark's trunc_normal into existing memory."""
    out = np.empty((CHUNK_ROWS, COLUMNS), np.float32)
    times = []
    for _ in range(rounds + 1):
        start = time.perf_counter()
        fastinit.trunc_normal(None, std=STD, a=A, b=B, seed=0, out=out)
        times.append(time.perf_counter() - start)
    return out.nbytes / float(np.median(times[1:])) / 1e9


def write_store(path, rows, seed):
    import dask
    import dask.array as da
    import zarr

    import fastinit.dask as fd

    shape, chunks = (rows, COLUMNS), (CHUNK_ROWS, COLUMNS)
    lazy = fd.trunc_normal(shape, std=STD, a=A, b=B, chunks=chunks, seed=seed)
    store = zarr.create_array(
        store=path, shape=shape, chunks=chunks, dtype="float32", compressors=None
    )
    threads = config.thread_count()
    config.set_num_threads(1)  # dask runs one chunk per core
    start = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=2):
        da.store(lazy, store, lock=False)
    written = time.perf_counter() - start
    os.sync()
    durable = time.perf_counter() - start
    config.set_num_threads(threads)
    return store, written, durable


def check_boxes(store, rows, seed, count=16):
    rng = np.random.default_rng(1)
    key = fastinit.random.key(seed)
    for _ in range(count):
        r0 = int(rng.integers(0, rows - 1))
        c0 = int(rng.integers(0, COLUMNS - 1))
        r1 = int(min(rows, r0 + rng.integers(1, 3 * CHUNK_ROWS)))
        c1 = int(min(COLUMNS, c0 + rng.integers(1, COLUMNS)))
        box = (slice(r0, r1), slice(c0, c1))
        expected = fastinit.trunc_normal((rows, COLUMNS), std=STD, a=A, b=B, seed=key, region=box)
        if not np.array_equal(store[box], expected):
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=float, default=2.5e9)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    rows = int(args.elements) // COLUMNS
    gb = rows * COLUMNS * 4 / 1e9
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"{rows} x {COLUMNS} float32 = {gb:.2f} GB in chunks of {CHUNK_ROWS} rows, "
          f"store in {args.dir}")  # fmt: skip
    work = tempfile.mkdtemp(dir=args.dir, prefix="fastinit-ooc-")
    try:
        disk = disk_speed(work)
        memory = memory_speed()
        print(f"disk write (fsync'ed): {disk:.2f} GB/s; trunc_normal into memory: "
              f"{memory:.2f} GB/s")  # fmt: skip
        store, written, durable = write_store(os.path.join(work, "weights.zarr"), rows, 0)
        print(f"zarr: all chunks written in {written:.1f} s ({gb / written:.2f} GB/s), on disk "
              f"after {durable:.1f} s ({gb / durable:.2f} GB/s: {gb / durable / disk:.2f}x the "
              f"disk, {gb / durable / memory:.2f}x in-memory generation)")  # fmt: skip
        peak = peak_rss_gb()
        verdict = "met" if peak < 2.0 else "NOT MET"
        print(f"peak resident memory: {peak:.2f} GB (goal < 2 GB: {verdict})")
        same = check_boxes(store, rows, 0)
        print(f"16 random boxes read back equal fastinit.trunc_normal(region=box): {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
