"""Ranking metrics: binary curves from sorted scores, or from a tally of few distinct scores.

A binary problem is split once by class into two score arrays (:func:`split_tasks`),
each sorted ascending by the caller (NumPy's sort: keys only, vectorized, no payload to carry);
the positives' and negatives' scores are then merged in one walk from the top (:func:`_down`)
or the bottom (:func:`_up`), which gives the number of positives and negatives at or above
every distinct score without a sorted permutation. The walk either writes the curve
(:func:`curve_sorted`) or reduces it on the fly: the area under the ROC curve as an exact
integer sum (:func:`auc_sorted`), average precision (:func:`ap_sorted`). Weighted problems keep
scikit-learn's order (a stable descending argsort made by the caller) and sum the weights in
that order (:func:`weighted_curve`), so the cumulative sums are the same additions.

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


@jit
def curve_sorted(pos, neg, fps, tps, thresholds):
    """Negatives (``fps``) and positives (``tps``) at or above each distinct score, the scores
    (``thresholds``) decreasing; returns the number of entries (at most P + N)."""
    n_pos = pos.size - 2
    n_neg = neg.size - 2
    i = n_pos
    j = n_neg
    tp = 0
    fp = 0
    k = 0
    current, _ = _down(pos, neg, i, j)
    for _ in range(n_pos + n_neg):
        v, take = _down(pos, neg, i, j)
        if v != current:
            tps[k] = tp
            fps[k] = fp
            thresholds[k] = current
            k += 1
            current = v
        tp += take
        fp += 1 - take
        i -= take
        j -= 1 - take
    tps[k] = tp
    fps[k] = fp
    thresholds[k] = current
    return k + 1


@jit
def roc_sorted(pos, neg, drop, fpr, tpr, thresholds):
    """The ROC curve as scikit-learn returns it: the point (0, 0) at threshold inf, then one
    point per distinct score, decreasing, rates divided by N and P (NaN when there are none).
    With ``drop``, a point is kept only where the curve bends (a second difference of the
    negatives or of the positives is not 0) and at both ends. Returns the number of points
    (at most P + N + 1)."""
    n_pos = pos.size - 2
    n_neg = neg.size - 2
    fdiv = np.float64(n_neg) if n_neg > 0 else np.nan
    tdiv = np.float64(n_pos) if n_pos > 0 else np.nan
    fpr[0] = 0.0 / fdiv
    tpr[0] = 0.0 / tdiv
    thresholds[0] = np.inf
    out = 1
    i = n_pos
    j = n_neg
    tp = 0
    fp = 0
    tp_a = 0  # the point before the pending one, and the pending one (kept or not once the
    fp_a = 0  # point after it is known)
    tp_b = -1
    fp_b = 0
    v_b = 0.0
    current, take = _down(pos, neg, i, j)
    v = current
    for step in range(n_pos + n_neg + 1):
        if step < n_pos + n_neg:
            v, take = _down(pos, neg, i, j)
            if v == current:
                tp += take
                fp += 1 - take
                i -= take
                j -= 1 - take
                continue
        # a distinct score ends: (tp, fp) at ``current``
        # written every time, kept (``out`` advanced) or overwritten: whether a point of
        # random data bends cannot be predicted, and a branch there cost more than the stores
        bends = (fp - fp_b != fp_b - fp_a) | (tp - tp_b != tp_b - tp_a)
        keep = (tp_b >= 0) & ((not drop) | (out == 1) | bends)
        fpr[out] = fp_b / fdiv
        tpr[out] = tp_b / tdiv
        thresholds[out] = v_b
        out += np.int64(keep)
        tp_a = tp_b
        fp_a = fp_b
        tp_b = tp
        fp_b = fp
        v_b = np.float64(current)
        if step < n_pos + n_neg:
            current = v
            tp += take
            fp += 1 - take
            i -= take
            j -= 1 - take
    fpr[out] = fp_b / fdiv
    tpr[out] = tp_b / tdiv
    thresholds[out] = v_b
    return out + 1


@jit
def pr_sorted(pos, neg, drop, precision, recall, thresholds):
    """The precision-recall curve as scikit-learn returns it: one point per distinct score,
    increasing, then (precision 1, recall 0) without a threshold; recall is 1 when there is no
    positive. With ``drop``, a point is kept only where the number of true positives changes
    from the point before or to the point after, and at both ends. Returns the number of
    thresholds (at most P + N)."""
    n_pos = pos.size - 2
    n_neg = neg.size - 2
    i = 0
    j = 0
    tp = n_pos  # samples at or above the current score
    fp = n_neg
    tp_a = -1
    tp_b = -1  # the pending point
    fp_b = 0
    out = 0
    current, take = _up(pos, neg, i, j, n_pos, n_neg)
    v = current
    v_b = current
    tp_c = tp
    fp_c = fp
    for step in range(n_pos + n_neg + 1):
        if step < n_pos + n_neg:
            v, take = _up(pos, neg, i, j, n_pos, n_neg)
            if v == current:
                tp -= take
                fp -= 1 - take
                i += take
                j += 1 - take
                continue
        # a distinct score ends: (tp_c, fp_c) counted at ``current``
        keep = (tp_b >= 0) & ((not drop) | (out == 0) | (tp_c != tp_b) | (tp_b != tp_a))
        precision[out] = tp_b / max(tp_b + fp_b, 1)  # (written, then kept or overwritten)
        recall[out] = tp_b / n_pos if n_pos else 1.0
        thresholds[out] = v_b
        out += np.int64(keep)
        tp_a = tp_b
        tp_b = tp_c
        fp_b = fp_c
        v_b = current
        if step < n_pos + n_neg:
            current = v
            tp_c = tp
            fp_c = fp
            tp -= take
            fp -= 1 - take
            i += take
            j += 1 - take
    precision[out] = tp_b / (tp_b + fp_b)
    recall[out] = tp_b / n_pos if n_pos else 1.0
    thresholds[out] = v_b
    precision[out + 1] = 1.0
    recall[out + 1] = 0.0
    return out + 1


@jit
def weighted_curve(score, positive, weight, order, fps, tps, thresholds):
    """The weighted curve along ``order`` (decreasing scores, ties in sample order), samples of
    zero weight skipped: each sum adds its terms one by one in that order, as scikit-learn's
    cumulative sums do, so the sums are the same bits. Returns the number of thresholds."""
    k = 0
    # -0.0 + x is x for every x: the first addition gives the first term itself, as the first
    # element of a cumulative sum is (the sign of a zero included)
    tp = -0.0
    fp = -0.0
    pending = False
    last = score[0]
    for m in range(order.size):
        r = order[m]
        w = weight[r]
        if w == 0:
            continue
        v = score[r]
        if pending and v != last:
            tps[k] = tp
            fps[k] = fp
            thresholds[k] = last
            k += 1
        t = np.float64(positive[r])
        tp += t * w  # scikit-learn's terms: y * w and (1 - y) * w
        fp += (1.0 - t) * w
        last = v
        pending = True
    if pending:
        tps[k] = tp
        fps[k] = fp
        thresholds[k] = last
        k += 1
    return k


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
