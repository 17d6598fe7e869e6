"""muP (maximal update parametrization): per-layer multipliers and a coordinate check.

The formulation is the one of the ``mup`` package (Yang et al. 2021, Tensor Programs V): a
network in standard parametrization (SP) with PyTorch's fan-in initialization and one global
learning rate is turned into muP by multipliers that depend on ``r = width / base_width`` only.
At ``width == base_width`` every multiplier is 1, so muP and SP coincide there.
"""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _blas, _checks
from ._depth import bounded_count
from ._simulation import seed_children

OPTIMIZERS = ("adam", "sgd")
PARAMETRIZATIONS = ("mup", "sp")
# the coordinate check's task: a fixed regression from IN_FEATURES inputs to OUT_FEATURES outputs,
# the same at every width, so that only the hidden width changes between the networks compared
IN_FEATURES = 16
OUT_FEATURES = 4
DEFAULT_LR = {"adam": 0.003, "sgd": 0.01}
_ADAM_BETA1, _ADAM_BETA2, _ADAM_EPS = 0.9, 0.999, 1e-8
# a spawned SeedSequence and an array's header, per network of the coordinate check
_RECORD_BYTES = 1024


class LayerScales(NamedTuple):
    """Multipliers of one kind of layer, relative to SP at the same width.

    Attributes
    ----------
    init_std : float
        Multiplies the standard deviation of the fan-in initialization (gain / sqrt(fan_in)).
    output_mult : float
        Multiplies the layer's output ``W x`` in the forward pass (a constant, not trained).
    lr : float
        Multiplies the global learning rate for this layer's weights.
    """

    init_std: float
    output_mult: float
    lr: float


class MupScales(NamedTuple):
    """:func:`mup_scales`'s answer: the multipliers of each kind of layer, and r."""

    input: LayerScales
    hidden: LayerScales
    output: LayerScales
    width_mult: float


def mup_scales(width, base_width, *, optimizer="adam"):
    """The muP multipliers of the input, hidden and output layers at ``width``.

    Relative to the standard parametrization (fan-in initialization, one global learning rate),
    with ``r = width / base_width`` (the mup package's ``width_mult``):

    | layer  | init std | output mult | Adam lr | SGD lr |
    |--------|----------|-------------|---------|--------|
    | input  | 1        | 1           | 1       | r      |
    | hidden | 1        | 1           | 1/r     | 1      |
    | output | sqrt(r)  | 1/r         | 1       | r      |

    This is how ``mup.MuReadout`` (output multiplier 1/r, weights rescaled by sqrt(r)) and
    ``mup.MuAdam`` / ``mup.MuSGD`` (learning rates by matrix-like or vector-like parameter)
    implement muP. It is equivalent to Table 3 of Tensor Programs V, which has no multipliers:
    the output layer's effective weight ``W / r`` then has variance 1/(r fan_in), proportional
    to 1/fan_in^2, and effective learning rates proportional to 1/fan_in for SGD and Adam alike;
    input weights get SGD learning rates proportional to fan_out, hidden weights Adam learning
    rates proportional to 1/fan_in. Biases (absent from the table) follow the input weights.

    Parameters
    ----------
    width : int
        The hidden width of the network to train.
    base_width : int
        The width at which the hyperparameters (init std, learning rate, output multiplier)
        were tuned; muP transfers them to ``width``.
    optimizer : {"adam", "sgd"}, default "adam"
        Adam-like (entrywise-normalized updates: Adam, AdamW, RMSProp, Adagrad) or SGD-like.

    Returns
    -------
    MupScales
        ``.input``, ``.hidden``, ``.output`` (each a :class:`LayerScales` with ``init_std``,
        ``output_mult``, ``lr``) and ``.width_mult`` (r).

    Examples
    --------
    >>> from fastinit.propagation import mup_scales
    >>> s = mup_scales(1024, 256)
    >>> s.width_mult, s.hidden.lr, s.output
    (4.0, 0.25, LayerScales(init_std=2.0, output_mult=0.25, lr=1.0))
    >>> mup_scales(1024, 256, optimizer="sgd").input.lr
    4.0
    """
    width = bounded_count(width, "width")
    base_width = bounded_count(base_width, "base_width")
    _checks.choice(optimizer, "optimizer", OPTIMIZERS)
    r = width / base_width
    if optimizer == "adam":
        lr_input, lr_hidden, lr_output = 1.0, 1.0 / r, 1.0
    else:
        lr_input, lr_hidden, lr_output = r, 1.0, r
    return MupScales(
        LayerScales(1.0, 1.0, lr_input),
        LayerScales(1.0, 1.0, lr_hidden),
        LayerScales(math.sqrt(r), 1.0 / r, lr_output),
        r,
    )


def _sp_scales():
    """SP written as muP's multipliers: every one of them 1."""
    ones = LayerScales(1.0, 1.0, 1.0)
    return MupScales(ones, ones, ones, 1.0)


@dataclass(frozen=True)
class CoordCheck:
    """Coordinate sizes of a small MLP's activations over a few training steps, per width.

    Attributes
    ----------
    l1 : ndarray, shape (len(widths), steps + 1, depth + 1)
        ``l1[i, t, k]``: mean absolute value of the coordinates of layer k's activations (the
        last: the network's output) at width ``widths[i]`` after t optimizer steps (t = 0: at
        initialization), on the fixed training batch.
    widths : tuple of int
    layers : tuple of str
        ``("layer 1", ..., "layer <depth>", "output")``.
    parametrization : {"mup", "sp"}
    optimizer : {"adam", "sgd"}
    lr : float
    base_width : int
    """

    l1: np.ndarray
    widths: tuple
    layers: tuple
    parametrization: str
    optimizer: str
    lr: float
    base_width: int

    def spread(self):
        """Max over min over widths of ``l1``, per step and layer: (steps + 1, depth + 1).

        1 means the coordinate size does not depend on the width at all; a layer that is zero
        at every width (the output of a zero-initialized readout at t = 0) counts as 1.
        """
        high = self.l1.max(axis=0)
        low = self.l1.min(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = high / low
        return np.where(high == low, 1.0, ratio)

    def table(self):
        """A text table: per step, the coordinate size of every layer at every width, and the
        spread over widths."""
        spread = self.spread()
        head = f"{'':>8}" + "".join(f"{name:>11}" for name in self.layers)
        lines = [f"coord check: {self.parametrization}, {self.optimizer}, lr={self.lr:g}"]
        for t in range(self.l1.shape[1]):
            lines += [f"step {t}", head]
            for i, width in enumerate(self.widths):
                lines.append(f"{width:>8}" + "".join(f"{v:>11.4g}" for v in self.l1[i, t]))
            lines.append(f"{'spread':>8}" + "".join(f"{v:>11.3f}" for v in spread[t]))
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def plot(self, path=None, *, axes=None):
        """Coordinate size against width (log-log), one panel per step, one line per layer.

        Flat lines are what muP promises. Needs matplotlib (``pip install fastinit[plot]``).
        Saves to ``path`` when given and returns the Figure; ``axes`` (a sequence of
        ``steps + 1`` matplotlib Axes) draws into an existing figure instead.
        """
        try:
            import matplotlib

            if path is not None and axes is None:
                matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError(
                "CoordCheck.plot needs matplotlib: pip install 'fastinit[plot]' (or matplotlib)"
            ) from None
        n_panels = self.l1.shape[1]
        if axes is None:
            fig, axes = plt.subplots(1, n_panels, figsize=(3.2 * n_panels, 3.2), sharey=True)
            axes = np.atleast_1d(axes)
        elif len(axes) != n_panels:
            raise ValueError(f"axes must hold {n_panels} Axes (one per step), got {len(axes)}")
        fig = axes[0].figure
        for t, ax in enumerate(axes):
            for k, name in enumerate(self.layers):
                ax.plot(self.widths, self.l1[:, t, k], "o-", ms=3, label=name)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("width")
            ax.set_title(f"{self.parametrization}, step {t}", fontsize=9)
        axes[0].set_ylabel("mean |coordinate|")
        axes[0].legend(fontsize=7, loc="best")
        if path is not None:
            fig.tight_layout()
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


def _coord_check_widths(widths):
    dims = _checks.shape_tuple(widths, "widths")
    if len(dims) < 2 or min(dims) < 1:
        raise ValueError(f"widths must list at least 2 positive widths to compare, got {dims}")
    return dims


def _check_room(widths, depth, batch, steps, n_networks):
    """Refuse, before allocating, a check whose largest network could not fit in memory: each
    n x n matrix is held four times (weights, gradient, two Adam moments); and one whose
    records could not: per network of the narrowest width (the most numerous), a seed and
    its (steps + 1, depth + 1) coordinate sizes."""
    n = max(widths)
    elements = 4 * (depth - 1) * n * n + 4 * n * (IN_FEATURES + OUT_FEATURES) + 6 * batch * n
    networks = -(-n_networks * n // min(widths))  # ceil, in integers: the counts may be huge
    records = (len(widths) + networks) * (8 * (steps + 1) * (depth + 1) + _RECORD_BYTES)
    _checks.fits_in_memory(
        4 * elements + records,
        "widths, depth, batch, steps and n_networks",
        f"{networks} MLP(s) of depth {depth} and width up to {n} trained for {steps} step(s)",
    )


def coord_check(
    widths=(256, 512, 1024, 2048, 4096), *, parametrization="mup", optimizer="adam", steps=3,
    depth=3, lr=None, batch=16, n_networks=2, base_width=None, seed=0, readout_zero_init=True,
):  # fmt: skip
    """Train a small MLP at several widths and record the size of its activations' coordinates.

    The "coord check" of Tensor Programs V: under muP the typical size of every activation's
    coordinates, and of the output, stays the same at every width throughout training, while
    in standard parametrization (SP) the updates make them grow with the width.

    The network maps 16 inputs through ``depth`` ReLU layers of ``width`` units to 4 outputs,
    without biases, in float32. Its weights are drawn with :func:`fastinit.normal` at the fan-in
    standard deviation (gain sqrt(2) after a ReLU, 1 otherwise) times the muP multipliers of
    :func:`mup_scales` (all 1 for SP); the readout starts at zero when ``readout_zero_init``
    (as the mup package recommends: otherwise the muP output shrinks like 1/sqrt(r) at
    initialization). Forward and backward passes are written out in NumPy; the loss is half the
    mean squared error on one fixed batch of a fixed synthetic regression task, and Adam
    (betas 0.9, 0.999, eps 1e-8) or plain SGD takes ``steps`` steps on it.

    Parameters
    ----------
    widths : sequence of int, default (256, 512, 1024, 2048, 4096)
    parametrization : {"mup", "sp"}, default "mup"
    optimizer : {"adam", "sgd"}, default "adam"
    steps : int, default 3
        Optimizer steps; the activations are measured before the first and after each.
    depth : int, default 3
        Number of hidden (ReLU) layers; depth - 1 of them are width x width.
    lr : float, optional
        The global learning rate (the one tuned at ``base_width``); 0.003 for Adam, 0.01 for
        SGD.
    batch : int, default 16
    n_networks : int, default 2
        Networks averaged at the largest width; a width w averages
        ``ceil(n_networks * max(widths) / w)`` independent networks, so that every width's
        measurement rests on as many units (a narrow network's sizes fluctuate more).
    base_width : int, optional
        Where muP and SP coincide; the smallest width by default.
    seed : None, int, SeedSequence or Generator, default 0
        Data and every network's weights derive from it.
    readout_zero_init : bool, default True

    Returns
    -------
    CoordCheck
        ``.l1`` (widths x steps + 1 x layers), ``.spread()``, ``.table()``, ``.plot(path)``.

    Examples
    --------
    >>> from fastinit.propagation import coord_check
    >>> mup = coord_check((64, 256), depth=2, steps=2, seed=0)
    >>> mup.l1.shape, mup.layers
    ((2, 3, 3), ('layer 1', 'layer 2', 'output'))
    >>> bool(mup.spread().max() < 1.1)
    True
    >>> sp = coord_check((64, 256), parametrization="sp", depth=2, steps=2, seed=0)
    >>> bool(sp.spread()[2, -1] > 2)       # SP's output grows with the width
    True
    """
    widths = _coord_check_widths(widths)
    _checks.choice(parametrization, "parametrization", PARAMETRIZATIONS)
    _checks.choice(optimizer, "optimizer", OPTIMIZERS)
    steps = _checks.positive_int(steps, "steps")
    depth = _checks.positive_int(depth, "depth")
    batch = _checks.positive_int(batch, "batch")
    n_networks = _checks.positive_int(n_networks, "n_networks")
    lr = DEFAULT_LR[optimizer] if lr is None else _checks.positive(lr, "lr")
    base_width = min(widths) if base_width is None else bounded_count(base_width, "base_width")
    readout_zero_init = _checks.flag(readout_zero_init, "readout_zero_init")
    _check_room(widths, depth, batch, steps, n_networks)

    seeds = seed_children(seed, len(widths) + 1)
    x, target = _regression_task(batch, seeds[-1])
    training = _Training(x, target, depth, steps, optimizer, lr, readout_zero_init)
    l1 = np.empty((len(widths), steps + 1, depth + 1))
    # The products run on one BLAS thread: they are skinny (batch x width times width x width)
    # and bound by memory, so a second thread gains little, while on a loaded machine OpenBLAS's
    # threads wait for each other (the test's check took 5.2 s on two threads and 0.95 s on one
    # beside two busy processes). SP's activations may overflow to inf: that is the
    # measurement, not a reason to warn.
    with _blas.threads(1), np.errstate(over="ignore", invalid="ignore"):
        for i, width in enumerate(widths):
            scales = (
                mup_scales(width, base_width, optimizer=optimizer)
                if parametrization == "mup"
                else _sp_scales()
            )
            # as many units at every width: a narrow network's coordinate sizes fluctuate more
            # (like 1/sqrt(width)), so more networks are averaged, at little cost
            count = math.ceil(n_networks * max(widths) / width)
            runs = [_Mlp(width, scales, s, training).train() for s in seeds[i].spawn(count)]
            l1[i] = np.mean(runs, axis=0)
    layers = tuple(f"layer {k}" for k in range(1, depth + 1)) + ("output",)
    return CoordCheck(l1, widths, layers, parametrization, optimizer, lr, base_width)


class _Training(NamedTuple):
    """What every network of a coordinate check is trained on, and how."""

    x: np.ndarray
    target: np.ndarray
    depth: int
    steps: int
    optimizer: str
    lr: float
    readout_zero_init: bool


def _regression_task(batch, seed):
    """A fixed batch of Gaussian inputs and targets 1 + tanh(x A), the same at every width.

    The offset keeps the output gradients of the batch from cancelling: the output after the
    first step is then not a small difference of large terms, whose relative noise would hide
    what the width does.
    """
    from ..random import normal

    x_seed, a_seed = seed.spawn(2)
    x = normal((batch, IN_FEATURES), seed=x_seed)
    projection = normal((IN_FEATURES, OUT_FEATURES), std=IN_FEATURES**-0.5, seed=a_seed)
    return x, 1 + np.tanh(x @ projection)


class _Mlp:
    """The coordinate check's network: weights, multipliers and per-layer learning rates, and
    a hand-written forward and backward pass (float32)."""

    def __init__(self, width, scales, seed, training):
        from ..random import normal

        self.training = training
        # (shape, fan-in gain, muP multipliers) of every layer, input to output
        kinds = [((width, IN_FEATURES), 1.0, scales.input)]
        kinds += [((width, width), math.sqrt(2.0), scales.hidden)] * (training.depth - 1)
        kinds += [((OUT_FEATURES, width), 1.0, scales.output)]
        self.weights, self.mults, self.lrs = [], [], []
        for (shape, gain, layer), layer_seed in zip(kinds, seed.spawn(len(kinds)), strict=True):
            std = gain / math.sqrt(shape[1]) * layer.init_std
            self.weights.append(normal(shape, std=std, seed=layer_seed))
            self.mults.append(np.float32(layer.output_mult))
            self.lrs.append(training.lr * layer.lr)
        if training.readout_zero_init:
            self.weights[-1][...] = 0

    def forward(self, x):
        """(inputs of every layer, pre-activations of the hidden layers, output)."""
        inputs, pre = [x], []
        for w, mult in zip(self.weights[:-1], self.mults[:-1], strict=True):
            h = (inputs[-1] @ w.T) * mult
            pre.append(h)
            inputs.append(np.maximum(h, 0))
        y = (inputs[-1] @ self.weights[-1].T) * self.mults[-1]
        return inputs, pre, y

    def gradients(self, inputs, pre, y, target):
        """Gradients of 0.5 * mean over the batch of ||y - target||^2 for every weight."""
        grad_out = (y - target) / np.float32(y.shape[0])
        grads = [None] * len(self.weights)
        for k in range(len(self.weights) - 1, -1, -1):
            grad_out = grad_out * self.mults[k]  # d loss / d (W x), before the multiplier
            grads[k] = grad_out.T @ inputs[k]
            if k:
                grad_out = (grad_out @ self.weights[k]) * (pre[k - 1] > 0)
        return grads

    def train(self):
        """Mean |coordinate| of every hidden activation and the output, before each step and
        after the last: (steps + 1, depth + 1)."""
        x, target, _, steps, optimizer, _, _ = self.training
        sizes = np.empty((steps + 1, len(self.weights)))
        if optimizer == "adam":
            moments = [
                (np.zeros(w.shape, w.dtype), np.zeros(w.shape, w.dtype)) for w in self.weights
            ]
        for t in range(steps + 1):
            inputs, pre, y = self.forward(x)
            sizes[t] = [np.abs(a).mean(dtype=np.float64) for a in inputs[1:] + [y]]
            if t == steps:
                break
            grads = self.gradients(inputs, pre, y, target)
            for k, (w, g, lr) in enumerate(zip(self.weights, grads, self.lrs, strict=True)):
                if optimizer == "sgd":
                    g *= np.float32(lr)
                    w -= g
                else:
                    _adam_step(w, g, *moments[k], lr, t + 1)
        return sizes


def _adam_step(w, g, m, v, lr, t):
    """One Adam step on ``w`` in place (``m``, ``v`` its moments; ``t`` counts from 1), with
    in-place NumPy operations: the width x width matrices are the whole cost of the check."""
    m *= _ADAM_BETA1
    m += np.float32(1 - _ADAM_BETA1) * g
    np.square(g, out=g)
    v *= _ADAM_BETA2
    v += np.float32(1 - _ADAM_BETA2) * g
    # the bias corrections folded into the step size and eps, as torch.optim.Adam does
    step = lr * math.sqrt(1 - _ADAM_BETA2**t) / (1 - _ADAM_BETA1**t)
    eps = _ADAM_EPS * math.sqrt(1 - _ADAM_BETA2**t)
    np.sqrt(v, out=g)
    g += np.float32(eps)
    np.divide(m, g, out=g)
    g *= np.float32(step)
    w -= g
