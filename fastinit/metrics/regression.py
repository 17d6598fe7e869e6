"""Regression metrics from one pass of mergeable moments, with scikit-learn's names and results.

Each function validates its input and reads ``y_true`` and ``y_pred`` once per output column
into a vector of moments (:mod:`._moments`); the metrics are ratios of those, and
:class:`~fastinit.metrics.RegressionStats` merges the same vectors over batches. The median
absolute error, which no moment gives, sorts the residuals instead. Dask inputs are reduced
chunk by chunk into the same moments (:mod:`._lazy`); their median is selected exactly without
gathering them (:mod:`._median`).
"""

import numpy as np

from . import _lazy
from ._docstrings import shared_sections
from ._inputs import check_finite_targets, refuse_sparse, regression_targets
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


def _checked(
    y_true, y_pred, sample_weight, multioutput, *, variance_weighted=False, root=False,
    strings=True,
):  # fmt: skip
    """Targets and predictions of shape (n, k), weights, and ``multioutput`` checked for k
    (``root``: as root_mean_squared_error checks it; ``strings``: see regression_targets)."""
    yt, yp, w = regression_targets(y_true, y_pred, sample_weight, strings=strings)
    k = yt.shape[1]
    return yt, yp, w, check_multioutput(multioutput, k, variance_weighted, single=root)


def _mean_error(y_true, y_pred, sample_weight, multioutput, mode, column, *, root=False):
    """The weighted mean of the error that the kernel's ``mode`` sums in ``column``."""
    yt, yp, w, multioutput = _checked(y_true, y_pred, sample_weight, multioutput, root=root)
    return mean_error_from(column_moments(yt, yp, w, mode), column, multioutput, root=root)


def _refuse_bool_difference(y_true, y_pred):
    """median_absolute_error and max_error compute ``y_pred - y_true`` in the inputs' dtype in
    scikit-learn, which NumPy refuses for two bool arrays: the same TypeError."""
    if all(
        (y.dtype if hasattr(y, "dtype") else np.asarray(y).dtype).kind == "b"
        for y in (y_true, y_pred)
    ):
        raise TypeError(
            "numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, "
            "the `^` operator, or the logical_xor function instead. (y_true and y_pred are "
            "both bool: pass numbers)"
        )


@shared_sections
def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean squared error ``sum(w (t - p)^2) / sum(w)`` per output, then averaged.

    {mean_error}

    Examples
    --------
    >>> from fastinit.metrics import mean_squared_error
    >>> mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.375
    """
    refuse_sparse("mean_squared_error", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred, sample_weight):
        return _lazy.regression(
            "mean_squared_error", y_true, y_pred, sample_weight, multioutput=multioutput
        )
    from ..kernels import moments

    return _mean_error(
        y_true, y_pred, sample_weight, multioutput, moments.SQUARED_ONLY, moments.SSE
    )


@shared_sections
def root_mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Root mean squared error (square root per output, then averaged).

    {mean_error}

    Examples
    --------
    >>> from fastinit.metrics import root_mean_squared_error
    >>> root_mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.6123724356957945
    """
    refuse_sparse("root_mean_squared_error", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred, sample_weight):
        return _lazy.regression(
            "root_mean_squared_error", y_true, y_pred, sample_weight, multioutput=multioutput
        )
    from ..kernels import moments

    return _mean_error(
        y_true, y_pred, sample_weight, multioutput, moments.SQUARED_ONLY, moments.SSE, root=True
    )


@shared_sections
def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean absolute error ``sum(w |t - p|) / sum(w)``.

    {mean_error}

    Examples
    --------
    >>> from fastinit.metrics import mean_absolute_error
    >>> mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    refuse_sparse("mean_absolute_error", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred, sample_weight):
        return _lazy.regression(
            "mean_absolute_error", y_true, y_pred, sample_weight, multioutput=multioutput
        )
    from ..kernels import moments

    return _mean_error(y_true, y_pred, sample_weight, multioutput, moments.FULL, moments.SAE)


@shared_sections
def mean_absolute_percentage_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Mean of ``|t - p| / max(|t|, eps)`` (a fraction, not a percentage).

    {mean_error}

    Examples
    --------
    >>> from fastinit.metrics import mean_absolute_percentage_error
    >>> round(mean_absolute_percentage_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
    0.3274
    """
    refuse_sparse("mean_absolute_percentage_error", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred, sample_weight):
        return _lazy.regression(
            "mean_absolute_percentage_error", y_true, y_pred, sample_weight, multioutput=multioutput
        )
    from ..kernels import moments

    return _mean_error(y_true, y_pred, sample_weight, multioutput, moments.FULL, moments.SAPE)


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


@shared_sections
def median_absolute_error(y_true, y_pred, *, multioutput="uniform_average", sample_weight=None):
    """Median of ``|t - p|`` per output (weighted median with ``sample_weight``).

    {mean_error}

    Examples
    --------
    >>> from fastinit.metrics import median_absolute_error
    >>> median_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    refuse_sparse("median_absolute_error", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred, sample_weight):
        _refuse_bool_difference(y_true, y_pred)
        return _lazy.median_absolute_error(y_true, y_pred, sample_weight, multioutput)
    yt, yp, w, multioutput = _checked(y_true, y_pred, sample_weight, multioutput, strings=False)
    _refuse_bool_difference(y_true, y_pred)
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
        The largest error of any sample, whatever the sample weights would be.

    Examples
    --------
    >>> from fastinit.metrics import max_error
    >>> max_error([3, 2, 7, 1], [9, 2, 7, 1])
    6.0
    """
    from ..kernels import moments

    refuse_sparse("max_error", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred):
        _refuse_bool_difference(y_true, y_pred)
        return _lazy.regression("max_error", y_true, y_pred)
    yt, yp, _ = regression_targets(y_true, y_pred, strings=False)
    check_single_output(yt.shape[1])
    _refuse_bool_difference(y_true, y_pred)
    return float(column_moments(yt, yp, None, moments.FULL)[0, moments.MAX_E])


def check_single_output(k):
    if k != 1:
        raise ValueError(f"y_true has {k} outputs: Multioutput not supported in max_error")


@shared_sections
def r2_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True
):
    """Coefficient of determination ``1 - SS_res / SS_tot``.

    {explained_fraction}

    Examples
    --------
    >>> from fastinit.metrics import r2_score
    >>> round(r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
    0.9486
    >>> r2_score([[1.0, 2.0], [2.0, 4.0], [3.0, 9.0]], [[1.0, 2.0], [2.0, 5.0], [3.0, 8.0]],
    ...          multioutput="raw_values")
    array([1.        , 0.92307692])
    """
    from ..kernels import moments

    refuse_sparse("r2_score", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred, sample_weight):
        return _lazy.regression(
            "r2_score", y_true, y_pred, sample_weight, variance_weighted=True,
            multioutput=multioutput, force_finite=force_finite,
        )  # fmt: skip
    yt, yp, w, multioutput = _checked(
        y_true, y_pred, sample_weight, multioutput, variance_weighted=True
    )
    if len(yt) < 2:
        return r2_from(None, len(yt), multioutput, force_finite)
    return r2_from(column_moments(yt, yp, w, moments.SQUARES), len(yt), multioutput, force_finite)


@shared_sections
def explained_variance_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True
):
    """Explained variance ``1 - Var(t - p) / Var(t)`` (weighted variances).

    {explained_fraction}

    Examples
    --------
    >>> from fastinit.metrics import explained_variance_score
    >>> round(explained_variance_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
    0.9572
    """
    from ..kernels import moments

    refuse_sparse("explained_variance_score", y_true=y_true, y_pred=y_pred)
    if _lazy.any_dask(y_true, y_pred, sample_weight):
        return _lazy.regression(
            "explained_variance_score", y_true, y_pred, sample_weight, variance_weighted=True,
            multioutput=multioutput, force_finite=force_finite,
        )  # fmt: skip
    yt, yp, w, multioutput = _checked(
        y_true, y_pred, sample_weight, multioutput, variance_weighted=True
    )
    stats = column_moments(yt, yp, w, moments.SQUARES)
    return explained_variance_from(stats, multioutput, force_finite)
