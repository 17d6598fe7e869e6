"""Speed criteria of gradient clipping, measured against torch in one process.

Run ``python benchmarks/bench_clip.py``. Prints the median time of each case for fastinit and for
``torch.nn.utils.clip_grad_norm_(foreach=True)`` on the same data (torch tensors share memory with
the NumPy arrays), the ratio, and the memory floor: two reads and one write of the data at the
copy bandwidth measured here.
"""

import numpy as np

import fastinit
from fastinit.clip import clip_grad_norm
from fastinit.comparisons.timing import median_time

REPEAT = 21


def copy_bandwidth(nbytes=256 << 20):
    """Bytes per second of a large memcpy (read + write counted), best of both cores."""
    import numba

    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)

    @numba.njit(parallel=True)
    def copy(a, b):
        for i in numba.prange(a.size):
            b[i] = a[i]

    copy(src, dst)
    seconds = median_time(lambda: copy(src, dst), 9)
    return 2 * nbytes / seconds


def big_case(rng):
    shapes = [(1024, 1024)] * 48 + [(1024,)] * 48 + [(4096, 1024)] * 4
    return [rng.standard_normal(s, dtype=np.float32) for s in shapes]


def as_torch_grads(arrays):
    """torch Parameters whose .grad shares memory with ``arrays`` (what clip_grad_norm_ reads)."""
    import torch

    params = []
    for a in arrays:
        p = torch.nn.Parameter(torch.empty(0))
        p.grad = None
        p.data = torch.empty(a.shape)  # same shape so that .grad can be assigned
        p.grad = torch.from_numpy(a)
        params.append(p)
    return params


def report(name, ours, theirs, goal):
    ratio = theirs / ours
    print(
        f"{name:<44} fastinit {ours * 1e3:9.3f} ms   torch {theirs * 1e3:9.3f} ms   "
        f"torch/fastinit {ratio:6.2f}x   (goal {goal})"
    )
    return ratio


def main():
    import torch

    rng = np.random.default_rng(0)
    print(
        f"fastinit {fastinit.__version__}, torch {torch.__version__}, threads "
        f"{torch.get_num_threads()}"
    )
    bw = copy_bandwidth()
    print(f"measured copy bandwidth: {bw / 1e9:.2f} GB/s (read + write bytes)")

    arrays = big_case(rng)
    tensors = as_torch_grads(arrays)
    nbytes = sum(a.nbytes for a in arrays)
    floor = 3 * nbytes / bw
    print(
        f"67M case: {sum(a.size for a in arrays):,} float32 in {len(arrays)} arrays, "
        f"{nbytes / 1e6:.0f} MB; memory floor (2 reads + 1 write) {floor * 1e3:.2f} ms"
    )
    # clipping needed on every call: after the first call the norm is ~max_norm and the
    # coefficient max_norm / (norm + eps) stays just below 1, so every call writes
    ours = median_time(lambda: clip_grad_norm(arrays, 1.0), REPEAT)
    theirs = median_time(lambda: torch.nn.utils.clip_grad_norm_(tensors, 1.0, foreach=True), REPEAT)
    report("67M float32 / 100 arrays, clipping", ours, theirs, ">= 1.0x")
    print(f"{'':<44} fastinit / memory floor = {ours / floor:.2f} (goal <= 1.2)")
    big = 1e30
    ours = median_time(lambda: clip_grad_norm(arrays, big), REPEAT)
    theirs = median_time(lambda: torch.nn.utils.clip_grad_norm_(tensors, big, foreach=True), REPEAT)
    report("67M float32 / 100 arrays, nothing clipped", ours, theirs, ">= 1.4x")
    print(f"{'':<44} fastinit / one-read floor = {ours / (nbytes / (bw / 2)):.2f}")

    small = [rng.standard_normal(256, dtype=np.float32) for _ in range(2000)]
    small_t = as_torch_grads(small)
    ours = median_time(lambda: clip_grad_norm(small, 1.0), REPEAT)
    theirs = median_time(lambda: torch.nn.utils.clip_grad_norm_(small_t, 1.0, foreach=True), REPEAT)
    report("2000 arrays of 256 float32, clipping", ours, theirs, ">= 10x")
    ours = median_time(lambda: clip_grad_norm(small, 1e30), REPEAT)
    theirs = median_time(
        lambda: torch.nn.utils.clip_grad_norm_(small_t, 1e30, foreach=True), REPEAT
    )
    report("2000 arrays of 256 float32, nothing clipped", ours, theirs, ">= 10x")

    one = rng.standard_normal(1000, dtype=np.float32)
    one_t = as_torch_grads([one])
    ours = median_time(lambda: clip_grad_norm(one, 1.0), repeat=2001)
    theirs = median_time(
        lambda: torch.nn.utils.clip_grad_norm_(one_t, 1.0, foreach=True), repeat=2001
    )
    report("one array of 1000 float32", ours, theirs, "< 20 us")
    print(f"{'':<44} fastinit {ours * 1e6:.1f} us per call")


if __name__ == "__main__":
    main()
