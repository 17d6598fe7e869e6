"""fastinit.metrics' regression functions and top_k_accuracy_score on dask arrays equal them on
NumPy arrays (results, warnings, exceptions), chunk by chunk without gathering an input; the
exact median of the errors in every path of its selection."""

import pickle

import numpy as np
import pytest

import fastinit.metrics as M
from fastinit.metrics import _median
from fastinit.metrics._exceptions import DaskUnsupportedError
from tests._dask_cases import chunked, da, no_gather, outcome, same_as_in_memory

fd = pytest.importorskip("fastinit.dask")

# (function, keyword arguments) of every regression function
CASES = [
    ("mean_squared_error", {}),
    ("mean_squared_error", {"multioutput": "raw_values"}),
    ("root_mean_squared_error", {}),
    ("mean_absolute_error", {"multioutput": "raw_values"}),
    ("mean_absolute_percentage_error", {}),
    ("median_absolute_error", {}),
    ("median_absolute_error", {"multioutput": "raw_values"}),
    ("r2_score", {}),
    ("r2_score", {"multioutput": "variance_weighted"}),
    ("r2_score", {"force_finite": False, "multioutput": "raw_values"}),
    ("explained_variance_score", {"multioutput": "raw_values"}),
]

# (outputs, dtype, weighted, row chunks)
DATA = [
    (1, np.float64, False, 50),
    (1, np.float32, True, (100, 0, 150, 51)),
    (3, np.float64, True, 64),
    (2, np.float32, False, (301,)),
    (1, np.int64, True, 33),
]


def _targets(k, dtype, n=301, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n,) if k == 1 else (n, k)
    t = 100.0 + 10.0 * rng.normal(size=shape)
    p = t + rng.normal(size=shape)
    if k > 1:
        p[:, 0] = t[:, 0]  # a perfect output: r2 and explained variance hit their special cases
    if np.dtype(dtype).kind == "i":
        return np.round(t).astype(dtype), np.round(p).astype(dtype)
    return t.astype(dtype), p.astype(dtype)


@pytest.mark.parametrize("k, dtype, weighted, chunks", DATA, ids=lambda v: str(v))
def test_every_regression_function_equals_in_memory(k, dtype, weighted, chunks):
    t, p = _targets(k, dtype)
    w = np.random.default_rng(1).random(len(t)) if weighted else None
    dask_args = [chunked(x, chunks) for x in (t, p, w)]
    for name, kwargs in CASES:
        if k == 1 and kwargs.get("multioutput") == "raw_values" and name == "r2_score":
            kwargs = {"force_finite": False}
        # merged moments add in another order than the in-memory tasks: r2 near 1 keeps its
        # relative error, the others are exact ratios of sums
        same_as_in_memory(getattr(M, name), dask_args, (t, p, w), rtol=1e-10, **kwargs)
    if k == 1:
        same_as_in_memory(M.max_error, dask_args[:2], (t, p))


def test_numpy_beside_dask_and_one_column_beside_a_vector():
    t, p = _targets(1, np.float64, n=120)
    for dask_args in [(chunked(t, 40), p), (t, chunked(p[:, None], 25)), (chunked(t, 7), 2.0 + t)]:
        numpy_args = tuple(np.asarray(a) if not isinstance(a, da.Array) else a.compute()
                           for a in dask_args)  # fmt: skip
        for name in ("r2_score", "mean_absolute_error", "median_absolute_error"):
            same_as_in_memory(getattr(M, name), dask_args, numpy_args)
    same_as_in_memory(M.mean_squared_error, (chunked(t, 40), p, 3), (t, p, 3))  # scalar weight


@pytest.mark.parametrize(
    "case",
    ["nan", "inf-pred", "zero-weights", "nan-weight", "length", "outputs", "empty", "strings",
     "3-d", "multioutput-name", "multioutput-weights", "max-error-2d", "one-sample"],
)  # fmt: skip
def test_refusals_and_warnings_equal_in_memory(case):
    t, p = _targets(1, np.float64, n=40)
    w, kwargs, names = None, {}, ["mean_squared_error", "r2_score", "median_absolute_error"]
    if case == "nan":
        t[33] = np.nan
    elif case == "inf-pred":
        p[3] = np.inf
    elif case == "zero-weights":
        w = np.zeros(40)
    elif case == "nan-weight":
        w = np.ones(40)
        w[39] = np.nan
    elif case == "length":
        p = p[:-1]
    elif case == "outputs":
        t, p = np.c_[t, t], np.c_[p, p, p]
    elif case == "empty":
        t, p = t[:0], p[:0]
    elif case == "strings":
        t = t.astype(str)
    elif case == "3-d":
        t, p = t.reshape(2, 4, 5), p.reshape(2, 4, 5)
    elif case == "multioutput-name":
        kwargs = {"multioutput": "sideways"}
    elif case == "multioutput-weights":
        t, p, kwargs = np.c_[t, t], np.c_[p, p], {"multioutput": [1.0, 2.0, 3.0]}
    elif case == "max-error-2d":
        t, p, names = np.c_[t, t], np.c_[p, p], ["max_error"]
    else:  # r2 of one sample: nan and a warning
        t, p, names = t[:1], p[:1], ["r2_score"]
    chunks = 8 if len(t) else 1
    for name in names:
        fn = getattr(M, name)
        if name == "max_error":
            dask_args, numpy_args = (chunked(t, chunks), chunked(p, chunks)), (t, p)
        else:
            dask_args = (chunked(t, chunks), chunked(p, chunks), chunked(w, chunks))
            numpy_args = (t, p, w)
        got = same_as_in_memory(fn, dask_args, numpy_args, **kwargs)
        # strings of numbers: taken where scikit-learn asks for floats, refused by the median
        taken = case == "one-sample" or (case == "strings" and name != "median_absolute_error")
        if not taken:
            assert isinstance(got, tuple) and issubclass(got[0], (ValueError, TypeError)), got


def test_no_input_is_gathered(monkeypatch):
    t, p = _targets(2, np.float64, n=200)
    w = np.linspace(0.0, 2.0, 200)
    dt, dp, dw = chunked(t, 30), chunked(p, 30), chunked(w, 30)
    monkeypatch.setattr(_median, "GATHER_MAX", 10)  # every pass of the median, and a gather
    with no_gather(monkeypatch, rows=200):
        for name, kwargs in CASES:
            out, _ = outcome(getattr(M, name), dt, dp, sample_weight=dw, **kwargs)
            assert not (isinstance(out, tuple) and out[0] is AssertionError), (name, out)
        out, _ = outcome(M.max_error, dt[:, 0], dp[:, 0])
        assert not isinstance(out, tuple), out
        stats = M.RegressionStats()
        stats.update(dt, dp, dw)
        scores = da.from_array(np.random.default_rng(0).random((200, 4)), chunks=(30, 2))
        out, _ = outcome(M.top_k_accuracy_score, chunked(np.arange(200) % 4, 30), scores)
        assert not isinstance(out, tuple), out


# ----------------------------------------------------------------------------- median ---


@pytest.mark.parametrize("gather_max", [1, 5, 1 << 18])
@pytest.mark.parametrize("n", [1, 2, 199, 200])
def test_median_in_every_path_of_the_selection(monkeypatch, gather_max, n):
    """Small GATHER_MAX forces passes over all the digits, tied values found without a
    gather, and medians whose second value lies in another bucket."""
    monkeypatch.setattr(_median, "GATHER_MAX", gather_max)
    rng = np.random.default_rng(n)
    t = rng.normal(size=(n, 3))
    p = t.copy()
    p[:, 0] += rng.normal(size=n)  # distinct errors
    p[:, 1] += rng.integers(0, 3, n)  # a few values, many ties
    p[:, 2] += np.where(np.arange(n) % 2, 1e-30, 1e30)  # errors far apart
    w = rng.integers(0, 3, n).astype(float)  # integer weights: cumulative weights land on half
    w[0] = 1.0
    ones = np.ones(n)  # even n: half the weight ends exactly at an error
    for args in [(t, p), (t, p, w), (t, p, ones), (t.astype(np.float32), p.astype(np.float32), w)]:
        dask_args = tuple(chunked(a, 17) for a in args)
        got = same_as_in_memory(
            M.median_absolute_error, dask_args, args, rtol=0, multioutput="raw_values"
        )
        assert not isinstance(got, tuple) or not isinstance(got[0], type), got


def test_median_weights_must_not_be_negative():
    t = np.arange(10.0)
    w = np.ones(10)
    w[3] = -1
    with pytest.raises(DaskUnsupportedError, match="sample_weight has negative weights"):
        M.median_absolute_error(chunked(t, 4), chunked(t + 1, 4), sample_weight=chunked(w, 4))


# ------------------------------------------------------------------------------ top-k ---


@pytest.mark.parametrize("chunks", [25, (100,), (40, 0, 60)])
def test_top_k_accuracy_equals_in_memory(chunks):
    rng = np.random.default_rng(2)
    t = rng.integers(0, 4, 100)
    score = rng.random((100, 4))
    w = rng.random(100)
    binary = t % 2
    cases = [
        ((t, score), {"k": 2}),
        ((t, score, w), {"k": 1, "normalize": False}),
        ((t, score[:, :3]), {"k": 2}),  # refused: 4 classes, 3 score columns
        ((t, score, np.zeros(100)), {"k": 2}),  # refused where it normalizes
        ((t, score, np.zeros(100)), {"k": 2, "normalize": False}),
        ((t, score), {"k": 4}),  # a warning
        ((t, np.c_[score, score[:, :1]]), {"k": 3, "labels": [0, 1, 2, 3, 4]}),
        ((binary, score[:, 0] * 4 - 2), {"k": 1}),  # binary scores outside [0, 1]
        ((binary, score[:, 0], w), {"k": 1}),
        ((_as_str(binary), score[:, :1]), {"k": 1}),
        ((t.astype(float) + 0.5, score), {"k": 2}),  # refused: non-integral labels
    ]
    for args, kwargs in cases:
        dask_args = tuple(chunked(a, chunks) for a in args)
        got = same_as_in_memory(M.top_k_accuracy_score, dask_args, args, **kwargs)
        assert got is not None


def _as_str(labels):
    return np.array(["no", "yes"])[labels]


# ------------------------------------------------------------------- RegressionStats ---


def test_regression_stats_take_dask_batches_pickle_and_merge():
    t, p = _targets(2, np.float64, n=500)
    w = np.random.default_rng(4).random(500)
    a = M.RegressionStats()
    a.update(chunked(t[:300], 70), chunked(p[:300], 70), chunked(w[:300], 70))
    b = fd.regression_stats(chunked(t[300:], 90), chunked(p[300:], 90), sample_weight=w[300:])
    assert isinstance(b, M.RegressionStats)
    merged = pickle.loads(pickle.dumps(a)).merge(pickle.loads(pickle.dumps(b)))
    for name in ("r2_score", "mean_squared_error", "explained_variance_score"):
        np.testing.assert_allclose(
            getattr(merged, name)(multioutput="raw_values"),
            getattr(M, name)(t, p, sample_weight=w, multioutput="raw_values"),
            rtol=1e-10,
        )
    with pytest.raises(ValueError, match="y_true has 1 outputs, the accumulated stats 2"):
        a.update(chunked(t[:, 0], 70), chunked(p[:, 0], 70))
    zero = M.RegressionStats()
    zero.update(chunked(t, 100), chunked(p, 100), chunked(np.zeros(500), 100))  # accepted
    with pytest.raises(M._exceptions.ZeroWeightsError):
        zero.r2_score()
