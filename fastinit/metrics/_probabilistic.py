"""Losses of predicted probabilities: log_loss and brier_score_loss, as scikit-learn's.

A binary problem (1-d probabilities of the positive class, 1-d labels) is read once by a
compiled kernel that also finds the label values and the range of the probabilities
(:func:`._proba_inputs.binary_sums`): no sort of the labels, no (n, 2) temporaries. Any input
the kernel does not take as it is (several columns of probabilities, float16, indicator
targets) and any input that scikit-learn refuses goes through the NumPy path, which checks
and computes in scikit-learn's order, so warnings and errors are the same.
"""

import warnings

import numpy as np

from ._averaging import check_bool, check_labels, check_pos_label
from ._exceptions import ZeroWeightsError
from ._inputs import refuse_sparse
from ._proba_inputs import (
    binary_sums,
    check_classes,
    check_proba_finite,
    check_range,
    label_classes,
    loss_labels,
    one_hot,
    proba_array,
    two_columns,
    warn_not_normalized,
)
from ._rank_inputs import (
    check_finite,
    check_weight_shape,
    column,
    lengths,
    resolve_pos_label,
    sized,
    target_array,
    target_type,
    weights,
)

__all__ = ["log_loss", "brier_score_loss"]

# scikit-learn computes the losses of float32 probabilities in float32 (logs, squares and their
# pairwise sums); the kernel computes the per-sample losses from the same float32 values but
# sums them in float64. Below this many samples the NumPy path repeats scikit-learn's float32
# arithmetic, so small inputs give its very numbers; above it the kernel's sum is used, which
# differs from scikit-learn's by its float32 rounding (about 1e-7 relative).
FLOAT32_KERNEL_MIN = 1 << 16


def _average(loss, w, normalize=True):
    """scikit-learn's average of per-sample losses (a sum with ``normalize=False``)."""
    if not normalize:
        return float(loss.sum() if w is None else np.dot(loss, w))
    try:
        return float(np.average(loss, weights=w))
    except ZeroDivisionError:
        raise ZeroWeightsError("sample_weight sums to zero: the loss cannot be averaged") from None


def _divide(total, weight):
    if weight == 0:
        raise ZeroWeightsError("sample_weight sums to zero: the loss cannot be averaged")
    return total / weight


def _kernel_input(y_true, p):
    """(1-d labels, 1-d probabilities) when the one-pass kernel can take them, else None."""
    if p.dtype not in (np.float32, np.float64) or not (p.ndim == 1 or p.shape[1] == 1):
        return None
    if p.dtype == np.float32 and len(p) < FLOAT32_KERNEL_MIN:
        return None
    if y_true is None or isinstance(y_true, (str, bytes)):
        return None
    y = np.asarray(y_true) if not isinstance(y_true, np.ndarray) else y_true
    if y.dtype.kind not in "biufUO" or not (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        return None
    if len(y) != len(p) or len(y) == 0 or (y.dtype.kind in "iuf" and not y.dtype.isnative):
        return None
    return y.reshape(-1), np.ascontiguousarray(p.reshape(-1))


def _one_pass(y, p, w, mode):
    """(classes of the labels met, loss sums per class if positive / negative, total weight),
    or None when the NumPy path must decide (a refusal to raise, a non-integral float label)."""
    from ..kernels import losses

    labels, code_classes = loss_labels(y)
    if labels is None:
        return None
    r = binary_sums(labels, p, w, losses.LOG if mode == "log" else losses.BRIER)
    if r is None:
        return None
    values = r["values"]
    if values.dtype.kind == "f" and not (np.isfinite(values) & (values == np.round(values))).all():
        return None  # continuous targets: refused by the NumPy path
    classes = values if code_classes is None else code_classes[values]
    return classes, r["pos"], r["neg"], r["weight"]


# ------------------------------------------------------------------------------ log_loss ---


def log_loss(
    y_true,
    y_proba=None,
    *,
    normalize=True,
    sample_weight=None,
    labels=None,
    y_pred="deprecated",
):
    """Log loss (cross-entropy): the negative log-likelihood of the true labels.

    Probabilities are clipped to ``[eps, 1 - eps]``, ``eps`` the machine precision of their
    dtype, so that a confident mistake costs a large but finite loss.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        True labels (or a label indicator matrix).
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities, columns in the order of the sorted classes; 1-d: the
        probability of the greater class.
    normalize : bool, default True
        The mean loss per sample (True) or the sum (False).
    sample_weight : array-like of shape (n_samples,), optional
    labels : array-like, optional
        All classes, when ``y_true`` does not hold all of them.
    y_pred : array-like, deprecated
        The former name of ``y_proba`` (scikit-learn renamed it in 1.9); a FutureWarning.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastinit.metrics import log_loss
    >>> round(log_loss(["spam", "ham", "ham", "spam"],
    ...                [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 6)
    0.216162
    >>> round(log_loss([0, 1, 1], [0.2, 0.7, 0.9]), 6)
    0.228393
    """
    refuse_sparse("log_loss", y_true=y_true, y_proba=y_proba)
    if not (isinstance(y_pred, str) and y_pred == "deprecated"):
        if y_proba is not None:
            raise ValueError(
                "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, use `y_proba` "
                "instead."
            )
        warnings.warn(
            "`y_pred` was renamed to `y_proba` in version 1.9 and will be removed in 1.11. Use "
            "`y_proba` instead.",
            FutureWarning,
            stacklevel=2,
        )
        y_proba = y_pred
    normalize = check_bool(normalize, "normalize")
    check_weight_shape(sample_weight)
    raw_labels = labels
    labels = check_labels(labels)
    p = proba_array(y_proba)
    fast = _kernel_input(y_true, p)
    if fast is not None:
        y, p1 = fast
        lengths(y_proba=p1, y_true=y, sample_weight=sized(sample_weight))
        done = _one_pass(y, p1, weights(sample_weight, len(y), np.float64), "log")
        positive = None if done is None else _greater_class(done[0], labels)
        if positive is not None:
            classes, pos, neg, weight = done
            # the column ``p`` of ``[1 - p, p]`` is the greater class's
            total = 0.0
            for c in range(len(classes)):
                total += pos[c] if classes[c] == positive else neg[c]
            return float(_divide(total, weight) if normalize else total)
    return _log_loss_numpy(y_true, p, sample_weight, labels, raw_labels, normalize)


def _greater_class(classes, labels):
    """The positive class of binary log loss: the greater of two classes (of ``labels`` when
    given: two, sorted, holding every label met), or None when the NumPy path must decide."""
    if labels is None:
        return classes[1] if len(classes) == 2 else None
    try:
        ordered = np.unique(labels)
        if len(ordered) != 2 or len(labels) != 2 or not (ordered == labels).all():
            return None
        return ordered[1] if np.isin(classes, ordered).all() else None
    except TypeError:
        return None


def _one_hot_inputs(y_true, p, sample_weight, labels, raw_labels):
    """Checked (one-hot targets, probabilities with two columns at least, weights) of a
    multiclass (or indicator) log loss or Brier score."""
    check_proba_finite(p)
    check_range(p, p.min(), p.max(), "lower")
    y = target_array(y_true, "y_true")
    lengths(y_proba=p, y_true=y, sample_weight=sized(sample_weight))
    w = weights(sample_weight, len(p))
    classes, y, kind = label_classes(y_true, labels, raw_labels)
    t = one_hot(y, kind, classes)
    p = two_columns(p)
    warn_not_normalized(p)
    check_classes(classes, p, labels, t.shape[1])
    return t, p, w


def _log_loss_numpy(y_true, p, sample_weight, labels, raw_labels, normalize):
    t, p, w = _one_hot_inputs(y_true, p, sample_weight, labels, raw_labels)
    eps = np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1 - eps)
    t = t.astype(p.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = t * np.log(p)
    terms = np.where(t == 0, p.dtype.type(0), terms)  # 0 log 0 = 0 (scipy's xlogy)
    return _average(-terms.sum(axis=1), w, normalize)


# ---------------------------------------------------------------------- brier_score_loss ---


def brier_score_loss(
    y_true, y_proba, *, sample_weight=None, pos_label=None, labels=None, scale_by_half="auto"
):
    """Brier score: the mean squared difference between predicted probabilities and outcomes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        1-d: the probability of the positive class; 2-d: one column per class, in the order
        of the sorted classes (or of ``labels``).
    sample_weight : array-like of shape (n_samples,), optional
    pos_label : int, float, bool or str, optional
        The positive class of 1-d probabilities: by default 1 for {0, 1} and {-1, 1} labels,
        else the greater label (strings must name it).
    labels : array-like of shape (n_classes,), optional
        The classes of the columns of 2-d probabilities.
    scale_by_half : bool or "auto", default "auto"
        Halve the score (range [0, 1] instead of [0, 2]); "auto" halves it for binary
        problems (1-d or two-column probabilities) only.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastinit.metrics import brier_score_loss
    >>> round(brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]), 6)
    0.0375
    >>> round(brier_score_loss(["spam", "ham", "ham", "spam"], [0.1, 0.9, 0.8, 0.3],
    ...                        pos_label="ham"), 6)
    0.0375
    >>> round(brier_score_loss(["eggs", "ham", "spam"],
    ...                        [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]]), 6)
    0.146667
    """
    refuse_sparse("brier_score_loss", y_true=y_true, y_proba=y_proba)
    check_pos_label(pos_label)
    check_weight_shape(sample_weight)
    raw_labels = labels
    labels = check_labels(labels)
    auto = isinstance(scale_by_half, str) and scale_by_half == "auto"
    if not (auto or isinstance(scale_by_half, (bool, np.bool_))):
        raise ValueError(f"scale_by_half must be a bool or 'auto', got {scale_by_half!r}")
    p = proba_array(y_proba)
    binary = p.ndim == 1 or p.shape[1] == 1
    half = (binary or p.shape[1] < 3) if auto else bool(scale_by_half)
    factor = 0.5 if half else 1.0
    fast = _kernel_input(y_true, p) if binary else None
    if fast is not None:
        y, p1 = fast
        lengths(y_proba=p1, y_true=y, sample_weight=sized(sample_weight))
        done = _one_pass(y, p1, weights(sample_weight, len(y), np.float64), "brier")
        if done is not None:
            classes, pos, neg, weight = done
            pos_label = _binary_pos_label(pos_label, classes)
            total = 0.0
            for c in range(len(classes)):
                total += pos[c] if classes[c] == pos_label else neg[c]
            return float(_divide(total, weight) * factor)
    if binary:
        t, p2, w = _brier_binary_numpy(y_true, p, sample_weight, pos_label)
    else:
        t, p2, w = _one_hot_inputs(y_true, p, sample_weight, labels, raw_labels)
    score = _average(((t.astype(p2.dtype) - p2) ** 2).sum(axis=1), w)
    return float(score * factor)


def _binary_pos_label(pos_label, classes):
    """scikit-learn's positive class of a binary Brier score: ``pos_label``, 1 for {0, 1} and
    {-1, 1} labels, else the greater label (never guessed among strings)."""
    try:
        return resolve_pos_label(pos_label, classes)
    except ValueError:
        if classes.dtype.kind in "OUS":
            raise
        return classes[-1]


def _brier_binary_numpy(y_true, p, sample_weight, pos_label):
    """(one-hot targets, [1 - p, p], weights) of a binary Brier score, checked in
    scikit-learn's order."""
    check_proba_finite(p)
    y = column(target_array(y_true, "y_true"), "y_true")
    p = column(p, "y_proba")
    check_finite(y, "y_true")
    lengths(y_proba=p, y_true=y, sample_weight=sized(sample_weight))
    w = weights(sample_weight, len(p))
    kind, classes = target_type(y, "y_true")
    if kind != "binary":
        raise ValueError(
            f"The type of the target inferred from y_true is {kind} but should be binary "
            "according to the shape of y_prob."
        )
    check_range(p, p.min(), p.max(), "less")
    pos_label = _binary_pos_label(pos_label, classes)
    t = np.asarray(y == pos_label, dtype=np.int64)
    return np.stack([1 - t, t], axis=1), np.stack([1 - p, p], axis=1), w
