"""Clipping arrays that share memory gives the sequential result (reference_clip's loops),
on one thread and on two."""

import numpy as np
import pytest

import fastinit

from .reference_clip import seq_adaptive_clip, seq_clip_by_norm, seq_clip_grad_norm


@pytest.mark.parametrize("views", ["same", "reversed", "overlapping"])
def test_aliased_arrays_get_the_sequential_result(views):
    """One buffer listed twice is scaled twice (torch's loop), whatever the thread count."""
    base = np.linspace(-1.0, 1.0, 1 << 22, dtype=np.float32)
    x = base.copy()
    second = {"same": x, "reversed": x[::-1], "overlapping": x[1000:]}[views]
    expected = base.astype(np.float64)
    total = np.sqrt(2 * np.sum(expected**2) if views != "overlapping" else
                    np.sum(expected**2) + np.sum(expected[1000:] ** 2))  # fmt: skip
    coef = np.float32(1.0 / (total + 1e-6))
    want = base.copy()
    want *= coef
    if views == "overlapping":
        want[1000:] *= coef
    else:
        want *= coef
    got_total = fastinit.clip_grad_norm([x, second], 1.0)
    assert got_total == pytest.approx(total, rel=1e-9)
    np.testing.assert_allclose(x, want, rtol=2e-7)


def test_aliased_value_clipping_is_sequential():
    x = np.linspace(-4.0, 4.0, 1 << 21)
    want = np.clip(x, -1.0, 1.0)
    fastinit.clip_grad_value([x, x[::-1], x], 1.0)
    np.testing.assert_array_equal(x, want)


@pytest.mark.parametrize("views", ["same", "reversed", "reshaped"])
def test_aliased_clip_grad_norm_on_two_threads(views, two_threads):
    """One buffer listed twice, large enough to be split over threads: scaled twice, in turn."""
    for _ in range(3):  # the race lost writes in most runs, not all
        x = np.ones((1024, 2048), np.float32)
        second = {"same": x, "reversed": x[::-1], "reshaped": x.reshape(-1)[::-1]}[views]
        want = np.ones_like(x)
        want_total = seq_clip_grad_norm([want, want], 1.0)
        assert fastinit.clip_grad_norm([x, second], 1.0) == pytest.approx(want_total, rel=1e-12)
        np.testing.assert_allclose(x, want, rtol=4e-7)


@pytest.mark.parametrize("views", ["same", "reversed", "overlapping", "disjoint"])
def test_aliased_clip_by_norm_is_sequential(views):
    x = np.linspace(-3.0, 5.0, 600)
    y = np.full(7, 10.0)
    second = {"same": x, "reversed": x[::-1], "overlapping": x[200:], "disjoint": x[:0]}[views]
    got = [x, y, second, x[:50]]
    want_x, want_y = x.copy(), y.copy()
    want = [want_x, want_y, {"same": want_x, "reversed": want_x[::-1],
                             "overlapping": want_x[200:], "disjoint": want_x[:0]}[views],
            want_x[:50]]  # fmt: skip
    np.testing.assert_allclose(fastinit.clip_by_norm(got, 1.0), seq_clip_by_norm(want, 1.0))
    np.testing.assert_allclose(x, want_x, rtol=1e-14)
    np.testing.assert_allclose(y, want_y, rtol=1e-14)


def test_aliased_clip_by_norm_on_two_threads(two_threads):
    x = np.full(1 << 22, 3.0, np.float32)
    want = x.copy()
    want_norms = seq_clip_by_norm([want, want[::-1]], 1.0)
    np.testing.assert_allclose(fastinit.clip_by_norm([x, x[::-1]], 1.0), want_norms, rtol=1e-6)
    np.testing.assert_allclose(x, want, rtol=1e-6)


@pytest.mark.parametrize("layout", ["torch", "jax"])
def test_aliased_adaptive_clip_is_sequential(layout):
    rng = np.random.default_rng(5)
    g = rng.standard_normal((6, 5))
    w = rng.standard_normal((6, 5)) * 0.5
    v = rng.standard_normal(8)
    cases = [  # grads listed twice; a grad that is a later param; a grad that is its own param
        lambda g, w, v: ([g, g[::-1]], [w, w[::-1]]),
        lambda g, w, v: ([g, v], [w, g[0, :].repeat(2)[:8]]),
        lambda g, w, v: ([v[:5], g, v], [g[0], g, v]),
    ]
    for make_lists in cases:
        got = [a.copy() for a in (g, w, v)]
        want = [a.copy() for a in (g, w, v)]
        fastinit.adaptive_clip(*make_lists(*got), 0.05, layout=layout)
        seq_adaptive_clip(*make_lists(*want), 0.05, layout=layout)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-13)
