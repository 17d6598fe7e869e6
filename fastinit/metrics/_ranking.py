"""Metrics of predicted scores rather than labels: top_k_accuracy_score.

scikit-learn keeps it with its ranking metrics; so does fastinit, and the ranking metrics of
scores (average precision, ROC AUC and the like) belong here beside it.
"""

import numbers
import warnings

import numpy as np

from . import _averaging as avg
from ._exceptions import ZeroWeightsError, undefined_metric_warning
from ._inputs import as_weights, label_array, refuse_sparse
from ._lazy import any_dask
from ._rank_inputs import check_finite, target_type

__all__ = ["top_k_accuracy_score"]


def top_k_accuracy_score(y_true, y_score, *, k=2, normalize=True, sample_weight=None, labels=None):
    """Fraction of samples whose true class is among the ``k`` highest scores.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Scores; columns follow the sorted classes (or ``labels``). 1-d for binary targets:
        the score of the greater class.
    k : int, default 2
    normalize : bool, default True
        Fraction (True) or number (False) of hits.
    sample_weight : array-like of shape (n_samples,), optional
    labels : array-like of shape (n_classes,), optional
        All classes, sorted and unique, when ``y_true`` does not contain all of them.

    Returns
    -------
    float
        The fraction of samples whose true class is among the top ``k`` (their weighted number
        with ``normalize=False``).

    Examples
    --------
    >>> from fastinit.metrics import top_k_accuracy_score
    >>> y_score = [[0.5, 0.2, 0.2], [0.3, 0.4, 0.2], [0.2, 0.4, 0.3], [0.7, 0.2, 0.1]]
    >>> top_k_accuracy_score([0, 1, 2, 2], y_score, k=2)
    0.75
    """
    refuse_sparse("top_k_accuracy_score", y_true=y_true, y_score=y_score)
    if any_dask(y_true, y_score, sample_weight):
        from ._lazy import top_k_accuracy_score as chunked

        return chunked(y_true, y_score, k, normalize, sample_weight, labels)
    normalize, labels = check_options(k, normalize, labels)
    yt = true_labels(label_array(y_true, "y_true"))
    check_label_type(yt)
    score = check_score(np.asarray(y_score)).astype(np.float64)
    check_finite(score, "y_score")
    if len(score) != len(yt):
        raise ValueError(f"y_true and y_score have different lengths: {len(yt)} != {len(score)}")
    # all-zero weights: scikit-learn raises only where it normalizes (ZeroDivisionError)
    w = as_weights(sample_weight, len(yt), zero_ok=True)
    classes, binary = top_k_classes(np.unique(yt), labels, score.shape, k)
    threshold = None
    if binary and k == 1:
        threshold = 0.5 if score.min() >= 0 and score.max() <= 1 else 0
    hits = top_k_hits(yt, score, classes, k, binary, threshold)
    if normalize:
        try:
            return float(np.average(hits, weights=w))
        except ZeroDivisionError:
            raise no_weight_error() from None
    if w is None:
        return float(np.sum(hits))
    return float(np.dot(hits, w))


# the steps of top_k_accuracy_score, shared with the chunked computation of dask arrays


def true_labels(yt):
    """``y_true`` (checked by label_array) as 1-d labels (from shape and dtype alone)."""
    if yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt.reshape(-1)
    if yt.ndim != 1:  # scikit-learn's words
        raise ValueError(
            f"y should be a 1d array, got an array of shape {yt.shape} instead (y_true)."
        )
    return yt


def check_label_type(yt):
    """scikit-learn's refusal of labels that are neither binary nor multiclass (continuous,
    objects other than strings), NaN and infinities on the way."""
    kind, _ = target_type(yt, "y_true")
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"y type must be 'binary' or 'multiclass', got '{kind}' instead (y_true).")


def check_score(score):
    """``y_score`` checked from its shape and dtype alone."""
    if score.dtype.kind not in "iufb":
        raise TypeError(f"y_score must be numeric, got dtype {score.dtype}")
    if score.ndim not in (1, 2):
        raise ValueError(f"y_score must be 1-d or 2-d, got shape {score.shape}")
    return score


def check_options(k, normalize, labels):
    normalize = avg.check_bool(normalize, "normalize")
    labels = avg.check_labels(labels)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    return normalize, labels


def top_k_classes(present, labels, score_shape, k):
    """(the classes the score columns stand for, whether the target is binary), from the
    sorted labels ``present`` in y_true; refuses scores and labels that do not fit them."""
    classes = present
    binary = len(classes) <= 2 and not (labels is not None and len(labels) > 2)
    if binary:
        if len(score_shape) == 2 and score_shape[1] != 1:
            raise ValueError(
                f"`y_true` is binary while y_score is 2d with {score_shape[1]} classes. If "
                "`y_true` does not contain all the labels, `labels` must be provided."
            )
    elif len(score_shape) != 2:
        raise ValueError(
            "`y_score` needs to be of shape `(n_samples, n_classes)`, since `y_true` contains "
            f"multiple classes. Got `y_score.shape={score_shape}`."
        )
    n_score = score_shape[1] if len(score_shape) == 2 and not binary else 2  # binary: 1 column
    if labels is None:
        if len(classes) != n_score:
            raise ValueError(
                f"Number of classes in 'y_true' ({len(classes)}) not equal to the number of "
                f"classes in 'y_score' ({n_score}). You can provide a list of all known "
                "classes by assigning it to the `labels` parameter."
            )
    else:
        labels = np.asarray(labels).reshape(-1)
        classes = np.unique(labels)
        if len(classes) != len(labels):
            raise ValueError("Parameter 'labels' must be unique.")
        if not np.array_equal(classes, labels):
            raise ValueError("Parameter 'labels' must be ordered.")
        if len(classes) != n_score:
            raise ValueError(
                f"Number of given labels ({len(classes)}) not equal to the number of classes "
                f"in 'y_score' ({n_score})."
            )
        if len(np.setdiff1d(present, classes)):
            raise ValueError("'y_true' contains labels not in parameter 'labels'.")
    if k >= len(classes):
        warnings.warn(
            f"'k' ({k}) greater than or equal to 'n_classes' ({len(classes)}) will result in "
            "a perfect score and is therefore meaningless.",
            undefined_metric_warning(),
            stacklevel=3,
        )
    return classes, binary


def top_k_hits(yt, score, classes, k, binary, threshold):
    """Whether each sample's true class is among its ``k`` best scores (float64 ``score``;
    ``threshold``: of a binary score when k == 1)."""
    from ..kernels import confusion

    codes = np.searchsorted(classes, yt).astype(np.int64)
    if binary:
        score = score.reshape(-1)
        if k == 1:
            return (score > threshold).astype(np.int64) == codes
        return np.ones(len(score), bool)
    return confusion.top_k_hits(np.ascontiguousarray(score), codes, np.int64(k))


def no_weight_error():
    return ZeroWeightsError("sample_weight sums to zero: the accuracy cannot be normalized")
