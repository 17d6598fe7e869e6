"""Mean-field variance maps: iterate q^l = sw2 V(q^{l-1}) + sb2 and chi^l = sw2 D(q^{l-1}).

V and D arrive tabulated (see fastinit/propagation/_activations.py): ``r`` = V(q)/q and
``d`` = D(q) on a uniform grid of u = log q starting at ``scalars[0]`` with step ``scalars[1]``;
``scalars[2:4]`` are V(0) and D(0), ``scalars[4]`` is 1 / step; ``tails`` holds the power-law
exponents of r and d below and above the grid, then (a, b, c) for r and for d above it:
r ~ q^s (a + b / sqrt(q) + c / q).

One table lookup (a log and a 4-point Lagrange interpolation, ~10 ns) replaces a 320-node
quadrature per layer and configuration, which is what makes a 100 x 100 grid of configurations
over 100 layers take milliseconds. Configurations are independent: the caller splits them into
tasks of a fixed number of configurations and runs the tasks on threads (``fastinit._threads``).
"""

import math

from ._jit import jit


@jit
def lookup_outside(q, u0, u_end, r_first, r_last, d_first, d_last, v_zero, d_zero, tails):
    """(V(q), D(q)) off the grid: q = 0, q = inf, NaN or the power-law tails.

    Not inlined (rare for most inputs) and given scalars, plus one small array, because every
    array argument of a call costs reference counting.
    """
    if q <= 0.0:
        return v_zero, d_zero
    if q != q:
        return q, q
    if math.isinf(q):
        if tails[1] > -1.0:
            v = math.inf if tails[4] > 0.0 else -math.inf
        elif tails[1] == -1.0:
            v = tails[4]
        else:
            v = 0.0
        if tails[3] == 0.0:
            dv = tails[7]
        elif tails[3] < 0.0:
            dv = 0.0
        else:
            dv = math.inf
        return v, dv
    u = math.log(q)
    if u < u_end:
        du = u - u0
        return q * r_first * math.exp(tails[0] * du), d_first * math.exp(tails[2] * du)
    inv_sqrt = math.exp(-0.5 * u)
    inv = inv_sqrt * inv_sqrt
    v = q * math.exp(tails[1] * u) * (tails[4] + tails[5] * inv_sqrt + tails[6] * inv)
    return v, math.exp(tails[3] * u) * (tails[7] + tails[8] * inv_sqrt + tails[9] * inv)


@jit(inline="always")
def lookup(q, r, d, scalars, tails):
    """(V(q), D(q)) from the table; q >= 0, inf allowed.

    Inlined, with the rare cases in a separate function: a call that passes arrays costs
    reference-count updates that made a lookup 3x slower.
    """
    x = (math.log(q) - scalars[0]) * scalars[4] if q > 0.0 else -1.0
    if not (x >= 1.0 and x < r.shape[0] - 2.0):
        n = r.shape[0]
        return lookup_outside(
            q, scalars[0], scalars[0] + (n - 1) * scalars[1], r[0], r[n - 1], d[0], d[n - 1],
            scalars[2], scalars[3], tails,
        )  # fmt: skip
    i = int(x)
    t = x - i
    # 4-point Lagrange interpolation through i-1, i, i+1, i+2 at i + t (0 <= t < 1)
    wm = -t * (t - 1.0) * (t - 2.0) * (1.0 / 6.0)
    w0 = (t + 1.0) * (t - 1.0) * (t - 2.0) * 0.5
    w1 = -(t + 1.0) * t * (t - 2.0) * 0.5
    w2 = (t + 1.0) * t * (t - 1.0) * (1.0 / 6.0)
    v = q * (wm * r[i - 1] + w0 * r[i] + w1 * r[i + 1] + w2 * r[i + 2])
    return v, wm * d[i - 1] + w0 * d[i] + w1 * d[i + 1] + w2 * d[i + 2]


@jit
def lookup_many(q, r, d, scalars, tails, v_out, d_out):
    """V and D for every element of a 1-D array ``q``."""
    for k in range(q.shape[0]):
        v_out[k], d_out[k] = lookup(q[k], r, d, scalars, tails)


@jit
def iterate(q0, sw2, sb2, ratio, r, d, scalars, tails, q_out, chi_out, chunk, task_lo, task_hi):
    """Fill q_out (G, L + 1) and chi_out (G, L) for configurations of tasks ``task_lo ..
    task_hi - 1`` over L layers; task k holds configurations k * chunk .. (k + 1) * chunk - 1.

    ``sw2`` and ``sb2`` are (G, L) (broadcast views are fine), ``ratio`` (L,) multiplies chi
    (the width ratio n_l / n_{l-1} of the backward pass). Configurations are independent, so
    any split of the tasks over threads gives the same bits.
    """
    n = q0.shape[0]
    depth = sw2.shape[1]
    for task in range(task_lo, task_hi):
        start = task * chunk
        stop = min(n, start + chunk)
        for g in range(start, stop):
            q_out[g, 0] = q0[g]
        # layer-outer, configuration-inner: consecutive lookups are independent, so the CPU
        # overlaps them (configuration-outer chains 100 dependent log + interpolation steps: 5x
        # slower)
        for layer in range(depth):
            for g in range(start, stop):
                v, dv = lookup(q_out[g, layer], r, d, scalars, tails)
                chi_out[g, layer] = sw2[g, layer] * dv * ratio[layer]
                q_out[g, layer + 1] = sw2[g, layer] * v + sb2[g, layer]


@jit
def mehler(coeff, dcoeff, tail, dtail, c, value, slope):
    """The truncated Mehler series of the correlation maps, at correlations ``c`` (size G).

    value[g] = sum_k coeff[k, j] c^k + tail[j] c^(K + 1) and
    slope[g] = sum_k dcoeff[k, j] c^k + dtail[j] c^K, with K + 1 = coeff.shape[0] and j = g,
    or j = 0 for every g when the coefficients have one column (one variance for all c).
    Horner's rule runs one power at a time over all of c, so the loop over c vectorizes.
    """
    rows = coeff.shape[0]
    if coeff.shape[1] == 1:
        _horner_shared(coeff[:, 0], c, value)
        _horner_shared(dcoeff[:, 0], c, slope)
    else:
        _horner_each(coeff, c, value)
        _horner_each(dcoeff, c, slope)
    for g in range(c.shape[0]):
        j = 0 if tail.shape[0] == 1 else g
        power = c[g] ** (rows - 1)
        value[g] += tail[j] * power * c[g]
        slope[g] += dtail[j] * power


@jit
def _horner_shared(coeff, c, out):
    top = coeff.shape[0] - 1
    for g in range(c.shape[0]):
        out[g] = coeff[top]
    for k in range(top - 1, -1, -1):
        a = coeff[k]
        for g in range(c.shape[0]):
            out[g] = out[g] * c[g] + a


@jit
def _horner_each(coeff, c, out):
    top = coeff.shape[0] - 1
    for g in range(c.shape[0]):
        out[g] = coeff[top, g]
    for k in range(top - 1, -1, -1):
        for g in range(c.shape[0]):
            out[g] = out[g] * c[g] + coeff[k, g]


@jit(inline="always")
def _grid_position(s2, u0, first, inv_du, n):
    """Where s2 falls on a table (value at 0, then ``n`` points log-uniform from
    ``first`` = e^u0): (kind, index, fraction); kind 0 below the first point, 1 on the grid, 2
    beyond it."""
    if s2 <= first:
        return 0, 0, s2 / first
    pos = (math.log(s2) - u0) * inv_du
    if pos >= n - 1:
        return 2, n, 0.0
    i = int(pos)
    return 1, i, pos - i


@jit(inline="always")
def _read_table(table, where, s2, top, limit):
    """The table at a position from ``_grid_position``: linear in s2 below the grid, linear in
    log s2 on it, and beyond it the distance to the one-hot ``limit`` extrapolated as
    s2^(-1/2)."""
    kind, i, frac = where
    if kind == 0:
        return table[0] + (table[1] - table[0]) * frac
    if kind == 2:
        return limit + (table[i] - limit) * math.sqrt(top / s2)
    return table[1 + i] + (table[2 + i] - table[1 + i]) * frac


@jit(inline="always")
def softmax_averages(q, k, gain, tokens, s_tab, f_tab, u0, first, inv_du, top):
    """(c, s^2, S_diag, S_off, F) of attention over ``tokens`` > 1 tokens whose input has second
    moment ``q`` and token covariance ``k`` (see fastinit/propagation/_block_theory.py), from
    the tables of S and F (``first`` = e^u0)."""
    n = s_tab.shape[0] - 1
    base = 1.0 / tokens
    c = min(max(k / q, 0.0), 1.0) if q > 0 else 0.0
    s2 = gain * q * q
    own = s2 * (1.0 - c)
    column = s2 * c * (1.0 - c)
    at_own = _grid_position(own, u0, first, inv_du, n)
    s_diag = _read_table(s_tab, at_own, own, top, 1.0)
    f = _read_table(f_tab, at_own, own, top, 0.0)
    upper = _read_table(s_tab, _grid_position(column, u0, first, inv_du, n), column, top, 1.0)
    if own <= 0.0:
        ratio = 0.0
    elif own > 700.0:  # expm1 overflows: the ratio is exp(column - own) there
        ratio = math.exp(column - own)
    else:
        ratio = math.expm1(column) / math.expm1(own)
    lower = max(base + (s_diag - base) * ratio, base)
    return c, s2, s_diag, min(s_diag, math.sqrt(upper * lower)), f


@jit
def attention_moments(q_u, k_u, gain, vo, tokens, s_tab, f_tab, u0, inv_du, top, out, chunk,
                      task_lo, task_hi):  # fmt: skip
    """Softmax attention's mean-field maps for configurations of tasks ``task_lo..task_hi``
    (``chunk`` each; see fastinit/propagation/_block_theory.py): out rows are q_branch,
    k_branch, s2, c, S_diag, S_off and F. ``q_u``, ``k_u``, ``gain`` and ``vo`` have one value
    per configuration or one for all (size 1)."""
    groups = out.shape[1]
    first = math.exp(u0)
    for g in range(task_lo * chunk, min(groups, task_hi * chunk)):
        q = q_u[0 if q_u.shape[0] == 1 else g]
        k = k_u[0 if k_u.shape[0] == 1 else g]
        gain_g = gain[0 if gain.shape[0] == 1 else g]
        c, s2, s_diag, s_off, f = softmax_averages(q, k, gain_g, tokens, s_tab, f_tab, u0, first,
                                                   inv_du, top)  # fmt: skip
        scale = vo[0 if vo.shape[0] == 1 else g] * q
        out[0, g] = scale * (c + (1.0 - c) * s_diag)
        out[1, g] = scale * (c + (1.0 - c) * s_off)
        out[2, g] = s2
        out[3, g] = c
        out[4, g] = s_diag
        out[5, g] = s_off
        out[6, g] = f
