"""fastinit.metrics.classification against scikit-learn (the oracle) and tests/reference_metrics:
confusion matrices and the single-number scores, for labels of every kind and multilabel input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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
