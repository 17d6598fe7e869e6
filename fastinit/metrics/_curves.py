"""Binary curves of scores: roc_curve, precision_recall_curve, det_curve, and their core.

Unweighted scores are split by class in one compiled pass, each class's scores sorted on its
own by NumPy (keys only: no permutation to carry along, and the two sorts run on two threads),
and the two sorted arrays walked together from one end, one distinct score at a time
(:mod:`fastinit.kernels.ranking`). The walk writes the finished curve: no sorted copy of the
labels, no cumulative sums over all samples. When a sample of the scores shows few distinct
values, the scores are not sorted at all: a compiled pass tallies positives and negatives per
distinct score in a small hash table (:func:`tally`), and only the distinct scores are sorted.
Either way the counts at each threshold are integers, so the result does not depend on how
ties were ordered. Weighted scores follow scikit-learn's order (a stable descending argsort)
and add the weights in that order.
"""

import warnings

import numpy as np

from ._averaging import check_bool
from ._exceptions import undefined_metric_warning
from ._inputs import refuse_sparse
from ._parallel import MIN_PART, thread_parts
from ._rank_inputs import binary_inputs, check_weight_shape, non_finite_error

__all__ = ["roc_curve", "precision_recall_curve", "det_curve"]

_SPLIT_TASK = 1 << 18  # scores per task of the split by class
# The tally of few distinct scores: tried from TALLY_MIN scores on, when a strided sample of
# 4096 scores holds at most TALLY_SAMPLE_DISTINCT values; a hash table of TALLY_SLOTS slots
# per task (256 KB with its counts: it stays in L2) takes up to TALLY_SLOTS / 2 distinct
# scores, past which the pass stops and the scores are sorted. Measured on 10^7 scores with
# 101 distinct values, one thread: 25 ms against 75 ms to split and sort them.
TALLY_MIN = 1 << 16
TALLY_SAMPLE_DISTINCT = 256
TALLY_SLOTS = 1 << 13
_FLOAT_EXPONENTS = {4: (0xFF, 23), 8: (0x7FF, 52)}  # itemsize -> (exponent mask, shift)


def _sort_each(arrays, lo, hi):
    for k in range(lo, hi):
        arrays[k].sort()  # in place; NumPy releases the GIL while it sorts


def sorted_by_class(positive, score):
    """The scores of the positive samples and of the others, each sorted ascending, in padded
    buffers (the scores at ``1 .. size - 2``, as the walks of :mod:`fastinit.kernels.ranking`
    read them); a ValueError when a score is NaN or infinite."""
    from .. import _threads
    from ..kernels import ranking

    # contiguous inputs: each memory layout would be another compilation of the kernels
    score, positive = np.ascontiguousarray(score), np.ascontiguousarray(positive)
    n = len(score)
    ntasks = max(1, -(-n // _SPLIT_TASK))
    bounds = np.arange(ntasks + 1, dtype=np.int64) * n // ntasks
    per_task = np.array(
        [np.count_nonzero(positive[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
    pos_at = np.zeros(ntasks, np.int64)
    neg_at = np.zeros(ntasks, np.int64)
    np.cumsum(per_task[:-1], out=pos_at[1:])
    np.cumsum((np.diff(bounds) - per_task)[:-1], out=neg_at[1:])
    n_pos = int(per_task.sum())
    pos = np.zeros(n_pos + 2, score.dtype)
    neg = np.zeros(n - n_pos + 2, score.dtype)
    bad = np.zeros(ntasks, bool)
    threads = thread_parts(n)
    _threads.run(
        ranking.split_tasks, ntasks, score, positive.view(np.uint8), bounds, pos_at, neg_at,
        pos, neg, bad, threads=threads,
    )  # fmt: skip
    if bad.any():
        raise non_finite_error(score, "y_score")
    pos[-1] = neg[-1] = 0  # the spare slots are never compared (see the walks)
    both = min(n_pos, n - n_pos) >= MIN_PART and threads > 1
    _threads.run(_sort_each, 2, (pos[1:-1], neg[1:-1]), threads=2 if both else 1)
    return pos, neg


def split_point(pos, neg):
    """(positives, negatives) below a score near the middle of both classes' sorted scores
    (padded buffers of :func:`sorted_by_class`), where the two-ended walks meet."""
    p, q = pos[1:-1], neg[1:-1]
    big, n = (p if len(p) >= len(q) else q), len(p) + len(q)
    if n < 2:
        return 0, 0
    lo, hi = 0, len(big) - 1
    while lo < hi:  # the first score of the larger class with at least n / 2 scores below
        mid = (lo + hi) // 2
        below = np.searchsorted(p, big[mid]) + np.searchsorted(q, big[mid])
        lo, hi = (mid + 1, hi) if below < n // 2 else (lo, mid)
    return int(np.searchsorted(p, big[lo])), int(np.searchsorted(q, big[lo]))


def tally(positive, score):
    """(distinct scores ascending, positives, negatives per score) when the scores take few
    distinct values, else None (the caller sorts); a ValueError for a NaN or infinite score."""
    from .. import _threads
    from ..kernels import ranking

    n = len(score)
    if n < TALLY_MIN or len(np.unique(score[:: max(1, n // 4096)])) > TALLY_SAMPLE_DISTINCT:
        return None
    score, positive = np.ascontiguousarray(score), np.ascontiguousarray(positive)
    bits = score.view(np.int32 if score.dtype.itemsize == 4 else np.int64)
    exp_mask, exp_shift = (
        _FLOAT_EXPONENTS[score.dtype.itemsize] if score.dtype.kind == "f" else (0, 0)
    )
    # the counts are integers: any split gives the same result, so one task per thread
    ntasks = thread_parts(n)
    bounds = np.arange(ntasks + 1, dtype=np.int64) * n // ntasks
    keys = np.empty((ntasks, TALLY_SLOTS), bits.dtype)
    used = np.zeros((ntasks, TALLY_SLOTS), bool)
    pos = np.zeros((ntasks, TALLY_SLOTS), np.int64)
    neg = np.zeros((ntasks, TALLY_SLOTS), np.int64)
    status = np.zeros(ntasks, np.int64)
    hash_shift = np.uint64(64 - (TALLY_SLOTS.bit_length() - 1))
    _threads.run(
        ranking.tally_tasks, ntasks, bits, positive.view(np.uint8), bounds,
        bits.dtype.type(exp_mask), bits.dtype.type(exp_shift), hash_shift, keys, used, pos, neg,
        status, threads=ntasks,
    )  # fmt: skip
    if (status == 2).any():
        raise non_finite_error(score, "y_score")
    if (status == 1).any():
        return None
    # one entry per distinct value: equal keys of several tasks, and -0.0 with 0.0, merge
    values, where = np.unique(keys[used].view(score.dtype), return_inverse=True)
    counts = np.zeros((2, len(values)), np.int64)
    np.add.at(counts[0], where, pos[used])
    np.add.at(counts[1], where, neg[used])
    return values, counts[0], counts[1]


def _tallied_counts(positive, score):
    """counts_at_thresholds from a tally (None when there are too many distinct scores)."""
    t = tally(positive, score)
    if t is None:
        return None
    values, pos, neg = t
    return (
        np.cumsum(neg[::-1]).astype(np.float64),
        np.cumsum(pos[::-1]).astype(np.float64),
        values[::-1].copy(),
    )


def _trim(arrays, m, total, start=0):
    """Entries ``start .. m - 1`` of each array: views, unless they are a small part of the
    buffer. The buffers are allocated for the worst case (a point per sample) and only the
    pages of the first ``m`` entries are ever written, so a view costs no memory beyond them;
    copying would write every point a second time, into new pages (on this machine a new page
    costs as much as the rest of the work: 100-190 ms to fill a new 80 MB array, 10 ms to
    fill it again)."""
    if 8 * (m - start) >= total:
        return tuple(a[start:m] for a in arrays)
    return tuple(a[start:m].copy() for a in arrays)


def _ascending_points(pos, neg, first, second, thresholds, det):
    """``kernels/curves.py: ascending_points`` into buffers of P + N + 1 points, its two runs
    joined; returns the number of points."""
    from .. import _threads
    from ..kernels import curves

    counts = np.zeros(2, np.int64)
    threads = min(2, thread_parts(len(pos) + len(neg)))
    _threads.run(curves.ascending_points, 2, pos, neg, *split_point(pos, neg), det, first,
                 second, thresholds, counts, threads=threads)  # fmt: skip
    low, high = int(counts[0]), int(counts[1])
    m, end = low + high, len(first) - 1
    if m < end:  # ties: fewer points than samples below the split (NumPy copies overlaps safely)
        for a in (first, second, thresholds):
            a[low:m] = a[end - high : end]
    return m


def _first_index(a, m, test):
    """The first index i < m where ``test(a[i])`` holds, ``test`` being monotone along ``a``
    (False, then True); m when it never holds. A bisection: searchsorted would copy a view."""
    lo, hi = 0, m
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if test(a[mid]) else (mid + 1, hi)
    return lo


def counts_at_thresholds(positive, score, w):
    """(fps, tps, thresholds): negatives and positives (weighted) with a score at or above each
    distinct score, the scores decreasing (in ``score``'s dtype)."""
    from ..kernels import curves

    n = len(score)
    if w is None:
        counts = _tallied_counts(positive, score)
        if counts is not None:
            return counts
    fps = np.empty(n)
    tps = np.empty(n)
    thresholds = np.empty(n, score.dtype)
    if w is None:
        pos, neg = sorted_by_class(positive, score)
        m = curves.curve_sorted(pos, neg, fps, tps, thresholds)
    else:
        if score.dtype.kind == "f" and not np.isfinite(score).all():
            raise non_finite_error(score, "y_score")
        # scikit-learn's stable descending order: ties keep their order in the sample
        order = (n - 1) - np.argsort(score[::-1], kind="stable")[::-1]
        score, positive = np.ascontiguousarray(score), np.ascontiguousarray(positive)
        m = curves.weighted_curve(score, positive, w, order, fps, tps, thresholds)
    return _trim((fps, tps, thresholds), m, n)


def _drop_tp_plateaus(fps, tps, thresholds):
    """Keep the first and last point of each run of equal ``tps`` (and both ends)."""
    if len(fps) <= 2:
        return fps, tps, thresholds
    keep = np.concatenate([[True], np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), [True]])
    return fps[keep], tps[keep], thresholds[keep]


def roc_curve(y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=True):
    """Receiver operating characteristic: false and true positive rates at every threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels; with labels other than {0, 1} or {-1, 1}, ``pos_label`` names the
        positive class.
    y_score : array-like of shape (n_samples,)
        Scores of the positive class (probabilities or decision values).
    pos_label : int, float, bool or str, optional
        The positive class (by default 1, for {0, 1} and {-1, 1} labels).
    sample_weight : array-like of shape (n_samples,), optional
    drop_intermediate : bool, default True
        Drop the thresholds whose point lies on a straight line between its neighbours (the
        curve and its area are unchanged).

    Returns
    -------
    fpr, tpr : ndarray of float64
        Increasing false and true positive rates of ``score >= thresholds[i]`` (NaN when y_true
        has no negative, resp. no positive sample, with an ``UndefinedMetricWarning``).
    thresholds : ndarray of float64
        Decreasing; the first is ``inf`` (nothing predicted positive).

    Examples
    --------
    >>> from fastinit.metrics import roc_curve
    >>> fpr, tpr, thresholds = roc_curve([1, 1, 2, 2], [0.1, 0.4, 0.35, 0.8], pos_label=2)
    >>> fpr
    array([0. , 0. , 0.5, 0.5, 1. ])
    >>> tpr
    array([0. , 0.5, 0.5, 1. , 1. ])
    >>> thresholds
    array([ inf, 0.8 , 0.4 , 0.35, 0.1 ])
    """
    from ..kernels import curves

    refuse_sparse("roc_curve", y_true=y_true, y_score=y_score)
    drop_intermediate = check_bool(drop_intermediate, "drop_intermediate")
    check_weight_shape(sample_weight)
    positive, score, w, _, _ = binary_inputs(y_true, y_score, pos_label, sample_weight)
    counts = _tallied_counts(positive, score) if w is None else None
    if w is None and counts is None:
        pos, neg = sorted_by_class(positive, score)
        n = len(score) + 1
        fpr, tpr, thresholds = np.empty(n), np.empty(n), np.empty(n)
        m = curves.roc_sorted(pos, neg, drop_intermediate, fpr, tpr, thresholds)
        fpr, tpr, thresholds = _trim((fpr, tpr, thresholds), m, n)
        n_neg, n_pos = len(neg) - 2, len(pos) - 2
    else:
        if counts is None:
            counts = counts_at_thresholds(positive, score, w)
        fps, tps, thresholds = counts
        if drop_intermediate and len(fps) > 2:
            bends = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
            keep = np.concatenate([[True], bends, [True]])
            fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
        fps = np.concatenate([[0.0], fps])
        tps = np.concatenate([[0.0], tps])
        thresholds = np.concatenate([[np.inf], thresholds.astype(np.float64)])
        n_neg, n_pos = fps[-1], tps[-1]
        fpr = fps / n_neg if n_neg > 0 else None
        tpr = tps / n_pos if n_pos > 0 else None
    if not n_neg > 0:
        warnings.warn(
            "No negative samples in y_true, false positive value should be meaningless",
            undefined_metric_warning(),
            stacklevel=2,
        )
        fpr = np.full(len(thresholds), np.nan)
    if not n_pos > 0:
        warnings.warn(
            "No positive samples in y_true, true positive value should be meaningless",
            undefined_metric_warning(),
            stacklevel=2,
        )
        tpr = np.full(len(thresholds), np.nan)
    return fpr, tpr, thresholds


def precision_recall_curve(
    y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=False
):
    """Precision and recall at every threshold of a binary score.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels; with labels other than {0, 1} or {-1, 1}, ``pos_label`` names the
        positive class.
    y_score : array-like of shape (n_samples,)
        Scores of the positive class.
    pos_label : int, float, bool or str, optional
    sample_weight : array-like of shape (n_samples,), optional
    drop_intermediate : bool, default False
        Keep only the first and last threshold of each run of equal recall.

    Returns
    -------
    precision : ndarray of float64, shape (n_thresholds + 1,)
        Precision of ``score >= thresholds[i]``; the last element is 1.
    recall : ndarray of float64, shape (n_thresholds + 1,)
        Decreasing recall; the last element is 0. All 1 (with a warning) when y_true has no
        positive sample.
    thresholds : ndarray, shape (n_thresholds,)
        The distinct scores, increasing, in ``y_score``'s dtype.

    Examples
    --------
    >>> from fastinit.metrics import precision_recall_curve
    >>> precision, recall, thresholds = precision_recall_curve(
    ...     [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> precision
    array([0.5       , 0.66666667, 0.5       , 1.        , 1.        ])
    >>> recall
    array([1. , 1. , 0.5, 0.5, 0. ])
    >>> thresholds
    array([0.1 , 0.35, 0.4 , 0.8 ])
    """
    from ..kernels import curves

    refuse_sparse("precision_recall_curve", y_true=y_true, y_score=y_score)
    drop_intermediate = check_bool(drop_intermediate, "drop_intermediate")
    check_weight_shape(sample_weight)
    positive, score, w, dtype, _ = binary_inputs(y_true, y_score, pos_label, sample_weight)
    counts = _tallied_counts(positive, score) if w is None else None
    if w is None and counts is None:
        pos, neg = sorted_by_class(positive, score)
        n = len(score) + 1
        precision, recall = np.empty(n), np.empty(n)
        thresholds = np.empty(n, score.dtype)
        if drop_intermediate:
            m = curves.pr_sorted(pos, neg, True, precision, recall, thresholds)
        else:
            m = _ascending_points(pos, neg, precision, recall, thresholds, det=False)
            precision[m], recall[m] = 1.0, 0.0
        precision, recall = _trim((precision, recall), m + 1, n)
        (thresholds,) = _trim((thresholds,), m, n)
        no_positive = len(pos) == 2
    else:
        if counts is None:
            counts = counts_at_thresholds(positive, score, w)
        fps, tps, thresholds = counts
        if drop_intermediate:
            fps, tps, thresholds = _drop_tp_plateaus(fps, tps, thresholds)
        ps = tps + fps
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(ps != 0, tps / ps, 0.0)
        no_positive = tps[-1] == 0
        recall = np.ones(len(tps)) if no_positive else tps / tps[-1]
        precision = np.concatenate([precision[::-1], [1.0]])
        recall = np.concatenate([recall[::-1], [0.0]])
        thresholds = thresholds[::-1]
    if no_positive:
        warnings.warn(
            "No positive class found in y_true, recall is set to one for all thresholds.",
            UserWarning,
            stacklevel=2,
        )
    if thresholds.dtype != dtype and dtype.kind in "biuf":
        thresholds = thresholds.astype(dtype)  # scikit-learn returns them in the scores' dtype
    return precision, recall, thresholds


def _one_class_det():
    return ValueError(
        "Only one class is present in y_true. Detection error tradeoff curve is not defined in "
        "that case."
    )


def _det_sorted(pos, neg):
    """det_curve of the sorted scores of each class (both present), without a sort of the
    samples: the points in increasing thresholds from the walks, then from the last that
    misses no positive to the first with no false positive (and the threshold inf when every
    score has one), as scikit-learn cuts the curve."""
    n = len(pos) + len(neg) - 3  # samples, plus the point at inf
    fpr, fnr, thresholds = np.empty(n), np.empty(n), np.empty(n)
    m = _ascending_points(pos, neg, fpr, fnr, thresholds, det=True)
    start = _first_index(fnr, m, lambda v: v > 0.0) - 1  # the fnr are 0, then grow
    stop = _first_index(fpr, m, lambda v: v == 0.0)  # the fpr shrink to 0
    if stop == m:
        fpr[m], fnr[m], thresholds[m] = 0.0, 1.0, np.inf
    return _trim((fpr, fnr, thresholds), stop + 1, n, start)


def det_curve(y_true, y_score, pos_label=None, sample_weight=None, drop_intermediate=False):
    """Detection error tradeoff: false positive and false negative rates per threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels; with labels other than {0, 1} or {-1, 1}, ``pos_label`` names the
        positive class. Both classes must be present.
    y_score : array-like of shape (n_samples,)
        Scores of the positive class.
    pos_label : int, float, bool or str, optional
    sample_weight : array-like of shape (n_samples,), optional
    drop_intermediate : bool, default False
        Drop the thresholds where the number of true positives does not change from the
        previous or the next threshold.

    Returns
    -------
    fpr : ndarray of float64
        False positive rate of ``score >= thresholds[i]``, decreasing.
    fnr : ndarray of float64
        False negative rate (miss rate) of ``score >= thresholds[i]``, increasing.
    thresholds : ndarray of float64
        Increasing; the last is ``inf`` unless ``fpr`` reaches 0 at a finite threshold.

    Examples
    --------
    >>> from fastinit.metrics import det_curve
    >>> fpr, fnr, thresholds = det_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr
    array([0.5, 0.5, 0. ])
    >>> fnr
    array([0. , 0.5, 0.5])
    >>> thresholds
    array([0.35, 0.4 , 0.8 ])
    """
    refuse_sparse("det_curve", y_true=y_true, y_score=y_score)
    drop_intermediate = check_bool(drop_intermediate, "drop_intermediate")
    check_weight_shape(sample_weight)
    positive, score, w, _, classes = binary_inputs(y_true, y_score, pos_label, sample_weight)
    # unweighted, every point kept: a tally of few distinct scores, else the class-sorted walks
    walks = w is None and not drop_intermediate
    counts = _tallied_counts(positive, score) if walks else None
    if walks and counts is None:
        pos, neg = sorted_by_class(positive, score)  # refuses non-finite scores first
        if len(classes) != 2:
            raise _one_class_det()
        return _det_sorted(pos, neg)
    if counts is None:
        counts = counts_at_thresholds(positive, score, w)
    fps, tps, thresholds = counts
    # the threshold at infinity: nothing predicted positive
    tps = np.concatenate([[0.0], tps])
    fps = np.concatenate([[0.0], fps])
    thresholds = np.concatenate([[np.inf], thresholds.astype(np.float64)])
    if drop_intermediate:
        fps, tps, thresholds = _drop_tp_plateaus(fps, tps, thresholds)
    if len(classes) != 2:
        raise _one_class_det()
    fns = tps[-1] - tps
    # from the last threshold with no false positive to the first with no false negative
    first = np.searchsorted(fps, fps[0], side="right") - 1
    last = np.searchsorted(tps, tps[-1]) + 1
    sl = slice(first if first > 0 else None, last)
    return fps[sl][::-1] / fps[-1], fns[sl][::-1] / tps[-1], thresholds[sl][::-1]
