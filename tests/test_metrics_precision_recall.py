"""fastinit.metrics' precision, recall, F-beta and Jaccard scores (_precision_recall.py) against
scikit-learn, for every average, zero_division and label set, and multilabel input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sklearn_oracle import SETTINGS, compare, indicator_pairs, label_pairs

pytest.importorskip("sklearn.metrics")


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
@given(indicator_pairs(), st.sampled_from(["warn", 0, 1, np.nan]))
def test_multilabel_precision_recall(data, zero_division):
    t, p, w = data
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
