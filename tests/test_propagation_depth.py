"""Depth-aware initialization: DeepNorm, T-Fixup, Fixup, SkipInit and ZerO.

The constants are pinned to the papers' formulas, written out again here independently of the
implementation (DeepNet's Table/pseudocode, T-Fixup's algorithm, Fixup's rule). ZerO is checked
against SciPy's Hadamard matrix and, through simulate(), for what it does to a deep linear network.
"""

import math

import numpy as np
import pytest
import scipy.linalg

import fastinit
from fastinit.propagation import (
    DeepNorm,
    DeepNormStack,
    TFixup,
    _depth,
    deepnorm,
    fixup_scale,
    simulate,
    skipinit_alpha,
    tfixup,
    zero_init,
)

DEPTHS = (1, 2, 6, 12, 18, 100, 1000)

# ------------------------------------------------------------------------------- DeepNorm ---


@pytest.mark.parametrize("n", DEPTHS)
def test_deepnorm_single_stacks_follow_the_paper(n):
    expected = DeepNormStack(math.pow(2 * n, 0.25), math.pow(8 * n, -0.25))
    encoder = deepnorm(encoder_layers=n)
    decoder = deepnorm(decoder_layers=n)
    assert encoder == DeepNorm(expected, None)
    assert decoder == DeepNorm(None, expected)


@pytest.mark.parametrize("n", DEPTHS)
@pytest.mark.parametrize("m", DEPTHS)
def test_deepnorm_encoder_decoder_follows_the_paper(n, m):
    got = deepnorm(encoder_layers=n, decoder_layers=m)
    scale = math.pow(n**4 * m, 1 / 16)
    assert got.encoder.alpha == pytest.approx(0.81 * scale, rel=1e-14)
    assert got.encoder.beta == pytest.approx(0.87 / scale, rel=1e-14)
    assert got.decoder.alpha == pytest.approx(math.pow(3 * m, 0.25), rel=1e-14)
    assert got.decoder.beta == pytest.approx(math.pow(12 * m, -0.25), rel=1e-14)


def test_deepnorm_published_values():
    # DeepNet's 18-layer encoder and a 6L-6L encoder-decoder, computed by hand from the table
    enc = deepnorm(encoder_layers=18).encoder
    assert (round(enc.alpha, 4), round(enc.beta, 4)) == (2.4495, 0.2887)
    both = deepnorm(encoder_layers=6, decoder_layers=6)
    assert round(both.encoder.alpha, 4) == 1.4179  # 0.81 * 6^(5/16)
    assert round(both.decoder.alpha, 4) == 2.0598  # 18^(1/4)


def test_deepnorm_weights_the_skip_up_and_the_branch_down_with_depth():
    stacks = [deepnorm(encoder_layers=n).encoder for n in DEPTHS]
    pairs = zip(stacks[:-1], stacks[1:], strict=True)
    assert all(a.alpha < b.alpha and a.beta > b.beta for a, b in pairs)
    assert all(s.alpha >= 1 > s.beta for s in stacks)


def test_deepnorm_result_unpacks():
    alpha, beta = deepnorm(decoder_layers=24).decoder
    assert alpha == pytest.approx(48**0.25) and beta == pytest.approx(192**-0.25)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "encoder_layers, decoder_layers or both"),
        ({"encoder_layers": 0}, ValueError, "encoder_layers must be >= 1"),
        ({"decoder_layers": -3}, ValueError, "decoder_layers must be >= 1"),
        ({"encoder_layers": 2.0}, TypeError, "encoder_layers must be an int"),
        ({"decoder_layers": True}, TypeError, "decoder_layers must be an int"),
        ({"encoder_layers": "6"}, TypeError, "encoder_layers"),
    ],
)
@pytest.mark.parametrize("scheme", [deepnorm, tfixup])
def test_layer_counts_are_checked(scheme, kwargs, error, match):
    with pytest.raises(error, match=match):
        scheme(**kwargs)


def test_huge_counts_are_refused_or_finite():
    big = 2**63 - 1
    both = deepnorm(encoder_layers=big, decoder_layers=big)
    assert all(math.isfinite(v) and v > 0 for v in both.encoder + both.decoder)
    assert 0 < fixup_scale(big, 2) < 1e-9
    for call in (
        lambda: deepnorm(encoder_layers=2**63),
        lambda: tfixup(decoder_layers=10**400),
        lambda: fixup_scale(2**63, 3),
    ):
        with pytest.raises(ValueError, match="at most 2\\*\\*63 - 1"):
            call()


def test_layer_counts_are_keyword_only():
    with pytest.raises(TypeError):
        deepnorm(6)
    with pytest.raises(TypeError):
        tfixup(6, 6)


# -------------------------------------------------------------------------------- T-Fixup ---


@pytest.mark.parametrize("n", DEPTHS)
@pytest.mark.parametrize("m", DEPTHS)
def test_tfixup_follows_the_algorithm(n, m):
    got = tfixup(encoder_layers=n, decoder_layers=m)
    assert got.encoder == pytest.approx(0.67 * n ** (-1 / 4), rel=1e-14)
    assert got.decoder == pytest.approx((9 * m) ** (-1 / 4), rel=1e-14)
    assert got.encoder_embedding == pytest.approx((9 * n) ** (-1 / 4), rel=1e-14)
    assert got.decoder_embedding == pytest.approx((9 * m) ** (-1 / 4), rel=1e-14)


def test_tfixup_single_stacks_leave_the_other_empty():
    assert tfixup(encoder_layers=6) == TFixup(0.67 * 6**-0.25, None, 54**-0.25, None)
    assert tfixup(decoder_layers=6) == TFixup(None, 54**-0.25, None, 54**-0.25)


def test_tfixup_scales_an_embedding_drawn_as_the_paper_says():
    d, vocab = 512, 1000
    scale = tfixup(encoder_layers=6).encoder_embedding
    emb = fastinit.normal((vocab, d), std=d**-0.5 * scale, seed=0, dtype=np.float64)
    assert emb.std() == pytest.approx(scale / math.sqrt(d), rel=0.01)


# ---------------------------------------------------------------------------------- Fixup ---


@pytest.mark.parametrize("n_branches", [1, 3, 16, 54, 1000])
@pytest.mark.parametrize("branch_layers", [2, 3, 4])
def test_fixup_scale_is_the_papers_power(n_branches, branch_layers):
    s = fixup_scale(n_branches, branch_layers)
    assert s == pytest.approx(n_branches ** (-1 / (2 * branch_layers - 2)), rel=1e-14)
    # the design rule behind it: a branch's effect on the output is of degree 2m - 2 in the
    # scaled weights, so all L branches together stay Theta(1) in L
    assert n_branches * s ** (2 * branch_layers - 2) == pytest.approx(1.0, rel=1e-12)


def test_fixup_resnets():
    assert fixup_scale(54, 2) == pytest.approx(54**-0.5)  # ResNet-110, basic blocks
    assert fixup_scale(16, 3) == pytest.approx(0.5)  # ResNet-50, bottlenecks: 16^(-1/4)
    assert fixup_scale(1, 2) == 1.0


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((10, 1), ValueError, "branch_layers must be >= 2, got 1: L\\^\\(-1/\\(2m-2\\)\\)"),
        ((0, 2), ValueError, "n_branches must be >= 1"),
        ((10, 0), ValueError, "branch_layers must be >= 1"),
        ((10.0, 2), TypeError, "n_branches must be an int"),
        ((10, None), TypeError, "branch_layers must be an int"),
    ],
)
def test_fixup_scale_refusals(args, error, match):
    with pytest.raises(error, match=match):
        fixup_scale(*args)


# ------------------------------------------------------------------------ SkipInit/ReZero ---


def test_skipinit_branches_start_switched_off():
    alpha = skipinit_alpha()
    assert alpha == 0.0 and isinstance(alpha, float)
    # a residual stack x + alpha f(x) is then the identity however deep and however initialized
    x = np.random.default_rng(0).standard_normal((8, 32))
    h = x
    for layer in range(50):
        w = fastinit.normal((32, 32), std=10.0, seed=layer, dtype=np.float64)
        h = h + alpha * np.tanh(h @ w.T)
    np.testing.assert_array_equal(h, x)


# ----------------------------------------------------------------------------------- ZerO ---


def _paper_zero(p, q):
    """Algorithm 1 of the ZerO paper written with SciPy's Hadamard matrix."""
    if p <= q:
        return np.eye(p, q)
    m = math.ceil(math.log2(p))
    return 2 ** (-(m - 1) / 2) * scipy.linalg.hadamard(2**m)[:p, :q]


SHAPES = [(1, 1), (5, 5), (3, 7), (4, 2), (5, 3), (8, 1), (9, 8), (64, 63), (128, 64), (300, 17)]


@pytest.mark.parametrize("shape", SHAPES)
def test_zero_init_is_algorithm_1(shape):
    np.testing.assert_array_equal(zero_init(shape, dtype=np.float64), _paper_zero(*shape))
    np.testing.assert_array_equal(zero_init(shape), _paper_zero(*shape).astype(np.float32))


def test_zero_init_is_deterministic_and_square_is_identity():
    for n in (1, 2, 17, 256):
        np.testing.assert_array_equal(zero_init((n, n)), np.eye(n, dtype=np.float32))
    assert zero_init((33, 20)).tobytes() == zero_init((33, 20)).tobytes()


@pytest.mark.parametrize("shape", [(2, 1), (8, 3), (64, 32), (256, 5), (1024, 1000)])
def test_zero_init_expansion_to_a_power_of_two_has_orthogonal_columns_of_squared_norm_2(shape):
    w = zero_init(shape, dtype=np.float64)
    signs = np.sign(w)
    np.testing.assert_array_equal(signs.T @ signs, shape[0] * np.eye(shape[1]))
    np.testing.assert_allclose(w.T @ w, 2 * np.eye(shape[1]), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("shape", [(3, 2), (5, 3), (100, 7), (1000, 999)])
def test_zero_init_expansion_elsewhere_has_entries_plus_minus_c(shape):
    p = shape[0]
    c = 2 ** (-(math.ceil(math.log2(p)) - 1) / 2)
    w = zero_init(shape, dtype=np.float64)
    np.testing.assert_array_equal(np.abs(w), c)
    assert np.all((1 < (w**2).sum(axis=0)) & ((w**2).sum(axis=0) <= 2))
    assert w[:, 0].min() == c  # the first column of H is all ones


def test_zero_init_large_outputs_are_written_in_row_blocks(monkeypatch):
    whole = zero_init((300, 7), dtype=np.float64)
    monkeypatch.setattr(_depth, "_HADAMARD_ROWS_BYTES", 20)  # 2 rows at a time
    np.testing.assert_array_equal(zero_init((300, 7), dtype=np.float64), whole)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (12, 5)])
def test_zero_init_fills_out_in_place(dtype, shape):
    out = np.full(shape, 7, dtype=dtype)
    assert zero_init(shape, out=out) is out
    np.testing.assert_array_equal(out, _paper_zero(*shape).astype(dtype))
    assert zero_init(None, out=np.empty(shape, dtype)).dtype == dtype


def test_zero_init_fills_a_strided_view():
    base = np.zeros((7, 12))
    view = base.T  # (12, 7), Fortran-ordered
    zero_init((12, 7), out=view)
    np.testing.assert_array_equal(base.T, _paper_zero(12, 7))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_zero_init_empty(shape):
    assert zero_init(shape).shape == shape


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda out: zero_init((4, 4, 3)), ValueError, "2-D"),
        (lambda out: zero_init(8), ValueError, "2-D"),
        (lambda out: zero_init((4, 2), dtype=np.int32), TypeError, "dtype"),
        (lambda out: zero_init((4, 3), out=out), ValueError, "shape"),
        (lambda out: zero_init((4, 2), out=out.astype(np.int64)), TypeError, "out.dtype"),
        (lambda out: zero_init((4, 2), dtype=np.float64, out=out), TypeError, "does not match"),
        (lambda out: zero_init((-1, 2)), ValueError, "negative"),
    ],
)
def test_zero_init_refusals_leave_out_untouched(call, error, match):
    out = np.full((4, 2), 3.0, dtype=np.float32)
    with pytest.raises(error, match=match):
        call(out)
    np.testing.assert_array_equal(out, 3.0)


def test_zero_init_read_only_out():
    out = np.zeros((8, 2))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        zero_init((8, 2), out=out)


def _zero_callable(shape, seed):
    return zero_init(shape)  # deterministic: the seed is not used


def test_zero_init_keeps_the_signal_of_a_deep_linear_network_exactly():
    # identity layers, a doubling (orthogonal columns of squared norm 2) and a halving (the
    # first 64 rows of H_128's first 64 columns are H_64): the mean square of the signal is the
    # same at every layer, to rounding, for every network and input batch
    widths = [64] * 10 + [128] * 10 + [64] * 10
    sim = simulate(widths, "linear", init=_zero_callable, n_networks=3, batch=64, seed=0)
    first = np.broadcast_to(sim.forward_var[:, :1], sim.forward_var.shape)
    np.testing.assert_allclose(sim.forward_var, first, rtol=1e-5)
    # Gaussian weights of the same variance (Xavier, gain 1) only keep it on average: over 29
    # layers the product of random layer gains drifts
    random = simulate(widths, "linear", init="xavier_normal", n_networks=3, batch=64, seed=0)
    drift = random.forward_var[:, -1] / random.forward_var[:, 0]
    assert np.max(np.abs(drift - 1)) > 0.1


def test_zero_init_scale_halves_the_mean_square_per_fourfold_expansion():
    # c^2 P = 2 for P a power of two: the mean square per coordinate becomes 2 Q / P times the
    # input's, 1 for a doubling and 1/2 for a fourfold expansion (a consequence of c, derived
    # from Algorithm 1 rather than stated in the paper)
    for widths, ratio in (([32, 32, 64], 1.0), ([32, 32, 128], 0.5), ([32, 32, 256], 0.25)):
        sim = simulate(widths, "linear", init=_zero_callable, n_networks=2, batch=32, seed=1)
        np.testing.assert_allclose(sim.forward_var[:, 1] / sim.forward_var[:, 0], ratio, rtol=1e-5)
