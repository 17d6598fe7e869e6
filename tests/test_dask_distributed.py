"""fastinit.metrics of dask arrays on dask.distributed: two worker processes (one thread each)
give the results of the threaded scheduler. The Numba kernels run in the workers (compiled or
loaded from the cache there); the per-chunk functions and partial results travel pickled.

One LocalCluster for the module (starting one takes seconds); marked slow.
"""

import numpy as np
import pytest

import fastinit.metrics as M
from fastinit.metrics import _median
from tests._dask_cases import assert_same, chunked

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
fd = pytest.importorskip("fastinit.dask")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


def _threaded(fn, *args, **kwargs):
    with dask.config.set(scheduler="threads"):
        return fn(*args, **kwargs)


def _same_on_both(client, fn, *args, **kwargs):
    want = _threaded(fn, *args, **kwargs)
    got = fn(*args, **kwargs)  # the client is the default scheduler while it is open
    # chunks and merges are the same; only float sums may differ in the last bits: a kernel
    # with reassociated reductions compiled in one process and the same kernel loaded from
    # Numba's cache in another do not always add in the same order (seen on an AVX-512 Xeon)
    assert_same(got, want, rtol=1e-12)
    return got


def test_the_cluster_is_the_scheduler(client):
    x = chunked(np.arange(10), 3)
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2
    assert int(x.sum().compute()) == 45


def test_classification_on_workers(client):
    rng = np.random.default_rng(0)
    t = np.array(["ant", "bee", "cat", "dog"])[rng.integers(0, 4, 20_000)]
    p = np.where(rng.random(20_000) < 0.7, t, "cat")
    w = rng.random(20_000)
    dt, dp, dw = chunked(t, 3000), chunked(p, 3000), chunked(w, 2500)
    got = _same_on_both(client, M.f1_score, dt, dp, sample_weight=dw, average="macro")
    assert got == pytest.approx(M.f1_score(t, p, sample_weight=w, average="macro"), rel=1e-12)
    report = _same_on_both(client, M.classification_report, dt, dp, output_dict=True)
    assert report == M.classification_report(t, p, output_dict=True)
    ti, pi = rng.integers(0, 7, 20_000), rng.integers(0, 7, 20_000)
    cm = _same_on_both(client, M.confusion_matrix, chunked(ti, 4096), chunked(pi, 4096))
    np.testing.assert_array_equal(cm, M.confusion_matrix(ti, pi))
    full = fd.confusion_matrix(chunked(ti, 4096), chunked(pi, 4096), num_classes=7)
    np.testing.assert_array_equal(full, cm)


def test_regression_and_median_on_workers(client, monkeypatch):
    rng = np.random.default_rng(1)
    t = 1e3 + rng.normal(size=(30_000, 2))
    p = t + rng.normal(size=(30_000, 2))
    w = rng.integers(0, 4, 30_000).astype(float)
    dt, dp, dw = chunked(t, 4000), chunked(p, 4000), chunked(w, 4000)
    for name in ("r2_score", "mean_absolute_error", "explained_variance_score"):
        got = _same_on_both(client, getattr(M, name), dt, dp, multioutput="raw_values")
        np.testing.assert_allclose(got, getattr(M, name)(t, p, multioutput="raw_values"), 1e-10)
    monkeypatch.setattr(_median, "GATHER_MAX", 100)  # the selection runs on the client
    got = _same_on_both(client, M.median_absolute_error, dt, dp, sample_weight=dw)
    assert got == M.median_absolute_error(t, p, sample_weight=w)
    labels = (t[:, 0] > 1e3).astype(int)
    got = _same_on_both(client, M.top_k_accuracy_score, chunked(labels, 4000), dp[:, 0], k=1)
    assert got == M.top_k_accuracy_score(labels, p[:, 0], k=1)


def test_errors_raised_in_workers_reach_the_caller(client):
    t = np.arange(100.0)
    t[77] = np.nan
    with pytest.raises(ValueError, match="Input y_true contains NaN"):
        M.r2_score(chunked(t, 10), chunked(np.arange(100.0), 10))
    with pytest.raises(ValueError, match="Mix of label input types"):
        M.accuracy_score(chunked(np.arange(10), 5), chunked(np.array(list("abcdefghij")), 5))
