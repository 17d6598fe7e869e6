"""Confusion-matrix counting: one pass over two integer label arrays into a dense window.

The caller picks a window of label values ``[lo, lo + R)`` and hands in one zeroed count buffer
per part (``buf`` of shape ``(parts, R * R)``); each part is counted by one thread into its own
buffer and the caller sums the buffers afterwards, so no two threads ever write the same bin.

Pairs outside the window are not counted: they are reported in ``info`` (together with the
smallest and largest label seen) so that the caller can widen the window and count again. The
window is usually right the first time (the caller guesses it from a strided sample), which makes
the common case a single read of the labels.

Why blocks: each part is walked in blocks of :data:`BLOCK` labels. The block's min/max is a
vectorized loop over data already in L1; when the whole block is inside the window (nearly
always) the counting loop runs without any range test.
"""

import numpy as np
from numba import prange

from ._jit import jit

BLOCK = 2048  # labels per block: two int64 blocks (32 KiB) stay in L1 between the two loops
_I64_MAX = np.iinfo(np.int64).max
_I64_MIN = np.iinfo(np.int64).min


@jit(fastmath=True)
def _block_min_max(t, p):
    lo = np.int64(_I64_MAX)
    hi = np.int64(_I64_MIN)
    for i in range(t.size):
        a = np.int64(t[i])
        b = np.int64(p[i])
        lo = min(lo, min(a, b))
        hi = max(hi, max(a, b))
    return lo, hi


@jit
def _count_block(t, p, lo, R, cnt):
    # every label of the block is inside the window: no range test
    for i in range(t.size):
        cnt[(np.int64(t[i]) - lo) * R + (np.int64(p[i]) - lo)] += 1


@jit
def _count_block_checked(t, p, w, lo, R, cnt, rows, cols):
    """Count the in-window pairs (weighted when ``w`` is an array); return how many were not.

    Weighted counts also add each weight to ``rows[t - lo]`` and ``cols[p - lo]`` in sample
    order, so that per-class totals are summed exactly like a sequential bincount.
    """
    outside = 0
    for i in range(t.size):
        a = np.int64(t[i]) - lo
        b = np.int64(p[i]) - lo
        if a >= 0 and a < R and b >= 0 and b < R:
            if w is None:
                cnt[a * R + b] += 1
            else:
                cnt[a * R + b] += w[i]
                rows[a] += w[i]
                cols[b] += w[i]
        else:
            outside += 1
    return outside


@jit
def _count_part(t, p, w, lo, R, cnt, info, rows, cols):
    n = t.size
    vmin = np.int64(_I64_MAX)
    vmax = np.int64(_I64_MIN)
    outside = 0
    hi = lo + (R - 1)  # a label of the data (the caller's guess), so this cannot overflow
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        tb = t[s:e]
        pb = p[s:e]
        bmin, bmax = _block_min_max(tb, pb)
        vmin = min(vmin, bmin)
        vmax = max(vmax, bmax)
        if w is not None:
            outside += _count_block_checked(tb, pb, w[s:e], lo, R, cnt, rows, cols)
        elif bmin >= lo and bmax <= hi:
            _count_block(tb, pb, lo, R, cnt)
        else:
            outside += _count_block_checked(tb, pb, None, lo, R, cnt, rows, cols)
    info[0] = vmin
    info[1] = vmax
    info[2] = outside


@jit
def _count_share(k, t, p, w, lo, R, buf, info, rows, cols):
    # part k of buf.shape[0]: a contiguous share of the samples into its own buffer
    n = t.size
    parts = buf.shape[0]
    s = k * n // parts
    e = (k + 1) * n // parts
    if w is None:
        _count_part(t[s:e], p[s:e], None, lo, R, buf[k], info[k], rows[k], cols[k])
    else:
        _count_part(t[s:e], p[s:e], w[s:e], lo, R, buf[k], info[k], rows[k], cols[k])


@jit(parallel=True)
def count_pairs(t, p, w, lo, R, buf, info, rows, cols):
    """Count label pairs ``(t[i], p[i])`` into ``buf[part, (t - lo) * R + (p - lo)]``.

    ``t``, ``p`` (and ``w`` unless None) have the same length; ``buf`` is zeroed with shape
    ``(parts, R * R)`` (int32 is enough without weights when a part holds < 2**31 pairs: 1000
    classes then fit 4 MB per thread instead of 8, which made counting 2.4x faster); ``info``
    has shape ``(parts, 3)`` and receives (min label, max label, pairs outside the window).
    With weights, ``rows`` and ``cols`` (zeroed, shape ``(parts, R)``) receive the weight per
    true and per predicted label; they are not touched otherwise. One thread per part;
    :func:`count_pairs_serial` is the same work on the calling thread.
    """
    for k in prange(buf.shape[0]):
        _count_share(k, t, p, w, lo, R, buf, info, rows, cols)


@jit
def count_pairs_serial(t, p, w, lo, R, buf, info, rows, cols):
    """:func:`count_pairs` on the calling thread (the parts one after the other)."""
    for k in range(buf.shape[0]):
        _count_share(k, t, p, w, lo, R, buf, info, rows, cols)


@jit
def _add_row(src, dst):
    for j in range(dst.size):
        dst[j] += src[j]


@jit
def sum_parts(buf, out, row_sums, col_sums):
    """``out = buf.sum(axis=0).reshape(R, R)`` in ``out``'s dtype, with its row and column sums.

    One pass over the per-part buffers instead of NumPy's sum, cast and two margin sums
    (``out``, ``row_sums`` and ``col_sums`` are zeroed by the caller).
    """
    R = out.shape[0]
    for k in range(buf.shape[0]):
        b = buf[k]
        for i in range(R):
            _add_row(b[i * R : (i + 1) * R], out[i])
    for i in range(R):
        row = out[i]
        s = row_sums[i]
        for j in range(R):
            s += row[j]
        row_sums[i] = s
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
