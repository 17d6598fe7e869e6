"""Batched simulation: published results, agreement with theory, torch, seeds, errors."""

import numpy as np
import pytest

import fastinit
from fastinit.propagation import simulate, theory


def lecun_uniform_standard(shape, seed):
    # Glorot & Bengio's "standard" init: U(-1/sqrt(n), 1/sqrt(n)), n = fan_in
    bound = 1 / np.sqrt(shape[1])
    return fastinit.uniform(shape, -bound, bound, seed=seed)


def test_he_2015_relu_variance_kept_or_halved():
    # 30 ReLU layers: Var(W) = 2/n keeps the forward variance, Var(W) = 1/n halves it per layer
    widths = [512] * 31
    he = simulate(widths, "relu", init="kaiming_normal", n_networks=4, batch=64, seed=0)
    halved = simulate(widths, "relu", init=1.0, n_networks=4, batch=64, seed=0)
    # log2 q per layer: 0 for He, -1 for Var(W) = 1/n. Deep in a relu net the batch becomes
    # correlated, so each network's log q does a random walk in the weights (per-layer std
    # ~ sqrt(5 / n) = 0.1): the fitted slope over 30 layers is good to a few 0.01 and single
    # layers may drift by tens of percent
    layers = np.arange(30)
    assert np.polyfit(layers, np.log2(he.forward_mean), 1)[0] == pytest.approx(0.0, abs=0.05)
    assert np.polyfit(layers, np.log2(halved.forward_mean), 1)[0] == pytest.approx(-1.0, abs=0.05)
    assert np.all((he.forward_mean > 0.25) & (he.forward_mean < 4.0))


def test_glorot_2010_tanh_gradients():
    # 5 tanh layers of 1000 units: with U(+-1/sqrt(n)) the back-propagated gradient variance
    # shrinks ~3x per layer towards the input; with the normalized init it shrinks far less
    widths = [1000] * 6
    std = simulate(widths, "tanh", init=lecun_uniform_standard, n_networks=2, batch=128, seed=1)
    norm = simulate(widths, "tanh", init="xavier_uniform", n_networks=2, batch=128, seed=1)
    std_ratio = std.grad_mean[:-1] / std.grad_mean[1:]
    norm_ratio = norm.grad_mean[:-1] / norm.grad_mean[1:]
    assert np.all(std_ratio < 0.4)
    assert np.all(norm_ratio > 0.6)
    assert norm.grad_mean[0] > 20 * std.grad_mean[0]
    # both agree with mean-field theory within 2% (measured: < 1%)
    for res in (std, norm):
        th = theory("tanh", res.sigma_w2.mean(), depth=5)
        np.testing.assert_allclose(res.grad_mean, th.grad_var, rtol=0.02)
        np.testing.assert_allclose(res.forward_mean, th.forward_var, rtol=0.02)


@pytest.mark.parametrize(("activation", "sigma_w2"), [("relu", 2.0), ("tanh", 1.5), ("gelu", 3.0)])
def test_simulation_agrees_with_theory_at_width_1024(activation, sigma_w2):
    # width 1024, 4 layers, mean of 4 networks. Batch averaging cannot remove the fluctuation
    # over weights along the batch's common direction (relu outputs have a positive mean and
    # relu maps correlation 0 to 1/pi), which is ~sqrt(2 / n) x that share per layer, a random
    # walk: ~2-3% per network at layer 4, ~1.5% for the mean of 4; 5% is ~3 sigma. Theory is
    # the expectation over weights, so single deep networks stray further (15% at layer 8).
    res = simulate([1024] * 5, activation, init=np.sqrt(sigma_w2), n_networks=4, batch=128,
                   seed=3)  # fmt: skip
    th = theory(activation, res.sigma_w2.mean(axis=0)[0], depth=4)
    np.testing.assert_allclose(res.forward_mean, th.forward_var, rtol=0.05)
    np.testing.assert_allclose(res.grad_mean, th.grad_var, rtol=0.05)


def test_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    from fastinit.propagation import _simulation as ps

    widths = [64, 48, 80, 32]
    seeds = ps.seed_children(5, 3 * 3 + 2)
    ws = ps.build_weights(widths, ps.resolve_init("xavier_normal"), 3, seeds, np.float64)
    rng = np.random.default_rng(0)
    h0 = rng.standard_normal((3, 16, 64))
    g = rng.standard_normal((3, 16, 32))
    fv, gv = ps.run_networks(ws, h0, g.copy(), 3, 0.0)
    x = torch.tanh(torch.from_numpy(h0))
    hs = []
    for w in ws:
        h = x @ torch.from_numpy(w).requires_grad_().transpose(1, 2)
        h.retain_grad()
        hs.append(h)
        x = torch.tanh(h)
    hs[-1].backward(torch.from_numpy(g))
    np.testing.assert_allclose(fv, np.stack([h.detach().pow(2).mean((1, 2)) for h in hs], 1))
    np.testing.assert_allclose(gv, np.stack([h.grad.pow(2).mean((1, 2)) for h in hs], 1))


@pytest.mark.parametrize("activation", ["linear", "leaky_relu", "sigmoid", "silu", "selu", "elu",
                                        "softplus"])  # fmt: skip
def test_every_activation_runs_and_tracks_theory(activation):
    # 8 networks of width 256: activations with a non-zero mean (sigmoid, softplus) feed every
    # unit a common input, whose weight sum fluctuates ~sqrt(2 / n) = 9% per network; the mean
    # of 8 networks is good to ~3%
    res = simulate([256] * 4, activation, init="lecun_normal", n_networks=8, batch=64, seed=2)
    th = theory(activation, res.sigma_w2.mean(axis=0)[0], depth=3)
    np.testing.assert_allclose(res.forward_mean, th.forward_var, rtol=0.08)


def test_shapes_seeds_and_dtypes():
    a = simulate([32, 16, 8], "relu", n_networks=3, batch=4, seed=7)
    b = simulate([32, 16, 8], "relu", n_networks=3, batch=4, seed=7)
    c = simulate([32, 16, 8], "relu", n_networks=3, batch=4, seed=8)
    assert a.forward_var.shape == a.grad_var.shape == a.sigma_w2.shape == (3, 2)
    np.testing.assert_array_equal(a.forward_var, b.forward_var)
    assert not np.array_equal(a.forward_var, c.forward_var)
    d = simulate([32, 16, 8], "relu", n_networks=3, batch=4, seed=7, dtype=np.float64)
    assert d.forward_var.shape == (3, 2)
    assert a.forward_mean.shape == a.forward_std.shape == a.grad_mean.shape == (2,)
    gen = simulate([8, 8], "tanh", n_networks=1, batch=2, seed=np.random.default_rng(0))
    assert gen.grad_var.shape == (1, 1)


def test_init_forms():
    widths = [64, 64, 64]
    named = simulate(widths, "relu", init="kaiming_normal", init_kwargs={"mode": "fan_out"},
                     n_networks=1, batch=8, seed=0)  # fmt: skip
    assert named.sigma_w2.mean() == pytest.approx(2.0, rel=0.1)
    gain = simulate(widths, "relu", init=0.5, n_networks=1, batch=8, seed=0)
    assert gain.sigma_w2.mean() == pytest.approx(0.25, rel=0.1)
    orth = simulate(widths, "linear", init="orthogonal", n_networks=1, batch=64, seed=0)
    np.testing.assert_allclose(orth.sigma_w2, 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"widths": [8]}, ValueError, "widths"),
        ({"widths": [8, 0]}, ValueError, "widths"),
        ({"widths": "abc"}, TypeError, "widths"),
        ({"activation": "swish"}, ValueError, "activation"),
        ({"init": "he"}, ValueError, "init"),
        ({"init": -1.0}, ValueError, "init"),
        ({"init": object()}, TypeError, "init"),
        ({"init": lambda shape, seed: np.zeros(3)}, ValueError, "shape"),
        ({"n_networks": 0}, ValueError, "n_networks"),
        ({"batch": 1.5}, TypeError, "batch"),
        ({"q0": -1.0}, ValueError, "q0"),
        ({"dtype": np.int32}, TypeError, "dtype"),
        ({"seed": -3}, ValueError, "seed"),
    ],
)
def test_simulate_errors(kwargs, error, match):
    args = {"widths": [8, 8], "activation": "relu", "n_networks": 1, "batch": 2} | kwargs
    with pytest.raises(error, match=match):
        simulate(args.pop("widths"), args.pop("activation"), **args)
