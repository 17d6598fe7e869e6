"""Draw the figures of docs/stacks.md (theory as lines, simulation as markers).

    python docs/make_stack_plots.py      # writes docs/img/architectures_*.png

Needs matplotlib (pip install "fastinit[plot]"). Takes about a minute on 2 cores: the
simulations are real networks, one per curve.
"""

from pathlib import Path

import numpy as np

from fastinit.propagation import (
    AttentionBranch,
    MLPBranch,
    ResidualStack,
    deepnorm,
    simulate,
    theory,
)

OUT = Path(__file__).resolve().parent / "img"


COLORS = {"pre-LN": "C0", "post-LN": "C1", "no norm, residual": "C2",
          "attention only, no skip": "C3"}  # fmt: skip


def _panel(ax, stacks, quantity, title, *, log=False, sim_kwargs=None):
    for label, stack in stacks.items():
        th = theory(stack)
        color = COLORS.get(label)
        line = ax.plot(np.arange(stack.depth + 1), getattr(th, quantity), label=label,
                       color=color)[0]  # fmt: skip
        if sim_kwargs is not None:
            sim = simulate(stack, **sim_kwargs).mean(quantity)
            ax.plot(np.arange(stack.depth + 1), sim, "o", ms=3, color=line.get_color())
    ax.set_title(title)
    ax.set_xlabel("block")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def variance_and_correlation(plt):
    depth = 24
    mlp = MLPBranch("gelu", sigma_w2=2.0)
    attn = AttentionBranch(heads=4)
    common = {"depth": depth, "width": 256, "seq_len": 32}
    stacks = {
        "pre-LN": ResidualStack((attn, mlp), **common),
        "post-LN": ResidualStack((attn, mlp), position="post", **common),
        "no norm, residual": ResidualStack((attn, mlp), norm=None, **common),
        "attention only, no skip": ResidualStack(attn, norm=None, alpha=0.0, **common),
    }
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    sim = {"batch": 4, "n_networks": 2, "seed": 0}
    _panel(axes[0], stacks, "q", "forward variance q_l", log=True, sim_kwargs=sim)
    _panel(axes[1], stacks, "c", "token correlation c_l (1 = rank collapse)", sim_kwargs=sim)
    # without a norm the scores saturate as the variance explodes: the gradient's theory is
    # then order-of-magnitude only (docs/stacks.md), and its 10^140 would flatten the rest
    normed = {k: v for k, v in stacks.items() if k != "no norm, residual"}
    _panel(axes[2], normed, "grad_var", "gradient variance (output = 1)", log=True,
           sim_kwargs=sim)  # fmt: skip
    fig.suptitle("Transformer-like stacks (attention + GELU MLP), width 256, 32 tokens: "
                 "theory (lines), one simulated network pair (dots)", fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(OUT / "architectures_stacks.png", dpi=110)


def deepnorm_figure(plt):
    layers = 1000
    dn = deepnorm(encoder_layers=layers).encoder
    b2 = dn.beta**2

    def stack(alpha, beta2):
        branches = (AttentionBranch(heads=2, sigma_v2=beta2, sigma_o2=beta2),
                    MLPBranch("gelu", sigma_w2=beta2, sigma_o2=beta2))  # fmt: skip
        return ResidualStack(branches, depth=layers, width=64, seq_len=16, position="post",
                             alpha=alpha)  # fmt: skip

    stacks = {"post-LN": stack(1.0, 1.0), f"DeepNorm (alpha={dn.alpha:.2f})": stack(dn.alpha, b2)}
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    sim = {"batch": 2, "seed": 0}
    _panel(axes[0], stacks, "grad_var", "gradient variance, 1000 blocks", log=True,
           sim_kwargs=sim)  # fmt: skip
    _panel(axes[1], stacks, "c", "token correlation", sim_kwargs=sim)
    fig.tight_layout()
    fig.savefig(OUT / "architectures_deepnorm.png", dpi=110)


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(exist_ok=True)
    variance_and_correlation(plt)
    deepnorm_figure(plt)


if __name__ == "__main__":
    main()
