"""Confusion-matrix counting: one pass over two integer label arrays into a dense window.

The caller picks a window of label values ``[lo, lo + R)`` and a number of parts from the data
alone (never from the thread count), and hands in one count buffer per part (``buf`` of shape
``(parts, R * R + R)``). Each part is counted by one task into its own buffer; the caller runs
the tasks on threads (``fastinit._threads``) and sums the buffers in part order
(:func:`sum_parts`), so no two threads ever write the same cell and the result, weights included,
is the same bits for any thread count.

Pairs outside the window are not counted: each part reports how many it met, so that the caller
can find the exact label range and count again. The window is usually right the first time (the
caller guesses it from a strided sample), which makes the common case a single read of the labels.

How a part is counted: in blocks of 2048 pairs, each in two loops. The first computes every
pair's bin ``(t - lo) * R + (p - lo)`` as uint32 into a buffer that stays in L1, with the window
test folded into an OR of flags; it has no branch, so it vectorizes and runs at the speed of
reading the labels. The second adds one to each bin. A block with a pair outside the window
(rare) is counted again pair by pair with a test per pair. Pairs on the diagonal (t == p, most
pairs of a good classifier) go to a strip of R cells after the table, which stays in L1, where
the diagonal of a large table is R cache lines on R pages. Small tables (R*R + R <= 4096) are
counted into four interleaved copies summed at the end, so that runs of equal pairs do not
wait on each other's increments. Weighted pairs are added one by one.

Measured on one thread (CPU time, 10^7 int64 pairs, 70% correct / uniform; NumPy reads both
inputs in 7.0-7.5 ms): K=1000 went from 23-26 ms with one loop and a branch per pair to 14-15 /
18 ms, K=10 from 13-14 ms to 10 ms. An earlier version ran a separate min/max loop per block and
then a counting loop that still computed the bins pair by pair: 16.5 ms at K=10.

Compile time: Numba optimizes and generates machine code for each compiled function together
with everything it calls, so each level of separately compiled helpers repeats the work below it.
The kernels are therefore written as one function per case, without helpers, and the min/max
read for the rare second count is left to NumPy (first call of ``confusion_matrix`` from an empty
cache, CPU seconds on a loaded 2-core AMD EPYC: 6.3-8.5 with a chain of five compiled functions
and a min/max helper; about 3.1 with the small helpers inlined by Numba, 2.8 written out).
"""

import numpy as np

from ._jit import jit

_BLOCK = 2048  # pairs per block: their bins (8 KB of uint32) stay in L1 between the two loops
_SPREAD_MAX_CELLS = 4096  # tables up to this size are counted into four interleaved copies


# The counting kernels. Part k of ``parts = buf.shape[0]`` is the contiguous share of samples
# k * n // parts .. (k + 1) * n // parts - 1. A call counts parts task_lo .. task_hi - 1, each into
# its own buffer ``buf[k]`` (overwritten: zeroed by the thread that counts into it, in parallel,
# and the table is then warm in its cache), and stores the number of the part's pairs outside the
# window in ``outside[k]``.
#
# ``buf`` has shape ``(parts, R * R + R)`` or wider: the table, then R cells that unweighted
# counting uses as the diagonal's scratch (zero on return); R * R + R < 2**32 (uint32 bins).
# int32 is enough without weights when a part holds < 2**31 pairs (1000 classes then fit 4 MB
# per table instead of 8, which made counting 2.4x faster). The caller sizes every buffer: the
# kernels check nothing.


@jit
def count_unweighted(t, p, lo, R, buf, outside, task_lo, task_hi):
    """Count the pairs ``(t[i], p[i])`` of parts ``task_lo .. task_hi - 1`` into
    ``buf[part, (t - lo) * R + (p - lo)]``, block by block (see the module notes)."""
    n = t.size
    parts = buf.shape[0]
    r = np.uint64(R)
    r32 = np.uint32(R)
    table = R * R
    cells = table + R
    strip = np.uint32(table)  # the diagonal strip's first cell
    spread = cells <= _SPREAD_MAX_CELLS
    copies = np.empty(4 * cells if spread else 0, buf.dtype)
    c32 = np.uint32(cells)
    bins = np.empty(_BLOCK, np.uint32)
    for k in range(task_lo, task_hi):
        first = k * n // parts
        last = (k + 1) * n // parts
        cnt = buf[k]
        cnt[:cells] = 0
        copies[:] = 0
        missed = 0
        for s in range(first, last, _BLOCK):
            m = min(_BLOCK, last - s)
            # views indexed from 0: Numba then drops its negative-index test, which indexing
            # t[s + j] kept (measured 15-40% slower)
            ts = t[s : s + m]
            ps = p[s : s + m]
            # the bins, no branch (it vectorizes); nonzero ``bad`` when a pair is outside the
            # window (its bin is then garbage): a label below lo, or so far above that t - lo
            # wraps, is a huge unsigned number
            bad = np.uint64(0)
            for j in range(m):
                a = np.uint64(np.int64(ts[j]) - lo)
                b = np.uint64(np.int64(ps[j]) - lo)
                bad |= np.uint64(a >= r) | np.uint64(b >= r)
                bins[j] = strip + np.uint32(a) if a == b else np.uint32(a) * r32 + np.uint32(b)
            if bad:  # rare: the block again, pair by pair, skipping the pairs outside
                for j in range(m):
                    a = np.int64(ts[j]) - lo
                    b = np.int64(ps[j]) - lo
                    if np.uint64(a) < r and np.uint64(b) < r:
                        cnt[a * R + b] += 1
                    else:
                        missed += 1
            elif spread:  # four copies in turn
                m4 = m - m % 4
                for j in range(0, m4, 4):
                    copies[bins[j]] += 1
                    copies[c32 + bins[j + 1]] += 1
                    copies[2 * c32 + bins[j + 2]] += 1
                    copies[3 * c32 + bins[j + 3]] += 1
                for j in range(m4, m):
                    copies[bins[j]] += 1
            else:
                for j in range(m):  # unsigned bins: no negative-index wraparound on the store
                    cnt[bins[j]] += 1
        if spread:
            for c in range(4):
                for j in range(cells):
                    cnt[j] += copies[c * cells + j]
        for i in range(R):  # fold the diagonal strip into the table
            cnt[i * R + i] += cnt[table + i]
            cnt[table + i] = 0
        outside[k] = missed


@jit
def count_weighted(t, p, w, lo, R, buf, outside, rows, cols, task_lo, task_hi):
    """:func:`count_unweighted` adding the weights ``w``, pair by pair. Part k also receives the
    weight per true and per predicted label in ``rows[k]`` and ``cols[k]`` (shape ``(parts,
    R)``, overwritten), summed in sample order like a sequential bincount."""
    n = t.size
    parts = buf.shape[0]
    r = np.uint64(R)
    for k in range(task_lo, task_hi):
        cnt = buf[k]
        row = rows[k]
        col = cols[k]
        cnt[: R * R + R] = 0
        row[:R] = 0
        col[:R] = 0
        first = k * n // parts
        last = (k + 1) * n // parts
        ts = t[first:last]  # views indexed from 0 (see count_unweighted)
        ps = p[first:last]
        ws = w[first:last]
        missed = 0
        for i in range(last - first):
            a = np.int64(ts[i]) - lo
            b = np.int64(ps[i]) - lo
            if np.uint64(a) < r and np.uint64(b) < r:
                cnt[a * R + b] += ws[i]
                row[a] += ws[i]
                col[b] += ws[i]
            else:
                missed += 1
        outside[k] = missed


@jit
def count_pairs_serial(t, p, w, lo, R, buf, outside, rows, cols):
    """Every part on the calling thread: :func:`count_unweighted` when ``w`` is None, else
    :func:`count_weighted` (for one-thread timings of the kernels and for tests)."""
    if w is None:
        count_unweighted(t, p, lo, R, buf, outside, 0, buf.shape[0])
    else:
        count_weighted(t, p, w, lo, R, buf, outside, rows, cols, 0, buf.shape[0])


@jit
def sum_parts(buf, out, row_sums, col_sums):
    """``out = buf[:, :R * R].sum(axis=0)`` (the R x R counts, flat) in ``out``'s dtype, with the
    counts' row and column sums; R is ``row_sums.size``.

    One pass over the per-part buffers instead of NumPy's sum, cast and two margin sums, adding
    the parts in order. ``out``, ``row_sums`` and ``col_sums`` are overwritten (they need not be
    zeroed: zeroing an 8 MB result costs as much as a third of the sum). Plain loops, no helper
    functions: each compiled helper adds its own optimization and code generation to the first
    call.
    """
    R = row_sums.size
    cells = R * R
    first = buf[0]
    for j in range(cells):  # one long loop per part vectorizes; R loops of length R did not
        out[j] = first[j]  # (8 ms -> measured below 3 ms for 2 parts at R = 1000)
    for k in range(1, buf.shape[0]):
        part = buf[k]
        for j in range(cells):
            out[j] += part[j]
    for j in range(R):
        col_sums[j] = out[j]
    for i in range(R):
        row = out[i * R : (i + 1) * R]  # a view indexed from 0 (see count_unweighted)
        s = row[0]
        for j in range(1, R):
            s += row[j]
        row_sums[i] = s
        if i:
            for j in range(R):
                col_sums[j] += row[j]


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
