"""fastinit.clip against torch (the oracle for every function and norm type) and reference_clip."""

import math

import numpy as np
import pytest
from fastinit.kernels import array_table
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit
from fastinit import _arrays, config

from . import reference_clip as ref

torch = pytest.importorskip("torch")

NORM_TYPES = [1.0, 2.0, 3.5, 0.5, math.inf]
SHAPES = [(7, 5), (13,), (), (3, 4, 2), (0, 3), (64,)]


def make(rng, dtype=np.float32, shapes=SHAPES, scale=1.0, p=2.0):
    if p == math.inf:  # torch has no inf-norm of an empty tensor
        shapes = [s for s in shapes if 0 not in s]
    return [np.asarray(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]


def torch_grads(arrays):
    """Parameters whose .grad shares memory with ``arrays`` (so torch clips them in place)."""
    params = []
    for a in arrays:
        p = torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.from_numpy(a).dtype))
        p.grad = torch.from_numpy(a)
        params.append(p)
    return params


def rtol(dtype):
    return {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-12}[np.dtype(dtype).type]


# ------------------------------------------------------------------------ torch as the oracle ---
@pytest.mark.parametrize("p", NORM_TYPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_norm_matches_torch(p, dtype, split):
    arrays = make(np.random.default_rng(1), dtype, p=p)
    expected = torch.nn.utils.get_total_norm([torch.from_numpy(a) for a in arrays], p)
    assert fastinit.global_norm(arrays, norm_type=p) == pytest.approx(
        float(expected), rel=rtol(dtype)
    )


@pytest.mark.parametrize("p", NORM_TYPES)
@pytest.mark.parametrize("max_norm", [0.5, 1e9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(p, max_norm, dtype, split):
    ours = make(np.random.default_rng(2), dtype, p=p)
    theirs = [a.copy() for a in ours]
    expected = torch.nn.utils.clip_grad_norm_(torch_grads(theirs), max_norm, p, foreach=True)
    total = fastinit.clip_grad_norm(ours, max_norm, norm_type=p)
    assert total == pytest.approx(float(expected), rel=rtol(dtype))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol(dtype) * 4, atol=0)


def test_clip_grad_norm_float16_matches_torch():
    ours = make(np.random.default_rng(3), np.float16)
    theirs = [a.copy() for a in ours]
    expected = torch.nn.utils.clip_grad_norm_(torch_grads(theirs), 1.0)
    assert fastinit.clip_grad_norm(ours, 1.0) == pytest.approx(float(expected), rel=2e-3)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.astype(np.float32), b.astype(np.float32), rtol=2e-3, atol=1e-6)


@pytest.mark.parametrize("value", [0.0, 0.3, 1e9])
def test_clip_grad_value_matches_torch(value, split):
    ours = make(np.random.default_rng(4), np.float32) + make(np.random.default_rng(5), np.float64)
    ours[0][0, 0] = np.nan
    theirs = [a.copy() for a in ours]
    torch.nn.utils.clip_grad_value_(torch_grads(theirs), value)
    assert fastinit.clip_grad_value(ours, value) is None
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_mixed_dtypes_strided_views_and_float16(split):
    rng = np.random.default_rng(6)
    base = rng.standard_normal((6, 8, 5))
    arrays = [  # non-overlapping views (overlapping arrays would be scaled twice)
        base[:3, ::2, 1:],  # strided 3-d
        base[3:5].T,  # transposed
        base[:4:-1, 3],  # negative stride
        rng.standard_normal((9, 4)).astype(np.float32)[:, ::3],
        rng.standard_normal(33).astype(np.float16)[::2],
        np.asfortranarray(rng.standard_normal((5, 7)).astype(np.float32)),
    ]
    expected_total, expected = ref.clip_grad_norm([a.copy() for a in arrays], 2.0)
    total = fastinit.clip_grad_norm(arrays, 2.0)
    assert total == pytest.approx(expected_total, rel=1e-6)
    for a, b in zip(arrays, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol(a.dtype))
    assert np.shares_memory(arrays[1], base)  # in place, through the views


# -------------------------------------------------------------------- better than torch ---
def test_float32_overflow_is_avoided():
    g = np.array([1e20, -1e20, 3.0], np.float32)
    total = fastinit.clip_grad_norm(g, 1.0)
    assert total == pytest.approx(math.sqrt(2) * 1e20, rel=1e-6)
    np.testing.assert_allclose(g, [1 / math.sqrt(2), -1 / math.sqrt(2), 3e-20 / math.sqrt(2)])


@pytest.mark.parametrize("scale", [1e-300, 1e-170, 1e170, 1e300])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.5, math.inf])
def test_float64_extremes_are_exact(scale, p, split):
    arrays = make(np.random.default_rng(7), np.float64, scale=scale)
    assert fastinit.global_norm(arrays, p) == pytest.approx(ref.norm(arrays, p), rel=1e-12)
    expected = [ref.norm([a], p) for a in arrays]
    norms = fastinit.clip_by_norm(arrays, scale, norm_type=p)
    np.testing.assert_allclose(norms, expected, rtol=1e-12)


def test_zero_and_empty_inputs():
    assert fastinit.global_norm([]) == 0.0
    assert fastinit.global_norm([np.zeros(3), np.zeros((0, 4))]) == 0.0
    assert fastinit.clip_grad_norm([np.zeros(5, np.float32)], 1.0) == 0.0


@pytest.mark.parametrize("policy", ["raise", "skip", "propagate"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_policies(policy, bad, split):
    arrays = make(np.random.default_rng(8), np.float32)
    arrays[3].flat[5] = bad
    before = [a.copy() for a in arrays]
    if policy == "raise":
        with pytest.raises(ValueError, match=r"arrays\[3\]"):
            fastinit.clip_grad_norm(arrays, 1.0)
    else:
        total = fastinit.clip_grad_norm(arrays, 1.0, nonfinite=policy)
        assert math.isnan(total) if bad != np.inf else total == math.inf
    if policy == "propagate":
        theirs = [b.copy() for b in before]
        torch.nn.utils.clip_grad_norm_(torch_grads(theirs), 1.0)
        for a, b in zip(arrays, theirs, strict=True):
            np.testing.assert_array_equal(a, b)
    else:
        for a, b in zip(arrays, before, strict=True):
            np.testing.assert_array_equal(a, b)


def test_nothing_written_when_no_clipping_needed():
    # a read-only array cannot be passed, so watch a NaN payload and -0.0 instead: x * 1.0 would
    # keep them too, but the kernel must also skip the arrays (checked by timing in the bench)
    g = np.array([-0.0, 1e-3, 2.0], np.float32)
    before = g.tobytes()
    fastinit.clip_grad_norm(g, 10.0)
    assert g.tobytes() == before


# ------------------------------------------------------------------------------ validation ---
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"max_norm": 0.0}, ValueError, "max_norm"),
        ({"max_norm": -1.0}, ValueError, "max_norm"),
        ({"max_norm": math.nan}, ValueError, "max_norm"),
        ({"max_norm": "1"}, TypeError, "max_norm"),
        ({"max_norm": 1.0, "norm_type": 0.0}, ValueError, "norm_type"),
        ({"max_norm": 1.0, "norm_type": -math.inf}, ValueError, "norm_type"),
        ({"max_norm": 1.0, "norm_type": math.nan}, ValueError, "norm_type"),
        ({"max_norm": 1.0, "eps": -1.0}, ValueError, "eps"),
        ({"max_norm": 1.0, "nonfinite": "ignore"}, ValueError, "nonfinite"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    arrays = make(np.random.default_rng(9))
    before = [a.copy() for a in arrays]
    with pytest.raises(error, match=match):
        fastinit.clip_grad_norm(arrays, **kwargs)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)


def bad_arrays():
    ro = np.ones(3)
    ro.flags.writeable = False
    unaligned = np.frombuffer(b"\0" * 17, np.uint8)[1:].view(np.float64)
    return [
        (np.arange(3), TypeError, "int64"),
        (np.ones(3, ">f4"), TypeError, "byte order"),
        (ro, ValueError, "read-only"),
        ([1.0, 2.0], TypeError, "NumPy array"),
        (np.ones(2, np.complex64), TypeError, "complex64"),
        (unaligned, ValueError, "aligned"),
    ]


@pytest.mark.parametrize("bad, error, match", bad_arrays())
@pytest.mark.parametrize(
    "call",
    [
        lambda a: fastinit.clip_grad_norm(a, 1e-3),
        lambda a: fastinit.clip_grad_value(a, 1e-3),
        lambda a: fastinit.clip_by_norm(a, 1e-3),
        lambda a: fastinit.adaptive_clip(a, [np.ones_like(x) for x in a]),
    ],
    ids=["clip_grad_norm", "clip_grad_value", "clip_by_norm", "adaptive_clip"],
)
def test_bad_array_fails_before_any_write(bad, error, match, call):
    good = np.full(4, 5.0)
    arrays = [good, np.full((2, 2), 5.0, np.float32), bad]
    with pytest.raises(error, match=r"\[2\].*" + match if match != "NumPy array" else match):
        call(arrays)
    assert (good == 5.0).all() and (arrays[1] == 5.0).all()


def test_read_only_is_fine_for_global_norm():
    a = np.ones(4)
    a.flags.writeable = False
    assert fastinit.global_norm(a) == 2.0


def test_arrays_argument_type():
    with pytest.raises(TypeError, match="arrays"):
        fastinit.global_norm(3.0)
    with pytest.raises(ValueError, match="clip_value"):
        fastinit.clip_grad_value(np.ones(2), -1.0)
    assert fastinit.global_norm(x for x in [np.ones(4)]) == 2.0  # any iterable


def test_ndarray_subclass_goes_through_the_public_path():
    m = np.ma.masked_array(np.full(4, 3.0, np.float32))  # a subclass, same memory
    assert fastinit.clip_grad_norm([np.ones(5), m], 1.0) == pytest.approx(math.sqrt(41))
    assert m.data[0] == pytest.approx(3.0 / (math.sqrt(41) + 1e-6))


# ------------------------------------------------------------------------- per array, AGC ---
@pytest.mark.parametrize("p", NORM_TYPES)
def test_clip_by_norm_against_reference(p, split):
    arrays = make(np.random.default_rng(10), np.float64)
    expected_norms, expected = ref.clip_by_norm([a.copy() for a in arrays], 1.5, p)
    norms = fastinit.clip_by_norm(arrays, 1.5, norm_type=p)
    np.testing.assert_allclose(norms, expected_norms, rtol=1e-12)
    for a, b in zip(arrays, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_clip_by_norm_nonfinite_raises_untouched():
    arrays = [np.ones(3), np.array([1.0, np.inf])]
    with pytest.raises(ValueError, match=r"arrays\[1\]"):
        fastinit.clip_by_norm(arrays, 0.1)
    assert (arrays[0] == 1.0).all()


@pytest.mark.parametrize("layout", ["torch", "jax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_clip_against_reference(layout, dtype):
    rng = np.random.default_rng(11)
    shapes = [(6, 5), (4, 3, 2), (7,), (), (5, 1), (0, 3)]
    params = make(rng, dtype, shapes)
    params[0][2] = 0.0  # a zero unit: eps floors its norm
    grads = [
        np.asarray(g * s, dtype)
        for g, s in zip(make(rng, dtype, shapes), [0.001, 1, 0.1, 5, 0.02, 1], strict=True)
    ]
    expected = ref.adaptive_clip([g.copy() for g in grads], params, 0.05, 1e-3, layout)
    assert fastinit.adaptive_clip(grads, params, 0.05, layout=layout) is None
    for g, e in zip(grads, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=rtol(dtype) * 4)


def test_adaptive_clip_errors():
    g, w = [np.ones((2, 2))], [np.ones((2, 3))]
    with pytest.raises(ValueError, match="shape"):
        fastinit.adaptive_clip(g, w)
    with pytest.raises(ValueError, match="params has"):
        fastinit.adaptive_clip(g, [])
    with pytest.raises(ValueError, match="layout"):
        fastinit.adaptive_clip(g, g, layout="tf")
    with pytest.raises(ValueError, match="clipping"):
        fastinit.adaptive_clip(g, g, 0.0)
    bad = [np.ones(2), np.array([[np.nan, 1.0]])]
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        fastinit.adaptive_clip(bad, [np.ones(2), np.ones((1, 2))], 1e-3)
    assert (bad[0] == 1.0).all()


# ------------------------------------------------------------------------------- properties ---
DTYPES = st.sampled_from([np.float16, np.float32, np.float64])


@st.composite
def gradient_lists(draw):
    n = draw(st.integers(0, 6))
    arrays = []
    for _ in range(n):
        dtype = draw(DTYPES)
        shape = tuple(draw(st.lists(st.integers(0, 5), max_size=3)))
        exp = draw(st.integers(-30, 30)) if dtype != np.float16 else draw(st.integers(-3, 3))
        seed = draw(st.integers(0, 2**32 - 1))
        a = np.asarray(np.random.default_rng(seed).standard_normal(shape) * 10.0**exp).astype(dtype)
        if a.ndim >= 1 and a.shape[-1] > 1 and draw(st.booleans()):
            a = a[..., ::2]  # strided view
        arrays.append(a)
    return arrays


@settings(derandomize=True, deadline=None, max_examples=60)
@given(arrays=gradient_lists(), p=st.sampled_from(NORM_TYPES), tasks=st.booleans())
def test_property_clip_grad_norm(arrays, p, tasks):
    old = config.CLIP_PARALLEL_MIN
    config.CLIP_PARALLEL_MIN = 3 if tasks else old
    try:
        expected_total, expected = ref.clip_grad_norm([a.copy() for a in arrays], 1.0, p)
        total = fastinit.clip_grad_norm(arrays, 1.0, norm_type=p)
    finally:
        config.CLIP_PARALLEL_MIN = old
    assert total == pytest.approx(expected_total, rel=1e-9, abs=0)
    for a, b in zip(arrays, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=2 * rtol(a.dtype), atol=np.finfo(a.dtype).tiny)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(arrays=gradient_lists(), where=st.integers(0, 50), bad=st.sampled_from([np.nan, np.inf]))
def test_property_nonfinite_placement(arrays, where, bad):
    sized = [i for i, a in enumerate(arrays) if a.size]
    if not sized:
        return
    i = sized[where % len(sized)]
    first = min(j for j in sized if j >= 0 and (j == i))
    arrays[i].flat[where % arrays[i].size] = bad
    before = [a.copy() for a in arrays]
    with pytest.raises(ValueError, match=rf"arrays\[{first}\]"):
        fastinit.clip_grad_norm(arrays, 1e-3)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert math.isnan(fastinit.global_norm(arrays)) == (bad != np.inf)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(arrays=gradient_lists())
def test_property_header_reader_matches_numpy(arrays):
    seq = tuple(arrays)
    bad, *fast = array_table.read_headers(id(seq), len(seq), id(np.ndarray), _arrays._SWAPPED_CHAR)
    assert bad == -1
    for f, s in zip(fast, _arrays.raw_public(seq, "arrays"), strict=True):
        np.testing.assert_array_equal(f, s)


def test_half_conversions_are_exact():
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    halves = bits.view(np.float16)
    a = halves.copy()
    fastinit.clip_grad_value(a, np.inf)  # reads and writes every float16 through the kernels
    same = (a.view(np.uint16) == bits) | (np.isnan(halves) & np.isnan(a))
    assert same.all()


def _clip_calls():
    """(function, argument name, call with that argument set to a value)."""

    def g():
        return [np.ones((3, 4), np.float32), np.full(5, 2.0)]

    return [
        ("global_norm", "norm_type", lambda v: fastinit.global_norm(g(), v)),
        ("clip_grad_norm", "max_norm", lambda v: fastinit.clip_grad_norm(g(), v)),
        ("clip_grad_norm", "norm_type", lambda v: fastinit.clip_grad_norm(g(), 1.0, norm_type=v)),
        ("clip_grad_norm", "eps", lambda v: fastinit.clip_grad_norm(g(), 1.0, eps=v)),
        ("clip_grad_norm", "nonfinite", lambda v: fastinit.clip_grad_norm(g(), 1.0, nonfinite=v)),
        ("clip_grad_value", "clip_value", lambda v: fastinit.clip_grad_value(g(), v)),
        ("clip_by_norm", "max_norm", lambda v: fastinit.clip_by_norm(g(), v)),
        ("clip_by_norm", "norm_type", lambda v: fastinit.clip_by_norm(g(), 1.0, norm_type=v)),
        ("adaptive_clip", "clipping", lambda v: fastinit.adaptive_clip(g(), g(), v)),
        ("adaptive_clip", "eps", lambda v: fastinit.adaptive_clip(g(), g(), eps=v)),
        ("adaptive_clip", "layout", lambda v: fastinit.adaptive_clip(g(), g(), layout=v)),
    ]


SCALAR_JUNK = [
    np.complex128(1), 1j, np.timedelta64(3), np.datetime64("2026-01-01"), "1", None, True,
    np.bool_(False), math.nan, np.float32("nan"), 10**400, -(10**400), np.array([1.0, 2.0]),
    np.array(["torch", "jax"]), [], object(),
]  # fmt: skip


@pytest.mark.parametrize(
    "fn, name, call", _clip_calls(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_scalar_arguments_refuse_junk(fn, name, call):
    for value in SCALAR_JUNK:
        with pytest.raises((TypeError, ValueError), match=name) as info:
            call(value)
        assert type(info.value) in (TypeError, ValueError), (fn, name, value)


@pytest.mark.parametrize(
    "view",
    [
        lambda x: np.lib.stride_tricks.as_strided(x, (5,), (0,)),
        lambda x: np.lib.stride_tricks.as_strided(x, (3, 3), (8, 8)),
        lambda x: np.lib.stride_tricks.as_strided(x, (2, 3), (0, 8)),
    ],
    ids=["zero-stride", "overlapping-rows", "repeated-rows"],
)
def test_self_overlapping_arrays_are_refused_for_writes(view):
    """An array whose elements share memory cannot be scaled in place one element at a time
    (torch refuses too); reading it is fine."""
    x = np.arange(1.0, 13.0)
    v = view(x)
    other = np.full(3, 7.0)
    calls = [
        lambda: fastinit.clip_grad_norm([other, v], 1e-3),
        lambda: fastinit.clip_grad_value([other, v], 1e-3),
        lambda: fastinit.clip_by_norm([other, v], 1e-3),
        lambda: fastinit.adaptive_clip([other, v], [np.ones(3), np.ones(v.shape)], 1e-3),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"(arrays|grads)\[1\] has elements that share"):
            call()
    assert (x == np.arange(1.0, 13.0)).all() and (other == 7.0).all()
    assert fastinit.global_norm(v) == pytest.approx(np.linalg.norm(v.ravel()))
    fastinit.adaptive_clip(np.ones(v.shape), v, 1e-3)  # a param may share its elements


def test_arrays_that_are_plain_objects_are_refused():
    for bad in (object(), [np.ones(2), object()], None, 3):
        with pytest.raises(TypeError, match="arrays"):
            fastinit.clip_grad_norm(bad, 1.0)
        with pytest.raises(TypeError, match="grads"):
            fastinit.adaptive_clip(bad, [np.ones(2)] * 2 if isinstance(bad, list) else bad)
