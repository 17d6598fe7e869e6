"""Residual stacks: the maps against independent quadrature and Monte Carlo, the theory against
the simulation, and the published claims about depth (pre-norm growth, rank collapse, DeepNorm,
Fixup, T-Fixup, SkipInit) shown by both."""

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss

from fastinit.propagation import (
    AttentionBranch,
    BlockSimulationResult,
    BlockTheoryResult,
    MLPBranch,
    ResidualStack,
    _activations,
    deepnorm,
    fixup_scale,
    simulate,
    skipinit_alpha,
    tfixup,
    theory,
)
from fastinit.propagation._cmap import CorrelationMap
from fastinit.propagation._softmax import cross_row_sum, row_square_sum


def _cmap_by_quadrature(name, q, c, nodes=200):
    """E[phi(u1) phi(u2)] and E[phi'(u1) phi'(u2)] by a 2-D Gauss-Hermite product rule."""
    _, code, param = _activations.activation_spec(name)
    z, w = hermegauss(nodes)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    ww = np.outer(w, w)
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(1 - c * c) * z2)
    value = np.sum(ww * _activations.phi(u1, code, param) * _activations.phi(u2, code, param))
    slope = np.sum(ww * _activations.dphi(u1, code, param) * _activations.dphi(u2, code, param))
    return value, slope


@pytest.mark.parametrize("name", ["tanh", "gelu", "silu", "sigmoid", "softplus", "linear"])
@pytest.mark.parametrize("q", [0.3, 4.0])
def test_correlation_map_matches_two_dimensional_quadrature(name, q):
    _, code, param = _activations.activation_spec(name)
    cs = np.array([-0.5, 0.0, 0.3, 0.7, 0.95])
    value, slope = CorrelationMap(code, param, np.full(cs.shape, q)).at(cs)
    for i, c in enumerate(cs):
        v_ref, s_ref = _cmap_by_quadrature(name, q, c, nodes=120)
        assert value[i] == pytest.approx(v_ref, rel=2e-3, abs=1e-4)
        assert slope[i] == pytest.approx(s_ref, rel=2e-3, abs=1e-4)


def test_relu_correlation_map_is_the_arc_cosine_kernel():
    # Cho & Saul (2009), degree 1 and degree 0, written out independently of the code's form
    cs = np.linspace(-1.0, 1.0, 41)
    q = 1.7
    value, slope = CorrelationMap(1, 0.0, np.full(cs.shape, q)).at(cs)
    theta = np.arccos(cs)
    np.testing.assert_allclose(value, q / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * cs),
                               rtol=1e-12, atol=1e-15)  # fmt: skip
    np.testing.assert_allclose(slope, (np.pi - theta) / (2 * np.pi), rtol=1e-12, atol=1e-15)


def test_leaky_relu_correlation_map_matches_monte_carlo():
    rng = np.random.default_rng(2)
    z1, z2 = rng.standard_normal((2, 400_000))
    c, q, a = 0.4, 2.0, 0.2
    u1, u2 = math.sqrt(q) * z1, math.sqrt(q) * (c * z1 + math.sqrt(1 - c * c) * z2)
    product = np.where(u1 > 0, u1, a * u1) * np.where(u2 > 0, u2, a * u2)
    value, _ = CorrelationMap(2, a, np.array([q])).at(np.array([c]))
    assert value[0] == pytest.approx(product.mean(), abs=4 * product.std() / 632)


def test_correlation_map_is_exact_at_the_ends():
    _, code, param = _activations.activation_spec("selu")
    cmap = CorrelationMap(code, param, np.array([0.5, 2.0]))
    v, d = _activations.expectations(np.array([0.5, 2.0]), code, param)
    at_one = cmap.at(np.ones(2))
    np.testing.assert_allclose(at_one[0], v, rtol=1e-9)
    np.testing.assert_allclose(at_one[1], d, rtol=1e-9)


def _softmax_rows(rng, rows, tokens, scores):
    a = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return a / a.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("tokens", [2, 16, 128])
@pytest.mark.parametrize("s2", [0.0, 0.5, 2.0, 9.0])
def test_row_square_sum_matches_monte_carlo(tokens, s2):
    rng = np.random.default_rng(0)
    a = _softmax_rows(rng, 20000, tokens, math.sqrt(s2) * rng.standard_normal((20000, tokens)))
    mc = (a * a).sum(axis=1)
    # Monte Carlo's own error: 4 standard errors
    tol = 4 * mc.std() / math.sqrt(mc.size) + 1e-12
    assert float(row_square_sum(s2, tokens)) == pytest.approx(mc.mean(), abs=tol)


@pytest.mark.parametrize("tokens", [16, 64])
@pytest.mark.parametrize(("s2", "c"), [(1.0, 0.5), (4.0, 0.2), (4.0, 0.8), (9.0, 0.5)])
def test_cross_row_sum_is_within_its_documented_error(tokens, s2, c):
    rng = np.random.default_rng(1)
    n = 20000
    column = math.sqrt(s2 * c * (1 - c)) * rng.standard_normal((n, 1, tokens))
    own = math.sqrt(s2) * (1 - c) * rng.standard_normal((n, 2, tokens))
    a = _softmax_rows(rng, n, tokens, column + own)
    mc = (a[:, 0] * a[:, 1]).sum(axis=1).mean()
    assert float(cross_row_sum(s2, c, tokens)) == pytest.approx(mc, rel=0.15)


# stacks small enough to simulate in well under a second, each in a different regime
STACKS = {
    "pre-LN relu MLP": ResidualStack(MLPBranch("relu"), depth=6, width=256, seq_len=16),
    "post-LN gelu MLP": ResidualStack(
        MLPBranch("gelu"), depth=6, width=256, seq_len=16, position="post"
    ),
    "no-norm tanh MLP": ResidualStack(
        MLPBranch("tanh", sigma_w2=1.5), depth=6, width=256, seq_len=16, norm=None, alpha=0.7,
        beta=0.7,
    ),
    "plain attention": ResidualStack(
        AttentionBranch(heads=4), depth=5, width=256, seq_len=32, norm=None, alpha=0.0
    ),
    "pre-RMS transformer": ResidualStack(
        (AttentionBranch(heads=4, sigma_qk2=1.5), MLPBranch()), depth=5, width=256, seq_len=64,
        norm="rms",
    ),
    "post-LN transformer, sharp scores": ResidualStack(
        (AttentionBranch(heads=4, sigma_qk2=2.0), MLPBranch()), depth=5, width=256, seq_len=32,
        position="post",
    ),
}  # fmt: skip


@pytest.fixture(scope="module", params=list(STACKS))
def pair(request):
    stack = STACKS[request.param]
    return theory(stack), simulate(stack, batch=8, n_networks=3, seed=7)


def test_theory_agrees_with_simulation(pair):
    th, sim = pair
    assert isinstance(th, BlockTheoryResult) and isinstance(sim, BlockSimulationResult)
    np.testing.assert_allclose(sim.mean("q"), th.q, rtol=0.06)
    np.testing.assert_allclose(sim.mean("c"), th.c, atol=0.05)
    # the gradient through sharp softmax scores is the roughest approximation (see the docs)
    np.testing.assert_allclose(sim.mean("grad_var"), th.grad_var, rtol=0.2)
    np.testing.assert_allclose(sim.mean("grad_corr"), th.grad_corr, atol=0.05)


def test_pre_norm_stacks_grow_linearly_with_depth():
    # each pre-norm branch sees a normalized input, so it adds the same variance every block
    stack = ResidualStack(MLPBranch("gelu", sigma_w2=2.0, sigma_o2=1.0), depth=30, width=256,
                          seq_len=8)  # fmt: skip
    q = theory(stack).q
    steps = np.diff(q)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-12)
    # one network's slope varies by ~5% at this width: average four
    sim = simulate(stack, batch=4, n_networks=4, seed=0).mean("q")
    fit, residual, *_ = np.polyfit(np.arange(31), sim, 1, full=True)
    assert fit[0] == pytest.approx(steps[0], rel=0.08)
    assert math.sqrt(residual[0] / 31) < 0.05 * sim[-1]  # a line, not a curve
    # against the variance of the post-norm form, which stays 1
    assert np.all(theory(ResidualStack(stack.branches, depth=30, position="post")).q == 1.0)


def test_attention_without_skip_connections_collapses_in_rank():
    plain = ResidualStack(AttentionBranch(heads=4), depth=6, width=128, seq_len=32, norm=None,
                          alpha=0.0)  # fmt: skip
    assert theory(plain).c[-1] > 0.999
    assert simulate(plain, batch=4, seed=0).c[0, -1] > 0.99
    # a pre-norm skip connection keeps the tokens apart at the same depth
    residual = ResidualStack(AttentionBranch(heads=4), depth=6, width=128, seq_len=32)
    assert theory(residual).c[-1] < 0.5
    assert simulate(residual, batch=4, seed=0).c[0, -1] < 0.5


def _transformer(layers, alpha, beta2, width=64, heads=2, seq_len=16):
    branches = (
        AttentionBranch(heads=heads, sigma_v2=beta2, sigma_o2=beta2),
        MLPBranch("gelu", sigma_w2=beta2, sigma_o2=beta2),
    )
    return ResidualStack(branches, depth=layers, width=width, seq_len=seq_len, position="post",
                         alpha=alpha)  # fmt: skip


def test_deepnorm_bounds_gradients_and_correlation_at_1000_layers():
    layers = 1000
    dn = deepnorm(encoder_layers=layers).encoder
    post = _transformer(layers, 1.0, 1.0)
    deep = _transformer(layers, dn.alpha, dn.beta**2)
    th_post, th_deep = theory(post), theory(deep)
    # the norm pins the forward variance either way
    assert np.all(th_post.q == 1.0) and np.all(th_deep.q == 1.0)
    # post-norm: the input's gradient is 10^8 times the output's, and the tokens collapse
    assert th_post.grad_var[0] > 1e8 and th_post.c[-1] > 0.999
    assert 0.9 < th_deep.grad_var.min() <= th_deep.grad_var.max() < 1.1
    assert th_deep.c[-1] < 1e-3
    sim_post, sim_deep = simulate(post, batch=2, seed=0), simulate(deep, batch=2, seed=0)
    assert sim_post.grad_var.max() > 1e3 and sim_post.c[0, -1] > 0.99
    assert 0.8 < sim_deep.grad_var.min() <= sim_deep.grad_var.max() < 1.25
    assert sim_deep.c[0, -1] < 0.02


def test_fixup_scaling_keeps_an_unnormalized_relu_stack_bounded():
    # branches of m = 2 layers: Fixup scales the first by L^(-1/2); were the last layer He
    # initialized instead of zero, each block adds 2/L of the variance (He's 2 in both layers,
    # halved by relu), so q_L = (1 + 2/L)^L q_0 < e^2 q_0 whatever the depth
    layers = 1000
    scale = fixup_scale(layers, 2)
    fixed = ResidualStack(MLPBranch("relu", ratio=1.0, sigma_w2=2.0 * scale**2, sigma_o2=2.0),
                          depth=layers, norm=None)  # fmt: skip
    he = ResidualStack(MLPBranch("relu", ratio=1.0, sigma_w2=2.0, sigma_o2=2.0), depth=60,
                       norm=None)  # fmt: skip
    q = theory(fixed).q
    assert q[-1] == pytest.approx((1 + 2 / layers) ** layers, rel=1e-9)
    assert theory(he).q[-1] == pytest.approx(3.0**60, rel=1e-9)


def test_tfixup_keeps_a_norm_free_transformer_bounded():
    layers = 200
    g2 = tfixup(encoder_layers=layers).encoder ** 2
    branches = (AttentionBranch(heads=2, sigma_v2=g2, sigma_o2=g2),
                MLPBranch("relu", sigma_w2=2.0 * g2, sigma_o2=g2))  # fmt: skip
    scaled = ResidualStack(branches, depth=layers, width=64, seq_len=16, norm=None)
    plain = ResidualStack((AttentionBranch(heads=2), MLPBranch("relu")), depth=layers,
                          width=64, seq_len=16, norm=None)  # fmt: skip
    th = theory(scaled)
    assert th.q[-1] < 2.0 and th.grad_var[0] < 2.0
    assert theory(plain).q[-1] > 1e30
    sim = simulate(scaled, batch=2, seed=0)
    np.testing.assert_allclose(sim.q[0], th.q, rtol=0.1)


def test_skipinit_starts_every_block_as_the_identity():
    stack = ResidualStack((AttentionBranch(heads=2), MLPBranch()), depth=20, width=64,
                          seq_len=8, norm=None, beta=skipinit_alpha())  # fmt: skip
    th = theory(stack, q0=2.0, c0=0.3)
    np.testing.assert_array_equal(th.q, 2.0)
    np.testing.assert_allclose(th.c, 0.3)
    np.testing.assert_array_equal(th.grad_var, 1.0)
    sim = simulate(stack, batch=2, seed=0, q0=2.0, c0=0.3)
    np.testing.assert_allclose(sim.q[0], sim.q[0, 0], rtol=1e-6)


def test_theory_covers_a_grid_and_each_point_is_its_own_scalar_run():
    alpha = np.linspace(0.5, 1.5, 3)[:, None]
    beta = np.array([0.0, 0.5, 1.0, 2.0])
    branches = (AttentionBranch(sigma_qk2=np.array([1.0, 2.0])[:, None, None]), MLPBranch())
    grid = theory(ResidualStack(branches, depth=4, position="post", alpha=alpha, beta=beta))
    assert grid.q.shape == (2, 3, 4, 5)
    one = theory(ResidualStack((AttentionBranch(sigma_qk2=2.0), MLPBranch()), depth=4,
                               position="post", alpha=1.0, beta=2.0))  # fmt: skip
    for name in ("q", "c", "grad_var", "grad_corr"):
        np.testing.assert_allclose(getattr(grid, name)[1, 1, 3], getattr(one, name), rtol=1e-12)


def test_simulation_is_reproducible_and_seeded():
    stack = ResidualStack((AttentionBranch(heads=2), MLPBranch()), depth=2, width=32, seq_len=8)
    a, b = simulate(stack, batch=2, seed=3), simulate(stack, batch=2, seed=3)
    np.testing.assert_array_equal(a.q, b.q)
    np.testing.assert_array_equal(a.grad_var, b.grad_var)
    assert not np.array_equal(a.q, simulate(stack, batch=2, seed=4).q)


@pytest.mark.parametrize("position", ["pre", "post"])
def test_simulation_does_not_depend_on_the_thread_count(position):
    """Groups of sequences run on threads; the groups and the order of their sums depend on the
    shapes only. Batch 6 of 64 tokens makes 2 groups of 4 and 2 sequences."""
    from ._helpers import with_threads

    stack = ResidualStack((AttentionBranch(heads=2), MLPBranch("gelu")), depth=3, width=32,
                          seq_len=64, position=position)  # fmt: skip
    one = with_threads(1, lambda: simulate(stack, batch=6, seed=1))
    two = with_threads(2, lambda: simulate(stack, batch=6, seed=1))
    for name in ("q", "c", "grad_var", "grad_corr"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))


def test_simulation_groups_add_up_to_the_whole_batch(monkeypatch):
    """One group of the whole batch and groups of one sequence measure the same stack."""
    from fastinit.propagation import _block_simulation

    stack = ResidualStack((AttentionBranch(heads=2), MLPBranch("relu")), depth=3, width=32,
                          seq_len=16, norm="rms")  # fmt: skip
    runs = []
    for tokens in (16, 1 << 20):
        monkeypatch.setattr(_block_simulation, "_GROUP_TOKENS", tokens)
        runs.append(simulate(stack, batch=5, seed=2, dtype=np.float64))
    for name in ("q", "c", "grad_var", "grad_corr"):
        np.testing.assert_allclose(getattr(runs[0], name), getattr(runs[1], name), rtol=1e-12)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ResidualStack(MLPBranch(), depth=0), "depth"),
        (lambda: ResidualStack("mlp", depth=2), "branches"),
        (lambda: ResidualStack((), depth=2), "branches"),
        (lambda: ResidualStack(MLPBranch(), depth=2, norm="batch"), "norm"),
        (lambda: ResidualStack(MLPBranch(), depth=2, position="middle"), "position"),
        (lambda: ResidualStack(MLPBranch(), depth=2, alpha=np.nan), "alpha"),
        (lambda: ResidualStack(MLPBranch(), depth=2, beta="1"), "beta"),
        (lambda: ResidualStack(AttentionBranch(heads=3), depth=2, width=64), "heads"),
        (lambda: MLPBranch("swish"), "activation"),
        (lambda: MLPBranch(ratio=0), "ratio"),
        (lambda: MLPBranch(sigma_w2=-1.0), "sigma_w2"),
        (lambda: AttentionBranch(heads=0), "heads"),
        (lambda: AttentionBranch(scale=-1.0), "scale"),
        (lambda: AttentionBranch(sigma_qk2=[1.0, -2.0]), "sigma_qk2"),
        (lambda: theory(ResidualStack(MLPBranch(), depth=2), depth=3), "depth"),
        (lambda: theory(ResidualStack(MLPBranch(), depth=2), 2.0), "sigma_w2"),
        (lambda: theory(ResidualStack(MLPBranch(), depth=2), c0=1.5), "c0"),
        (lambda: theory(ResidualStack(MLPBranch(), depth=2, alpha=[1, 2]), q0=[1, 2, 3]),
         "broadcast"),
        (lambda: theory("relu", 2.0, depth=2, c0=0.5), "c0"),
        (lambda: theory("relu", depth=2), "sigma_w2"),
        (lambda: simulate(ResidualStack(MLPBranch(), depth=2), "relu"), "activation"),
        (lambda: simulate(ResidualStack(MLPBranch(), depth=2, alpha=[1, 2])), "arrays"),
        (lambda: simulate(ResidualStack(MLPBranch(), depth=2), c0=-0.1), "c0"),
        (lambda: simulate(ResidualStack(MLPBranch(), depth=2), batch=0), "batch"),
        (lambda: simulate(ResidualStack(MLPBranch(), depth=10**6, width=10**5)), "depth"),
        (lambda: simulate([4, 4], c0=0.5), "activation"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_float32_gelu_of_the_stack_simulation_is_the_erf_form():
    from scipy.special import ndtr

    from fastinit.propagation._block_simulation import _activate

    h = np.linspace(-12.0, 12.0, 200_001).astype(np.float32)
    exact = h.astype(np.float64) * ndtr(h.astype(np.float64))
    value = np.empty_like(h)
    slope_of_h = _activate(h.copy(), value, 5, 0.0)
    np.testing.assert_allclose(value, exact, rtol=0, atol=4e-7)
    hd = h.astype(np.float64)
    slope = ndtr(hd) + hd * np.exp(-hd * hd / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(slope_of_h, slope, rtol=0, atol=3e-6)


@pytest.mark.parametrize(("name", "dtype"), [("tanh", np.float32), ("gelu", np.float64),
                                           ("relu", np.float64)])  # fmt: skip
def test_stack_simulation_activations_return_value_and_slope(name, dtype):
    from fastinit.propagation._activations import ACTIVATIONS, dphi, phi
    from fastinit.propagation._block_simulation import _activate

    code, param = ACTIVATIONS[name]
    h = np.linspace(-6.0, 6.0, 10_001).astype(dtype)
    value = np.empty_like(h)
    slope = _activate(h.copy(), value, code, param or 0.0)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(value, phi(h.astype(float), code, param), rtol=tol, atol=tol)
    np.testing.assert_allclose(slope, dphi(h.astype(float), code, param), rtol=tol, atol=tol)


def test_compiled_attention_maps_equal_the_numpy_ones():
    from fastinit.propagation import _softmax

    rng = np.random.default_rng(3)
    q = np.concatenate([[0.0, 1e-6, 1.0], rng.uniform(0, 20, 500)])
    c = np.concatenate([[0.0, 0.5, 1.0], rng.uniform(-0.2, 1.0, 500)])
    gain, vo, tokens = 1.3, 0.7, 32
    out = _softmax.attention_moments(q, q * c, gain, vo, tokens)
    cc = np.clip(np.where(q > 0, c, 0.0), 0, 1)
    s2 = gain * q * q
    s_diag = _softmax.row_square_sum(s2 * (1 - cc), tokens)
    s_off = np.minimum(s_diag, _softmax.cross_row_sum(s2, cc, tokens))
    f = _softmax.gradient_factor(s2 * (1 - cc), tokens)
    expected = [vo * q * (cc + (1 - cc) * s_diag), vo * q * (cc + (1 - cc) * s_off), s2, cc,
                s_diag, s_off, f]  # fmt: skip
    for row, want in zip(out, expected, strict=True):
        np.testing.assert_allclose(row, want, rtol=1e-12, atol=1e-300)


def _numpy_theory(monkeypatch, stack, **kw):
    from fastinit.propagation import _block_theory

    with monkeypatch.context() as m:
        m.setattr(_block_theory, "_compiles", lambda stack: False)
        return theory(stack, **kw)


@pytest.mark.parametrize("activation", ["gelu", "relu", "leaky_relu", "linear", "tanh"])
@pytest.mark.parametrize("position", ["pre", "post"])
@pytest.mark.parametrize("norm", ["layer", "rms", None])
@pytest.mark.parametrize("tokens", [1, 16])
def test_compiled_stack_pass_equals_the_numpy_iteration(monkeypatch, activation, position, norm,
                                                        tokens):  # fmt: skip
    """The compiled pass (every normalized stack, and closed-form ones without a norm) against
    the sublayer-at-a-time NumPy maps it replaces, over grids of every setting, q0 and c0."""
    from fastinit.propagation import _block_theory

    alpha = np.linspace(0.5, 1.5, 4)[:, None]
    beta = np.linspace(0.05, 1.2, 5)
    mixes = [
        (AttentionBranch(), MLPBranch(activation)),
        (MLPBranch(activation, sigma_w2=np.linspace(1.0, 2.5, 5), ratio=2),
         AttentionBranch(heads=2, sigma_qk2=np.linspace(0.5, 3.0, 5))),
        (MLPBranch(activation, sigma_o2=0.5),),
    ]  # fmt: skip
    for branches in mixes:
        stack = ResidualStack(branches, depth=6, width=64, seq_len=tokens, norm=norm,
                              position=position, alpha=alpha, beta=beta)  # fmt: skip
        if not _block_theory._compiles(stack):
            continue
        for kw in ({}, {"q0": np.linspace(0.2, 3.0, 4)[:, None], "c0": 0.3}):
            got, want = theory(stack, **kw), _numpy_theory(monkeypatch, stack, **kw)
            for name in ("q", "c", "grad_var", "grad_corr"):
                np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9,
                                           atol=1e-12, err_msg=name)  # fmt: skip


@pytest.mark.parametrize("kind", ["layer", "rms"])
def test_stack_simulation_norm_passes_match_torch_autograd(kind):
    torch = pytest.importorskip("torch")
    from fastinit.propagation._block_simulation import _NORM_EPS, _Norm

    rng = np.random.default_rng(4)
    x = (rng.standard_normal((64, 96)) * 3 + 0.5).astype(np.float32)
    gu = rng.standard_normal((64, 96)).astype(np.float32)
    g = rng.standard_normal((64, 96)).astype(np.float32)
    norm = _Norm(kind)
    u, inv = norm.forward(x)
    out = g.copy()
    norm.backward(gu, u, inv, out, 0.5)  # 0.5 g + the gradient through the norm
    tx = torch.from_numpy(x).double().requires_grad_(True)
    if kind == "layer":
        tu = torch.nn.functional.layer_norm(tx, (96,), eps=_NORM_EPS)
    else:
        tu = tx * torch.rsqrt((tx * tx).mean(-1, keepdim=True) + _NORM_EPS)
    tu.backward(torch.from_numpy(gu).double())
    np.testing.assert_allclose(u, tu.detach().numpy(), rtol=0, atol=2e-6)
    np.testing.assert_allclose(out, 0.5 * g + tx.grad.numpy(), rtol=0, atol=2e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stack_simulation_attention_heads_match_torch_autograd(dtype):
    """The per-head kernels, reading Q, K, V out of the stacked projections and writing the
    merged output and [dQ | dK | dV], against torch's attention and its autograd."""
    torch = pytest.importorskip("torch")
    from fastinit.kernels import attention

    batch, t, heads, d, scale = 3, 12, 4, 5, 0.7
    n = heads * d
    rng = np.random.default_rng(5)
    qkv = (rng.standard_normal((batch * t, 3 * n)) * 2).astype(dtype)
    grad_out = rng.standard_normal((batch * t, n)).astype(dtype)
    probs = np.empty(batch * heads * t * t, dtype)
    out = np.empty((batch * t, n), dtype)
    grads = np.empty_like(qkv)
    attention.forward(qkv.reshape(-1), probs, out.reshape(-1), t, heads, d, scale, 0,
                      batch * heads)  # fmt: skip
    attention.backward(qkv.reshape(-1), probs, grad_out.reshape(-1), grads.reshape(-1), t,
                       heads, d, scale, 0, batch * heads)  # fmt: skip
    tq = torch.from_numpy(qkv).double().requires_grad_(True)
    q, k, v = tq.view(batch, t, 3, heads, d).permute(2, 0, 3, 1, 4)
    ta = torch.softmax(scale * q @ k.transpose(-1, -2), dim=-1)
    to = (ta @ v).transpose(1, 2).reshape(batch * t, n)
    to.backward(torch.from_numpy(grad_out).double())
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(probs.reshape(ta.shape), ta.detach().numpy(), rtol=0, atol=tol)
    np.testing.assert_allclose(out, to.detach().numpy(), rtol=0, atol=tol * 10)
    np.testing.assert_allclose(grads, tq.grad.numpy(), rtol=0, atol=tol * 10)


def test_attention_exponential_and_maximum_of_float32_rows():
    """The vectorized float32 e^x of the softmax (to 2 ulp; 0 below float32's normal range, inf
    above its largest number, NaN kept) and its integer-ordered row maximum."""
    import numba
    from fastinit.kernels import attention

    @numba.njit
    def exp_all(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = attention._exp32(x[i])
        return out

    max_of = numba.njit(lambda x: attention._max32(x))
    x = np.concatenate([np.linspace(-87.3, 88.72, 400_001), [0.0, -0.0, 1e-30, -1e-30]])
    x = x.astype(np.float32)
    got, want = exp_all(x), np.exp(x.astype(np.float64))
    assert np.max(np.abs(got / want - 1)) < 2.5e-7
    edge = np.array([-87.31, -100.0, -np.inf, 88.73, np.inf, np.nan], np.float32)
    np.testing.assert_array_equal(exp_all(edge), [0.0, 0.0, 0.0, np.inf, np.inf, np.nan])
    rng = np.random.default_rng(6)
    for row in (rng.standard_normal(129).astype(np.float32), -np.abs(rng.standard_normal(64)),
                np.array([-np.inf, -3.0, -0.0, 0.0], np.float32),
                np.array([-np.inf, -np.inf], np.float32)):  # fmt: skip
        row = row.astype(np.float32)
        assert max_of(row) == row.max()
    assert np.isnan(max_of(np.array([1.0, np.nan, 2.0], np.float32)))
