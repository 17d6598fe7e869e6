"""Divisions, zero_division handling, warnings and averages shared by the set-wise metrics."""

import math
import numbers
import warnings

import numpy as np

from ._exceptions import undefined_metric_warning
from ._inputs import array_like, check_sortable

AVERAGES = (None, "micro", "macro", "weighted", "samples")


def check_zero_division(zero_division):
    """The value substituted on a zero division ("warn" substitutes 0)."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0
    elif isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool):
        z = float(zero_division)
        if math.isnan(z) or z in (0.0, 1.0):
            return z
    raise ValueError(f"zero_division must be 'warn', 0, 1 or np.nan; got {zero_division!r}")


def check_bool(value, name):
    """``value`` as a bool; anything but a Python or NumPy bool is refused (as scikit-learn)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_option(value, name, options):
    """``value`` if it is one of ``options`` (None or strings; arrays never compare)."""
    if not (value is None or isinstance(value, str)) or value not in options:
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_labels(labels, name="labels"):
    """None, or ``labels`` as a 1-d array of numbers or strings."""
    if labels is None:
        return None
    a = array_like(labels, name)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-d, got shape {a.shape}")
    if a.dtype.kind not in "biufUSO":
        raise TypeError(f"{name} must hold class labels (numbers or strings), got dtype {a.dtype}")
    if a.dtype.kind == "O":  # the classes are sorted: refuse here what cannot be ([0, None])
        check_sortable(a, name)
    return a


def check_pos_label(pos_label):
    # scikit-learn's constraint: a real number, a string, a bool or None
    if pos_label is not None and not isinstance(pos_label, (numbers.Real, str, bool, np.bool_)):
        raise TypeError(f"pos_label must be a number, a string or None, got {pos_label!r}")
    return pos_label


def check_average(average, *, allow_binary=True):
    options = AVERAGES + (("binary",) if allow_binary else ())
    if not (average is None or isinstance(average, str)) or average not in options:
        raise ValueError(f"average must be one of {options}; got {average!r}")
    return average


def warn_prf(average, modifier, msg_start, result_size):
    axis0, axis1 = ("label", "sample") if average == "samples" else ("sample", "label")
    where = "due to" if result_size == 1 else f"in {axis1}s with"
    warnings.warn(
        f"{msg_start} ill-defined and being set to 0.0 {where} no {modifier} {axis0}s. "
        "Use `zero_division` parameter to control this behavior.",
        undefined_metric_warning(),
        stacklevel=4,
    )


def prf_divide(numerator, denominator, metric, modifier, average, warn_for, zero_division):
    """numerator / denominator as float64; zero denominators give ``zero_division``."""
    denominator = np.asarray(denominator, dtype=np.float64)
    mask = denominator == 0
    result = np.asarray(numerator, dtype=np.float64) / np.where(mask, 1.0, denominator)
    if not mask.any():
        return result
    result[mask] = check_zero_division(zero_division)
    if isinstance(zero_division, str) and metric in warn_for:
        warn_prf(average, modifier, f"{metric.capitalize()} is", result.shape[0])
    return result


def weighted_mean(a, weights=None):
    """Mean of ``a`` (weighted), falling back to the plain mean when the weights sum to 0."""
    a = np.asarray(a, dtype=np.float64)
    if weights is None:
        return np.mean(a)
    weights = np.asarray(weights, dtype=np.float64)
    scale = weights.sum()
    if scale == 0:
        raise ZeroDivisionError("weights sum to zero")
    return np.sum(a * weights) / scale


def nan_average(a, weights=None):
    """Average ignoring NaN entries (and their weights); all-zero weights mean unweighted."""
    a = np.asarray(a, dtype=np.float64)
    if a.shape[0] == 0:
        return np.nan
    mask = np.isnan(a)
    if mask.all():
        return np.nan
    if weights is None:
        return np.mean(a[~mask])
    a, weights = a[~mask], np.asarray(weights)[~mask]
    try:
        return weighted_mean(a, weights)
    except ZeroDivisionError:
        return weighted_mean(a)


def pos_label_in(classes, pos_label):
    if len(classes) == 0:
        return False
    if isinstance(pos_label, str) != (classes.dtype.kind in "USO"):
        if classes.dtype.kind != "O":
            return False
    try:
        return bool(np.any(classes == pos_label))
    except (TypeError, ValueError):
        return False


def set_wise_labels(counts, average, labels, pos_label):
    """The labels a set-wise metric is computed over (sklearn's binary/pos_label rules)."""
    check_average(average)
    check_pos_label(pos_label)
    labels = check_labels(labels)
    y_type = counts.y_type
    if average == "binary":
        if y_type == "binary":
            present = counts.classes
            if not pos_label_in(present, pos_label) and len(present) >= 2:
                raise ValueError(
                    f"pos_label={pos_label} is not a valid label. It should be one of {present}"
                )
            return [pos_label]
        options = [a for a in AVERAGES if not (y_type == "multiclass" and a == "samples")]
        raise ValueError(
            f"Target is {y_type} but average='binary'. Please choose another average "
            f"setting, one of {options!r}."
        )
    if pos_label not in (None, 1):
        warnings.warn(
            f"Note that pos_label (set to {pos_label!r}) is ignored when average != 'binary' "
            f"(got {average!r}). You may use labels=[pos_label] to specify a single positive "
            "class.",
            UserWarning,
            stacklevel=4,
        )
    return labels
