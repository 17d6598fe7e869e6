"""Bad-input sweep of the ranking accumulators RankingStats and BinnedRankingStats
(``pytest -m sweep``).

Each case builds an accumulator (BinnedRankingStats from drawn ``bins``, ``low``, ``high``,
junk among them) and runs a few drawn steps on it: an update with a drawn batch (binary labels
of several dtypes, tied and out-of-range scores, weights; junk in place of any of them), a merge
of another accumulator (of the same kind and bins, of other bins, of the other kind, itself, or
junk), a metric method with drawn options (``max_fpr``, ``drop_intermediate``: valid or junk).
Every call returns or refuses with a ValueError or TypeError naming an argument; a refused step
leaves the accumulator (and the merged one) as it was, a metric method changes nothing. At the
end RankingStats' ROC AUC and average precision equal the one-shot ones of the accepted batches,
and BinnedRankingStats' ROC AUC is within ``auc_error_bound()`` of the exact one.

Cases per test: ``FASTINIT_SWEEP_EXAMPLES`` (10^4 by default).
"""

import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from tests.sweep import SWEEP, assert_unchanged, call, call_on, snapshot
from tests.sweep_metrics import junk, weights

pytestmark = pytest.mark.sweep

UPDATE_NAMES = ["y_true", "y_score", "sample_weight"]
# the refusals of a metric with nothing to compute yet (no samples, one class only)
RESULT_NAMES = ["no samples", "positive and negative"]
METHODS = ["roc_auc_score", "average_precision_score", "roc_curve", "precision_recall_curve"]
OPTIONS = {
    "max_fpr": st.sampled_from([None, 0.5, 1.0, 1e-300, 0.0, 1.5, -0.1, np.nan, 1]),
    "drop_intermediate": st.booleans(),
}
_ABSENT = object()


def test_the_sweep_covers_every_method():
    for cls in (M.RankingStats, M.BinnedRankingStats):
        public = {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}
        assert public == {"update", "merge", *METHODS} | (
            {"auc_error_bound"} if cls is M.BinnedRankingStats else set()
        )
        for name in METHODS:
            params = inspect.signature(getattr(cls, name)).parameters
            assert set(params) - {"self"} <= set(OPTIONS), (cls, name)


@st.composite
def options(draw, fn):
    """Keyword-only options of ``fn``: absent, well-formed or junk (a third each, roughly)."""
    out = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind is param.KEYWORD_ONLY:
            value = draw(st.one_of(st.just(_ABSENT), OPTIONS[name], junk()))
            if value is not _ABSENT:
                out[name] = value
    return out


_LABEL_DTYPES = [np.int64, bool, np.float64, np.uint8, np.int8, ">i4", np.float16]
_SCORES = st.one_of(
    st.floats(-0.5, 1.5), st.sampled_from([0.0, 0.5, 1.0, 0.999, 1e-300, -3.0, 7.0, 1e300])
)


@st.composite
def ranking_batch(draw):
    """(y_true, y_score, sample_weight): a binary batch of 0 to 8 samples, now and then with
    labels other than 0/1, non-finite or integer scores; any of the three junk one time in 6."""
    n = draw(st.integers(0, 8))
    labels = (
        st.sampled_from([0, 1, 2, -1]) if draw(st.integers(0, 9)) == 0 else st.sampled_from([0, 1])
    )
    y = np.array(draw(st.lists(labels, min_size=n, max_size=n)))
    y = y.astype(draw(st.sampled_from(_LABEL_DTYPES))) if (y >= 0).all() else y
    odd = draw(st.integers(0, 5)) == 0  # NaN or inf among the scores
    scores = st.one_of(_SCORES, st.sampled_from([np.nan, np.inf])) if odd else _SCORES
    s = np.array(draw(st.lists(scores, min_size=n, max_size=n)), np.float64)
    if draw(st.integers(0, 4)) == 0 and (np.abs(s) < 100).all():
        s = np.round(s * 4).astype(draw(st.sampled_from([np.int64, np.int16, np.float32])))
    fine = st.lists(st.one_of(st.floats(0, 10), st.just(0.0)), min_size=n, max_size=n)
    kind = draw(st.sampled_from(["none", "none", "fine", "fine", "weights", "junk"]))
    w = {"none": st.none(), "fine": fine.map(np.array), "weights": weights(n), "junk": junk()}
    w = draw(w[kind])
    pick = lambda v: draw(junk()) if draw(st.integers(0, 5)) == 0 else v  # noqa: E731
    return pick(y), pick(s), w


def _filled(acc, draw):
    """``acc`` after 0 to 2 drawn batches, and the batches it took."""
    taken = []
    for _ in range(draw(st.integers(0, 2))):
        t, s, w = draw(ranking_batch())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                acc.update(t, s, w)
            taken.append((t, s, w))
        except (ValueError, TypeError):
            pass
    return acc, taken


def _steps(draw, acc, others, methods, what):
    """Run 1 to 4 drawn steps on ``acc`` (update, merge of one of ``others()``: (accumulator or
    junk, its batches or None when the merge must be refused), metric method); returns the
    batches now in ``acc``."""
    accepted = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["update", "update", "merge", "result"]))
        if op == "update":
            batch = draw(ranking_batch())
            _, error = call_on(acc, acc.update, batch, None, UPDATE_NAMES, what)
            if error is None:
                accepted.append(batch)
        elif op == "merge":
            other, batches = others()
            if other is acc:
                batches = list(accepted)
            other_before = snapshot(other)
            _, error = call_on(acc, acc.merge, (other,), None, ["other"], what)
            assert (error is None) == (batches is not None), (what, other, error)
            if error is None:
                accepted += batches
            if other is not acc:
                assert_unchanged(other_before, other, "the merged accumulator")
        else:
            fn = getattr(acc, draw(st.sampled_from(methods)))
            kwargs = draw(options(fn))
            before = snapshot(acc)
            call_on(acc, fn, (), kwargs, list(kwargs) + RESULT_NAMES, what)
            assert_unchanged(before, acc, f"{what} (a metric method)")
    return accepted


def _concatenated(batches):
    """(y, s, w) of the batches put together, or None when no weight is on both classes."""
    if not batches:
        return None
    y = np.concatenate([np.asarray(t, np.float64) for t, _, _ in batches]).astype(bool)
    s = np.concatenate([np.asarray(s, np.float64) for _, s, _ in batches])
    w = np.concatenate([np.ones(len(t)) if w is None else np.asarray(w, np.float64)
                        for t, _, w in batches])  # fmt: skip
    if not (w[y].sum() > 0 and w[~y].sum() > 0 and np.isfinite(w.sum())):
        return None
    return y, s, w


@SWEEP
@given(data=st.data())
def test_sweep_ranking_stats(data):
    draw = data.draw
    stats, error = call(M.RankingStats, (), {}, names=[])
    assert error is None

    def others():
        kind = draw(st.sampled_from(["same", "same", "same", "self", "binned", "junk"]))
        if kind == "same":
            return _filled(M.RankingStats(), draw)
        if kind == "self":
            return stats, []
        if kind == "binned":
            return M.BinnedRankingStats(), None
        return draw(junk()), None

    accepted = _steps(draw, stats, others, METHODS, "stats")
    joined = _concatenated(accepted)
    if joined is None:
        return
    y, s, w = joined
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("roc_auc_score", "average_precision_score"):
            expected = getattr(M, name)(y, s, sample_weight=w)
            np.testing.assert_allclose(getattr(stats, name)(), expected, rtol=1e-9, err_msg=name)


@st.composite
def binned_ctor(draw):
    """Keyword arguments of BinnedRankingStats: absent, well-formed or junk."""
    valid = {
        "bins": st.one_of(st.integers(1, 64), st.sampled_from([1000, np.int64(7), 0, 10**12])),
        "low": st.one_of(st.floats(-2, 0.5), st.sampled_from([0.0, 0.5, -np.inf, np.nan, 1e308])),
        "high": st.one_of(st.floats(0.5, 3), st.sampled_from([1.0, 0.5, np.inf, -1.0, 1e308])),
    }
    out = {}
    for name, strategy in valid.items():
        kind = draw(st.sampled_from(["absent", "absent", "absent", "valid", "valid", "junk"]))
        if kind != "absent":
            out[name] = draw(strategy if kind == "valid" else junk())
    return out


@SWEEP
@given(data=st.data())
def test_sweep_binned_ranking_stats(data):
    draw = data.draw
    ctor = draw(binned_ctor())
    stats, error = call(M.BinnedRankingStats, (), ctor, names=["bins", "low", "high"])
    if error is not None:
        return
    bins = (stats.bins, stats.low, stats.high)

    def others():
        kind = draw(st.sampled_from(["same", "same", "same", "self", "bins", "exact", "junk"]))
        if kind == "same":
            return _filled(M.BinnedRankingStats(*bins), draw)
        if kind == "self":
            return stats, []
        if kind == "bins":
            return M.BinnedRankingStats(stats.bins + 1, stats.low, stats.high), None
        if kind == "exact":
            return _filled(M.RankingStats(), draw)[0], None
        return draw(junk()), None

    accepted = _steps(draw, stats, others, [*METHODS, "auc_error_bound"], "binned")
    joined = _concatenated(accepted)
    if joined is None:
        return
    y, s, w = joined
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = M.roc_auc_score(y, s, sample_weight=w)
        got, bound = stats.roc_auc_score(), stats.auc_error_bound()
    assert abs(got - exact) <= bound + 1e-9, (got, exact, bound)
