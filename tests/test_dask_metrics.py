"""fastinit.dask metrics equal the in-memory ones."""

import numpy as np
import pytest

import fastinit.metrics as M

da = pytest.importorskip("dask.array")
fd = pytest.importorskip("fastinit.dask")


@pytest.mark.parametrize("weighted", [False, True])
def test_dask_confusion_matrix_equals_in_memory(weighted):
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 7, 10_000), rng.integers(0, 7, 10_000)
    w = rng.random(10_000) if weighted else None
    got = fd.confusion_matrix(
        da.from_array(t, chunks=1234),
        da.from_array(p, chunks=999),
        num_classes=7,
        sample_weight=None if w is None else da.from_array(w, chunks=2000),
    )
    np.testing.assert_allclose(got, M.confusion_matrix(t, p, sample_weight=w), rtol=1e-12)
    with pytest.raises(ValueError, match="outside"):
        fd.confusion_matrix(
            da.from_array(t, chunks=1000), da.from_array(p, chunks=1000), num_classes=3
        )


def test_dask_regression_stats_equal_in_memory():
    rng = np.random.default_rng(1)
    t = 1e6 + rng.normal(size=(20_000, 2))
    p = t + rng.normal(size=(20_000, 2))
    s = fd.regression_stats(da.from_array(t, chunks=(3000, 2)), da.from_array(p, chunks=(3000, 2)))
    for name in (
        "mean_squared_error",
        "r2_score",
        "explained_variance_score",
        "mean_absolute_error",
    ):
        np.testing.assert_allclose(
            getattr(s, name)(multioutput="raw_values"),
            getattr(M, name)(t, p, multioutput="raw_values"),
            # chunks of 3000 and the in-memory tasks add in different orders; r2 and explained
            # variance near 0 (here -0.006) are 1 - a ratio near 1, so their relative error is
            # that order's ~1e-11 magnified: compared absolutely too
            rtol=1e-9,
            atol=1e-10,
        )
