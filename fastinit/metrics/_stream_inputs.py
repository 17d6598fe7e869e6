"""Checks of what the accumulators are given besides batches: fixed label sets, whole matrices.

A batch goes through the same checks as a one-shot call (:mod:`._inputs`, :mod:`._counts`);
this module checks the arguments that only :class:`~fastinit.metrics.ConfusionMatrix` takes.
"""

import numpy as np

from .._checks import fits_in_memory
from ._inputs import array_like, label_kind

_INT64_MAX = np.iinfo(np.int64).max


def state_fits(k, name):
    """Refuse, before anything is allocated, a label set whose (k, k) state cannot fit."""
    # the int64 matrix, and the new one an update builds before it replaces the old
    fits_in_memory(
        2 * k * k * 8, name, f"a ({k:,}, {k:,}) int64 confusion matrix (and its copy in updates)"
    )


def fixed_labels(labels):
    """A fixed label set as a 1-d array of unique numbers or strings (ValueError/TypeError)."""
    arr = array_like(labels, "labels").reshape(-1)
    if arr.size == 0:
        raise ValueError("labels must contain at least one label")
    if arr.dtype.kind not in "biufUSO" or label_kind(arr) is None:
        raise TypeError(
            f"labels must be all numbers or all strings (sortable class labels), got {labels!r}"
        )
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"labels must be finite, got {arr}")
    state_fits(arr.size, "labels")
    try:
        unique = len(np.unique(arr)) == len(arr)
    except TypeError:
        raise TypeError(f"labels must be sortable class labels, got {labels!r}") from None
    if not unique:
        raise ValueError("labels must be unique")
    return arr


def count_matrix(matrix):
    """A confusion matrix computed elsewhere, checked: square (K, K) with K >= 1, non-negative
    and finite; returned as a new int64 array (integer counts) or float64 array (weighted)."""
    m = array_like(matrix, "matrix")
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be a square (K, K) array of counts, got shape {m.shape}")
    if m.shape[0] == 0:
        raise ValueError("matrix must have at least one row and column (one class), got (0, 0)")
    if m.dtype.kind not in "iuf":
        raise TypeError(
            f"matrix must hold counts (integers, or floats when weighted), got dtype {m.dtype}"
        )
    if m.dtype.kind == "f":
        if not np.isfinite(m).all():
            raise ValueError("matrix must be finite, got NaN or infinity")
        m = m.astype(np.float64)
    else:
        if m.dtype == np.uint64 and m.max() > _INT64_MAX:
            raise ValueError(f"matrix counts must fit int64, got {m.max()}")
        m = m.astype(np.int64)
    if (m < 0).any():
        raise ValueError(f"matrix must be non-negative (counts or weights), got {m.min()}")
    return m


def check_label_count(n, k):
    """Refuse ``n`` labels for a (k, k) matrix."""
    if n != k:
        raise ValueError(
            f"labels has {n} labels but matrix is {k} x {k}: one label per row and column"
        )
