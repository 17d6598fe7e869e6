"""Distributions (KS against scipy.stats, moments), reproducibility, sharding and validation."""

import copy
import math
import tracemalloc

import numpy as np
import pytest
import scipy.stats
from fastinit.kernels import stream_format
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit
from fastinit import _output, config
from fastinit import random as fr

N = 200_000  # draws per KS test (at least 10^5, for power against small deviations)
DTYPES = [np.float32, np.float64]


def _ks(sample, cdf):
    return scipy.stats.kstest(np.asarray(sample, dtype=np.float64), cdf).pvalue


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_distribution(dtype):
    x = fr.uniform(N, -3.0, 5.0, seed=11, dtype=dtype)
    assert x.dtype == dtype and x.min() >= -3.0 and x.max() < 5.0
    assert _ks(x, scipy.stats.uniform(-3.0, 8.0).cdf) > 1e-3
    assert abs(x.mean() - 1.0) < 4 * 8 / math.sqrt(12 * N)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("low, high", [(0.1, 0.2), (0.5, 1.0), (-1.0, 1.0), (0.0, 1.0), (3.0, 3.0)])
def test_uniform_never_returns_high(dtype, low, high):
    """low + (high - low) * u can round up to high (about once in a thousand float16 draws,
    measured before the cap); values stay in [low, high) of the output dtype, and equal low
    when the interval is empty."""
    x = fr.uniform(2_000_000, low, high, seed=5, dtype=dtype)
    t = np.dtype(dtype).type
    if t(low) == t(high):
        assert (x == t(low)).all()
    else:
        assert x.min() >= t(low) and x.max() < t(high)
        if dtype == np.float16:  # 2e6 draws over ~2000 values reach the top one
            assert x.max() == np.nextafter(t(high), t(-np.inf))


@pytest.mark.parametrize(
    "dtype, low, high",
    [(np.float64, -1e308, 1e308), (np.float32, -3e38, 3e38), (np.float16, -3e38, 3e38)],
)
def test_uniform_refuses_a_width_that_overflows(dtype, low, high):
    out = np.zeros(4, dtype)
    with pytest.raises(ValueError, match="high - low overflows"):
        fr.uniform(None, low, high, out=out, seed=0)
    assert not out.any()
    assert np.isfinite(fr.uniform(4, -3e38, 3e38, dtype=np.float64, seed=0)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_distribution_and_moments(dtype):
    x = fr.normal(N, 1.5, 2.0, seed=12, dtype=dtype).astype(np.float64)
    assert _ks(x, scipy.stats.norm(1.5, 2.0).cdf) > 1e-3
    z = (x - 1.5) / 2.0
    se = 1 / math.sqrt(N)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1) < 5 * math.sqrt(2) * se
    assert abs(scipy.stats.skew(z)) < 5 * math.sqrt(6) * se
    assert abs(scipy.stats.kurtosis(z)) < 5 * math.sqrt(24) * se


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_tails(dtype):
    """Tail frequencies beyond 3 and 4 sigma match the normal law (Box-Muller radius bits)."""
    x = np.abs(fr.normal(2_000_000, seed=13, dtype=dtype))
    for t in (3.0, 4.0):
        expected = 2_000_000 * 2 * scipy.stats.norm.sf(t)
        assert abs((x > t).sum() - expected) < 5 * math.sqrt(expected)


WINDOWS = [
    (0.0, 0.02, -0.04, 0.04),  # the transformer init: +-2 std
    (0.0, 1.0, -2.0, 2.0),
    (0.0, 1.0, -1.0, 0.5),  # asymmetric, normal sampler
    (0.0, 1.0, -0.01, 0.01),  # very narrow: uniform proposal
    (0.0, 1.0, 0.5, 0.7),  # narrow, off-centre: uniform proposal
    (0.0, 1.0, 3.0, 3.5),  # tail: exponential proposal
    (0.0, 1.0, 8.0, math.inf),  # far tail
    (1.0, 2.0, -math.inf, -9.0),  # lower far tail (mirrored exponential)
    (0.0, 1.0, -math.inf, math.inf),  # no truncation
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mean, std, a, b", WINDOWS)
def test_trunc_normal_exact(mean, std, a, b, dtype):
    x = fr.trunc_normal(N, mean, std, a, b, seed=14, dtype=dtype)
    assert x.min() >= np.asarray(a, dtype) and x.max() <= np.asarray(b, dtype)
    law = scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert _ks(x, law.cdf) > 1e-3
    x = x.astype(np.float64)
    assert abs(x.mean() - law.mean()) < 5 * law.std() / math.sqrt(N)
    assert abs(x.var() / law.var() - 1) < 0.02


@pytest.mark.parametrize("dtype", DTYPES)
def test_trunc_normal_point_mass(dtype):
    assert np.all(fr.trunc_normal(10, 0.5, 0.0, -1, 1, seed=0, dtype=dtype) == 0.5)
    assert np.all(fr.trunc_normal(10, 0.0, 1.0, 0.25, 0.25, seed=0, dtype=dtype) == 0.25)
    assert np.all(fr.trunc_normal(10, 5.0, 0.0, -1, 1, seed=0, dtype=dtype) == 1.0)


def test_trunc_samplers_accept_at_least_a_quarter():
    """Every window gets a retry sampler accepting >= 25% (so 255 retries never run out)."""
    grid = np.concatenate([-np.logspace(-3, 1.5, 40)[::-1], [0.0], np.logspace(-3, 1.5, 40)])
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    for alpha in grid:
        for beta in [*grid, math.inf]:
            if beta <= alpha:
                continue
            log_mass = fr._log_mass(alpha, beta)
            mode, _, lam = fr._retry_sampler(alpha, beta)
            if mode == stream_format.TRUNC_NORMAL:
                log_acc = log_mass
            elif mode == stream_format.TRUNC_UNIFORM:
                closest = 0.0 if alpha <= 0 <= beta else min(abs(alpha), abs(beta))
                log_acc = log_mass + half_log_2pi - math.log(beta - alpha) + closest**2 / 2
            else:
                lower = alpha if alpha > 0 else -beta
                log_acc = math.log(lam) + lam * lower - lam * lam / 2 + half_log_2pi + log_mass
            assert log_acc >= math.log(0.25) - 1e-12, (alpha, beta, mode)


# ------------------------------------------------------------------------ reproducibility ---


@pytest.mark.parametrize("fn", [fr.uniform, fr.normal, fr.trunc_normal])
@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_count_invariance(fn, dtype):
    before = config.thread_count()
    try:
        config.set_num_threads(1)
        one = fn((257, 1031), seed=5, dtype=dtype)
        config.set_num_threads(4)
        many = fn((257, 1031), seed=5, dtype=dtype)
    finally:
        config.set_num_threads(before)
    assert np.array_equal(one, many)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    st.sampled_from(["uniform", "normal", "trunc_normal"]),
    st.sampled_from(["float32", "float64"]),
    st.integers(0, 5000),
    st.integers(0, 5000),
)
def test_block_equals_slice_of_whole(distribution, dtype, start, length):
    k = fr.key(99)
    fn = {"uniform": fr.uniform, "normal": fr.normal, "trunc_normal": fr.trunc_normal}
    whole = fn[distribution](start + length, seed=k, dtype=dtype)
    part = fr.block(distribution, start, start + length, seed=k, dtype=dtype)
    assert np.array_equal(part, whole[start:])


def test_block_with_rejections_near_shard_edges():
    """Truncated-normal retries depend on the element index only, not on the shard."""
    k = fr.key(1)
    whole = fr.trunc_normal(10_000, 0.0, 1.0, -0.3, 1.2, seed=k)
    for start, stop in [(0, 1), (1023, 1025), (3000, 7777), (9999, 10_000)]:
        part = fr.block("trunc_normal", start, stop, seed=k, a=-0.3, b=1.2)
        assert np.array_equal(part, whole[start:stop])


def test_seed_kinds():
    a = fr.normal(100, seed=7)
    assert np.array_equal(a, fr.normal(100, seed=7))
    assert np.array_equal(a, fr.normal(100, seed=np.random.SeedSequence(7)))
    assert np.array_equal(a, fr.normal(100, seed=fr.key(7)))
    assert not np.array_equal(a, fr.normal(100, seed=8))
    assert not np.array_equal(fr.normal(100), fr.normal(100))  # fresh entropy
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    first = fr.normal(100, seed=g1)
    assert np.array_equal(first, fr.normal(100, seed=g2))
    assert not np.array_equal(first, fr.normal(100, seed=g1))  # the generator advanced


def test_global_numpy_state_untouched():
    np.random.seed(123)  # noqa: NPY002 (the legacy global state is what must stay untouched)
    state = np.random.get_state()  # noqa: NPY002
    fr.normal(10)
    fr.uniform(10, seed=1)
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(x, y) for x, y in zip(state[1:], after[1:], strict=True))
    assert state[0] == after[0]


def test_dtypes_share_nothing_but_key():
    assert fr.normal(8, seed=0, dtype=np.float16).dtype == np.float16
    half = fr.normal(1000, seed=0, dtype=np.float16)
    assert np.array_equal(half, fr.normal(1000, seed=0).astype(np.float16))


# -------------------------------------------------------------------------------- out= ---


def test_out_contiguous_is_filled_in_place():
    out = np.empty((30, 40), np.float32)
    result = fr.normal(None, seed=2, out=out)
    assert result is out and np.array_equal(out, fr.normal((30, 40), seed=2))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_out_strided_and_half(dtype):
    base = np.zeros((40, 60), dtype)
    view = base[::2, 1::3]
    result = fr.uniform(view.shape, -1, 1, seed=3, out=view)
    assert result is view
    expected = fr.uniform(view.shape, -1, 1, seed=3, dtype=dtype)
    assert np.array_equal(view, expected)
    assert np.all(base[1::2] == 0)


def test_out_torch_tensor_view():
    torch = pytest.importorskip("torch")
    t = torch.empty(64, 32)
    fr.normal(t.shape, seed=4, out=t.numpy())
    assert np.array_equal(t.numpy(), fr.normal((64, 32), seed=4))


# -------------------------------------------------------------------------------- errors ---


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda out: fr.normal((3, 3), std=-1, out=out), ValueError, "std"),
        (lambda out: fr.uniform((3, 3), 2, 1, out=out), ValueError, "low"),
        (lambda out: fr.trunc_normal((3, 3), a=1, b=-1, out=out), ValueError, "a must be <= b"),
        (lambda out: fr.normal((3, 4), out=out), ValueError, "shape"),
        (lambda out: fr.normal((3, 3), mean=float("nan"), out=out), ValueError, "mean"),
        (lambda out: fr.normal((3, 3), seed=-1, out=out), ValueError, "seed"),
        (lambda out: fr.normal((3, 3), seed="x", out=out), TypeError, "seed"),
        (lambda out: fr.normal((3, 3), dtype=np.float64, out=out), TypeError, "dtype"),
    ],
)
def test_errors_write_nothing(call, error, fragment):
    out = np.full((3, 3), 7.0, np.float32)
    with pytest.raises(error, match=fragment):
        call(out)
    assert np.all(out == 7.0)


def test_bad_dtype_and_out():
    with pytest.raises(TypeError, match="dtype"):
        fr.normal(3, dtype=np.int32)
    with pytest.raises(TypeError, match="out"):
        fr.normal(3, out=np.zeros(3, np.int64))
    with pytest.raises(TypeError, match="out"):
        fr.normal(3, out=[0.0, 0.0, 0.0])
    ro = np.zeros(3, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fr.normal(3, out=ro)
    with pytest.raises(ValueError, match="negative"):
        fr.normal((3, -1))
    with pytest.raises(ValueError, match="distribution"):
        fr.block("cauchy", 0, 3)
    with pytest.raises(ValueError, match="start"):
        fr.block("normal", 5, 3)
    with pytest.raises(TypeError, match="unknown parameters"):
        fr.block("normal", 0, 3, low=1.0)


def test_top_level_reexports():
    assert fastinit.normal is fr.normal and fastinit.init.trunc_normal is fr.trunc_normal


# ------------------------------------------------------------- the output dtype's range ---


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda out: fr.uniform(None, 0, 1e5, out=out), "high"),
        (lambda out: fr.uniform(None, -1e5, 0, out=out), "low"),
        (lambda out: fr.normal(None, 1e5, 1.0, out=out), "mean"),
        (lambda out: fr.normal(None, 0.0, 1e4, out=out), "std"),
        (lambda out: fr.trunc_normal(None, 0, 1, -1e5, 0.0, out=out), "a"),
        (lambda out: fr.trunc_normal(None, 0, 1, 0.0, 1e5, out=out), "b"),
        (lambda out: fr.trunc_normal(None, 0, 1e4, 0.0, np.inf, out=out), "std"),
        (lambda out: fr.trunc_normal(None, 7e4, 1.0, -np.inf, np.inf, out=out), "mean"),
    ],
)
def test_bounds_beyond_float16_are_refused(call, name):
    """uniform(n, 0, 1e5, dtype=float16) returned 65504 (then inf) for a third of its values."""
    out = np.full(8, 3.0, np.float16)
    with pytest.raises(ValueError, match=rf"\b{name}\b.*float16"):
        call(out)
    assert (out == 3.0).all()


def test_bounds_beyond_float32_are_refused_and_float64_takes_them():
    with pytest.raises(ValueError, match="high"):
        fr.uniform(4, 0.0, 1e39, seed=0)
    with pytest.raises(ValueError, match="std"):
        fr.normal(4, 0.0, 1e38, seed=0)
    with pytest.raises(ValueError, match=r"\ba\b"):
        fr.trunc_normal(4, 0.0, 1.0, 1e155, 1e156, seed=0)
    assert fr.uniform(4, 0.0, 1e39, seed=0, dtype=np.float64).max() < 1e39
    # a window that float16 holds needs no check of mean and std: values stay inside it
    x = fr.trunc_normal(1000, 1e6, 1.0, -2.0, 2.0, seed=0, dtype=np.float16)
    assert (x == 2.0).all()


def test_trunc_normal_far_in_the_tail():
    """(1e155, 1e156) and (1e200, inf) raised OverflowError; a window whose standardized bound
    overflows returned the far bound b instead of the near bound a."""
    f64 = np.float64
    assert (fr.trunc_normal(8, 0, 1, 1e155, 1e156, seed=0, dtype=f64) == 1e155).all()
    assert (fr.trunc_normal(8, 0, 1, 1e200, np.inf, seed=0, dtype=f64) == 1e200).all()
    assert (fr.trunc_normal(8, 0, 1, -np.inf, -1e200, seed=0, dtype=f64) == -1e200).all()
    assert (fr.trunc_normal(8, -1e300, 1e-300, 0.0, 1.0, seed=0, dtype=f64) == 0.0).all()
    # just inside the old limit the samplers still run, and values sit at a
    x = fr.trunc_normal(8, 0, 1, 1e150, np.inf, seed=0, dtype=f64)
    assert np.allclose(x, 1e150, rtol=1e-15, atol=0)
    with pytest.raises(ValueError, match=r"\[a, b\]"):
        fr.trunc_normal(8, 0, 1, np.inf, np.inf, seed=0)


# ------------------------------------------------------------------------ block and Key ---


def test_block_enforces_its_index_limit():
    """trunc_normal blocks at indices >= 2^56 repeated earlier values; start >= 2^63 raised
    OverflowError and a start near 2^63 overflowed int64 in the kernel."""
    with pytest.raises(ValueError, match="stop"):
        fr.block("trunc_normal", 2**56 - 2, 2**56 + 2, seed=0)
    assert fr.block("trunc_normal", 2**56 - 4, 2**56, seed=0).shape == (4,)
    with pytest.raises(ValueError, match="stop"):
        fr.block("uniform", 2**63 - 5, 2**63 - 1, seed=0)
    with pytest.raises(ValueError, match="stop"):
        fr.block("normal", 2**63, 2**63 + 1, seed=0)
    assert fr.block("uniform", 2**62 - 3, 2**62, seed=0).shape == (3,)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"start": 0.5}, "start"),
        ({"start": "1"}, "start"),
        ({"stop": 4.0}, "stop"),
        ({"start": True}, "start"),
        ({"tag": 1.5}, "tag"),
        ({"tag": np.timedelta64(1)}, "tag"),
    ],
)
def test_block_refuses_non_integer_indices(kwargs, name):
    args = {"start": 0, "stop": 4, **kwargs}
    with pytest.raises(TypeError, match=name):
        fr.block("normal", args.pop("start"), args.pop("stop"), seed=0, **args)


def test_key_fields_are_checked():
    with pytest.raises(ValueError, match="k0"):
        fr.Key(2**32, 0, 0)
    with pytest.raises(ValueError, match="ext"):
        fr.Key(0, 0, -1)
    with pytest.raises(TypeError, match="k0"):
        fr.Key(1.5, 0, 0)
    with pytest.raises(TypeError, match="k1"):
        fr.Key(0, True, 0)
    k = fr.Key(np.uint32(5), np.int64(6), 7)
    assert k == (5, 6, 7) and all(type(w) is int for w in k) and repr(k).startswith("Key(")
    with pytest.raises(ValueError, match="k1"):
        fr.normal(3, seed=k._replace(k1=2**40))


# ----------------------------------------------------------------------- out=, memory ---


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
@pytest.mark.parametrize("fn", [fr.uniform, fr.normal, fr.trunc_normal])
def test_matrix_out_is_filled_in_place(fn):
    """An np.matrix out= was a Numba TypingError."""
    m = np.asmatrix(np.zeros((3, 5), np.float32))
    assert fn(None, seed=1, out=m) is m
    assert np.array_equal(np.asarray(m), fn((3, 5), seed=1))


def test_blocked_half_and_strided_fills_equal_the_contiguous_fill():
    """Outputs that the kernels cannot fill directly go through pieces of a few MB; the bits
    are those of the contiguous float32 fill, piece edges included."""
    n = 2 * (_output.PIECE_BYTES // 4) + 12345  # three pieces, the last one partial
    whole = fr.normal(n, seed=7)
    assert np.array_equal(fr.normal(n, seed=7, dtype=np.float16), whole.astype(np.float16))
    base = np.zeros(2 * n, np.float32)
    assert fr.normal(None, seed=7, out=base[::2]) is not None
    assert np.array_equal(base[::2], whole) and not base[1::2].any()
    # 2-D: rows longer than a piece, and rows much shorter than one
    for shape in [(2, n // 2), (n // 5, 5)]:
        size = math.prod(shape)
        out = np.zeros(shape[::-1], np.float32).T  # F-ordered
        fr.trunc_normal(None, 0.0, 1.0, -1.0, 3.0, seed=8, out=out)
        expected = fr.trunc_normal(size, 0.0, 1.0, -1.0, 3.0, seed=8)
        assert np.array_equal(out.reshape(-1), expected)
    # float16 uniforms are capped below high in float16 (the float32 stream is not)
    half = fr.uniform(n, -1, 1, seed=9, dtype=np.float16)
    top = np.nextafter(np.float16(1), np.float16(0))
    assert np.array_equal(half, np.minimum(fr.uniform(n, -1, 1, seed=9).astype(np.float16), top))
    assert np.array_equal(
        fr.block("normal", 5, n, seed=7, dtype=np.float16), whole[5:].astype(np.float16)
    )


def test_half_and_strided_fills_make_no_copy_of_the_output():
    """normal(2**28, dtype=float16) peaked at a float32 copy of the whole output (+1.5 GB) and
    a strided out= at a contiguous copy of it; now the work space is one piece (4 MiB)."""
    n = 1 << 24
    base = np.empty(2 * (1 << 23), np.float32)
    tracemalloc.start()
    try:
        half = fr.normal(n, seed=0, dtype=np.float16)
        _, peak = tracemalloc.get_traced_memory()
        assert peak < half.nbytes + 6 * 2**20
        del half
        tracemalloc.reset_peak()
        fr.normal(None, seed=0, out=base[::2])
        _, peak = tracemalloc.get_traced_memory()
        assert peak < 6 * 2**20
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------- refusals, sizes ---


def test_absurd_sizes_are_refused_before_allocating():
    with pytest.raises(ValueError, match="shape.*would need"):
        fr.normal((10**6, 10**6), seed=0)
    with pytest.raises(ValueError, match="stop.*would need"):
        fr.block("normal", 0, 10**13, seed=0)
    rng = np.random.default_rng(0)
    state = copy.deepcopy(rng.bit_generator.state)
    with pytest.raises(ValueError, match="shape"):
        fr.uniform((10**6, 10**6), seed=rng, dtype=np.float16)
    assert rng.bit_generator.state == state


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: fr.normal((3, 3), seed=rng, out=np.zeros((3, 4), np.float32)),
        lambda rng: fr.uniform((3, 3), 1.0, 0.0, seed=rng),
        lambda rng: fr.trunc_normal(3, seed=rng, dtype=np.int8),
        lambda rng: fr.block("normal", 0, 3, seed=rng, tag=-1),
        lambda rng: fr.block("normal", 0, 3, seed=rng, std=-1.0),
    ],
)
def test_a_refused_call_leaves_the_generator_as_it_was(call):
    rng = np.random.default_rng(0)
    state = copy.deepcopy(rng.bit_generator.state)
    with pytest.raises((ValueError, TypeError)):
        call(rng)
    assert rng.bit_generator.state == state


def test_junk_options_name_their_argument():
    with pytest.raises(TypeError, match="distribution"):
        fr.block(np.array([1, 2]), 0, 3)
    with pytest.raises(TypeError, match="dtype"):
        fr.normal(None, out=np.zeros(3, np.float32), dtype="not a dtype")
    with pytest.raises(TypeError, match="out"):
        fr.normal(None, out=[0.0, 0.0])


def test_found_by_the_sweep():
    """A dtype string NumPy cannot parse raised its ValueError/SyntaxError unnamed; an empty
    shape with a dimension NumPy cannot hold raised NumPy's anonymous 'too big' error."""
    for junk in ["0\x1b", "(", "f4,,"]:
        with pytest.raises(TypeError, match="dtype"):
            fr.normal(3, dtype=junk)
    for shape in [(0, 2**63), (0, 2**62, 4)]:
        with pytest.raises(ValueError, match="shape"):
            fr.uniform(shape, seed=0)


def test_trunc_normal_window_narrower_than_the_means_resolution():
    """trunc_normal((), mean=1e38) (window [-2, 2] at -1e38 std: alpha == beta in float) raised
    'math domain error'; the window's values sit at its edge nearest the mean."""
    for dtype in (np.float32, np.float64):
        assert fr.trunc_normal((), 1e38, seed=0, dtype=dtype) == 2.0
        assert (fr.trunc_normal(4, -1e6, 1.0, 0.0, 1e-12, seed=0, dtype=dtype) == 0.0).all()


def test_bounds_both_beyond_the_compute_dtype_are_refused_without_a_warning():
    """uniform((), 1e39, 1e308) warned 'invalid value encountered' (inf - inf) on its way."""
    with pytest.raises(ValueError, match="high - low"):
        fr.uniform((), 1e39, 1e308, seed=0)


def test_float32_trunc_normal_with_a_std_beyond_float32():
    """trunc_normal((), std=1e155) in float32 was NaN: the float32 first draw used std = inf.
    Such windows (and a mean beyond float32) take the float64 retry samplers."""
    x = fr.trunc_normal(2000, 0.0, 1e155, seed=0)
    assert np.isfinite(x).all() and x.min() >= -2 and x.max() <= 2 and x.std() > 0.5
    y = fr.trunc_normal(2000, 0.0, 1e39, -6e4, 6e4, seed=0, dtype=np.float16)
    assert np.isfinite(y).all()
    z = fr.trunc_normal(2000, 0.0, 1e39, -3e38, 3e38, seed=0).astype(np.float64)
    assert np.isfinite(z).all() and abs(z.mean()) < 3e37 and z.std() > 1e38
