"""Ranking metrics: binary curves from sorted scores, or from a tally of few distinct scores.

A binary problem is split once by class into two score arrays (:func:`split_tasks`),
each sorted ascending by the caller (NumPy's sort: keys only, vectorized, no payload to carry);
the positives' and negatives' scores are then merged in one walk from the top (:func:`_down`)
or the bottom (:func:`_up`), which gives the number of positives and negatives at or above
every distinct score without a sorted permutation. The walks here reduce the curve on the fly:
the area under the ROC curve as an exact integer sum (:func:`auc_sorted`), average precision
(:func:`ap_sorted`); those that write it out are in :mod:`curves`.

Few distinct scores (rounded probabilities, votes, small trees) need no sort: :func:`tally_tasks`
counts the positives and negatives of each distinct score in a small hash table per task, and
the caller merges the tables and sorts their keys alone.
"""

import numpy as np

from ._jit import jit

BLOCK = 1024


# ------------------------------------------------------------------------ labels and splits ---


@jit(inline="always")
def admit_values(y, b, be, v0, v1, c):
    """``(v1, c)`` after the labels ``y[b:be]``: with ``c`` distinct values so far (``v0``, and
    ``v1`` when ``c == 2``), a new one becomes ``v1`` and ``c`` 2; a third, or a NaN, makes ``c``
    3. The first loop only asks whether a block holds another value, and vectorizes."""
    other = False
    for i in range(b, be):  # vectorizes: one test per label
        other |= (y[i] != v0) & (y[i] != v1)
    if other:
        for i in range(b, be):
            yi = y[i]
            if yi != v0 and yi != v1:
                if c == 1 and yi == yi:
                    v1 = yi
                    c = 2
                else:
                    return v1, 3
    return v1, c


@jit
def distinct_tasks(y, chunk, vals, counts, task_lo, task_hi):
    """Per task (``chunk`` labels each), the first two distinct values of ``y`` in ``vals[k]``
    and how many distinct values it holds in ``counts[k]`` (3 means three or more, or a NaN)."""
    n = y.size
    for k in range(task_lo, task_hi):
        s = k * chunk
        e = min(n, s + chunk)
        v0 = y[s]
        v1 = v0
        c = 1
        for b in range(s, e, BLOCK):
            v1, c = admit_values(y, b, min(e, b + BLOCK), v0, v1, c)
            if c == 3:
                break
        vals[k, 0] = v0
        vals[k, 1] = v1
        counts[k] = c


@jit
def split_tasks(score, positive, bounds, pos_at, neg_at, pos, neg, bad, task_lo, task_hi):
    """Copy the scores of positive samples to ``pos`` and the others to ``neg``, in sample order,
    into the padded buffers the walks read (scores from index 1, a spare slot at each end).

    Task k covers samples ``bounds[k] .. bounds[k + 1] - 1`` and writes from ``pos_at[k] + 1``
    and ``neg_at[k] + 1`` (the caller counted each task's positives; ``positive`` is 0/1).
    ``bad[k]`` is set when a score of the task is NaN or infinite (``x - x`` is 0 for every
    finite number and every integer). Every score is stored to both buffers and only one
    position advances: the class of a random sample cannot be predicted, and a branch per
    sample was 1.6x slower (59 against 36 ms for 10^7 scores on one thread). A store past
    the task's share goes to the last spare slot, which nothing reads."""
    spare_p = pos.size - 1
    spare_q = neg.size - 1
    tasks = pos_at.size
    for k in range(task_lo, task_hi):
        p = pos_at[k] + 1
        q = neg_at[k] + 1
        p_end = pos_at[k + 1] + 1 if k + 1 < tasks else spare_p
        q_end = neg_at[k + 1] + 1 if k + 1 < tasks else spare_q
        nonfinite = False
        for i in range(bounds[k], bounds[k + 1]):
            v = score[i]
            nonfinite |= (v - v) != 0
            t = np.int64(positive[i])
            pos[p if p < p_end else spare_p] = v
            neg[q if q < q_end else spare_q] = v
            p += t
            q += 1 - t
        bad[k] = nonfinite


# ------------------------------------------------------------- walks over sorted scores ---
# The walks take each class's scores sorted ascending in a padded buffer: the scores at
# 1 .. size - 2, one spare slot at each end, so that the next score of a used-up class can be
# read without a bounds test (and is then ignored). Merging one sample at a time with a
# select instead of a branch, a walk costs the same whether the classes interleave at random
# or not; a distinct score ends where the next sample's score differs.


@jit(inline="always")
def _down(pos, neg, i, j):
    """The next score from the top and 1 if it is a positive's (``i``, ``j``: scores left)."""
    a = pos[i]
    b = neg[j]
    take = (i > 0) & ((j == 0) | (a >= b))
    return (a if take else b), np.int64(take)


@jit(inline="always")
def _up(pos, neg, i, j, n_pos, n_neg):
    """The next score from the bottom and 1 if it is a positive's (``i``, ``j``: used)."""
    a = pos[i + 1]
    b = neg[j + 1]
    take = (i < n_pos) & ((j == n_neg) | (a <= b))
    return (a if take else b), np.int64(take)


# The two reductions below walk from both ends at once, each walk stopping at a split value
# (``i_split`` positives and ``j_split`` negatives lie below it): two independent chains of
# loads and compares per loop, which one core overlaps (the merge is bound by their latency).
# The caller picks a split near the middle; the result does not depend on it.


@jit
def auc_sorted(pos, neg, i_split, j_split):
    """Twice the area under the unnormalized ROC curve (trapezoids between the points of the
    distinct scores, so ties count one half), as an exact integer: AUC * 2 * P * N."""
    n_pos = pos.size - 2
    n_neg = neg.size - 2
    top = (n_pos - i_split) + (n_neg - j_split)
    bottom = i_split + j_split
    # from the top: cumulative counts (tp, fp), counts at the previous score (tp0, fp0)
    i = n_pos
    j = n_neg
    tp = 0
    fp = 0
    tp0 = 0
    fp0 = 0
    upper = 0
    current, _ = _down(pos, neg, i, j)
    # from the bottom: samples used (ib, jb), and where the current score started
    ib = 0
    jb = 0
    ib0 = 0
    jb0 = 0
    lower = 0
    low, _ = _up(pos, neg, ib, jb, i_split, j_split)
    for step in range(max(top, bottom)):
        if step < top:
            a = pos[i]
            b = neg[j]
            take = np.int64((i > i_split) & ((j == j_split) | (a >= b)))
            v = a if take else b
            if v != current:
                upper += (fp - fp0) * (tp + tp0)
                tp0 = tp
                fp0 = fp
                current = v
            tp += take
            fp += 1 - take
            i -= take
            j -= 1 - take
        if step < bottom:
            a = pos[ib + 1]
            b = neg[jb + 1]
            take = np.int64((ib < i_split) & ((jb == j_split) | (a <= b)))
            v = a if take else b
            if v != low:
                # the score ``low`` ends: negatives jb - jb0, positives at or above it
                # n_pos - ib0, strictly above n_pos - ib
                lower += (jb - jb0) * (2 * n_pos - ib0 - ib)
                ib0 = ib
                jb0 = jb
                low = v
            ib += take
            jb += 1 - take
    if top:
        upper += (fp - fp0) * (tp + tp0)
    if bottom:
        lower += (jb - jb0) * (2 * n_pos - ib0 - ib)
    return upper + lower


@jit
def ap_sorted(pos, neg, i_split, j_split):
    """Average precision (at least one positive): over the distinct scores from the top, the
    recall gained times the precision there, summed, divided by the number of positives."""
    n_pos = pos.size - 2
    n_neg = neg.size - 2
    top = (n_pos - i_split) + (n_neg - j_split)
    bottom = i_split + j_split
    i = n_pos
    j = n_neg
    tp = 0
    fp = 0
    tp0 = 0
    upper = 0.0
    current, _ = _down(pos, neg, i, j)
    ib = 0
    jb = 0
    ib0 = 0
    jb0 = 0
    lower = 0.0
    low, _ = _up(pos, neg, ib, jb, i_split, j_split)
    for step in range(max(top, bottom)):
        if step < top:
            a = pos[i]
            b = neg[j]
            take = np.int64((i > i_split) & ((j == j_split) | (a >= b)))
            v = a if take else b
            if v != current:
                upper += (tp - tp0) * (tp / (tp + fp))
                tp0 = tp
                current = v
            tp += take
            fp += 1 - take
            i -= take
            j -= 1 - take
        if step < bottom:
            a = pos[ib + 1]
            b = neg[jb + 1]
            take = np.int64((ib < i_split) & ((jb == j_split) | (a <= b)))
            v = a if take else b
            if v != low:
                t = n_pos - ib0  # positives at or above ``low``
                lower += (ib - ib0) * (t / (t + n_neg - jb0))
                ib0 = ib
                jb0 = jb
                low = v
            ib += take
            jb += 1 - take
    if top:
        upper += (tp - tp0) * (tp / (tp + fp))
    if bottom:
        t = n_pos - ib0
        lower += (ib - ib0) * (t / (t + n_neg - jb0))
    return (upper + lower) / n_pos


# ------------------------------------------------------------------ few distinct scores ---

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of bits * 2^64 / phi


@jit
def tally_tasks(bits, positive, bounds, exp_mask, exp_shift, hash_shift, keys, used, pos_counts,
                neg_counts, status, task_lo, task_hi):  # fmt: skip
    """Per task (samples ``bounds[k] .. bounds[k + 1] - 1``), the number of positives and
    negatives of each distinct score, in a hash table of ``keys.shape[1]`` slots (a power of
    two, ``2 ** (64 - hash_shift)``) keyed by the scores' bits (``bits``: the scores viewed as
    int64 or int32; the caller merges -0.0 with 0.0). ``status[k]``: 0 done, 1 stopped when
    the table was half full (too many distinct scores for a tally), 2 stopped at a NaN or an
    infinity (the exponent bits ``(b >> exp_shift) & exp_mask`` all set; ``exp_mask`` 0 for
    integer scores)."""
    size = keys.shape[1]
    wrap = size - 1
    limit = size // 2
    for k in range(task_lo, task_hi):
        table = keys[k]
        full = used[k]
        pc = pos_counts[k]
        nc = neg_counts[k]
        distinct = 0
        state = 0
        for i in range(bounds[k], bounds[k + 1]):
            b = bits[i]
            if exp_mask != 0 and ((b >> exp_shift) & exp_mask) == exp_mask:
                state = 2
                break
            h = np.int64((np.uint64(b) * _GOLDEN) >> np.uint64(hash_shift))
            while full[h] and table[h] != b:
                h = (h + 1) & wrap
            if not full[h]:
                if distinct == limit:
                    state = 1
                    break
                full[h] = True
                table[h] = b
                distinct += 1
            t = np.int64(positive[i])
            pc[h] += t
            nc[h] += 1 - t
        status[k] = state
