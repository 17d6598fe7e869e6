"""Metrics in the comparison table: fastinit against scikit-learn, NumPy and Python loops.

Classification inputs are int64 labels in ``[0, K)`` where 70% of the predictions are right (the
diagonal-heavy matrix of a useful classifier); regression inputs are float64 targets and noisy
predictions. ``check`` recomputes the answer with an oracle that none of the peers uses: the
confusion matrix from ``np.unique`` over pair codes (a sort, not a histogram), the regression
metrics with ``math.fsum`` over Python floats.
"""

import math

import numpy as np

from . import Comparison, Peer, register

_NAIVE_MAX = 200_000  # pure-Python loops are timed on this many samples and scaled
_BENCH = 10_000_000  # the benchmark's size: 10^7 labels / floats


# --------------------------------------------------------------------------------- inputs ---
def _labels(k):
    def setup(size):
        rng = np.random.default_rng(5)
        t = rng.integers(0, k, size)
        p = np.where(rng.random(size) < 0.7, t, rng.integers(0, k, size))
        return {"y_true": t, "y_pred": p, "k": k}

    return setup


def _targets(size):
    rng = np.random.default_rng(6)
    t = rng.normal(size=size)
    return {"y_true": t, "y_pred": t + 0.1 * rng.normal(size=size)}


# -------------------------------------------------------------------------------- oracles ---
def _oracle_cm(t, p, k):
    codes, counts = np.unique(t.astype(np.int64) * k + p, return_counts=True)
    cm = np.zeros(k * k, np.int64)
    cm[codes] = counts
    return cm.reshape(k, k)


def _check_cm(inputs, peer, result):
    expected = _oracle_cm(inputs["y_true"], inputs["y_pred"], inputs["k"])
    present = (expected.sum(axis=0) + expected.sum(axis=1)) != 0
    expected = expected[np.ix_(present, present)]  # scikit-learn's rows: the labels present
    np.testing.assert_array_equal(np.asarray(result), expected, err_msg=peer)


def _check_prfs(inputs, peer, result):
    cm = _oracle_cm(inputs["y_true"], inputs["y_pred"], inputs["k"]).astype(np.float64)
    tp, pred, true = np.diagonal(cm), cm.sum(axis=0), cm.sum(axis=1)
    keep = (pred + true) != 0
    tp, pred, true = tp[keep], pred[keep], true[keep]
    assert (pred > 0).all() and (true > 0).all(), "the inputs must not need zero_division"
    precision, recall = tp / pred, tp / true
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    expected = (precision.mean(), recall.mean(), f1.mean(), None)
    assert result[3] is None, (peer, result)
    np.testing.assert_allclose(result[:3], expected[:3], rtol=1e-12, err_msg=peer)


def _check_mse(inputs, peer, result):
    t, p = inputs["y_true"].tolist(), inputs["y_pred"].tolist()
    expected = math.fsum((a - b) ** 2 for a, b in zip(t, p, strict=True)) / len(t)
    assert math.isclose(result, expected, rel_tol=1e-10), (peer, result, expected)


def _check_r2(inputs, peer, result):
    t, p = inputs["y_true"].tolist(), inputs["y_pred"].tolist()
    mean = math.fsum(t) / len(t)
    sse = math.fsum((a - b) ** 2 for a, b in zip(t, p, strict=True))
    sst = math.fsum((a - mean) ** 2 for a in t)
    expected = 1 - sse / sst
    assert math.isclose(result, expected, rel_tol=1e-10), (peer, result, expected)


# ---------------------------------------------------------------------------------- peers ---
def _fastinit(name):
    def run(y_true, y_pred, k=None, **kwargs):
        import fastinit.metrics as fm

        return getattr(fm, name)(y_true, y_pred, **kwargs)

    return run


def _sklearn(name):
    def run(y_true, y_pred, k=None, **kwargs):
        import sklearn.metrics as skm

        return getattr(skm, name)(y_true, y_pred, **kwargs)

    return run


def _numpy_cm(y_true, y_pred, k):
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def _naive_cm(y_true, y_pred, k):
    cm = [[0] * k for _ in range(k)]
    for a, b in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        cm[a][b] += 1
    return np.array(cm, dtype=np.int64)


def _macro(cm):
    """Macro precision, recall, F1 of a square count matrix whose classes all occur."""
    cm = cm[np.ix_(*[(cm.sum(axis=0) + cm.sum(axis=1)) != 0] * 2)].astype(np.float64)
    tp, pred, true = np.diagonal(cm), cm.sum(axis=0), cm.sum(axis=1)
    precision, recall = tp / pred, tp / true
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision.mean(), recall.mean(), f1.mean(), None


def _numpy_prfs(y_true, y_pred, k):
    return _macro(_numpy_cm(y_true, y_pred, k))


def _naive_prfs(y_true, y_pred, k):
    return _macro(_naive_cm(y_true, y_pred, k))


def _numpy_mse(y_true, y_pred):
    e = y_true - y_pred
    return float(np.dot(e, e) / e.size)


def _numpy_r2(y_true, y_pred):
    e = y_true - y_pred
    d = y_true - y_true.mean()
    return float(1 - np.dot(e, e) / np.dot(d, d))


def _naive_mse(y_true, y_pred):
    s = 0.0
    for a, b in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        s += (a - b) ** 2
    return s / len(y_true)


def _naive_r2(y_true, y_pred):
    t, p = y_true.tolist(), y_pred.tolist()
    mean = sum(t) / len(t)
    sse = sst = 0.0
    for a, b in zip(t, p, strict=True):
        sse += (a - b) ** 2
        sst += (a - mean) ** 2
    return 1 - sse / sst


# ------------------------------------------------------------------------------- registry ---
for _k, _suffix in ((10, ""), (1000, "_k1000")):
    register(
        Comparison(
            name=f"metrics.confusion_matrix{_suffix}",
            description=f"int64 labels, K={_k}, 70% correct",
            setup=_labels(_k),
            check=_check_cm,
            test_size=50_000,
            bench_size=_BENCH,
            unit="label",
            peers={
                "fastinit": Peer(_fastinit("confusion_matrix")),
                "sklearn": Peer(_sklearn("confusion_matrix"), requires="sklearn"),
                "numpy": Peer(_numpy_cm),
                "naive": Peer(_naive_cm, max_size=_NAIVE_MAX),
            },
        )
    )

register(
    Comparison(
        name="metrics.precision_recall_fscore_support",
        description='average="macro", int64 labels, K=10, 70% correct',
        setup=_labels(10),
        check=_check_prfs,
        test_size=50_000,
        bench_size=_BENCH,
        unit="label",
        peers={
            "fastinit": Peer(
                lambda y_true, y_pred, k: _fastinit("precision_recall_fscore_support")(
                    y_true, y_pred, average="macro"
                )
            ),
            "sklearn": Peer(
                lambda y_true, y_pred, k: _sklearn("precision_recall_fscore_support")(
                    y_true, y_pred, average="macro"
                ),
                requires="sklearn",
            ),
            "numpy": Peer(_numpy_prfs),
            "naive": Peer(_naive_prfs, max_size=_NAIVE_MAX),
        },
    )
)

for _name, _check, _np, _naive in (
    ("mean_squared_error", _check_mse, _numpy_mse, _naive_mse),
    ("r2_score", _check_r2, _numpy_r2, _naive_r2),
):
    register(
        Comparison(
            name=f"metrics.{_name}",
            description="float64 targets and predictions",
            setup=_targets,
            check=_check,
            test_size=50_000,
            bench_size=_BENCH,
            peers={
                "fastinit": Peer(_fastinit(_name)),
                "sklearn": Peer(_sklearn(_name), requires="sklearn"),
                "numpy": Peer(_np),
                "naive": Peer(_naive, max_size=_NAIVE_MAX),
            },
        )
    )
