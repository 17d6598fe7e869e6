"""Bad-input sweep of fastinit.metrics' one-shot functions (opt-in: ``pytest -m sweep``).

Every public metric function (``fastinit.metrics.__all__``) is fed label and target arrays,
weights and options drawn from well-formed values and from :func:`tests.sweep.junk` (strategies
in :mod:`tests.sweep_metrics`). Each call returns or refuses with a ValueError or TypeError
naming an argument, leaves its inputs as they were when it refuses, and, where scikit-learn also
returns a value, agrees with it. The accumulators, dask and the thread property have sweeps of
their own (``test_sweep_metrics_streaming.py``, ``test_sweep_metrics_ranking_streams.py``,
``test_sweep_dask.py``, ``test_sweep_metrics_threads.py``).

Cases per test: ``FASTINIT_SWEEP_EXAMPLES`` (10^4 by default).
"""

import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from tests.sweep import SWEEP, call
from tests.sweep_metrics import (
    CLASSIFICATION,
    REGRESSION,
    arg_names,
    assert_same,
    junk,
    keywords,
    label_pair,
    sklearn_result,
    weights,
)

pytestmark = pytest.mark.sweep

pytest.importorskip("sklearn.metrics")


def test_the_sweep_covers_every_public_function():
    # the accumulators: test_sweep_metrics_streaming.py, test_sweep_metrics_ranking_streams.py
    accumulators = {"ConfusionMatrix", "RegressionStats", "RankingStats", "BinnedRankingStats"}
    covered = set(CLASSIFICATION) | REGRESSION | accumulators
    assert set(M.__all__) - {"UndefinedMetricWarning"} == covered


# --------------------------------------------------------------------- one-shot functions ---


def _call_case(draw, name, y_true, y_pred, n):
    """(name, function, args, kwargs) of a drawn call: ``y_true`` and ``y_pred`` (or junk in
    their place, one time in three), drawn options and, where the function takes them, weights
    for ``n`` samples."""
    fn = getattr(M, name)
    y_true = draw(st.one_of(st.just(y_true), st.just(y_true), junk()))
    y_pred = draw(st.one_of(st.just(y_pred), st.just(y_pred), junk()))
    kwargs = draw(keywords(fn))
    if "sample_weight" in inspect.signature(fn).parameters:
        w = draw(st.one_of(weights(n), weights(n), junk()))
        if w is not None:
            kwargs["sample_weight"] = w
    return name, fn, (y_true, y_pred), kwargs


@st.composite
def classification_case(draw):
    name = draw(st.sampled_from(CLASSIFICATION))
    y_true, y_pred = draw(label_pair())
    n = len(y_true)
    if name == "top_k_accuracy_score":
        cols = draw(st.integers(1, 4))
        scores = st.lists(st.floats(0, 1), min_size=n * cols, max_size=n * cols)
        y_pred = np.array(draw(scores)).reshape(n, cols)
        if cols == 1:
            y_pred = y_pred[:, 0]
    return _call_case(draw, name, y_true, y_pred, n)


@SWEEP
@given(case=classification_case())
def test_sweep_classification_functions(case):
    name, fn, args, kwargs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, error = call(fn, args, kwargs, names=arg_names(fn))
    if error is None:
        # scikit-learn averages with float16 or float32 sample weights in their own dtype
        # (hamming_loss with float16 weights: 0.333252 for 1/3), fastinit in float64: no
        # reference for float16, float32's precision for float32
        dtypes = _dtypes([*args, kwargs.get("sample_weight")])
        unsound = np.float16 in dtypes or _unsound_weights(name, kwargs.get("sample_weight"))
        expected = None if unsound else sklearn_result(name, args, kwargs)
        if expected is not None:
            assert_same(got, expected[0], name, 1e-5 if np.float32 in dtypes else 1e-9)


def _unsound_weights(name, w):
    """Whether integer weights take scikit-learn past its arithmetic: its confusion matrix
    sums uint64 weights in uint64 (2^63 + 2^63 wraps to 0), and its Matthews covariances,
    n c - t.p, cancel to nothing beyond 2^53 (0.0 for a perfect prediction, where fastinit
    keeps its precision)."""
    if not isinstance(w, np.ndarray) or w.dtype.kind not in "iu" or w.size == 0:
        return False
    total = sum(abs(int(v)) for v in w)
    return total >= 2**64 or (name == "matthews_corrcoef" and total >= 2**53)


def _may_wrap(a):
    """Whether a difference of two values like those of integer array ``a`` can leave int64."""
    return (
        isinstance(a, np.ndarray)
        and a.dtype.kind in "iu"
        and a.size > 0
        and (int(np.abs(a.astype(np.float64)).max()) >= 2**62)
    )


def _dtypes(args):
    """The scalar types of the array arguments (``np.float32 in`` a set of dtype objects is
    always False: a dtype equals its scalar type but does not hash like it)."""
    return {a.dtype.type for a in args if isinstance(a, np.ndarray)}


@st.composite
def regression_case(draw):
    name = draw(st.sampled_from(sorted(REGRESSION)))
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
    return _call_case(draw, name, y[0], y[1], n)


@SWEEP
@given(case=regression_case())
def test_sweep_regression_functions(case):
    name, fn, args, kwargs = case
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        got, error = call(fn, args, kwargs, names=arg_names(fn))
    if error is None:
        # scikit-learn computes in float32 for float32 input (fastinit sums in float64), and in
        # float16 for float16 input, where its eps underflows (0 / 0 in the percentage error):
        # no reference there
        # and it takes differences of integer targets in their own dtype, which wraps around
        # beyond 2^63 (max_error of [0] and [-2^63] is -2^63 there): no reference either
        dtypes = _dtypes([*args, kwargs.get("sample_weight")])
        wraps = any(_may_wrap(a) for a in args)
        expected = None if np.float16 in dtypes or wraps else sklearn_result(name, args, kwargs)
        if expected is not None:
            assert_same(got, expected[0], name, 1e-5 if np.float32 in dtypes else 1e-9)
