"""diagnose(): verdicts, the suggested gain, its table and plot."""

import numpy as np
import pytest

from fastinit.propagation import diagnose


def test_verdicts_and_suggested_gain():
    widths = [128] * 21
    bad = diagnose(widths, "relu", init="xavier_normal", n_networks=2, batch=32, seed=0)
    # sigma_w2 = 1: q halves per layer, 0.5^4 < 0.1 -> layer 4; gain sqrt(2) fixes it
    assert bad.verdict == "vanishing" and bad.failing_layer == 4 and bad.direction == "forward"
    assert bad.suggested_gain == pytest.approx(np.sqrt(2), rel=0.05)
    good = diagnose(widths, "relu", init="kaiming_normal", init_kwargs={"nonlinearity": "relu"},
                    n_networks=2, batch=32, seed=0)  # fmt: skip
    assert good.verdict == "stable" and good.failing_layer is None
    assert good.suggested_gain == pytest.approx(1.0, rel=0.05)
    hot = diagnose(widths, "relu", init=2.0, n_networks=2, batch=32, seed=0)
    assert hot.verdict == "exploding" and hot.failing_layer == 4  # q = 2, 4, 8, 16 > 10
    tanh = diagnose([64] * 11, "tanh", init=0.5, n_networks=2, batch=32, seed=0,
                    band=(0.5, 2.0))  # fmt: skip
    assert tanh.verdict == "vanishing"
    assert tanh.critical_sigma_w2 == pytest.approx(1.0)


def test_table_and_plot(tmp_path):
    d = diagnose([32] * 6, "tanh", init="xavier_uniform", n_networks=2, batch=16, seed=1)
    text = d.table()
    assert len(text.splitlines()) == 5 + 2 and "verdict:" in text and str(d) == text
    pytest.importorskip("matplotlib")
    out = tmp_path / "diag.png"
    d.plot(out)
    assert out.stat().st_size > 1000


def test_plot_without_matplotlib(monkeypatch):
    import sys

    d = diagnose([16] * 3, "relu", n_networks=1, batch=4, seed=0)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="fastinit\\[plot\\]"):
        d.plot()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"band": (2.0, 3.0)}, ValueError, "band"), ({"band": 3}, TypeError, "band"),
     ({"widths": [3]}, ValueError, "widths"), ({"activation": "x"}, ValueError, "activation")],
)  # fmt: skip
def test_diagnose_errors(kwargs, error, match):
    args = {"widths": [8, 8], "activation": "relu", "n_networks": 1, "batch": 2} | kwargs
    with pytest.raises(error, match=match):
        diagnose(args.pop("widths"), args.pop("activation"), **args)
