"""Metrics of data that arrives in chunks: the statistics of one chunk, and what combines them.

This is the entry point of fastinit.metrics for the scale-out integrations (:mod:`fastinit.dask`,
and any later one): an integration moves chunks and partial results around, while everything
about the metrics (label and weight checks, the kernels, the merge of moments, the result
object) happens here, in the code the in-memory functions use, so the results agree. Nothing
here is public API; an integration imports this module and no other private one.

Partial results: a chunk's confusion counts add up; its moments merge with :func:`merge_stats`.
An empty chunk gives zeros, which both leave alone.
"""

import numpy as np

from ._counts import MAX_CLASSES, count_window
from ._exceptions import ZeroWeightsError
from ._inputs import as_weights, regression_targets
from ._moments import column_moments, merge_stats

__all__ = [
    "MAX_CLASSES",
    "ZeroWeightsError",
    "check_some_weight",
    "confusion_chunk",
    "merge_stats",
    "moments_chunk",
    "regression_stats",
]


def confusion_chunk(t, p, w, num_classes):
    """Dense (K, K) counts of one chunk of integer labels in ``[0, K)`` (checked before the
    kernel runs); int64, or float64 when weighted."""
    t = np.asarray(t).reshape(-1)
    p = np.asarray(p).reshape(-1)
    k = num_classes
    for name, a in (("y_true", t), ("y_pred", p)):
        if a.dtype.kind not in "biu":
            raise TypeError(f"{name} must hold integer labels in [0, num_classes), got {a.dtype}")
        if a.size and (a.min() < 0 or a.max() >= k):
            raise ValueError(f"{name} has labels outside [0, {k}): [{a.min()}, {a.max()}]")
    if t.size == 0:
        return np.zeros((k, k), np.int64 if w is None else np.float64)
    # the kernels take native integers (bool as uint8, uint64 as int64: the labels are < K now)
    t, p = (_native_labels(a) for a in (t, p))
    w = None if w is None else as_weights(np.asarray(w).reshape(-1), t.size, zero_ok=True)
    if w is not None and w.dtype.kind == "i":
        w = w.astype(np.float64)
    return count_window(t, p, w, 0, k)[0]


def _native_labels(a):
    if a.dtype.kind == "b":
        return a.view(np.uint8)
    if a.dtype == np.uint64 or not a.dtype.isnative:
        return a.astype(np.int64)
    return a


def moments_chunk(t, p, w):
    """The statistics array (k, N_STATS) of one chunk of targets, predictions and weights."""
    from ..kernels import moments

    if len(t) == 0:  # all-zero statistics, which every merge leaves alone
        return np.zeros((1 if np.ndim(t) == 1 else np.shape(t)[1], moments.N_STATS))
    yt, yp, ww = regression_targets(t, p, w, zero_ok=True)
    return column_moments(yt, yp, ww, moments.FULL)


def check_some_weight(any_nonzero):
    """Refuse all-zero weights as the in-memory functions do (``any_nonzero``: whether some
    weight of the whole data is not zero, computed by the integration)."""
    if not bool(np.asarray(any_nonzero).reshape(-1)[0]):
        raise ZeroWeightsError(
            "sample_weight must contain at least one non-zero number (every weight is 0)"
        )


def regression_stats(stats, n_samples, weighted):
    """A :class:`~fastinit.metrics.RegressionStats` holding the merged ``stats`` of
    ``n_samples`` samples (``weighted``: some sample had a non-zero weight)."""
    from .streaming import RegressionStats

    out = RegressionStats()
    out._stats = stats
    out._n = int(n_samples)
    out._weighted = bool(weighted)
    return out
