"""Residual stacks as data: the branches (MLP, softmax attention), the norm and its position.

A stack is ``depth`` blocks; each block applies its branches in order, each as one residual
sublayer

    pre-norm:   x <- alpha * x + beta * branch(norm(x))
    post-norm:  x <- norm(alpha * x + beta * branch(x))

``alpha = 0`` removes the skip connection (a plain stack); ``norm=None`` removes the norm.
theory() and simulate() take a stack in place of an activation. The variances (``sigma_*``),
``alpha`` and ``beta`` may be arrays: they broadcast, and theory() covers the whole grid in one
call (simulate() takes scalars only: it builds one network).
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks
from . import _activations
from . import _checks as pc
from ._depth import bounded_count

NORMS = ("layer", "rms", None)
POSITIONS = ("pre", "post")


def _variance(value, name):
    """A variance: a float, or an array of them (theory() broadcasts it)."""
    arr = pc.non_negative_array(value, name)
    return float(arr) if arr.ndim == 0 else arr


def _real_array(value, name):
    """A real multiplier (alpha, beta): a float, or an array of finite floats."""
    arr = pc.real_array(value, name)
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class MLPBranch:
    """Two linear maps around an activation: ``W_out phi(W_in u)``, no biases.

    Parameters
    ----------
    activation : str, default "gelu"
        Any activation of :func:`fastinit.propagation.theory`.
    ratio : float, default 4.0
        Hidden width over the model width (the hidden layer has ``round(ratio * width)`` units).
    sigma_w2 : float or array_like, default 2.0
        fan_in * Var(W_in).
    sigma_o2 : float or array_like, default 1.0
        fan_in * Var(W_out) (its fan_in is the hidden width).
    param : float, optional
        leaky_relu slope or elu alpha.

    Examples
    --------
    >>> from fastinit.propagation import MLPBranch
    >>> MLPBranch("relu", ratio=2.0).hidden(512)
    1024
    """

    activation: str = "gelu"
    ratio: float = 4.0
    sigma_w2: object = 2.0
    sigma_o2: object = 1.0
    param: object = None

    def __post_init__(self):
        name, code, param = _activations.activation_spec(self.activation, self.param)
        object.__setattr__(self, "param", param)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "ratio", _checks.positive(self.ratio, "ratio"))
        object.__setattr__(self, "sigma_w2", _variance(self.sigma_w2, "sigma_w2"))
        object.__setattr__(self, "sigma_o2", _variance(self.sigma_o2, "sigma_o2"))

    def hidden(self, width):
        """The hidden width for a model of ``width`` (at least 1)."""
        units = self.ratio * width
        if not units < 2.0**63:  # round() of inf would raise OverflowError
            raise ValueError(
                f"ratio={self.ratio} gives a model of width {width} a hidden width of {units:g} "
                "units, beyond 2**63 - 1"
            )
        return max(1, round(units))

    def variances(self):
        return (self.sigma_w2, self.sigma_o2)


@dataclass(frozen=True)
class AttentionBranch:
    """Multi-head softmax self-attention ``W_O softmax(scale * Q K^T) V``, no biases, no mask.

    Parameters
    ----------
    heads : int, default 8
        The model width must be a multiple of it; each head has ``d = width // heads``.
    scale : float, optional
        Multiplies the scores; None is the usual ``1 / sqrt(d)``.
    sigma_qk2 : float or array_like, default 1.0
        fan_in * Var(W) of W_Q and of W_K (each).
    sigma_v2, sigma_o2 : float or array_like, default 1.0
        fan_in * Var(W) of W_V and of W_O.

    Examples
    --------
    >>> from fastinit.propagation import AttentionBranch
    >>> AttentionBranch(heads=8).score_scale(512)      # 1 / sqrt(64)
    0.125
    """

    heads: int = 8
    scale: object = None
    sigma_qk2: object = 1.0
    sigma_v2: object = 1.0
    sigma_o2: object = 1.0

    def __post_init__(self):
        object.__setattr__(self, "heads", _checks.positive_int(self.heads, "heads"))
        if self.scale is not None:
            object.__setattr__(self, "scale", _checks.positive(self.scale, "scale"))
        for name in ("sigma_qk2", "sigma_v2", "sigma_o2"):
            object.__setattr__(self, name, _variance(getattr(self, name), name))

    def head_dim(self, width):
        if width % self.heads:
            raise ValueError(f"width {width} is not a multiple of heads={self.heads}")
        return width // self.heads

    def score_scale(self, width):
        """The factor applied to q . k for a model of ``width``."""
        d = self.head_dim(width)
        return 1.0 / math.sqrt(d) if self.scale is None else self.scale

    def variances(self):
        return (self.sigma_qk2, self.sigma_v2, self.sigma_o2)


BRANCHES = (MLPBranch, AttentionBranch)


@dataclass(frozen=True)
class ResidualStack:
    """``depth`` residual blocks of model ``width``, each applying ``branches`` in order.

    Parameters
    ----------
    branches : MLPBranch, AttentionBranch, or a sequence of them
        One block's sublayers, e.g. ``(AttentionBranch(), MLPBranch())`` for a transformer.
    depth : int
        Number of blocks.
    width : int, default 512
        Model width (only the simulation and the attention head size use it: the theory is the
        infinite-width limit).
    seq_len : int, default 128
        Tokens per sequence. Attention mixes them; in an MLP-only stack they are simply inputs,
        and the correlation reported is the one between two of them.
    norm : {"layer", "rms", None}, default "layer"
        LayerNorm or RMSNorm, without affine parameters (their init is the identity).
    position : {"pre", "post"}, default "pre"
    alpha, beta : float or array_like, default 1.0
        Skip and branch multipliers. ``alpha=0`` is a plain stack (no skip connections);
        DeepNorm is ``alpha > 1`` with post-norm; SkipInit/ReZero is ``beta=0``.

    Examples
    --------
    >>> from fastinit.propagation import AttentionBranch, MLPBranch, ResidualStack
    >>> stack = ResidualStack((AttentionBranch(), MLPBranch()), depth=24)
    >>> stack.sublayers
    48
    """

    branches: object
    depth: int
    width: int = 512
    seq_len: int = 128
    norm: object = "layer"
    position: str = "pre"
    alpha: object = 1.0
    beta: object = 1.0

    def __post_init__(self):
        branches = self.branches
        if isinstance(branches, BRANCHES):
            branches = (branches,)
        try:
            branches = tuple(branches)
        except TypeError:
            raise TypeError(
                f"branches must be an MLPBranch, an AttentionBranch or a sequence of them, got "
                f"{type(self.branches).__name__}"
            ) from None
        if not branches:
            raise ValueError("branches must name at least one branch")
        for b in branches:
            if not isinstance(b, BRANCHES):
                raise TypeError(
                    f"branches must hold MLPBranch or AttentionBranch, got {type(b).__name__}"
                )
        object.__setattr__(self, "branches", branches)
        # sizes beyond int64 could never be simulated, and as floats they overflow the theory
        object.__setattr__(self, "depth", bounded_count(self.depth, "depth"))
        object.__setattr__(self, "width", bounded_count(self.width, "width"))
        object.__setattr__(self, "seq_len", bounded_count(self.seq_len, "seq_len"))
        _checks.choice(self.norm, "norm", NORMS)  # by type first: `in` fails on an array
        _checks.choice(self.position, "position", POSITIONS)
        object.__setattr__(self, "alpha", _real_array(self.alpha, "alpha"))
        object.__setattr__(self, "beta", _real_array(self.beta, "beta"))
        for b in branches:
            if isinstance(b, AttentionBranch):
                b.head_dim(self.width)
            else:
                b.hidden(self.width)

    @property
    def sublayers(self):
        """Residual sublayers in the whole stack (depth x branches per block)."""
        return self.depth * len(self.branches)

    def grid_arrays(self):
        """Every array-valued setting, in a fixed order (alpha, beta, then each branch's)."""
        values = [self.alpha, self.beta]
        for b in self.branches:
            values.extend(b.variances())
        return values

    def is_scalar(self):
        return all(np.ndim(v) == 0 for v in self.grid_arrays())
