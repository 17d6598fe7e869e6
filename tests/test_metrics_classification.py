"""fastinit.metrics.classification against scikit-learn (the oracle) and tests/reference_metrics:
confusion matrices and the single-number scores, for labels of every kind and multilabel input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from tests import reference_metrics as ref
from tests.sklearn_oracle import SETTINGS, compare, indicator_pairs, label_pairs

pytest.importorskip("sklearn.metrics")


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


@SETTINGS
@given(indicator_pairs(), st.sampled_from(["warn", 0, 1, np.nan]))
def test_multilabel(data, zero_division):
    t, p, w = data
    compare("multilabel_confusion_matrix", t, p, sample_weight=w)
    compare("multilabel_confusion_matrix", t, p, sample_weight=w, samplewise=True)
    compare("multilabel_confusion_matrix", t, p, labels=[1, 0])
    compare("accuracy_score", t, p, sample_weight=w)
    compare("hamming_loss", t, p, sample_weight=w)
    compare("zero_one_loss", t, p)


def test_report_pairs_labels_and_target_names_of_different_lengths_as_scikit_learn():
    from sklearn.metrics import classification_report as theirs

    y, p = [0, 0, 2, 0, 0], [0, 2, 2, 0, 0]
    for names in (["class 0", "class 1", "class 2"], ["class 0"]):
        with pytest.warns(UserWarning, match="labels size, 2, does not match"):
            ours_text = M.classification_report(y, p, labels=[0, 2], target_names=names)
        with pytest.warns(UserWarning):
            assert ours_text == theirs(y, p, labels=[0, 2], target_names=names)


def test_object_weights_of_numbers_count_as_float64():
    w = np.array([1, "2", 3.5], dtype=object)
    cm = M.confusion_matrix([0, 1, 1], [0, 1, 1], sample_weight=w)
    assert cm.dtype == np.float64 and cm.tolist() == [[1.0, 0.0], [0.0, 5.5]]
    with pytest.raises(ValueError, match="sample_weight: could not convert string to float"):
        M.confusion_matrix([0, 1, 1], [0, 1, 1], sample_weight=np.array(["a", 1, 1], object))


@pytest.mark.parametrize(
    ("y_true", "y_pred", "w", "exact"),
    [
        # a perfect prediction: 1, whatever the weights (n c - t.p cancelled to 0 at 2^64)
        (["a", "a", "b"], ["a", "a", "b"], np.array([0, 1, 2**64 - 1], np.uint64), 1.0),
        # TP = 2, TN = 1e18, FP = 1: (TP TN - FP FN) / sqrt(3 * 2 * (1e18 + 1) * 1e18)
        ([0, 0, 1, 1], [0, 1, 1, 1], [1e18, 1, 1, 1], 2 / 6**0.5),
    ],
)
def test_matthews_of_a_dominant_class_keeps_its_precision(y_true, y_pred, w, exact):
    # the textbook covariances (scikit-learn's) give 0.0 for both
    assert M.matthews_corrcoef(y_true, y_pred, sample_weight=w) == pytest.approx(exact, 1e-12)
    cm = M.ConfusionMatrix()
    cm.update(y_true, y_pred, w)
    assert cm.matthews_corrcoef() == pytest.approx(exact, 1e-12)


def test_integer_weights_wrap_as_scikit_learn_and_the_accumulator_agrees():
    # scikit-learn's own test asserts int64 counts past 2^63 - 1 wrap; the accumulator's sums
    # wrap the same way, so it still equals the one-shot count
    big = np.iinfo(np.int64).max
    y = [0, 1, 1]
    w = np.full(3, big)
    one_shot = M.confusion_matrix(y, y, sample_weight=w)
    assert one_shot.dtype == np.int64 and one_shot.tolist() == [[big, 0], [0, -2]]
    acc = M.ConfusionMatrix()
    acc.update(y[:2], y[:2], w[:2])
    acc.update(y[2:], y[2:], w[2:])
    np.testing.assert_array_equal(acc.matrix, one_shot)
