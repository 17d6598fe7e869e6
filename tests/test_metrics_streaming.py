"""Streaming metrics equal the one-shot ones; failed updates leave the state unchanged."""

import numpy as np
import pytest

import fastinit.metrics as M


def _batches(n, k, rng):
    cuts = np.sort(rng.choice(np.arange(1, n), size=k - 1, replace=False))
    return np.split(np.arange(n), cuts)


@pytest.mark.parametrize("kind", ["int", "str", "weighted"])
def test_confusion_stream_equals_one_shot(kind):
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 300), rng.integers(0, 6, 300)
    w = rng.random(300) if kind == "weighted" else None
    if kind == "str":
        t, p = np.array(list("abcdefg"))[t], np.array(list("abcdefg"))[p]
    a, b = M.ConfusionMatrix(), M.ConfusionMatrix()
    for i, idx in enumerate(_batches(300, 6, rng)):
        (a if i % 2 else b).update(t[idx], p[idx], None if w is None else w[idx])
    cm = b.merge(a)
    np.testing.assert_allclose(cm.matrix, M.confusion_matrix(t, p, sample_weight=w))
    for average in ("micro", "macro", "weighted"):
        got = cm.f1_score(average=average)
        assert got == pytest.approx(M.f1_score(t, p, average=average, sample_weight=w), rel=1e-12)
        got = cm.jaccard_score(average=average)
        assert got == pytest.approx(M.jaccard_score(t, p, average=average, sample_weight=w))
    assert cm.accuracy_score() == pytest.approx(M.accuracy_score(t, p, sample_weight=w))
    assert cm.matthews_corrcoef() == pytest.approx(M.matthews_corrcoef(t, p, sample_weight=w))
    assert cm.cohen_kappa_score(weights="quadratic") == pytest.approx(
        M.cohen_kappa_score(t, p, weights="quadratic", sample_weight=w)
    )
    with pytest.warns(UserWarning):
        assert cm.balanced_accuracy_score() == pytest.approx(
            M.balanced_accuracy_score(t, p, sample_weight=w)
        )
    if w is None:
        with pytest.warns(M.UndefinedMetricWarning):
            assert cm.classification_report() == M.classification_report(t, p)
        assert cm.hamming_loss() == M.hamming_loss(t, p)


def test_fixed_labels_and_failed_update():
    cm = M.ConfusionMatrix(num_classes=3)
    cm.update([0, 1, 2], [0, 2, 2])
    before = cm.matrix.copy()
    for bad in ([0, 3], [0, -1]):
        with pytest.raises(ValueError, match="outside"):
            cm.update(bad, [0, 0])
    with pytest.raises(ValueError, match="length"):
        cm.update([0, 1], [0])
    with pytest.raises(ValueError, match="y_true"):
        cm.update([0, np.nan], [0, 1])
    with pytest.raises(ValueError, match="sample_weight"):
        cm.update([0, 1], [0, 1], sample_weight=[1.0, np.nan])
    np.testing.assert_array_equal(cm.matrix, before)
    named = M.ConfusionMatrix(labels=["dog", "cat"])
    named.update(["cat", "dog"], ["cat", "cat"])
    np.testing.assert_array_equal(named.matrix, [[0, 1], [0, 1]])
    with pytest.raises(ValueError, match="labels"):
        named.update(["cow"], ["cat"])
    with pytest.raises(ValueError, match="no samples"):
        M.ConfusionMatrix().f1_score()


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_stream_equals_one_shot(weighted):
    rng = np.random.default_rng(1)
    t = 1e6 + rng.normal(size=(500, 2))
    p = t + 0.1 * rng.normal(size=(500, 2))
    w = rng.random(500) if weighted else None
    a, b = M.RegressionStats(), M.RegressionStats()
    for i, idx in enumerate(_batches(500, 7, rng)):
        (a if i % 2 else b).update(t[idx], p[idx], None if w is None else w[idx])
    s = a.merge(b)
    for name in (
        "mean_squared_error",
        "mean_absolute_error",
        "root_mean_squared_error",
        "mean_absolute_percentage_error",
        "r2_score",
        "explained_variance_score",
    ):
        for mo in ("raw_values", "uniform_average"):
            np.testing.assert_allclose(
                getattr(s, name)(multioutput=mo),
                getattr(M, name)(t, p, sample_weight=w, multioutput=mo),
                rtol=1e-9,
            )
    before = s._stats.copy()
    with pytest.raises(ValueError, match="y_pred"):
        s.update(t[:3], np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="outputs"):
        s.update(t[:3, 0], p[:3, 0])
    np.testing.assert_array_equal(s._stats, before)
