"""Precision, recall, F-beta and Jaccard scores: classification metrics of one-vs-rest counts.

Each is computed from the one-vs-rest sums (tp, predicted, true) per class, which come from the
confusion matrix (or the indicator columns for multilabel input) counted once.
"""

import numbers

import numpy as np

from . import _averaging as avg
from ._counts import build
from ._docstrings import shared_sections
from .classification import multilabel_from

__all__ = [
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "f1_score",
    "fbeta_score",
    "jaccard_score",
]


# ------------------------------------------------------------------ precision and friends ---


def prfs_from(
    counts,
    *,
    beta=1.0,
    labels=None,
    pos_label=1,
    average=None,
    warn_for=("precision", "recall", "f-score"),
    zero_division="warn",
):
    """precision_recall_fscore_support from counts."""
    avg.check_zero_division(zero_division)
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, numbers.Real):
        raise TypeError(f"beta must be a real number, got {beta!r}")
    beta = float(beta)
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if not isinstance(warn_for, (list, tuple, set, frozenset)):
        raise TypeError(f"warn_for must be a list, tuple or set of metric names, got {warn_for!r}")
    labels = avg.set_wise_labels(counts, average, labels, pos_label)
    samplewise = average == "samples"
    mcm = multilabel_from(counts, labels, samplewise)
    tp = mcm[:, 1, 1]
    pred = tp + mcm[:, 0, 1]
    true = tp + mcm[:, 1, 0]
    if average == "micro":
        tp, pred, true = (np.reshape(v.sum(), (1,)) for v in (tp, pred, true))
    precision = avg.prf_divide(tp, pred, "precision", "predicted", average, warn_for, zero_division)
    recall = avg.prf_divide(tp, true, "recall", "true", average, warn_for, zero_division)
    if np.isposinf(beta):
        f_score = recall
    elif beta == 0:
        f_score = precision
    else:
        b2 = beta * beta
        f_score = avg.prf_divide(
            (1 + b2) * tp.astype(np.float64),
            b2 * true.astype(np.float64) + pred.astype(np.float64),
            "f-score",
            "true nor predicted",
            average,
            warn_for,
            zero_division,
        )
    if average is None:
        return precision, recall, f_score, true
    weights = true if average == "weighted" else None
    if average == "samples":
        weights = counts.sample_weight
    return (
        float(avg.nan_average(precision, weights)),
        float(avg.nan_average(recall, weights)),
        float(avg.nan_average(f_score, weights)),
        None,
    )


@shared_sections
def precision_recall_fscore_support(
    y_true,
    y_pred,
    *,
    beta=1.0,
    labels=None,
    pos_label=1,
    average=None,
    warn_for=("precision", "recall", "f-score"),
    sample_weight=None,
    zero_division="warn",
):
    """Precision, recall, F-beta score and support, per class or averaged.

    Parameters
    ----------
    {y_labels}
    beta : float, default 1.0
        Weight of recall in the F-score (``inf``: recall, 0: precision).
    labels : array-like, optional
        The classes to score (and their order when ``average=None``).
    pos_label : int, float, bool or str, default 1
        The positive class when ``average="binary"``.
    average : {None, "binary", "micro", "macro", "weighted", "samples"}, default None
        None returns per-class arrays; the others return floats and ``None`` for support.
    warn_for : tuple of str
        Which metrics warn (:class:`~fastinit.metrics.UndefinedMetricWarning`) on a zero division.
    {sample_weight}
    {zero_division}
        Value of a metric whose denominator is 0 ("warn": 0 and a warning).

    Returns
    -------
    precision, recall, fbeta_score : float or ndarray of float64
    support : ndarray or None
        Number (or weight) of true samples per class; None when averaged.

    Examples
    --------
    >>> from fastinit.metrics import precision_recall_fscore_support
    >>> y_true = ["cat", "dog", "pig", "cat", "dog", "pig"]
    >>> y_pred = ["cat", "pig", "dog", "cat", "cat", "dog"]
    >>> p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average="macro")
    >>> round(p, 4), round(r, 4), round(f, 4), s
    (0.2222, 0.3333, 0.2667, None)
    """
    counts = build(y_true, y_pred, sample_weight)
    return prfs_from(
        counts,
        beta=beta,
        labels=labels,
        pos_label=pos_label,
        average=avg.check_average(average),
        warn_for=warn_for,
        zero_division=zero_division,
    )


# where prfs_from's result holds each score, by the names warn_for knows them by
_RESULT_INDEX = {"precision": 0, "recall": 1, "f-score": 2}


def one_score(counts, metric, beta, labels, pos_label, average, zero_division):
    """The ``metric`` ("precision", "recall" or "f-score") of :func:`prfs_from`, which alone
    warns on a zero division."""
    out = prfs_from(
        counts,
        beta=beta,
        labels=labels,
        pos_label=pos_label,
        average=avg.check_average(average),
        warn_for=(metric,),
        zero_division=zero_division,
    )
    return out[_RESULT_INDEX[metric]]


@shared_sections
def precision_score(
    y_true,
    y_pred,
    *,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """Precision ``tp / (tp + fp)``.

    {one_vs_rest_score}

    Examples
    --------
    >>> from fastinit.metrics import precision_score
    >>> precision_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average="micro")
    0.3333333333333333
    """
    counts = build(y_true, y_pred, sample_weight)
    return one_score(counts, "precision", 1.0, labels, pos_label, average, zero_division)


@shared_sections
def recall_score(
    y_true,
    y_pred,
    *,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """Recall ``tp / (tp + fn)``.

    {one_vs_rest_score}

    Examples
    --------
    >>> from fastinit.metrics import recall_score
    >>> recall_score(["a", "b", "b", "a"], ["a", "b", "a", "a"], pos_label="b")
    0.5
    """
    counts = build(y_true, y_pred, sample_weight)
    return one_score(counts, "recall", 1.0, labels, pos_label, average, zero_division)


@shared_sections
def f1_score(
    y_true,
    y_pred,
    *,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """F1 score, the harmonic mean of precision and recall.

    {one_vs_rest_score}

    Examples
    --------
    >>> from fastinit.metrics import f1_score
    >>> f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average=None)
    array([0.8, 0. , 0. ])
    """
    counts = build(y_true, y_pred, sample_weight)
    return one_score(counts, "f-score", 1.0, labels, pos_label, average, zero_division)


@shared_sections
def fbeta_score(
    y_true,
    y_pred,
    *,
    beta,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """F-beta score ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``.

    ``beta`` (keyword-only, required) weighs recall ``beta`` times as much as precision.

    {one_vs_rest_score}

    Examples
    --------
    >>> from fastinit.metrics import fbeta_score
    >>> round(fbeta_score([0, 1, 1, 0], [0, 1, 0, 1], beta=2.0), 4)
    0.5
    """
    counts = build(y_true, y_pred, sample_weight)
    return one_score(counts, "f-score", beta, labels, pos_label, average, zero_division)


def jaccard_from(counts, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """jaccard_score from counts."""
    avg.check_zero_division(zero_division)
    labels = avg.set_wise_labels(counts, average, labels, pos_label)
    mcm = multilabel_from(counts, labels, average == "samples")
    num = mcm[:, 1, 1]
    den = mcm[:, 1, 1] + mcm[:, 0, 1] + mcm[:, 1, 0]
    if average == "micro":
        num, den = np.reshape(num.sum(), (1,)), np.reshape(den.sum(), (1,))
    jac = avg.prf_divide(
        num, den, "jaccard", "true or predicted", average, ("jaccard",), zero_division
    )
    if average is None:
        return jac
    weights = None
    if average == "weighted":
        weights = mcm[:, 1, 0] + mcm[:, 1, 1]
        if not np.any(weights):
            weights = None
    elif average == "samples":
        weights = counts.sample_weight
    return float(avg.weighted_mean(jac, weights))


@shared_sections
def jaccard_score(
    y_true,
    y_pred,
    *,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """Jaccard index ``tp / (tp + fp + fn)`` (intersection over union of label sets).

    {one_vs_rest_score}

    Examples
    --------
    >>> from fastinit.metrics import jaccard_score
    >>> jaccard_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average=None)
    array([0.66666667, 0.        , 0.        ])
    """
    counts = build(y_true, y_pred, sample_weight)
    return jaccard_from(
        counts, labels=labels, pos_label=pos_label, average=average, zero_division=zero_division
    )
