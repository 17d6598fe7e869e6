"""Confusion-matrix counting: one pass over two integer label arrays into a dense window.

The caller picks a window of label values ``[lo, lo + R)`` and hands in one zeroed count buffer
per part (``buf`` of shape ``(parts, R * R)``); each part is counted by one thread into its own
buffer and the caller sums the buffers afterwards, so no two threads ever write the same bin.

Pairs outside the window are not counted: they are reported in ``info`` (together with the
smallest and largest label seen) so that the caller can widen the window and count again. The
window is usually right the first time (the caller guesses it from a strided sample), which makes
the common case a single read of the labels.

How a part is counted: in blocks of 2048 pairs, each in two loops. The first computes every
pair's bin ``(t - lo) * R + (p - lo)`` as uint32 into a buffer that stays in L1, with the window
test folded into an OR of flags; it has no branch, so it vectorizes and runs at the speed of
reading the labels. The second adds one to each bin. A block with a pair outside the window
(rare) is counted again pair by pair with a test per pair. Pairs on the diagonal (t == p, most
pairs of a good classifier) go to a strip of R cells after the table, which stays in L1, where
the diagonal of a large table is R cache lines on R pages. Small tables (R*R + R <= 4096) are
counted into four interleaved copies summed at the end, so that runs of equal pairs do not
wait on each other's increments.

Measured on one thread (CPU time, 10^7 int64 pairs, 70% correct / uniform; NumPy reads both
inputs in 7.0-7.5 ms): K=1000 went from 23-26 ms with one loop and a branch per pair to 14-15 /
18 ms, K=10 from 13-14 ms to 10 ms. An earlier version ran a separate min/max loop per block and
then a counting loop that still computed the bins pair by pair: 16.5 ms at K=10.
"""

import numpy as np
from numba import prange

from ._jit import FASTMATH, jit

_I64_MAX = np.iinfo(np.int64).max
_I64_MIN = np.iinfo(np.int64).min


@jit(fastmath=FASTMATH)
def _min_max(t, p):
    lo = np.int64(_I64_MAX)
    hi = np.int64(_I64_MIN)
    for i in range(t.size):
        a = np.int64(t[i])
        b = np.int64(p[i])
        lo = min(lo, min(a, b))
        hi = max(hi, max(a, b))
    return lo, hi


@jit
def _count_checked(t, p, w, lo, R, cnt, rows, cols):
    """Count the in-window pairs one by one; return how many were not (they are not written).

    With weights (``w`` not None) each pair adds its weight, and also to ``rows[t - lo]`` and
    ``cols[p - lo]`` in sample order (per-class totals summed like a sequential bincount);
    without, Numba drops the weighted branch while typing and ``rows``/``cols`` are unused.
    """
    outside = 0
    r = np.uint64(R)
    for i in range(t.size):
        # a label below lo (or so far above that t - lo wraps) is a huge unsigned number
        a = np.int64(t[i]) - lo
        b = np.int64(p[i]) - lo
        if np.uint64(a) < r and np.uint64(b) < r:
            if w is None:
                cnt[a * R + b] += 1
            else:
                cnt[a * R + b] += w[i]
                rows[a] += w[i]
                cols[b] += w[i]
        else:
            outside += 1
    return outside


_BLOCK = 2048  # pairs per block: their bins (8 KB of uint32) stay in L1 between the two loops
_SPREAD_MAX_CELLS = 4096  # tables up to this size are counted into four interleaved copies


@jit
def _block_bins(t, p, lo, r, bins):
    """``bins[j]`` = the bin of pair j: ``(t - lo) * r + (p - lo)``, or ``r * r + (t - lo)`` when
    ``t == p`` (the diagonal strip after the table); nonzero when some pair is outside the
    window (its bin is then garbage). No branches, so LLVM vectorizes it."""
    outside = np.uint64(0)
    r32 = np.uint32(r)
    strip = r32 * r32
    for j in range(bins.size):
        a = np.uint64(np.int64(t[j]) - lo)
        b = np.uint64(np.int64(p[j]) - lo)
        outside |= np.uint64(a >= r) | np.uint64(b >= r)
        bins[j] = strip + np.uint32(a) if a == b else np.uint32(a) * r32 + np.uint32(b)
    return outside


@jit
def _add_bins(bins, cnt):
    for j in range(bins.size):  # unsigned bins: no negative-index wraparound on the store
        cnt[bins[j]] += 1


@jit
def _add_bins_spread(bins, copies, cells):
    """:func:`_add_bins` into four copies of a table of ``cells`` bins, in turn."""
    m = bins.size - bins.size % 4
    for j in range(0, m, 4):
        copies[bins[j]] += 1
        copies[cells + bins[j + 1]] += 1
        copies[2 * cells + bins[j + 2]] += 1
        copies[3 * cells + bins[j + 3]] += 1
    for j in range(m, bins.size):
        copies[bins[j]] += 1


@jit
def _count_unweighted(t, p, lo, R, cnt):
    """Count the in-window pairs block by block (see the module notes); return how many pairs
    were outside the window (they are not written). ``cnt`` holds the R * R table followed by
    R zeroed cells for the diagonal strip, which are folded into the table and zeroed again."""
    n = t.size
    r = np.uint64(R)
    cells = R * R + R
    spread = cells <= _SPREAD_MAX_CELLS
    copies = np.zeros(4 * cells if spread else 0, cnt.dtype)
    bins = np.empty(_BLOCK, np.uint32)
    outside = 0
    for s in range(0, n, _BLOCK):
        e = min(s + _BLOCK, n)
        block = bins[: e - s]
        if _block_bins(t[s:e], p[s:e], lo, r, block):
            outside += _count_checked(t[s:e], p[s:e], None, lo, R, cnt, None, None)
        elif spread:
            _add_bins_spread(block, copies, np.uint32(cells))
        else:
            _add_bins(block, cnt)
    if spread:
        for c in range(4):
            for j in range(cells):
                cnt[j] += copies[c * cells + j]
    for i in range(R):
        cnt[i * R + i] += cnt[R * R + i]
        cnt[R * R + i] = 0
    return outside


@jit
def _count_part(t, p, w, lo, R, cnt, info, rows, cols):
    if w is None:
        outside = _count_unweighted(t, p, lo, R, cnt)
    else:
        outside = _count_checked(t, p, w, lo, R, cnt, rows, cols)  # weighted: pair by pair
    if outside:  # rare (a wrong window guess): a second read for the exact label range
        info[0], info[1] = _min_max(t, p)
    else:
        info[0] = lo
        info[1] = lo + (R - 1)
    info[2] = outside


@jit
def _count_share(k, t, p, w, lo, R, buf, info, rows, cols):
    # part k of buf.shape[0]: a contiguous share of the samples into its own buffer, zeroed here
    # by the thread that counts into it (in parallel, and the table is then warm in its cache)
    n = t.size
    parts = buf.shape[0]
    s = k * n // parts
    e = (k + 1) * n // parts
    buf[k, : R * R + R] = 0
    if w is None:
        _count_part(t[s:e], p[s:e], None, lo, R, buf[k], info[k], rows[k], cols[k])
    else:
        rows[k, :R] = 0
        cols[k, :R] = 0
        _count_part(t[s:e], p[s:e], w[s:e], lo, R, buf[k], info[k], rows[k], cols[k])


@jit
def _check_shapes(t, p, w, R, buf, info, rows, cols):
    """Refuse buffers the counting would write past (a caller's bug, never a user's input)."""
    parts = buf.shape[0]
    if p.size != t.size or (w is not None and w.size != t.size):
        raise ValueError("count_pairs: t, p and w must have the same length")
    if R < 1 or R * R + R > 0xFFFFFFFF:
        raise ValueError("count_pairs: R must be >= 1 with R * R + R < 2**32 (uint32 bins)")
    if buf.shape[1] < R * R + R or info.shape[0] != parts or info.shape[1] < 3:
        raise ValueError("count_pairs: buf needs (parts, R * R + R) cells, info (parts, 3)")
    if w is not None and (rows.shape[0] != parts or rows.shape[1] < R or cols.shape != rows.shape):
        raise ValueError("count_pairs: rows and cols need shape (parts, R) with weights")


@jit(parallel=True)
def count_pairs(t, p, w, lo, R, buf, info, rows, cols):
    """Count label pairs ``(t[i], p[i])`` into ``buf[part, (t - lo) * R + (p - lo)]``.

    ``t``, ``p`` (and ``w`` unless None) have the same length. ``buf`` has shape
    ``(parts, R * R + R)`` or wider; its contents are overwritten, each part zeroed by the thread
    that counts it: the table, then R cells that unweighted counting uses as the diagonal's
    scratch (zero on return). int32 is enough without weights when a part holds < 2**31 pairs
    (1000 classes then fit 4 MB per thread instead of 8, which made counting 2.4x faster).
    ``info`` has shape ``(parts, 3)`` and receives (min label, max label, pairs outside the
    window); a part with no pair outside reports the window's bounds ``lo``, ``lo + R - 1`` as
    min and max. With weights, ``rows`` and ``cols`` (shape ``(parts, R)``, overwritten)
    receive the weight per true and per predicted label; they are not touched otherwise. One
    thread per part; :func:`count_pairs_serial` is the same work on the calling thread.
    Buffers too small for ``R`` raise ValueError before anything is written.
    """
    _check_shapes(t, p, w, R, buf, info, rows, cols)
    for k in prange(buf.shape[0]):
        _count_share(k, t, p, w, lo, R, buf, info, rows, cols)


@jit
def count_pairs_serial(t, p, w, lo, R, buf, info, rows, cols):
    """:func:`count_pairs` on the calling thread (the parts one after the other)."""
    _check_shapes(t, p, w, R, buf, info, rows, cols)
    for k in range(buf.shape[0]):
        _count_share(k, t, p, w, lo, R, buf, info, rows, cols)


@jit
def _add_row(src, dst):
    for j in range(dst.size):
        dst[j] += src[j]


@jit
def _copy_row(src, dst):
    for j in range(dst.size):
        dst[j] = src[j]


@jit
def sum_parts(buf, out, row_sums, col_sums):
    """``out = buf.sum(axis=0).reshape(R, R)`` in ``out``'s dtype, with its row and column sums.

    One pass over the per-part buffers instead of NumPy's sum, cast and two margin sums.
    ``out``, ``row_sums`` and ``col_sums`` are overwritten (they need not be zeroed: zeroing
    an 8 MB result costs as much as a third of the sum).
    """
    R = out.shape[0]
    zero = out.dtype.type(0)
    flat = out.reshape(R * R)  # one long loop per part vectorizes; R loops of length R did not
    _copy_row(buf[0, : R * R], flat)  # (8 ms -> measured below 3 ms for 2 parts at R = 1000)
    for k in range(1, buf.shape[0]):
        _add_row(buf[k, : R * R], flat)
    _copy_row(out[0], col_sums)
    for i in range(R):
        row = out[i]
        s = zero
        for j in range(R):
            s += row[j]
        row_sums[i] = s
        if i:
            _add_row(row, col_sums)


@jit
def top_k_hits(scores, true_col, k):
    """Per row, whether column ``true_col[i]`` is among the ``k`` best scores.

    Ties rank the higher column first (a stable ascending sort read backwards).
    """
    n, c = scores.shape
    hits = np.zeros(n, np.bool_)
    for i in range(n):
        j = true_col[i]
        sj = scores[i, j]
        rank = 0
        for m in range(c):
            s = scores[i, m]
            if s > sj or (s == sj and m > j):
                rank += 1
        hits[i] = rank < k
    return hits
