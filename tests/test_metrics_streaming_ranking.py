"""RankingStats (exact) and BinnedRankingStats (constant memory): streamed batches equal the
whole data's metrics, the binned AUC stays within its documented bound, dask batches reduce
chunk by chunk."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit.metrics as M


def _data(seed, n=5000, ties=False, weighted=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.25, n), 0.0, 1.0)
    if ties:
        s = np.round(s, 2)
    w = rng.uniform(0, 3, n) if weighted else None
    return y, s, w


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_stats_equal_the_whole_data(ties, weighted):
    y, s, w = _data(1, ties=ties, weighted=weighted)
    stats, other = M.RankingStats(), M.RankingStats()
    for lo, hi in ((0, 1000), (1000, 2500)):
        stats.update(y[lo:hi], s[lo:hi], None if w is None else w[lo:hi])
    other.update(y[2500:], s[2500:], None if w is None else w[2500:])
    stats.merge(other)
    np.testing.assert_allclose(stats.roc_auc_score(), M.roc_auc_score(y, s, sample_weight=w))
    np.testing.assert_allclose(stats.roc_auc_score(max_fpr=0.3),
                               M.roc_auc_score(y, s, sample_weight=w, max_fpr=0.3))  # fmt: skip
    np.testing.assert_allclose(stats.average_precision_score(),
                               M.average_precision_score(y, s, sample_weight=w))  # fmt: skip
    for got, want in zip(stats.roc_curve(), M.roc_curve(y, s, sample_weight=w), strict=True):
        np.testing.assert_allclose(got, want)
    for got, want in zip(stats.precision_recall_curve(),
                         M.precision_recall_curve(y, s, sample_weight=w), strict=True):  # fmt: skip
        np.testing.assert_allclose(got, want)
    assert stats.n_values == np.unique(s).size


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), bins=st.integers(1, 3000), n=st.integers(2, 3000),
       weighted=st.booleans())  # fmt: skip
def test_binned_auc_within_its_bound(seed, bins, n, weighted):
    y, s, w = _data(seed, n=n, weighted=weighted)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    stats = M.BinnedRankingStats(bins=bins)
    stats.update(y, s, w)
    exact = M.roc_auc_score(y, s, sample_weight=w)
    assert abs(stats.roc_auc_score() - exact) <= stats.auc_error_bound() + 1e-12


def test_binned_bound_shrinks_with_bins_and_state_is_constant():
    y, s, _ = _data(3, n=200_000)
    bounds = []
    for bins in (10, 100, 1000, 10_000):
        stats = M.BinnedRankingStats(bins=bins)
        for part in np.array_split(np.arange(y.size), 7):
            stats.update(y[part], s[part])
        assert stats._pos.size == bins  # memory fixed by the bins, not the samples
        bounds.append(stats.auc_error_bound())
    assert bounds == sorted(bounds, reverse=True) and bounds[-1] < 1e-3
    exact = M.roc_auc_score(y, s)
    assert abs(stats.roc_auc_score() - exact) < 1e-3


def test_dask_batches_reduce_chunk_by_chunk():
    da = pytest.importorskip("dask.array")
    y, s, w = _data(4, n=20_000, weighted=True)
    exact, binned = M.RankingStats(), M.BinnedRankingStats(bins=500)
    exact.update(da.from_array(y, chunks=3000), da.from_array(s, chunks=3000), w)
    binned.update(da.from_array(y, chunks=3000), da.from_array(s, chunks=3000), w)
    np.testing.assert_allclose(exact.roc_auc_score(), M.roc_auc_score(y, s, sample_weight=w))
    in_memory = M.BinnedRankingStats(bins=500)
    in_memory.update(y, s, w)
    np.testing.assert_allclose(binned._pos, in_memory._pos)
    np.testing.assert_allclose(binned.roc_auc_score(), in_memory.roc_auc_score())


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: M.RankingStats().update([0, 2], [0.1, 0.2]), ValueError, "binary labels"),
        (lambda: M.RankingStats().update([0, 1], [0.1, np.nan]), ValueError, "finite"),
        (lambda: M.RankingStats().update([0, 1], [0.1]), ValueError, "one length"),
        (lambda: M.RankingStats().update([0, 1], ["a", "b"]), TypeError, "numeric"),
        (lambda: M.RankingStats().update([0, 1], [0.1, 0.2], [1, -1]), ValueError, "non-negative"),
        (lambda: M.RankingStats().roc_auc_score(), ValueError, "no samples"),
        (lambda: M.BinnedRankingStats(bins=0), ValueError, "bins"),
        (lambda: M.BinnedRankingStats(low=1, high=0), ValueError, "low < high"),
        (lambda: M.BinnedRankingStats().merge(M.BinnedRankingStats(bins=5)), ValueError, "same"),
        (lambda: M.RankingStats().merge(M.BinnedRankingStats()), TypeError, "RankingStats"),
    ],
)  # fmt: skip
def test_refusals(call, error, match):
    with pytest.raises(error, match=match):
        call()
