"""Ranking curves written out point by point, from the sorted scores of each class.

The walks merge the positives' and negatives' sorted scores as those of :mod:`ranking` do (its
:func:`~ranking._down` and :func:`~ranking._up`), writing a point where a distinct score ends:
the counts at or above every score (:func:`curve_sorted`), the ROC curve (:func:`roc_sorted`),
the precision-recall curve (:func:`pr_sorted`), and the points of the precision-recall or DET
curve in increasing thresholds from both ends at once (:func:`ascending_points`). Weighted
problems keep scikit-learn's order (a stable descending argsort made by the caller) and sum the
weights in that order (:func:`weighted_curve`), so the cumulative sums are the same additions.
"""

import numpy as np

from ._jit import jit
from .ranking import _down, _up


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
def ascending_points(pos, neg, i_split, j_split, det, first, second, thresholds, counts, task_lo,
                     task_hi):  # fmt: skip
    """A point per distinct score, thresholds increasing: (precision, recall), the points of
    ``pr_sorted`` without ``drop``, or with ``det`` (false positive rate, false negative rate),
    in ``first`` and ``second``. Written by two walks that meet at the split (as
    ``ranking.auc_sorted``): task 0 writes the points of the scores below it to 0, 1, ...,
    task 1 those of the scores at or above it to P + N - 1, P + N - 2, ... (thresholds
    increasing either way); ``counts[task]`` receives each one's number of points, and the
    caller closes the gap that ties leave between the two runs. Given both tasks, one thread
    interleaves the walks (one core overlaps their chains of loads and compares); two threads
    run one each, which also shares out the first touch of the output's pages."""
    n_pos = pos.size - 2
    n_neg = neg.size - 2
    top = (n_pos - i_split) + (n_neg - j_split) if task_lo <= 1 < task_hi else 0
    bottom = i_split + j_split if task_lo <= 0 < task_hi else 0
    # from the top: samples at or above the current score
    i = n_pos
    j = n_neg
    tp = 0
    fp = 0
    high = n_pos + n_neg - 1
    current, _ = _down(pos, neg, i, j)
    # from the bottom: samples used, and where the current score started
    ib = 0
    jb = 0
    ib0 = 0
    jb0 = 0
    low_out = 0
    low, _ = _up(pos, neg, ib, jb, i_split, j_split)
    for step in range(max(top, bottom)):
        if step < top:
            a = pos[i]
            b = neg[j]
            take = np.int64((i > i_split) & ((j == j_split) | (a >= b)))
            v = a if take else b
            if v != current:
                _point(tp, fp, n_pos, n_neg, det, current, high, first, second, thresholds)
                high -= 1
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
                _point(n_pos - ib0, n_neg - jb0, n_pos, n_neg, det, low, low_out, first, second,
                       thresholds)  # fmt: skip
                low_out += 1
                ib0 = ib
                jb0 = jb
                low = v
            ib += take
            jb += 1 - take
    if top:
        _point(tp, fp, n_pos, n_neg, det, current, high, first, second, thresholds)
        counts[1] = n_pos + n_neg - high
    if bottom:
        _point(n_pos - ib0, n_neg - jb0, n_pos, n_neg, det, low, low_out, first, second,
               thresholds)  # fmt: skip
        counts[0] = low_out + 1


@jit(inline="always")
def _point(tp, fp, n_pos, n_neg, det, score, at, first, second, thresholds):
    """One point, written at ``at``: precision and recall, or with ``det`` the false positive
    and false negative rates (as scikit-learn divides: counts over the class sizes)."""
    if det:
        first[at] = fp / n_neg
        second[at] = (n_pos - tp) / n_pos
    else:
        first[at] = tp / max(tp + fp, 1)
        second[at] = tp / n_pos if n_pos else 1.0
    thresholds[at] = score


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
