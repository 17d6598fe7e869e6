"""Differential tests of fastinit.metrics against scikit-learn (the oracle) and tests/reference."""

import warnings

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import fastinit.metrics as M
from fastinit.metrics import regression
from tests import reference_metrics as ref

skm = pytest.importorskip("sklearn.metrics")

SETTINGS = settings(
    derandomize=True, deadline=None, max_examples=25, phases=(Phase.explicit, Phase.generate)
)


def run(fn, *args, **kwargs):
    """(result or exception type, [(warning class name, message)])."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            out = type(exc)
    return out, [(w.category.__name__, str(w.message)) for w in rec]


def same(a, b, rtol=1e-9):
    if isinstance(a, type) or isinstance(b, type):
        assert (
            isinstance(a, type)
            and isinstance(b, type)
            and issubclass(a, ValueError) == issubclass(b, ValueError)
        )
        return
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same(x, y, rtol)
        return
    if a is None or b is None:
        assert a is None and b is None
        return
    if isinstance(b, (str, dict)):
        assert a == b if isinstance(b, str) else a.keys() == b.keys()
        return
    assert type(a) is type(b), (type(a), type(b))
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=1e-12)
    if isinstance(b, np.ndarray):
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind


def compare(name, *args, **kwargs):
    a, wa = run(getattr(M, name), *args, **kwargs)
    b, wb = run(getattr(skm, name), *args, **kwargs)
    same(a, b)
    assert (
        [m for _, m in wa] == [m for _, m in wb] or not isinstance(b, type) and len(wa) == len(wb)
    )
    return a


@st.composite
def label_pairs(draw, kinds=("int", "bool", "str", "float", "neg")):
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, 6))
    t = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    p = np.array(draw(st.lists(st.integers(0, k), min_size=n, max_size=n)))
    if kind == "bool":
        t, p = t % 2 == 1, p % 2 == 1
    elif kind == "str":
        names = np.array(["ant", "bee", "cat", "dog", "eel", "fox", "gnu"])
        t, p = names[t], names[p]
    elif kind == "float":
        t, p = t.astype(float), p.astype(float)
    elif kind == "neg":
        t, p = (t * 7 - 10).astype(np.int16), (p * 7 - 10).astype(np.int32)
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.floats(0.0, 3.0), min_size=n, max_size=n)))
    return t, p, w


@SETTINGS
@given(label_pairs(), st.sampled_from([None, "true", "pred", "all"]), st.integers(0, 3))
def test_confusion_matrix(data, normalize, label_mode):
    t, p, w = data
    labels = None
    present = np.unique(np.concatenate([t, p]))
    if label_mode == 1:
        labels = present[::-1]  # reordered
    elif label_mode == 2:
        labels = present[: max(1, len(present) // 2)]  # subset
    elif label_mode == 3:
        labels = np.concatenate([present[:1], present[:1], present[1:]])  # with a repeat
    a = compare("confusion_matrix", t, p, labels=labels, sample_weight=w, normalize=normalize)
    if normalize is None and label_mode == 0 and w is None:
        np.testing.assert_array_equal(a, ref.confusion_matrix(list(t), list(p), list(present)))


@SETTINGS
@given(
    label_pairs(),
    st.sampled_from([None, "binary", "micro", "macro", "weighted", "samples"]),
    st.sampled_from(["warn", 0, 1, np.nan]),
    st.booleans(),
)
def test_precision_recall_family(data, average, zero_division, with_labels):
    t, p, w = data
    labels = np.unique(t)[::-1] if with_labels else None
    pos_label = t[0] if average == "binary" else 1
    kw = dict(average=average, zero_division=zero_division, labels=labels, sample_weight=w)
    compare("precision_recall_fscore_support", t, p, pos_label=pos_label, **kw)
    for name in ("precision_score", "recall_score", "f1_score", "jaccard_score"):
        if name == "jaccard_score" and zero_division is np.nan:
            continue  # sklearn's jaccard_score rejects nan; fastinit accepts it
        compare(name, t, p, pos_label=pos_label, **kw)
    compare("fbeta_score", t, p, beta=0.5, pos_label=pos_label, **kw)


@SETTINGS
@given(label_pairs(), st.sampled_from(["warn", 0, 1]), st.integers(0, 4))
def test_single_number_metrics(data, zero_division, digits):
    t, p, w = data
    compare("accuracy_score", t, p, sample_weight=w)
    compare("accuracy_score", t, p, normalize=False, sample_weight=w)
    compare("balanced_accuracy_score", t, p, sample_weight=w, adjusted=digits % 2 == 0)
    compare("matthews_corrcoef", t, p, sample_weight=w)
    compare("hamming_loss", t, p, sample_weight=w)
    compare("zero_one_loss", t, p, sample_weight=w, normalize=digits > 1)
    compare("multilabel_confusion_matrix", t, p, sample_weight=w)
    for weights in (None, "linear", "quadratic"):
        compare("cohen_kappa_score", t, p, weights=weights, sample_weight=w)
    kw = dict(sample_weight=w, digits=digits, zero_division=zero_division)
    if w is None or digits > 2:  # weighted float supports can differ in the last ulp
        compare("classification_report", t, p, **kw)
    a, _ = run(M.classification_report, t, p, output_dict=True, **kw)
    b, _ = run(skm.classification_report, t, p, output_dict=True, **kw)
    assert a.keys() == b.keys()
    for key in b:
        if isinstance(b[key], dict):
            np.testing.assert_allclose(list(a[key].values()), list(b[key].values()), rtol=1e-9)
        else:
            assert a[key] == pytest.approx(b[key], rel=1e-12)


@SETTINGS
@given(st.integers(0, 2**31), st.integers(2, 6), st.sampled_from(["warn", 0, 1, np.nan]))
def test_multilabel(seed, n_labels, zero_division):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, (12, n_labels))
    p = rng.integers(0, 2, (12, n_labels))
    w = rng.random(12) if seed % 2 else None
    compare("multilabel_confusion_matrix", t, p, sample_weight=w)
    compare("multilabel_confusion_matrix", t, p, sample_weight=w, samplewise=True)
    compare("multilabel_confusion_matrix", t, p, labels=[1, 0])
    for average in ("samples", "micro", "macro", "weighted", None):
        compare(
            "precision_recall_fscore_support",
            t,
            p,
            average=average,
            sample_weight=w,
            zero_division=zero_division,
        )
        if zero_division is not np.nan:
            compare(
                "jaccard_score", t, p, average=average, sample_weight=w, zero_division=zero_division
            )
    compare("accuracy_score", t, p, sample_weight=w)
    compare("hamming_loss", t, p, sample_weight=w)
    compare("zero_one_loss", t, p)
    if w is None:
        compare("classification_report", t, p, zero_division=zero_division)


def test_top_k_accuracy():
    rng = np.random.default_rng(0)
    scores = rng.random((50, 4))
    scores[:5, :2] = 0.5  # ties
    t = rng.integers(0, 4, 50)
    for k in (1, 2, 3):
        compare("top_k_accuracy_score", t, scores, k=k)
        compare(
            "top_k_accuracy_score", t, scores, k=k, normalize=False, sample_weight=rng.random(50)
        )
    compare("top_k_accuracy_score", t, scores, k=4)
    compare("top_k_accuracy_score", t % 2, scores[:, 0], k=1)
    compare("top_k_accuracy_score", t, scores[:, :3], labels=[0, 1, 2])


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


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: M.confusion_matrix([0, 1], [0]), "length"),
        (lambda: M.confusion_matrix([0, np.nan], [0, 1]), "y_true"),
        (lambda: M.confusion_matrix([0, 1], [0.5, 1]), "y_pred"),
        (lambda: M.confusion_matrix(1, 1), "0-d"),
        (lambda: M.confusion_matrix(np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), "3-d"),
        (lambda: M.confusion_matrix([0, 1], [0, 1], normalize="rows"), "normalize"),
        (lambda: M.f1_score([0, 1], [0, 1], average="mean"), "average"),
        (lambda: M.f1_score([0, 1], [0, 1], zero_division=2), "zero_division"),
        (lambda: M.f1_score([0, 1], ["a", "b"]), "Mix"),
        (lambda: M.confusion_matrix([0, 1], [0, 1], sample_weight=[1.0]), "sample_weight"),
        (lambda: M.mean_squared_error([0.0, np.nan], [0.0, 1.0]), "y_true"),
        (lambda: M.r2_score([0.0, 1.0], [0.0, np.inf]), "y_pred"),
        (lambda: M.mean_squared_error([0.0, 1.0], [0.0]), "length"),
        (lambda: M.mean_squared_error([[0.0]], [[0.0]], multioutput="sum"), "multioutput"),
        (lambda: M.confusion_matrix([], []), "empty"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


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
