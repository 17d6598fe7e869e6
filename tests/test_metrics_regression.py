"""fastinit.metrics.regression against scikit-learn (the oracle) and tests/reference_metrics:
every metric, output layout, multioutput and weighting, and targets with a large mean."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from fastinit.metrics import regression
from tests import reference_metrics as ref
from tests.sklearn_oracle import SETTINGS, run, same

skm = pytest.importorskip("sklearn.metrics")

# max_error (one output, no weights) is compared on its own
REGRESSION = [name for name in regression.__all__ if name != "max_error"]


@SETTINGS
@given(
    st.integers(0, 2**31),
    st.integers(1, 3),
    st.sampled_from(["raw_values", "uniform_average", "variance_weighted", "custom"]),
    st.booleans(),
)
def test_regression(seed, k, multioutput, weighted):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    t = rng.normal(size=(n, k)) * 10 + (1e6 if seed % 3 == 0 else 0)
    p = t + rng.normal(size=(n, k))
    if seed % 5 == 0:
        p[:, 0] = t[:, 0]  # perfect output (force_finite paths)
    if k == 1 and seed % 2:
        t, p = t[:, 0], p[:, 0]
    w = rng.random(n) + 0.1 if weighted else None
    mo = rng.random(k) if multioutput == "custom" else multioutput
    for name in REGRESSION:
        if multioutput == "variance_weighted" and name not in (
            "r2_score",
            "explained_variance_score",
        ):
            continue
        if isinstance(mo, np.ndarray) and k == 1:
            continue
        a, _ = run(getattr(M, name), t, p, sample_weight=w, multioutput=mo)
        b, _ = run(getattr(skm, name), t, p, sample_weight=w, multioutput=mo)
        same(a, b, rtol=1e-7 if seed % 3 == 0 else 1e-10)
    if t.ndim == 1:
        same(M.max_error(t, p), skm.max_error(t, p))


def test_regression_large_mean_exact():
    rng = np.random.default_rng(3)
    t = 1e6 + rng.normal(size=10_000)
    p = t + 0.01 * rng.normal(size=10_000)
    mse, r2 = ref.regression_sums(list(t[:2000]), list(p[:2000]))
    assert M.r2_score(t[:2000], p[:2000]) == pytest.approx(r2, rel=1e-10)
    assert M.mean_squared_error(t[:2000], p[:2000]) == pytest.approx(mse, rel=1e-10)
    assert M.explained_variance_score(t, p) == pytest.approx(
        skm.explained_variance_score(t, p), rel=1e-10
    )
    with pytest.warns(M.UndefinedMetricWarning):
        assert np.isnan(M.r2_score([1.0], [2.0]))
