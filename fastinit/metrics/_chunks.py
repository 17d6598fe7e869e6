"""Metrics of data that arrives in chunks: the statistics of one chunk, and what combines them.

This is the entry point of fastinit.metrics for the scale-out integrations (:mod:`fastinit.dask`,
and any later one): an integration moves chunks and partial results around, while everything
about the metrics (label and weight checks, the kernels, the merge of moments, the result
object) happens here, in the code the in-memory functions use, so the results agree. Nothing
here is public API; an integration imports this module and no other private one.

Partial results: a chunk's dense confusion counts add up; its labels of any kind give a
:class:`~fastinit.metrics.ConfusionMatrix` (:func:`confusion_state`), which merge with
:func:`merge_confusion`; its moments merge with :func:`merge_stats`; top-k accuracy takes the
labels present (:func:`top_k_present`) and then the hits (:func:`top_k_sums`). An empty chunk
gives what every merge leaves alone. (The exact median's per-chunk passes are in
:mod:`._median`, whose selection hands them to the integration's runner itself.)
"""

import numpy as np

from ._counts import MAX_CLASSES, count_window
from ._exceptions import ZeroWeightsError
from ._inputs import as_weights, check_not_empty, label_array, regression_targets
from ._moments import column_moments, merge_stats

__all__ = [
    "MAX_CLASSES",
    "ZeroWeightsError",
    "check_not_empty",
    "check_some_weight",
    "confusion_chunk",
    "confusion_state",
    "merge_confusion",
    "merge_stats",
    "merge_top_k_present",
    "moments_chunk",
    "regression_stats",
    "top_k_present",
    "top_k_sums",
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


def confusion_state(t, p, w, names=("y_true", "y_pred")):
    """A :class:`~fastinit.metrics.ConfusionMatrix` of one chunk of labels of any kind (numbers
    or strings; empty for an empty chunk), checked as the one-shot functions check them."""
    from .streaming import ConfusionMatrix

    state = ConfusionMatrix()
    if len(t):
        state._update(t, p, w, names)
    return state


def merge_confusion(a, b):
    """A new :class:`~fastinit.metrics.ConfusionMatrix` holding the counts of ``a`` and ``b``."""
    from .streaming import ConfusionMatrix

    return ConfusionMatrix().merge(a).merge(b)


def top_k_present(t, score, w):
    """(sorted labels of the chunk's y_true, min and max score) for top_k_accuracy_score, the
    labels and weights checked as the in-memory function checks them."""
    from ._rank_inputs import check_finite
    from ._ranking import check_label_type

    t = label_array(t, "y_true")
    if len(t):
        check_label_type(t)
        as_weights(w, len(t), zero_ok=True)
    if not len(score):
        return np.unique(t), np.inf, -np.inf
    check_finite(score, "y_score")
    return np.unique(t), float(score.min()), float(score.max())


def merge_top_k_present(a, b):
    return np.union1d(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2])


def top_k_sums(t, score, w, classes, k, binary, threshold):
    """[weighted hits, total weight] of one chunk (weights 1 when ``w`` is None)."""
    from ._ranking import top_k_hits

    if not len(t):
        return np.zeros(2)
    t = label_array(t, "y_true")
    hits = top_k_hits(t, score.astype(np.float64), classes, k, binary, threshold)
    if w is None:
        return np.array([np.sum(hits), len(hits)], np.float64)
    w = as_weights(w, len(t), zero_ok=True)
    return np.array([np.dot(hits, w), np.sum(w)], np.float64)
