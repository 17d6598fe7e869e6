"""Regression metrics from one pass of mergeable moments, with scikit-learn's names and results.

:mod:`fastinit.kernels.moments` reads ``y_true`` and ``y_pred`` once per output column and
returns the total weight, the weighted means and centred sums of squares of the targets and of
the residuals, and the sums of squared / absolute / relative errors. The metrics below are
ratios of those; :class:`~fastinit.metrics.RegressionStats` merges the same vectors over batches.
"""

import warnings

import numpy as np

from ._averaging import check_bool
from ._counts import UndefinedMetricWarning, as_weights, thread_parts

__all__ = [
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "median_absolute_error",
    "max_error",
    "r2_score",
    "explained_variance_score",
]

_MULTI = ("raw_values", "uniform_average", "variance_weighted")
_MIN_PART = 1 << 16  # elements per thread below which splitting the work does not pay
# Elements per task of the moments kernels (a multiple of their 1024-element blocks). Statistics
# are merged per task, then in task order: changing it may change results in the last bits,
# changing the thread count never does.
TASK = 1 << 16


def targets(y_true, y_pred, sample_weight=None, *, zero_ok=False):
    """Validated float arrays of shape (n, k) and weights (``zero_ok``: see ``as_weights``)."""
    out = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        try:
            a = np.asarray(y)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be array-like: {exc}") from None
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got dtype {a.dtype}")
        if a.ndim == 0 or a.ndim > 2:
            raise ValueError(f"{name} must be 1-d or 2-d, got {a.ndim}-d shape {a.shape}")
        if a.dtype.kind != "f" or not a.dtype.isnative or a.dtype == np.float16:
            a = a.astype(np.float64)
        out.append(a[:, None] if a.ndim == 1 else a)  # (n, 1), also for n == 0
    yt, yp = out
    if len(yt) != len(yp):
        raise ValueError(f"y_true and y_pred have different lengths: {len(yt)} != {len(yp)}")
    if len(yt) == 0:
        raise ValueError("y_true and y_pred are empty; at least 1 sample is required")
    if yt.shape[1] != yp.shape[1]:
        raise ValueError(
            f"y_true and y_pred have different number of output ({yt.shape[1]}!={yp.shape[1]})"
        )
    return yt, yp, as_weights(sample_weight, len(yt), zero_ok=zero_ok)


def check_finite(yt, yp):
    for name, a in (("y_true", yt), ("y_pred", yp)):
        if not np.isfinite(a).all():  # scikit-learn's wording, naming the input
            bad = "NaN" if np.isnan(a).any() else f"infinity or a value too large for {a.dtype!r}"
            raise ValueError(f"Input {name} contains {bad}")


def moments(yt, yp, w, mode):
    """Statistics array of shape (k, N_STATS), one row per output column.

    Each column is split into tasks of :data:`TASK` elements, a size fixed by the data alone:
    the tasks run on threads and their statistics merge in task order, so the result is the
    same bits for any thread count.
    """
    from .. import _threads
    from ..kernels import moments as km

    n, k = yt.shape
    ntasks = max(1, -(-n // TASK))
    threads = thread_parts(n, _MIN_PART)
    grain = _threads.grain_for(ntasks, threads)
    kernel = km.TASKS[mode]
    stats = np.empty((k, km.N_STATS))
    acc = np.empty((ntasks, km.N_STATS))
    for j in range(k):
        _threads.run(kernel, ntasks, yt[:, j], yp[:, j], w, TASK, acc, grain=grain, threads=threads)
        stats[j] = acc[0] if ntasks == 1 else km.merge_tasks(acc)
    if not np.isfinite(stats).all():
        check_finite(yt, yp)
    return stats


def _check_multioutput(multioutput, k, allow_variance=False):
    if isinstance(multioutput, str):
        allowed = _MULTI if allow_variance else _MULTI[:2]
        if multioutput not in allowed:
            raise ValueError(
                f"multioutput must be one of {allowed} or an array; got {multioutput!r}"
            )
        return multioutput
    try:
        m = np.asarray(multioutput, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"multioutput must be one of {_MULTI} or an array of output weights; "
            f"got {multioutput!r}"
        ) from None
    if k == 1:
        raise ValueError(
            "multioutput: custom weights are useful only in multi-output cases "
            "(y_true has one output)"
        )
    if m.shape != (k,):
        raise ValueError(
            f"multioutput has shape {m.shape}, expected ({k},) (one weight per output)"
        )
    return m


def _total_weight(stats):
    w = stats[0, 0]
    if w == 0:
        raise ValueError("sample_weight sums to zero; the weighted mean is undefined")
    return w


def combine(errors, multioutput):
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return errors
        return float(np.mean(errors))
    return float(np.average(errors, weights=multioutput))


def _simple(stats, column, multioutput, root=False):
    errors = stats[:, column] / _total_weight(stats)
    if root:
        errors = np.sqrt(errors)
    return combine(errors, multioutput)


def explained_fraction(num, den, multioutput, force_finite):
    force_finite = check_bool(force_finite, "force_finite")
    if not force_finite:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1 - num / den
    else:
        scores = np.ones_like(num)
        valid = (den != 0) & (num != 0)
        scores[valid] = 1 - num[valid] / den[valid]
        scores[(num != 0) & (den == 0)] = 0.0
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return scores
        weights = None
        if multioutput == "variance_weighted" and np.any(den != 0):
            weights = den
    else:
        weights = multioutput
    return float(np.mean(scores) if weights is None else np.average(scores, weights=weights))


def r2_from(stats, n, multioutput, force_finite):
    from ..kernels.moments import M2_T, SSE

    if n < 2:
        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")
    return explained_fraction(stats[:, SSE], stats[:, M2_T], multioutput, force_finite)


def explained_from(stats, multioutput, force_finite):
    from ..kernels.moments import M2_E, M2_T

    w = _total_weight(stats)
    return explained_fraction(stats[:, M2_E] / w, stats[:, M2_T] / w, multioutput, force_finite)


def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean squared error ``sum(w (t - p)^2) / sum(w)`` per output, then averaged.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), optional
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        Return every output's error, their mean, or their weighted mean.

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> from fastinit.metrics import mean_squared_error
    >>> mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.375
    """
    from ..kernels.moments import SQUARED_ONLY, SSE

    yt, yp, w = targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1])
    return _simple(moments(yt, yp, w, SQUARED_ONLY), SSE, multioutput)


def root_mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Root mean squared error (square root per output, then averaged).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), optional
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> from fastinit.metrics import root_mean_squared_error
    >>> root_mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.6123724356957945
    """
    from ..kernels.moments import SQUARED_ONLY, SSE

    yt, yp, w = targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1])
    return _simple(moments(yt, yp, w, SQUARED_ONLY), SSE, multioutput, root=True)


def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean absolute error ``sum(w |t - p|) / sum(w)``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), optional
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> from fastinit.metrics import mean_absolute_error
    >>> mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    from ..kernels.moments import FULL, SAE

    yt, yp, w = targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1])
    return _simple(moments(yt, yp, w, FULL), SAE, multioutput)


def mean_absolute_percentage_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Mean of ``|t - p| / max(|t|, eps)`` (a fraction, not a percentage).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), optional
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> from fastinit.metrics import mean_absolute_percentage_error
    >>> round(mean_absolute_percentage_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
    0.3274
    """
    from ..kernels.moments import FULL, SAPE

    yt, yp, w = targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1])
    return _simple(moments(yt, yp, w, FULL), SAPE, multioutput)


def weighted_median(values, weights):
    """Weighted median of each column: the first value whose cumulative weight reaches half
    the total, averaged with the next positive-weight value when it lands exactly on half."""
    out = np.empty(values.shape[1])
    for j in range(values.shape[1]):
        order = np.argsort(values[:, j], kind="stable")
        v, w = values[order, j], weights[order]
        cdf = np.cumsum(w)
        half = 0.5 * cdf[-1]
        if half == 0:
            half = np.nextafter(0.0, 1.0)
        i = min(int(np.searchsorted(cdf, half)), len(v) - 1)
        if cdf[i] - half > np.finfo(np.float64).eps:
            out[j] = v[i]
        else:
            nxt = np.flatnonzero(w[i + 1 :] > 0)
            out[j] = (v[i] + v[i + 1 + nxt[0]]) / 2 if nxt.size else v[i]
    return out


def median_absolute_error(y_true, y_pred, *, multioutput="uniform_average", sample_weight=None):
    """Median of ``|t - p|`` per output (weighted median with ``sample_weight``).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> from fastinit.metrics import median_absolute_error
    >>> median_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    yt, yp, w = targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1])
    check_finite(yt, yp)
    err = np.abs(yp - yt)
    if w is None:
        errors = np.median(err, axis=0)
    else:
        errors = weighted_median(err, w.astype(np.float64))
    return combine(errors, multioutput)


def max_error(y_true, y_pred):
    """Largest absolute residual ``max |t - p|`` (single output only).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)

    Returns
    -------
    float

    Examples
    --------
    >>> from fastinit.metrics import max_error
    >>> max_error([3, 2, 7, 1], [9, 2, 7, 1])
    6.0
    """
    from ..kernels.moments import FULL, MAX_E

    yt, yp, _ = targets(y_true, y_pred)
    if yt.shape[1] != 1:
        raise ValueError(
            f"y_true has {yt.shape[1]} outputs: Multioutput not supported in max_error"
        )
    return float(moments(yt, yp, None, FULL)[0, MAX_E])


def r2_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True
):
    """Coefficient of determination ``1 - SS_res / SS_tot``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), optional
    multioutput : {"raw_values", "uniform_average", "variance_weighted"} or array-like
    force_finite : bool, default True
        Constant ``y_true``: 1.0 for a perfect prediction, else 0.0 (instead of nan / -inf).

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> from fastinit.metrics import r2_score
    >>> round(r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
    0.9486
    """
    from ..kernels.moments import SQUARES

    yt, yp, w = targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1], allow_variance=True)
    if len(yt) < 2:
        return r2_from(None, len(yt), multioutput, force_finite)
    return r2_from(moments(yt, yp, w, SQUARES), len(yt), multioutput, force_finite)


def explained_variance_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True
):
    """Explained variance ``1 - Var(t - p) / Var(t)`` (weighted variances).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), optional
    multioutput : {"raw_values", "uniform_average", "variance_weighted"} or array-like
    force_finite : bool, default True

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> from fastinit.metrics import explained_variance_score
    >>> round(explained_variance_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
    0.9572
    """
    from ..kernels.moments import SQUARES

    yt, yp, w = targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1], allow_variance=True)
    return explained_from(moments(yt, yp, w, SQUARES), multioutput, force_finite)
