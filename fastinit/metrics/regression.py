"""Regression metrics from one pass of mergeable moments, with scikit-learn's names and results.

:mod:`fastinit.kernels.moments` reads ``y_true`` and ``y_pred`` once per output column and
returns the total weight, the weighted means and centred sums of squares of the targets and of
the residuals, and the sums of squared / absolute / relative errors. The metrics below are
ratios of those; :class:`~fastinit.metrics.RegressionStats` merges the same vectors over batches.
"""

import warnings

import numpy as np

from ._averaging import check_bool
from ._exceptions import UndefinedMetricWarning
from ._inputs import check_finite_targets, regression_targets
from ._parallel import MOMENTS_TASK, moment_tasks, thread_parts

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


def moments(yt, yp, w, mode):
    """Statistics array of shape (k, N_STATS), one row per output column.

    Each column is split into tasks (:func:`._parallel.moment_tasks`), fixed by the data alone:
    the tasks run on threads and their statistics merge in task order, so the result is the
    same bits for any thread count.
    """
    from .. import _threads
    from ..kernels import moments as km

    n, k = yt.shape
    ntasks = moment_tasks(n)
    threads = thread_parts(n)
    grain = _threads.grain_for(ntasks, threads)
    kernel = km.TASKS[mode]
    stats = np.empty((k, km.N_STATS))
    acc = np.empty((ntasks, km.N_STATS))
    for j in range(k):
        _threads.run(
            kernel, ntasks, yt[:, j], yp[:, j], w, MOMENTS_TASK, acc, grain=grain, threads=threads
        )
        stats[j] = acc[0] if ntasks == 1 else km.merge_tasks(acc)
    if not np.isfinite(stats).all():
        check_finite_targets(yt, yp)
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

    yt, yp, w = regression_targets(y_true, y_pred, sample_weight)
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

    yt, yp, w = regression_targets(y_true, y_pred, sample_weight)
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

    yt, yp, w = regression_targets(y_true, y_pred, sample_weight)
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

    yt, yp, w = regression_targets(y_true, y_pred, sample_weight)
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
    yt, yp, w = regression_targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1])
    check_finite_targets(yt, yp)
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

    yt, yp, _ = regression_targets(y_true, y_pred)
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

    yt, yp, w = regression_targets(y_true, y_pred, sample_weight)
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

    yt, yp, w = regression_targets(y_true, y_pred, sample_weight)
    multioutput = _check_multioutput(multioutput, yt.shape[1], allow_variance=True)
    return explained_from(moments(yt, yp, w, SQUARES), multioutput, force_finite)
