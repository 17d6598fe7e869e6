"""classification_report (text and dict) and top_k_accuracy_score."""

import numbers
import warnings

import numpy as np

from .._checks import fits_in_memory
from . import _averaging as avg
from ._counts import build
from ._exceptions import UndefinedMetricWarning, ZeroWeightsError
from ._inputs import as_weights, label_array, target_kind
from ._precision_recall import prfs_from

__all__ = ["classification_report", "top_k_accuracy_score"]

_HEADERS = ["precision", "recall", "f1-score", "support"]
_MAX_DIGITS = 2**31 - 1  # Python's largest format precision


def report_from(
    counts, *, labels=None, target_names=None, digits=2, output_dict=False, zero_division="warn"
):
    """classification_report from counts."""
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or digits < 0:
        raise ValueError(f"digits must be an int >= 0, got {digits!r}")
    output_dict = avg.check_bool(output_dict, "output_dict")
    labels = avg.check_labels(labels)
    if target_names is not None:
        try:
            names = np.asarray(target_names)
        except (TypeError, ValueError):
            names = None
        if names is None or names.ndim != 1:
            raise TypeError(f"target_names must be a list of names, got {target_names!r}")
    labels_given = labels is not None
    labels = counts.classes if labels is None else np.asarray(labels)
    micro_is_accuracy = not counts.multilabel and (
        not labels_given or set(labels.tolist()) >= set(counts.classes.tolist())
    )
    if target_names is not None and len(labels) != len(target_names):
        if labels_given:
            warnings.warn(
                f"labels size, {len(labels)}, does not match size of target_names, "
                f"{len(target_names)}",
                UserWarning,
                stacklevel=3,
            )
        else:
            raise ValueError(
                f"Number of classes, {len(labels)}, does not match size of target_names, "
                f"{len(target_names)}. Try specifying the labels parameter"
            )
    if target_names is None:
        target_names = ["%s" % label for label in labels]  # noqa: UP031 (numpy scalars)
    if not output_dict:
        # every number of the text takes ``digits`` characters, and every line ``width`` more:
        # a huge ``digits`` is refused here instead of building gigabytes of text
        if digits > _MAX_DIGITS:
            raise ValueError(f"digits must be at most {_MAX_DIGITS}, got {digits}")
        lines = len(labels) + 4
        fits_in_memory(lines * 5 * (digits + 12), "digits", f"a report with {digits} digits")
    p, r, f1, s = prfs_from(counts, labels=labels, average=None, zero_division=zero_division)
    rows = list(zip(target_names, p, r, f1, s, strict=True))
    averages = ("micro", "macro", "weighted") + (("samples",) if counts.multilabel else ())
    if output_dict:
        report = {
            row[0]: dict(zip(_HEADERS, [float(v) for v in row[1:]], strict=True)) for row in rows
        }
    else:
        width = max(max((len(n) for n in target_names), default=0), len("weighted avg"), digits)
        text = f"{'':>{width}s} " + "".join(f" {h:>9}" for h in _HEADERS) + "\n\n"
        for name, *vals, sup in rows:
            text += f"{name:>{width}s} " + "".join(f" {v:>9.{digits}f}" for v in vals)
            text += f" {sup:>9}\n"
        text += "\n"
    for average in averages:
        heading = "accuracy" if average == "micro" and micro_is_accuracy else average + " avg"
        ap, ar, af, _ = prfs_from(
            counts, labels=labels, average=average, zero_division=zero_division
        )
        total = np.sum(s)
        if output_dict:
            report[heading] = dict(
                zip(_HEADERS, [float(ap), float(ar), float(af), float(total)], strict=True)
            )
        elif heading == "accuracy":
            text += f"{heading:>{width}s} " + f" {'':>9.{digits}}" * 2
            text += f" {af:>9.{digits}f} {total:>9}\n"
        else:
            text += f"{heading:>{width}s} " + "".join(f" {v:>9.{digits}f}" for v in (ap, ar, af))
            text += f" {total:>9}\n"
    if output_dict:
        if "accuracy" in report:
            report["accuracy"] = report["accuracy"]["precision"]
        return report
    return text


def classification_report(
    y_true,
    y_pred,
    *,
    labels=None,
    target_names=None,
    sample_weight=None,
    digits=2,
    output_dict=False,
    zero_division="warn",
):
    """Text (or dict) summary of precision, recall, F1 and support per class and averaged.

    The text is character for character the one scikit-learn prints.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
    labels : array-like, optional
        Classes to report.
    target_names : list of str, optional
        Display names of the classes.
    sample_weight : array-like of shape (n_samples,), optional
    digits : int, default 2
        Digits of the floats in the text.
    output_dict : bool, default False
        Return a dict ``{class: {"precision": ..., ...}, "accuracy": ..., ...}`` instead.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default "warn"

    Returns
    -------
    str or dict

    Examples
    --------
    >>> from fastinit.metrics import classification_report
    >>> print(classification_report([0, 1, 2, 2], [0, 1, 1, 2]))
                  precision    recall  f1-score   support
    <BLANKLINE>
               0       1.00      1.00      1.00         1
               1       0.50      1.00      0.67         1
               2       1.00      0.50      0.67         2
    <BLANKLINE>
        accuracy                           0.75         4
       macro avg       0.83      0.83      0.78         4
    weighted avg       0.88      0.75      0.75         4
    <BLANKLINE>
    """
    counts = build(y_true, y_pred, sample_weight)
    return report_from(
        counts,
        labels=labels,
        target_names=target_names,
        digits=digits,
        output_dict=output_dict,
        zero_division=zero_division,
    )


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

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.metrics import top_k_accuracy_score
    >>> y_score = np.array([[0.5, 0.2, 0.2], [0.3, 0.4, 0.2], [0.2, 0.4, 0.3], [0.7, 0.2, 0.1]])
    >>> top_k_accuracy_score([0, 1, 2, 2], y_score, k=2)
    0.75
    """
    from ..kernels.confusion import top_k_hits

    yt = label_array(y_true, "y_true")
    if yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt.reshape(-1)
    if yt.ndim != 1:
        raise ValueError(f"y_true must be 1-d, got shape {yt.shape}")
    target_kind(yt, "y_true")  # rejects NaN and non-integral floats
    score = np.asarray(y_score)
    if score.dtype.kind not in "iufb":
        raise TypeError(f"y_score must be numeric, got dtype {score.dtype}")
    score = score.astype(np.float64)
    if score.ndim not in (1, 2):
        raise ValueError(f"y_score must be 1-d or 2-d, got shape {score.shape}")
    normalize = avg.check_bool(normalize, "normalize")
    labels = avg.check_labels(labels)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    if len(score) != len(yt):
        raise ValueError(f"y_true and y_score have different lengths: {len(yt)} != {len(score)}")
    # all-zero weights: scikit-learn raises only where it normalizes (ZeroDivisionError)
    w = as_weights(sample_weight, len(yt), zero_ok=True)
    classes = np.unique(yt)
    binary = len(classes) <= 2 and not (labels is not None and len(labels) > 2)
    if binary:
        if score.ndim == 2 and score.shape[1] != 1:
            raise ValueError(
                f"`y_true` is binary while y_score is 2d with {score.shape[1]} classes. If "
                "`y_true` does not contain all the labels, `labels` must be provided."
            )
        score = score.reshape(-1)
    elif score.ndim != 2:
        raise ValueError(
            "`y_score` needs to be of shape `(n_samples, n_classes)`, since `y_true` contains "
            f"multiple classes. Got `y_score.shape={score.shape}`."
        )
    n_score = score.shape[1] if score.ndim == 2 else 2
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
        if len(np.setdiff1d(yt, classes)):
            raise ValueError("'y_true' contains labels not in parameter 'labels'.")
    if k >= len(classes):
        warnings.warn(
            f"'k' ({k}) greater than or equal to 'n_classes' ({len(classes)}) will result in "
            "a perfect score and is therefore meaningless.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    codes = np.searchsorted(classes, yt).astype(np.int64)
    if binary:
        if k == 1:
            threshold = 0.5 if score.min() >= 0 and score.max() <= 1 else 0
            hits = (score > threshold).astype(np.int64) == codes
        else:
            hits = np.ones(len(score), bool)
    else:
        hits = top_k_hits(np.ascontiguousarray(score), codes, np.int64(k))
    if normalize:
        try:
            return float(np.average(hits, weights=w))
        except ZeroDivisionError:
            raise ZeroWeightsError(
                "sample_weight sums to zero: the accuracy cannot be normalized"
            ) from None
    if w is None:
        return float(np.sum(hits))
    return float(np.dot(hits, w))
