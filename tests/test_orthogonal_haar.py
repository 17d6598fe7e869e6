"""Haar distribution, by statistics on many small draws, and proof that the tests can fail.

For Q uniform on O(n) (or on the Stiefel manifold of m x k matrices with orthonormal columns):
each squared entry follows Beta(1/2, (m-1)/2) (a coordinate of a uniform unit vector of R^m),
entries have mean 0, the trace of a square Q has mean 0 and variance 1, det Q is +1 or -1 with
probability 1/2, and every entry and the trace have the laws of ``scipy.stats.ortho_group``
(two-sample Kolmogorov-Smirnov). A sampler without the sign correction (QR of a Gaussian
matrix taken as is, or the reflector product without D) must fail this battery.

Every sample comes from a fixed seed, so the outcomes are deterministic; the thresholds
(p > 1e-4 after a Bonferroni correction, |z| < 5) are what a correct sampler passes with
overwhelming probability and the broken ones miss by orders of magnitude.
"""

import numpy as np
import pytest
import scipy.stats as st

from fastinit import config
from fastinit._orthogonal import orthogonal, special_orthogonal
from fastinit.random import block, key

from .reference_orthogonal import haar_from_draws, packed_size, qr_haar

N = 20_000
ALPHA = 1e-4


def haar_failures(q, reference, *, square=True, special=False):
    """Names of the checks that the sample ``q`` (count, rows, cols) fails.

    ``reference`` is a sample of the target law (scipy) of the same shape.
    """
    q = np.asarray(q, dtype=np.float64)
    count, rows, cols = q.shape
    m = max(rows, cols)
    failed = set()
    entries = q.reshape(count, -1)
    # squared entries: Beta(1/2, (m-1)/2)
    beta = st.beta(0.5, (m - 1) / 2)
    p_beta = [st.kstest(entries[:, i] ** 2, beta.cdf).pvalue for i in range(entries.shape[1])]
    if min(p_beta) * len(p_beta) < ALPHA:
        failed.add("beta")
    # entries have mean 0 and variance 1/m
    z = entries.mean(axis=0) / np.sqrt(1.0 / m / count)
    if np.abs(z).max() > 5:
        failed.add("mean")
    # two-sample KS against the reference, entry by entry (and the trace below)
    ref = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    p_ks = [st.ks_2samp(entries[:, i], ref[:, i]).pvalue for i in range(entries.shape[1])]
    if square:
        trace = np.trace(q, axis1=1, axis2=2)
        ref_trace = np.trace(np.asarray(reference), axis1=1, axis2=2)
        p_ks.append(st.ks_2samp(trace, ref_trace).pvalue)
        if not special:
            # trace: mean 0, variance 1 (Haar on O(n), n >= 2)
            if abs(trace.mean()) > 5 / np.sqrt(count) or abs(trace.var() - 1) > 5 * np.sqrt(
                2 / count
            ):
                failed.add("trace")
            # det: +1 and -1 equally often
            positive = int((np.linalg.det(q) > 0).sum())
            if st.binomtest(positive, count).pvalue < ALPHA:
                failed.add("det")
    if min(p_ks) * len(p_ks) < ALPHA:
        failed.add("ks")
    return failed


@pytest.fixture(scope="module")
def ortho3():
    return st.ortho_group.rvs(3, size=N, random_state=12345)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_square_is_haar(ortho3, dtype):
    q = orthogonal((N, 3, 3), batch_ndim=1, seed=2024, dtype=dtype)
    assert haar_failures(q, ortho3) == set()


def test_blocked_path_is_haar(monkeypatch):
    monkeypatch.setattr(config, "ORTHOGONAL_UNBLOCKED_MAX_K", 0)
    monkeypatch.setattr(config, "ORTHOGONAL_UNBLOCKED_BATCH_MAX_K", 0)
    monkeypatch.setattr(config, "ORTHOGONAL_BLOCK", 2)
    count = 4000
    q = orthogonal((count, 4, 4), batch_ndim=1, seed=77, dtype=np.float64)
    reference = st.ortho_group.rvs(4, size=count, random_state=7)
    assert haar_failures(q, reference) == set()


@pytest.mark.parametrize("shape", [(5, 2), (2, 5)])
def test_stiefel_is_haar(shape):
    q = orthogonal((N, *shape), batch_ndim=1, seed=31, dtype=np.float64)
    full = st.ortho_group.rvs(5, size=N, random_state=99)
    reference = full[:, :, :2] if shape == (5, 2) else full[:, :2, :]
    assert haar_failures(q, reference, square=False) == set()


def test_special_is_haar_on_so3(ortho3):
    r = special_orthogonal((N, 3, 3), batch_ndim=1, seed=8, dtype=np.float64)
    assert np.allclose(np.linalg.det(r), 1.0)
    reference = st.special_ortho_group.rvs(3, size=N, random_state=4)
    assert haar_failures(r, reference, special=True) == set()
    # and the battery tells SO(3) from O(3), in both directions
    assert "ks" in haar_failures(r, ortho3, special=True)
    plain = orthogonal((N, 3, 3), batch_ndim=1, seed=8, dtype=np.float64)
    assert "ks" in haar_failures(plain, reference, special=True)


def test_textbook_sampler_with_sign_fix_passes(ortho3):
    """The battery accepts the reference construction (QR + sign fix), so it is not too strict."""
    a = np.random.default_rng(5).standard_normal((N, 3, 3))
    assert haar_failures(qr_haar(a), ortho3) == set()


def test_qr_without_sign_fix_fails(ortho3):
    a = np.random.default_rng(5).standard_normal((N, 3, 3))
    failed = haar_failures(qr_haar(a, sign_fix=False), ortho3)
    assert {"mean", "ks", "det"} <= failed


def test_reflectors_without_sign_fix_fail(ortho3):
    """fastinit's own construction, on fastinit's own stream, with D dropped: rejected."""
    count = 5000
    m = 3
    stream_key = key(2024)
    size = packed_size(m, m)
    draws = block("normal", 0, count * m * m, seed=stream_key, dtype=np.float64)
    starts = np.arange(count) * m * m
    broken = np.stack([haar_from_draws(draws[s : s + size], m, m, sign_fix=False) for s in starts])
    failed = haar_failures(broken, ortho3[:count])
    assert {"mean", "ks", "trace", "det"} <= failed
    # the same draws with the fix are accepted, and equal what orthogonal() returns
    fixed = np.stack([haar_from_draws(draws[s : s + size], m, m) for s in starts])
    assert haar_failures(fixed, ortho3[:count]) == set()
    got = orthogonal((count, m, m), batch_ndim=1, seed=stream_key, dtype=np.float64)
    np.testing.assert_allclose(got, fixed, atol=1e-14, rtol=0)
