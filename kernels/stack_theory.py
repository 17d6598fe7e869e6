"""Mean-field theory of a residual stack in one compiled pass per group of configurations.

The maps are those of fastinit/propagation/_block_theory.py (which documents them); this kernel
runs every block of the stack, forward then backward, for ``chunk`` configurations at a time, so
that the state of a group and what its backward pass needs stay in cache, and groups run on
threads. Configurations are independent: any split of the tasks gives the same bits.

Sublayer ``b`` of a block has a kind (``MLP_CLOSED``, ``MLP_SERIES`` or ``ATTENTION``) and two
per-configuration settings ``params[b]``: (sigma_w2, sigma_o2) for an MLP branch, (the score
gain, sigma_v2 sigma_o2) for attention. Every per-configuration array has one value per
configuration or one for all (size 1 along its last axis).

Backwards, each sublayer's branch is a 2x2 linear map of the gradient's second moment G and its
token covariance K; the forward pass stores it with the norm's 1 / q.
"""

import math

import numpy as np

from ._jit import jit
from .meanfield import softmax_averages

MLP_CLOSED, MLP_SERIES, ATTENTION = 0, 1, 2
_SAVED = 5  # per sublayer and configuration: the norm's 1 / q, then the branch's 2x2 map


@jit(inline="always")
def _at(a, g):
    """a[g], or a[0] when one value serves every configuration."""
    return a[0 if a.shape[0] == 1 else g]


@jit(inline="always")
def _corr(q, k):
    return k / q if q > 0.0 else 0.0


@jit(inline="always")
def _inverse(q):
    """1 / q, infinite for a dead signal (the numpy error model divides as NumPy does)."""
    return 1.0 / q


@jit(inline="always")
def _branch_input(q, k, normalized):
    """The branch's input (q, k): after a pre-norm, unit variance and the same correlation."""
    return (1.0, _corr(q, k)) if normalized else (q, k)


@jit(inline="always")
def _closed_form(q_h, c, p2, m2):
    """C(q_h, c) and Cd(q_h, c) of phi = p x + m |x| (the arc-cosine kernel)."""
    arcsin = math.asin(c)
    abs_term = (2.0 / math.pi) * (math.sqrt(max(1.0 - c * c, 0.0)) + c * arcsin)
    return q_h * (p2 * c + m2 * abs_term), p2 + m2 * (2.0 / math.pi) * arcsin


@jit(inline="always")
def _attention(q, k, gain, vo, tokens, s_tab, f_tab, u0, first, inv_du, top):
    """Attention's q_branch, k_branch and its backward 2x2 map (see ``_block_theory``)."""
    if tokens == 1.0:
        scale = vo * q
        return scale, scale, vo, 0.0, vo, 0.0
    c, s2, s_diag, s_off, f = softmax_averages(q, k, gain, tokens, s_tab, f_tab, u0, first,
                                               inv_du, top)  # fmt: skip
    scale = vo * q
    score = s2 * (1.0 - c)
    rest = tokens - 1.0
    return (
        scale * (c + (1.0 - c) * s_diag),
        scale * (c + (1.0 - c) * s_off),
        vo * (s_diag + score * (2.0 - c) * f),
        vo * rest * s_off * (1.0 + score * c * f / s_diag),
        vo / tokens,
        vo * rest / tokens,
    )


@jit
def stack_theory(kinds, closed, params, series, series_at_one, series_of, first_series, a2, b2,
                 q0, k0, post, normed, tokens, s_tab, f_tab, u0, inv_du, top, out, chunk,
                 task_lo, task_hi):  # fmt: skip
    """Fill ``out`` (4, G, depth + 1) with q, c, G and the gradient's token correlation for the
    configurations of tasks ``task_lo..task_hi`` (``chunk`` configurations each).

    ``closed[b]`` is (p^2, m^2) of a closed-form MLP activation. ``series[s]`` (2, terms, Gs)
    holds the power-series coefficients in c of C and Cd at a fixed input variance,
    ``series_at_one[s]`` (2, Gs) their values at c = 1; an ``MLP_SERIES`` sublayer ``b`` reads
    set ``series_of[b]``, except the first sublayer of a post-norm stack's first block, which
    sees q0 and reads ``first_series``. A series sublayer needs a norm before it (or q0): the
    caller runs the other stacks with NumPy.
    """
    groups = out.shape[1]
    depth = out.shape[2] - 1
    width = kinds.shape[0]
    terms = series.shape[2]
    first = math.exp(u0)
    saved = np.empty((depth, width, _SAVED, chunk))
    record = np.empty((4, depth + 1, chunk))
    q = np.empty(chunk)
    k = np.empty(chunk)
    c = np.empty(chunk)
    value = np.empty(chunk)
    slope = np.empty(chunk)
    for task in range(task_lo, task_hi):
        start = task * chunk
        n = min(groups, start + chunk) - start
        for j in range(n):
            q[j] = _at(q0, start + j)
            k[j] = _at(k0, start + j)
            record[0, 0, j] = q[j]
            record[1, 0, j] = _corr(q[j], k[j])
        for block in range(depth):
            for b in range(width):
                here = saved[block, b]
                kind = kinds[b]
                s = series_of[b]
                if post and block == 0 and b == 0 and first_series >= 0:
                    s = first_series
                if kind == MLP_SERIES:  # the series over c, one power at a time: vectorizes
                    coeff = series[s]
                    for j in range(n):
                        q_u, k_u = _branch_input(q[j], k[j], normed and not post)
                        c[j] = min(max(_corr(q_u, k_u), -1.0), 1.0)
                        value[j] = 0.0
                        slope[j] = 0.0
                    for p in range(terms - 1, -1, -1):
                        if coeff.shape[2] == 1:
                            a, d = coeff[0, p, 0], coeff[1, p, 0]
                            for j in range(n):
                                value[j] = value[j] * c[j] + a
                                slope[j] = slope[j] * c[j] + d
                        else:
                            for j in range(n):
                                value[j] = value[j] * c[j] + coeff[0, p, start + j]
                                slope[j] = slope[j] * c[j] + coeff[1, p, start + j]
                for j in range(n):
                    g = start + j
                    qj, kj = q[j], k[j]
                    inv = _inverse(qj) if normed and not post else 1.0
                    q_u, k_u = _branch_input(qj, kj, normed and not post)
                    s1, s2 = _at(params[b, 0], g), _at(params[b, 1], g)
                    if kind == ATTENTION:
                        q_b, k_b, m00, m01, m10, m11 = _attention(
                            q_u, k_u, s1, s2, tokens, s_tab, f_tab, u0, first, inv_du, top
                        )
                    else:
                        if kind == MLP_CLOSED:
                            cj = min(max(_corr(q_u, k_u), -1.0), 1.0)
                            q_h = s1 * q_u
                            v, d = _closed_form(q_h, 1.0, closed[b, 0], closed[b, 1])
                            cross, dcross = _closed_form(q_h, cj, closed[b, 0], closed[b, 1])
                        else:
                            v = _at(series_at_one[s, 0], g)
                            d = _at(series_at_one[s, 1], g)
                            cross, dcross = value[j], slope[j]
                        gain = s1 * s2
                        q_b, k_b = s2 * v, s2 * cross
                        m00, m01, m10, m11 = gain * d, 0.0, 0.0, gain * dcross
                    if post:
                        qj = _at(a2, g) * qj + _at(b2, g) * q_b
                        kj = _at(a2, g) * kj + _at(b2, g) * k_b
                        if normed:
                            inv = _inverse(qj)
                            qj, kj = 1.0, kj * inv
                    else:
                        qj = _at(a2, g) * qj + _at(b2, g) * q_b
                        kj = _at(a2, g) * kj + _at(b2, g) * k_b
                    q[j], k[j] = qj, kj
                    here[0, j], here[1, j], here[2, j] = inv, m00, m01
                    here[3, j], here[4, j] = m10, m11
            for j in range(n):
                record[0, block + 1, j] = q[j]
                record[1, block + 1, j] = _corr(q[j], k[j])
        # backwards from a unit, token-independent gradient (q and k now hold G and K)
        for j in range(n):
            q[j], k[j] = 1.0, 0.0
            record[2, depth, j], record[3, depth, j] = 1.0, 0.0
        for block in range(depth - 1, -1, -1):
            for b in range(width - 1, -1, -1):
                here = saved[block, b]
                mixes = kinds[b] == ATTENTION
                for j in range(n):
                    g = start + j
                    gj, kj = q[j], k[j]
                    inv = here[0, j]
                    if post:
                        gj, kj = gj * inv, kj * inv
                    if mixes:
                        bg = here[1, j] * gj + here[2, j] * kj
                        bk = here[3, j] * gj + here[4, j] * kj
                    else:
                        bg, bk = here[1, j] * gj, here[4, j] * kj
                    if not post:
                        bg, bk = bg * inv, bk * inv
                    q[j] = _at(a2, g) * gj + _at(b2, g) * bg
                    k[j] = _at(a2, g) * kj + _at(b2, g) * bk
            for j in range(n):
                record[2, block, j] = q[j]
                record[3, block, j] = _corr(q[j], k[j])
        for r in range(4):
            for j in range(n):
                for layer in range(depth + 1):
                    out[r, start + j, layer] = record[r, layer, j]
