"""fastinit.metrics.classification_report (_report.py) against scikit-learn: the text character
for character, the dict to the last digits."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from tests.sklearn_oracle import SETTINGS, compare, indicator_pairs, label_pairs, run

skm = pytest.importorskip("sklearn.metrics")


@SETTINGS
@given(label_pairs(), st.sampled_from(["warn", 0, 1]), st.integers(0, 4))
def test_classification_report(data, zero_division, digits):
    t, p, w = data
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
@given(indicator_pairs(), st.sampled_from(["warn", 0, 1, np.nan]))
def test_multilabel_classification_report(data, zero_division):
    t, p, w = data
    if w is None:
        compare("classification_report", t, p, zero_division=zero_division)
