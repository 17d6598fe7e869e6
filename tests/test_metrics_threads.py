"""Metrics and mean-field kernels on threads: the same bits for any thread count; fork-safe."""

import os
import sys

import numpy as np
import pytest
from fastinit.kernels import confusion, moments
from hypothesis import given, settings
from hypothesis import strategies as st

from fastinit import config
from fastinit.metrics import (
    ConfusionMatrix,
    RegressionStats,
    _counts,
    _parallel,
    confusion_matrix,
    explained_variance_score,
    f1_score,
    max_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    r2_score,
)
from fastinit.propagation import theory
from tests._helpers import with_threads


def _labels(n, k, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, n)
    return t, np.where(rng.random(n) < 0.7, t, rng.integers(0, k, n))


def _count(t, p, w, R, parts, split):
    """Count through the task kernels, the parts handed out in chunks as ``split`` says."""
    dtype = np.float64 if w is not None else np.int32
    buf = np.full((parts, R * R + R), -3, dtype)  # the table and the diagonal strip
    outside = np.full(parts, -3, np.int64)
    margins = np.full((2, parts, R), -3, dtype)
    for lo, hi in split:
        if w is None:
            confusion.count_unweighted(t, p, np.int64(0), np.int64(R), buf, outside, lo, hi)
        else:
            confusion.count_weighted(t, p, w, np.int64(0), np.int64(R), buf, outside, margins[0],
                                     margins[1], lo, hi)  # fmt: skip
    return buf, outside, margins


@pytest.mark.parametrize("weighted", [False, True])
def test_count_pairs_any_split_of_the_parts_is_the_same(weighted):
    t, p = _labels(300_000, 7)
    w = np.random.default_rng(1).random(t.size) if weighted else None
    whole = _count(t, p, w, 7, 3, [(0, 3)])
    for split in ([(0, 1), (1, 3)], [(2, 3), (0, 2)], [(1, 2), (0, 1), (2, 3)]):
        for a, b in zip(whole, _count(t, p, w, 7, 3, split), strict=True):
            np.testing.assert_array_equal(a, b)
    buf = whole[0]
    assert not whole[1].any()
    expected = np.bincount(t * 7 + p, weights=w, minlength=49)
    np.testing.assert_allclose(buf[:, :49].sum(axis=0), expected, rtol=1e-12)
    assert not buf[:, 49:].any()
    if weighted:
        np.testing.assert_allclose(whole[2][0].sum(axis=0), np.bincount(t, w, 7), rtol=1e-12)
        np.testing.assert_allclose(whole[2][1].sum(axis=0), np.bincount(p, w, 7), rtol=1e-12)


def test_sum_parts_gives_counts_and_margins():
    buf = np.random.default_rng(2).integers(0, 100, (3, 25)).astype(np.int32)
    counts = np.full(25, -7, np.int64)  # outputs are overwritten, not accumulated into
    sums = np.full((2, 5), -7, np.int64)
    confusion.sum_parts(buf, counts, sums[0], sums[1])
    expected = buf.sum(axis=0).reshape(5, 5)
    np.testing.assert_array_equal(counts.reshape(5, 5), expected)
    np.testing.assert_array_equal(sums, [expected.sum(axis=1), expected.sum(axis=0)])


def test_large_tables_are_summed_by_the_kernel():
    # above _NUMPY_SUM_MAX_CELLS the parts go through sum_parts; same counts as bincount
    t, p = _labels(2_000_000, 300, seed=11)
    assert 300 * 300 > _counts._NUMPY_SUM_MAX_CELLS and _parallel.count_parts(t.size, 300) > 1
    expected = np.bincount(t * 300 + p, minlength=300 * 300).reshape(300, 300)
    np.testing.assert_array_equal(confusion_matrix(t, p), expected)


@pytest.mark.parametrize("mode", [moments.SQUARED_ONLY, moments.SQUARES, moments.FULL])
def test_column_moments_any_split_of_the_tasks_is_the_same(mode):
    rng = np.random.default_rng(3)
    t = rng.normal(1e6, 1.0, 200_000)
    p = t + rng.normal(size=t.size)
    kernel = moments.TASKS[mode]
    chunk = 1 << 14
    ntasks = -(-t.size // chunk)
    whole = np.full((ntasks, moments.N_STATS), np.nan)
    kernel(t, p, None, chunk, whole, 0, ntasks)
    pieces = np.full_like(whole, np.nan)
    for hi in range(ntasks, 0, -3):  # out of order, in chunks of up to 3 tasks
        kernel(t, p, None, chunk, pieces, max(0, hi - 3), hi)
    np.testing.assert_array_equal(whole, pieces)
    merged = moments.merge_tasks(whole)
    assert merged[moments.W] == t.size
    np.testing.assert_allclose(merged[moments.SSE], np.sum((t - p) ** 2), rtol=1e-12)
    if mode != moments.SQUARED_ONLY:
        np.testing.assert_allclose(merged[moments.M2_T], np.sum((t - t.mean()) ** 2), rtol=1e-9)
    serial = moments.column_moments_serial(t, p, None, ntasks, mode)
    np.testing.assert_array_equal(serial, merged)


def test_thread_parts_is_one_for_small_inputs():
    assert _parallel.thread_parts(1000) == 1
    assert _parallel.thread_parts(10**8) >= 1


def test_count_parts_depend_on_the_data_only():
    sizes = ((1000, 10), (10**7, 10), (10**7, 1000))
    for threads in (1, 3):
        parts = with_threads(threads, lambda: [_parallel.count_parts(n, k) for n, k in sizes])
        # all tables together hold at most n / 4 cells: 2 parts at 1000 classes
        assert parts == [1, 8, 2]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_after_parallel_metrics():
    t, p = _labels(N_SPLIT, 10)
    yt = np.random.default_rng(4).normal(size=N_SPLIT)
    yp = yt + 0.5
    expected = np.bincount(t * 10 + p, minlength=100).reshape(10, 10)
    # the parent runs the counting and moments tasks on its thread pool
    with_threads(2, lambda: (confusion_matrix(t, p), r2_score(yt, yp)))
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # child: a pool of its own; the public functions give the same results
        try:
            config.set_num_threads(2)
            ok = np.array_equal(confusion_matrix(t, p), expected)
            ok &= bool(np.isclose(mean_squared_error(yt, yp), 0.25))
            ok &= bool(np.isclose(r2_score(yt, yp), 1 - 0.25 / yt.var()))
        except BaseException:
            ok = False
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# ---------------------------------------------------------- same bits for any thread count ---
N_SPLIT = 2_100_003  # split into several parts / tasks, on several threads (checked below)
BATCH = 1_050_001  # a streaming update of this many labels runs on several threads too


def _assert_same_bits_on_1_and_4_threads(fn):
    one = with_threads(1, fn)
    four = with_threads(4, fn)
    assert len(one) == len(four)
    for a, b in zip(one, four, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


def test_the_inputs_below_are_split():
    assert _parallel.count_parts(N_SPLIT, 7) > 1 and _parallel.count_parts(N_SPLIT, 300) > 1
    assert N_SPLIT > 2 * _parallel.MOMENTS_TASK
    for min_part in (_parallel.COUNT_MIN_PART, _parallel.MOMENTS_MIN_PART):
        assert with_threads(4, lambda m=min_part: _parallel.thread_parts(BATCH, m)) > 1


@pytest.mark.parametrize("k", [7, 300])
def test_weighted_confusion_matrix_is_bit_identical_for_any_thread_count(k):
    t, p = _labels(N_SPLIT, k, seed=5)
    rng = np.random.default_rng(6)
    w = rng.random(N_SPLIT) * 10.0 ** rng.integers(-8, 8, N_SPLIT)  # rounding in every sum

    def run():
        return [
            confusion_matrix(t, p, sample_weight=w),
            confusion_matrix(t, p, sample_weight=w, normalize="true"),
            f1_score(t, p, average=None, sample_weight=w),
            confusion_matrix(t, p),
        ]

    _assert_same_bits_on_1_and_4_threads(run)


def test_regression_metrics_are_bit_identical_for_any_thread_count():
    rng = np.random.default_rng(8)
    yt = rng.normal(1e3, 1.0, (N_SPLIT, 2))
    yp = yt + rng.normal(size=yt.shape) * np.array([0.1, 3.0])
    w = rng.random(N_SPLIT)

    def run():
        out = []
        for sw in (None, w):
            for fn in (mean_squared_error, explained_variance_score, r2_score,
                       mean_absolute_error, mean_absolute_percentage_error):  # fmt: skip
                out.append(fn(yt, yp, sample_weight=sw, multioutput="raw_values"))
                out.append(fn(yt[:, 1], yp[:, 1], sample_weight=sw))
        out.append(max_error(yt[:, 0], yp[:, 0]))
        return out

    _assert_same_bits_on_1_and_4_threads(run)


def test_streaming_updates_are_bit_identical_for_any_thread_count():
    t, p = _labels(N_SPLIT, 12, seed=9)
    rng = np.random.default_rng(10)
    w = rng.random(N_SPLIT)
    yt = rng.normal(1e6, 1.0, N_SPLIT)
    yp = yt + rng.normal(size=N_SPLIT)

    def run():
        cm = ConfusionMatrix()
        stats = RegressionStats()
        for s in range(0, N_SPLIT, BATCH):
            batch = slice(s, s + BATCH)
            cm.update(t[batch], p[batch], sample_weight=w[batch])
            stats.update(yt[batch], yp[batch], sample_weight=w[batch])
        out = [cm.matrix, cm.f1_score(average="macro"), cm.balanced_accuracy_score()]
        names = ["mean_squared_error", "explained_variance_score", "r2_score", "max_error"]
        names += ["mean_absolute_error", "mean_absolute_percentage_error"]
        for name in names:
            out.append(getattr(stats, name)())
        return out

    _assert_same_bits_on_1_and_4_threads(run)


def test_theory_is_bit_identical_for_any_thread_count():
    sw2, sb2 = np.linspace(0.5, 4, 700)[:, None], np.linspace(0, 0.3, 700)

    def run():
        r = theory("tanh", sw2, sb2, depth=3)
        return [r.q, r.chi]

    _assert_same_bits_on_1_and_4_threads(run)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 3 * 2048 + 5),
    R=st.sampled_from([1, 3, 63, 64, 100]),  # up to 63 (R*R + R <= 4096): four copies
    n_outside=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_count_pairs_blocks_and_pairs_outside_the_window(n, R, n_outside, seed):
    """Block-wise counting equals a bincount of the in-window pairs, wherever pairs outside the
    window fall (any block, either side, either array), for both table layouts."""
    rng = np.random.default_rng(seed)
    lo = 5
    t = rng.integers(lo, lo + R, n)
    p = rng.integers(lo, lo + R, n)
    if n:
        for _ in range(n_outside):
            i = rng.integers(n)
            target = t if rng.random() < 0.5 else p
            target[i] = lo - 1 - rng.integers(3) if rng.random() < 0.5 else lo + R + rng.integers(3)
    inside = (t >= lo) & (t < lo + R) & (p >= lo) & (p < lo + R)
    expected = np.bincount((t - lo)[inside] * R + (p - lo)[inside], minlength=R * R)
    for parts in (1, 2, 3):
        buf = np.full((parts, R * R + R), -3, np.int32)  # the kernel zeroes it
        outside = np.full(parts, -3, np.int64)
        empty = np.zeros((parts, 0), np.int32)
        confusion.count_pairs_serial(t, p, None, np.int64(lo), np.int64(R), buf, outside, empty,
                                     empty)  # fmt: skip
        np.testing.assert_array_equal(buf[:, : R * R].sum(axis=0), expected)
        assert not buf[:, R * R :].any()  # the diagonal strip is folded in and zeroed
        for k in range(parts):  # each part reports its own pairs outside the window
            share = slice(k * n // parts, (k + 1) * n // parts)
            assert outside[k] == (~inside[share]).sum()


def test_too_many_classes_for_uint32_bins_is_a_value_error():
    t = np.zeros(4, np.int64)
    with pytest.raises(ValueError, match="too many"):
        _counts.count_window(t, t, None, 0, 70_000)
