"""Inputs of the probabilistic losses (log_loss, brier_score_loss): probabilities, one-hot
targets as scikit-learn's LabelBinarizer makes them, and the one-pass binary sums.

Binary problems (a 1-d column of probabilities of the positive class, 1-d labels) are read
once by :func:`binary_sums` (:mod:`fastinit.kernels.losses`): per label value met, the loss
summed as if that value were the positive class and as if it were the negative one, plus the
range of the probabilities. The caller decides afterwards which label is positive, so the
labels never have to be sorted or compared twice. Everything else (several columns of
probabilities, float16, label indicator targets) is computed with NumPy on the (n, k) one-hot
targets, operation for operation as scikit-learn does.
"""

import warnings

import numpy as np

from ._exceptions import NotNumericError
from ._inputs import array_like
from ._parallel import MIN_PART, thread_parts
from ._rank_inputs import (
    kernel_labels,
    non_finite_error,
    target_array,
    target_type,
)

_LOSS_TASK = 1 << 16  # samples per task of the loss kernels (a multiple of their blocks)


def proba_array(y_proba, name="y_proba"):
    """Probabilities as scikit-learn's ``check_array`` gives them to the losses: float64,
    float32 or float16 (other numbers become float64), 1-d or 2-d, not empty, finite."""
    if y_proba is None:
        raise ValueError(f"{name} must be array-like, got None")
    a = array_like(y_proba, name)
    if a.dtype.kind == "c":
        raise NotNumericError(f"Complex data not supported: {name} has dtype {a.dtype}")
    if a.dtype.kind != "f":
        # other numbers, and strings of numbers, as scikit-learn's conversion takes them
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            raise NotNumericError(f"{name} must hold probabilities, got dtype {a.dtype}") from None
    elif not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if a.ndim == 0:
        raise ValueError(f"Expected a 1-d or 2-d array of probabilities, got a scalar ({name})")
    if a.ndim > 2:
        raise ValueError(f"Found array with dim {a.ndim}, while dim <= 2 is required ({name}).")
    if a.shape[0] == 0 or (a.ndim == 2 and a.shape[1] == 0):
        raise ValueError(
            f"Found array with 0 sample(s) (shape={a.shape}) while a minimum of 1 is required "
            f"({name})."
        )
    return a


def check_range(p, pmin, pmax, low_word):
    """scikit-learn's refusal of probabilities outside [0, 1] (``low_word``: "lower" for
    log_loss, "less" for brier_score_loss, as scikit-learn words them)."""
    if pmax > 1:
        raise ValueError(f"y_prob contains values greater than 1: {p.dtype.type(pmax)} (y_proba)")
    if pmin < 0:
        raise ValueError(
            f"y_prob contains values {low_word} than 0: {p.dtype.type(pmin)} (y_proba)"
        )


# -------------------------------------------------------------------- one pass, binary ---


def binary_sums(y, p, w, mode):
    """One pass over labels ``y`` (1-d numbers) and probabilities ``p`` (1-d float32/64).

    Returns ``None`` when ``y`` holds three or more values (or a NaN) or a probability is not
    in [0, 1] (the NumPy path then raises the error scikit-learn raises), else a dict with
    ``values`` (the distinct labels, sorted), ``pos`` and ``neg`` (per value, the loss summed
    as if it were the positive, resp. negative class) and ``weight`` (the total weight).
    """
    from .. import _threads
    from ..kernels import losses

    n = len(y)
    ntasks = max(1, -(-n // _LOSS_TASK))
    vals = np.empty((ntasks, 2), y.dtype)
    counts = np.empty(ntasks, np.int64)
    sums = np.empty((ntasks, losses.N_SUMS))
    outside = np.zeros(ntasks, np.int64)
    kernel = losses.log_tasks if mode == losses.LOG else losses.brier_tasks
    one = p.dtype.type(1)
    eps = p.dtype.type(np.finfo(p.dtype).eps)
    threads = thread_parts(n, MIN_PART)
    grain = _threads.grain_for(ntasks, threads)
    _threads.run(
        kernel, ntasks, y, p, w, one, eps, _LOSS_TASK, vals, counts, sums, outside,
        grain=grain, threads=threads,
    )  # fmt: skip
    if (counts > 2).any() or outside.any():
        return None
    found = {}  # value -> [pos, neg], summed in task order
    for k in range(ntasks):
        slots = ((vals[k, 0], losses.POS0, losses.NEG0), (vals[k, 1], losses.POS1, losses.NEG1))
        for value, ip, ineg in slots[: counts[k]]:
            acc = found.setdefault(value.item(), [0.0, 0.0])
            acc[0] += sums[k, ip]
            acc[1] += sums[k, ineg]
    if len(found) > 2:
        return None
    values = np.array(sorted(found), dtype=y.dtype)
    return {
        "values": values,
        "pos": np.array([found[v.item()][0] for v in values]),
        "neg": np.array([found[v.item()][1] for v in values]),
        "weight": float(sums[:, losses.WSUM].sum()),
    }


def loss_labels(y):
    """(labels the loss kernels can read, the class of each of their values or None): numbers
    as they are (bool as uint8, float16 as float32), strings as codes into their sorted
    classes."""
    if y.dtype.kind in "iuf" and y.dtype.itemsize <= 8:
        return kernel_labels(y), None
    if y.dtype.kind == "b":
        return kernel_labels(y), np.array([False, True])
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError:  # labels that cannot be sorted: the NumPy path refuses them
        return None, None
    if classes.dtype.kind == "O" and not all(isinstance(c, str) for c in classes):
        return None, None  # objects other than strings: the NumPy path decides
    return codes.reshape(-1).astype(np.int64), classes


# ----------------------------------------------------------------------- one-hot targets ---


def _unique_sorted(labels):
    try:
        return np.unique(labels)
    except TypeError:
        raise ValueError("Mix of label input types (string and number) in labels") from None


def _all_in(y, labels):
    try:
        return bool(np.isin(y, labels).all())
    except TypeError:  # labels of kinds NumPy cannot sort together (str and int)
        return False


def _check_binarizable(y, kind, name):
    """scikit-learn's refusals of targets (or labels) its LabelBinarizer cannot take (``y``:
    as given, shown as scikit-learn shows it)."""
    if kind.endswith("multioutput"):
        raise ValueError(
            f"Multioutput target data is not supported with label binarization ({name})"
        )
    if kind not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(
            f"Unknown label type: {(y,)!r} ({name} is {kind}: class labels are needed)"
        )


def label_classes(y_true, labels, raw_labels):
    """(classes, y_true as an array, its type): the sorted classes a LabelBinarizer fitted on
    ``labels`` (or on ``y_true``) would have, with scikit-learn's checks and warnings."""
    y = target_array(y_true, "y_true")
    kind, y_classes = target_type(y, "y_true")
    if labels is None:
        _check_binarizable(y_true, kind, "y_true")
    if y.shape[0] == 0:
        raise ValueError(f"y_true has 0 samples: {y!r}")
    if labels is not None:
        # scikit-learn fits its LabelBinarizer on the labels, checks y_true against them, and
        # then binarizes y_true, which must be of the labels' type
        _check_binarizable(raw_labels, target_type(labels, "labels")[0], "labels")
        classes = _unique_sorted(labels)
        if len(classes) != len(labels) or not (classes == labels).all():
            warnings.warn(
                f"Labels passed were {raw_labels}. But this function assumes labels are "
                "ordered lexicographically. Pass the ordered labels="
                f"{classes.tolist()} and ensure that the columns of y_prob correspond to this "
                "ordering.",
                UserWarning,
                stacklevel=4,
            )
        if not _all_in(y, labels):
            if y.ndim == 2:  # scikit-learn's set of the rows fails
                raise TypeError(
                    "unhashable type: 'numpy.ndarray' (y_true is 2-d: its values are not all "
                    f"among the passed labels {raw_labels})"
                )
            try:
                undeclared = set(y_true) - set(raw_labels)
            except TypeError:
                undeclared = {v for v in y.reshape(-1).tolist() if v not in labels.tolist()}
            raise ValueError(
                f"y_true contains values {undeclared} not belonging to the passed labels "
                f"{raw_labels}."
            )
        if kind == "multilabel-indicator":
            raise ValueError(
                "The object was not fitted with multilabel input. (y_true is a label "
                "indicator matrix: pass labels=None)"
            )
        _check_binarizable(y_true, kind, "y_true")
    elif kind == "multilabel-indicator":
        classes = np.arange(y.shape[1])
    else:
        classes = y_classes if y_classes is not None else _unique_sorted(y.reshape(-1))
    if len(classes) == 1:
        if labels is None:
            raise ValueError(
                f"y_true contains only one label ({classes[0]}). Please provide the list of "
                "all expected class labels explicitly through the labels argument."
            )
        raise ValueError(f"The labels array needs to contain at least two labels, got {classes}.")
    return classes, y, kind


def one_hot(y, kind, classes):
    """The (n, k) int64 targets: one column per class (two for binary problems)."""
    if kind == "multilabel-indicator":
        return (y != 0).astype(np.int64)
    flat = y.reshape(-1)
    if len(classes) == 2:
        t = (flat == classes[1]).astype(np.int64)
        return np.stack([1 - t, t], axis=1)
    codes = np.searchsorted(classes, flat)
    out = np.zeros((len(flat), len(classes)), np.int64)
    out[np.arange(len(flat)), codes] = 1
    return out


def two_columns(p):
    """Probabilities of shape (n, k): a 1-d or one-column ``p`` becomes ``[1 - p, p]``."""
    if p.ndim == 1:
        p = p[:, None]
    if p.shape[1] == 1:
        p = np.concatenate([1 - p, p], axis=1)
    return p


def check_classes(classes, p, labels, t_columns):
    """scikit-learn's refusal of probabilities with another number of columns than classes."""
    if len(classes) == p.shape[1]:
        return
    if labels is None:
        raise ValueError(
            f"y_true and y_prob contain different number of classes: {t_columns} vs "
            f"{p.shape[1]}. Please provide the true labels explicitly through the labels "
            f"argument. Classes found in y_true: {classes}"
        )
    raise ValueError(
        "The number of classes in labels is different from that in y_prob. Classes found in "
        f"labels: {classes}"
    )


def warn_not_normalized(p):
    eps = np.finfo(p.dtype).eps
    if not np.isclose(p.sum(axis=1), 1, rtol=np.sqrt(eps)).all():
        warnings.warn(
            "The y_prob values do not sum to one. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=4,
        )


def check_proba_finite(p, name="y_proba"):
    if not np.isfinite(p).all():
        raise non_finite_error(p, name)
