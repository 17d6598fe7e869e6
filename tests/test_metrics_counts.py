"""Counting labels into the confusion matrix (_counts.py): every integer dtype and layout, the
guessed label window and its fallbacks, compared with scikit-learn and tests/reference_metrics.

The counting kernels' split into parts and threads is tested in test_metrics_threads.py."""

import numpy as np
import pytest

import fastinit.metrics as M
from tests import reference_metrics as ref

skm = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize(
    "dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint32, np.uint64, ">i8"]
)
def test_integer_dtypes_and_layouts(dtype):
    rng = np.random.default_rng(1)
    t = rng.integers(0, 9, 3000).astype(dtype)
    p = rng.integers(0, 9, 6000).astype(dtype)[::2]  # strided
    np.testing.assert_array_equal(M.confusion_matrix(t, p), skm.confusion_matrix(t, p))


def test_window_guess_and_fallbacks():
    # sorted labels (the sampled window misses classes), a wide sparse range, two threads
    t = np.sort(np.random.default_rng(2).integers(0, 50, 300_000))
    p = t[::-1].copy()
    np.testing.assert_array_equal(
        M.confusion_matrix(t, p),
        ref.confusion_matrix(t[:0], p[:0], list(range(50))) + skm.confusion_matrix(t, p),
    )
    wide_t = np.array([-(2**62), 0, 2**62, 5])
    wide_p = np.array([0, 0, 2**62, -(2**62)])
    np.testing.assert_array_equal(
        M.confusion_matrix(wide_t, wide_p), skm.confusion_matrix(wide_t, wide_p)
    )
    ext = np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0])
    np.testing.assert_array_equal(
        M.confusion_matrix(ext, ext[::-1]), skm.confusion_matrix(ext, ext[::-1])
    )
