"""Batched simulation of random networks: simulate() and the weight builders it shares."""

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..random import key
from . import _activations
from . import _checks as pc
from ._blocks import ResidualStack
from ._theory import widths_tuple

# initializers accepted by name; each is called as f(shape, **init_kwargs, seed=, dtype=, out=)
INIT_NAMES = (
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
    "lecun_normal", "variance_scaling", "normal", "uniform", "trunc_normal", "sparse",
    "orthogonal",
)  # fmt: skip
_RESERVED = ("shape", "seed", "dtype", "out")  # set by the simulation for every matrix
_BLOCK_ELEMENTS = 1 << 15  # elements per thread task in the elementwise kernels


def _init_kwargs(init_kwargs):
    """``init_kwargs`` as a dict of keyword arguments (None means none)."""
    if init_kwargs is None:
        return {}
    if not isinstance(init_kwargs, Mapping):
        raise TypeError(f"init_kwargs must be a dict or None, got {type(init_kwargs).__name__}")
    kwargs = dict(init_kwargs)
    for name in kwargs:
        if not isinstance(name, str):
            raise TypeError(f"init_kwargs keys must be argument names (str), got {name!r}")
        if name in _RESERVED:
            raise ValueError(
                f"init_kwargs may not set {name!r}: the simulation chooses shape, seed, dtype and "
                "out of every weight matrix"
            )
    return kwargs


def _same_kind(error, message):
    """A TypeError or ValueError like ``error`` carrying ``message`` (subclasses such as
    UnicodeDecodeError take other constructor arguments, so the base class is used)."""
    return TypeError(message) if isinstance(error, TypeError) else ValueError(message)


def resolve_init(init, init_kwargs=None):
    """A function ``make(shape, seed, dtype, out)`` filling ``out`` with one weight matrix.

    ``init`` is an initializer name (see ``INIT_NAMES``), a gain g (weights N(0, g^2 / fan_in))
    or a callable ``init(shape, seed=...)`` returning an array of ``shape``. A refusal from the
    initializer (or the callable) is raised again as the same type with a message that names
    ``init`` and ``init_kwargs``, since the caller only passed those.
    """
    kwargs = _init_kwargs(init_kwargs)
    if isinstance(init, str):
        _checks.choice(init, "init", INIT_NAMES)
        import fastinit

        try:
            fn = getattr(fastinit, init)
        except AttributeError:
            raise ValueError(f"init={init!r} is not available in this fastinit build") from None
        try:  # unknown or missing arguments are found now, before any seed is drawn from
            inspect.signature(fn).bind((1, 1), **kwargs, seed=None, dtype=np.float32, out=None)
        except TypeError as error:
            raise TypeError(f"init={init!r} with init_kwargs={kwargs!r}: {error}") from None

        def make(shape, seed, dtype, out):
            try:
                fn(shape, **kwargs, seed=seed, dtype=dtype, out=out)
            except (TypeError, ValueError) as error:
                message = f"init={init!r} with init_kwargs={kwargs!r}: {error}"
                raise _same_kind(error, message) from error

        return make
    if _checks.is_real_number(init):
        gain = _checks.positive(init, "init (a gain)")
        if kwargs:
            raise ValueError("init_kwargs only apply when init is an initializer name")
        from ..init import normal

        def make(shape, seed, dtype, out):
            std = gain / math.sqrt(shape[1])
            if not std <= float(np.finfo(dtype).max):
                raise ValueError(f"init (a gain) = {gain} gives weights too large for {dtype}")
            normal(shape, 0.0, std, seed=seed, dtype=dtype, out=out)

        return make
    if isinstance(init, (bool, np.bool_)) or not callable(init):
        raise TypeError(
            f"init must be an initializer name, a gain or a callable, got {type(init).__name__}"
        )

    def make(shape, seed, dtype, out):
        try:
            value = np.asarray(init(shape, seed=seed, **kwargs))
        except (TypeError, ValueError) as error:
            raise _same_kind(error, f"init (a callable) refused shape {shape}: {error}") from error
        if value.dtype.kind not in "iuf":
            raise TypeError(f"init returned an array of dtype {value.dtype}, expected floats")
        if value.shape != shape:
            raise ValueError(f"init returned shape {value.shape}, expected {shape}")
        with np.errstate(over="ignore"):  # too-large values become inf and are refused below
            out[...] = value

    return make


def seed_children(seed, count):
    """``count`` independent SeedSequences derived from ``seed`` (reproducible)."""
    root = np.random.SeedSequence(list(key(seed)))
    return root.spawn(count)


def build_weights(widths, make, n_networks, seeds, dtype):
    """Per layer, a (n_networks, n_out, n_in) array; network k, layer l uses seeds[l * N + k].

    Non-finite weights are refused (naming ``init``): every variance measured after them would
    be NaN or inf whatever the network does.
    """
    weights = []
    for layer, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        w = np.empty((n_networks, n_out, n_in), dtype=dtype)
        for k in range(n_networks):
            make((n_out, n_in), seeds[layer * n_networks + k], dtype, w[k])
        if not np.all(np.isfinite(w)):
            raise ValueError(f"init gave non-finite weights in layer {layer + 1} ({dtype})")
        weights.append(w)
    return weights


def run_networks(weights, h0, g_out, code, param):
    """Forward and backward pass of stacked networks; (forward_var, grad_var), (N, L) each.

    ``h0`` (N, B, n0) are the input pre-activations, ``g_out`` (N, B, n_L) the output gradient;
    ``g_out`` is overwritten. Cost: two BLAS matrix products per layer (np.matmul over the
    network axis); activations, derivatives and sums of squares are fused compiled passes.
    """
    from ..kernels.forward import backward, forward, square_sums

    networks, batch = h0.shape[:2]
    depth = len(weights)
    forward_var = np.empty((networks, depth))
    grad_var = np.empty((networks, depth))
    blocks = max(1, min(64, h0[0].size // _BLOCK_ELEMENTS))
    sums = np.empty(networks)
    x = np.empty_like(h0)
    forward(h0.reshape(networks, -1), x.reshape(networks, -1), code, param, sums, blocks)
    hs = []
    for layer, w in enumerate(weights):
        h = np.matmul(x, w.transpose(0, 2, 1))
        hs.append(h)
        flat = h.reshape(networks, -1)
        if layer + 1 < depth:
            x = np.empty_like(h)
            forward(flat, x.reshape(networks, -1), code, param, sums, blocks)
        else:
            square_sums(flat, sums, blocks)
        forward_var[:, layer] = sums / flat.shape[1]
    g = g_out
    square_sums(g.reshape(networks, -1), sums, blocks)
    grad_var[:, depth - 1] = sums / g[0].size
    for layer in range(depth - 1, 0, -1):
        g = np.matmul(g, weights[layer])  # gradient w.r.t. the activations of layer - 1
        flat = g.reshape(networks, -1)
        backward(flat, hs[layer - 1].reshape(networks, -1), code, param, sums, blocks)
        grad_var[:, layer - 1] = sums / flat.shape[1]
    return forward_var, grad_var


@dataclass(frozen=True)
class SimulationResult:
    """Per-layer variances measured on ``n_networks`` random networks.

    Attributes
    ----------
    forward_var : ndarray, shape (n_networks, depth)
        Mean square of the pre-activations h^l = W^l phi(h^{l-1}) of layers 1..depth (the
        empirical q^l).
    grad_var : ndarray, shape (n_networks, depth)
        Mean square of the loss gradient with respect to them, for a unit-variance Gaussian
        gradient at the output.
    sigma_w2 : ndarray, shape (n_networks, depth)
        fan_in * mean(W^2) of each weight matrix (the sigma_w2 that theory() takes).
    widths : tuple of int
    activation : str
    """

    forward_var: np.ndarray
    grad_var: np.ndarray
    sigma_w2: np.ndarray
    widths: tuple
    activation: str
    q0: float

    @property
    def forward_mean(self):
        """Mean forward variance over networks, per layer."""
        return self.forward_var.mean(axis=0)

    @property
    def forward_std(self):
        """Standard deviation over networks of the forward variance, per layer."""
        return _spread_over_networks(self.forward_var)

    @property
    def grad_mean(self):
        """Mean gradient variance over networks, per layer."""
        return self.grad_var.mean(axis=0)

    @property
    def grad_std(self):
        """Standard deviation over networks of the gradient variance, per layer."""
        return _spread_over_networks(self.grad_var)


def _spread_over_networks(values):
    """Standard deviation over the network axis of (n_networks, depth) ``values``."""
    with np.errstate(invalid="ignore"):  # inf - inf of an exploding network is NaN
        return values.std(axis=0)


class _Default:
    """The default of an argument whose value depends on what is simulated (None is refused)."""

    def __repr__(self):
        return "default"


_DEFAULT = _Default()


def simulate(
    widths, activation=None, *, init="kaiming_normal", n_networks=_DEFAULT, batch=_DEFAULT,
    seed=None, q0=1.0, init_kwargs=None, param=None, dtype=np.float32, c0=0.0,
):  # fmt: skip
    """Measure forward and gradient variance per layer on real random networks.

    ``n_networks`` fully connected networks with layer sizes ``widths`` (no biases) get weights
    from ``init``; a batch of Gaussian inputs h^0 with variance ``q0`` goes forward through
    h^l = W^l phi(h^{l-1}), and a unit-variance Gaussian gradient at h^L goes backward. The
    networks are stacked, so each layer costs two batched BLAS matrix products.

    Given a :class:`ResidualStack` in place of ``widths``, builds ``n_networks`` (default 1)
    such stacks with Gaussian weights of the stack's variances, sends ``batch`` (default 8)
    sequences of ``seq_len`` tokens forward (variance ``q0``, correlation ``c0`` between the
    tokens of a sequence) and a unit Gaussian gradient backward, and returns a
    :class:`BlockSimulationResult` (per block: second moment, token correlation, gradient
    variance and correlation). Only gradients with respect to activations are computed.

    Parameters
    ----------
    widths : sequence of int or ResidualStack
        Layer sizes n_0 (input), n_1, ..., n_L; at least two entries.
    activation : str
        As in :func:`theory`; required with ``widths``, not given with a stack.
    init : str, float or callable, default "kaiming_normal"
        An initializer of fastinit by name (xavier_uniform, xavier_normal, kaiming_uniform,
        kaiming_normal, lecun_uniform, lecun_normal, variance_scaling, normal, uniform,
        trunc_normal, sparse, orthogonal), called with ``init_kwargs``; or a gain g for
        N(0, g^2 / fan_in) weights; or a callable ``init(shape, seed=...)``. Shapes are
        PyTorch's ``(n_out, n_in)``.
    n_networks : int, default 8 (1 for a stack)
    batch : int, default 256 (8 sequences for a stack)
    seed : None, int, SeedSequence, Generator or Key
        Everything (weights, inputs, output gradients) derives from it.
    q0 : float, default 1.0
        Variance of the input pre-activations.
    init_kwargs : dict, optional
        Extra keyword arguments of the named initializer (e.g. ``{"nonlinearity": "relu"}``).
    param : float, optional
        leaky_relu slope or elu alpha.
    dtype : float32 (default) or float64
    c0 : float, default 0.0
        Stacks only: correlation between the input tokens of a sequence, in [0, 1].

    Returns
    -------
    SimulationResult or BlockSimulationResult
        ``.forward_var`` and ``.grad_var`` of shape (n_networks, len(widths) - 1), their means
        and spreads over networks, and the measured ``.sigma_w2``.

    Examples
    --------
    >>> from fastinit.propagation import simulate
    >>> res = simulate([256] * 11, "relu", init="kaiming_normal", n_networks=2, batch=64,
    ...                seed=0)
    >>> res.forward_var.shape
    (2, 10)
    >>> bool(0.5 < res.forward_mean[-1] < 2.0)     # He init keeps the variance
    True
    >>> from fastinit.propagation import AttentionBranch, ResidualStack
    >>> plain = ResidualStack(AttentionBranch(heads=2), depth=3, width=32, seq_len=16,
    ...                       norm=None, alpha=0.0)
    >>> res = simulate(plain, batch=4, seed=0)     # attention alone: the tokens collapse
    >>> bool(res.c[0, -1] > 0.99)
    True
    """
    if isinstance(widths, ResidualStack):
        given = {
            "activation": activation is not None,
            "init": not (isinstance(init, str) and init == "kaiming_normal"),
            "init_kwargs": init_kwargs is not None,
            "param": param is not None,
        }
        wrong = [name for name, passed in given.items() if passed]
        if wrong:
            raise TypeError(
                f"simulate() of a ResidualStack takes no {', '.join(wrong)}: its activations "
                "come from the branches and its weights are Gaussian with the stack's variances"
            )
        from ._block_simulation import block_simulate

        return block_simulate(
            widths, batch=8 if batch is _DEFAULT else batch,
            n_networks=1 if n_networks is _DEFAULT else n_networks, seed=seed, q0=q0, c0=c0,
            dtype=dtype,
        )  # fmt: skip
    if activation is None:
        raise TypeError("simulate() needs an activation with widths")
    if not (isinstance(c0, (int, float)) and c0 == 0):
        raise ValueError("c0 applies to residual stacks only")
    n_networks = 8 if n_networks is _DEFAULT else n_networks
    batch = 256 if batch is _DEFAULT else batch
    widths = widths_tuple(widths)
    name, code, param = _activations.activation_spec(activation, param)
    n_networks = _checks.positive_int(n_networks, "n_networks")
    batch = _checks.positive_int(batch, "batch")
    dtype = _checks.float_dtype(dtype)
    q0 = input_variance(q0, dtype)
    make = resolve_init(init, init_kwargs)
    pc.simulation_fits(widths, n_networks, batch, dtype.itemsize)
    depth = len(widths) - 1
    with pc.seed_restored_on_error(seed):
        seeds = seed_children(seed, depth * n_networks + 2)
        weights = build_weights(widths, make, n_networks, seeds, dtype)
        return _simulate_with(weights, widths, name, code, param, batch, seeds[-2:], q0, dtype)


def input_variance(q0, dtype):
    """``q0`` (>= 0) such that its standard deviation is a finite ``dtype`` number."""
    q0 = _checks.non_negative(q0, "q0")
    if math.sqrt(q0) > float(np.finfo(dtype).max):
        raise ValueError(f"q0 = {q0} is too large for {dtype} inputs (sqrt(q0) overflows)")
    return q0


def _simulate_with(weights, widths, name, code, param, batch, seeds, q0, dtype):
    n_networks = weights[0].shape[0]
    # an exploding network overflows to inf (and then NaN): that is the measurement, reported in
    # the result, not a reason for NumPy to warn from inside the matrix products
    with np.errstate(over="ignore", invalid="ignore"):
        return _measure(weights, widths, name, code, param, batch, seeds, q0, dtype, n_networks)


def _measure(weights, widths, name, code, param, batch, seeds, q0, dtype, n_networks):
    from ..random import normal

    h0 = normal((n_networks, batch, widths[0]), 0.0, math.sqrt(q0), seed=seeds[0], dtype=dtype)
    g_out = normal((n_networks, batch, widths[-1]), seed=seeds[1], dtype=dtype)
    forward_var, grad_var = run_networks(weights, h0, g_out, code, param)
    sigma_w2 = np.stack(
        [np.einsum("kij,kij->k", w, w, dtype=np.float64) / w.shape[1] for w in weights], axis=1
    )
    return SimulationResult(forward_var, grad_var, sigma_w2, widths, name, q0)
