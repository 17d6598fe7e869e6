"""lsuv(): unit variance reached layer by layer, in place, and nothing written on a refusal."""

import numpy as np
import pytest

import fastinit
from fastinit.propagation import lsuv


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
