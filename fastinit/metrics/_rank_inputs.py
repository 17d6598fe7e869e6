"""Checks shared by the ranking and probabilistic metrics: target types, scores, pos_label.

:func:`target_type` answers as scikit-learn's ``type_of_target`` does ("binary", "multiclass",
"multilabel-indicator", "continuous", ...), with the sorted classes of 1-d targets; 1-d numeric
labels with at most two values take a compiled one-pass path (:func:`fastinit.kernels.ranking.
distinct_tasks`) instead of a sort. :func:`score_array` turns scores into one of the four dtypes
the kernels are compiled for (float64, float32, int64, uint64) without changing a value.
Messages start with scikit-learn's wording where code matches on it, and name the argument.
"""

import numbers

import numpy as np

from ._averaging import check_pos_label
from ._exceptions import NotNumericError, ZeroWeightsError
from ._inputs import array_like, as_weights
from ._parallel import MIN_PART, thread_parts

_LABEL_TASK = 1 << 20  # labels per task of the distinct-value scan


def lengths(**arrays):
    """Refuse arrays of different lengths, in scikit-learn's words plus their names."""
    sizes = {}
    for name, a in arrays.items():
        if a is not None and np.ndim(a) == 0:
            raise ValueError(f"{name} must be an array-like of samples, got the scalar {a!r}")
        if a is not None:
            sizes[name] = len(a)
    if len(set(sizes.values())) > 1:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"{list(sizes.values())} ({', '.join(sizes)})"
        )


def non_finite_error(a, name):
    """The ValueError for an array known to hold NaN or an infinity."""
    a = np.asarray(a)
    what = "NaN" if np.isnan(a).any() else f"infinity or a value too large for {a.dtype!r}"
    return ValueError(f"Input {name} contains {what}.")


def check_finite(a, name):
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        raise non_finite_error(a, name)


# ------------------------------------------------------------------------------ targets ---


def target_array(y, name):
    """``y`` as an ndarray of labels (scipy sparse matrices densified)."""
    if y is None or isinstance(y, (str, bytes)):
        raise ValueError(
            f"Expected array-like (array or non-string sequence), got {y!r} for {name}"
        )
    if hasattr(y, "toarray") and not isinstance(y, np.ndarray):
        y = y.toarray()
    a = array_like(y, name)
    if a.dtype.kind == "S" or (a.dtype.kind == "O" and a.size and isinstance(a.flat[0], bytes)):
        raise TypeError(
            "Support for labels represented as bytes is not supported. Convert the labels to "
            f"a string or integer format ({name})."
        )
    if a.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {a.dtype}")
    if a.dtype.kind in "iuf" and not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def _two_values(y):
    """(sorted distinct values, or None when there are three or more or a NaN) of 1-d numeric
    ``y``, in one compiled pass split into tasks."""
    from .. import _threads
    from ..kernels import ranking

    n = y.size
    ntasks = -(-n // _LABEL_TASK)
    vals = np.empty((ntasks, 2), y.dtype)
    counts = np.empty(ntasks, np.int64)
    threads = thread_parts(n, MIN_PART * 8)
    _threads.run(ranking.distinct_tasks, ntasks, y, _LABEL_TASK, vals, counts, threads=threads)
    if (counts > 2).any():
        return None
    values = np.unique(vals)
    return values if len(values) <= 2 else None


def kernel_labels(y):
    """1-d numeric labels as a contiguous array the kernels are compiled for (bool viewed as
    uint8, float16 widened to float32: equal values stay equal)."""
    if y.dtype.kind == "b":
        y = y.view(np.uint8)
    elif y.dtype == np.float16:
        y = y.astype(np.float32)
    return np.ascontiguousarray(y)


def target_type(a, name):
    """(scikit-learn's type of target ``a``, its sorted classes or None)."""
    if a.ndim not in (1, 2) or (a.ndim == 2 and a.shape[1] == 0):
        return "unknown", None
    if a.size == 0:
        return ("binary", a.reshape(-1)) if a.ndim == 1 else ("unknown", None)
    if a.dtype.kind == "O" and not isinstance(a.flat[0], str):
        return "unknown", None
    column = a.ndim == 1 or a.shape[1] == 1
    if column and a.dtype.kind in "biuf" and a.dtype.itemsize <= 8:
        two = _two_values(kernel_labels(a.reshape(-1)))
        if two is not None and a.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                if not (np.isfinite(two) & (two == two.astype(np.int64))).all():
                    two = None  # the general path below says what it is
        if two is not None:
            return "binary", two.astype(a.dtype, copy=False)
    if not column and a.dtype.kind in "biuf":
        values = np.unique(a)
        integral = a.dtype.kind != "f" or (np.isfinite(values) & (values == values // 1)).all()
        if len(values) < 3 and integral:
            return "multilabel-indicator", None
    suffix = "" if column else "-multioutput"
    if a.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            continuous = (a != a.astype(np.int64)).any()
        if continuous:
            check_finite(a, name)
            return "continuous" + suffix, None
    try:
        classes = np.unique(a.reshape(-1))
    except TypeError as exc:  # Python's words first, as scikit-learn's sort raises them
        raise TypeError(
            f"{exc} ({name} mixes label types that cannot be compared, e.g. str and int)"
        ) from None
    if len(classes) > 2 or not column:
        return "multiclass" + suffix, (classes if column else None)
    return "binary", classes


def resolve_pos_label(pos_label, classes, name="y_true"):
    """``pos_label``, or 1 when it is None and the classes are {0, 1} or {-1, 1} (or one of
    them), as scikit-learn infers it; else the ValueError scikit-learn raises."""
    if pos_label is not None:
        return pos_label
    standard = classes.dtype.kind not in "OUS" and any(
        len(classes) == len(ok) and (classes == np.asarray(ok)).all()
        for ok in ((0, 1), (-1, 1), (0,), (-1,), (1,))
    )
    if not standard:
        shown = ", ".join(repr(c) for c in classes.tolist())
        raise ValueError(
            f"{name} takes value in {{{shown}}} and pos_label is not specified: either make "
            f"{name} take value in {{0, 1}} or {{-1, 1}} or pass pos_label explicitly."
        )
    return 1


# ------------------------------------------------------------------------------- scores ---


def score_array(y_score, name="y_score"):
    """``y_score`` as an ndarray of float64, float32, int64 or uint64 (values unchanged):
    bool and small integers widen to int64, float16 to float32, objects of numbers (and long
    doubles, rounded) convert to float64."""
    if y_score is None:
        raise ValueError(f"{name} must be array-like, got None")
    a = array_like(y_score, name)
    if a.ndim == 0:
        raise ValueError(f"{name} must be an array-like of scores, got the scalar {y_score!r}")
    kind = a.dtype.kind
    if kind == "c":
        raise NotNumericError(f"Complex data not supported: {name} has dtype {a.dtype}")
    if kind == "b" or (kind in "iu" and a.dtype.itemsize < 8):
        return a.astype(np.int64)
    if kind == "i":
        return a if a.dtype.isnative else a.astype(np.int64)
    if kind == "u":  # uint64: past the int64 range it stays uint64 (NumPy sorts it exactly)
        if a.size and a.max() > np.iinfo(np.int64).max:
            return a.astype(np.uint64)
        return a.astype(np.int64)
    if kind == "f":
        if a.dtype == np.float16:
            return a.astype(np.float32)
        if a.dtype.itemsize > 8:  # long double: no kernel is compiled for it
            return a.astype(np.float64)
        return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))
    # objects holding numbers only; strings are refused, even those NumPy would parse
    if kind == "O" and all(isinstance(v, numbers.Real) for v in a.reshape(-1).tolist()):
        return a.astype(np.float64)
    raise NotNumericError(
        f"{name} must hold real numbers, got dtype {a.dtype} ({a.reshape(-1)[:3]} ...)"
    )


def column(a, name):
    """A 1-d view of ``a`` (shape (n,) or (n, 1)), or scikit-learn's ValueError."""
    if a.ndim == 1:
        return a
    if a.ndim == 2 and a.shape[1] == 1:
        return a.reshape(-1)
    raise ValueError(f"y should be a 1d array, got an array of shape {a.shape} instead ({name}).")


def check_weight_shape(sample_weight):
    """Refuse a scalar ``sample_weight`` (scikit-learn takes arrays only here)."""
    if sample_weight is not None and np.ndim(sample_weight) == 0:
        raise ValueError(
            f"sample_weight must be an array-like of shape (n_samples,) or None, got "
            f"{sample_weight!r}"
        )


def weights(sample_weight, n, dtype=None):
    """Validated 1-d weights of length ``n`` (None stays None), as ``dtype`` when given;
    refusals in scikit-learn's words."""
    if sample_weight is None:
        return None
    check_weight_shape(sample_weight)
    w = array_like(sample_weight, "sample_weight")
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.reshape(-1)
    try:
        w = as_weights(w, n)
    except ZeroWeightsError:
        raise ZeroWeightsError(
            "sample_weight: Sample weights must contain at least one non-zero number."
        ) from None
    return w if dtype is None else np.ascontiguousarray(w, dtype=dtype)


def float_weights(sample_weight, n):
    """Validated 1-d float64 weights of length ``n`` (None stays None)."""
    return weights(sample_weight, n, np.float64)


# ------------------------------------------------------------------------ binary problems ---


def binary_target(y_true, pos_label, typed=None):
    """(positive mask, flat y_true, its classes) for a binary curve: y_true must be binary, or
    multiclass with an explicit ``pos_label`` (one class against the rest). ``typed``: the
    (array, type, classes) of y_true when the caller has them already."""
    check_pos_label(pos_label)
    if typed is None:
        y = target_array(y_true, "y_true")
        kind, classes = target_type(y, "y_true")
    else:
        y, kind, classes = typed
    if not (kind == "binary" or (kind == "multiclass" and pos_label is not None)):
        raise ValueError(f"{kind} format is not supported (y_true)")
    if y.shape[0] == 0:
        raise ValueError("y_true is empty: at least 1 sample is required")
    pos_label = resolve_pos_label(pos_label, classes)
    flat = y.reshape(-1)
    if flat.dtype == bool and _is_one(pos_label):
        return flat, flat, classes  # a mask already (the binarized labels of roc_auc_score)
    positive = np.asarray(flat == pos_label)
    if positive.shape != flat.shape:  # a pos_label that NumPy cannot compare with the labels
        positive = np.zeros(flat.shape, bool)
    return positive, flat, classes


def _is_one(value):
    return isinstance(value, numbers.Real) and not isinstance(value, str) and value == 1


def binary_inputs(y_true, y_score, pos_label=None, sample_weight=None, typed=None):
    """Validated (positive mask, scores, float64 weights or None, the scores' dtype as given,
    classes of y_true) of a binary curve, checked in scikit-learn's order (``typed``: see
    :func:`binary_target`)."""
    positive, y, classes = binary_target(y_true, pos_label, typed)
    raw = array_like(y_score, "y_score") if y_score is not None else None
    score = score_array(raw)
    lengths(y_true=y, y_score=score, sample_weight=sized(sample_weight))
    score = column(score, "y_score")
    w = float_weights(sample_weight, len(score))
    return positive, score, w, raw.dtype, classes


def sized(sample_weight):
    """sample_weight for a length check (scalars and None are not checked)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    return w if w.ndim else None
