"""diagnose(), its table/plot/CLI, and lsuv()."""

import argparse

import numpy as np
import pytest

import fastinit
from fastinit.propagation import add_diagnose_command, diagnose, lsuv


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


def test_cli(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="fastinit")
    add_diagnose_command(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "p.png"
    args = parser.parse_args(["diagnose", "--activation", "relu", "--init", "xavier_normal",
                              "--depth", "6", "--width", "32", "--networks", "2", "--batch",
                              "8", "--plot", str(out)])  # fmt: skip
    assert args.handler(args) == 0
    printed = capsys.readouterr().out
    assert "verdict: vanishing" in printed and out.exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"band": (2.0, 3.0)}, ValueError, "band"), ({"band": 3}, TypeError, "band"),
     ({"widths": [3]}, ValueError, "widths"), ({"activation": "x"}, ValueError, "activation")],
)  # fmt: skip
def test_diagnose_errors(kwargs, error, match):
    args = {"widths": [8, 8], "activation": "relu", "n_networks": 1, "batch": 2} | kwargs
    with pytest.raises(error, match=match):
        diagnose(args.pop("widths"), args.pop("activation"), **args)


# ------------------------------------------------------------------------------- lsuv ---


def test_lsuv_reaches_unit_variance_and_fixes_a_deep_net():
    rng = np.random.default_rng(0)
    ws = [fastinit.normal((128, 128), std=0.01, seed=i) for i in range(20)]
    x = rng.standard_normal((256, 128))
    variances = lsuv(ws, x, "tanh", seed=0)
    assert np.all(np.abs(variances - 1) < 0.1)
    assert all(w.dtype == np.float32 for w in ws)
    # replay the forward pass with the written weights: every layer at ~unit variance
    h = x
    for i, w in enumerate(ws):
        h = (np.tanh(h) if i else h) @ w.T.astype(np.float64)
        assert abs(h.var() - 1) < 0.11


def test_lsuv_without_orthonormal_start_keeps_directions():
    w = fastinit.normal((32, 16), std=3.0, seed=0).astype(np.float64)
    before = w.copy()
    lsuv([w], np.random.default_rng(1).standard_normal((64, 16)), "relu", orthonormal=False)
    scale = w / before
    np.testing.assert_allclose(scale, scale.flat[0])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda ws, x: lsuv(ws, x[:, :3], "relu"), ValueError, "x must have shape"),
        (lambda ws, x: lsuv(ws + [np.zeros((4, 5))], x, "relu"), ValueError, "weights\\[3\\]"),
        (lambda ws, x: lsuv(ws, x, "relu", tol=0), ValueError, "tol"),
        (lambda ws, x: lsuv(ws, x, "relu", max_iter=0), ValueError, "max_iter"),
        (lambda ws, x: lsuv(ws, x, "nope"), ValueError, "activation"),
        (lambda ws, x: lsuv(ws[0], x, "relu"), TypeError, "weights"),
        (lambda ws, x: lsuv(ws, np.full_like(x, np.nan), "relu"), ValueError, "NaN"),
        (lambda ws, x: lsuv(ws, np.zeros_like(x), "relu"), ValueError, "no weight"),
    ],
)
def test_lsuv_validates_before_writing(make, error, match):
    ws = [fastinit.normal((8, 8), seed=i) for i in range(3)]
    copies = [w.copy() for w in ws]
    x = np.random.default_rng(0).standard_normal((16, 8))
    with pytest.raises(error, match=match):
        make(ws, x)
    for w, c in zip(ws, copies, strict=True):
        np.testing.assert_array_equal(w, c)


def test_lsuv_read_only_weight():
    w = np.zeros((4, 4))
    w.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        lsuv([w], np.ones((3, 4)), "relu")
