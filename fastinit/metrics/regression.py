"""Regression metrics from one pass of mergeable moments, with scikit-learn's names and results.

Each function validates its input and reads ``y_true`` and ``y_pred`` once per output column
into a vector of moments (:mod:`._moments`); the metrics are ratios of those, and
:class:`~fastinit.metrics.RegressionStats` merges the same vectors over batches. The median
absolute error, which no moment gives, sorts the residuals instead.
"""

import numpy as np

from ._inputs import check_finite_targets, regression_targets
from ._moments import (
    average_outputs,
    check_multioutput,
    column_moments,
    explained_variance_from,
    mean_error_from,
    r2_from,
)

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
    multioutput = check_multioutput(multioutput, yt.shape[1])
    return mean_error_from(column_moments(yt, yp, w, SQUARED_ONLY), SSE, multioutput)


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
    multioutput = check_multioutput(multioutput, yt.shape[1])
    return mean_error_from(column_moments(yt, yp, w, SQUARED_ONLY), SSE, multioutput, root=True)


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
    multioutput = check_multioutput(multioutput, yt.shape[1])
    return mean_error_from(column_moments(yt, yp, w, FULL), SAE, multioutput)


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
    multioutput = check_multioutput(multioutput, yt.shape[1])
    return mean_error_from(column_moments(yt, yp, w, FULL), SAPE, multioutput)


def _weighted_median(values, weights):
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
    multioutput = check_multioutput(multioutput, yt.shape[1])
    check_finite_targets(yt, yp)
    err = np.abs(yp - yt)
    if w is None:
        errors = np.median(err, axis=0)
    else:
        errors = _weighted_median(err, w.astype(np.float64))
    return average_outputs(errors, multioutput)


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
    return float(column_moments(yt, yp, None, FULL)[0, MAX_E])


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
    multioutput = check_multioutput(multioutput, yt.shape[1], allow_variance=True)
    if len(yt) < 2:
        return r2_from(None, len(yt), multioutput, force_finite)
    return r2_from(column_moments(yt, yp, w, SQUARES), len(yt), multioutput, force_finite)


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
    multioutput = check_multioutput(multioutput, yt.shape[1], allow_variance=True)
    return explained_variance_from(column_moments(yt, yp, w, SQUARES), multioutput, force_finite)
