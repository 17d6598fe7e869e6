"""Mean-field theory of residual stacks: forward variance, token correlation, gradient variance.

The state of the residual stream x after each sublayer is, per coordinate and in the infinite
width limit, its second moment q = E[x_i^2] and the covariance k = E[x_i x'_i] between two tokens
(or two inputs) x and x'; c = k / q is their correlation. Backwards, the gradient has a second
moment G and a covariance K between tokens. Every weight is zero-mean and independent of
everything before it, so the skip path and the branch add in second moments:
q' = alpha^2 q + beta^2 q_branch, and the same for k, G and K (their cross terms vanish).

* norm (LayerNorm or RMSNorm, no affine): q -> 1 and k -> c. Backwards, G and K are divided by
  the q it normalized. Both drop what is O(1/width): LayerNorm's mean over coordinates (zero
  at init, as the weights are zero-mean) and the projection out of the normalized direction.
* MLP branch W_out phi(W_in u): with q_h = sigma_w2 q_u, q_b = sigma_o2 C(q_h, 1) and
  k_b = sigma_o2 C(q_h, c), C being the correlation map (``_cmap``); backwards G is multiplied
  by sigma_w2 sigma_o2 D(q_h) and K by sigma_w2 sigma_o2 Cd(q_h, c).
* attention branch: see ``_attention_forward``. Of its two softmax averages one is computed
  exactly and the other interpolated, and the gradient through the scores is a mean-field
  estimate (``_softmax``; docs/stacks.md shows each against the simulation).

Two drivers run these maps. The compiled pass (``kernels/stack_theory.py``) runs the whole
stack, forward and backward, for a few dozen configurations at a time, on threads; it serves
every normalized stack and every stack whose MLP activations have closed forms. Without a norm,
a series-map activation (tanh, gelu, ...) needs new correlation-map coefficients at every
block's variance, which NumPy computes for all configurations at once: those stacks iterate
here a sublayer at a time (``_iterate``), the reference the tests hold the compiled pass to.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks, _threads, config
from . import _checks as pc
from . import _cmap, _softmax
from ._blocks import AttentionBranch, ResidualStack
from ._cmap import _CLOSED_FORM, CorrelationMap

_TASK_CONFIGS = 64  # configurations per task of the compiled pass: its state stays in cache
_PARALLEL_MIN = 1 << 17  # configurations x sublayers x blocks below which one thread runs


@dataclass(frozen=True)
class BlockTheoryResult:
    """Mean-field prediction for a residual stack, per block.

    Attributes
    ----------
    q : ndarray, shape (..., depth + 1)
        Second moment of the residual stream x_l per coordinate (``q[..., 0]`` is q0).
    c : ndarray, shape (..., depth + 1)
        Correlation between two tokens (two inputs in an MLP stack) of x_l: 1 is rank collapse.
    grad_var : ndarray, shape (..., depth + 1)
        Second moment of dL/dx_l for a unit, token-independent gradient at the output
        (``grad_var[..., depth] == 1``).
    grad_corr : ndarray, shape (..., depth + 1)
        Correlation of dL/dx_l between two tokens.
    stack : ResidualStack
    """

    q: np.ndarray
    c: np.ndarray
    grad_var: np.ndarray
    grad_corr: np.ndarray
    stack: ResidualStack

    @property
    def forward_var(self):
        """q of blocks 1..depth (what the simulation's ``forward_var[:, 1:]`` measures)."""
        return self.q[..., 1:]


def _normalize(q, k):
    """(q, k) after a norm: unit variance, the same correlation."""
    return 1.0, _correlation(q, k)


def _correlation(q, k):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(q > 0, k / q, 0.0)


class _MLP:
    """Forward and backward maps of an MLP branch (q_u == 1.0 exactly after a norm: cached)."""

    def __init__(self, branch, sigma_w2, sigma_o2):
        self.branch, self.s1, self.s2 = branch, sigma_w2, sigma_o2
        self._unit = None

    def _map(self, q_u):
        q_h = np.asarray(self.s1 * q_u, dtype=np.float64)
        cmap = CorrelationMap(self.branch.code, self.branch.param, q_h)
        v, d = cmap.at(np.ones_like(q_h))
        return cmap, v, d

    def forward(self, q_u, k_u):
        if isinstance(q_u, float) and q_u == 1.0:
            if self._unit is None:
                self._unit = self._map(1.0)
            cmap, v, d = self._unit
        else:
            cmap, v, d = self._map(q_u)
        c_u = _correlation(q_u, k_u)
        cross, dcross = cmap.at(c_u)
        gain = self.s1 * self.s2
        return self.s2 * v, self.s2 * cross, (gain * d, gain * dcross)

    @staticmethod
    def backward(saved, g, k):
        chi_g, chi_k = saved
        return chi_g * g, chi_k * k


class _Attention:
    """Forward and backward maps of softmax self-attention over T exchangeable tokens."""

    def __init__(self, branch, width, seq_len, sigma_qk2, sigma_v2, sigma_o2):
        d = branch.head_dim(width)
        scale = branch.score_scale(width)
        # scale * scale, not scale ** 2: a float power raises OverflowError beyond 1e308; and
        # zero query and key weights give zero scores at any scale, not inf * 0 = NaN
        with np.errstate(over="ignore", invalid="ignore"):
            gain = scale * scale * d * sigma_qk2 * sigma_qk2
        if np.ndim(gain):
            self.score_gain = np.where(sigma_qk2 == 0, 0.0, gain)
        else:
            self.score_gain = gain if sigma_qk2 != 0 else 0.0
        self.t = seq_len
        self.vo = sigma_v2 * sigma_o2

    def forward(self, q_u, k_u):
        return _attention_forward(self.score_gain, self.vo, self.t, q_u, k_u)

    def backward(self, saved, g, k):
        s2, c, s_diag, s_off, jac = saved
        t = self.t
        value_g = g * s_diag + k * (t - 1) * s_off
        # through the scores: the query side and the key side's own-row terms carry the
        # softmax Jacobian's mean square F (``jac``); its cross-row terms are taken to keep the
        # same share F / S_diag of their softmax product (1 for many tokens, 0 when saturated)
        cross = c * k * (t - 1) * s_off * (jac / s_diag)
        score_g = s2 * (1.0 - c) * ((2.0 - c) * g * jac + cross)
        return self.vo * (value_g + score_g), self.vo * (g + k * (t - 1)) / t


def _attention_forward(score_gain, vo, t, q_u, k_u):
    """Attention's output second moment and token covariance, and what its backward needs.

    The scores s_ij = scale q_i . k_j are, for a wide head, Gaussian with variance
    sigma^2 = scale^2 d sigma_qk2^2 q_u^2 and, for tokens of correlation c, a Kronecker
    covariance: s_ij = sigma (c a + sqrt(c (1 - c)) (b_i + g_j) + (1 - c) e_ij) with a, b, g, e
    independent standard normals. a and b_i are constant along a softmax row and drop out.
    The output moments need S_diag = E sum_j A_ij^2 (exact, ``_softmax.row_square_sum``) and
    S_off = E sum_j A_ij A_kj for i != k (``_softmax.cross_row_sum``, an interpolation); in
    the many-token limit they are exp(sigma^2 (1 - c)) / T and exp(sigma^2 c (1 - c)) / T.
    W_V and W_O being independent of the scores,
        q_out = sigma_v2 sigma_o2 q_u (c + (1 - c) S_diag)
        k_out = sigma_v2 sigma_o2 q_u (c + (1 - c) S_off).
    """
    if t > 1:  # one compiled pass; the same arithmetic as the functions below
        q_b, k_b, *saved = _softmax.attention_moments(q_u, k_u, score_gain, vo, t)
        return q_b, k_b, tuple(saved)
    c = np.clip(_correlation(q_u, k_u), 0.0, 1.0)
    s2 = score_gain * np.asarray(q_u, dtype=np.float64) ** 2
    one_minus = 1.0 - c
    s_diag = _softmax.row_square_sum(s2 * one_minus, t)
    s_off = np.minimum(s_diag, _softmax.cross_row_sum(s2, c, t))
    q_b = vo * q_u * (c + one_minus * s_diag)
    k_b = vo * q_u * (c + one_minus * s_off)
    return q_b, k_b, (s2, c, s_diag, s_off, _softmax.gradient_factor(s2 * one_minus, t))


def _branch_maps(stack, values):
    """One map object per branch, with this grid's (flattened) variances."""
    maps = []
    it = iter(values)
    for b in stack.branches:
        if isinstance(b, AttentionBranch):
            sqk, sv, so = next(it), next(it), next(it)
            maps.append(_Attention(b, stack.width, stack.seq_len, sqk, sv, so))
        else:
            s1, s2 = next(it), next(it)
            maps.append(_MLP(b, s1, s2))
    return maps


def block_theory(stack, *, q0=1.0, c0=0.0):
    """Iterate the mean-field maps through ``stack``: see :func:`theory`."""
    q_in = pc.non_negative_array(q0, "q0")
    c_in = pc.correlation_array(c0, "c0")
    arrays = stack.grid_arrays() + [q_in, c_in]
    try:
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    except ValueError:
        raise ValueError(
            "alpha, beta, the branch variances, q0 and c0 do not broadcast: shapes "
            + ", ".join(str(np.shape(a)) for a in arrays)
        ) from None
    groups = math.prod(shape)
    depth = stack.depth
    _checks.fits_in_memory(
        8 * groups * (4 * (depth + 1) + 8 * stack.sublayers + len(arrays)),
        "the stack's depth and the grid of its settings, q0 and c0",
        f"depth={depth} for {groups} configurations",
    )
    flat = [np.broadcast_to(a, shape).reshape(groups) if np.ndim(a) else float(a) for a in arrays]
    alpha, beta, *branch_values = flat[:-2]
    # a scalar q0 stays a scalar: a branch that sees one variance for every configuration
    # builds its correlation map once
    q = flat[-2]
    k = q * np.broadcast_to(flat[-1], (groups,))
    a2, b2 = alpha * alpha, beta * beta
    maps = _branch_maps(stack, branch_values)
    if groups == 0:  # an empty grid: nothing to run (the passes assume a configuration)
        out = np.empty((4, 0, depth + 1))
    elif _compiles(stack):
        # as in _iterate: variances beyond float64 become inf (and the maps of inf NaN)
        with np.errstate(over="ignore", invalid="ignore"):
            out = _compiled(stack, maps, a2, b2, q, k, groups)
    else:
        out = np.moveaxis(_iterate(stack, maps, a2, b2, q, k, groups), 1, -1)
    res = out.reshape((4,) + shape + (depth + 1,))
    return BlockTheoryResult(res[0], res[1], res[2], res[3], stack)


def _compiles(stack):
    """Whether the compiled pass runs this stack: it needs every series-map MLP branch to see a
    variance known before the run (after a norm, or q0); without a norm the series
    coefficients change with every block's variance and are recomputed in NumPy."""
    return stack.norm is not None or all(
        isinstance(b, AttentionBranch) or b.code in _CLOSED_FORM for b in stack.branches
    )


def _per_config(values, groups):
    """Rows of per-configuration values: one column each when all are scalars, else ``groups``."""
    wide = any(np.ndim(v) for v in values)
    return np.array([np.broadcast_to(v, (groups,)) if wide else [v] for v in values], float)


def _series(m, q_u):
    """The MLP's correlation-map coefficients at input variance ``q_u`` as one polynomial in c
    for C and one for Cd (the tail term is the last power), and their values at c = 1."""
    cmap = CorrelationMap(m.branch.code, m.branch.param, np.atleast_1d(m.s1 * q_u))
    terms = cmap.coeff.shape[0] + 1
    poly = np.zeros((2, terms, cmap.coeff.shape[1]))
    poly[0, :-1], poly[0, -1] = cmap.coeff, cmap.tail
    poly[1, :-2], poly[1, -2] = cmap.dcoeff, cmap.dtail
    return poly, poly.sum(axis=1)


def _compiled(stack, maps, a2, b2, q0, k0, groups):
    """q, c, G and the gradient's correlation, (4, groups, depth + 1), by the compiled pass."""
    from ..kernels import stack_theory as kst

    kinds, closed, params, sets, series_of = [], [], [], [], []
    first = -1
    for i, m in enumerate(maps):
        closed.append((0.0, 0.0))
        series_of.append(0)
        if isinstance(m, _Attention):
            kinds.append(kst.ATTENTION)
            params.extend([m.score_gain, m.vo])
            continue
        params.extend([m.s1, m.s2])
        if m.branch.code in _CLOSED_FORM:
            kinds.append(kst.MLP_CLOSED)
            slope = _cmap.closed_form_slope(m.branch.code, m.branch.param)
            closed[-1] = (((1.0 + slope) / 2.0) ** 2, ((1.0 - slope) / 2.0) ** 2)
            continue
        kinds.append(kst.MLP_SERIES)
        series_of[-1] = len(sets)
        sets.append(_series(m, 1.0))
        if i == 0 and stack.position == "post":
            first = len(sets)
            sets.append(_series(m, q0))
    if not sets:
        sets.append((np.zeros((2, 1, 1)), np.zeros((2, 1))))
    terms = max(p.shape[1] for p, _ in sets)
    columns = max(p.shape[2] for p, _ in sets)
    series = np.zeros((len(sets), 2, terms, columns))
    at_one = np.empty((len(sets), 2, columns))
    for i, (poly, one) in enumerate(sets):
        series[i, :, : poly.shape[1]] = poly
        at_one[i] = one
    params = _per_config(params, groups).reshape(len(maps), 2, -1)
    a2, b2, q0, k0 = (np.ascontiguousarray(np.atleast_1d(np.asarray(v, float)))
                      for v in (a2, b2, q0, k0))  # fmt: skip
    tokens = stack.seq_len
    s_tab, f_tab = _softmax.table(tokens)
    u0, inv_du, top = _softmax.grid_scale()
    out = np.empty((4, groups, stack.depth + 1))
    ntasks = -(-groups // _TASK_CONFIGS)
    work = groups * stack.depth * len(maps)
    threads = config.thread_count() if config.use_threads(work, _PARALLEL_MIN) else 1
    _threads.run(
        kst.stack_theory, ntasks, np.array(kinds, np.int64), np.array(closed), params, series,
        at_one, np.array(series_of, np.int64), first, a2, b2, q0, k0,
        stack.position == "post", stack.norm is not None, float(tokens), s_tab, f_tab, u0,
        inv_du, top, out, _TASK_CONFIGS, grain=_threads.grain_for(ntasks, threads),
        threads=threads,
    )  # fmt: skip
    return out


def _iterate(stack, maps, a2, b2, q, k, groups):
    """The same maps in NumPy, a sublayer at a time over every configuration: (4, depth + 1,
    groups)."""
    depth = stack.depth
    out = np.empty((4, depth + 1, groups))  # layer-major while filling: contiguous rows
    out[0, 0], out[1, 0] = q, _correlation(q, k)
    saved = []
    with np.errstate(over="ignore", invalid="ignore"):
        for block in range(depth):
            for m in maps:
                q, k = _sublayer(stack, m, q, k, a2, b2, saved)
            out[0, block + 1], out[1, block + 1] = q, _correlation(q, k)
        _backward(stack, maps, saved, a2, b2, out[2], out[3])
    return out


def _sublayer(stack, m, q, k, a2, b2, saved):
    """One residual sublayer forward; appends what its backward pass needs to ``saved``."""
    normed = stack.norm is not None
    if stack.position == "pre":
        q_u, k_u = _normalize(q, k) if normed else (q, k)
        q_b, k_b, back = m.forward(q_u, k_u)
        saved.append((_inverse(q) if normed else 1.0, back))
        return a2 * q + b2 * q_b, a2 * k + b2 * k_b
    q_b, k_b, back = m.forward(q, k)
    q_z, k_z = a2 * q + b2 * q_b, a2 * k + b2 * k_b
    if not normed:
        saved.append((1.0, back))
        return q_z, k_z
    inv = _inverse(q_z)
    saved.append((inv, back))
    return 1.0, k_z * inv


def _inverse(q):
    """1 / q, with the norm's gradient of a dead signal (q = 0) taken as infinite."""
    with np.errstate(divide="ignore"):
        return np.divide(1.0, q)  # q may be a Python float: 1.0 / 0.0 would raise


def _backward(stack, maps, saved, a2, b2, grad_out, corr_out):
    """Walk ``saved`` back from a unit, token-independent output gradient."""
    depth = stack.depth
    groups = grad_out.shape[1]
    g, k = np.ones(groups), np.zeros(groups)
    grad_out[depth], corr_out[depth] = g, k
    index = len(saved)
    for block in range(depth - 1, -1, -1):
        for m in reversed(maps):
            index -= 1
            inv, back = saved[index]
            if stack.position == "pre":
                bg, bk = m.backward(back, g, k)
                g, k = a2 * g + b2 * bg * inv, a2 * k + b2 * bk * inv
            else:
                g, k = g * inv, k * inv
                bg, bk = m.backward(back, g, k)
                g, k = a2 * g + b2 * bg, a2 * k + b2 * bk
        grad_out[block], corr_out[block] = g, _correlation(g, k)
