"""fastinit.clip against torch (the oracle for every function and norm type) and reference_clip."""

import math

import numpy as np
import pytest
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


@pytest.fixture(params=[False, True], ids=["serial", "tasks"])
def split(request, monkeypatch):
    """Run a test on one thread and with the work split into many small tasks."""
    if request.param:
        monkeypatch.setattr(config, "CLIP_PARALLEL_MIN", 5)
    return request.param


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
    kernels = _arrays.kernels()
    seq = tuple(arrays)
    fast = kernels.describe(id(seq), len(seq), id(np.ndarray), _arrays._SWAPPED_CHAR, True)
    slow = kernels.describe_raw(*_arrays.raw_public(seq, "arrays"), True)
    assert fast[:2] == slow[:2]
    for f, s in zip(fast[2:], slow[2:], strict=True):
        np.testing.assert_array_equal(f, s)


def test_half_conversions_are_exact():
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    halves = bits.view(np.float16)
    a = halves.copy()
    fastinit.clip_grad_value(a, np.inf)  # reads and writes every float16 through the kernels
    same = (a.view(np.uint16) == bits) | (np.isnan(halves) & np.isnan(a))
    assert same.all()


# ------------------------------------------------------------------ aliasing and threads ---


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


# What "sequential" means, as plain NumPy loops over the list in order (float64 arithmetic,
# rounded once to the array's dtype, as the kernels do).
def _norm64(a, p=2.0):
    v = np.abs(np.asarray(a, np.float64)).ravel()
    if p == math.inf:
        return float(v.max(initial=0.0))
    return float(np.sum(v**p) ** (1.0 / p))


def _scale(a, c):
    a[...] = (a.astype(np.float64) * c).astype(a.dtype)


def seq_clip_grad_norm(arrays, max_norm, eps=1e-6):
    """torch's clip_grad_norm_: the total first, then each listed array scaled in turn."""
    total = math.sqrt(sum(_norm64(a) ** 2 for a in arrays))
    c = max_norm / (total + eps)
    if c < 1.0:
        for a in arrays:
            _scale(a, c)
    return total


def seq_clip_by_norm(arrays, max_norm, p=2.0):
    """Each array's norm measured when its turn comes, after the earlier ones were scaled."""
    norms = []
    for a in arrays:
        n = _norm64(a, p)
        norms.append(n)
        if n > max_norm:
            _scale(a, max_norm / n)
    return np.array(norms)


def seq_adaptive_clip(grads, params, clipping, eps=1e-3, layout="torch"):
    """For each (grad, param) in turn: every unit norm of both as they are now, then scale."""
    for g, w in zip(grads, params, strict=True):
        if g.ndim <= 1:
            units = [...]
        elif layout == "torch":
            units = list(range(g.shape[0]))
        else:
            units = [(..., i) for i in range(g.shape[-1])]
        coefs = []
        for u in units:
            limit = clipping * max(_norm64(w[u]), eps)
            gn = _norm64(g[u])
            coefs.append(limit / max(gn, 1e-6) if gn > limit else 1.0)
        for u, c in zip(units, coefs, strict=True):
            if c != 1.0:
                _scale(g[u], c)


@pytest.fixture
def two_threads():
    old = config.thread_count()
    fastinit.config.set_num_threads(2)
    try:
        yield
    finally:
        fastinit.config.set_num_threads(old)


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


def test_zero_norm_with_zero_eps_is_not_clipped(split):
    """max_norm / 0 is torch's inf coefficient, clamped to 1: nothing written, no error."""
    for arrays in ([np.zeros(3), np.zeros((2, 2), np.float32)], [], [np.ones((0, 4))]):
        before = [a.copy() for a in arrays]
        assert fastinit.clip_grad_norm(arrays, 1.0, eps=0.0) == 0.0
        for a, b in zip(arrays, before, strict=True):
            assert a.tobytes() == b.tobytes()


def test_infinite_max_norm_never_clips_a_norm_beyond_float64(split):
    a = np.array([1.5e308, -1.5e308, 1.0])  # finite data whose norm is beyond float64's range
    assert fastinit.clip_grad_norm(a, math.inf) == math.inf
    np.testing.assert_array_equal(a, [1.5e308, -1.5e308, 1.0])


def test_norm_beyond_float64_is_inf_not_nan(split):
    """Finite data whose norm exceeds float64's range: inf (the ratios to the largest array
    norm were inf / inf = NaN)."""
    arrays = [np.array([1.5e308, -1.5e308]), np.ones(3)]
    assert fastinit.global_norm(arrays) == math.inf
    np.testing.assert_array_equal(fastinit.clip_by_norm([np.ones(2), arrays[0]], 1e300)[1], np.inf)


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


@pytest.mark.parametrize("layout", ["torch", "jax"])
def test_adaptive_clip_huge_float64_is_not_refused(layout):
    """Finite float64 units whose squares overflow are measured scaled, not refused as
    non-finite (every unit here but the small one is clipped by 0.5)."""
    w = np.array([[3e200, 4e200], [1.0, 1.0]])
    g = np.array([[3e200, 4e200], [0.0, 1e-3]])
    want = {"torch": [[1.5e200, 2e200], [0.0, 1e-3]], "jax": [[1.5e200, 2e200], [0.0, 5e-4]]}
    fastinit.adaptive_clip(g, w, 0.5, layout=layout)
    np.testing.assert_allclose(g, want[layout], rtol=1e-14)


@pytest.mark.parametrize("p", NORM_TYPES)
def test_subnormal_float64_norms_are_not_inf(p, split):
    """The rescaled pass divided by the largest |x|: 1 / 5e-324 is inf, and the norm was too."""
    for values in ([5e-324], [5e-324, -1e-320, 0.0], [2.0**-1023, 1e-310]):
        a = np.array(values)
        want = ref.norm([a], p)
        assert fastinit.global_norm(a, norm_type=p) == pytest.approx(want, rel=1e-6, abs=5e-324)
        assert fastinit.clip_by_norm(a.copy(), 1.0, norm_type=p)[0] == pytest.approx(
            want, rel=1e-6, abs=5e-324
        )


def test_norm_beyond_float64_clips_instead_of_zeroing(split):
    """Finite data with a norm beyond float64's range (returned as inf) is scaled to max_norm;
    max_norm / inf = 0 zeroed it."""
    a = np.array([1.5e308, -1.5e308, 1e300])
    b = a.copy()
    assert fastinit.clip_grad_norm([a, np.ones(2)], 1.0) == math.inf
    np.testing.assert_allclose(a, [2**-0.5, -(2**-0.5), 1e300 / 1.5e308 * 2**-0.5], rtol=1e-12)
    norms = fastinit.clip_by_norm([np.ones(2), b], 1.0)
    assert norms[1] == math.inf
    np.testing.assert_allclose(b, a, rtol=1e-12)
    c = np.array([1.5e308, 1.5e308])
    fastinit.clip_by_norm([c, c], 1.0)  # in turn: the second turn finds it within the bound
    np.testing.assert_allclose(c, [2**-0.5, 2**-0.5], rtol=1e-12)


def test_float16_value_clipping_rounds_once():
    """The bound is rounded to float16, not to float32 and then float16 (twice)."""
    c = 1 + 2**-11 + 2**-40  # rounds to a float16 midpoint in float32
    for bound in (c, 65510.0, 1e30, 3e-8):
        a = np.array([2.0, -2.0, 0.5, np.inf, -65504.0, 1e-7, np.nan], np.float16)
        with np.errstate(over="ignore"):  # inf clamped to 1e30 rounds back to inf
            want = np.clip(a.astype(np.float64), -bound, bound).astype(np.float16)
        fastinit.clip_grad_value([a], bound)
        assert a.tobytes() == want.tobytes(), (bound, a, want)


def test_float32_scaling_by_a_tiny_coefficient_rounds_once():
    """The coefficient stays float64: as a float32 it was subnormal here and lost digits."""
    a = np.array([5.347972e36, -1e30], np.float32)
    x = a.astype(np.float64)
    want = (x * (1e-3 / np.abs(x).sum())).astype(np.float32)
    fastinit.clip_grad_norm(a, 1e-3, norm_type=1.0, eps=0.0)
    np.testing.assert_allclose(a, want, rtol=1.2e-7)


def test_norm_beyond_float64_edge_cases():
    """max_norm inf never clips (it scaled by inf); a p so small that the norm of ordinary data
    is beyond float64 gives a 0 coefficient instead of an OverflowError."""
    a = np.array([7.8e306, 1.8e307, 7.4e306, -2.9e307])
    b = a.copy()
    assert fastinit.clip_by_norm(a, math.inf, norm_type=0.5)[0] == math.inf
    np.testing.assert_array_equal(a, b)
    assert fastinit.clip_grad_norm(a, math.inf, norm_type=0.5) == math.inf
    np.testing.assert_array_equal(a, b)
    fastinit.clip_by_norm(a, 1e-3, norm_type=0.5)
    assert fastinit.global_norm(a, norm_type=0.5) == pytest.approx(1e-3, rel=1e-9)
    h = np.array([0.1257, -0.1321], np.float16)
    assert fastinit.clip_by_norm(h, 1e-3, norm_type=2.6e-174)[0] == math.inf
    np.testing.assert_array_equal(h, 0.0)


def test_norm_beyond_float64_from_a_small_p_is_clipped_on_one_thread():
    """p < 1 takes a finite sum beyond float64's range in the root: the one-thread fused path
    scaled by max_norm / inf = 0 and zeroed everything."""
    arrays = [np.array(0.1257, np.float16), np.array(2.82530444e306), np.array(-1.79769313e308)]
    assert fastinit.clip_grad_norm(arrays, 1e-3, norm_type=0.5, eps=0.0) == math.inf
    assert fastinit.global_norm(arrays, norm_type=0.5) == pytest.approx(1e-3, rel=1e-6)
