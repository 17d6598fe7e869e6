"""Values, strategies and checks shared by the sweeps of fastinit.metrics and fastinit.dask.

The sweeps (``pytest -m sweep``): ``test_sweep_metrics.py`` (the one-shot functions),
``test_sweep_metrics_streaming.py`` (the accumulators), ``test_sweep_dask.py`` and
``test_sweep_metrics_threads.py``. They feed label and target arrays, weights and options drawn
from well-formed values and from :func:`tests.sweep.junk`; see :mod:`tests.sweep` for what every
call must do.
"""

import inspect
import warnings

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

import fastinit.metrics as M
from fastinit.metrics import regression
from tests import sweep
from tests.sweep import EXAMPLES, SWEEP

# a tenth of the cases for dask (each call builds a graph), a hundredth for the thread property
# (each case counts 2^17 or more samples twice)
FEW = settings(SWEEP, max_examples=max(1, EXAMPLES // 10))
FEWEST = settings(SWEEP, max_examples=max(1, EXAMPLES // 100))

REGRESSION = set(regression.__all__)
FUNCTIONS = [
    name
    for name in M.__all__
    if callable(getattr(M, name)) and not isinstance(getattr(M, name), type)
]
CLASSIFICATION = [name for name in FUNCTIONS if name not in REGRESSION]
# the metrics the accumulators compute too, as methods of the same name
ACCUMULATOR_METHODS = [name for name in CLASSIFICATION if hasattr(M.ConfusionMatrix, name)]
STATS_METHODS = [name for name in regression.__all__ if hasattr(M.RegressionStats, name)]


def _sized(value):
    """Integers that are large but could be honoured (a 30000-class matrix takes 7 GB, a report
    with 10^8 digits gigabytes) become absurd ones, which must be refused before allocating:
    the sweep shares its machine and must not fill its memory."""
    integer = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    return 10**12 if integer and 10**4 < value < 10**12 else value


def junk():
    """:func:`tests.sweep.junk`, large integers made absurd (see :func:`_sized`)."""
    return sweep.junk().map(_sized)


_LABEL_VALUES = {
    "int": st.integers(-2, 4),
    "str": st.sampled_from(["a", "b", "c", "d"]),
    "bool": st.booleans(),
    "float": st.sampled_from([0.0, 1.0, 2.0, -1.0]),
}
_DTYPES = [None, np.int8, np.uint8, np.int32, np.uint64, ">i8", np.float32]


@st.composite
def label_pair(draw, n=None):
    """(y_true, y_pred) of one length: integers of several dtypes, strings, bools, integral
    floats, object arrays, huge uint64 labels or 0/1 indicator matrices."""
    n = draw(st.integers(1, 10)) if n is None else n
    kind = draw(st.sampled_from([*_LABEL_VALUES, "multilabel", "huge", "object"]))
    if kind == "multilabel":
        k = draw(st.integers(1, 4))
        cells = st.lists(st.integers(0, 1), min_size=n * k, max_size=n * k)
        return tuple(np.array(draw(cells)).reshape(n, k) for _ in range(2))
    if kind == "huge":  # uint64 labels past 2^53 (distinct, but not as float64)
        values = st.lists(st.sampled_from([0, 2**53, 2**53 + 1, 2**64 - 1]), min_size=n, max_size=n)
        return tuple(np.array(draw(values), np.uint64) for _ in range(2))
    if kind == "object":
        values = st.lists(st.sampled_from([0, 1, 2]), min_size=n, max_size=n)
        return tuple(np.array(draw(values), dtype=object) for _ in range(2))
    values = st.lists(_LABEL_VALUES[kind], min_size=n, max_size=n)
    out = []
    for _ in range(2):
        a = np.array(draw(values))
        if kind == "int":
            dtype = draw(st.sampled_from(_DTYPES))
            if dtype is not None and (np.dtype(dtype).kind != "u" or a.min() >= 0):
                a = a.astype(dtype)
        out.append(a)
    return tuple(out)


@st.composite
def weights(draw, n):
    """Valid-looking weights of length ``n``: floats, ints, zeros, negatives, odd dtypes."""
    kind = draw(st.sampled_from(["none", "float", "int", "zeros", "half", "uint64", "scalar"]))
    if kind == "none":
        return None
    if kind == "scalar":
        return draw(st.sampled_from([1, 2.5, 0]))
    if kind == "zeros":
        return np.zeros(n)
    if kind == "int":
        return np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    if kind == "uint64":
        values = st.lists(st.sampled_from([0, 1, 2**63, 2**64 - 1]), min_size=n, max_size=n)
        return np.array(draw(values), np.uint64)
    floats = st.floats(-1, 10, allow_nan=False, width=16 if kind == "half" else 64)
    w = np.array(draw(st.lists(floats, min_size=n, max_size=n)))
    return w.astype(np.float16) if kind == "half" else w


LABEL_OPTIONS = st.sampled_from(
    [None, [0, 1], [1, 0], [0, 1, 2], [2], ["a", "b"], ["b"], [True, False], [0, 0, 1], []]
)
_KEYWORDS = {
    "labels": LABEL_OPTIONS,
    "average": st.sampled_from([None, "binary", "micro", "macro", "weighted", "samples"]),
    "pos_label": st.sampled_from([1, 0, 2, "a", "b", True, None]),
    "zero_division": st.sampled_from(["warn", 0, 1, 0.0, 1.0, np.nan]),
    "normalize": st.sampled_from([True, False, None, "true", "pred", "all"]),
    "beta": st.sampled_from([0.0, 0.5, 1.0, 2.0, np.inf]),
    "weights": st.sampled_from([None, "linear", "quadratic"]),
    "replace_undefined_by": st.sampled_from([np.nan, 0.0, -1.0]),
    "target_names": st.sampled_from([None, ["x", "y"], ["x", "y", "z"], ["x"]]),
    "digits": st.integers(0, 5),
    "output_dict": st.booleans(),
    "samplewise": st.booleans(),
    "adjusted": st.booleans(),
    "warn_for": st.sampled_from([("precision",), ("recall", "f-score"), ()]),
    "k": st.integers(1, 4),
    "multioutput": st.sampled_from(
        ["raw_values", "uniform_average", "variance_weighted", [0.5, 0.5], [1.0, 2.0, 3.0]]
    ),
    "force_finite": st.booleans(),
}
_ABSENT = object()


@st.composite
def keywords(draw, fn, skip=("sample_weight",)):
    """Keyword-only options of ``fn``: absent, well-formed or junk (a third each, roughly)."""
    out = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind is not param.KEYWORD_ONLY or name in skip:
            continue
        valid = _KEYWORDS.get(name, junk())
        value = draw(st.one_of(st.just(_ABSENT), valid, junk()))
        if value is _ABSENT:
            if param.default is param.empty:  # required (fbeta_score's beta)
                out[name] = draw(valid)
            continue
        out[name] = value
    return out


def arg_names(fn):
    return list(inspect.signature(fn).parameters) + ["y_true", "y_pred", "labels"]


def sklearn_result(name, args, kwargs):
    """scikit-learn's result, or None when it refuses (or does not have the function)."""
    skm = pytest.importorskip("sklearn.metrics")
    fn = getattr(skm, name, None)
    if fn is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (fn(*[snapshot_copy(a) for a in args], **kwargs),)
    except Exception:  # noqa: BLE001 - scikit-learn refusing is not the question here
        return None


def snapshot_copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def assert_same(got, expected, what, rtol=1e-9):
    """Equal structure and values (floats to ``rtol``, NaN equal to NaN)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), what
        for key in expected:
            assert_same(got[key], expected[key], f"{what}[{key!r}]", rtol)
        return
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(expected), what
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_same(a, b, f"{what}[{i}]", rtol)
        return
    if expected is None or isinstance(expected, str):
        assert got == expected, (what, got, expected)
        return
    a, b = np.asarray(got), np.asarray(expected)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    if b.dtype.kind in "biuf" and a.dtype.kind in "biuf":
        finite = np.abs(b[np.isfinite(b)])
        scale = max(1.0, float(finite.max())) if finite.size else 1.0
        np.testing.assert_allclose(
            a.astype(float), b.astype(float), rtol=rtol, atol=rtol * 1e-3 * scale, err_msg=what
        )
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)
