"""orthogonal / special_orthogonal: the construction against a dense oracle, orthogonality for
every shape class, the stream layout, seeds, ``out=`` and bad input (nothing written)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastinit import config
from fastinit._orthogonal import orthogonal, special_orthogonal
from fastinit.random import Key, block, key

from ._helpers import with_threads
from .reference_orthogonal import haar_from_draws, packed_size


def _matrices(result, batch_ndim):
    """The (count, rows, cols) view of a result, PyTorch's flattening."""
    shape = result.shape
    return result.reshape(math.prod(shape[:batch_ndim]), shape[batch_ndim], -1)


def _orthogonality_error(q):
    """max |Q^T Q - I| (or Q Q^T for wide matrices), computed in float64."""
    q = np.asarray(q, dtype=np.float64)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    return np.abs(gram - np.eye(gram.shape[0])).max()


def _expected(shape, batch_ndim, seed, dtype, special=False):
    """The documented construction, rebuilt by the dense oracle from ``fastinit.random.block``."""
    mats = []
    count = math.prod(shape[:batch_ndim])
    rows, cols = shape[batch_ndim], math.prod(shape[batch_ndim + 1 :])
    m, k = max(rows, cols), min(rows, cols)
    stream = np.float64 if dtype == np.float64 else np.float32
    for b in range(count):
        draws = block("normal", b * m * k, b * m * k + packed_size(m, k), seed=seed, dtype=stream)
        y = haar_from_draws(draws, m, k, special=special)
        mats.append(y if rows >= cols else y.T)
    return np.stack(mats).reshape(shape)


# Every kernel on small shapes: the unblocked one (serial, and parallel over the batch) and the
# blocked one (compact WY, BLAS-3), forced with a tiny block size so that several blocks and a
# ragged last block occur.
PATHS = {
    "serial": {"ORTHOGONAL_SERIAL_MAX_WORK": 1 << 62},
    "parallel": {"ORTHOGONAL_SERIAL_MAX_WORK": 0},
    "blocked": {
        "ORTHOGONAL_UNBLOCKED_MAX_K": 0,
        "ORTHOGONAL_UNBLOCKED_BATCH_MAX_K": 0,
        "ORTHOGONAL_BLOCK": 3,
    },
}


def _force(monkeypatch, path):
    for name, value in PATHS[path].items():
        monkeypatch.setattr(config, name, value)


SHAPES = [
    ((7, 7), 0),
    ((9, 4), 0),  # tall
    ((4, 11), 0),  # wide
    ((6, 2, 2, 2), 0),  # a conv kernel: 6 x 8
    ((3, 5, 5), 1),  # a stack
    ((2, 2, 5, 8), 2),  # two batch axes, wide
    ((1, 1), 0),
    ((5, 1), 0),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, batch_ndim", SHAPES)
def test_equals_the_dense_oracle(monkeypatch, path, dtype, shape, batch_ndim):
    _force(monkeypatch, path)
    got = orthogonal(shape, batch_ndim=batch_ndim, seed=11, dtype=dtype)
    assert got.shape == shape and got.dtype == dtype
    want = _expected(shape, batch_ndim, key(11), dtype)
    tol = 1e-13 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(got, want, atol=tol, rtol=0)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_special_equals_the_dense_oracle(monkeypatch, path, dtype):
    _force(monkeypatch, path)
    got = special_orthogonal((16, 6, 6), batch_ndim=1, seed=5, dtype=dtype)
    want = _expected((16, 6, 6), 1, key(5), dtype, special=True)
    tol = 1e-13 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(got, want, atol=tol, rtol=0)
    assert np.allclose(np.linalg.det(got.astype(np.float64)), 1.0)
    plain = orthogonal((16, 6, 6), batch_ndim=1, seed=5, dtype=dtype)
    flipped = np.linalg.det(plain.astype(np.float64)) < 0
    assert 0 < flipped.sum() < 16  # both cases occur: only the last column changes
    np.testing.assert_array_equal(got[~flipped], plain[~flipped])
    np.testing.assert_array_equal(got[flipped][..., :-1], plain[flipped][..., :-1])
    np.testing.assert_array_equal(got[flipped][..., -1], -plain[flipped][..., -1])


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-4)])
def test_orthogonality_at_2048(dtype, tol):
    q = orthogonal((2048, 2048), seed=0, dtype=dtype)
    assert q.dtype == dtype
    assert _orthogonality_error(q) < tol


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-4)])
@pytest.mark.parametrize(
    "shape, batch_ndim",
    [
        ((300, 300), 0),
        ((500, 130), 0),  # tall, blocked with a ragged block
        ((130, 500), 0),  # wide
        ((256, 64, 3, 3), 0),  # conv: 256 x 576, wide
        ((64, 16, 5), 0),  # conv1d: 64 x 80
        ((3, 96, 96), 1),  # a short stack: blocked, one matrix after the other
        ((8, 96, 96), 1),  # a longer one: unblocked, parallel over the batch
        ((50, 64, 48), 1),  # a stack of small ones (unblocked)
        ((3, 2, 40, 70), 2),
    ],
)
def test_orthogonal_for_every_shape_class(dtype, tol, shape, batch_ndim):
    gain = 1.7
    q = orthogonal(shape, gain, batch_ndim=batch_ndim, seed=3, dtype=dtype)
    assert q.shape == shape
    for mat in _matrices(q, batch_ndim):
        assert _orthogonality_error(mat / gain) < tol


def test_batch_members_differ_and_use_their_own_stream_slot():
    stack = orthogonal((4, 20, 20), batch_ndim=1, seed=9, dtype=np.float64)
    assert len({m.tobytes() for m in stack}) == 4
    # matrix b only depends on its slot: a longer batch starts with the same matrices
    longer = orthogonal((6, 20, 20), batch_ndim=1, seed=9, dtype=np.float64)
    np.testing.assert_array_equal(longer[:4], stack)


def test_default_dtype_and_float16():
    q = orthogonal((40, 30), seed=1)
    assert q.dtype == np.float32
    h = orthogonal((40, 30), seed=1, dtype=np.float16)
    assert h.dtype == np.float16
    np.testing.assert_array_equal(h, q.astype(np.float16))


def test_gain_scales_and_zero_gain():
    q = orthogonal((30, 30), seed=2, dtype=np.float64)
    np.testing.assert_allclose(orthogonal((30, 30), -2.5, seed=2, dtype=np.float64), -2.5 * q,
                               rtol=1e-14, atol=1e-15)  # fmt: skip
    assert not orthogonal((30, 30), 0.0, seed=2).any()


# -------------------------------------------------------------------------------- seeds ---


def test_seeds_reproduce_and_generators_advance():
    a = orthogonal((70, 70), seed=123)
    np.testing.assert_array_equal(a, orthogonal((70, 70), seed=123))
    np.testing.assert_array_equal(a, orthogonal((70, 70), seed=np.random.SeedSequence(123)))
    np.testing.assert_array_equal(a, orthogonal((70, 70), seed=key(123)))
    assert not np.array_equal(a, orthogonal((70, 70), seed=124))
    gen = np.random.default_rng(0)
    assert not np.array_equal(orthogonal((5, 5), seed=gen), orthogonal((5, 5), seed=gen))
    assert not np.array_equal(orthogonal((5, 5)), orthogonal((5, 5)))  # fresh entropy


@pytest.mark.parametrize(
    "shape, batch_ndim, dtype",
    [((128, 33, 20), 1, np.float32), ((150, 140), 0, np.float32), ((512, 512), 0, np.float32),
     ((700, 1000), 0, np.float64), ((1000, 700), 0, np.float32)],
)  # fmt: skip
def test_thread_count_invariance(shape, batch_ndim, dtype):
    """Blocked matrices too: OpenBLAS's products differ in the last bits between thread counts
    at shapes like 700 x 1000, so fastinit's thread count does not set BLAS's."""
    one, many = (
        with_threads(n, lambda: orthogonal(shape, batch_ndim=batch_ndim, seed=4, dtype=dtype))
        for n in (1, 4)
    )
    np.testing.assert_array_equal(one, many)


# ---------------------------------------------------------------------------------- out= ---


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_out_contiguous_is_filled_in_place(dtype):
    out = np.full((3, 20, 12), np.nan, dtype=dtype)
    res = orthogonal(None, batch_ndim=1, seed=6, out=out)
    assert res is out
    np.testing.assert_array_equal(out, orthogonal((3, 20, 12), batch_ndim=1, seed=6, dtype=dtype))


def test_out_views_and_fortran_order():
    want = orthogonal((100, 90), seed=8, dtype=np.float64)
    big = np.zeros((100, 180))
    view = big[:, ::2]
    assert orthogonal((100, 90), seed=8, out=view) is view
    np.testing.assert_array_equal(view, want)
    assert not big[:, 1::2].any()  # nothing outside the view
    fortran = np.zeros((100, 90), order="F")
    orthogonal((100, 90), seed=8, out=fortran)
    np.testing.assert_array_equal(fortran, want)
    transposed = np.zeros((90, 100)).T  # a transposed view, as torch's weight.T
    orthogonal((100, 90), seed=8, out=transposed)
    np.testing.assert_array_equal(transposed, want)


def test_empty_shapes():
    assert orthogonal((0, 5)).shape == (0, 5)
    assert orthogonal((0, 4, 4), batch_ndim=1).shape == (0, 4, 4)
    assert orthogonal((3, 0, 2), batch_ndim=1, dtype=np.float64).dtype == np.float64


# ------------------------------------------------------------------------------ bad input ---

BAD = [
    ({"shape": (5,)}, ValueError, "at least 2 dimensions"),
    ({"shape": 5}, ValueError, "at least 2 dimensions"),
    ({"shape": (2, 5, 5), "batch_ndim": 2}, ValueError, "batch_ndim"),
    ({"shape": (5, 5), "batch_ndim": -1}, ValueError, "batch_ndim"),
    ({"shape": (5, 5), "batch_ndim": 1.0}, TypeError, "batch_ndim"),
    ({"shape": (5, 5), "batch_ndim": True}, TypeError, "batch_ndim"),
    ({"shape": (5, -5)}, ValueError, "negative"),
    ({"shape": (5, 5), "dtype": np.int32}, TypeError, "dtype"),
    ({"shape": (5, 5), "dtype": "complex128"}, TypeError, "dtype"),
    ({"shape": (5, 5), "gain": float("nan")}, ValueError, "gain"),
    ({"shape": (5, 5), "gain": "1"}, TypeError, "gain"),
    ({"shape": (5, 5), "seed": 1.5}, TypeError, "seed"),
    ({"shape": (5, 5), "seed": -1}, ValueError, "seed"),
]


@pytest.mark.parametrize("kwargs, error, match", BAD)
def test_bad_arguments(kwargs, error, match):
    kwargs = dict(kwargs)
    with pytest.raises(error, match=match):
        orthogonal(kwargs.pop("shape"), **kwargs)


def test_special_needs_square_matrices():
    with pytest.raises(ValueError, match="square"):
        special_orthogonal((4, 5))
    with pytest.raises(ValueError, match="square"):
        special_orthogonal((3, 4, 5), batch_ndim=1)
    assert special_orthogonal((4, 2, 2), seed=0).shape == (4, 2, 2)  # a 4 x 4 matrix


BAD_OUT = [
    (lambda: np.zeros((6, 6), dtype=np.int64), {}, TypeError, "out.dtype"),
    (lambda: np.zeros((6, 7)), {}, ValueError, "shape"),
    (lambda: np.zeros((6, 6), dtype=np.float32), {"dtype": np.float64}, TypeError, "dtype"),
    (lambda: np.zeros((6, 6)), {"batch_ndim": 1}, ValueError, "batch_ndim"),
    (lambda: np.zeros((6, 6)), {"gain": math.inf}, ValueError, "gain"),
    (lambda: np.zeros((6, 6)), {"seed": "x"}, TypeError, "seed"),
    (lambda: np.zeros(6), {"shape": None}, ValueError, "at least 2"),
]


@pytest.mark.parametrize("make, kwargs, error, match", BAD_OUT)
def test_bad_out_writes_nothing(make, kwargs, error, match):
    out = make()
    out[...] = 7
    kwargs = {"shape": (6, 6), **kwargs}
    with pytest.raises(error, match=match):
        orthogonal(kwargs.pop("shape"), out=out, **kwargs)
    assert (out == 7).all()


def test_read_only_out_and_non_array_out():
    out = np.zeros((4, 4))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        orthogonal((4, 4), out=out)
    with pytest.raises(TypeError, match="NumPy array"):
        orthogonal((4, 4), out=[[0.0] * 4] * 4)


def test_generator_is_not_advanced_by_a_failing_call():
    gen = np.random.default_rng(1)
    state = gen.bit_generator.state
    with pytest.raises(ValueError):
        orthogonal((5,), seed=gen)
    assert gen.bit_generator.state == state
    assert isinstance(key(gen), Key)


# ----------------------------------------------------------------------------- property ---


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    rows=st.integers(1, 40),
    rest=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32),
)
def test_property_orthonormal_and_deterministic(batch, rows, rest, dtype, seed):
    shape = (*batch, rows, *rest)
    q = orthogonal(shape, batch_ndim=len(batch), seed=seed, dtype=dtype)
    assert q.shape == shape and q.dtype == dtype and np.isfinite(q).all()
    tol = 1e-13 if dtype == np.float64 else 2e-6
    for mat in _matrices(q, len(batch)):
        assert _orthogonality_error(mat) < tol
    np.testing.assert_array_equal(q, orthogonal(shape, batch_ndim=len(batch), seed=seed,
                                                dtype=dtype))  # fmt: skip


@settings(derandomize=True, deadline=None, max_examples=12)
@given(
    rows=st.integers(257, 900),
    cols=st.integers(257, 900),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_property_blocked_matrices_do_not_depend_on_the_thread_count(rows, cols, dtype):
    """Every blocked matrix large enough for BLAS's threads (m*k*k > 2^24) has the same bits on
    1 and 2 fastinit threads: OpenBLAS's products differ between thread counts at most such
    shapes, so only BLAS's own setting may choose its threads."""
    one, two = (with_threads(n, lambda: orthogonal((rows, cols), seed=9, dtype=dtype))
                for n in (1, 2))  # fmt: skip
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("threads, shape", [(1, (512, 512)), (2, (512, 512)), (2, (256, 256))])
def test_blocked_matrices_keep_blas_as_it_is_set(threads, shape):
    """A small blocked matrix runs scipy's BLAS on one thread; a larger one on the threads BLAS
    is set to, whatever fastinit's thread count (BLAS's thread count changes its bits)."""
    import threadpoolctl

    from fastinit import _orthogonal

    def scipy_blas_threads():
        info = threadpoolctl.threadpool_info()
        return max(i["num_threads"] for i in info if "scipy" in i["filepath"])

    seen = []
    fill = _orthogonal._fill_blocked

    def spy(*args):
        seen.append(scipy_blas_threads())
        return fill(*args)

    set_to = scipy_blas_threads()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_orthogonal, "_fill_blocked", spy)
        with_threads(threads, lambda: orthogonal(shape, seed=0))
    assert seen == [1 if shape == (256, 256) else set_to]
    assert scipy_blas_threads() == set_to
