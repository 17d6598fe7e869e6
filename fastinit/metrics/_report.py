"""classification_report: precision, recall, F1 and support per class, as text or a dict."""

import numbers
import warnings

import numpy as np

from .._checks import fits_in_memory
from . import _averaging as avg
from ._counts import build
from ._docstrings import shared_sections
from ._precision_recall import prfs_from

__all__ = ["classification_report"]

_HEADERS = ["precision", "recall", "f1-score", "support"]
_MAX_DIGITS = 2**31 - 1  # Python's largest format precision


def report_from(
    counts, labels=None, target_names=None, digits=2, output_dict=False, zero_division="warn"
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
    # given labels and target names of different lengths (the warning above) pair up as far as
    # both go, as in scikit-learn's report
    rows = list(zip(target_names, p, r, f1, s, strict=False))
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


@shared_sections
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
    {y_labels}
    labels : array-like, optional
        Classes to report.
    target_names : list of str, optional
        Display names of the classes.
    {sample_weight}
    digits : int, default 2
        Digits of the floats in the text.
    output_dict : bool, default False
        Return a dict ``{class: {"precision": ..., ...}, "accuracy": ..., ...}`` instead.
    {zero_division}

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
    return report_from(counts, labels, target_names, digits, output_dict, zero_division)
