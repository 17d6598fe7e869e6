"""The branch the metric functions take when an input is a dask array: chunk by chunk, no gather.

Telling a dask input apart costs a type lookup per argument; dask is imported only once one
arrives. The branch first checks what shapes and dtypes tell (with the in-memory checks and
their messages), then has :mod:`fastinit.dask` run per-chunk functions of :mod:`._chunks` over
the row chunks and merge their results in a tree:

* labels become a :class:`~fastinit.metrics.ConfusionMatrix` over the labels present (each
  chunk is counted and checked as a one-shot call counts and checks its input), whose counts
  every classification function then reads exactly as it reads an in-memory count;
* targets become a :class:`~fastinit.metrics.RegressionStats` (``fastinit.dask.
  regression_stats``), whose metric methods give the regression metrics;
* ``|y_pred - y_true|`` gives its exact median by a radix selection (:mod:`._median`);
* scores give top-k hits, after a first pass for the labels present.

Results are computed when the function is called, as an in-memory function returns them, so
bad values raise there, with the in-memory messages. NumPy arrays beside dask ones are wrapped,
chunked like them. Label indicator matrices are refused (:class:`DaskUnsupportedError`): the
accumulators take 1-d labels.
"""

import numpy as np

from ._exceptions import DaskUnsupportedError
from ._inputs import (
    array_like,
    as_numbers,
    check_label_meta,
    check_length,
    check_not_empty,
    check_target_meta,
    check_target_shapes,
    check_weight_meta,
    label_array,
    target_dtype,
    zero_weights_error,
)


def any_dask(*values):
    """Whether one of ``values`` is a dask collection (without importing dask)."""
    return any(type(v).__module__.startswith("dask") for v in values)


def _is_dask(value):
    return type(value).__module__.startswith("dask")


def _dask_array(x, name):
    """A dask collection as a dask array with known chunk sizes."""
    from ..dask import _metrics as dm

    da = dm._require_dask()
    if not isinstance(x, da.Array):
        if not hasattr(type(x), "to_dask_array"):  # (a Delayed answers every attribute)
            raise TypeError(
                f"{name} is a dask {type(x).__name__}; pass a dask array (or NumPy data)"
            )
        x = x.to_dask_array(lengths=True)  # a dask DataFrame or Series
    return dm._as_dask(x, name)


def _aligned(values, names):
    """The inputs as dask arrays sharing the row chunks of the first dask one."""
    from ..dask import _metrics as dm

    return dm.align_rows(values, names)


def _runner(arrays):
    from ..dask import _metrics as dm

    return dm.row_runner(arrays)


def _weights(sample_weight, n):
    """``sample_weight`` checked from its shape and dtype (a scalar stands for every sample)."""
    if sample_weight is None:
        return None
    if _is_dask(sample_weight):
        w = _dask_array(sample_weight, "sample_weight")
    else:
        w = array_like(sample_weight, "sample_weight")
    if w.ndim == 0:  # one number: filled in chunk by chunk, never n values at once
        from ..dask._require import require_dask

        value = np.asarray(w.compute() if _is_dask(w) else w)
        w = require_dask().full((n,), value[()], dtype=value.dtype)
    check_weight_meta(w, n)
    return w


# ---------------------------------------------------------------------------- labels ---


def _labels(y, name):
    if _is_dask(y):
        a = _dask_array(y, name)
        check_label_meta(a, name)
        return a
    return label_array(y, name)


def _label_inputs(y_true, y_pred, sample_weight, names):
    """Dask arrays of 1-d labels and weights, aligned, checked from shapes and dtypes."""
    yt, yp = _labels(y_true, names[0]), _labels(y_pred, names[1])
    check_length(names[0], yt, names[1], yp)
    check_not_empty(len(yt), names)
    for name, a in zip(names, (yt, yp), strict=True):
        if a.ndim == 2 and a.shape[1] != 1:
            raise DaskUnsupportedError(
                f"{name} is 2-d with {a.shape[1]} columns: label indicator matrices (multilabel "
                "targets) are not supported for dask arrays, whose metrics accumulate 1-d "
                "labels; compute them in memory, or pass 1-d labels"
            )
    w = _weights(sample_weight, len(yt))
    t, p, w = _aligned([yt, yp, w], [*names, "sample_weight"])
    return [a[:, 0] if a.ndim == 2 else a for a in (t, p)] + [w]


def confusion_state(y_true, y_pred, sample_weight, names=("y_true", "y_pred")):
    """A :class:`~fastinit.metrics.ConfusionMatrix` of dask labels (all-zero weights allowed)."""
    from . import _chunks

    run = _runner(_label_inputs(y_true, y_pred, sample_weight, names))
    return run(_chunks.confusion_state, _chunks.merge_confusion, names)


def label_counts(y_true, y_pred, sample_weight, *, names, zero_ok):
    """The counts of dask labels that the classification functions take (``build``'s)."""
    state = confusion_state(y_true, y_pred, sample_weight, names)
    if not zero_ok and not state._weighted:
        raise zero_weights_error()
    return state.counts()


# ------------------------------------------------------------------------ regression ---


def _target_inputs(y_true, y_pred, sample_weight, strings=True):
    """Dask targets and predictions of shape (n, k) and weights, aligned and checked
    (``strings``: see :func:`~._inputs.as_numbers`)."""
    arrays = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        a = _dask_array(y, name) if _is_dask(y) else array_like(y, name)
        a = as_numbers(a, name, strings)
        check_target_meta(a, name)
        arrays.append(a)
    shapes = [a.shape if a.ndim == 2 else (a.shape[0], 1) for a in arrays]
    check_target_shapes(*shapes)
    w = _weights(sample_weight, shapes[0][0])
    t, p, w = _aligned([*arrays, w], ["y_true", "y_pred", "sample_weight"])
    return [a if a.ndim == 2 else a[:, None] for a in (t, p)] + [w]


def regression_state(y_true, y_pred, sample_weight):
    """A :class:`~fastinit.metrics.RegressionStats` of dask targets (all-zero weights allowed)."""
    from ..dask import regression_stats

    t, p, w = _target_inputs(y_true, y_pred, sample_weight)
    return regression_stats(t, p, sample_weight=w)


def regression(method, y_true, y_pred, sample_weight=None, *, variance_weighted=False, **options):
    """The regression function ``method`` of dask inputs, as the method of the same name of
    their :class:`~fastinit.metrics.RegressionStats` (``options``: its keyword arguments)."""
    from ..dask import regression_stats
    from ._moments import check_multioutput
    from .regression import check_single_output

    t, p, w = _target_inputs(y_true, y_pred, sample_weight, strings=method != "max_error")
    if "multioutput" in options:
        root = method == "root_mean_squared_error"
        check_multioutput(options["multioutput"], t.shape[1], variance_weighted, single=root)
    else:  # max_error
        check_single_output(t.shape[1])
    stats = regression_stats(t, p, sample_weight=w)
    if w is not None and not stats._weighted:
        raise zero_weights_error()
    return getattr(stats, method)(**options)


def median_absolute_error(y_true, y_pred, sample_weight, multioutput):
    """median_absolute_error of dask inputs: the exact median of each output's errors."""
    from . import _median
    from ._moments import average_outputs, check_multioutput

    t, p, w = _target_inputs(y_true, y_pred, sample_weight, strings=False)
    n, k = t.shape
    multioutput = check_multioutput(multioutput, k)
    dtype = np.result_type(target_dtype(t.dtype), target_dtype(p.dtype))
    errors = _median.median_errors(_runner([t, p, w]), n, k, dtype, w is not None)
    return average_outputs(errors, multioutput)


# ------------------------------------------------------------------------- top-k ---


def top_k_accuracy_score(y_true, y_score, k, normalize, sample_weight, labels):
    """top_k_accuracy_score of dask inputs: the labels present, then the hits, chunk by chunk."""
    from . import _chunks
    from ._ranking import check_options, check_score, no_weight_error, top_k_classes, true_labels

    yt = true_labels(_labels(y_true, "y_true"))
    score = check_score(
        _dask_array(y_score, "y_score") if _is_dask(y_score) else np.asarray(y_score)
    )
    normalize, labels = check_options(k, normalize, labels)
    if len(score) != len(yt):
        raise ValueError(f"y_true and y_score have different lengths: {len(yt)} != {len(score)}")
    w = _weights(sample_weight, len(yt))
    run = _runner(_aligned([yt, score, w], ["y_true", "y_score", "sample_weight"]))
    present, low, high = run(_chunks.top_k_present, _chunks.merge_top_k_present)
    classes, binary = top_k_classes(present, labels, score.shape, k)
    threshold = None
    if binary and k == 1:
        threshold = 0.5 if low >= 0 and high <= 1 else 0
    hits, total = run(_chunks.top_k_sums, np.add, classes, k, binary, threshold)
    if not normalize:
        return float(hits)
    if total == 0:
        raise no_weight_error()
    return float(hits / total)
