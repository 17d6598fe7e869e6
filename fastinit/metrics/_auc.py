"""Areas under binary curves: roc_auc_score and average_precision_score, with their averages.

A binary problem without weights never builds its curve: the two classes' scores are sorted
(:func:`._curves.sorted_by_class`) and one walk over them gives the Mann-Whitney rank sum (the
area under the ROC curve, ties counted one half, as an exact integer) or the average precision.
Weighted problems, partial areas (``max_fpr``) and everything scikit-learn computes per column
(multilabel indicators, one-vs-rest, one-vs-one pairs) go through the same binary functions, one
column or pair at a time, and are averaged as scikit-learn averages them.
"""

import numbers
import warnings
from itertools import combinations

import numpy as np

from ._averaging import check_labels, check_option, check_pos_label
from ._curves import precision_recall_curve, roc_curve, sorted_by_class, split_point, tally
from ._exceptions import ZeroWeightsError, undefined_metric_warning
from ._inputs import refuse_sparse
from ._rank_inputs import (
    binary_inputs,
    check_finite,
    check_weight_shape,
    float_weights,
    lengths,
    score_array,
    sized,
    target_array,
    target_type,
)

__all__ = ["roc_auc_score", "average_precision_score"]

_AVERAGES = ("micro", "macro", "samples", "weighted", None)


class OvoAverageError(NotImplementedError, ValueError):
    """``average=None`` with ``multi_class="ovo"``: the NotImplementedError scikit-learn
    raises, and a ValueError, as fastinit refuses arguments."""


_BINARY = np.array([False, True])


def _trapezoid(x, y):
    """The trapezoid rule as scikit-learn's ``auc`` computes it (x monotonic)."""
    dx = np.diff(x)
    direction = -1 if (dx < 0).any() and (dx <= 0).all() else 1
    return float(direction * (dx * (y[1:] + y[:-1]) / 2.0).sum())


# ------------------------------------------------------------------- one binary problem ---


def _auc_of_mask(positive, score, w, max_fpr):
    """ROC AUC of a checked binary problem (``positive``: bool mask, both classes present)."""
    from ..kernels import ranking

    if w is None and max_fpr in (None, 1):
        counts = tally(positive, score)
        if counts is not None:  # few distinct scores: the same sum over the tallied ones
            _, pos, neg = counts
            tp, fp = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])
            twice = int(np.sum(np.diff(fp, prepend=0) * (tp + np.append(0, tp[:-1]))))
            return float(twice / (2.0 * tp[-1] * fp[-1]))
        pos, neg = sorted_by_class(positive, score)
        twice = ranking.auc_sorted(pos, neg, *split_point(pos, neg))
        return float(twice / (2.0 * (len(pos) - 2) * (len(neg) - 2)))
    fpr, tpr, _ = roc_curve(positive, score, sample_weight=w)
    if max_fpr is None or max_fpr == 1:
        return _trapezoid(fpr, tpr)
    # the partial area up to max_fpr (the curve cut by linear interpolation), standardized by
    # McClish's correction: 0.5 for a non-discriminant score, 1 for a perfect one
    stop = np.searchsorted(fpr, max_fpr, "right")
    x_cut = [fpr[stop - 1], fpr[stop]]
    y_cut = [tpr[stop - 1], tpr[stop]]
    tpr = np.append(tpr[:stop], np.interp(max_fpr, x_cut, y_cut))
    fpr = np.append(fpr[:stop], max_fpr)
    partial = _trapezoid(fpr, tpr)
    min_area = 0.5 * max_fpr**2
    max_area = max_fpr
    return 0.5 * (1 + (partial - min_area) / (max_area - min_area))


def _auc_column(y, score, sample_weight, max_fpr, typed=None):
    """scikit-learn's binary ROC AUC of labels ``y``: NaN (with a warning) unless ``y`` holds
    exactly two values, whose positive class is 1 ({0, 1} or {-1, 1} labels)."""
    if typed is None:
        a = target_array(y, "y_true")
        kind, classes = target_type(a, "y_true")
        typed = (a, kind, classes)
    a, kind, classes = typed
    n_classes = len(classes) if classes is not None else len(np.unique(a))
    if n_classes != 2:
        check_finite(np.asarray(score), "y_score")  # refused before anything else
        warnings.warn(
            "Only one class is present in y_true. ROC AUC score is not defined in that case.",
            undefined_metric_warning(),
            stacklevel=3,
        )
        return np.nan
    positive, score, w, _, _ = binary_inputs(a, score, None, sample_weight, typed)
    return _auc_of_mask(positive, score, w, max_fpr)


def _ap_column(y, score, sample_weight, pos_label, typed=None):
    """Average precision of one binary problem: the precision at each threshold weighted by
    the recall gained there (no interpolation), as scikit-learn computes it."""
    from ..kernels import ranking

    positive, score, w, _, _ = binary_inputs(y, score, pos_label, sample_weight, typed)
    if w is None:
        counts = tally(positive, score)
        if counts is not None and counts[1].any():  # few distinct scores
            _, pos, neg = counts
            tp, fp = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])
            terms = pos[::-1] * (tp / (tp + fp))
            return float(max(0.0, np.add.accumulate(terms)[-1] / tp[-1]))
        pos, neg = (None, None) if counts is not None else sorted_by_class(positive, score)
        if pos is not None and len(pos) > 2:  # the scores and one spare slot at each end
            return float(max(0.0, ranking.ap_sorted(pos, neg, *split_point(pos, neg))))
        warnings.warn(
            "No positive class found in y_true, recall is set to one for all thresholds.",
            UserWarning,
            stacklevel=3,
        )
        return 0.0
    precision, recall, _ = precision_recall_curve(positive, score, sample_weight=w)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


# ---------------------------------------------------------------------------- averaging ---


def average_columns(metric, y, score, average, sample_weight):
    """``metric(y_c, score_c, weights)`` per column of a label indicator matrix (per row for
    ``average="samples"``, over the flattened matrices for "micro"), averaged as scikit-learn
    averages binary metrics; ``average=None`` returns the per-column scores."""
    sw = None if sample_weight is None else np.asarray(sample_weight)
    lengths(y_true=y, y_score=score, sample_weight=sw if sw is not None and sw.ndim else None)
    if score.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {score.ndim}D array instead: y_score of shape "
            f"{score.shape} (one column of scores per label)"
        )
    if y.ndim != 2 or y.shape[1] < score.shape[1]:
        raise ValueError(
            f"y_true has shape {y.shape} but y_score has {score.shape[1]} columns (one per label)"
        )
    check_finite(score, "y_score")
    axis = 1
    score_weight = sw
    average_weight = None
    if average == "micro":
        if score_weight is not None:
            score_weight = np.repeat(score_weight, y.shape[1])
        y, score = y.ravel(), score.ravel()
        return metric(y, score, score_weight)
    if average == "weighted":
        if score_weight is not None:
            average_weight = (y.astype(score_weight.dtype) * score_weight.reshape(-1, 1)).sum(0)
        else:
            average_weight = y.sum(axis=0)
        if np.isclose(average_weight.sum(), 0):
            return 0  # scikit-learn's result (an int) when no label has any weight
    elif average == "samples":
        average_weight, score_weight, axis = score_weight, None, 0
    n_out = score.shape[axis]
    scores = np.zeros(n_out)
    for c in range(n_out):
        if axis == 1:
            scores[c] = metric(y[:, c], score[:, c], score_weight)
        else:
            scores[c] = metric(y[c, :], score[c, :], score_weight)
    if average is None:
        return scores
    if average_weight is not None:
        scores[average_weight == 0] = 0  # a label without weight adds nothing, NaN included
    try:
        return float(np.average(scores, weights=average_weight))
    except ZeroDivisionError:
        raise ZeroWeightsError(
            "sample_weight sums to zero: the per-sample scores cannot be averaged"
        ) from None


def _one_hot(codes, k):
    out = np.zeros((len(codes), k), np.int64)
    out[np.arange(len(codes)), codes] = 1
    return out


def _class_codes(y, classes):
    """Index of each label of ``y`` in the sorted ``classes`` (every label is one of them)."""
    return np.searchsorted(classes, y).astype(np.int64)


# ---------------------------------------------------------------------- public functions ---


def _check_max_fpr(max_fpr):
    if max_fpr is None:
        return None
    if (
        isinstance(max_fpr, (bool, np.bool_))
        or not isinstance(max_fpr, numbers.Real)
        or not 0 < max_fpr <= 1
    ):
        raise ValueError(f"max_fpr must be a real number in (0, 1] or None; got {max_fpr!r}")
    return max_fpr


def _scores(y_score, y):
    """Scores as roc_auc_score checks them: numeric, 1-d or 2-d, not empty (finite: checked
    where they are read, by the split of a binary problem or by :func:`average_columns`)."""
    score = score_array(y_score)
    if score.ndim > 2:
        raise ValueError(
            f"Found array with dim {score.ndim}, while dim <= 2 is required (y_score)."
        )
    if score.ndim == 0 or score.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={score.shape}) while a minimum of 1 is "
            "required (y_score)."
        )
    return score


def roc_auc_score(
    y_true,
    y_score,
    *,
    average="macro",
    sample_weight=None,
    max_fpr=None,
    multi_class="raise",
    labels=None,
):
    """Area under the ROC curve: the probability that a random positive outranks a random
    negative (ties count one half).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Binary or multiclass labels, or a label indicator matrix (multilabel).
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Binary: the score of the greater label. Multiclass: probabilities summing to 1 per
        row, columns in the order of ``labels`` (else of the sorted labels). Multilabel: one
        column per label.
    average : {"macro", "weighted", "micro", "samples", None}, default "macro"
        How per-label areas are averaged (ignored for binary targets); None returns them.
    sample_weight : array-like of shape (n_samples,), optional
    max_fpr : float in (0, 1], optional
        Binary only: the standardized partial area over false positive rates [0, max_fpr]
        (McClish's correction).
    multi_class : {"raise", "ovr", "ovo"}, default "raise"
        Multiclass targets: one-vs-rest, or one-vs-one (Hand & Till's average over pairs).
    labels : array-like of shape (n_classes,), optional
        Multiclass: the classes of the columns of ``y_score``, sorted.

    Returns
    -------
    float, or ndarray of float64 per label when ``average=None``
        NaN (with an ``UndefinedMetricWarning``) for a binary target with one class only.

    Examples
    --------
    >>> from fastinit.metrics import roc_auc_score
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> y_prob = [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3],
    ...           [0.2, 0.2, 0.6]]
    >>> roc_auc_score([0, 1, 2, 1, 1], y_prob, multi_class="ovr")
    0.875
    >>> roc_auc_score([0, 1, 2, 1, 1], y_prob, multi_class="ovo")
    np.float64(0.8889)
    """
    refuse_sparse("roc_auc_score", y_true=y_true, y_score=y_score)
    average = check_option(average, "average", _AVERAGES)
    check_weight_shape(sample_weight)
    max_fpr = _check_max_fpr(max_fpr)
    multi_class = check_option(multi_class, "multi_class", ("raise", "ovr", "ovo"))
    labels = check_labels(labels)
    y = target_array(y_true, "y_true")
    y_type, classes = target_type(y, "y_true")
    if y.ndim == 0 or y.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={y.shape}) while a minimum of 1 is "
            "required (y_true)."
        )
    score = _scores(y_score, y)
    if y_type == "multiclass" or (y_type == "binary" and score.ndim == 2 and score.shape[1] > 2):
        check_finite(score, "y_score")
        if max_fpr is not None and max_fpr != 1.0:
            raise ValueError(
                "Partial AUC computation not available in multiclass setting, 'max_fpr' must "
                f"be set to `None`, received `max_fpr={max_fpr}` instead"
            )
        if multi_class == "raise":
            raise ValueError("multi_class must be in ('ovo', 'ovr')")
        return _multiclass_auc(y.reshape(-1), score, labels, multi_class, average, sample_weight)
    if y_type == "binary":
        flat = y.reshape(-1)
        positive = flat == classes[-1] if len(classes) == 2 else np.zeros(len(flat), bool)
        kind = "binary"
        typed = (positive, kind, _BINARY if len(classes) == 2 else _BINARY[:1])
        return _auc_column(positive, score, sample_weight, max_fpr, typed)
    if y_type != "multilabel-indicator":
        raise ValueError(f"{y_type} format is not supported (y_true)")

    def metric(yc, sc, w):
        return _auc_column(yc, sc, w, max_fpr)

    return average_columns(metric, y, score, average, sample_weight)


def _multiclass_auc(y, score, labels, multi_class, average, sample_weight):
    """One-vs-rest or one-vs-one ROC AUC of multiclass labels, scikit-learn's checks first."""
    if score.ndim != 2:
        raise ValueError(
            "`y_score` needs to be of shape `(n_samples, n_classes)`, since `y_true` contains "
            f"multiple classes. Got `y_score.shape={score.shape}`."
        )
    if not np.allclose(1, score.sum(axis=1)):
        raise ValueError(
            "Target scores need to be probabilities for multiclass roc_auc, i.e. they should "
            "sum up to 1.0 over classes (y_score)"
        )
    options = ("macro", "weighted", None)
    if multi_class == "ovr":
        options = ("micro",) + options
    if average not in options:
        raise ValueError(f"average must be one of {options} for multiclass problems")
    if average is None and multi_class == "ovo":
        raise OvoAverageError("average=None is not implemented for multi_class='ovo'.")
    if labels is not None:
        try:
            classes = np.unique(labels)
            missing = len(np.setdiff1d(y, classes))
        except TypeError:
            raise TypeError(
                "labels and y_true mix label types that cannot be compared (e.g. str and int)"
            ) from None
        if len(classes) != len(labels):
            raise ValueError("Parameter 'labels' must be unique")
        if not np.array_equal(classes, labels):
            raise ValueError("Parameter 'labels' must be ordered")
        if len(classes) != score.shape[1]:
            raise ValueError(
                f"Number of given labels, {len(classes)}, not equal to the number of columns "
                f"in 'y_score', {score.shape[1]}"
            )
        if missing:
            raise ValueError("'y_true' contains labels not in parameter 'labels'")
    else:
        classes = np.unique(y)
        if len(classes) != score.shape[1]:
            raise ValueError(
                "Number of classes in y_true not equal to the number of columns in 'y_score'"
            )
    if multi_class == "ovo":
        if sample_weight is not None:
            raise ValueError(
                "sample_weight is not supported for multiclass one-vs-one ROC AUC, "
                "'sample_weight' must be None in this case."
            )
        lengths(y_true=y, y_score=score)
        return _ovo(_class_codes(y, classes), score, average)
    codes = _class_codes(y, classes)
    lengths(y_true=y, y_score=score, sample_weight=sized(sample_weight))
    w = None if sample_weight is None else float_weights(sample_weight, len(y))
    return average_columns(
        lambda yc, sc, wc: _auc_column(yc, sc, wc, None),
        _one_hot(codes, len(classes)),
        score,
        average,
        w,
    )


def _ovo(codes, score, average):
    """Hand & Till's multiclass AUC: per pair of classes present, the mean of the two areas
    (each class of the pair scored by its own column against the other class), averaged
    over pairs (weighted by the pair's share of samples for ``average="weighted"``)."""
    present = np.unique(codes)
    n_pairs = len(present) * (len(present) - 1) // 2
    pair_scores = np.empty(n_pairs)
    prevalence = np.empty(n_pairs) if average == "weighted" else None
    for ix, (a, b) in enumerate(combinations(present, 2)):
        a_mask = codes == a
        b_mask = codes == b
        ab = a_mask | b_mask
        if prevalence is not None:
            prevalence[ix] = np.average(ab)
        a_auc = _auc_of_mask(a_mask[ab], np.ascontiguousarray(score[ab, a]), None, None)
        b_auc = _auc_of_mask(b_mask[ab], np.ascontiguousarray(score[ab, b]), None, None)
        pair_scores[ix] = (a_auc + b_auc) / 2
    return np.average(pair_scores, weights=prevalence)


def average_precision_score(y_true, y_score, *, average="macro", pos_label=1, sample_weight=None):
    """Average precision: the precision at each threshold weighted by the recall gained there.

    Not interpolated (unlike the trapezoid rule on the precision-recall curve):
    ``AP = sum_n (R_n - R_{n-1}) P_n`` over the thresholds, from the highest.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Binary labels, a label indicator matrix, or multiclass labels (one-vs-rest).
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Scores of the positive class (one column per label or class).
    average : {"macro", "weighted", "micro", "samples", None}, default "macro"
        How per-label scores are averaged (ignored for binary targets); None returns them.
    pos_label : int, float, bool or str, default 1
        The positive class of binary targets (fixed to 1 otherwise).
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float, or ndarray of float64 per label when ``average=None``

    Examples
    --------
    >>> from fastinit.metrics import average_precision_score
    >>> average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.8333333333333333
    >>> average_precision_score(["no", "yes", "yes"], [0.2, 0.9, 0.4], pos_label="yes")
    1.0
    """
    refuse_sparse("average_precision_score", y_true=y_true, y_score=y_score)
    average = check_option(average, "average", _AVERAGES)
    check_pos_label(pos_label)
    if pos_label is None:
        raise ValueError("pos_label must be an int, float, bool or str (1 by default), got None")
    check_weight_shape(sample_weight)
    y = target_array(y_true, "y_true")
    y_type, classes = target_type(y, "y_true")
    present = classes  # known for binary and multiclass targets, the ones it is used for
    score = score_array(y_score)
    typed = None
    if y_type == "binary":
        if len(present) == 2 and not (present == pos_label).any():
            raise ValueError(
                f"pos_label={pos_label} is not a valid label. It should be one of {present}"
            )
        typed = (y, y_type, classes)
    elif y_type == "multilabel-indicator" and pos_label != 1:
        raise ValueError(
            "Parameter pos_label is fixed to 1 for multilabel-indicator y_true. Do not set "
            "pos_label or set pos_label to 1."
        )
    elif y_type == "multiclass":
        if pos_label != 1:
            raise ValueError(
                "Parameter pos_label is fixed to 1 for multiclass y_true. Do not set pos_label "
                "or set pos_label to 1."
            )
        y = _one_hot(_class_codes(y.reshape(-1), present), len(present))
        if score.shape != y.shape:
            raise ValueError(
                "`y_score` needs to be of shape `(n_samples, n_classes)`, since `y_true` "
                f"contains multiple classes. Got `y_score.shape={score.shape}`."
            )
        y_type = "multilabel-indicator"
    if y_type == "binary":
        return _ap_column(y, score, sample_weight, pos_label, typed)
    if y_type != "multilabel-indicator":
        raise ValueError(f"{y_type} format is not supported (y_true)")

    def metric(yc, sc, w):
        return _ap_column(yc, sc, w, pos_label)

    return average_columns(metric, y, score, average, sample_weight)
