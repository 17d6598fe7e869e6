"""diagnose(): theory beside simulation, a verdict, a table and a plot.

A :class:`Diagnosis` also describes a real model measured by ``fastinit.torch.diagnose``: then
it has no theory and no sigma_w2, but names its rows after the modules and carries the
correlation between samples (or tokens) of each output and a suggested initializer.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..config import HEALTHY_BAND
from . import _activations
from . import _checks as pc
from ._simulation import (
    SimulationResult,
    _simulate_with,
    build_weights,
    input_variance,
    resolve_init,
    seed_children,
)
from ._theory import TheoryResult, critical_sigma_w2, layer_theory, widths_tuple


@dataclass(frozen=True)
class Diagnosis:
    """What diagnose() found.

    Attributes
    ----------
    verdict : {"stable", "vanishing", "exploding"}
    failing_layer : int or None
        First layer (1-based) whose forward variance leaves the band, or, if the forward pass is
        healthy, the first layer reached backwards from the output whose gradient variance does.
    direction : {"forward", "backward"} or None
        Which pass failed first.
    suggested_gain : float
        Multiply every weight by this to put the network at the order-to-chaos boundary
        (sigma_w2 = critical_sigma_w2(activation)); 1 means it is already critical. For a real
        model that is not stable, the gain that brings its weights to the sigma_w2 of ``remedy``
        on square layers (2 for kaiming_normal, 1 for xavier_normal).
    sigma_w2 : float or None
        The measured fan_in * mean(W^2), averaged over layers and networks (for a real model:
        over the Linear, Conv and attention weights of the layers that ran, None without any).
    critical_sigma_w2 : float or None
        None for a real model.
    band : tuple of float
    simulation : SimulationResult
        For a real model: one "network" whose rows are the measured modules, ``q0`` the
        reference variance and ``widths`` the input width followed by each row's features.
    theory : TheoryResult or None
        Mean-field prediction for the measured per-layer sigma_w2 (None for a real model).
    names : tuple of str or None
        The qualified name of each row's module (real models only).
    correlation : ndarray or None
        Per row, the mean pairwise cosine similarity between samples, or between the tokens of
        a sequence (real models only; see ``fastinit.torch.diagnose``).
    remedy : str or None
        An initializer to try instead when the verdict is not stable (real models only).
    branch : tuple of bool or None
        Per row, whether its module lies inside a residual block (real models only): such a
        row describes a branch whose scale the block's sum and norm set, so its flags are shown
        in parentheses and the verdict reads the block's own row instead.
    block : tuple of bool or None
        Per row, whether it is a residual block's own row (real models only). When any row is,
        the verdict reads those rows only (see :attr:`deciding`): ``simulation.q0`` is then
        the mean square of the stream entering the first block.
    """

    verdict: str
    failing_layer: int | None
    direction: str | None
    suggested_gain: float
    sigma_w2: float | None
    critical_sigma_w2: float | None
    band: tuple
    simulation: SimulationResult
    theory: TheoryResult | None
    names: tuple | None = None
    correlation: np.ndarray | None = None
    remedy: str | None = None
    branch: tuple | None = None
    block: tuple | None = None

    @property
    def failing_module(self):
        """The name of the failing row's module (None for a simulation or a stable model)."""
        if self.names is None or self.failing_layer is None:
            return None
        return self.names[self.failing_layer - 1]

    @property
    def forward_ratio(self):
        """Simulated forward variance per layer over the input variance q0 (all ones when q0
        is 0: without biases every layer is then 0 too, which is no vanishing)."""
        return _forward_ratio(self.simulation)

    @property
    def backward_ratio(self):
        """Simulated gradient variance per layer over that of the last row the verdict reads:
        the output layer (for a real model with residual blocks, the last block)."""
        return _backward_ratio(self.simulation, self.deciding)

    @property
    def deciding(self):
        """Per row, whether the verdict reads it (the others' flags are shown in parentheses):
        every row of a simulation; of a real model, the residual blocks' own rows if it has
        any (how the stream travels through depth, whatever the embeddings, the final norm
        and the head around the stack do), else every row outside a block."""
        return deciding_rows(self.simulation.forward_var.shape[1], self.branch, self.block)

    def table(self):
        """A per-layer text table (simulation mean and spread, theory, flags) with the verdict;
        for a real model, per module: features, variances, correlation and flags."""
        if self.theory is None:
            return _measured_table(self)
        sim, th = self.simulation, self.theory
        lines = [
            f"{'layer':>5} {'width':>6} {'fwd var (sim)':>22} {'fwd (theory)':>12} "
            f"{'grad var (sim)':>22} {'grad (theory)':>13}  flag"
        ]
        fwd_ratio, bwd_ratio = self.forward_ratio, self.backward_ratio
        for i in range(sim.forward_var.shape[1]):
            flag = _flags(fwd_ratio[i], bwd_ratio[i], self.band)
            lines.append(
                f"{i + 1:>5} {sim.widths[i + 1]:>6} "
                f"{sim.forward_mean[i]:>11.4g} ± {sim.forward_std[i]:<8.2g} "
                f"{th.forward_var[0, i]:>12.4g} "
                f"{sim.grad_mean[i]:>11.4g} ± {sim.grad_std[i]:<8.2g} "
                f"{th.grad_var[0, i]:>13.4g}  {flag}"
            )
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self):
        """One line: verdict, failing layer, measured and critical sigma_w2, suggested gain (for
        a real model: the failing module and the initializer to try instead)."""
        where = ""
        if self.failing_layer is not None:
            module = "" if self.names is None else f", module {self.failing_module!r}"
            where = (
                f" ({self.direction} pass leaves the band at layer {self.failing_layer}{module})"
            )
        gain = f"multiply the weights by {self.suggested_gain:.4g}"
        if self.theory is None:
            return f"verdict: {self.verdict}{where}" + _measured_advice(self, gain)
        return (
            f"verdict: {self.verdict}{where}; sigma_w2 = {self.sigma_w2:.4g}, critical "
            f"{self.critical_sigma_w2:.4g}: {gain}"
        )

    def __str__(self):
        return self.table()

    def plot(self, path=None):
        """Per-layer variance on a log scale, forward and backward, theory beside simulation.

        Needs matplotlib (``pip install fastinit[plot]``). Saves to ``path`` when given and
        returns the matplotlib Figure.
        """
        try:
            import matplotlib

            if path is not None:
                matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError(
                "Diagnosis.plot needs matplotlib: pip install 'fastinit[plot]' (or matplotlib)"
            ) from None
        sim, th = self.simulation, self.theory
        layers = np.arange(1, sim.forward_var.shape[1] + 1)
        fig, ax = plt.subplots(figsize=(7, 4.2))
        if th is None:  # a real model: one measurement per row, no theory
            series = (("forward (output)", sim.forward_var, None, "C0"),
                      ("backward (gradient)", sim.grad_var, None, "C3"))  # fmt: skip
        else:
            series = (
                ("forward (pre-activation)", sim.forward_var, th.forward_var[0], "C0"),
                ("backward (gradient)", sim.grad_var, th.grad_var[0], "C3"),
            )
        deciding = self.deciding
        for label, values, predicted, color in series:
            if predicted is None and not deciding.all():
                # a real model whose verdict reads some rows only (its residual blocks): those
                # joined by a line, the others as faint points
                ax.plot(layers, values[0], "o", ms=3, color=color, alpha=0.3,
                        label=f"{label}, measured")  # fmt: skip
                ax.plot(layers[deciding], values[0][deciding], "o-", ms=3, color=color,
                        label=f"{label}, rows the verdict reads")  # fmt: skip
                continue
            if predicted is None:
                ax.plot(layers, values[0], "o-", ms=3, color=color, label=f"{label}, measured")
                continue
            ax.fill_between(layers, values.min(axis=0), values.max(axis=0), color=color,
                            alpha=0.2, linewidth=0)  # fmt: skip
            ax.plot(layers, values.mean(axis=0), "o", ms=3, color=color,
                    label=f"{label}, simulated")  # fmt: skip
            ax.plot(layers, predicted, "-", color=color, label=f"{label}, theory")
        if self.correlation is not None:
            _plot_correlation(ax, layers, self.correlation)
        for edge in self.band:
            ax.axhline(edge * sim.q0, color="0.6", lw=0.8, ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.set_ylabel("variance")
        ax.set_title(f"{sim.activation}: {self.verdict}", fontsize=10)
        ax.legend(fontsize=7)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


def _plot_correlation(ax, layers, correlation):
    """The correlation per row on a second, linear axis (it is a cosine, not a variance)."""
    twin = ax.twinx()
    twin.plot(layers, correlation, "s--", ms=3, color="C2", label="correlation")
    twin.set_ylim(-0.1, 1.05)
    twin.set_ylabel("mean pairwise cosine similarity")
    twin.legend(fontsize=7, loc="lower left")


def _measured_advice(diagnosis, gain):
    """For a real model: the sigma_w2 of its weights and, unless stable, what to change."""
    parts = []
    if diagnosis.sigma_w2 is not None:
        parts.append(f"weights at sigma_w2 = {diagnosis.sigma_w2:.4g}")
    if diagnosis.verdict != "stable":
        parts.append(f"try {diagnosis.remedy}, or {gain}" if diagnosis.remedy else gain)
    return "".join(f"; {part}" for part in parts)


def _measured_table(diagnosis):
    """The table of a real model: one row per measured module, in forward order."""
    sim = diagnosis.simulation
    names = [name or "(model)" for name in diagnosis.names]
    width = max(6, *(len(name) for name in names))
    lines = [
        f"{'layer':>5} {'module':<{width}} {'width':>6} {'fwd var':>11} {'grad var':>11} "
        f"{'corr':>7}  flag"
    ]
    fwd_ratio, bwd_ratio = diagnosis.forward_ratio, diagnosis.backward_ratio
    deciding = diagnosis.deciding
    for i, name in enumerate(names):
        flag = _flags(fwd_ratio[i], bwd_ratio[i], diagnosis.band)
        if not deciding[i] and flag:
            flag = f"({flag})"
        lines.append(
            f"{i + 1:>5} {name:<{width}} {sim.widths[i + 1]:>6} {sim.forward_var[0, i]:>11.4g} "
            f"{sim.grad_var[0, i]:>11.4g} {diagnosis.correlation[i]:>7.3f}  {flag}"
        )
    lines.append(diagnosis.summary())
    return "\n".join(lines)


def _flags(forward_ratio, backward_ratio, band):
    """'fwd', 'grad' or both, for the ratios that leave the healthy band."""
    lo, hi = band
    flags = []
    if not lo <= forward_ratio <= hi:
        flags.append("fwd")
    if not lo <= backward_ratio <= hi:
        flags.append("grad")
    return " ".join(flags)


def _forward_ratio(sim):
    if sim.q0 == 0:
        return np.ones(sim.forward_var.shape[1])
    # an exploding network's inf / inf (or NaN) is left as NaN, which leaves any band
    with np.errstate(invalid="ignore", over="ignore"):
        return sim.forward_mean / sim.q0


def _backward_ratio(sim, deciding=None):
    grad = sim.grad_mean
    last = -1 if deciding is None else np.flatnonzero(deciding)[-1]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return grad / grad[last]


def variance_ratios(sim, deciding=None):
    """(forward, backward) ratios per layer of a SimulationResult, as Diagnosis reads them: the
    gradient's relative to the last of the rows ``deciding`` (bools; by default every row)."""
    return _forward_ratio(sim), _backward_ratio(sim, deciding)


def deciding_rows(count, branch=None, block=None):
    """The rows a verdict reads, as a bool array (see :attr:`Diagnosis.deciding`); every row
    when that rule would leave none."""
    if block is not None and any(block):
        rows = np.array(block, dtype=bool)
    elif branch is not None:
        rows = ~np.array(branch, dtype=bool)
    else:
        rows = np.ones(count, dtype=bool)
    return rows if rows.any() else np.ones(count, dtype=bool)


def locate_failure(forward_ratio, backward_ratio, band):
    """(verdict, failing layer (1-based) or None, direction or None) for per-layer ratios.

    The forward pass is read from the input on; only if it stays in ``band`` is the backward
    pass read, from the output back, since a forward failure also spoils the gradients.
    """
    depth = len(forward_ratio)
    layer, verdict = _first_out(forward_ratio, band, range(depth))
    if layer is not None:
        return verdict, layer + 1, "forward"
    layer, verdict = _first_out(backward_ratio, band, range(depth - 1, -1, -1))
    if layer is not None:
        return verdict, layer + 1, "backward"
    return "stable", None, None


def _first_out(ratio, band, order):
    lo, hi = band
    for i in order:
        if not lo <= ratio[i] <= hi:
            return i, ("vanishing" if ratio[i] < lo else "exploding")
    return None, None


def check_band(band):
    """``band`` as (low, high) floats with 0 < low < 1 < high."""
    if isinstance(band, (str, bytes)):
        raise TypeError(f"band must be a pair of numbers (low, high), got {band!r}")
    try:
        pair = tuple(band)
    except TypeError:
        raise TypeError(f"band must be a pair of numbers (low, high), got {band!r}") from None
    if len(pair) != 2:
        raise ValueError(f"band must be a pair of numbers (low, high), got {band!r}")
    lo, hi = (_checks.positive(b, "band") for b in pair)
    if not lo < 1.0 < hi:
        raise ValueError(f"band must satisfy low < 1 < high, got {band!r}")
    return lo, hi


def diagnose(
    widths, activation, *, init="kaiming_normal", init_kwargs=None, param=None, n_networks=4,
    batch=256, seed=None, q0=1.0, band=HEALTHY_BAND,
):  # fmt: skip
    """Say whether signals vanish or explode in a network, where, and how to fix it.

    Simulates ``n_networks`` random networks (see :func:`simulate`), predicts the same with
    mean-field theory for the measured per-layer sigma_w2, and compares the simulated
    variances with the healthy ``band``: forward relative to q0, backward relative to the
    output gradient.

    Parameters
    ----------
    widths, activation, init, init_kwargs, param, n_networks, batch, seed, q0
        As in :func:`simulate`.
    band : (float, float), default (0.1, 10.0)
        Healthy range of the variance ratios.

    Returns
    -------
    Diagnosis
        ``.verdict``, ``.failing_layer``, ``.suggested_gain``, ``.table()``, ``.plot(path)``.

    Examples
    --------
    >>> from fastinit.propagation import diagnose
    >>> d = diagnose([128] * 21, "relu", init="xavier_normal", n_networks=2, batch=32, seed=0)
    >>> d.verdict, d.failing_layer, round(d.suggested_gain, 1)
    ('vanishing', 4, 1.4)
    """
    widths = widths_tuple(widths)
    name, code, param = _activations.activation_spec(activation, param)
    n_networks = _checks.positive_int(n_networks, "n_networks")
    batch = _checks.positive_int(batch, "batch")
    q0 = input_variance(q0, np.dtype(np.float32))
    band = check_band(band)
    make = resolve_init(init, init_kwargs)
    pc.simulation_fits(widths, n_networks, batch, np.dtype(np.float32).itemsize)
    depth = len(widths) - 1
    with pc.seed_restored_on_error(seed):
        seeds = seed_children(seed, depth * n_networks + 2)
        weights = build_weights(widths, make, n_networks, seeds, np.float32)
        sim = _simulate_with(weights, widths, name, code, param, batch, seeds[-2:], q0, np.float32)

    sw2 = sim.sigma_w2.mean(axis=0)
    ratio = np.asarray(widths[1:], dtype=np.float64) / np.asarray(widths[:-1], dtype=np.float64)
    q, chi = layer_theory(code, param, np.array([q0]), sw2[None, :], np.zeros((1, depth)), ratio)
    th = TheoryResult(q, chi, name)

    verdict, layer, direction = locate_failure(*variance_ratios(sim), band)
    mean_sw2 = float(sw2.mean())
    try:
        crit = float(critical_sigma_w2(name, 0.0, param=None if code not in (2, 8) else param))
    except ValueError:
        crit = math.nan
    gain = math.sqrt(crit / mean_sw2) if mean_sw2 > 0 else math.inf
    return Diagnosis(verdict, layer, direction, gain, mean_sw2, crit, band, sim, th)
