"""The regression moments: computed per output column, merged, and turned into the metrics.

:mod:`fastinit.kernels.moments` reads ``y_true`` and ``y_pred`` once per output column and
returns a statistics vector: the total weight, the weighted means and centred sums of squares
of the targets and of the residuals, the sums of squared / absolute / relative errors and the
largest error. The one-shot regression functions, :class:`~fastinit.metrics.RegressionStats` and
:mod:`fastinit.dask` all compute those vectors here, merge them with Chan's update and take
the metrics as ratios of them; a ``stats`` argument is an array of shape (k, N_STATS), one row
per output column.
"""

import warnings

import numpy as np

from . import _parallel
from ._averaging import check_bool
from ._exceptions import undefined_metric_warning
from ._inputs import check_finite_targets
from ._parallel import MOMENTS_TASK, moment_tasks, thread_parts

_MULTIOUTPUT = ("raw_values", "uniform_average", "variance_weighted")


def column_moments(yt, yp, w, mode):
    """Statistics array of shape (k, N_STATS) of targets and predictions of shape (n, k).

    ``mode`` is one of the kernel's modes (``SQUARED_ONLY``, ``SQUARES``, ``FULL``): the
    statistics it skips are 0. Each column is split into tasks (:func:`._parallel.moment_tasks`),
    fixed by the data alone: the tasks run on threads and their statistics merge in task order,
    so the result is the same bits for any thread count.
    """
    from .. import _threads
    from ..kernels import moments

    n, k = yt.shape
    ntasks = moment_tasks(n)
    threads = thread_parts(n, _parallel.MOMENTS_MIN_PART)
    grain = _threads.grain_for(ntasks, threads)
    kernel = moments.TASKS[mode]
    stats = np.empty((k, moments.N_STATS))
    acc = np.empty((ntasks, moments.N_STATS))
    for j in range(k):
        _threads.run(
            kernel, ntasks, yt[:, j], yp[:, j], w, MOMENTS_TASK, acc, grain=grain, threads=threads
        )
        stats[j] = acc[0] if ntasks == 1 else moments.merge_tasks(acc)
    if not np.isfinite(stats).all():
        check_finite_targets(yt, yp)
    return stats


def merge_stats(a, b):
    """Chan's pairwise merge of two statistics arrays, vectorized over the output columns."""
    from ..kernels import moments

    out = a.copy()
    wa, wb = a[:, moments.W], b[:, moments.W]
    n = wa + wb
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(n != 0, wb / n, 0.0)
    for mean, m2 in ((moments.MEAN_T, moments.M2_T), (moments.MEAN_E, moments.M2_E)):
        d = b[:, mean] - a[:, mean]
        out[:, mean] = np.where(wa == 0, b[:, mean], a[:, mean] + d * f)
        out[:, m2] = a[:, m2] + b[:, m2] + np.where(wa == 0, 0.0, d * d * wa * f)
    out[:, moments.W] = n
    for c in (moments.SSE, moments.SAE, moments.SAPE):
        out[:, c] = a[:, c] + b[:, c]
    out[:, moments.MAX_E] = np.maximum(a[:, moments.MAX_E], b[:, moments.MAX_E])
    return out


# ------------------------------------------------------------------ from moments to metrics ---


def check_multioutput(multioutput, k, allow_variance=False, *, single=False):
    """``multioutput`` checked for ``k`` outputs: a name, or an array of ``k`` output weights
    (``single``: one weight for one output is taken, as scikit-learn's root_mean_squared_error
    takes it, which averages the errors with ``np.average`` and checks nothing before)."""
    if isinstance(multioutput, str):
        allowed = _MULTIOUTPUT if allow_variance else _MULTIOUTPUT[:2]
        if multioutput not in allowed:
            raise ValueError(
                f"multioutput must be one of {allowed} or an array; got {multioutput!r}"
            )
        return multioutput
    try:
        m = np.asarray(multioutput, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"multioutput must be one of {_MULTIOUTPUT} or an array of output weights; "
            f"got {multioutput!r}"
        ) from None
    if single:
        if m.shape != (k,):  # np.average's refusal
            raise TypeError(
                "Axis must be specified when shapes of a and weights differ. (multioutput has "
                f"shape {m.shape}, expected ({k},): one weight per output)"
            )
        return m
    # scikit-learn's words first
    if k == 1:
        raise ValueError(
            "Custom weights are useful only in multi-output cases. y_true has one output: "
            "pass multioutput='uniform_average' or 'raw_values'"
        )
    if m.ndim != 1 or m.shape[0] != k:
        raise ValueError(
            f"There must be equally many custom weights ({m.shape[0] if m.ndim else m.size}) "
            f"as outputs ({k}). (multioutput has shape {m.shape})"
        )
    return m


def average_outputs(errors, multioutput):
    """Per-output ``errors`` as ``multioutput`` asks: all of them, their mean or weighted mean."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return errors
        return float(np.mean(errors))
    return float(np.average(errors, weights=multioutput))


def _total_weight(stats):
    from ..kernels import moments

    w = stats[0, moments.W]
    if w == 0:
        raise ValueError("sample_weight sums to zero; the weighted mean is undefined")
    return w


def mean_error_from(stats, column, multioutput, *, root=False):
    """The weighted mean of the error summed in ``column`` (its square root with ``root``)."""
    errors = stats[:, column] / _total_weight(stats)
    if root:
        errors = np.sqrt(errors)
    return average_outputs(errors, multioutput)


def explained_fraction(num, den, multioutput, force_finite):
    """``1 - num / den`` per output (r2, explained variance), averaged as ``multioutput`` asks."""
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
    """r2_score from the statistics of ``n`` samples (nan, with a warning, below two)."""
    from ..kernels import moments

    if n < 2:
        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            undefined_metric_warning(),
            stacklevel=3,
        )
        return float("nan")
    return explained_fraction(
        stats[:, moments.SSE], stats[:, moments.M2_T], multioutput, force_finite
    )


def explained_variance_from(stats, multioutput, force_finite):
    """explained_variance_score from the statistics."""
    from ..kernels import moments

    w = _total_weight(stats)
    m2_e, m2_t = stats[:, moments.M2_E] / w, stats[:, moments.M2_T] / w
    return explained_fraction(m2_e, m2_t, multioutput, force_finite)
