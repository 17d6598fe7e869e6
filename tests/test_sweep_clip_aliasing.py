"""Clipping properties over arrays that share memory (opt-in: ``pytest -m sweep``).

Views of a few buffers, listed in any order: every clipping function gives the sequential
result (a loop over the list in order), and one or two threads give the same bits.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit
from fastinit import config

from . import reference_clip as ref
from .sweep import SWEEP

pytestmark = pytest.mark.sweep

DTYPES = [np.float16, np.float32, np.float64]
NORM_TYPES = [1.0, 2.0, 3.5, 0.5, math.inf]


# ---------------------------------------------------------------------------- properties ---
LENGTH = 96
SHAPES = [(8, 12), (12, 8), (4, 4, 6), (96, 1), (2, 48)]


@st.composite
def view_specs(draw, buffers):
    """A recipe for a view of one of ``buffers`` (all of LENGTH elements)."""
    b = draw(st.integers(0, buffers - 1))
    kind = draw(st.sampled_from(["whole", "reversed", "slice", "reshaped", "transposed"]))
    if kind == "slice":
        start, stop = sorted(draw(st.lists(st.integers(0, LENGTH), min_size=2, max_size=2)))
        step = draw(st.sampled_from([1, 2, 3, -1, -2]))
        return (b, kind, (start, stop, step))
    if kind in ("reshaped", "transposed"):
        return (b, kind, (draw(st.sampled_from(SHAPES)), draw(st.booleans())))
    return (b, kind, None)


def make_view(buffers, spec):
    b, kind, arg = spec
    x = buffers[b]
    if kind == "reversed":
        return x[::-1]
    if kind == "slice":
        start, stop, step = arg
        return (
            x[start:stop:step] if step > 0 else x[stop - 1 : (start - 1 if start else None) : step]
        )
    if kind in ("reshaped", "transposed"):
        shape, flip = arg
        v = x.reshape(shape)
        v = v.T if kind == "transposed" else v
        return v[::-1] if flip else v
    return x


@st.composite
def aliased_cases(draw):
    """Buffers, the function to run and the recipes of its arguments' views."""
    n_buffers = draw(st.integers(1, 2))
    dtypes = [draw(st.sampled_from(DTYPES)) for _ in range(n_buffers)]
    seeds = [draw(st.integers(0, 2**16)) for _ in range(n_buffers)]
    scale = draw(st.sampled_from([1.0, 0.1, 10.0]))
    buffers = [
        (np.random.default_rng(s).standard_normal(LENGTH) * scale).astype(d)
        for s, d in zip(seeds, dtypes, strict=True)
    ]
    fn = draw(
        st.sampled_from(["clip_grad_norm", "clip_by_norm", "clip_grad_value", "adaptive_clip"])
    )
    specs = draw(st.lists(view_specs(n_buffers), min_size=1, max_size=5))
    if draw(st.booleans()):  # one recipe listed again
        specs.append(draw(st.sampled_from(specs)))
    params = None
    if fn == "adaptive_clip":  # a param: the same recipe on any buffer, or a fresh array
        params = []
        for s in specs:
            choice = draw(st.sampled_from(["same", "other", "fresh"]))
            if choice == "fresh":
                params.append(("fresh", draw(st.integers(0, 2**16))))
            else:
                other = draw(st.integers(0, n_buffers - 1)) if choice == "other" else s[0]
                params.append((other,) + s[1:])
    options = {
        "clip_grad_norm": {"max_norm": draw(st.sampled_from([0.5, 1.0, 5.0])),
                           "norm_type": draw(st.sampled_from(NORM_TYPES))},
        "clip_by_norm": {"max_norm": draw(st.sampled_from([0.5, 1.0, 5.0])),
                         "norm_type": draw(st.sampled_from(NORM_TYPES))},
        "clip_grad_value": {"clip_value": draw(st.sampled_from([0.1, 0.5, 2.0]))},
        "adaptive_clip": {"clipping": draw(st.sampled_from([0.01, 0.1, 1.0])),
                          "layout": draw(st.sampled_from(["torch", "jax"]))},
    }[fn]  # fmt: skip
    threading = (draw(st.sampled_from([1, 2])), draw(st.sampled_from([7, 32, 1 << 18])))
    return buffers, fn, specs, params, options, threading


def _lists(buffers, specs, params):
    views = [make_view(buffers, s) for s in specs]
    if params is None:
        return views, None
    ps = []
    for v, p in zip(views, params, strict=True):
        if p[0] == "fresh":
            ps.append(np.random.default_rng(p[1]).standard_normal(v.shape).astype(v.dtype))
        else:
            ps.append(make_view(buffers, p))
    return views, ps


def _kernel_scale(a, c):
    """``a *= c`` rounded as the kernels round: float32 and float16 multiply in float32."""
    if a.dtype == np.float64:
        a *= c
    else:
        a[...] = (a.astype(np.float32) * np.float32(c)).astype(a.dtype)


def _norm(a, p):
    v = np.abs(a.astype(np.float64)).ravel()
    if p == math.inf:
        return float(v.max(initial=0.0))
    return float(np.sum(v**p) ** (1.0 / p))


def loop(fn, views, params, options):
    """The sequential result: a NumPy loop over the list in order."""
    if fn == "clip_grad_norm":
        p = options["norm_type"]
        norms = [_norm(a, p) for a in views]
        total = max(norms) if p == math.inf else float(np.sum(np.array(norms) ** p) ** (1 / p))
        c = options["max_norm"] / (total + 1e-6)
        if c < 1.0:
            for a in views:
                _kernel_scale(a, c)
        return total
    if fn == "clip_by_norm":
        out = []
        for a in views:
            n = _norm(a, options["norm_type"])
            out.append(n)
            if n > options["max_norm"]:
                _kernel_scale(a, options["max_norm"] / n)
        return np.array(out)
    if fn == "clip_grad_value":
        c = options["clip_value"]
        for a in views:
            a[...] = np.clip(a, -c, c)
        return None
    for g, w in zip(views, params, strict=True):
        if g.ndim <= 1:
            units = [...]
        elif options["layout"] == "torch":
            units = list(range(g.shape[0]))
        else:
            units = [(..., i) for i in range(g.shape[-1])]
        coefs = []
        for u in units:
            limit = options["clipping"] * max(_norm(w[u], 2.0), 1e-3)
            gn = _norm(g[u], 2.0)
            coefs.append(limit / max(gn, 1e-6) if gn > limit else 1.0)
        for u, c in zip(units, coefs, strict=True):
            if c != 1.0:
                _kernel_scale(g[u], c)
    return None


def run(fn, views, params, options, threading):
    """``fn`` on ``threads`` threads with tasks of ``chunk`` elements (every call threaded)."""
    threads, chunk = threading
    old = config.thread_count(), config.CLIP_PARALLEL_MIN, config.CLIP_TASK_ELEMENTS
    config.set_num_threads(threads)
    config.CLIP_PARALLEL_MIN, config.CLIP_TASK_ELEMENTS = 1, chunk
    try:
        if fn == "adaptive_clip":
            return fastinit.adaptive_clip(views, params, **options)
        return getattr(fastinit, fn)(views, **options)
    finally:
        config.set_num_threads(old[0])
        config.CLIP_PARALLEL_MIN, config.CLIP_TASK_ELEMENTS = old[1:]


@SWEEP
@given(case=aliased_cases())
def test_property_aliasing_gives_the_sequential_result(case):
    buffers, fn, specs, params, options, threading = case
    mine = [b.copy() for b in buffers]
    theirs = [b.copy() for b in buffers]
    got = run(fn, *_lists(mine, specs, params), options, threading)
    want = loop(fn, *_lists(theirs, specs, params), options)
    # An array measured after an earlier write to its memory (clip_by_norm's next norm, an
    # adaptive_clip param that an earlier grad was) holds values rounded in its buffer's dtype,
    # and their rounding may differ by an ulp from the loop's (its coefficient came from a norm
    # summed in another order). That ulp reaches every later coefficient, so each comparison
    # allows for the coarsest dtype of the buffers: a float32 param can set a float64 grad's
    # coefficient (found by this sweep: 5e-8 relative), and a float16 array scaled once is
    # measured again (1.2e-5 relative).
    coarsest = max((b.dtype for b in buffers), key=lambda d: np.finfo(d).eps)
    if fn == "clip_grad_norm":
        assert got == pytest.approx(want, rel=1e-9)
    elif fn == "clip_by_norm":
        np.testing.assert_allclose(got, want, rtol=max(1e-5, 2 * float(np.finfo(coarsest).eps)))
    for a, b in zip(mine, theirs, strict=True):
        ref.assert_clipped_close(a, b, coarsest)


@SWEEP
@given(case=aliased_cases(), chunk=st.sampled_from([5, 16, 1 << 18]))
def test_property_one_or_two_threads_give_the_same_bits(case, chunk):
    buffers, fn, specs, params, options, _ = case
    results = []
    for threads in (1, 2):
        mine = [b.copy() for b in buffers]
        got = run(fn, *_lists(mine, specs, params), options, (threads, chunk))
        results.append((got, [b.tobytes() for b in mine]))
    (one, one_bytes), (two, two_bytes) = results
    assert one_bytes == two_bytes
    if isinstance(one, np.ndarray):
        assert one.tobytes() == two.tobytes()
    else:
        assert one == two or (one != one and two != two)
