"""Draw the muP coordinate check of docs/depth.md: SP above, muP below.

    python docs/make_mup_plot.py      # writes docs/img/mup_coord_check.png, prints both tables

Needs matplotlib (pip install "fastinit[plot]"). Runs coord_check's defaults (an MLP of depth 3
at widths 256 to 4096, Adam, 3 steps), once per parametrization: about 15 s on 2 cores.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the file backend

from fastinit.propagation import coord_check  # noqa: E402

OUT = Path(__file__).resolve().parent / "img" / "mup_coord_check.png"


def main():
    checks = [coord_check(parametrization=p) for p in ("sp", "mup")]
    steps = checks[0].l1.shape[1]
    fig, axes = plt.subplots(2, steps, figsize=(3.0 * steps, 6.0), sharex=True)
    for row, check in zip(axes, checks, strict=True):
        check.plot(axes=row)
        print(check.table(), end="\n\n")
    # one y range per row, so that SP's growth and muP's flat lines read at a glance
    for row in axes:
        low = min(ax.get_ylim()[0] for ax in row)
        high = max(ax.get_ylim()[1] for ax in row)
        for ax in row:
            ax.set_ylim(low, high)
    fig.suptitle("coordinate check: mean |activation| against width, Adam, lr 0.003", fontsize=10)
    fig.tight_layout()
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
