"""Sweep of the thread property of fastinit.metrics (opt-in: ``pytest -m sweep``).

Reductions (weighted confusion matrices, regression moments, the accumulators) are the same bits
on 1 and 2 threads, for drawn sizes, class counts and weights.

Cases: a hundredth of ``FASTINIT_SWEEP_EXAMPLES`` (each case counts 2^17 or more samples twice).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from fastinit.metrics import _parallel
from tests._helpers import with_threads
from tests.sweep_metrics import FEWEST

pytestmark = pytest.mark.sweep


def _bits(value):
    if isinstance(value, tuple):
        return tuple(_bits(v) for v in value)
    return np.asarray(value).tobytes()


@FEWEST
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2 * (1 << 16), 3 * (1 << 16)),
    k=st.integers(2, 40),
    weighted=st.sampled_from(["float", "int", "half"]),
)
def test_sweep_same_bits_on_one_and_two_threads(seed, n, k, weighted):
    # every drawn size on both threads: the light kernels split from MIN_PART samples a thread
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_parallel, "COUNT_MIN_PART", _parallel.MIN_PART)
        patch.setattr(_parallel, "MOMENTS_MIN_PART", _parallel.MIN_PART)
        _same_bits_on_one_and_two_threads(seed, n, k, weighted)


def _same_bits_on_one_and_two_threads(seed, n, k, weighted):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, n)
    p = np.where(rng.random(n) < 0.6, t, rng.integers(0, k, n))
    w = {"float": rng.random(n) * 3, "int": rng.integers(0, 4, n)}.get(weighted)
    if w is None:
        w = rng.random(n).astype(np.float16)
    yt = 1e3 + rng.normal(size=(n, 2))
    yp = yt + rng.normal(size=(n, 2))

    def run():
        out = [M.confusion_matrix(t, p, sample_weight=w), M.f1_score(t, p, average="macro",
               sample_weight=w)]  # fmt: skip
        for name in ("mean_squared_error", "mean_absolute_error", "r2_score",
                     "explained_variance_score", "mean_absolute_percentage_error"):  # fmt: skip
            out.append(getattr(M, name)(yt, yp, sample_weight=w, multioutput="raw_values"))
        cm, stats = M.ConfusionMatrix(), M.RegressionStats()
        for part in np.array_split(np.arange(n), 3):
            cm.update(t[part], p[part], w[part])
            stats.update(yt[part], yp[part], w[part])
        out += [cm.matrix, cm.cohen_kappa_score(), stats.r2_score(multioutput="raw_values")]
        return _bits(tuple(out))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert with_threads(1, run) == with_threads(2, run)
