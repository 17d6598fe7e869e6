"""Parallel and serial kernel paths of the metrics: same results, and safe after fork."""

import os
import sys

import numpy as np
import pytest
from fastinit.kernels import confusion, moments
from hypothesis import given, settings
from hypothesis import strategies as st

from fastinit.metrics import _counts, confusion_matrix, mean_squared_error, r2_score


def _labels(n, k, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, n)
    return t, np.where(rng.random(n) < 0.7, t, rng.integers(0, k, n))


@pytest.mark.parametrize("weighted", [False, True])
def test_count_pairs_parallel_equals_serial(weighted):
    t, p = _labels(300_000, 7)
    w = np.random.default_rng(1).random(t.size) if weighted else None
    out = []
    for kernel in (confusion.count_pairs, confusion.count_pairs_serial):
        dtype = np.float64 if weighted else np.int32
        buf = np.zeros((3, 49 + 7), dtype)  # the table and the diagonal strip
        info = np.zeros((3, 3), np.int64)
        margins = np.zeros((2, 3, 7 if weighted else 0), dtype)
        kernel(t, p, w, np.int64(0), np.int64(7), buf, info, margins[0], margins[1])
        out.append((buf, info, margins))
    for a, b in zip(*out, strict=True):
        np.testing.assert_array_equal(a, b)
    expected = np.bincount(t * 7 + p, weights=w, minlength=49)
    np.testing.assert_allclose(out[0][0][:, :49].sum(axis=0), expected, rtol=1e-12)
    assert not out[0][0][:, 49:].any()


def test_sum_parts_gives_counts_and_margins():
    buf = np.random.default_rng(2).integers(0, 100, (3, 25)).astype(np.int32)
    counts = np.full((5, 5), -7, np.int64)  # outputs are overwritten, not accumulated into
    sums = np.full((2, 5), -7, np.int64)
    confusion.sum_parts(buf, counts, sums[0], sums[1])
    expected = buf.sum(axis=0).reshape(5, 5)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(sums, [expected.sum(axis=1), expected.sum(axis=0)])


@pytest.mark.parametrize("mode", [moments.SQUARED_ONLY, moments.SQUARES, moments.FULL])
def test_column_moments_parallel_equals_serial(mode):
    rng = np.random.default_rng(3)
    t = rng.normal(1e6, 1.0, 200_000)
    p = t + rng.normal(size=t.size)
    a = moments.column_moments(t, p, None, 4, mode)
    b = moments.column_moments_serial(t, p, None, 4, mode)
    np.testing.assert_array_equal(a, b)


def test_thread_parts_is_one_for_small_inputs():
    assert _counts.thread_parts(1000) == 1
    assert _counts.thread_parts(10**8) >= 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_after_parallel_metrics():
    t, p = _labels(1_000_000, 10)
    yt = np.random.default_rng(4).normal(size=1_000_000)
    yp = yt + 0.5
    # run the parallel kernels in the parent (whatever the machine load says)
    buf = np.zeros((2, 110), np.int32)
    info = np.zeros((2, 3), np.int64)
    empty = np.zeros((2, 0), np.int32)
    confusion.count_pairs(t, p, None, np.int64(0), np.int64(10), buf, info, empty, empty)
    moments.column_moments(yt, yp, None, 2, moments.SQUARES)
    expected = np.bincount(t * 10 + p, minlength=100).reshape(10, 10)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # child: the public functions must take the serial path and not abort
        ok = np.array_equal(confusion_matrix(t, p), expected)
        ok &= bool(np.isclose(mean_squared_error(yt, yp), 0.25))
        ok &= bool(np.isclose(r2_score(yt, yp), 1 - 0.25 / yt.var()))
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


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
    for parts in (1, 2):
        buf = np.full((parts, R * R + R), -3, np.int32)  # the kernel zeroes it
        info = np.zeros((parts, 3), np.int64)
        empty = np.zeros((parts, 0), np.int32)
        confusion.count_pairs_serial(t, p, None, np.int64(lo), np.int64(R), buf, info, empty, empty)
        np.testing.assert_array_equal(buf[:, : R * R].sum(axis=0), expected)
        assert not buf[:, R * R :].any()  # the diagonal strip is folded in and zeroed
        assert info[:, 2].sum() == (~inside).sum()
        for k in range(parts):  # a part with pairs outside reports its exact label range
            share = slice(k * n // parts, (k + 1) * n // parts)
            assert info[k, 2] == (~inside[share]).sum()
            if info[k, 2]:
                both = np.concatenate([t[share], p[share]])
                assert (info[k, 0], info[k, 1]) == (both.min(), both.max())


@pytest.mark.parametrize("kernel", [confusion.count_pairs, confusion.count_pairs_serial])
def test_count_pairs_refuses_buffers_it_would_overrun(kernel):
    t = np.arange(10) % 4
    info = np.zeros((1, 3), np.int64)
    empty = np.zeros((1, 0), np.int32)
    short = np.zeros((1, 16), np.int32)  # the 4 x 4 table without the diagonal strip
    with pytest.raises(ValueError, match="R \\* R \\+ R"):
        kernel(t, t, None, np.int64(0), np.int64(4), short, info, empty, empty)
    assert not short.any()
    w = np.ones(10)
    rows = np.zeros((1, 3))
    with pytest.raises(ValueError, match="rows and cols"):
        kernel(t, t, w, np.int64(0), np.int64(4), np.zeros((1, 20)), info, rows, rows)
    with pytest.raises(ValueError, match="same length"):
        kernel(t, t[:5], None, np.int64(0), np.int64(4), np.zeros((1, 20), np.int32), info,
               empty, empty)  # fmt: skip


def test_count_pairs_refuses_windows_beyond_uint32_bins():
    t = np.zeros(4, np.int64)
    info = np.zeros((1, 3), np.int64)
    empty = np.zeros((1, 0), np.int32)
    with pytest.raises(ValueError, match="uint32 bins"):
        confusion.count_pairs_serial(t, t, None, np.int64(0), np.int64(70_000),
                                     np.zeros((1, 8), np.int32), info, empty, empty)  # fmt: skip
