"""The softmax averages that attention's mean-field maps need, at a finite number of tokens.

For one softmax row A_j = e^{y_j} / sum_l e^{y_l} over T tokens with y_j independent N(0, s^2),

    S(s^2, T) = E sum_j A_j^2.

The many-token limit exp(s^2) / T is wrong once exp(s^2) is not small against T (it even
exceeds 1). The exact value follows from 1 / Z^2 = int_0^inf t e^{-t Z} dt: with the Laplace
transform L(t) = E exp(-t e^y) of one log-normal term,

    S = T int_0^inf t E[e^{2y} e^{-t e^y}] L(t)^(T - 1) dt,

a one-dimensional integral (in log t, by the trapezoid rule) of one-dimensional Gaussian
expectations (Gauss-Hermite). It is tabulated once per T over s^2 and interpolated.
"""

import functools
import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from .. import _threads, config

_NODES = 64  # Gauss-Hermite nodes for the log-normal expectations
_LOG_T = np.linspace(-60.0, 40.0, 1201)  # log t; the integrand is negligible outside
_TASK_CONFIGS = 1024  # configurations per thread task (independent: any split, same bits)
_PARALLEL_MIN = 1 << 16  # configurations below which one thread does them all (at 10^4 two
# threads took 0.42 ms against 0.34 ms for one on a 2-core Xeon VM: waking the pool costs more)
# s^2 values tabulated: 0, then a grid uniform in log s^2 (so that a compiled lookup can index it)
_S2_FIRST, _S2_TOP, _S2_POINTS = 1e-4, 64.0, 240
_S2_GRID = np.concatenate([[0.0], np.geomspace(_S2_FIRST, _S2_TOP, _S2_POINTS)])


def _exact(s2, tokens):
    """(S, F) for an array of s2, by the integrals above: S = E sum_j A_j^2 and
    F = E sum_j A_j^2 (1 - 2 A_j + sum_l A_l^2), the softmax's gradient factor."""
    z, w = hermegauss(_NODES)
    w = w / w.sum()
    y = np.sqrt(s2)[:, None] * z  # (S, nodes)
    t = np.exp(_LOG_T)[:, None]
    step = _LOG_T[1] - _LOG_T[0]
    out = np.empty((2, len(s2)))
    for i in range(len(s2)):
        grow = np.exp(y[i])
        decay = np.exp(-t * grow)  # (times, nodes)
        # m[p] = E[e^{p y} e^{-t e^y}], the Laplace transform L(t) being m[0]
        m = [(decay * grow**p) @ w for p in range(5)]
        rest, rest2 = _powers(m[0], tokens - 1), _powers(m[0], tokens - 2)
        tt = t[:, 0]
        # 1 / Z^n = int t^(n-1) / (n-1)! e^{-t Z} dt, and dt = t d(log t)
        s_2 = tokens * step * np.sum(tt**2 * m[2] * rest)
        s_3 = tokens * step * np.sum(tt**3 / 2.0 * m[3] * rest)
        s_4 = tokens * step * np.sum(tt**4 / 6.0 * m[4] * rest)
        s_22 = tokens * (tokens - 1) * step * np.sum(tt**4 / 6.0 * m[2] ** 2 * rest2)
        out[0, i] = s_2
        out[1, i] = s_2 - 2.0 * s_3 + s_4 + s_22
    out[0] = np.clip(out[0], 1.0 / tokens, 1.0)
    out[1] = np.clip(out[1], 0.0, 1.0)
    return out


def _powers(laplace, n):
    """laplace ** n, with 0 ** 0 = 1 (no power for a row of too few tokens)."""
    if n <= 0:
        return np.ones_like(laplace)
    return laplace**n


@functools.lru_cache(maxsize=16)
def table(tokens):
    """(S, F) on the s^2 grid for rows of ``tokens`` scores: (2, 1 + _S2_POINTS)."""
    return _exact(_S2_GRID, tokens)


def grid_scale():
    """(log of the first grid point, grid points per unit of log s^2, last point): what a
    compiled lookup needs to index the table."""
    u0 = math.log(_S2_FIRST)
    return u0, (_S2_POINTS - 1) / (math.log(_S2_TOP) - u0), _S2_TOP


def _lookup(s2, tokens, row, at_top):
    """Row ``row`` of the table at ``s2``: linear in s2 below the grid's first point, linear in
    log s2 on the grid. Beyond the grid the row is nearly one-hot: it differs from its limit
    ``at_top`` only when the two largest scores are within O(1) of each other, which happens
    with probability ~ 1 / sigma, so the distance to the limit is extrapolated as s2^(-1/2)."""
    s2 = np.asarray(s2, dtype=np.float64)
    values = table(tokens)[row]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s2 = np.log(np.maximum(s2, _S2_FIRST))
        on_grid = np.interp(log_s2, np.log(_S2_GRID[1:]), values[1:])
        below = values[0] + (values[1] - values[0]) * (s2 / _S2_FIRST)
        beyond = at_top + (values[-1] - at_top) * np.sqrt(_S2_TOP / s2)
    return np.where(s2 >= _S2_TOP, beyond, np.where(s2 <= _S2_FIRST, below, on_grid))


def row_square_sum(s2, tokens):
    """S(s2, T) = E sum_j A_j^2 for softmax rows of ``tokens`` scores of variance ``s2``."""
    if tokens == 1:
        return np.ones_like(np.asarray(s2, dtype=np.float64))
    return _lookup(s2, tokens, 0, 1.0)


def gradient_factor(s2, tokens):
    """F(s2, T) = E sum_j A_j^2 (1 - 2 A_j + sum_l A_l^2): the mean square of the softmax's
    Jacobian rows, which the gradient through the scores scales with (0 for one token, and
    for a saturated row)."""
    if tokens == 1:
        return np.zeros_like(np.asarray(s2, dtype=np.float64))
    return _lookup(s2, tokens, 1, 0.0)


def cross_row_sum(s2, c, tokens):
    """E sum_j A_ij A_kj for two rows whose scores share a column part of correlation c.

    The scores are sigma (sqrt(c (1 - c)) g_j + (1 - c) e_ij) (see ``_block_theory``), s2 being
    sigma^2. No exact one-dimensional form is known to us; this is the geometric mean of two
    estimates that bracket it in our Monte Carlo checks (tests/test_propagation_blocks.py):
    the row sum S of the column part alone (an overestimate: the independent parts only
    spread the rows further apart) and 1/T plus (S(s2 (1 - c)) - 1/T) scaled by the
    many-token ratio (e^{s2 c (1 - c)} - 1) / (e^{s2 (1 - c)} - 1) (an underestimate). Both
    are exact at c = 0, at c = 1 and in the many-token limit; against Monte Carlo with
    s2 <= 9 and 16 to 64 tokens the mean is within 15% (it is low by 14% at s2 = 9, c = 0.5,
    64 tokens, where the exact row sum S is 5x its many-token value).
    """
    s2 = np.asarray(s2, dtype=np.float64)
    column = s2 * c * (1.0 - c)
    own = s2 * (1.0 - c)
    upper = row_square_sum(column, tokens)
    base = 1.0 / tokens
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(own > 0, np.expm1(column) / np.expm1(own), 0.0)
    lower = base + (row_square_sum(own, tokens) - base) * np.nan_to_num(ratio, nan=0.0)
    return np.sqrt(upper * np.maximum(lower, base))


def attention_moments(q_u, k_u, gain, vo, tokens):
    """The attention branch's forward maps and what its backward needs, for every
    configuration, in one compiled pass: rows q_branch, k_branch, s2, c, S_diag, S_off, F.

    The same arithmetic as ``row_square_sum``, ``cross_row_sum`` and ``gradient_factor`` (the
    tests compare them), without their dozen array passes per sublayer.
    """
    from ..kernels import meanfield

    s_tab, f_tab = table(tokens)
    arrays = [np.atleast_1d(np.asarray(v, dtype=np.float64)).reshape(-1)
              for v in (q_u, k_u, gain, vo)]  # fmt: skip
    groups = max(a.size for a in arrays)
    out = np.empty((7, groups))
    u0, inv_du, top = grid_scale()
    ntasks = -(-groups // _TASK_CONFIGS)
    threads = config.thread_count() if config.use_threads(groups, _PARALLEL_MIN) else 1
    _threads.run(
        meanfield.attention_moments, ntasks, *arrays, float(tokens), s_tab, f_tab, u0, inv_du,
        top, out, _TASK_CONFIGS, grain=_threads.grain_for(ntasks, threads),
        threads=threads,
    )  # fmt: skip
    return out
