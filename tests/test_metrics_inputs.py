"""Bad and unusual inputs of fastinit.metrics and fastinit.dask: refused with a message naming
the argument, or handled exactly (scikit-learn is the oracle where it has an answer)."""

import inspect

import numpy as np
import pytest

import fastinit.metrics as M
from fastinit.metrics import regression
from tests.sweep import assert_unchanged, snapshot

skm = pytest.importorskip("sklearn.metrics")

BIG = 2**53  # from here on, float64 no longer tells consecutive integers apart


# ------------------------------------------------------------ refused, naming the argument ---


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


# ------------------------------------------------------------------ ConfusionMatrix labels ---


def test_confusion_stream_refuses_strings_after_numbers():
    cm = M.ConfusionMatrix()
    cm.update([0, 1], [0, 1])
    before = snapshot(cm)
    with pytest.raises(ValueError, match="y_true.*mix of label input types"):
        cm.update(["a", "b"], ["a", "b"])
    assert_unchanged(before, cm, "the accumulator")
    other = M.ConfusionMatrix()
    other.update(["a", "b"], ["b", "b"])
    with pytest.raises(ValueError, match="other.*mix of label input types"):
        cm.merge(other)
    with pytest.raises(ValueError, match="other.*mix of label input types"):
        other.merge(cm)
    assert_unchanged(before, cm, "the accumulator")
    np.testing.assert_array_equal(cm.matrix, [[1, 0], [0, 1]])
    # an accumulator that has counted nothing adds nothing, whatever its label type
    before_other = snapshot(other)
    assert_unchanged(before_other, other.merge(M.ConfusionMatrix()), "other")


def test_confusion_stream_label_union_is_exact_for_any_integer_dtypes():
    small = np.array([1, 2, 2], np.int8)
    big = np.array([BIG, BIG + 1, BIG + 1], np.uint64)
    a, b = M.ConfusionMatrix(), M.ConfusionMatrix()
    a.update(small, small)
    b.update(big, big)
    a.merge(b)
    assert [int(c) for c in a.classes] == [1, 2, BIG, BIG + 1]
    np.testing.assert_array_equal(a.matrix, np.diag([1, 2, 1, 2]))
    a.update(np.array([-1]), np.array([2**64 - 1], np.uint64))  # no common integer dtype
    assert [int(c) for c in a.classes] == [-1, 1, 2, BIG, BIG + 1, 2**64 - 1]
    assert a.matrix[0, -1] == 1 and a.matrix.sum() == 7
    # the one-shot function and fixed label sets compare exactly too
    cm = M.confusion_matrix(np.array([0, 0], np.int8), np.array([BIG, BIG + 1], np.uint64))
    np.testing.assert_array_equal(cm, [[0, 1, 1], [0, 0, 0], [0, 0, 0]])
    fixed = M.ConfusionMatrix(labels=np.array([BIG], np.int64))
    with pytest.raises(ValueError, match="not in `labels`"):
        fixed.update(np.array([BIG + 1], np.uint64), np.array([BIG + 1], np.uint64))


@pytest.mark.parametrize(
    "labels, error",
    [([None, 1], TypeError), ([1.0, np.nan], ValueError), ([[]], ValueError), ([1j], TypeError)],
)
def test_confusion_stream_refuses_bad_label_sets(labels, error):
    with pytest.raises(error, match="labels"):
        M.ConfusionMatrix(labels=labels)


def test_absurd_label_sets_are_refused_before_allocating():
    with pytest.raises(ValueError, match=r"num_classes.*would need .*iB"):
        M.ConfusionMatrix(num_classes=10**7)
    with pytest.raises(ValueError, match=r"labels.*would need .*iB"):
        M.ConfusionMatrix(labels=np.arange(10**7))


# --------------------------------------------------------------------------- sample weights ---


def test_uint64_weights_keep_their_value():
    w = np.array([2**64 - 1, 1], np.uint64)
    cm = M.confusion_matrix([0, 1], [0, 1], sample_weight=w)
    np.testing.assert_array_equal(cm, np.diag(w.astype(np.float64)))
    assert cm[0, 0] == 1.8446744073709552e19
    assert M.accuracy_score([0, 1], [0, 1], sample_weight=w, normalize=False) == cm.trace()
    got = M.mean_squared_error([0.0, 1.0], [0.0, 2.0], sample_weight=w)
    assert got == skm.mean_squared_error([0.0, 1.0], [0.0, 2.0], sample_weight=w)
    small = np.array([3, 1], np.uint64)  # within int64: integer counts, as scikit-learn
    np.testing.assert_array_equal(M.confusion_matrix([0, 1], [0, 1], sample_weight=small), [
        [3, 0], [0, 1]])  # fmt: skip


# the metric functions that take weights: all but max_error; fbeta_score (it needs beta) and
# top_k_accuracy_score (it takes scores) are checked on their own
WEIGHTED = [
    name
    for name in M.__all__
    if not isinstance(getattr(M, name), type)
    and "sample_weight" in inspect.signature(getattr(M, name)).parameters
    and name not in ("fbeta_score", "top_k_accuracy_score")
]


@pytest.mark.parametrize("name", WEIGHTED)
def test_all_zero_weights_are_refused_like_scikit_learn(name):
    w = np.zeros(4)
    if name in regression.__all__:
        args = (np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.5, 3.0, 5.0]))
    else:
        args = (np.array([0, 1, 1, 0]), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="non-zero"):
        getattr(skm, name)(*args, sample_weight=w)
    with pytest.raises(ValueError, match="sample_weight.*non-zero"):
        getattr(M, name)(*args, sample_weight=w)


def test_all_zero_weights_in_top_k_and_accumulators():
    scores = np.array([[0.5, 0.2, 0.3], [0.1, 0.6, 0.3], [0.2, 0.3, 0.5]])
    t, w = np.array([0, 1, 2]), np.zeros(3)
    # scikit-learn: ZeroDivisionError when normalizing, 0.0 otherwise; fastinit's error is both
    with pytest.raises(ZeroDivisionError):
        skm.top_k_accuracy_score(t, scores, sample_weight=w)
    with pytest.raises((ValueError, ZeroDivisionError), match="sample_weight"):
        M.top_k_accuracy_score(t, scores, sample_weight=w)
    assert M.top_k_accuracy_score(t, scores, sample_weight=w, normalize=False) == 0.0
    # a zero-weight batch is accepted; the metrics need some weight, as the one-shot ones
    cm, stats = M.ConfusionMatrix(), M.RegressionStats()
    cm.update(t, t, sample_weight=w)
    stats.update(t * 1.0, t + 1.0, sample_weight=w)
    with pytest.raises(ValueError, match="sample_weight.*non-zero"):
        cm.accuracy_score()
    with pytest.raises(ValueError, match="sample_weight.*non-zero"):
        stats.r2_score()
    cm.update(t, t, sample_weight=[0.0, 1.0, 0.0])
    stats.update(t * 1.0, t + 1.0, sample_weight=[0.0, 1.0, 0.0])
    assert cm.accuracy_score() == 1.0 and stats.mean_squared_error() == 1.0


def test_float16_weights_are_accepted():
    w16 = np.array([0.5, 1.0, 2.0, 0.25], np.float16)
    w64 = w16.astype(np.float64)
    t, p = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    yt, yp = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.5, 3.0, 5.0])
    np.testing.assert_array_equal(
        M.confusion_matrix(t, p, sample_weight=w16), M.confusion_matrix(t, p, sample_weight=w64)
    )
    assert M.f1_score(t, p, sample_weight=w16) == M.f1_score(t, p, sample_weight=w64)
    assert M.r2_score(yt, yp, sample_weight=w16) == M.r2_score(yt, yp, sample_weight=w64)
    cm, stats = M.ConfusionMatrix(), M.RegressionStats()
    cm.update(t, p, sample_weight=w16)
    stats.update(yt, yp, sample_weight=w16)
    assert cm.f1_score() == M.f1_score(t, p, sample_weight=w64)
    assert stats.mean_squared_error() == M.mean_squared_error(yt, yp, sample_weight=w64)


# ------------------------------------------------------------------------ regression shapes ---


def test_regression_refuses_scalars_and_empty_input_by_name():
    stats = M.RegressionStats()
    with pytest.raises(ValueError, match="y_true must be 1-d or 2-d"):
        stats.update(np.array(1.0), np.array(1.0))
    for empty in ([], np.zeros((0, 2))):
        with pytest.raises(ValueError, match="Found empty input array"):
            M.mean_squared_error(empty, empty)
        with pytest.raises(ValueError, match="Found empty input array"):
            stats.update(empty, empty)
    assert stats._stats is None and stats.n_samples == 0


# ------------------------------------------------------------------------------------- dask ---


@pytest.fixture(scope="module")
def dask_modules():
    da = pytest.importorskip("dask.array")
    fd = pytest.importorskip("fastinit.dask")
    return da, fd


@pytest.mark.parametrize("order", [">i4", ">i8"])
def test_dask_confusion_matrix_of_big_endian_labels(dask_modules, order):
    da, fd = dask_modules
    t = np.array([0, 1, 2, 1, 2, 2], order)
    p = np.array([0, 2, 2, 1, 2, 0], order)
    got = fd.confusion_matrix(da.from_array(t, chunks=4), da.from_array(p, chunks=4), num_classes=3)
    np.testing.assert_array_equal(got, skm.confusion_matrix(t, p))


def test_dask_regression_stats_with_an_empty_chunk_and_float16_weights(dask_modules):
    da, fd = dask_modules
    t = np.arange(10.0)
    chunks = ((5, 0, 5),)
    w = np.linspace(0.5, 2, 10).astype(np.float16)
    s = fd.regression_stats(
        da.from_array(t, chunks=chunks),
        da.from_array(t + 1.0, chunks=chunks),
        sample_weight=da.from_array(w, chunks=chunks),
    )
    assert s.mean_squared_error() == 1.0
    assert s.r2_score() == pytest.approx(M.r2_score(t, t + 1.0, sample_weight=w), rel=1e-12)
    cm = fd.confusion_matrix(
        da.from_array(np.arange(10) % 3, chunks=chunks),
        np.arange(10) % 3,
        num_classes=3,
        sample_weight=w,
    )
    np.testing.assert_allclose(cm, M.confusion_matrix(np.arange(10) % 3, np.arange(10) % 3,
                                                      sample_weight=w))  # fmt: skip


def test_dask_refusals_name_the_argument(dask_modules):
    da, fd = dask_modules
    x = np.arange(4.0)
    with pytest.raises(ValueError, match="y_true must be 1-d or 2-d"):
        fd.regression_stats(np.array(1.0), np.array(1.0))
    with pytest.raises(ValueError, match="Found empty input array"):
        fd.regression_stats(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="y_true and y_pred have different"):
        fd.regression_stats(x, np.arange(5.0))
    with pytest.raises(ValueError, match="y_true and y_pred have different"):
        fd.confusion_matrix(np.arange(4), np.arange(5), num_classes=5)
    with pytest.raises(ValueError, match="sample_weight has shape"):
        fd.regression_stats(x, x, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="sample_weight has shape"):
        fd.confusion_matrix(np.arange(4), np.arange(4), num_classes=4, sample_weight=np.ones(5))
    unknown = da.from_array(x, chunks=2)
    unknown = unknown[unknown > 1]
    with pytest.raises(ValueError, match="y_true has unknown chunk sizes"):
        fd.regression_stats(unknown, unknown)
    with pytest.raises(ValueError, match="y_pred has unknown chunk sizes"):
        fd.confusion_matrix(np.arange(2), unknown.astype(np.int64), num_classes=4)
    with pytest.raises(ValueError, match="num_classes"):
        fd.confusion_matrix(np.arange(4), np.arange(4), num_classes=70_000)
    with pytest.raises(ValueError, match=r"num_classes.*would need .*iB"):
        fd.confusion_matrix(np.arange(4), np.arange(4), num_classes=10**6)
    with pytest.raises(ValueError, match="sample_weight.*non-zero"):
        fd.confusion_matrix(np.arange(4), np.arange(4), num_classes=4, sample_weight=np.zeros(4))
    with pytest.raises(ValueError, match="sample_weight.*non-zero"):
        fd.regression_stats(x, x, sample_weight=np.zeros(4)).mean_squared_error()
    with pytest.raises(TypeError, match="compute"):
        fd.confusion_matrix(np.arange(4), np.arange(4), num_classes=4, compute="no")


# ------------------------------------------------------------------------------ the options ---

_T, _P = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
_YT, _YP = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.5, 3.0, 5.0])
_IND = np.array([[0, 1], [1, 1], [1, 0]])
_SCORES = np.array([[0.5, 0.2, 0.3], [0.1, 0.6, 0.3], [0.2, 0.3, 0.5]])


@pytest.mark.parametrize(
    "name, args, kwargs, error, match",
    [
        ("accuracy_score", (_T, _P), {"normalize": np.array([])}, TypeError, "normalize"),
        ("zero_one_loss", (_T, _P), {"normalize": "no"}, TypeError, "normalize"),
        ("balanced_accuracy_score", (_T, _P), {"adjusted": np.array([])}, TypeError, "adjusted"),
        ("confusion_matrix", (_T, _P), {"normalize": np.array([1])}, ValueError, "normalize"),
        ("confusion_matrix", (_T, _P), {"labels": True}, ValueError, "labels"),
        ("multilabel_confusion_matrix", (_T, _P), {"samplewise": True}, ValueError, "samplewise"),
        ("multilabel_confusion_matrix", (_IND, _IND), {"labels": ["a"]}, ValueError, "labels"),
        ("top_k_accuracy_score", (np.array([0, 1, 2]), _SCORES), {"labels": True}, ValueError,
         "labels"),
        ("cohen_kappa_score", (_T, _P), {"weights": np.array(["linear"])}, ValueError, "weights"),
        ("cohen_kappa_score", (_T, _P), {"replace_undefined_by": 2}, ValueError,
         "replace_undefined_by"),
        ("fbeta_score", (_T, _P), {"beta": "1"}, TypeError, "beta"),
        ("precision_recall_fscore_support", (_T, _P), {"warn_for": "precision"}, TypeError,
         "warn_for"),
        ("precision_score", (_T, _P), {"pos_label": [1]}, TypeError, "pos_label"),
        ("classification_report", (_T, _P), {"target_names": 3}, TypeError, "target_names"),
        ("classification_report", (_T, _P), {"output_dict": "no"}, TypeError, "output_dict"),
        ("r2_score", (_YT, _YP), {"force_finite": np.array([])}, TypeError, "force_finite"),
        ("mean_absolute_error", (_YT, _YP), {"multioutput": [0.5, 0.5]}, ValueError,
         "multioutput"),
        ("mean_absolute_error", (_YT, _YP), {"multioutput": object()}, TypeError, "multioutput"),
        ("confusion_matrix", (_IND, _IND), {}, ValueError, "y_true"),
        ("max_error", (np.ones((3, 2)), np.ones((3, 2))), {}, ValueError, "y_true"),
    ],
)  # fmt: skip
def test_options_are_checked_and_named(name, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(M, name)(*args, **kwargs)


def test_accumulator_options_are_checked_before_anything_changes():
    cm = M.ConfusionMatrix()
    cm.update(_T, _P)
    before = snapshot(cm)
    with pytest.raises(TypeError, match="normalize"):
        cm.zero_one_loss(normalize=np.array([]))
    with pytest.raises(TypeError, match="adjusted"):
        cm.balanced_accuracy_score(adjusted=np.array([]))
    assert_unchanged(before, cm, "the accumulator")
    stats = M.RegressionStats()
    stats.update(np.ones((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="y_true"):
        stats.max_error()
    other = M.RegressionStats()
    other.update(_YT, _YP)
    before = snapshot(stats)
    with pytest.raises(ValueError, match="other"):
        stats.merge(other)
    assert_unchanged(before, stats, "the accumulator")


@pytest.mark.parametrize(
    "weights, error, match",
    [
        (np.ones(3), ValueError, r"inconsistent numbers of samples: \[2, 2, 3\] \(sample_weight"),
        (np.array([1.0, np.inf]), ValueError, "Input sample_weight contains infinity"),
        (np.array([1.0, np.nan]), ValueError, "Input sample_weight contains NaN"),
        (np.array([1j, 2j]), ValueError, "Complex data not supported: sample_weight"),
        (np.array([1j, 2j]), TypeError, "Complex data not supported: sample_weight"),
        (np.ones((2, 2)), ValueError, "Sample weights must be 1D array or scalar: sample_weight"),
    ],
)
def test_weight_refusals_begin_as_scikit_learn_s(weights, error, match):
    with pytest.raises(error, match=match):
        M.accuracy_score([0, 1], [0, 1], sample_weight=weights)
    with pytest.raises(error, match=match):
        M.mean_squared_error([0.0, 1.0], [0.0, 1.0], sample_weight=weights)


def test_a_report_too_large_for_memory_is_refused():
    with pytest.raises(ValueError, match=r"digits.*would need .*iB"):
        M.classification_report([0, 1], [0, 1], digits=10**9)
    with pytest.raises(ValueError, match="digits must be at most"):
        M.classification_report([0, 1], [0, 1], digits=10**12)
    assert isinstance(
        M.classification_report([0, 1], [0, 1], digits=10**12, output_dict=True), dict
    )


@pytest.mark.parametrize("fn", ["top_k_accuracy_score", "f1_score", "confusion_matrix", "log_loss"])
def test_labels_that_cannot_be_sorted_are_refused_by_name(fn):
    """Found by the metrics sweep: [0, None] reached NumPy's sort and raised a TypeError that
    named no argument."""
    y = np.array([0, 0, 1, 1])
    second = {"top_k_accuracy_score": np.zeros((4, 2)), "log_loss": np.full((4, 2), 0.5)}
    with pytest.raises(TypeError, match="labels must hold class labels that sort together"):
        getattr(M, fn)(y, second.get(fn, y), labels=[0, None])
