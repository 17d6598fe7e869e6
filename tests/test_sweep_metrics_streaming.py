"""Bad-input sweep of the accumulators ConfusionMatrix and RegressionStats (``pytest -m sweep``).

Each case builds an accumulator (from drawn arguments) and runs a few drawn steps on it: an
update with a drawn batch, a merge of another accumulator (or of junk), a result method with
drawn options. A refused step leaves the accumulator as it was, a result method changes nothing,
and at the end the accumulated state equals the one-shot result of the accepted batches.

Cases per test: ``FASTINIT_SWEEP_EXAMPLES`` (10^4 by default).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from tests.sweep import SWEEP, assert_unchanged, call, call_on, snapshot
from tests.sweep_metrics import (
    ACCUMULATOR_METHODS,
    LABEL_OPTIONS,
    STATS_METHODS,
    arg_names,
    junk,
    keywords,
    label_pair,
    weights,
)

pytestmark = pytest.mark.sweep


UPDATE_NAMES = ["y_true", "y_pred", "sample_weight"]


def _steps(draw, acc, draw_batch, draw_other, copies, methods, what):
    """Run 1 to 4 drawn steps on ``acc``: an update with ``draw_batch()``, a merge of the
    accumulator that ``draw_other()`` returns with the batches it holds (or of junk, one time in
    ``copies + 1``), or one of its result ``methods`` with drawn options. A refused step leaves
    ``acc`` as it was, a merge leaves the other as it was, a result method changes nothing.
    Returns the batches now in ``acc``."""
    accepted = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["update", "update", "merge", "result"]))
        if op == "update":
            batch = draw_batch()
            _, error = call_on(acc, acc.update, batch, None, UPDATE_NAMES, what)
            if error is None:
                accepted.append(batch)
        elif op == "merge":
            other, batches = draw_other()
            arg = draw(st.one_of(*[st.just(other)] * copies, junk()))
            other_before = snapshot(other)
            _, error = call_on(acc, acc.merge, (arg,), None, ["other"], what)
            assert_unchanged(other_before, other, "the merged accumulator")
            if error is None:
                accepted += batches
        else:
            fn = getattr(acc, draw(st.sampled_from(methods)))
            kwargs = draw(keywords(fn, skip=()))
            before = snapshot(acc)
            # the method's defaults are in play too: average="binary" refuses multiclass data
            names = arg_names(fn) + ["sample_weight", "no samples"]
            call_on(acc, fn, (), kwargs, names, what)
            assert_unchanged(before, acc, f"{what} (a result method)")
    return accepted


def _updated(acc, batches):
    """The ``batches`` that ``acc.update`` accepts (it may refuse some)."""
    accepted = []
    for t, p, w in batches:
        try:
            acc.update(t, p, w)
            accepted.append((t, p, w))
        except (ValueError, TypeError):
            pass
    return accepted


@st.composite
def confusion_ctor(draw):
    kind = draw(st.sampled_from(["free", "free", "num_classes", "labels", "junk"]))
    if kind == "free":
        return {}
    if kind == "num_classes":
        return {"num_classes": draw(st.one_of(st.integers(1, 6), junk()))}
    if kind == "labels":
        return {"labels": draw(st.one_of(LABEL_OPTIONS, junk()))}
    return {draw(st.sampled_from(["num_classes", "labels"])): draw(junk())}


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

    def other():
        acc = M.ConfusionMatrix(**draw(st.sampled_from([{}, {}, {"num_classes": 3}])))
        batches = [draw(batch()) for _ in range(draw(st.integers(0, 2)))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return acc, _updated(acc, batches)

    # the batches now in cm, for the streaming == one-shot check
    accepted = _steps(draw, cm, lambda: draw(batch()), other, 3, ACCUMULATOR_METHODS, "cm")
    _check_confusion_stream(cm, accepted)


def _check_confusion_stream(cm, accepted):
    """The accumulated matrix equals the one-shot count of the accepted batches: exactly for
    integer counts (modulo 2^64, as int64 counts wrap in scikit-learn and in the one-shot
    functions alike), to rounding for float ones."""
    if not accepted or cm.classes.dtype.kind not in "biu":
        return
    if any(np.asarray(t).dtype.kind not in "biu" for t, _, _ in accepted):
        return
    exact = cm.matrix.dtype.kind in "iu"
    expected = np.zeros(cm.matrix.shape, object if exact else np.float64)  # object: Python ints
    index = {int(c): i for i, c in enumerate(cm.classes)}
    for t, p, w in accepted:
        n = len(t)
        if w is None:
            w = [1] * n
        elif exact:
            w = [int(x) for x in np.broadcast_to(np.asarray(w), (n,))]
        else:
            w = np.broadcast_to(np.asarray(w, np.float64), (n,))
        flat = [np.asarray(a).reshape(-1).tolist() for a in (t, p)]
        pairs = zip(*flat, strict=True)
        for (a, b), x in zip(pairs, w, strict=True):
            if int(a) in index and int(b) in index:
                expected[index[int(a)], index[int(b)]] += x
    if exact:
        wrapped = [(int(v) + 2**63) % 2**64 - 2**63 for v in expected.reshape(-1)]
        np.testing.assert_array_equal(cm.matrix.reshape(-1).tolist(), wrapped)
        return
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

    def other():
        acc = M.RegressionStats()
        return acc, _updated(acc, [draw(regression_batch(draw(st.sampled_from([k, 2, None]))))])

    accepted = _steps(
        draw, stats, lambda: draw(regression_batch(k)), other, 2, STATS_METHODS, "stats"
    )
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
