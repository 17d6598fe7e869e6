"""Bad-input sweep of fastinit.metrics and fastinit.dask (opt-in: ``pytest -m sweep``).

Every public metric function (``fastinit.metrics.__all__``), the streaming accumulators and the
dask entry points are fed label and target arrays, weights and options drawn from well-formed
values and from :func:`tests.sweep.junk`. Each call returns or refuses with a ValueError or
TypeError naming an argument, leaves its inputs (accumulators included) as they were when it
refuses, and, where scikit-learn also returns a value, agrees with it. Reductions (weighted
confusion matrices, regression moments, accumulators) are the same bits on 1 and 2 threads.

Cases per test: ``FASTINIT_SWEEP_EXAMPLES`` (10^4 by default) for the functions and the
accumulators; a tenth of it for dask (each call builds a graph) and a hundredth for the thread
property (each case counts 2^17 or more samples twice).
"""

import faulthandler
import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit.metrics as M
from fastinit.metrics import regression
from tests import sweep
from tests._helpers import with_threads
from tests.sweep import EXAMPLES, SWEEP, assert_unchanged, call, snapshot

pytestmark = pytest.mark.sweep

skm = pytest.importorskip("sklearn.metrics")

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


def test_the_sweep_covers_every_public_function():
    covered = set(CLASSIFICATION) | REGRESSION | {"ConfusionMatrix", "RegressionStats"}
    assert set(M.__all__) - {"UndefinedMetricWarning"} == covered


# --------------------------------------------------------------------------------- values ---


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


_LABEL_OPTIONS = st.sampled_from(
    [None, [0, 1], [1, 0], [0, 1, 2], [2], ["a", "b"], ["b"], [True, False], [0, 0, 1], []]
)
_KEYWORDS = {
    "labels": _LABEL_OPTIONS,
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


def _names(fn):
    return list(inspect.signature(fn).parameters) + ["y_true", "y_pred", "labels"]


def _sklearn(name, args, kwargs):
    """scikit-learn's result, or None when it refuses (or does not have the function)."""
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


# --------------------------------------------------------------------- one-shot functions ---


@st.composite
def classification_case(draw):
    name = draw(st.sampled_from(CLASSIFICATION))
    fn = getattr(M, name)
    y_true, y_pred = draw(label_pair())
    n = len(y_true)
    if name == "top_k_accuracy_score":
        cols = draw(st.integers(1, 4))
        scores = st.lists(st.floats(0, 1), min_size=n * cols, max_size=n * cols)
        y_pred = np.array(draw(scores)).reshape(n, cols)
        if cols == 1:
            y_pred = y_pred[:, 0]
    y_true = draw(st.one_of(st.just(y_true), st.just(y_true), junk()))
    y_pred = draw(st.one_of(st.just(y_pred), st.just(y_pred), junk()))
    kwargs = draw(keywords(fn))
    if "sample_weight" in inspect.signature(fn).parameters:
        w = draw(st.one_of(weights(n), weights(n), junk()))
        if w is not None:
            kwargs["sample_weight"] = w
    return name, fn, (y_true, y_pred), kwargs


@SWEEP
@given(case=classification_case())
def test_sweep_classification_functions(case):
    name, fn, args, kwargs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, error = call(fn, args, kwargs, names=_names(fn))
    if error is None:
        expected = _sklearn(name, args, kwargs)
        if expected is not None:
            assert_same(got, expected[0], name)


def _dtypes(args):
    return {a.dtype for a in args if isinstance(a, np.ndarray)}


@st.composite
def regression_case(draw):
    name = draw(st.sampled_from(sorted(REGRESSION)))
    fn = getattr(M, name)
    n = draw(st.integers(1, 8))
    k = draw(st.sampled_from([None, 1, 2, 3]))
    shape = (n,) if k is None else (n, k)
    size = int(np.prod(shape))
    floats = st.one_of(
        st.floats(-10, 10), st.sampled_from([0.0, 1e6, -1e-300, 1e300, np.nan, np.inf])
    )
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16, np.int64, ">f8", bool]))
    y = [
        np.array(draw(st.lists(floats, min_size=size, max_size=size))).reshape(shape)
        for _ in range(2)
    ]
    if dtype is not np.float64:
        with np.errstate(all="ignore"):
            y = [a.astype(dtype) if np.isfinite(a).all() else a for a in y]
    y_true = draw(st.one_of(st.just(y[0]), st.just(y[0]), junk()))
    y_pred = draw(st.one_of(st.just(y[1]), st.just(y[1]), junk()))
    kwargs = draw(keywords(fn))
    if "sample_weight" in inspect.signature(fn).parameters:
        w = draw(st.one_of(weights(n), weights(n), junk()))
        if w is not None:
            kwargs["sample_weight"] = w
    return name, fn, (y_true, y_pred), kwargs


@SWEEP
@given(case=regression_case())
def test_sweep_regression_functions(case):
    name, fn, args, kwargs = case
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        got, error = call(fn, args, kwargs, names=_names(fn))
    if error is None:
        # scikit-learn computes in float32 for float32 input (fastinit sums in float64), and in
        # float16 for float16 input, where its eps underflows (0 / 0 in the percentage error):
        # no reference there
        dtypes = _dtypes([*args, kwargs.get("sample_weight")])
        expected = None if np.float16 in dtypes else _sklearn(name, args, kwargs)
        if expected is not None:
            assert_same(got, expected[0], name, 1e-5 if np.float32 in dtypes else 1e-9)


# ------------------------------------------------------------------------ the accumulators ---


def _step_unchanged(acc, fn, args, kwargs, names, what):
    """Call ``fn``; on a refusal ``acc`` must be as it was. Returns (result, error)."""
    before = snapshot(acc)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result, error = call(fn, args, kwargs, names=names)
    if error is not None:
        assert_unchanged(before, acc, what)
    return result, error


@st.composite
def confusion_ctor(draw):
    kind = draw(st.sampled_from(["free", "free", "num_classes", "labels", "junk"]))
    if kind == "free":
        return {}
    if kind == "num_classes":
        return {"num_classes": draw(st.one_of(st.integers(1, 6), junk()))}
    if kind == "labels":
        return {"labels": draw(st.one_of(_LABEL_OPTIONS, junk()))}
    return {draw(st.sampled_from(["num_classes", "labels"])): draw(junk())}


UPDATE_NAMES = ["y_true", "y_pred", "sample_weight"]


@st.composite
def batch(draw):
    y_true, y_pred = draw(label_pair())
    n = len(y_true)
    w = draw(st.one_of(weights(n), weights(n), junk()))
    y_true = draw(st.one_of(st.just(y_true), st.just(y_true), st.just(y_true), junk()))
    y_pred = draw(st.one_of(st.just(y_pred), st.just(y_pred), st.just(y_pred), junk()))
    return y_true, y_pred, w


@SWEEP
@given(data=st.data())
def test_sweep_confusion_matrix_accumulator(data):
    draw = data.draw
    ctor = draw(confusion_ctor())
    cm, error = call(M.ConfusionMatrix, (), ctor, names=["num_classes", "labels"])
    if error is not None:
        return
    accepted = []  # the batches now in cm, for the streaming == one-shot check
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["update", "update", "merge", "result"]))
        if op == "update":
            t, p, w = draw(batch())
            _, error = _step_unchanged(cm, cm.update, (t, p, w), None, UPDATE_NAMES, "cm")
            if error is None:
                accepted.append((t, p, w))
        elif op == "merge":
            other = M.ConfusionMatrix(**draw(st.sampled_from([{}, {}, {"num_classes": 3}])))
            batches = []
            for t, p, w in [draw(batch()) for _ in range(draw(st.integers(0, 2)))]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        other.update(t, p, w)
                        batches.append((t, p, w))
                    except (ValueError, TypeError):
                        pass
            arg = draw(st.one_of(st.just(other), st.just(other), st.just(other), junk()))
            other_before = snapshot(other)
            _, error = _step_unchanged(cm, cm.merge, (arg,), None, ["other"], "cm")
            assert_unchanged(other_before, other, "the merged accumulator")
            if error is None:
                accepted += batches
        else:
            method = draw(st.sampled_from(ACCUMULATOR_METHODS))
            fn = getattr(cm, method)
            kwargs = draw(keywords(fn, skip=()))
            before = snapshot(cm)
            _step_unchanged(cm, fn, (), kwargs, list(kwargs) + ["sample_weight", "no samples"],
                            "cm")  # fmt: skip
            assert_unchanged(before, cm, "cm (a result method)")
    _check_confusion_stream(cm, accepted)


def _check_confusion_stream(cm, accepted):
    """The accumulated matrix equals the one-shot count of the accepted batches."""
    if not accepted or cm.classes.dtype.kind not in "biu":
        return
    if any(np.asarray(t).dtype.kind not in "biu" for t, _, _ in accepted):
        return
    expected = np.zeros(cm.matrix.shape)
    index = {int(c): i for i, c in enumerate(cm.classes)}
    for t, p, w in accepted:
        n = len(t)
        w = np.broadcast_to(np.ones(n) if w is None else np.asarray(w, np.float64), (n,))
        flat = [np.asarray(a).reshape(-1).tolist() for a in (t, p)]
        pairs = zip(*flat, strict=True)
        for (a, b), x in zip(pairs, w, strict=True):
            if int(a) in index and int(b) in index:
                expected[index[int(a)], index[int(b)]] += x
    scale = sum(np.abs(np.asarray(w, np.float64)).sum() if w is not None else len(t)
                for t, _, w in accepted)  # fmt: skip
    np.testing.assert_allclose(cm.matrix.astype(float), expected, rtol=1e-12, atol=1e-12 * scale)


@st.composite
def regression_batch(draw, k):
    n = draw(st.integers(1, 6))
    shape = (n,) if k is None else (n, k)
    floats = st.one_of(st.floats(-100, 100), st.sampled_from([1e6, np.nan, np.inf]))
    size = int(np.prod(shape))
    y = [
        np.array(draw(st.lists(floats, min_size=size, max_size=size))).reshape(shape)
        for _ in range(2)
    ]
    w = draw(st.one_of(weights(n), weights(n), junk()))
    y_true = draw(st.one_of(st.just(y[0]), st.just(y[0]), st.just(y[0]), junk()))
    y_pred = draw(st.one_of(st.just(y[1]), st.just(y[1]), st.just(y[1]), junk()))
    return y_true, y_pred, w


@SWEEP
@given(data=st.data())
def test_sweep_regression_stats_accumulator(data):
    draw = data.draw
    k = draw(st.sampled_from([None, 2]))
    stats = M.RegressionStats()
    accepted = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["update", "update", "merge", "result"]))
        if op == "update":
            t, p, w = draw(regression_batch(k))
            _, error = _step_unchanged(stats, stats.update, (t, p, w), None, UPDATE_NAMES, "stats")
            if error is None:
                accepted.append((t, p, w))
        elif op == "merge":
            other = M.RegressionStats()
            batches = []
            for t, p, w in [draw(regression_batch(draw(st.sampled_from([k, 2, None]))))]:
                try:
                    other.update(t, p, w)
                    batches.append((t, p, w))
                except (ValueError, TypeError):
                    pass
            arg = draw(st.one_of(st.just(other), st.just(other), junk()))
            other_before = snapshot(other)
            _, error = _step_unchanged(stats, stats.merge, (arg,), None, ["other"], "stats")
            assert_unchanged(other_before, other, "the merged accumulator")
            if error is None:
                accepted += batches
        else:
            method = draw(st.sampled_from(STATS_METHODS))
            fn = getattr(stats, method)
            kwargs = draw(keywords(fn, skip=()))
            before = snapshot(stats)
            _step_unchanged(stats, fn, (), kwargs, list(kwargs) + ["sample_weight", "no samples"],
                            "stats")  # fmt: skip
            assert_unchanged(before, stats, "stats (a result method)")
    _check_regression_stream(stats, accepted)


def _check_regression_stream(stats, accepted):
    """Streaming equals one-shot on the concatenated batches (mean squared error, r2)."""
    if not accepted:
        return
    try:
        t = np.concatenate([np.asarray(t, np.float64).reshape(len(t), -1) for t, _, _ in accepted])
        p = np.concatenate([np.asarray(p, np.float64).reshape(len(p), -1) for _, p, _ in accepted])
        w = np.concatenate([
            np.broadcast_to(np.ones(len(t)) if w is None else np.asarray(w, np.float64), (len(t),))
            for t, _, w in accepted
        ])  # fmt: skip
    except (ValueError, TypeError):
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for name in ("mean_squared_error", "mean_absolute_error"):
            try:
                expected = getattr(M, name)(t, p, sample_weight=w, multioutput="raw_values")
            except (ValueError, TypeError):
                continue
            got = getattr(stats, name)(multioutput="raw_values")
            if np.isfinite(expected).all() and np.abs(w).sum() < 1e6 * abs(w.sum()):
                np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9, err_msg=name)


# ------------------------------------------------------------------------------------- dask ---


def _call_dask(fn, args, kwargs, names, sources):
    """:func:`tests.sweep.call` for dask inputs: a dask array caches graph details on itself,
    so the unchanged-input check looks at the NumPy array it was made from (``sources``)."""

    def plain(values):
        return [sources.get(id(v), v) for v in values]

    before = snapshot((plain(args), plain(kwargs.values())))
    faulthandler.dump_traceback_later(sweep.HANG_SECONDS, exit=True)
    try:
        return fn(*args, **kwargs), None
    except (ValueError, TypeError) as error:
        assert any(name in str(error) for name in names), (
            f"{type(error).__name__} does not name any of {names}: {str(error)!r}"
        )
        assert_unchanged(before, (plain(args), plain(kwargs.values())), "an input")
        return None, error
    finally:
        faulthandler.cancel_dump_traceback_later()


@FEW
@given(data=st.data())
def test_sweep_dask(data):
    da = pytest.importorskip("dask.array")
    fd = pytest.importorskip("fastinit.dask")
    draw = data.draw
    n = draw(st.integers(0, 12))
    chunks = draw(st.sampled_from([1, 2, 5, (n,) if n else 1]))
    sources = {}

    def wrap(a):
        if isinstance(a, np.ndarray) and a.ndim >= 1 and draw(st.booleans()):
            fits = isinstance(chunks, int) or sum(chunks) == a.shape[0]
            wrapped = da.from_array(a, chunks=((chunks if fits else -1),) + a.shape[1:])
            sources[id(wrapped)] = a
            return wrapped
        return a

    w = draw(st.one_of(weights(n), junk()))
    w = wrap(w) if isinstance(w, np.ndarray) else w
    if draw(st.booleans()):
        k = draw(st.one_of(st.integers(1, 5), junk()))
        values = st.lists(st.integers(0, 4), min_size=n, max_size=n)
        dtype = draw(st.sampled_from([np.int64, np.int32, ">i4", ">i8", np.uint8, bool]))
        t = np.array(draw(values)).astype(dtype)
        p = np.array(draw(values)).astype(dtype)
        t = wrap(draw(st.one_of(st.just(t), st.just(t), junk())))
        p = wrap(draw(st.one_of(st.just(p), st.just(p), junk())))
        kwargs = {"num_classes": k, "sample_weight": w}
        if draw(st.booleans()):
            kwargs["compute"] = draw(st.one_of(st.booleans(), junk()))
        names = _names(fd.confusion_matrix)
        got, error = _call_dask(fd.confusion_matrix, (t, p), kwargs, names, sources)
        if error is None and not isinstance(got, np.ndarray):
            got, error = call(got.compute, names=_names(fd.confusion_matrix))
        if error is None:
            expected = np.zeros((k, k))
            weight = np.ones(n) if w is None else np.asarray(w, np.float64)
            for a, b, x in zip(np.asarray(t).astype(np.int64), np.asarray(p).astype(np.int64),
                               np.broadcast_to(weight, (n,)), strict=True):  # fmt: skip
                expected[a, b] += x
            np.testing.assert_allclose(got, expected, rtol=1e-12)
    else:
        k = draw(st.sampled_from([None, 1, 2]))
        shape = (n,) if k is None else (n, k)
        floats = st.floats(-100, 100)
        size = int(np.prod(shape))
        t, p = (np.array(draw(st.lists(floats, min_size=size, max_size=size))).reshape(shape)
                for _ in range(2))  # fmt: skip
        t = wrap(draw(st.one_of(st.just(t), st.just(t), junk())))
        p = wrap(draw(st.one_of(st.just(p), st.just(p), junk())))
        names = _names(fd.regression_stats)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            kwargs = {"sample_weight": w}
            stats, error = _call_dask(fd.regression_stats, (t, p), kwargs, names, sources)
            if error is None:
                got, error = call(stats.mean_squared_error, (), {"multioutput": "raw_values"},
                                  names=["sample_weight"])  # fmt: skip
                if error is None:
                    expected = M.mean_squared_error(
                        np.asarray(t), np.asarray(p), sample_weight=np.asarray(w) if w is not None
                        else None, multioutput="raw_values"
                    )  # fmt: skip
                    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------- threads, same bits ---


def _bits(value):
    if isinstance(value, tuple):
        return tuple(_bits(v) for v in value)
    return np.asarray(value).tobytes()


@FEWEST
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2 * (1 << 16), 3 * (1 << 16)),
    k=st.integers(2, 40),
    weighted=st.sampled_from(["float", "int", "half"]),
)
def test_sweep_same_bits_on_one_and_two_threads(seed, n, k, weighted):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, n)
    p = np.where(rng.random(n) < 0.6, t, rng.integers(0, k, n))
    w = {"float": rng.random(n) * 3, "int": rng.integers(0, 4, n)}.get(weighted)
    if w is None:
        w = rng.random(n).astype(np.float16)
    yt = 1e3 + rng.normal(size=(n, 2))
    yp = yt + rng.normal(size=(n, 2))

    def run():
        out = [M.confusion_matrix(t, p, sample_weight=w), M.f1_score(t, p, average="macro",
               sample_weight=w)]  # fmt: skip
        for name in ("mean_squared_error", "mean_absolute_error", "r2_score",
                     "explained_variance_score", "mean_absolute_percentage_error"):  # fmt: skip
            out.append(getattr(M, name)(yt, yp, sample_weight=w, multioutput="raw_values"))
        cm, stats = M.ConfusionMatrix(), M.RegressionStats()
        for part in np.array_split(np.arange(n), 3):
            cm.update(t[part], p[part], w[part])
            stats.update(yt[part], yp[part], w[part])
        out += [cm.matrix, cm.cohen_kappa_score(), stats.r2_score(multioutput="raw_values")]
        return _bits(tuple(out))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert with_threads(1, run) == with_threads(2, run)
