"""Bad-input sweep of fastinit.clip (opt-in: ``pytest -m sweep tests/test_sweep_clip.py``).

Every public clipping function gets mixes of valid and junk arguments (see ``tests/sweep.py``):
it must return, or refuse with a ValueError/TypeError naming the argument and leave every input
(every array of the lists included) as it was. Valid calls are checked against NumPy loops.
The properties of arrays that share memory are in ``test_sweep_clip_aliasing.py``.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit

from . import reference_clip as ref
from .sweep import SWEEP, call, junk, maybe

pytestmark = pytest.mark.sweep

DTYPES = [np.float16, np.float32, np.float64]
NORM_TYPES = [1.0, 2.0, 3.5, 0.5, math.inf]
CONTENTS = ["normal", "zeros", "huge", "tiny", "nan", "inf", "extremes"]


# ------------------------------------------------------------------------------- arrays ---
def _values(rng, shape, dtype, content):
    """float64 values of ``shape`` that ``dtype`` holds, of the kind ``content``."""
    info = np.finfo(dtype)
    x = rng.standard_normal(shape)
    if content == "zeros":
        x[...] = 0.0
    elif content == "huge":
        x *= float(info.max) / 8
    elif content == "tiny":
        x *= float(info.smallest_subnormal) * 4
    elif content in ("nan", "inf") and x.size:
        x.flat[rng.integers(x.size)] = np.nan if content == "nan" else -np.inf
    elif content == "extremes" and x.size:
        picks = [info.max, -info.max, info.smallest_subnormal, info.tiny, 0.0, -0.0, 1.0]
        x.flat[:] = rng.choice(picks, x.size)
    with np.errstate(over="ignore"):  # (a ufunc of a 0-d array is a scalar: asarray)
        return np.asarray(np.clip(x, -float(info.max), float(info.max)))


@st.composite
def good_arrays(draw, shape=None, dtype=None):
    """A writable, aligned, native float16/32/64 array: any shape, layout and content."""
    dtype = draw(st.sampled_from(DTYPES)) if dtype is None else dtype
    if shape is None:
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    content = draw(st.sampled_from(CONTENTS))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    layout = draw(st.sampled_from(["c", "f", "reversed", "strided", "transposed"]))
    if layout == "strided" and shape:  # every other element of a larger array
        return _values(rng, shape[:-1] + (2 * shape[-1],), dtype, content).astype(dtype)[..., ::2]
    a = _values(rng, shape, dtype, content).astype(dtype)
    if layout == "f":
        return np.asfortranarray(a)
    if layout == "reversed" and a.ndim:  # (a[()] of a 0-d array would be a scalar)
        return a[(slice(None, None, -1),) * a.ndim]
    if layout == "transposed":
        return np.ascontiguousarray(a.T).T
    return a


def _unaligned(a):
    raw = np.zeros(a.nbytes + a.itemsize, np.uint8)
    out = raw[1 : 1 + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


@st.composite
def odd_arrays(draw):
    """Arrays the in-place functions must refuse (or, for a subclass, take): read-only,
    byte-swapped, unaligned, non-float, self-overlapping, broadcast, masked."""
    a = draw(good_arrays(shape=(3, 2)))
    kind = draw(
        st.sampled_from(
            ["read_only", "swapped", "unaligned", "int", "complex", "bool", "object",
             "zero_stride", "broadcast", "masked", "matrix", "datetime"]
        )
    )  # fmt: skip
    if kind == "read_only":
        a.flags.writeable = False
        return a
    if kind == "swapped":
        return a.astype(a.dtype.newbyteorder(">" if a.dtype.byteorder != ">" else "<"))
    if kind == "unaligned":
        return _unaligned(a) if a.dtype != np.float16 else _unaligned(a.astype(np.float64))
    if kind == "int":
        return np.arange(6, dtype=draw(st.sampled_from([np.int8, np.int64, np.uint16])))
    if kind == "complex":
        return np.ones(4, np.complex64)
    if kind == "bool":
        return np.ones(3, bool)
    if kind == "object":
        return np.array([1.0, None], dtype=object)
    if kind == "zero_stride":  # one element seen 5 times, writable
        return np.lib.stride_tricks.as_strided(a[0], shape=(5,), strides=(0,))
    if kind == "broadcast":
        return np.broadcast_to(a[0], (4, 2))
    if kind == "masked":
        return np.ma.masked_array(a)
    if kind == "matrix":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return np.asmatrix(a)
    return np.array(["2026-01-01"], dtype="datetime64[D]")


def array_lists():
    """The ``arrays`` argument: one array, a list or tuple of good, odd and junk items, an
    empty list, a generator, or junk."""
    item = st.one_of(good_arrays(), good_arrays(), odd_arrays(), junk())
    items = st.lists(item, max_size=5)
    return st.one_of(
        good_arrays(),
        items,
        items.map(tuple),
        st.lists(good_arrays(), max_size=4),
        st.just([]),
        junk(),
    )


def _is_good(a):
    return (
        type(a) is np.ndarray
        and a.dtype in DTYPES
        and a.dtype.isnative
        and a.flags.writeable
        and a.flags.aligned
    )


def _as_list(arrays):
    return [arrays] if isinstance(arrays, np.ndarray) else list(arrays)


def _finite(arrays):
    with np.errstate(all="ignore"):
        return all(np.isfinite(a.astype(np.float64)).all() for a in arrays)


def _distinct(arrays):
    """No two arrays share memory (the NumPy loops below then equal the kernels' batch)."""
    return not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1 :])


def _close(got, want):
    """Equal up to a few units in the last place of the dtype (NaN where NaN)."""
    info = np.finfo(got.dtype)
    g, w = got.astype(np.float64), want.astype(np.float64)
    np.testing.assert_allclose(
        g, w, rtol=8 * float(info.eps), atol=2 * float(info.smallest_subnormal), equal_nan=True
    )


def _ref_norm(arrays, p):
    try:
        return ref.norm(arrays, p)
    except OverflowError:  # the oracle's Python floats: a norm beyond float64 is inf
        return math.inf


def _assert_norm(got, want):
    assert isinstance(got, float)
    if math.isnan(want) or math.isinf(want):
        assert got == want or (math.isnan(got) and math.isnan(want)), (got, want)
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-300), (got, want)


def _norm_types():
    return maybe(st.sampled_from(NORM_TYPES))


# ------------------------------------------------------------------------------ sweeps ---
@SWEEP
@given(arrays=array_lists(), norm_type=_norm_types())
def test_sweep_global_norm(arrays, norm_type):
    result, error = call(
        fastinit.global_norm, (arrays,), {"norm_type": norm_type}, names=["arrays", "norm_type"]
    )
    if error is not None:
        return
    assert isinstance(result, float)
    seq = _as_list(arrays)
    if norm_type in NORM_TYPES and type(norm_type) is float and all(map(_is_good, seq)):
        _assert_norm(result, _ref_norm(seq, norm_type))


@SWEEP
@given(
    arrays=array_lists(),
    max_norm=maybe(st.sampled_from([1e-3, 1.0, 1e300, math.inf])),
    norm_type=_norm_types(),
    eps=maybe(st.sampled_from([0.0, 1e-6, 1.0])),
    nonfinite=maybe(st.sampled_from(["raise", "skip", "propagate"])),
)
def test_sweep_clip_grad_norm(arrays, max_norm, norm_type, eps, nonfinite):
    valid = isinstance(arrays, (np.ndarray, list, tuple))
    seq = _as_list(arrays) if valid else []
    before = [a.copy() for a in seq if isinstance(a, np.ndarray)]
    result, error = call(
        fastinit.clip_grad_norm,
        (arrays, max_norm),
        {"norm_type": norm_type, "eps": eps, "nonfinite": nonfinite},
        names=["arrays", "max_norm", "norm_type", "eps", "nonfinite"],
    )
    if error is not None or not all(map(_is_good, seq)) or not _distinct(seq):
        return
    if not (norm_type in NORM_TYPES and type(norm_type) is float and type(max_norm) is float):
        return
    assert isinstance(result, float)
    _assert_norm(result, _ref_norm(before, norm_type))
    if not _finite(before) and nonfinite != "propagate":
        for a, b in zip(seq, before, strict=True):  # "skip": nothing written
            assert a.tobytes() == b.tobytes()
        return
    if _finite(before) and math.isfinite(result) and result + eps > 0:
        _, want = ref.clip_grad_norm(before, max_norm, norm_type, eps)
        for a, w in zip(seq, want, strict=True):
            _close(a, w)
    elif _finite(before) and result == math.inf:  # a norm beyond float64: clipped to max_norm
        _assert_beyond_range(seq, before, max_norm, norm_type)


@SWEEP
@given(arrays=array_lists(), clip_value=maybe(st.sampled_from([0.0, 0.5, 1e30, math.inf])))
def test_sweep_clip_grad_value(arrays, clip_value):
    seq = _as_list(arrays) if isinstance(arrays, (np.ndarray, list, tuple)) else []
    before = [a.copy() for a in seq if isinstance(a, np.ndarray)]
    result, error = call(
        fastinit.clip_grad_value, (arrays, clip_value), names=["arrays", "clip_value"]
    )
    if error is not None:
        return
    assert result is None
    if type(clip_value) is float and all(map(_is_good, seq)):
        for a, b in zip(seq, before, strict=True):
            want = np.clip(b.astype(np.float64), -clip_value, clip_value)
            assert a.tobytes() == want.astype(b.dtype).tobytes()


@SWEEP
@given(
    arrays=array_lists(),
    max_norm=maybe(st.sampled_from([1e-3, 1.0, 1e300, math.inf])),
    norm_type=_norm_types(),
)
def test_sweep_clip_by_norm(arrays, max_norm, norm_type):
    seq = _as_list(arrays) if isinstance(arrays, (np.ndarray, list, tuple)) else []
    before = [a.copy() for a in seq if isinstance(a, np.ndarray)]
    result, error = call(
        fastinit.clip_by_norm,
        (arrays, max_norm),
        {"norm_type": norm_type},
        names=["arrays", "max_norm", "norm_type"],
    )
    if error is not None:
        return
    assert isinstance(result, np.ndarray) and result.dtype == np.float64
    assert result.shape == (len(seq),)
    ok = all(map(_is_good, seq)) and _distinct(seq) and type(max_norm) is float
    if ok and norm_type in NORM_TYPES and type(norm_type) is float:
        assert _finite(before)  # non-finite data is refused
        want_norms, want = ref.clip_by_norm(before, max_norm, norm_type)
        for got_norm, want_norm in zip(result, want_norms, strict=True):
            _assert_norm(float(got_norm), want_norm)
        for a, b, w, n in zip(seq, before, want, want_norms, strict=True):
            if n == math.inf:  # the oracle's max_norm / inf = 0 zeroes it: not the contract
                _assert_beyond_range([a], [b], max_norm, norm_type)
            else:
                _close(a, w)


def _assert_beyond_range(seq, before, max_norm, p):
    """Finite data whose norm is beyond float64's range: untouched when ``max_norm`` is inf,
    else scaled to a norm of ``max_norm``."""
    if max_norm == math.inf:
        for a, b in zip(seq, before, strict=True):
            assert a.tobytes() == b.tobytes()
        return
    assert _finite(seq)
    assert _ref_norm(seq, p) == pytest.approx(max_norm, rel=1e-6)


@st.composite
def agc_lists(draw):
    """(grads, params): mostly pairs of the same shapes, sometimes mismatched, odd or junk."""
    n = draw(st.integers(0, 4))
    grads, params = [], []
    for _ in range(n):
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
        grads.append(draw(st.one_of(good_arrays(shape=shape), odd_arrays(), junk())))
        params.append(draw(st.one_of(good_arrays(shape=shape), good_arrays(), odd_arrays())))
    if draw(st.booleans()):
        return grads, params
    return draw(maybe(st.just(grads))), draw(maybe(st.just(params)))


@SWEEP
@given(
    lists=agc_lists(),
    clipping=maybe(st.sampled_from([1e-3, 0.01, 1.0, 10.0])),
    eps=maybe(st.sampled_from([0.0, 1e-3, 1.0])),
    layout=maybe(st.sampled_from(["torch", "jax"])),
)
def test_sweep_adaptive_clip(lists, clipping, eps, layout):
    grads, params = lists
    gseq = _as_list(grads) if isinstance(grads, (np.ndarray, list)) else []
    before = [g.copy() for g in gseq if isinstance(g, np.ndarray)]
    result, error = call(
        fastinit.adaptive_clip,
        (grads, params, clipping),
        {"eps": eps, "layout": layout},
        names=["grads", "params", "clipping", "eps", "layout"],
    )
    if error is not None:
        return
    assert result is None
    pseq = _as_list(params)
    arrays = before + pseq
    if (
        all(map(_is_good, gseq + pseq))
        and _distinct(gseq + pseq)
        and type(clipping) is float
        and type(eps) is float
        and _finite(arrays)
        and all(np.abs(a.astype(np.float64)).max(initial=0.0) < 1e150 for a in arrays)
    ):  # the oracle's Python floats would overflow beyond 1e150
        want = ref.adaptive_clip(before, pseq, clipping, eps, layout)
        for g, w in zip(gseq, want, strict=True):
            ref.assert_clipped_close(g, w)
