"""Bad-input sweep of initialization and random streams (opt-in: ``pytest -m sweep
tests/test_sweep_init.py``).

Every public initializer of ``fastinit`` (the names it exports from ``fastinit.init``), every
public function of ``fastinit.random`` and ``Key`` get mixes of valid and junk arguments (see
``tests/sweep.py``): shapes (small, odd, absurd), dtypes, seeds (ints, Keys, Generators,
RandomStates, junk), ``out`` arrays of odd dtypes, shapes, strides, read-only ones, ``np.matrix``,
lists; bounds, gains, modes, layouts; ``region`` boxes (valid ones, NumPy-clipped ones past the
ends, empty ones, and junk: too many slices, steps other than 1, int or float bounds, ints or
lists in place of slices). Each call must return, or refuse with a ValueError or TypeError
naming an argument and leave every input (Generators included) as it was. A call that returns
has a finite result of the right shape (``out`` itself when given; the box's shape with
``region``, and for a deterministic seed the same bits as that box of the whole tensor), and
absurd sizes (of the box, with ``region``) are always refused. The last test checks that one
and two threads give the same bits.
"""

import inspect
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit
from fastinit import random as fr

from ._helpers import with_threads
from ._regions import SMALL_DIMS, regions
from ._regions import box_shape as _box_shape
from .sweep import SWEEP, call, junk

pytestmark = pytest.mark.sweep


def mix(valid, weight=4):
    """``valid`` ``weight`` times out of ``weight + 1``, else junk."""
    return st.one_of(*([valid] * weight), junk())


# ------------------------------------------------------------------- argument strategies ---

ABSURD_SHAPES = [(10**6, 10**6), (10**13,), (2**62, 4), (10**5, 10**5, 10**3), (2**40, 2**40)]


def _not_big(value):
    """False for a shape that fits in memory yet is big (junk ints such as 2**33): the sweep
    makes no big arrays. Small shapes and absurd ones (refused whatever the dtype) pass."""
    try:
        n = math.prod(fastinit._checks.shape_tuple(value))
    except (TypeError, ValueError):
        return True
    return n <= 10**5 or 2 * n > (fastinit._checks.MEMORY_BYTES or math.inf)


def _not_big_stop(value):
    """False for a block stop that would make a big yet possible block (start is small)."""
    return not (isinstance(value, int) and 10**5 < value < 2**40)


_NOT_BIG = {"shape": _not_big, "stop": _not_big_stop}
SHAPES = st.one_of(
    SMALL_DIMS, SMALL_DIMS, SMALL_DIMS, st.integers(0, 9), st.sampled_from(ABSURD_SHAPES)
)
DTYPES = st.sampled_from(
    [None, np.float16, np.float32, np.float64, "float32", "f8", ">f4", np.int32, np.complex64,
     object, "abc", np.bool_, np.float64]
)  # fmt: skip
EXTREMES = [0.0, -0.0, 1e5, -1e5, 65504.0, 7e4, 1e38, 1e39, -1e39, 1e155, 1e200, 1e300, -1e300,
            1e-300, 5e-324, np.inf, -np.inf, np.nan, 3.0, -2.0, 2.0]  # fmt: skip
REALS = st.one_of(st.floats(-10, 10), st.floats(-10, 10), st.sampled_from(EXTREMES))
POSITIVE = st.one_of(st.floats(0, 5), st.floats(0, 5), st.sampled_from(EXTREMES))
_key_words = st.integers(0, 2**32 - 1)


@st.composite
def seeds(draw):
    kind = draw(st.sampled_from(["int", "int", "key", "generator", "randomstate", "none", "junk"]))
    if kind == "int":
        return draw(st.one_of(st.integers(0, 2**64), st.integers(-3, 3)))
    if kind == "key":
        return fr.Key(draw(_key_words), draw(_key_words), draw(_key_words))
    if kind == "generator":
        return np.random.default_rng(draw(st.integers(0, 2**16)))
    if kind == "randomstate":
        return np.random.RandomState(draw(st.integers(0, 2**16)))
    if kind == "none":
        return None
    return draw(junk())


@st.composite
def outs(draw, shape):
    """None, a list, junk, or an array: float or not, of ``shape`` (when it is a small valid
    shape) or another, C or F order, strided, reversed, read-only or an np.matrix."""
    kind = draw(st.sampled_from(["none", "none", "array", "array", "array", "list", "junk"]))
    if kind == "none":
        return None
    if kind == "junk":
        return draw(junk())
    try:
        dims = fastinit._checks.shape_tuple(shape)
        if math.prod(dims) > 10**4 or max(dims, default=0) > 10**4:
            raise ValueError
    except (TypeError, ValueError):
        dims = draw(SMALL_DIMS)
    if draw(st.integers(0, 4)) == 0:  # a wrong shape now and then
        dims = draw(SMALL_DIMS)
    if kind == "list":
        return np.zeros(dims).tolist()
    dtype = draw(
        st.sampled_from(
            [np.float32, np.float32, np.float64, np.float16, np.int8, ">f4", np.complex64]
        )
    )
    layout = draw(st.sampled_from(["c", "f", "strided", "reversed", "readonly", "matrix"]))
    if layout == "c":
        return np.full(dims, 3, dtype)
    if layout == "f":
        return np.full(dims, 3, dtype, order="F")
    if layout == "strided" and dims:
        return np.full(dims[:-1] + (2 * dims[-1],), 3, dtype)[..., ::2]
    if layout == "reversed" and dims:
        return np.full(dims, 3, dtype)[::-1]
    if layout == "matrix" and len(dims) == 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return np.asmatrix(np.full(dims, 3, dtype))
    array = np.full(dims, 3, dtype)
    array.flags.writeable = False
    return array


_NONLINEARITIES = ["linear", "relu", "leaky_relu", "tanh", "selu", "sigmoid", "conv2d", "swish"]
VALID = {
    "shape": SHAPES,
    "value": REALS,
    "dtype": DTYPES,
    "seed": seeds(),
    "low": REALS,
    "high": REALS,
    "mean": REALS,
    "std": POSITIVE,
    "a": REALS,
    "b": REALS,
    "gain": st.one_of(POSITIVE, st.floats(-3, 3)),
    "scale": POSITIVE,
    "sparsity": st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 1.5, -0.1])),
    "param": st.one_of(st.none(), st.floats(-1, 1), st.sampled_from(EXTREMES)),
    "groups": st.integers(0, 4),
    "layout": st.sampled_from(["torch", "jax", "tf"]),
    "mode": st.sampled_from(["fan_in", "fan_out", "fan_avg", "fan_sum"]),
    "nonlinearity": st.sampled_from(_NONLINEARITIES),
    "distribution": st.sampled_from(["truncated_normal", "untruncated_normal", "uniform", "x"]),
    "batch_ndim": st.integers(0, 3),
    "start": st.one_of(st.integers(0, 3000), st.sampled_from([2**56 - 8, 2**62, 2**63, -1])),
    "stop": st.one_of(st.integers(0, 3000), st.sampled_from([2**56, 2**56 + 8, 10**13, 2**64])),
    "tag": st.one_of(st.integers(0, 3), st.sampled_from([2**31, -1])),
    "k0": _key_words,
    "k1": _key_words,
    "ext": st.one_of(_key_words, st.sampled_from([2**32, -1])),
}
BLOCK_DISTRIBUTIONS = st.sampled_from(["uniform", "normal", "trunc_normal", "cauchy"])
BLOCK_PARAMS = ["low", "high", "mean", "std", "a", "b"]

INIT_NAMES = fastinit._EXPORTS["init"]
RANDOM_NAMES = ["key", "block", "uniform", "normal", "trunc_normal", "Key"]
# results of these are random draws: finite whenever they are returned
RANDOM_RESULTS = {
    "uniform", "normal", "trunc_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
    "kaiming_normal", "lecun_uniform", "lecun_normal", "variance_scaling", "sparse",
    "orthogonal", "special_orthogonal",
}  # fmt: skip


def _function(qualified):
    module, name = qualified.split(".")
    return getattr(fr if module == "random" else fastinit, name)


def _parameters(fn):
    """(name, kind) of ``fn``'s parameters, ``**params`` left out."""
    target = fn.__new__ if isinstance(fn, type) else fn
    return [
        (p.name, p.kind)
        for p in inspect.signature(target).parameters.values()
        if p.name != "cls" and p.kind is not p.VAR_KEYWORD
    ]


def test_every_public_name_is_swept():
    """A public initializer or random function added later gets a strategy for each argument
    (or this fails)."""
    assert set(INIT_NAMES) >= {"uniform", "orthogonal", "sparse", "eye"}
    for name in [f"init.{n}" for n in INIT_NAMES] + [f"random.{n}" for n in RANDOM_NAMES]:
        for param, _ in _parameters(_function(name)):
            assert param in VALID or param in ("distribution", "out", "region"), (name, param)


def _names_pattern(names):
    """A refusal names an argument: the word itself (one-letter names followed by ``=``,
    ``must``, ``,``, ``]`` or a quote, so that an article "a" does not count)."""
    words = [
        rf"(?<![\w.]){re.escape(n)}(?=\s*(=|must|,|\]|<|>|'))" if len(n) == 1 else rf"\b{n}\b"
        for n in names
    ]
    return re.compile("|".join(words))


@st.composite
def cases(draw, qualified, focus_region=False):
    """(function, args, kwargs, argument names) for one call of ``qualified``; with
    ``focus_region``, always a ``region`` and no junk in the other arguments (seeds aside)."""
    fn = _function(qualified)
    args, kwargs, names = [], {}, []
    shape, positional, region = None, True, None
    parameters = _parameters(fn)
    for param, kind in parameters:
        names.append(param)
        if param == "out":
            # region= (keyword-only, after out) is drawn first: out has the box's shape
            takes_region = ("region", inspect.Parameter.KEYWORD_ONLY) in parameters
            if takes_region and (focus_region or draw(st.booleans())):
                box_ok = lambda r, whole=shape: _not_big(_box_shape(whole, r))  # noqa: E731
                region = draw(regions(shape).filter(box_ok))
            if draw(st.booleans()):
                box_shape = None if region is None else _box_shape(shape, region)
                kwargs["out"] = draw(outs(shape if box_shape is None else box_shape))
            continue
        if param == "region":
            if region is not None:
                kwargs["region"] = region
            continue
        if param == "distribution" and qualified == "random.block":
            strategy = BLOCK_DISTRIBUTIONS
        else:
            strategy = VALID[param]
        required = kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and param in (
            "shape", "value", "sparsity", "nonlinearity", "distribution", "start", "stop",
            "k0", "k1", "ext",
        )  # fmt: skip
        if not required and draw(st.integers(0, 3)) == 0:
            positional = False  # the default: later arguments go by keyword
            continue
        strategy = strategy if focus_region else mix(strategy)
        value = draw(strategy.filter(_NOT_BIG.get(param, lambda v: True)))
        if param == "shape":
            shape = value
        if kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and positional:
            args.append(value)
        else:
            kwargs[param] = value
    if qualified == "random.block":
        for param in draw(st.lists(st.sampled_from(BLOCK_PARAMS), max_size=3, unique=True)):
            kwargs[param] = draw(mix(VALID[param]))
            names.append(param)
    if "shape" in names and "out" in kwargs and draw(st.booleans()):
        # shape=None: taken from out
        if args:
            args[0] = None
        else:
            kwargs["shape"] = None
    names += ["Key", "k0", "k1", "ext"] if "seed" in names else []
    return fn, args, kwargs, names


def _shape_of(args, kwargs):
    return args[0] if args else kwargs.get("shape")


def _is_absurd(args, kwargs, names):
    if "shape" not in names or "out" not in names:  # compute_fans allocates nothing
        return False
    shape = _shape_of(args, kwargs)
    if kwargs.get("region") is not None:  # only the box is made
        shape = _box_shape(shape, kwargs["region"])
    try:
        dims = fastinit._checks.shape_tuple(shape)
    except (TypeError, ValueError):
        return False
    return math.prod(dims) * 2 > (fastinit._checks.MEMORY_BYTES or math.inf)


def _check_region(qualified, fn, args, kwargs, result):
    """A box has the box's shape and, for a seed that does not change (an int or a Key), the
    bits of that box of the whole tensor made by the same call without ``region``."""
    whole = fastinit._checks.shape_tuple(_shape_of(args, kwargs))
    box = fastinit._checks.box(kwargs["region"], whole)
    assert np.shape(result) == tuple(b - a for a, b in box), (qualified, whole, kwargs["region"])
    seed = kwargs.get("seed")
    deterministic = isinstance(seed, fr.Key) or (
        isinstance(seed, int) and not isinstance(seed, bool)
    )
    if not deterministic or math.prod(whole) > 10**5:
        return
    full_kwargs = {k: v for k, v in kwargs.items() if k not in ("region", "out")}
    full_kwargs["dtype"] = np.asarray(result).dtype
    full = fn(*args, **full_kwargs)
    expected = full[tuple(slice(a, b) for a, b in box)]
    assert np.asarray(result).tobytes() == expected.tobytes(), (qualified, whole, kwargs)


def _check(qualified, case):
    fn, args, kwargs, names = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # np.matrix outputs
        result, error = call(fn, args, kwargs, names=names)
    if error is not None:
        message = str(error)
        assert _names_pattern(names).search(message), (qualified, names, message)
        return
    out = kwargs.get("out")
    if out is not None:
        assert result is out, qualified
    assert not _is_absurd(args, kwargs, names), f"{qualified} accepted an absurd size"
    if kwargs.get("region") is not None:
        _check_region(qualified, fn, args, kwargs, result)
    if qualified.split(".")[1] in RANDOM_RESULTS:
        assert isinstance(result, np.ndarray) and result.dtype.kind == "f", qualified
        assert np.isfinite(np.asarray(result)).all(), (qualified, args, kwargs)


def _sweep(qualified_names, focus_region=False):
    @SWEEP
    @given(st.data())
    def run(data):
        qualified = data.draw(st.sampled_from(qualified_names))
        _check(qualified, data.draw(cases(qualified, focus_region)))

    return run


RANDOM_INITS = [
    "init.uniform", "init.normal", "init.trunc_normal", "init.xavier_uniform",
    "init.xavier_normal", "init.kaiming_uniform", "init.kaiming_normal", "init.lecun_uniform",
    "init.lecun_normal", "init.variance_scaling", "init.sparse",
]  # fmt: skip
DETERMINISTIC = [
    "init.constant", "init.zeros", "init.ones", "init.eye", "init.dirac", "init.calculate_gain",
    "init.compute_fans",
]  # fmt: skip
ORTHOGONAL = ["init.orthogonal", "init.special_orthogonal"]
STREAMS = ["random.key", "random.block", "random.uniform", "random.normal",
           "random.trunc_normal", "random.Key"]  # fmt: skip


# every function that takes region= (the other arguments well-formed, so that boxes are made)
REGIONS = [
    q for q in RANDOM_INITS + DETERMINISTIC + ORTHOGONAL + STREAMS
    if "region" in dict(_parameters(_function(q)))
]  # fmt: skip


def test_sweep_covers_every_public_name():
    swept = {q.split(".")[1] for q in RANDOM_INITS + DETERMINISTIC + ORTHOGONAL + STREAMS}
    assert swept >= set(INIT_NAMES) | set(RANDOM_NAMES)
    # the random initializers take region= (orthogonal ones refuse it: no such argument)
    assert set(REGIONS) >= set(RANDOM_INITS) - set(ORTHOGONAL)
    for q in ORTHOGONAL:
        if q not in REGIONS:
            with pytest.raises(TypeError, match="region"):
                _function(q)((2, 2), seed=0, region=(slice(0, 1),))


def test_sweep_random_initializers():
    _sweep(RANDOM_INITS)()


def test_sweep_deterministic_initializers():
    _sweep(DETERMINISTIC)()


def test_sweep_orthogonal():
    _sweep(ORTHOGONAL)()


def test_sweep_streams_block_and_key():
    _sweep(STREAMS)()


def test_sweep_regions():
    _sweep(REGIONS, focus_region=True)()


# ------------------------------------------------------------------------------ threads ---

_THREADED = [
    lambda shape, seed, dt: fastinit.uniform(shape, -1.0, 2.0, seed=seed, dtype=dt),
    lambda shape, seed, dt: fastinit.normal(shape, 0.5, 2.0, seed=seed, dtype=dt),
    lambda shape, seed, dt: fastinit.trunc_normal(shape, 0.0, 1.0, -0.5, 3.0, seed=seed, dtype=dt),
    lambda shape, seed, dt: fastinit.trunc_normal(shape, 0.0, 1.0, 3.5, 9.0, seed=seed, dtype=dt),
    lambda shape, seed, dt: fastinit.kaiming_normal(shape, seed=seed, dtype=dt),
    lambda shape, seed, dt: fastinit.lecun_normal(shape, seed=seed, dtype=dt),
    lambda shape, seed, dt: fastinit.sparse(shape[:2], 0.3, seed=seed, dtype=dt),
    lambda shape, seed, dt: fastinit.orthogonal(  # 32 to 52 matrices: threaded when 2
        (shape[0] // 8, 32, 32), batch_ndim=1, seed=seed, dtype=dt
    ),
]


@SWEEP
@given(
    st.sampled_from(range(len(_THREADED))),
    st.tuples(st.integers(256, 420), st.integers(256, 320)),
    st.one_of(st.integers(0, 2**64), st.builds(fr.Key, _key_words, _key_words, _key_words)),
    st.sampled_from([np.float16, np.float32, np.float64]),
    st.booleans(),
)
def test_sweep_one_and_two_threads_give_the_same_bits(which, shape, seed, dtype, strided):
    """65536 to 134400 elements: past the threading threshold (2^16), still small."""
    fn = _THREADED[which]
    one, two = (with_threads(n, lambda: fn(shape, seed, dtype)) for n in (1, 2))
    assert one.tobytes() == two.tobytes()
    if strided and which < 6:  # the piecewise fill of a strided out= gives the same bits
        out = np.zeros(shape[::-1], dtype).T
        fn_out = {
            0: lambda: fastinit.uniform(None, -1.0, 2.0, seed=seed, out=out),
            1: lambda: fastinit.normal(None, 0.5, 2.0, seed=seed, out=out),
            2: lambda: fastinit.trunc_normal(None, 0.0, 1.0, -0.5, 3.0, seed=seed, out=out),
            3: lambda: fastinit.trunc_normal(None, 0.0, 1.0, 3.5, 9.0, seed=seed, out=out),
            4: lambda: fastinit.kaiming_normal(None, seed=seed, out=out),
            5: lambda: fastinit.lecun_normal(None, seed=seed, out=out),
        }[which]
        with_threads(2, fn_out)
        assert np.array_equal(out, one)
