"""Mean-field theory of signal propagation: theory(), critical_sigma_w2(), depth scales."""

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks, _threads, config
from . import _activations
from . import _checks as pc
from ._blocks import ResidualStack

# largest sigma_w2 searched for the order-to-chaos boundary
_MAX_CRITICAL_SW2 = 1e4
_PARALLEL_MIN_WORK = 200_000  # configurations x layers below which theory() runs serially
_TASK_CONFIGS = 256  # configurations per task (each independent: any split gives the same bits)


def widths_tuple(widths, name="widths"):
    dims = _checks.shape_tuple(widths, name)
    if len(dims) < 2:
        raise ValueError(
            f"{name} must list at least 2 layer sizes (input, ..., output), got {dims}"
        )
    if min(dims) < 1:
        raise ValueError(f"{name} must be positive, got {dims}")
    if max(dims) > pc.MAX_SIZE:
        raise ValueError(f"{name} must be at most {pc.MAX_SIZE} (int64), got {max(dims)}")
    return dims


@dataclass(frozen=True)
class TheoryResult:
    """Mean-field prediction for a grid of configurations.

    Attributes
    ----------
    q : ndarray, shape (..., depth + 1)
        ``q[..., 0]`` is q0; ``q[..., l]`` the pre-activation variance of layer l.
    chi : ndarray, shape (..., depth)
        ``chi[..., l - 1]`` = sigma_w2 E[phi'(sqrt(q^{l-1}) z)^2] (times n_l / n_{l-1} when
        widths are given): the factor by which the gradient variance grows from layer l back to
        layer l - 1.
    activation : str
    """

    q: np.ndarray
    chi: np.ndarray
    activation: str

    @property
    def forward_var(self):
        """Pre-activation variance of layers 1..depth (what simulate() measures)."""
        return self.q[..., 1:]

    @property
    def grad_var(self):
        """Variance of the gradient w.r.t. the pre-activations of layers 1..depth, for a unit
        output gradient at the last layer: ``grad_var[..., l - 1] = prod(chi[..., l:])``."""
        tail = self.chi[..., :0:-1]  # chi of layers depth..2, in backward order
        ones = np.ones(self.chi.shape[:-1] + (1,))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return np.concatenate([ones, np.cumprod(tail, axis=-1)], axis=-1)[..., ::-1]

    @property
    def depth_scale(self):
        """Gradient depth scale xi = -1 / log(chi) at the last layer (near the fixed point when
        the network is deep): inf at criticality, negative when gradients grow."""
        with np.errstate(divide="ignore"):
            return -1.0 / np.log(self.chi[..., -1])


def layer_theory(code, param, q0, sw2, sb2, ratio):
    """The kernel call: q0 (G,), sw2 and sb2 (G, L), ratio (L,) -> q (G, L + 1), chi (G, L)."""
    from ..kernels import meanfield

    r, d, scalars, tails = _activations.table(code, param).arrays()
    groups, depth = sw2.shape
    q = np.empty((groups, depth + 1))
    chi = np.empty((groups, depth))
    ntasks = -(-groups // _TASK_CONFIGS)
    # small problems stay on the calling thread: handing work to a pool thread costs more
    threads = config.thread_count() if config.use_threads(groups * depth, _PARALLEL_MIN_WORK) else 1
    _threads.run(
        meanfield.iterate, ntasks, q0, sw2, sb2, ratio, r, d, scalars, tails, q, chi, _TASK_CONFIGS,
        grain=_threads.grain_for(ntasks, threads), threads=threads,
    )  # fmt: skip
    return q, chi


def theory(
    activation, sigma_w2=None, sigma_b2=0.0, *, depth=None, q0=1.0, widths=None, param=None, c0=0.0
):  # fmt: skip
    """Mean-field prediction of the forward variance and the gradient factor at every layer.

    Iterates the length map q^l = sigma_w2 E[phi(sqrt(q^{l-1}) z)^2] + sigma_b2 and the
    gradient factor chi^l = sigma_w2 E[phi'(sqrt(q^{l-1}) z)^2] (Poole et al. 2016; Schoenholz
    et al. 2017) for z ~ N(0, 1), where sigma_w2 = fan_in Var(W) and sigma_b2 = Var(b). The
    Gaussian expectations use a Gauss rule split at 0 (see ``docs/propagation.md``).

    Given a :class:`ResidualStack` in place of the activation, predicts the residual stream
    per block instead (forward variance, token correlation, gradient variance and correlation;
    see ``docs/stacks.md`` for the maps and their approximations) and returns a
    :class:`BlockTheoryResult`. ``sigma_w2``, ``sigma_b2``, ``depth``, ``widths`` and ``param``
    then come from the stack; ``q0`` and ``c0`` (the input tokens' correlation) broadcast with
    the stack's array-valued settings.

    Parameters
    ----------
    activation : str or ResidualStack
        linear, relu, leaky_relu, tanh, sigmoid, gelu, silu, selu, elu or softplus.
    sigma_w2, sigma_b2, q0 : float or array_like
        Weight and bias variances and the input variance, all >= 0. They broadcast together,
        so one call covers a whole grid of configurations. ``sigma_w2`` is required for an
        activation.
    depth : int
        Number of layers (>= 1), required for an activation.
    widths : sequence of int, optional
        Layer sizes (length depth + 1). The forward map does not depend on them in the
        mean-field limit; the backward factor chi^l is multiplied by n_l / n_{l-1}.
    param : float, optional
        Negative slope of leaky_relu (default 0.01) or alpha of elu (default 1).

    c0 : float or array_like, default 0.0
        Residual stacks only: the correlation between two input tokens, in [-1, 1].

    Returns
    -------
    TheoryResult or BlockTheoryResult
        ``.q`` of shape ``broadcast_shape + (depth + 1,)``, ``.chi`` of shape
        ``broadcast_shape + (depth,)``, and ``.forward_var``, ``.grad_var``, ``.depth_scale``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.propagation import theory
    >>> theory("relu", 2.0, depth=3).q            # He et al.: sigma_w2 = 2 keeps q
    array([1., 1., 1., 1.])
    >>> theory("relu", 1.0, depth=3).q            # sigma_w2 = 1 halves it at every layer
    array([1.   , 0.5  , 0.25 , 0.125])
    >>> grid = theory("tanh", np.linspace(0.5, 4, 100)[:, None], np.linspace(0, 0.3, 100),
    ...               depth=100)
    >>> grid.q.shape, grid.chi.shape
    ((100, 100, 101), (100, 100, 100))
    >>> from fastinit.propagation import MLPBranch, ResidualStack
    >>> stack = ResidualStack(MLPBranch("relu", sigma_w2=2.0, sigma_o2=1.0), depth=4)
    >>> theory(stack).q                           # pre-norm: q grows linearly with depth
    array([1., 2., 3., 4., 5.])
    """
    if isinstance(activation, ResidualStack):
        return _stack_theory(activation, sigma_w2, sigma_b2, depth, widths, param, q0, c0)
    if sigma_w2 is None:
        raise TypeError("theory() needs sigma_w2 for an activation")
    if depth is None:
        raise TypeError("theory() needs depth= for an activation")
    if not _is_zero(c0):
        raise ValueError("c0 applies to residual stacks only; an MLP's theory tracks q and chi")
    _, code, param = _activations.activation_spec(activation, param)
    depth = _checks.positive_int(depth, "depth")
    sw2 = pc.non_negative_array(sigma_w2, "sigma_w2")
    sb2 = pc.non_negative_array(sigma_b2, "sigma_b2")
    q_in = pc.non_negative_array(q0, "q0")
    if widths is not None:
        dims = widths_tuple(widths)
        if len(dims) != depth + 1:
            raise ValueError(f"widths must have depth + 1 = {depth + 1} entries, got {len(dims)}")
    try:
        shape = np.broadcast_shapes(sw2.shape, sb2.shape, q_in.shape)
    except ValueError:
        raise ValueError(
            f"sigma_w2 {sw2.shape}, sigma_b2 {sb2.shape} and q0 {q_in.shape} do not broadcast"
        ) from None
    groups = math.prod(shape)
    # q and chi, the flattened sigma_w2, sigma_b2 and q0, and the width ratios (float64)
    _checks.fits_in_memory(
        8 * (groups * (2 * depth + 1) + 3 * groups + depth),
        "depth",
        f"depth={depth} for {groups} configuration(s) (sigma_w2, sigma_b2 and q0 broadcast to "
        f"{shape})",
    )
    if widths is None:
        ratio = np.ones(depth)
    else:
        ratio = np.asarray(dims[1:], dtype=np.float64) / np.asarray(dims[:-1], dtype=np.float64)
    sw2_g = np.broadcast_to(sw2, shape).reshape(groups)
    sb2_g = np.broadcast_to(sb2, shape).reshape(groups)
    q0_g = np.ascontiguousarray(np.broadcast_to(q_in, shape).reshape(groups))
    q, chi = layer_theory(
        code, param, q0_g, np.broadcast_to(sw2_g[:, None], (groups, depth)),
        np.broadcast_to(sb2_g[:, None], (groups, depth)), ratio,
    )  # fmt: skip
    return TheoryResult(q.reshape(shape + (depth + 1,)), chi.reshape(shape + (depth,)), activation)


def _is_zero(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _stack_theory(stack, sigma_w2, sigma_b2, depth, widths, param, q0, c0):
    from ._block_theory import block_theory

    given = {"sigma_w2": sigma_w2, "depth": depth, "widths": widths, "param": param}
    for name, value in given.items():
        if value is not None:
            raise TypeError(f"theory() takes {name} from the ResidualStack, not as an argument")
    if not _is_zero(sigma_b2):
        raise TypeError("theory() of a ResidualStack takes no sigma_b2: its layers have no biases")
    return block_theory(stack, q0=q0, c0=c0)


def _vd(code, param, q):
    from ..kernels import meanfield

    r, d, scalars, tails = _activations.table(code, param).arrays()
    q = np.ascontiguousarray(np.atleast_1d(np.asarray(q, dtype=np.float64)))
    v, dv = np.empty_like(q), np.empty_like(q)
    meanfield.lookup_many(q, r, d, scalars, tails, v, dv)
    return v, dv


def fixed_point(activation, sigma_w2, sigma_b2=0.0, *, param=None):
    """The stable fixed point q* of the length map (0 if the signal dies, inf if it explodes).

    Parameters
    ----------
    activation : str
    sigma_w2, sigma_b2 : float
        Weight and bias variances (>= 0).
    param : float, optional
        leaky_relu slope or elu alpha.

    Examples
    --------
    >>> from fastinit.propagation import fixed_point
    >>> round(fixed_point("relu", 1.0, 0.5), 12)    # q = q / 2 + 0.5
    1.0
    >>> fixed_point("tanh", 0.5)
    0.0
    """
    _, code, param = _activations.activation_spec(activation, param)
    sw2 = _checks.non_negative(sigma_w2, "sigma_w2")
    sb2 = _checks.non_negative(sigma_b2, "sigma_b2")
    return _fixed_point(code, param, sw2, sb2)


def _fixed_point(code, param, sw2, sb2):
    # sigma_w2 V(q) beyond float64 (sigma_w2 near 1e308, or a steep leaky_relu) is +inf, which is
    # all the sign tests below need: no reason for NumPy to warn
    with np.errstate(over="ignore"):
        return _fixed_point_search(code, param, sw2, sb2)


def _fixed_point_search(code, param, sw2, sb2):
    from scipy.optimize import brentq

    def g(q):
        return sw2 * _vd(code, param, q)[0][0] + sb2 - q

    grid = np.geomspace(1e-12, 1e12, 241)
    values = sw2 * _vd(code, param, grid)[0] + sb2 - grid
    v0 = _activations.table(code, param).v0
    if sb2 == 0.0 and sw2 * v0 == 0.0 and values[0] <= 0.0:
        return 0.0  # the zero fixed point is stable: the signal dies
    # the stable fixed point is where g changes sign from + to -
    down = np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0))
    if down.size == 0:
        if values[-1] > 0:
            return math.inf
        return brentq(g, 0.0, grid[0], xtol=1e-300) if g(0.0) > 0 else 0.0
    k = down[0]
    if values[k + 1] == 0.0:
        return float(grid[k + 1])
    return brentq(g, grid[k], grid[k + 1], xtol=1e-14 * grid[k], rtol=1e-14)


def _chi_at_fixed_point(code, param, sw2, sb2):
    q_star = _fixed_point(code, param, sw2, sb2)
    with np.errstate(over="ignore"):  # an exploding chi is +inf, as the boundary search needs
        return sw2 * _vd(code, param, q_star)[1][0]


def critical_sigma_w2(activation, sigma_b2=0.0, *, param=None):
    """The order-to-chaos boundary: the sigma_w2 at which chi = 1 at the fixed point q*.

    Below it (ordered phase) gradients vanish exponentially with depth, above it (chaotic phase)
    they explode; at it signals propagate deepest (Poole et al. 2016, Schoenholz et al. 2017).
    Found with ``scipy.optimize.brentq`` on chi(q*(sigma_w2)) - 1.

    Parameters
    ----------
    activation : str
    sigma_b2 : float or array_like
        Bias variance(s) (>= 0); an array gives an array of the same shape.
    param : float, optional
        leaky_relu slope or elu alpha.

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        If chi never crosses 1 for sigma_w2 in (0, 1e4].

    Examples
    --------
    >>> from fastinit.propagation import critical_sigma_w2
    >>> round(critical_sigma_w2("relu"), 10)
    2.0
    >>> round(critical_sigma_w2("tanh"), 6)
    1.0
    >>> round(critical_sigma_w2("tanh", 0.05), 2)
    1.76
    """
    from scipy.optimize import brentq

    name, code, param = _activations.activation_spec(activation, param)
    sb2_arr = pc.non_negative_array(sigma_b2, "sigma_b2")

    def one(sb2):
        def f(sw2):
            return _chi_at_fixed_point(code, param, sw2, sb2) - 1.0

        lo, hi = 1e-3, 1.0
        f_lo, f_hi = f(lo), f(hi)
        # same strict sign, compared without multiplying (two values near 1e200 would overflow)
        while f_lo != 0 and f_hi != 0 and (f_lo > 0) == (f_hi > 0):
            if hi >= _MAX_CRITICAL_SW2:
                raise ValueError(
                    f"chi never reaches 1 for activation={name!r}, sigma_b2={sb2} and "
                    f"sigma_w2 up to {_MAX_CRITICAL_SW2:g}: no order-to-chaos transition"
                )
            lo, f_lo, hi = hi, f_hi, hi * 2.0
            f_hi = f(hi)
        return brentq(f, lo, hi, xtol=1e-13, rtol=1e-13)

    if sb2_arr.ndim == 0:
        return one(float(sb2_arr))
    return np.vectorize(one, otypes=[np.float64])(sb2_arr)
