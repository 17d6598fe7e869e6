"""fastinit.metrics log_loss and brier_score_loss (_probabilistic.py) against scikit-learn.

Binary problems (the one-pass kernel) with every label kind, pos_label, weights and float32
probabilities; two-column, multiclass and indicator inputs (the NumPy path); scikit-learn's
pinned cases and messages; refusals; and a large input split into tasks (1 and 2 threads give
the same bits).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from tests._helpers import threads
from tests.sklearn_oracle import SETTINGS
from tests.test_metrics_curves import check

skm = pytest.importorskip("sklearn.metrics")

LOSSES = ("log_loss", "brier_score_loss")


@st.composite
def binary_probabilities(draw):
    """(y_true, probabilities of the positive class, sample_weight, pos_label)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 40))
    t = rng.integers(0, 2, n)
    kind = draw(st.sampled_from(["01", "pm1", "12", "str", "bool", "float", "one class"]))
    pos_label = None
    if kind == "one class":
        t = np.full(n, draw(st.sampled_from([0, 1, -1, 3])))
    elif kind == "pm1":
        t = 2 * t - 1
    elif kind == "12":
        t, pos_label = t + 1, draw(st.sampled_from([1, 2, None]))
    elif kind == "str":
        t, pos_label = np.array(["ham", "spam"])[t], draw(st.sampled_from(["ham", "spam"]))
    elif kind == "bool":
        t = t == 1
    elif kind == "float":
        t = t.astype(np.float64)
    p = rng.random(n)
    edges = draw(st.sampled_from(["none", "zeros and ones", "rounded"]))
    if edges == "zeros and ones":
        p[::3] = 0.0
        p[1::3] = 1.0
    elif edges == "rounded":
        p = np.round(p, 1)
    w = draw(st.sampled_from([None, "float", "int", "some zero"]))
    if w == "float":
        w = rng.random(n) + 0.1
    elif w == "int":
        w = rng.integers(1, 4, n)
    elif w == "some zero":
        w = rng.random(n) * (rng.random(n) < 0.6)
        w[0] = 1.0
    return t, p, w, pos_label


@SETTINGS
@given(binary_probabilities(), st.booleans())
def test_binary(problem, normalize):
    t, p, w, pos_label = problem
    check("log_loss", t, p, sample_weight=w, normalize=normalize)
    check("brier_score_loss", t, p, sample_weight=w, pos_label=pos_label)
    check("brier_score_loss", t, p, sample_weight=w, pos_label=pos_label, scale_by_half=False)
    check("log_loss", list(t), list(p))
    # float32 probabilities: scikit-learn's float32 arithmetic, to the bit, for small inputs
    check("log_loss", t, p.astype(np.float32), sample_weight=w)
    check("brier_score_loss", t, p.astype(np.float32), pos_label=pos_label)
    if len(np.unique(t)) == 2:  # two columns: the NumPy path, the same numbers
        two = np.column_stack([1 - p, p])
        for name in LOSSES:
            check(name, t, two, sample_weight=w)


@st.composite
def multiclass_probabilities(draw):
    """(labels, probabilities (rows summing to 1, or not), labels argument or None)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(3, 5))
    n = draw(st.integers(1, 30))
    y = rng.integers(0, k, n)
    p = rng.dirichlet(np.ones(k), size=n)
    if draw(st.booleans()):
        p[0] *= 1.5  # not normalized: a warning
    labels = None
    mode = draw(st.sampled_from(["plain", "strings", "labels", "unsorted labels", "extra"]))
    if mode == "strings":
        y = np.array(["ant", "bee", "cat", "dog", "eel"])[y]
    elif mode == "labels":
        labels = list(range(k))
    elif mode == "unsorted labels":
        labels = list(range(k))[::-1]
    elif mode == "extra":
        labels = list(range(k + 1))  # one class too many for the columns
    w = rng.random(n) if draw(st.booleans()) else None
    return y, p, labels, w


@SETTINGS
@given(multiclass_probabilities())
def test_multiclass(problem):
    y, p, labels, w = problem
    for name in LOSSES:
        check(name, y, p, labels=labels, sample_weight=w)
    check("log_loss", y, p, labels=labels, normalize=False)
    check("brier_score_loss", y, p, labels=labels, scale_by_half=True)


def test_indicator_targets():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (20, 3))
    p = rng.dirichlet(np.ones(3), size=20)
    for name in LOSSES:
        check(name, y, p)
    y2 = np.column_stack([1 - y[:, 0], y[:, 0]])
    check("brier_score_loss", y2, np.column_stack([1 - p[:, 0], p[:, 0]]))


# ------------------------------------------------------------- scikit-learn's pinned cases ---


def test_log_loss_worked_examples():
    y = ["no", "no", "no", "yes", "yes", "yes"]
    p = np.array([[0.5, 0.5], [0.1, 0.9], [0.01, 0.99], [0.9, 0.1], [0.75, 0.25], [0.001, 0.999]])
    yes = np.array(y) == "yes"
    expected = -np.mean(np.where(yes, np.log(p[:, 1]), np.log(p[:, 0])))
    assert M.log_loss(y, p) == pytest.approx(expected, rel=1e-13)
    assert M.log_loss(y, p[:, 1]) == pytest.approx(expected, rel=1e-13)
    y3, p3 = [1, 0, 2], [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]]
    assert M.log_loss(y3, p3) == pytest.approx(0.6904911, rel=1e-7)
    assert M.log_loss(y3 * 2, p3 * 2, normalize=False) == pytest.approx(0.6904911 * 6, rel=1e-7)
    assert M.log_loss([2, 2], [[0.1, 0.9], [0.1, 0.9]], labels=[1, 2]) == pytest.approx(
        -np.log(0.9)
    )
    assert M.log_loss([1, 2, 2], [[0.7, 0.1, 0.2], [0.2, 0.7, 0.1], [0.1, 0.7, 0.2]],
                      labels=[1, 2, 3]) == pytest.approx(-np.log(0.7))  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_log_loss_clips_to_the_dtype_eps(dtype):
    loss = M.log_loss(np.array([0, 1], dtype=dtype), np.array([1, 0], dtype=dtype))
    assert np.isfinite(loss)
    assert loss == pytest.approx(-np.log(np.finfo(dtype).eps), rel=1e-3)
    assert M.log_loss([0, 1, 0], [0, 1, 0]) == pytest.approx(0, abs=1e-12)


def test_brier_worked_examples():
    y = np.array([0, 1, 1, 0, 1, 1])
    p = np.array([0.1, 0.8, 0.9, 0.3, 1.0, 0.95])
    expected = np.mean((y - p) ** 2)
    for labels in (y, 1 + y, 2 * y - 1, np.array(["a", "b"])[y]):
        pos = "b" if labels.dtype.kind == "U" else None
        assert M.brier_score_loss(labels, p, pos_label=pos) == pytest.approx(expected)
    assert M.brier_score_loss(y, p, scale_by_half=False) == pytest.approx(2 * expected)
    assert M.brier_score_loss([-1], [0.4]) == pytest.approx(0.16)
    assert M.brier_score_loss([1], [0.4]) == pytest.approx(0.36)
    assert M.brier_score_loss(["foo"], [0.4], pos_label="bar") == pytest.approx(0.16)
    assert M.brier_score_loss([0, 1, 2], np.eye(3)[[1, 0, 0]]) == pytest.approx(2)
    assert M.brier_score_loss(
        ["eggs", "spam", "ham"], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]],
        labels=["eggs", "ham", "spam", "yams"],
    ) == pytest.approx(2 / 3)  # fmt: skip


def test_messages():
    with pytest.raises(ValueError, match=r"y_true contains values \{'b'\} not belonging to the "
                       r"passed labels \['a', 'c', 'd'\]\."):  # fmt: skip
        M.log_loss(["a", "b", "c"], [[0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.1, 0.1, 0.8]],
                   labels=["a", "c", "d"])  # fmt: skip
    with pytest.raises(ValueError, match=r"y_true contains only one label \(2\)"):
        M.log_loss([2, 2], [[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[3, 2\]"):
        M.log_loss([2, 2], [[0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    with pytest.warns(UserWarning, match=r"Labels passed were \['spam', 'eggs', 'ham'\]"):
        M.log_loss(["eggs", "spam", "ham"], np.eye(3), labels=["spam", "eggs", "ham"])
    with pytest.warns(UserWarning, match="The y_prob values do not sum to one"):
        M.log_loss([0, 1, 1, 0], [[0.2, 0.7], [0.6, 0.3], [0.4, 0.7], [0.8, 0.3]])
    with pytest.warns(FutureWarning, match="`y_pred` was renamed to `y_proba`"):
        assert M.log_loss([0, 1], y_pred=[0.2, 0.7]) == M.log_loss([0, 1], [0.2, 0.7])
    with pytest.raises(ValueError, match="Cannot use both `y_pred` and `y_proba`"):
        M.log_loss([0, 1], [0.2, 0.7], y_pred=[0.2, 0.7])
    with pytest.raises(ValueError, match="inferred from y_true is multiclass but should be binary"):
        M.brier_score_loss([0, 1, 2, 0], [0.8, 0.6, 0.4, 0.2])
    with pytest.raises(ValueError, match=r"different number of classes: 3 vs 2.*\[0 1 2\]"):
        M.brier_score_loss([0, 1, 2], [[1, 0], [0, 1], [0, 1]])
    with (
        pytest.warns(UserWarning, match="ordered lexicographically"),
        pytest.raises(ValueError, match=r"Classes found in labels: \['eggs' 'ham' 'spam' 'yams'"),
    ):
        M.brier_score_loss(["eggs", "spam", "ham"], np.eye(3)[[0, 1, 1]],
                           labels=["eggs", "spam", "ham", "yams"])  # fmt: skip
    with pytest.raises(ValueError, match=r"y_true contains only one label \(eggs\)"):
        M.brier_score_loss(["eggs"], [[0.9, 0.1]])
    assert M.brier_score_loss(["eggs"], [[0.9, 0.1]], labels=["eggs", "ham"]) == pytest.approx(0.01)


@pytest.mark.parametrize("name", LOSSES)
def test_refusals(name):
    f = getattr(M, name)
    low = "lower" if name == "log_loss" else "less"
    with pytest.raises(ValueError, match="y_prob contains values greater than 1: 1.5"):
        f([0, 1, 0], [0.2, 1.5, 0.3])
    with pytest.raises(ValueError, match=f"y_prob contains values {low} than 0: -0.5"):
        f([0, 1, 0], [0.2, -0.5, 0.3])
    with pytest.raises(ValueError, match="Input y_proba contains NaN"):
        f([0, 1, 0], [0.2, np.nan, 0.3])
    with pytest.raises(ValueError, match="Input y_proba contains infinity"):
        f([0, 1, 0], [0.2, np.inf, 0.3])
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero"):
        f([0, 1, 0], [0.2, 0.5, 0.3], sample_weight=[0, 0, 0])
    with pytest.raises(ZeroDivisionError):
        f([0, 1], [0.2, 0.5], sample_weight=[1, -1])
    with pytest.raises(ValueError, match="sample_weight must be an array-like"):
        f([0, 1], [0.2, 0.5], sample_weight=2.0)
    with pytest.raises(ValueError, match="dim 3"):
        f([0, 1], np.zeros((2, 1, 1)))
    with pytest.raises(ValueError, match="0 sample"):
        f([], [])
    with pytest.raises(TypeError, match="y_proba"):
        f([0, 1], ["low", "high"])
    assert f([0, 1], ["0.1", "0.8"]) == f([0, 1], [0.1, 0.8])  # converted, as scikit-learn does
    with pytest.raises(ValueError):
        f([0.5, 1, 0], [0.2, 0.3, 0.4])  # continuous targets


def test_parameter_refusals():
    with pytest.raises(TypeError, match="normalize"):
        M.log_loss([0, 1], [0.2, 0.5], normalize="yes")
    with pytest.raises(ValueError, match="scale_by_half"):
        M.brier_score_loss([0, 1], [0.2, 0.5], scale_by_half="half")
    with pytest.raises(TypeError, match="pos_label"):
        M.brier_score_loss([0, 1], [0.2, 0.5], pos_label=[1])


def test_large_input_tasks_and_threads():
    # 300,000 samples: five tasks of the one-pass kernel, their sums added in task order
    rng = np.random.default_rng(11)
    p = rng.random(300_000)
    y = (rng.random(300_000) < p).astype(np.int64)
    w = rng.random(300_000)
    got = {}
    for n_threads in (1, 2):
        with threads(n_threads):
            got[n_threads] = [
                M.log_loss(y, p), M.log_loss(y, p, sample_weight=w, normalize=False),
                M.brier_score_loss(y, p), M.brier_score_loss(y, p, sample_weight=w),
            ]  # fmt: skip
    assert got[1] == got[2]
    expected = [
        skm.log_loss(y, p), skm.log_loss(y, p, sample_weight=w, normalize=False),
        skm.brier_score_loss(y, p), skm.brier_score_loss(y, p, sample_weight=w),
    ]  # fmt: skip
    np.testing.assert_allclose(got[1], expected, rtol=1e-12)
    # float32 probabilities of a large input: the kernel sums in float64, scikit-learn in
    # float32 (pairwise), so they agree to float32 rounding
    p32 = p.astype(np.float32)
    for name in LOSSES:
        assert getattr(M, name)(y, p32) == pytest.approx(getattr(skm, name)(y, p32), rel=1e-6)
