"""Initializers against torch.nn.init (gains, fans, variances, bounds) and their contracts."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit
from fastinit import init

from .refusals import refused_writing_nothing

torch = pytest.importorskip("torch")

NONLINEARITIES = [
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu",
]  # fmt: skip


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_gains_equal_torch(nonlinearity):
    assert init.calculate_gain(nonlinearity) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity), rel=1e-15
    )


@pytest.mark.parametrize("slope", [0, 0.01, 0.2, 1, 3])
def test_leaky_relu_gain_equals_torch(slope):
    assert init.calculate_gain("leaky_relu", slope) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15
    )


@settings(derandomize=True, deadline=None, max_examples=60)
@given(st.lists(st.integers(1, 7), min_size=2, max_size=5))
def test_fans_equal_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.compute_fans(shape) == expected
    jax_shape = (*shape[2:], shape[1], shape[0])
    assert init.compute_fans(jax_shape, layout="jax") == expected


def _torch_init(fn, shape, **kw):
    t = torch.empty(shape, dtype=torch.float64)
    torch.manual_seed(0)
    fn(t, **kw)
    return t.numpy()


UNIFORM_CASES = [
    (fastinit.xavier_uniform, torch.nn.init.xavier_uniform_, {}),
    (fastinit.xavier_uniform, torch.nn.init.xavier_uniform_, {"gain": 2.5}),
    (fastinit.kaiming_uniform, torch.nn.init.kaiming_uniform_, {}),
    (fastinit.kaiming_uniform, torch.nn.init.kaiming_uniform_, {"a": math.sqrt(5)}),
    (fastinit.kaiming_uniform, torch.nn.init.kaiming_uniform_, {"mode": "fan_out"}),
    (fastinit.kaiming_uniform, torch.nn.init.kaiming_uniform_, {"nonlinearity": "tanh"}),
]
NORMAL_CASES = [
    (fastinit.xavier_normal, torch.nn.init.xavier_normal_, {}),
    (fastinit.xavier_normal, torch.nn.init.xavier_normal_, {"gain": 0.5}),
    (fastinit.kaiming_normal, torch.nn.init.kaiming_normal_, {}),
    (fastinit.kaiming_normal, torch.nn.init.kaiming_normal_, {"nonlinearity": "relu"}),
    (fastinit.kaiming_normal, torch.nn.init.kaiming_normal_, {"a": 0.2, "mode": "fan_out"}),
    (fastinit.kaiming_normal, torch.nn.init.kaiming_normal_, {"nonlinearity": "selu"}),
]
SHAPES = [(384, 256), (96, 48, 3, 3)]


@pytest.mark.parametrize("ours, theirs, kw", UNIFORM_CASES)
@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_bounds_match_torch(ours, theirs, kw, shape):
    """Same bound: both samples reach within 0.2% of it and the variances agree."""
    w = ours(shape, seed=0, dtype=np.float64, **kw)
    t = _torch_init(theirs, shape, **kw)
    assert np.abs(w).max() == pytest.approx(np.abs(t).max(), rel=2e-3)
    assert w.var() == pytest.approx(t.var(), rel=0.03)


@pytest.mark.parametrize("ours, theirs, kw", NORMAL_CASES)
@pytest.mark.parametrize("shape", SHAPES)
def test_normal_variances_match_torch(ours, theirs, kw, shape):
    w = ours(shape, seed=0, dtype=np.float64, **kw)
    t = _torch_init(theirs, shape, **kw)
    assert abs(w.mean()) < 5 * w.std() / math.sqrt(w.size)
    assert w.var() == pytest.approx(t.var(), rel=0.03)


def test_plain_distributions_match_torch():
    shape = (300, 300)
    w = fastinit.uniform(shape, -0.3, 0.7, seed=1, dtype=np.float64)
    t = _torch_init(torch.nn.init.uniform_, shape, a=-0.3, b=0.7)
    assert (w.min(), w.max()) == pytest.approx((t.min(), t.max()), abs=1e-3)
    w = fastinit.normal(shape, 0.5, 0.1, seed=1, dtype=np.float64)
    t = _torch_init(torch.nn.init.normal_, shape, mean=0.5, std=0.1)
    assert (w.mean(), w.std()) == pytest.approx((t.mean(), t.std()), rel=0.01)
    w = fastinit.trunc_normal(shape, 0.0, 0.02, -0.04, 0.04, seed=1, dtype=np.float64)
    t = _torch_init(torch.nn.init.trunc_normal_, shape, std=0.02, a=-0.04, b=0.04)
    assert w.std() == pytest.approx(t.std(), rel=0.01)
    assert np.abs(w).max() <= 0.04


def test_deterministic_inits_equal_torch():
    for shape in [(3, 5), (5, 3), (4, 4)]:
        assert np.array_equal(init.eye(shape), _torch_init(torch.nn.init.eye_, shape))
    for shape, groups in [((6, 4, 3), 1), ((6, 4, 3, 5), 2), ((4, 8, 3, 3, 3), 4), ((9, 2, 2), 3)]:
        expected = _torch_init(torch.nn.init.dirac_, shape, groups=groups)
        assert np.array_equal(init.dirac(shape, groups), expected)
    assert np.array_equal(init.constant((2, 3), 0.25), np.full((2, 3), 0.25, np.float32))
    assert init.zeros(4).sum() == 0 and init.ones((2, 2), dtype=np.float64).sum() == 4


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.99, 1.0])
def test_sparse_zeros_per_column_match_torch(sparsity):
    w = init.sparse((50, 20), sparsity, std=0.1, seed=0)
    t = _torch_init(torch.nn.init.sparse_, (50, 20), sparsity=sparsity, std=0.1)
    assert np.array_equal((w == 0).sum(axis=0), (t == 0).sum(axis=0))
    assert np.array_equal(w, init.sparse((50, 20), sparsity, std=0.1, seed=0))
    if 0 < math.ceil(sparsity * 50) < 50:  # otherwise the mask is all or nothing
        assert not np.array_equal(w != 0, init.sparse((50, 20), sparsity, std=0.1, seed=1) != 0)


def test_sparse_mask_is_uniform_over_rows():
    counts = np.zeros(40)
    for seed in range(200):
        counts += (init.sparse((40, 10), 0.25, seed=seed) == 0).sum(axis=1)
    expected = 200 * 10 * 10 / 40
    assert scipy_chi2_pvalue(counts, expected) > 1e-3


def scipy_chi2_pvalue(counts, expected):
    import scipy.stats

    return scipy.stats.chisquare(counts, np.full_like(counts, expected)).pvalue


@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_variance(distribution, mode):
    shape = (600, 400)
    fan = {"fan_in": 400, "fan_out": 600, "fan_avg": 500}[mode]
    w = init.variance_scaling(shape, 2.0, mode, distribution, seed=3, dtype=np.float64)
    assert w.var() == pytest.approx(2.0 / fan, rel=0.02)
    if distribution == "truncated_normal":
        assert np.abs(w).max() <= 2 * math.sqrt(2.0 / fan) / 0.8796256610342398
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(3 * 2.0 / fan)


def test_lecun_and_jax_layout():
    w = init.lecun_normal((3, 3, 64, 128), layout="jax", seed=0, dtype=np.float64)
    assert w.var() == pytest.approx(1 / (9 * 64), rel=0.03)
    w = init.lecun_uniform((128, 64, 3, 3), seed=0, dtype=np.float64)
    assert w.var() == pytest.approx(1 / (9 * 64), rel=0.03)
    torch_shape, jax_shape = (32, 16, 5), (5, 16, 32)
    a = init.kaiming_normal(torch_shape, seed=1)
    b = init.kaiming_normal(jax_shape, layout="jax", seed=1)
    assert np.array_equal(a.reshape(-1), b.reshape(-1))  # same std, same stream


def test_out_fills_torch_tensor_in_place():
    t = torch.empty(64, 32)
    result = init.kaiming_uniform(t.shape, out=t.numpy(), seed=3)
    assert np.shares_memory(result, t.numpy())
    assert np.array_equal(t.numpy(), init.kaiming_uniform((64, 32), seed=3))
    init.dirac((4, 4, 3), out=torch.empty(4, 4, 3).numpy())


def test_zero_element_shapes():
    assert init.kaiming_normal((0, 5)).shape == (0, 5)
    assert init.xavier_uniform((4, 0, 3)).shape == (4, 0, 3)


ERRORS = [
    (lambda o: init.kaiming_normal((4,), out=o[0]), ValueError, "at least 2 dimensions"),
    (lambda o: init.kaiming_normal((4, 4), mode="fan_sum", out=o), ValueError, "mode"),
    (lambda o: init.kaiming_normal((4, 4), nonlinearity="swish", out=o), ValueError, "nonlin"),
    (lambda o: init.kaiming_normal((4, 4), mode="fan_avg", out=o), ValueError, "fan_in"),
    (lambda o: init.xavier_normal((4, 4), layout="tf", out=o), ValueError, "layout"),
    (lambda o: init.variance_scaling((4, 4), distribution="normalish", out=o), ValueError, "dist"),
    (lambda o: init.variance_scaling((4, 4), scale=-1, out=o), ValueError, "scale"),
    (lambda o: init.sparse((4, 4), 1.5, out=o), ValueError, "sparsity"),
    (lambda o: init.sparse((4, 4), 0.5, std=-1, out=o), ValueError, "std"),
    (lambda o: init.sparse((4, 4, 1), 0.5), ValueError, "2-D"),
    (lambda o: init.eye((4, 4, 1)), ValueError, "2-D"),
    (lambda o: init.dirac((4, 4)), ValueError, "3-, 4- or 5-D"),
    (lambda o: init.dirac((3, 4, 3), groups=2), ValueError, "divisible"),
    (lambda o: init.trunc_normal((4, 4), a=1.0, b=0.0, out=o), ValueError, "a must be <= b"),
    (lambda o: init.normal((4, 4), std=-0.1, out=o), ValueError, "std"),
    (lambda o: init.constant((4, 4), "x", out=o), TypeError, "value"),
    (lambda o: init.xavier_uniform((4, 5), out=o), ValueError, "shape"),
    (lambda o: init.kaiming_uniform((4, 4), dtype=np.int32), TypeError, "dtype"),
    (lambda o: init.calculate_gain("leaky_relu", "x"), TypeError, "param"),
]


@pytest.mark.parametrize("call, error, fragment", ERRORS)
def test_bad_input_raises_and_writes_nothing(call, error, fragment):
    refused_writing_nothing(call, error, fragment, shape=(4, 4), fill=3.0)


def test_read_only_out():
    out = np.zeros((4, 4), np.float32)
    out.flags.writeable = False
    for fn in (init.xavier_uniform, init.kaiming_normal, init.zeros, init.eye, init.lecun_normal):
        with pytest.raises(ValueError, match="read-only"):
            fn((4, 4), out=out)


def test_broadcast_out_is_refused():
    # every element of a broadcast view is one memory location: the last write would win
    out = np.lib.stride_tricks.as_strided(np.zeros(4, np.float32), (3, 4), (0, 4), writeable=True)
    for fn in (init.xavier_uniform, init.normal, init.zeros, init.orthogonal, init.sparse):
        args = (0.5,) if fn is init.sparse else ()
        with pytest.raises(ValueError, match="zero stride"):
            fn((3, 4), *args, out=out)
    assert not out.any()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes(dtype):
    for fn in (init.xavier_normal, init.kaiming_uniform, init.lecun_normal, init.zeros, init.eye):
        assert fn((8, 4), dtype=dtype).dtype == dtype


RANDOM_INITS = [
    init.xavier_uniform, init.xavier_normal, init.kaiming_uniform, init.kaiming_normal,
    init.lecun_uniform, init.lecun_normal, init.variance_scaling,
]  # fmt: skip


@settings(derandomize=True, deadline=None, max_examples=60)
@given(
    st.sampled_from(RANDOM_INITS),
    st.lists(st.integers(1, 9), min_size=2, max_size=4),
    st.integers(0, 2**63),
    st.sampled_from([np.float32, np.float64]),
)
def test_shapes_and_seeds(fn, shape, seed, dtype):
    """Any shape and seed: right shape and dtype, finite, reproducible, and out= agrees."""
    w = fn(shape, seed=seed, dtype=dtype)
    assert w.shape == tuple(shape) and w.dtype == dtype and np.isfinite(w).all()
    assert np.array_equal(w, fn(shape, seed=seed, dtype=dtype))
    out = np.empty(shape, dtype=dtype, order="F")  # a non-C-contiguous target
    assert np.array_equal(fn(shape, seed=seed, out=out), w)


# ------------------------------------------------------------- refusals before any effect ---

SEEDED = {
    "xavier_uniform": lambda **kw: init.xavier_uniform((4, 6), **kw),
    "xavier_normal": lambda **kw: init.xavier_normal((4, 6), **kw),
    "kaiming_uniform": lambda **kw: init.kaiming_uniform((4, 6), **kw),
    "kaiming_normal": lambda **kw: init.kaiming_normal((4, 6), **kw),
    "lecun_uniform": lambda **kw: init.lecun_uniform((4, 6), **kw),
    "lecun_normal": lambda **kw: init.lecun_normal((4, 6), **kw),
    "variance_scaling": lambda **kw: init.variance_scaling((4, 6), **kw),
    "uniform": lambda **kw: init.uniform((4, 6), **kw),
    "normal": lambda **kw: init.normal((4, 6), **kw),
    "trunc_normal": lambda **kw: init.trunc_normal((4, 6), **kw),
    "sparse": lambda **kw: init.sparse((4, 6), 0.3, **kw),
    "orthogonal": lambda **kw: init.orthogonal((4, 6), **kw),
    "special_orthogonal": lambda **kw: init.special_orthogonal((6, 6), **kw),
}


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_a_refused_call_leaves_the_generator_as_it_was(name):
    """sparse(..., seed=generator, out=wrong_shape) advanced the Generator before raising."""
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    out = np.full((5, 5), 3.0, np.float32)
    with pytest.raises(ValueError, match="out"):
        SEEDED[name](seed=rng, out=out)
    assert rng.bit_generator.state == state and (out == 3.0).all()


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
@pytest.mark.parametrize("name", sorted(SEEDED))
def test_matrix_out_is_filled_in_place(name):
    """An np.matrix out= was a Numba TypingError; it is filled through a plain view."""
    shape = (6, 6) if name == "special_orthogonal" else (4, 6)
    m = np.asmatrix(np.zeros(shape, np.float32))
    assert SEEDED[name](seed=3, out=m) is m
    assert np.array_equal(np.asarray(m), SEEDED[name](seed=3))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_deterministic_inits_take_matrix_out_and_refuse_lists():
    """eye(None, out=[...]) and friends raised AttributeError."""
    m = np.asmatrix(np.zeros((3, 3)))
    assert init.eye(None, out=m) is m and np.array_equal(m, np.eye(3))
    for fn in (
        init.zeros,
        init.ones,
        init.eye,
        init.dirac,
        lambda s, out: init.constant(s, 2, out=out),
    ):
        with pytest.raises(TypeError, match="out"):
            fn(None, out=[[0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(TypeError, match="out"):
        init.kaiming_normal(None, out=[[0.0, 0.0]])


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: init.kaiming_normal((10**6, 10**6)), "shape"),
        (lambda: init.xavier_uniform((10**6, 10**6), dtype=np.float16), "shape"),
        (lambda: init.constant((10**6, 10**6), 1.0), "shape"),
        (lambda: init.eye((10**5, 10**5, 10**3)), "shape"),
        (lambda: init.eye((10**6, 10**6)), "shape"),
        (lambda: init.dirac((10**4, 10**4, 10**4)), "shape"),
        (lambda: init.sparse((10**6, 10**6), 0.1), "shape"),
        (lambda: init.orthogonal((10**6, 10**6)), "shape"),
        (lambda: init.orthogonal((10**4, 10**4, 10**4), batch_ndim=1), "shape"),
    ],
)
def test_absurd_sizes_are_refused_before_allocating(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda o: init.constant(None, 1e5, out=o), "value"),
        (lambda o: init.uniform(None, 0.0, 1e5, out=o), "high"),
        (lambda o: init.xavier_uniform(None, gain=1e6, out=o), "gain"),
        (lambda o: init.xavier_normal(None, gain=1e6, out=o), "gain"),
        (lambda o: init.variance_scaling(None, 1e12, out=o), "scale"),
        (lambda o: init.sparse(None, 0.5, std=1e5, out=o), "std"),
        (lambda o: init.orthogonal(None, gain=1e5, out=o), "gain"),
        (lambda o: init.xavier_uniform(None, gain=-1.0, out=o), "gain"),
    ],
)
def test_scales_beyond_float16_are_refused(call, name):
    out = np.full((4, 4), 3.0, np.float16)
    with pytest.raises(ValueError, match=name):
        call(out)
    assert (out == 3.0).all()
    assert (init.constant((2,), np.inf, dtype=np.float16) == np.inf).all()


def test_junk_options_name_their_argument():
    """An array where a string was expected raised NumPy's anonymous 'truth value' error."""
    junk = np.array([1, 2])
    for call, name in [
        (lambda: init.kaiming_normal((4, 4), mode=junk), "mode"),
        (lambda: init.kaiming_normal((4, 4), nonlinearity=junk), "nonlinearity"),
        (lambda: init.kaiming_normal((4, 4), a="x", nonlinearity="relu"), "a"),
        (lambda: init.xavier_normal((4, 4), layout=junk), "layout"),
        (lambda: init.variance_scaling((4, 4), distribution=junk), "distribution"),
        (lambda: init.dirac((4, 4, 3), groups=1.5), "groups"),
        (lambda: init.xavier_uniform((0, 4), seed="x"), "seed"),
    ]:
        with pytest.raises(TypeError, match=name):
            call()


def test_found_by_the_sweep():
    """dirac of a zero-size shape raised IndexError; an empty shape with a huge dimension raised
    NumPy's anonymous error."""
    assert init.dirac((0, 0, 0)).shape == (0, 0, 0)
    assert init.dirac((2, 2, 0, 3)).shape == (2, 2, 0, 3)
    with pytest.raises(ValueError, match="shape"):
        init.xavier_normal((0, 2**63))
    with pytest.raises(ValueError, match="shape"):
        init.zeros((0, 2**62, 4))
    with pytest.raises(TypeError, match="dtype"):
        init.orthogonal((3, 3), dtype="0\x1b")


def test_variance_scaling_bounds_by_its_distribution():
    """The float16 range check of scale follows the distribution's reach: a truncated normal
    stays within 2 corrected std, a uniform within sqrt(3) std, an untruncated normal reaches
    6.7 std (float32 stream)."""
    fan = 100
    std = 20000.0  # 2 std / 0.8796 = 45478 and sqrt(3) std = 34641 fit; 6.7 std does not
    for distribution in ("truncated_normal", "uniform"):
        w = init.variance_scaling((4, fan), std**2 * fan, distribution=distribution, seed=0,
                                  dtype=np.float16)  # fmt: skip
        assert np.isfinite(w).all()
    with pytest.raises(ValueError, match="scale"):
        init.variance_scaling(
            (4, fan), std**2 * fan, distribution="untruncated_normal", dtype=np.float16
        )
