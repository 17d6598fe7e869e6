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


def test_undefined_metric_warning_is_also_scikit_learns_class():
    """Filters on scikit-learn's UndefinedMetricWarning catch fastinit's warnings once
    scikit-learn's exceptions are loaded; fastinit never imports scikit-learn for it."""
    import subprocess
    import sys

    import pytest

    sklearn_exceptions = pytest.importorskip("sklearn.exceptions")
    import fastinit.metrics as M

    with pytest.warns(sklearn_exceptions.UndefinedMetricWarning):
        M.precision_score([0, 0, 1], [0, 0, 0])
    with pytest.warns(M.UndefinedMetricWarning):
        M.precision_score([0, 0, 1], [0, 0, 0])
    code = (
        "import sys, warnings, fastinit.metrics as M\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    M.precision_score([0, 0, 1], [0, 0, 0])\n"
        "assert w[0].category is M.UndefinedMetricWarning, w[0].category\n"
        "assert not any(m.startswith('sklearn') for m in sys.modules)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
