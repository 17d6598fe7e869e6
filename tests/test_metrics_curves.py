"""fastinit.metrics ranking metrics (_curves.py, _auc.py) against scikit-learn, the oracle.

roc_curve, precision_recall_curve, det_curve, roc_auc_score and average_precision_score on
generated binary problems (ties, constant scores, one class, weights with zeros, every label
kind and pos_label), label indicator matrices and multiclass probabilities; then the cases
scikit-learn's own test suite pins (toy data worked by hand, partial AUC, Hand & Till), the
refusals, and the multi-task paths of large inputs (1 and 2 threads give the same bits).
"""

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from fastinit.metrics import _curves
from tests._helpers import threads
from tests.sklearn_oracle import SETTINGS, run, same

skm = pytest.importorskip("sklearn.metrics")

CURVES = ("roc_curve", "precision_recall_curve", "det_curve")
NAMES = np.array(["cat", "dog", "eel"])


def check(name, *args, rtol=1e-9, **kwargs):
    """Call fastinit's and scikit-learn's ``name`` alike: the same result (or both raise a
    ValueError, or both another error), the same warnings (messages and class names)."""
    a, wa = run(getattr(M, name), *args, **kwargs)
    b, wb = run(getattr(skm, name), *args, **kwargs)
    same(a, b, rtol)
    if isinstance(a, tuple):  # curves: the same arrays, point for point
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
    assert wa == wb, (wa, wb)
    return a


PATHS = ("sort", "tally", "tally, then sort")


@contextlib.contextmanager
def path(kind):
    """Send unweighted binary problems of any size down one path: the split and sort, the tally
    of distinct scores, or a tally that gives up after 4 distinct scores (and sorts)."""
    saved = _curves.TALLY_MIN, _curves.TALLY_SLOTS
    if kind != "sort":
        _curves.TALLY_MIN = 1
    if kind == "tally, then sort":
        _curves.TALLY_SLOTS = 8
    try:
        yield
    finally:
        _curves.TALLY_MIN, _curves.TALLY_SLOTS = saved


@st.composite
def binary_problems(draw):
    """(y_true, y_score, sample_weight, pos_label) of 1 to 40 samples."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 40))
    t = rng.integers(0, 2, n)
    kind = draw(st.sampled_from(["01", "pm1", "12", "str", "bool", "float", "one class"]))
    pos_label = None
    if kind == "one class":
        t = np.full(n, draw(st.sampled_from([0, 1, -1])))
    elif kind == "pm1":
        t = 2 * t - 1
    elif kind == "12":
        t, pos_label = t + 1, draw(st.sampled_from([1, 2, None]))
    elif kind == "str":
        t, pos_label = NAMES[t], draw(st.sampled_from(["cat", "dog", "eel"]))
    elif kind == "bool":
        t = t == 1
    elif kind == "float":
        t = t.astype(np.float64)
    scores = draw(st.sampled_from(["distinct", "ties", "constant", "int", "float32", "signed"]))
    s = rng.random(n)
    if scores == "ties":
        s = np.round(s * 4) / 4
    elif scores == "constant":
        s = np.full(n, 0.5)
    elif scores == "int":
        s = rng.integers(-3, 3, n)
    elif scores == "float32":
        s = (np.round(s * 8) / 8).astype(np.float32)
    elif scores == "signed":
        s = rng.normal(size=n)
        s[::3] = 0.0
        s[1::3] = -0.0
    w = None
    weights = draw(st.sampled_from([None, "float", "int", "some zero"]))
    if weights == "float":
        w = rng.random(n) + 0.1
    elif weights == "int":
        w = rng.integers(1, 4, n)
    elif weights == "some zero":
        w = rng.random(n) * (rng.random(n) < 0.6)
        w[0] = 1.0
    return t, s, w, pos_label


@SETTINGS
@given(binary_problems(), st.booleans(), st.sampled_from(PATHS))
def test_binary_curves(problem, drop, kind):
    t, s, w, pos_label = problem
    with path(kind):
        for name in CURVES:
            check(name, t, s, pos_label=pos_label, sample_weight=w, drop_intermediate=drop)
            check(name, t, s, pos_label=pos_label, drop_intermediate=drop)
        check("roc_curve", list(t), list(s), pos_label=pos_label)  # plain lists


@SETTINGS
@given(binary_problems(), st.sampled_from([None, 1, 0.3, 0.75]), st.sampled_from(PATHS))
def test_binary_areas(problem, max_fpr, kind):
    t, s, w, pos_label = problem
    with path(kind):
        check("roc_auc_score", t, s, sample_weight=w, max_fpr=max_fpr)
        check("roc_auc_score", t, s)
        if pos_label is not None:
            check("average_precision_score", t, s, sample_weight=w, pos_label=pos_label)
            check("average_precision_score", t, s, pos_label=pos_label)
        else:
            check("average_precision_score", t, s, sample_weight=w)
            check("average_precision_score", t, s)


@st.composite
def indicator_problems(draw):
    """(indicator matrix, scores, sample_weight): 2 to 30 samples, 2 to 5 labels."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, k = draw(st.integers(2, 30)), draw(st.integers(2, 5))
    y = rng.integers(0, 2, (n, k))
    if draw(st.booleans()):
        y[:, 0] = 0  # a label without positives: NaN areas and their warnings
    s = rng.random((n, k))
    if draw(st.booleans()):
        s = np.round(s * 3) / 3
    w = draw(st.sampled_from([None, "float", "zeros"]))
    if w == "float":
        w = rng.random(n)
    elif w == "zeros":
        w = (rng.random(n) < 0.7).astype(float)
        w[0] = 1.0
    return y, s, w


@SETTINGS
@given(indicator_problems(), st.sampled_from(["macro", "micro", "weighted", "samples", None]))
def test_multilabel_areas(problem, average):
    y, s, w = problem
    check("roc_auc_score", y, s, average=average, sample_weight=w)
    check("average_precision_score", y, s, average=average, sample_weight=w)


@st.composite
def multiclass_problems(draw):
    """(labels, probabilities summing to 1 per row, class kind): rows drawn from a few fixed
    probability vectors, so that scores tie across samples."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(3, 5))
    n = draw(st.integers(k, 40))
    rows = rng.dirichlet(np.ones(k), size=draw(st.integers(1, 6)))
    p = rows[rng.integers(0, len(rows), n)]
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present
    if draw(st.booleans()):
        y = np.array(["ant", "bee", "cat", "dog", "eel"])[y]
    return y, p


@SETTINGS
@given(multiclass_problems(), st.sampled_from(["macro", "weighted", "micro", None]))
def test_multiclass_roc_auc(problem, average):
    y, p = problem
    for multi_class in ("ovr", "ovo"):
        if average is None and multi_class == "ovo":
            with pytest.raises(NotImplementedError, match="average=None is not implemented"):
                M.roc_auc_score(y, p, multi_class=multi_class, average=average)
            continue
        check("roc_auc_score", y, p, multi_class=multi_class, average=average)
        check("roc_auc_score", y, p, multi_class=multi_class, labels=np.unique(y))
    w = np.linspace(0.5, 2.0, len(y))
    check("roc_auc_score", y, p, multi_class="ovr", average=average, sample_weight=w)
    check("average_precision_score", y, p, average=average)


# ------------------------------------------------------------- scikit-learn's pinned cases ---


def test_toy_curves_and_first_threshold():
    y, s = np.array([1, 1, 2, 2]), np.array([0.1, 0.4, 0.35, 0.8])
    fpr, tpr, thr = M.roc_curve(y, s, pos_label=2)
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(thr, [np.inf, 0.8, 0.4, 0.35, 0.1])
    p, r, thr = M.precision_recall_curve([0, 0, 1, 1], s)
    np.testing.assert_allclose(p, [0.5, 2 / 3, 0.5, 1, 1])
    np.testing.assert_array_equal(r, [1, 1, 0.5, 0.5, 0])
    np.testing.assert_array_equal(thr, [0.1, 0.35, 0.4, 0.8])
    fpr, fnr, thr = M.det_curve([0, 0, 1, 1], s)
    np.testing.assert_array_equal(thr, [0.35, 0.4, 0.8])


def test_drop_intermediate_keeps_the_corners():
    # collinear points go, corners and both ends stay (scikit-learn's worked example)
    y, s = [0, 0, 0, 0, 1, 1], [0.0, 0.2, 0.5, 0.6, 0.7, 1.0]
    _, _, thr = M.roc_curve(y, s)
    np.testing.assert_array_equal(thr, [np.inf, 1.0, 0.7, 0.0])
    _, _, thr = M.roc_curve(y, s, drop_intermediate=False)
    assert len(thr) == 7
    # the first and last point of each run of equal recall (here: 0.6 .. 0.0 share it)
    p, r, thr = M.precision_recall_curve(y, s, drop_intermediate=True)
    np.testing.assert_array_equal(thr, [0.0, 0.7, 1.0])
    np.testing.assert_array_equal(r, [1.0, 1.0, 0.5, 0.0])


def test_auc_is_the_pair_ordering_probability():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.random(200), 1)  # ties count one half
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    assert M.roc_auc_score(y, s) == pytest.approx(pairs.mean(), rel=1e-13)
    # invariant under increasing transformations of the scores, and under tiny scales
    for f in (np.exp, lambda x: 1e-10 * x, lambda x: x + 1e10):
        assert M.roc_auc_score(y, f(s)) == pytest.approx(pairs.mean(), rel=1e-12)


def test_partial_auc_mcclish():
    y = [0, 0, 1, 1, 0, 1, 0, 1]
    s = [0.1, 0.35, 0.4, 0.8, 0.5, 0.6, 0.2, 0.9]
    for max_fpr in (0.1, 0.25, 0.5, 0.9):
        fpr, tpr, _ = skm.roc_curve(y, s)
        cut = np.interp(max_fpr, fpr, tpr)
        keep = fpr <= max_fpr
        x, h = np.append(fpr[keep], max_fpr), np.append(tpr[keep], cut)
        area = np.trapezoid(h, x)
        expected = 0.5 * (1 + (area - 0.5 * max_fpr**2) / (max_fpr - 0.5 * max_fpr**2))
        assert M.roc_auc_score(y, s, max_fpr=max_fpr) == pytest.approx(expected, rel=1e-12)
    assert M.roc_auc_score(y, s, max_fpr=1) == M.roc_auc_score(y, s)


def test_ovo_hand_and_till_by_hand():
    y = np.array(["a", "b", "a", "c"])
    p = np.array([[0.1, 0.8, 0.1], [0.3, 0.4, 0.3], [0.35, 0.5, 0.15], [0, 0.2, 0.8]])
    auc = skm.roc_auc_score  # binary areas only: the pairs are averaged here
    pair_ab = (auc([1, 0, 1], [0.1, 0.3, 0.35]) + auc([0, 1, 0], [0.8, 0.4, 0.5])) / 2
    pair_ac = (auc([1, 1, 0], [0.1, 0.35, 0]) + auc([0, 0, 1], [0.1, 0.15, 0.8])) / 2
    pair_bc = (auc([1, 0], [0.4, 0.2]) + auc([0, 1], [0.3, 0.8])) / 2
    got = M.roc_auc_score(y, p, multi_class="ovo")
    assert got == pytest.approx((pair_ab + pair_ac + pair_bc) / 3, rel=1e-13)
    weighted = np.average([pair_ab, pair_ac, pair_bc], weights=[0.75, 0.75, 0.5])
    assert M.roc_auc_score(y, p, multi_class="ovo", average="weighted") == pytest.approx(weighted)


def test_constant_scores_and_perfect_scores():
    y = np.zeros(100, int)
    y[::4] = 1
    assert M.average_precision_score(y, np.ones(100)) == 0.25
    assert M.roc_auc_score(y, np.ones(100)) == 0.5
    assert M.roc_auc_score(y, y * 2.0) == 1.0
    assert M.average_precision_score(y, y * 2.0) == 1.0
    assert M.roc_auc_score(y, -y) == 0.0


def test_one_class_warnings():
    with pytest.warns(M.UndefinedMetricWarning, match="Only one class is present in y_true"):
        assert np.isnan(M.roc_auc_score(np.ones(10, int), np.linspace(0, 1, 10)))
    with pytest.warns(M.UndefinedMetricWarning, match="No negative samples in y_true"):
        fpr, _, thr = M.roc_curve([1, 1, 1], [0.2, 0.5, 0.9])
    assert np.isnan(fpr).all() and len(fpr) == len(thr)
    with pytest.warns(UserWarning, match="No positive class found in y_true"):
        assert M.average_precision_score([0, 0, 0], [0.2, 0.5, 0.9]) == 0.0
    with pytest.raises(ValueError, match="Only one class is present in y_true. Detection"):
        M.det_curve([1, 1, 1], [0, 0.5, 1])


# -------------------------------------------------------------------------------- refusals ---


@pytest.mark.parametrize("kind", PATHS)
def test_non_finite_scores_on_every_path(kind):
    s = np.array([0.1, 0.5, 0.5, np.inf, 0.1, 0.5])
    with path(kind):
        for name in (*CURVES, "roc_auc_score", "average_precision_score"):
            with pytest.raises(ValueError, match="Input y_score contains infinity"):
                getattr(M, name)([0, 1, 0, 1, 1, 0], s)


@pytest.mark.parametrize("name", CURVES)
def test_curve_refusals(name):
    f = getattr(M, name)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[3, 2\]"):
        f([0, 1, 0], [0.1, 0.9])
    with pytest.raises(ValueError, match="Input y_score contains NaN"):
        f([0, 1, 0, 1], [0.1, np.nan, 0.3, 0.7])
    with pytest.raises(ValueError, match="Input y_score contains infinity"):
        f([0, 1, 0, 1], [0.1, np.inf, 0.3, 0.7])
    with pytest.raises(ValueError, match="multiclass format is not supported"):
        f([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="continuous format is not supported"):
        f([0.5, 1, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"y_true takes value in \{'a', 'b'\} and pos_label"):
        f(np.array(["a", "b"], dtype=object), [0.0, 1.0])
    with pytest.raises(TypeError, match="labels represented as bytes"):
        f([b"a", b"b"], [0.0, 1.0])
    with pytest.raises(ValueError, match="Sample weights must contain|sample_weight must"):
        f([0, 1, 0], [0.1, 0.2, 0.3], sample_weight=[0, 0, 0])
    with pytest.raises(ValueError, match="y should be a 1d array.*y_score"):
        f([0, 1, 0], np.ones((3, 2)))
    with pytest.raises(TypeError, match="drop_intermediate"):
        f([0, 1], [0.1, 0.2], drop_intermediate="yes")
    with pytest.raises(ValueError, match="Complex"):
        f([0, 1], [0.1j, 0.2])


def test_area_refusals():
    y3, p3 = [0, 1, 2, 1], np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"max_fpr"):
        M.roc_auc_score([0, 1], [0.1, 0.2], max_fpr=0)
    with pytest.raises(ValueError, match=r"max_fpr"):
        M.roc_auc_score([0, 1], [0.1, 0.2], max_fpr=1.5)
    with pytest.raises(ValueError, match=r"average must be one of"):
        M.roc_auc_score([0, 1], [0.1, 0.2], average="binary")
    with pytest.raises(ValueError, match=r"multi_class must be"):
        M.roc_auc_score(y3, p3, multi_class="ovx")
    with pytest.raises(ValueError, match=r"multi_class must be in \('ovo', 'ovr'\)"):
        M.roc_auc_score(y3, p3)
    with pytest.raises(ValueError, match="Partial AUC computation not available"):
        M.roc_auc_score(y3, p3, multi_class="ovr", max_fpr=0.5)
    with pytest.raises(ValueError, match="sample_weight is not supported for multiclass one"):
        M.roc_auc_score(y3, p3, multi_class="ovo", sample_weight=[])
    with pytest.raises(ValueError, match="Target scores need to be probabilities"):
        M.roc_auc_score(y3, p3 * 2, multi_class="ovr")
    with pytest.raises(ValueError, match=r"`y_score` needs to be of shape"):
        M.roc_auc_score(y3, [0.1, 0.2, 0.3, 0.4], multi_class="ovr")
    with pytest.raises(ValueError, match="Parameter 'labels' must be ordered"):
        M.roc_auc_score(y3, p3, multi_class="ovr", labels=[2, 1, 0])
    with pytest.raises(ValueError, match="'y_true' contains labels not in parameter 'labels'"):
        M.roc_auc_score([0, 1, 2, 3], p3, multi_class="ovo", labels=[0, 1, 2])
    with pytest.raises(ValueError, match="Number of classes in y_true not equal"):
        M.roc_auc_score([0, 1, 2, 1], np.full((4, 4), 0.25), multi_class="ovr")
    with pytest.raises(ValueError, match=r"pos_label=2 is not a valid label"):
        M.average_precision_score([0, 1], [0, 1], pos_label=2)
    with pytest.raises(ValueError, match="fixed to 1 for multilabel-indicator"):
        M.average_precision_score([[1, 0], [0, 1]], [[0.9, 0.1], [0.1, 0.9]], pos_label=0)
    with pytest.raises(ValueError, match="fixed to 1 for multiclass"):
        M.average_precision_score(y3, p3, pos_label=3)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        M.roc_auc_score([[1, 0], [0, 1]], [0.1, 0.2])
    with pytest.raises(ValueError, match="Input y_score contains NaN"):
        M.roc_auc_score([0, 1], [np.nan, 0.2])


# ------------------------------------------------------------------------- large inputs ---


@pytest.mark.parametrize("ties", [False, True])
def test_large_inputs_threads_and_oracle(ties):
    # 300,000 scores: several split tasks, both classes sorted on threads, two-ended walks
    rng = np.random.default_rng(7)
    s = rng.random(300_000)
    if ties:
        s = np.round(s, 3)
    y = (rng.random(300_000) < s).astype(np.int8)
    results = {}
    for n_threads in (1, 2):
        with threads(n_threads):
            results[n_threads] = [
                M.roc_auc_score(y, s),
                M.average_precision_score(y, s),
                *M.roc_curve(y, s),
                *M.precision_recall_curve(y, s),
                *M.det_curve(y, s),
            ]
    for a, b in zip(results[1], results[2], strict=True):
        np.testing.assert_array_equal(a, b)
    auc, ap, fpr, tpr, thr, p, r, pthr, dfpr, dfnr, dthr = results[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert auc == pytest.approx(skm.roc_auc_score(y, s), rel=1e-12)
        assert ap == pytest.approx(skm.average_precision_score(y, s), rel=1e-12)
        for ours, theirs in zip(
            (fpr, tpr, thr, p, r, pthr, dfpr, dfnr, dthr),
            (*skm.roc_curve(y, s), *skm.precision_recall_curve(y, s), *skm.det_curve(y, s)),
            strict=True,
        ):
            np.testing.assert_array_equal(ours, theirs)
