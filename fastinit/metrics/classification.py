"""Classification metrics from one confusion matrix, with scikit-learn's names and results.

Every function counts the labels once (:mod:`fastinit.kernels.confusion`) and derives the metric
from the counts; the ``*_from`` helpers take those counts, which is how the streaming
:class:`~fastinit.metrics.ConfusionMatrix` computes the same metrics from accumulated counts.
"""

import math
import numbers
import warnings

import numpy as np

from . import _averaging as avg
from ._counts import build, positions
from ._docstrings import shared_sections
from ._exceptions import undefined_metric_warning
from ._inputs import refuse_sparse

__all__ = [
    "confusion_matrix",
    "multilabel_confusion_matrix",
    "accuracy_score",
    "balanced_accuracy_score",
    "matthews_corrcoef",
    "cohen_kappa_score",
    "hamming_loss",
    "zero_one_loss",
]


def _single_class(counts, name):
    if counts.multilabel:  # scikit-learn's words first
        raise ValueError(
            f"multilabel-indicator is not supported (y_true and y_pred are label indicator "
            f"matrices; {name} takes binary or multiclass targets)"
        )


# -------------------------------------------------------------------- confusion matrices ---


def confusion_from(counts, labels=None, normalize=None, *, copy=True):
    """confusion_matrix from counts (see :func:`confusion_matrix`).

    ``copy=False`` may return ``counts.cm`` itself (for counts built for this call only).
    """
    avg.check_option(normalize, "normalize", (None, "true", "pred", "all"))
    labels = avg.check_labels(labels)
    _single_class(counts, "confusion_matrix")
    if labels is None:
        cm = counts.cm.copy() if copy and normalize is None else counts.cm
    else:
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"labels must be 1-d, got shape {labels.shape}")
        if labels.size == 0:
            raise ValueError("'labels' should contain at least one label.")
        pos = positions(counts.classes, labels)
        try:  # a repeated label keeps its last position (the others stay zero)
            _, first_from_end = np.unique(labels[::-1], return_index=True)
            keep = np.zeros(len(labels), bool)
            keep[len(labels) - 1 - first_from_end] = True
            pos[~keep] = -1
        except TypeError:
            pass
        ok = pos >= 0
        if not counts.in_true[pos[ok]].any():
            raise ValueError("labels: At least one label specified must be in y_true")
        cm = np.zeros((len(labels), len(labels)), counts.cm.dtype)
        cm[np.ix_(ok, ok)] = counts.cm[np.ix_(pos[ok], pos[ok])]
    if normalize is not None:
        with np.errstate(all="ignore"):
            if normalize == "true":
                cm = cm / cm.sum(axis=1, keepdims=True)
            elif normalize == "pred":
                cm = cm / cm.sum(axis=0, keepdims=True)
            else:
                cm = cm / cm.sum()
        cm = np.nan_to_num(cm)
    if cm.shape == (1, 1):
        warnings.warn(
            "A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to "
            "have the correct shape, use the 'labels' parameter to pass all known labels.",
            UserWarning,
            stacklevel=3,
        )
    return cm


def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None):
    """Confusion matrix ``C[i, j]``: samples of true class ``i`` predicted as class ``j``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels: integers (fast path), bool, integral floats or strings.
    labels : array-like of shape (n_classes,), optional
        Rows/columns of the result, in this order; samples with other labels are ignored.
        By default the sorted labels present in ``y_true`` or ``y_pred``.
    sample_weight : array-like of shape (n_samples,), optional
        Weights; integer weights give an int64 matrix, float weights a float64 one (so do
        uint64 weights past the int64 range, which would otherwise wrap). All-zero weights
        are refused, as by scikit-learn.
    normalize : {"true", "pred", "all"}, optional
        Divide by the row sums, column sums or the total (0 where a sum is 0).

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        int64 counts (float64 when weighted by floats or normalized).

    Examples
    --------
    >>> from fastinit.metrics import confusion_matrix
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    >>> confusion_matrix(["cat", "dog", "cat"], ["cat", "cat", "cat"], normalize="true")
    array([[1., 0.],
           [1., 0.]])
    """
    refuse_sparse("confusion_matrix", y_true=y_true, y_pred=y_pred)
    return confusion_from(build(y_true, y_pred, sample_weight), labels, normalize, copy=False)


def multilabel_from(counts, labels=None, samplewise=False):
    """multilabel_confusion_matrix from counts."""
    samplewise = avg.check_bool(samplewise, "samplewise")
    labels = avg.check_labels(labels)
    if counts.multilabel:
        tp, pred, true = counts.label_sums(labels, samplewise=samplewise)
        w = counts.sample_weight
        n_lab = counts.n_labels(labels)
        if samplewise:
            if w is not None:
                tp, pred, true = tp * w, pred * w, true * w
                total = w * n_lab
            else:
                total = n_lab
        else:
            total = len(counts.y_true) if w is None else w.sum()
    else:
        if samplewise:
            raise ValueError(
                "samplewise=True (average='samples'): Samplewise metrics are not available "
                "outside of multilabel classification."
            )
        tp, pred, true = counts.label_sums(labels)
        if tp.dtype.kind == "i" and not np.trace(counts.cm):
            tp = tp.astype(np.float64)  # as scikit-learn: no true positive at all gives floats
        total = counts.total()
    fp, fn = pred - tp, true - tp
    tn = total - tp - fp - fn
    return np.stack([tn, fp, fn, tp]).T.reshape(-1, 2, 2)


def multilabel_confusion_matrix(
    y_true, y_pred, *, sample_weight=None, labels=None, samplewise=False
):
    """One-vs-rest 2x2 confusion matrices ``[[tn, fp], [fn, tp]]`` per class (or per sample).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
        Labels, or 0/1 label indicator matrices for multilabel data.
    sample_weight : array-like of shape (n_samples,), optional
    labels : array-like, optional
        Classes (or indicator columns) to report, in this order.
    samplewise : bool, default False
        Per sample instead of per class (multilabel input only).

    Returns
    -------
    ndarray of shape (n_outputs, 2, 2)

    Examples
    --------
    >>> from fastinit.metrics import multilabel_confusion_matrix
    >>> multilabel_confusion_matrix([1, 0, 1], [1, 1, 1])
    array([[[2, 0],
            [1, 0]],
    <BLANKLINE>
           [[0, 1],
            [0, 2]]])
    """
    return multilabel_from(build(y_true, y_pred, sample_weight), labels, samplewise)


# ------------------------------------------------------------------------ single numbers ---


def accuracy_from(counts, normalize=True):
    normalize = avg.check_bool(normalize, "normalize")
    if counts.multilabel:
        t, p = counts.values
        score = (t == p).all(axis=1)
        w = counts.sample_weight
        if not normalize:
            return float(score.sum() if w is None else score @ w)
        return float(avg.weighted_mean(score, w))
    correct = np.trace(counts.cm)
    if not normalize:
        return float(correct)
    return float(correct / counts.total())


@shared_sections
def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Fraction (or number, ``normalize=False``) of samples predicted right.

    Multilabel input counts a sample as right only when its whole label set matches.

    {sample_fraction}

    Examples
    --------
    >>> from fastinit.metrics import accuracy_score
    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
    0.5
    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3], normalize=False)
    2.0
    """
    return accuracy_from(build(y_true, y_pred, sample_weight), normalize)


def balanced_from(counts, adjusted=False):
    adjusted = avg.check_bool(adjusted, "adjusted")
    _single_class(counts, "balanced_accuracy_score")
    cm = confusion_from(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = np.diagonal(cm) / cm.sum(axis=1)
    if np.isnan(per_class).any():
        warnings.warn("y_pred contains classes not in y_true", UserWarning, stacklevel=3)
        per_class = per_class[~np.isnan(per_class)]
    score = np.mean(per_class)
    if adjusted:
        chance = 1 / per_class.shape[0]
        score = (score - chance) / (1 - chance)
    return float(score)


def balanced_accuracy_score(y_true, y_pred, *, sample_weight=None, adjusted=False):
    """Mean per-class recall (optionally adjusted so that chance scores 0).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), optional
    adjusted : bool, default False
        Rescale to ``(score - 1/K) / (1 - 1/K)``.

    Returns
    -------
    float
        In [0, 1]; adjusted, 0 for chance and 1 for a perfect prediction.

    Examples
    --------
    >>> from fastinit.metrics import balanced_accuracy_score
    >>> balanced_accuracy_score([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1])
    0.625
    """
    refuse_sparse("balanced_accuracy_score", y_true=y_true, y_pred=y_pred)
    return balanced_from(build(y_true, y_pred, sample_weight), adjusted)


def _others(v):
    """sum(v) - v[k] for each k, as the sum of the other entries (no cancellation when v[k]
    holds nearly all of the sum)."""
    before = np.concatenate(([0.0], np.cumsum(v[:-1])))
    after = np.concatenate((np.cumsum(v[:0:-1])[::-1], [0.0]))
    return before + after


def matthews_from(counts):
    """R_K = cov(t, p) / sqrt(cov(t, t) cov(p, p)). The textbook covariances, n c - t.p and
    n^2 - t.t, subtract numbers of order n^2 and lose everything when one class holds nearly all
    the weight (weights 1 and 2^64 - 1 gave 0 for a perfect prediction); written as sums of
    products of disjoint parts of the matrix they stay accurate. They are the same integers for
    counts below 2^26, so the result is then bit for bit the textbook one."""
    _single_class(counts, "matthews_corrcoef")
    off = confusion_from(counts).astype(np.float64)  # a copy: its diagonal is cleared below
    diag = np.diag(off).copy()
    np.fill_diagonal(off, 0.0)
    rows, cols = off.sum(axis=1), off.sum(axis=0)  # each class's misses and false alarms
    t, p = diag + rows, diag + cols
    # n^2 - sum t_k^2 = sum_k t_k sum_{j != k} t_j; likewise for p
    cov_tt = np.dot(t, _others(t))
    cov_pp = np.dot(p, _others(p))
    # n c - sum t_k p_k, with n = c + o (o: all the misses):
    # sum_k d_k sum_{j != k} d_j + sum_k d_k (o - r_k - s_k) - sum_k r_k s_k
    o = rows.sum()
    cov_tp = np.dot(diag, _others(diag)) + np.dot(diag, o - rows - cols) - np.dot(rows, cols)
    if cov_pp * cov_tt == 0:
        return 0.0
    return float(cov_tp / np.sqrt(cov_pp * cov_tt))


def matthews_corrcoef(y_true, y_pred, *, sample_weight=None):
    """Matthews correlation coefficient (the multiclass R_K statistic).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float
        In [-1, 1]; 0 when undefined.

    Examples
    --------
    >>> from fastinit.metrics import matthews_corrcoef
    >>> round(matthews_corrcoef([1, 1, 1, -1], [1, -1, 1, 1]), 4)
    -0.3333
    """
    refuse_sparse("matthews_corrcoef", y_true=y_true, y_pred=y_pred)
    return matthews_from(build(y_true, y_pred, sample_weight))


def kappa_from(counts, labels=None, weights=None, replace_undefined_by=np.nan):
    avg.check_option(weights, "weights", (None, "linear", "quadratic"))
    r = replace_undefined_by
    # scikit-learn's constraint: a number in [-1, 1] (a kappa) or nan
    if (
        isinstance(r, (bool, np.bool_))
        or not isinstance(r, numbers.Real)
        or not (-1 <= r <= 1 or math.isnan(r))
    ):
        raise ValueError(f"replace_undefined_by must be in [-1, 1] or nan, got {r!r}")
    _single_class(counts, "cohen_kappa_score")
    try:
        cm = confusion_from(counts, labels).astype(np.float64)
    except ValueError as exc:
        if "At least one label specified" in str(exc):
            raise ValueError(
                "At least one label in `labels` must be present in `y1` (even though "
                "`cohen_kappa_score` is otherwise agnostic to the order of `y1` and `y2`)."
            ) from exc
        raise
    k = cm.shape[0]
    sum0, sum1 = cm.sum(axis=0), cm.sum(axis=1)
    total = sum0.sum()
    if total == 0:
        warnings.warn(
            "`y2` contains no labels that are present in both `y1` and `labels`. "
            "`cohen_kappa_score` is undefined and set to `replace_undefined_by` "
            f"({replace_undefined_by}).",
            undefined_metric_warning(),
            stacklevel=3,
        )
        return replace_undefined_by
    expected = np.outer(sum0, sum1) / total
    grid = np.arange(k, dtype=np.float64)
    if weights is None:
        w = 1.0 - np.eye(k)
    elif weights == "linear":
        w = np.abs(grid[None, :] - grid[:, None])
    else:
        w = (grid[None, :] - grid[:, None]) ** 2
    den = np.sum(w * expected)
    if den == 0:
        warnings.warn(
            "`y1`, `y2` and `labels` have only one label in common. `cohen_kappa_score` is "
            f"undefined and set to `replace_undefined_by` ({replace_undefined_by}).",
            undefined_metric_warning(),
            stacklevel=3,
        )
        return replace_undefined_by
    return float(1 - np.sum(w * cm) / den)


def cohen_kappa_score(
    y1, y2, *, labels=None, weights=None, sample_weight=None, replace_undefined_by=np.nan
):
    """Cohen's kappa: agreement between two labelings, corrected for chance.

    Parameters
    ----------
    y1, y2 : array-like of shape (n_samples,)
    labels : array-like, optional
        Classes to use (others are ignored).
    weights : {None, "linear", "quadratic"}
        Disagreement weights between classes ``i`` and ``j`` (0/1, ``|i-j|``, ``(i-j)^2``).
    sample_weight : array-like of shape (n_samples,), optional
    replace_undefined_by : float, default nan
        Returned (with an :class:`~fastinit.metrics.UndefinedMetricWarning`) when kappa is
        undefined.

    Returns
    -------
    float
        In [-1, 1]: 1 for full agreement, 0 for what chance gives.

    Examples
    --------
    >>> from fastinit.metrics import cohen_kappa_score
    >>> cohen_kappa_score(["a", "b", "a", "a"], ["a", "b", "b", "a"])
    0.5
    """
    refuse_sparse("cohen_kappa_score", y1=y1, y2=y2)
    # the checks of the labels name them as scikit-learn's do: it counts them with
    # confusion_matrix(y1, y2), whose messages say y_true and y_pred
    counts = build(y1, y2, sample_weight)
    return kappa_from(counts, labels, weights, replace_undefined_by)


def hamming_from(counts):
    if counts.multilabel:
        w = counts.sample_weight
        t, p = counts.values
        diff = (t != p).sum(axis=1)
        n_diff = diff.sum() if w is None else diff @ w
        w_avg = 1.0 if w is None else np.mean(w)
        return float(n_diff) / (counts.y_true.shape[0] * counts.y_true.shape[1] * w_avg)
    return float((counts.total() - np.trace(counts.cm)) / counts.total())


def hamming_loss(y_true, y_pred, *, sample_weight=None):
    """Fraction of labels predicted wrong (per label for multilabel input).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float
        In [0, 1], the weighted fraction of wrong labels.

    Examples
    --------
    >>> from fastinit.metrics import hamming_loss
    >>> hamming_loss([1, 2, 3, 4], [2, 2, 3, 4])
    0.25
    >>> hamming_loss([[0, 1], [1, 1]], [[0, 0], [0, 0]])  # label indicator matrices
    0.75
    """
    return hamming_from(build(y_true, y_pred, sample_weight))


def zero_one_from(counts, normalize=True):
    normalize = avg.check_bool(normalize, "normalize")
    score = accuracy_from(counts, normalize)
    if normalize:
        return 1 - score
    w = getattr(counts, "sample_weight", None)
    if counts.multilabel:
        n = len(counts.y_true) if w is None else np.sum(w)
    else:
        n = counts.total()
        if counts.cm.dtype.kind == "i" and w is None:
            n = int(n)
    return n - score


@shared_sections
def zero_one_loss(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Fraction (or number, ``normalize=False``) of samples predicted wrong.

    {sample_fraction}

    Examples
    --------
    >>> from fastinit.metrics import zero_one_loss
    >>> zero_one_loss(["cat", "dog", "pig"], ["cat", "cat", "pig"], normalize=False)
    1.0
    >>> zero_one_loss([[1, 1], [0, 1]], [[1, 1], [1, 1]])  # multilabel: one wrong label
    0.5
    """
    counts = build(y_true, y_pred, sample_weight)
    normalize = avg.check_bool(normalize, "normalize")
    if sample_weight is not None and not counts.multilabel and not normalize:
        return np.float64(np.sum(counts.cm) - accuracy_from(counts, False))
    return zero_one_from(counts, normalize)
