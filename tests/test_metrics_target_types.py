"""Every target type scikit-learn tells apart, given to every metric fastinit shares with it.

For each public function of :mod:`fastinit.metrics` that ``sklearn.metrics`` also has, and for
each kind of target scikit-learn's ``type_of_target`` distinguishes (binary, multiclass, label
indicator matrices as int, bool, float and scipy.sparse CSR, multiclass-multioutput,
continuous, continuous-multioutput, string labels, and pairs of different kinds), both are
called with the same small fixed inputs and the keyword variants that change how targets are
read (``average``, ``labels``, ``pos_label``, ``multioutput``, ``sample_weight`` ...).

Where scikit-learn returns, fastinit returns the same numbers (the same report); where it
raises, fastinit raises an instance of the same exception class whose message contains
scikit-learn's (at least its first sentence); where it warns, fastinit warns with the same
category (and never where scikit-learn does not).
"""

import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
import scipy.sparse as sp  # noqa: E402
import sklearn.exceptions  # noqa: E402, F401 (fastinit's warnings subclass sklearn's once loaded)
import sklearn.metrics as skm  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

import fastinit.metrics as M  # noqa: E402
from tests.sklearn_compat import rebound_names  # noqa: E402


class _Arg:
    """A keyword value that depends on the targets (resolved per case by :func:`_resolve`)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


LABELS = _Arg("LABELS")  # two labels of y_true, the greater first (column indices if 2-d)
CLASSES = _Arg("CLASSES")  # every class of y_true, sorted (every column if 2-d)
POS = _Arg("POS")  # the smallest label of y_true: not the default positive class
W = _Arg("W")  # sample weights, a zero among them
OUTPUTS = _Arg("OUTPUTS")  # one weight per output (multioutput=array)

_WEIGHTS = np.array([1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 2.0, 0.0])

# ------------------------------------------------------------------------------ targets ---

_BIN = np.array([0, 1, 1, 0, 1, 0, 1, 0]), np.array([0, 1, 0, 0, 1, 1, 1, 1])
_MC = np.array([0, 1, 2, 2, 1, 0, 2, 1]), np.array([0, 2, 2, 1, 1, 0, 0, 1])
_ML = (
    np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1],
              [1, 0, 0], [0, 1, 1], [1, 1, 1], [0, 1, 0]]),
    np.array([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1],
              [1, 1, 0], [0, 1, 0], [1, 1, 1], [0, 0, 1]]),
)  # fmt: skip
_MCMO = _ML[0] + _ML[0][:, ::-1], _ML[1] + _ML[0][:, ::-1]  # values 0, 1, 2 in 3 columns
_CONT = (
    np.array([0.5, 1.5, 2.25, -1.0, 3.5, 0.75, 2.0, 1.25]),
    np.array([0.25, 1.75, 2.0, -0.5, 3.0, 1.0, 2.5, 1.0]),
)
_CONT_MO = (
    np.column_stack([_CONT[0], _CONT[1] * 2, _CONT[0] - 1]),
    np.column_stack([_CONT[1], _CONT[0] * 2, _CONT[1] - 0.5]),
)
_NAMES = np.array(["ant", "bee", "cat"])
_MIXED = np.array(["ant", 1, "cat", 1, "ant", 0, "cat", 0], dtype=object)


def _pairs(f):
    return f(_BIN[0]), f(_BIN[1])


# (y_true, y_pred) of the metrics of labels; the regression metrics take some of them too
LABEL_TARGETS = {
    "binary": _BIN,
    "binary-pm1": _pairs(lambda y: 2 * y - 1),
    "binary-bool": _pairs(lambda y: y.astype(bool)),
    "binary-float": _pairs(lambda y: y.astype(float)),
    "binary-str": _pairs(lambda y: np.array(["no", "yes"])[y]),
    "binary-column": _pairs(lambda y: y[:, None]),
    "binary-one-class": (np.ones(8, int), np.ones(8, int)),
    "multiclass": _MC,
    "multiclass-str": (_NAMES[_MC[0]], _NAMES[_MC[1]]),
    "multiclass-float": (_MC[0].astype(float), _MC[1].astype(float)),
    "multilabel-int": _ML,
    "multilabel-bool": (_ML[0].astype(bool), _ML[1].astype(bool)),
    "multilabel-float": (_ML[0].astype(float), _ML[1].astype(float)),
    "multilabel-csr": (sp.csr_matrix(_ML[0]), sp.csr_matrix(_ML[1])),
    "multilabel-csr-dense": (sp.csr_matrix(_ML[0]), _ML[1]),
    "multilabel-0-2": (2 * _ML[0], 2 * _ML[1]),
    "multilabel-widths": (_ML[0], _ML[1][:, :2]),
    "multiclass-multioutput": _MCMO,
    "continuous": _CONT,
    "continuous-multioutput": _CONT_MO,
    "mixed-str-int": (_NAMES[_MC[0]], _MC[1]),
    "mixed-int-float": (_MC[0], _MC[1].astype(float)),
    "mixed-bool-int": (_BIN[0].astype(bool), _BIN[1]),
    "mixed-binary-multiclass": (_BIN[0], _MC[1]),
    "mixed-binary-continuous": (_BIN[0], _CONT[1]),
    "mixed-multilabel-multiclass": (_ML[0], _MC[1]),
    "mixed-multilabel-multioutput": (_ML[0], _MCMO[1]),
    "mixed-within-y": (_MIXED, _MIXED[::-1].copy()),
    "object-numbers": (_MC[0].astype(object), _MC[1].astype(object)),
}

_S1 = np.array([0.1, 0.8, 0.4, 0.3, 0.9, 0.6, 0.7, 0.2])
_P3 = np.array(
    [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.2, 0.2, 0.6],
     [0.3, 0.4, 0.3], [0.5, 0.25, 0.25], [0.1, 0.1, 0.8], [0.25, 0.5, 0.25]]
)  # fmt: skip
_S3 = np.array(
    [[0.9, 0.2, 0.6], [0.1, 0.7, 0.4], [0.8, 0.6, 0.3], [0.2, 0.1, 0.9],
     [0.7, 0.3, 0.2], [0.3, 0.8, 0.5], [0.6, 0.9, 0.7], [0.4, 0.5, 0.1]]
)  # fmt: skip

# (y_true, y_score) of the metrics of scores and probabilities
SCORE_TARGETS = {
    "binary": (_BIN[0], _S1),
    "binary-pm1": (2 * _BIN[0] - 1, _S1),
    "binary-bool": (_BIN[0].astype(bool), _S1),
    "binary-float": (_BIN[0].astype(float), _S1),
    "binary-str": (np.array(["no", "yes"])[_BIN[0]], _S1),
    "binary-column": (_BIN[0][:, None], _S1[:, None]),
    "binary-one-class": (np.ones(8, int), _S1),
    "binary-two-columns": (_BIN[0], np.column_stack([1 - _S1, _S1])),
    "multiclass": (_MC[0], _P3),
    "multiclass-str": (_NAMES[_MC[0]], _P3),
    "multiclass-float": (_MC[0].astype(float), _P3),
    "multiclass-1d-score": (_MC[0], _S1),
    "multiclass-not-normalized": (_MC[0], _S3),
    "multilabel-int": (_ML[0], _S3),
    "multilabel-bool": (_ML[0].astype(bool), _S3),
    "multilabel-float": (_ML[0].astype(float), _S3),
    "multilabel-csr": (sp.csr_matrix(_ML[0]), _S3),
    "multiclass-multioutput": (_MCMO[0], _S3),
    "continuous": (_CONT[0], _S1),
    "continuous-multioutput": (_CONT_MO[0], _S3),
    "mixed-within-y": (_MIXED, _S1),
    "object-numbers": (_BIN[0].astype(object), _S1),
}

# (y_true, y_pred) of the regression metrics
REGRESSION_TARGETS = {
    "continuous": _CONT,
    "continuous-multioutput": _CONT_MO,
    "continuous-float32": (_CONT[0].astype(np.float32), _CONT[1].astype(np.float32)),
    "continuous-column": (_CONT[0][:, None], _CONT[1]),
    "binary": _BIN,
    "binary-bool": LABEL_TARGETS["binary-bool"],
    "multiclass": _MC,
    "multilabel-int": _ML,
    "multilabel-csr": LABEL_TARGETS["multilabel-csr"],
    "multiclass-str": LABEL_TARGETS["multiclass-str"],
    "mixed-1d-2d": (_CONT[0], _CONT_MO[1]),
    "mixed-outputs": (_CONT_MO[0], _CONT_MO[1][:, :2]),
    "object-numbers": (_CONT[0].astype(object), _CONT[1].astype(object)),
    "numeric-strings": (_CONT[0].astype(str), _CONT[1].astype(str)),
}

# ------------------------------------------------------------------------------ variants ---

_AVERAGES = [{"average": a} for a in (None, "binary", "micro", "macro", "weighted", "samples")]
_SET_WISE = [
    *_AVERAGES,
    {"average": "binary", "pos_label": POS},
    {"average": "macro", "labels": LABELS},
    {"average": "macro", "labels": [0, 3]},  # past the columns of an indicator matrix
    {"average": "weighted", "sample_weight": W},
    {"average": "samples", "sample_weight": W},
]
_REG = [
    {}, {"multioutput": "raw_values"}, {"multioutput": OUTPUTS}, {"multioutput": [0.3, 0.7]},
    {"sample_weight": W},
]  # fmt: skip
_EXPLAINED = [*_REG, {"multioutput": "variance_weighted"}, {"force_finite": False}]

LABEL_METRICS = {
    "confusion_matrix": [{}, {"labels": LABELS}, {"sample_weight": W}, {"normalize": "true"}],
    "multilabel_confusion_matrix": [
        {}, {"labels": LABELS}, {"labels": [-1, 0]}, {"samplewise": True},
        {"sample_weight": W},
    ],
    "accuracy_score": [{}, {"normalize": False, "sample_weight": W}],
    "balanced_accuracy_score": [{}, {"adjusted": True, "sample_weight": W}],
    "matthews_corrcoef": [{}, {"sample_weight": W}],
    "cohen_kappa_score": [{}, {"weights": "linear", "sample_weight": W}, {"labels": LABELS}],
    "hamming_loss": [{}, {"sample_weight": W}],
    "zero_one_loss": [{}, {"normalize": False, "sample_weight": W}],
    "classification_report": [{}, {"output_dict": True, "sample_weight": W}, {"labels": LABELS}],
    "precision_recall_fscore_support": _SET_WISE,
    "f1_score": _SET_WISE,
    "jaccard_score": _SET_WISE,
    "precision_score": _AVERAGES,
    "recall_score": _AVERAGES,
    "fbeta_score": [{"beta": 0.5, **v} for v in _AVERAGES],
}  # fmt: skip

SCORE_METRICS = {
    "top_k_accuracy_score": [
        {}, {"k": 1}, {"labels": CLASSES}, {"normalize": False, "sample_weight": W},
    ],
    "roc_auc_score": [
        {}, {"multi_class": "ovr"}, {"multi_class": "ovo"}, {"average": None},
        {"average": "micro"}, {"average": "weighted", "sample_weight": W},
        {"average": "samples"}, {"max_fpr": 0.5}, {"multi_class": "ovr", "labels": CLASSES},
    ],
    "average_precision_score": [
        {}, {"average": None}, {"average": "micro", "sample_weight": W},
        {"average": "weighted"}, {"average": "samples"}, {"pos_label": POS},
    ],
    "roc_curve": [{}, {"pos_label": POS}, {"sample_weight": W, "drop_intermediate": False}],
    "precision_recall_curve": [
        {}, {"pos_label": POS}, {"sample_weight": W, "drop_intermediate": True},
    ],
    "det_curve": [{}, {"pos_label": POS}, {"sample_weight": W}],
    "log_loss": [{}, {"labels": CLASSES}, {"normalize": False, "sample_weight": W}],
    "brier_score_loss": [
        {}, {"pos_label": POS}, {"labels": CLASSES}, {"sample_weight": W, "scale_by_half": False},
    ],
}  # fmt: skip

REGRESSION_METRICS = {
    "mean_squared_error": _REG,
    "root_mean_squared_error": _REG,
    "mean_absolute_error": _REG,
    "mean_absolute_percentage_error": _REG,
    "median_absolute_error": _REG,
    "max_error": [{}],
    "r2_score": _EXPLAINED,
    "explained_variance_score": _EXPLAINED,
}

# what fastinit does not (yet) answer as scikit-learn does: (function, target, variant) -> why;
# the variant as the test shows it ("defaults", "average='macro'", ...)
XFAIL = {}


def _shown(kwargs):
    return ",".join(f"{k}={v!r}" for k, v in kwargs.items()) or "defaults"


def _cases():
    tables = (
        (LABEL_METRICS, LABEL_TARGETS),
        (SCORE_METRICS, SCORE_TARGETS),
        (REGRESSION_METRICS, REGRESSION_TARGETS),
    )
    for metrics, targets in tables:
        for name, variants in metrics.items():
            for target, pair in targets.items():
                yield pytest.param(name, target, pair, variants, id=f"{name}-{target}")


# ---------------------------------------------------------------------------- comparison ---


def _dense(y):
    return y.toarray() if sp.issparse(y) else np.asarray(y)


def _resolve(value, y_true):
    """The keyword value for these targets (``value`` itself unless it is an :class:`_Arg`)."""
    if not isinstance(value, _Arg):
        return value
    y = _dense(y_true)
    if value is W:
        return _WEIGHTS
    if value is OUTPUTS:
        return np.arange(1.0, 1 + (y.shape[1] if y.ndim == 2 else 1))
    if y.ndim == 2 and y.shape[1] > 1:
        classes = np.arange(y.shape[1])
    else:
        try:
            classes = np.unique(y)
        except TypeError:  # labels that cannot be sorted (str mixed with int)
            classes = np.array(list(dict.fromkeys(y.reshape(-1).tolist())), dtype=object)
    if value is POS:
        return classes[0].item() if hasattr(classes[0], "item") else classes[0]
    if value is LABELS:
        return classes[::-1][:2]
    return classes  # CLASSES


def _call(fn, args, kwargs):
    """(result, exception, warning categories) of ``fn(*args, **kwargs)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = fn(*args, **kwargs), None
        except Exception as exc:  # noqa: BLE001 (the exception is what is compared)
            result, error = None, exc
    return result, error, {w.category for w in caught}


def _first_sentence(message):
    """Up to the first full stop (not included): the words a caller's ``match=`` relies on;
    the rest often shows arrays, which fastinit may show in its own way."""
    return re.split(r"(?<=[.!?])(?=\s|[A-Z])", message, maxsplit=1)[0].rstrip(".")


def assert_same_refusal(ours, theirs):
    name = type(theirs).__name__
    assert ours is not None, f"scikit-learn raises {name}({theirs}); fastinit returns"
    if isinstance(theirs, InvalidParameterError):
        # scikit-learn's parameter validation: a class that is both; fastinit raises either. Its
        # words are compared where they are about a target (a sparse matrix refused, ...), not
        # about an option's spelling
        assert isinstance(ours, (ValueError, TypeError)), (type(ours), theirs)
        if not re.match(r"The '(y_\w+|y1|y2)' parameter", str(theirs)):
            return
    else:
        assert isinstance(ours, type(theirs)), (type(ours), name, str(ours), str(theirs))
    expected = _first_sentence(str(theirs))
    assert re.search(re.escape(expected), str(ours)), (
        f"messages differ:\n fastinit: {ours}\n  sklearn: {theirs}"
    )


def assert_same_result(ours, theirs, rtol):
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), (ours, theirs)
        for key in theirs:
            assert_same_result(ours[key], theirs[key], rtol)
    elif isinstance(theirs, str):
        assert ours == theirs, f"\n{ours}\n!=\n{theirs}"
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same_result(a, b, rtol)
    elif theirs is None:
        assert ours is None
    else:
        a, b = np.asarray(ours), np.asarray(theirs)
        assert a.shape == b.shape, (a, b)
        np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=rtol, equal_nan=True)


def assert_same_warnings(ours, theirs):
    for category in theirs:
        assert any(issubclass(c, category) for c in ours), (ours, theirs)
    for category in ours:
        assert any(issubclass(category, c) for c in theirs), (ours, theirs)


def compare(name, targets, kwargs):
    """Call fastinit's and scikit-learn's ``name`` alike; assert the same answer."""
    kwargs = {k: _resolve(v, targets[0]) for k, v in kwargs.items()}
    theirs, their_error, their_warnings = _call(getattr(skm, name), targets, kwargs)
    ours, our_error, our_warnings = _call(getattr(M, name), targets, kwargs)
    if their_error is not None:
        assert_same_refusal(our_error, their_error)
        return
    if our_error is not None:
        raise AssertionError(f"scikit-learn returns {theirs!r}; fastinit raises {our_error!r}")
    # scikit-learn computes float32 targets in float32, fastinit accumulates in float64
    single = any(getattr(y, "dtype", None) == np.float32 for y in targets)
    assert_same_result(ours, theirs, rtol=1e-6 if single else 1e-9)
    assert_same_warnings(our_warnings, their_warnings)


@pytest.mark.parametrize("name, target, targets, variants", list(_cases()))
def test_same_answer_as_scikit_learn(name, target, targets, variants):
    failed, expected = [], []
    for kwargs in variants:
        reason = XFAIL.get((name, target, _shown(kwargs)))
        try:
            compare(name, targets, kwargs)
        except AssertionError as exc:
            (expected if reason else failed).append(f"{_shown(kwargs)}: {exc}")
        else:
            if reason:
                failed.append(f"{_shown(kwargs)}: passes, but is listed in XFAIL")
    assert not failed, "\n".join(failed)
    if expected:
        pytest.xfail("; ".join(expected))


def test_every_function_shared_with_scikit_learn_is_audited():
    audited = {*LABEL_METRICS, *SCORE_METRICS, *REGRESSION_METRICS}
    assert audited == set(rebound_names())
