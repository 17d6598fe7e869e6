"""fastinit.metrics' classification functions on dask arrays equal them on NumPy arrays: same
results, warnings and exceptions, computed chunk by chunk without gathering an input; and
ConfusionMatrix.from_matrix."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastinit.metrics as M
from fastinit.metrics._exceptions import DaskUnsupportedError
from tests._dask_cases import chunked, da, no_gather, outcome, same_as_in_memory

dask = pytest.importorskip("dask")
fd = pytest.importorskip("fastinit.dask")

ROOT = Path(__file__).resolve().parents[1]
_NAMES = np.array(["ant", "bee", "cat", "dog", "eel", "fox"])


def _labels(kind, n=300, seed=0):
    """(y_true, y_pred) of ``kind``: int / str, binary / multiclass (a class only predicted)."""
    rng = np.random.default_rng(seed)
    k = 2 if "binary" in kind else 5
    t = rng.integers(0, k, n)
    p = np.where(rng.random(n) < 0.6, t, rng.integers(0, k + ("binary" not in kind), n))
    if kind.startswith("str"):
        return _NAMES[t], _NAMES[p]
    return t.astype(np.int32), p


# (function, keyword arguments): every classification function, and the options that change
# which path the counts take
CASES = [
    ("confusion_matrix", {}),
    ("confusion_matrix", {"normalize": "true"}),
    ("confusion_matrix", {"labels": "reversed"}),
    ("multilabel_confusion_matrix", {}),
    ("multilabel_confusion_matrix", {"labels": "first"}),
    ("accuracy_score", {}),
    ("accuracy_score", {"normalize": False}),
    ("balanced_accuracy_score", {"adjusted": True}),
    ("matthews_corrcoef", {}),
    ("cohen_kappa_score", {"weights": "quadratic"}),
    ("hamming_loss", {}),
    ("zero_one_loss", {}),
    ("zero_one_loss", {"normalize": False}),
    ("precision_recall_fscore_support", {"average": None}),
    ("precision_recall_fscore_support", {"average": "weighted", "beta": 2.0}),
    ("precision_score", {"average": "macro"}),
    ("recall_score", {"average": "micro"}),
    ("f1_score", {"average": "binary"}),
    ("f1_score", {"average": "macro", "zero_division": 1}),
    ("fbeta_score", {"average": "weighted", "beta": 0.5}),
    ("jaccard_score", {"average": None}),
    ("classification_report", {}),
    ("classification_report", {"output_dict": True, "digits": 4}),
]

# (label kind, weighted, row chunks): chunkings with one chunk, uneven ones and an empty one
DATA = [
    ("int-multiclass", False, 64),
    ("int-multiclass", True, (100, 0, 150, 50)),
    ("str-multiclass", False, (300,)),
    ("str-multiclass", True, 37),
    ("int-binary", True, 128),
    ("str-binary", False, (10, 290)),
]


def _kwargs(kwargs, t, p):
    present = np.unique(np.concatenate([t, p]))
    if kwargs.get("labels") == "reversed":
        return {**kwargs, "labels": present[::-1]}
    if kwargs.get("labels") == "first":
        return {**kwargs, "labels": present[:1]}
    if kwargs.get("average") == "binary" and t.dtype.kind == "U":
        return {**kwargs, "pos_label": "bee"}
    return kwargs


@pytest.mark.parametrize("kind, weighted, chunks", DATA, ids=lambda v: str(v))
def test_every_classification_function_equals_in_memory(kind, weighted, chunks):
    t, p = _labels(kind)
    w = np.random.default_rng(1).random(len(t)) if weighted else None
    dask_args = [chunked(x, chunks) for x in (t, p, w)]
    for name, kwargs in CASES:
        kwargs = _kwargs(kwargs, t, p)
        same_as_in_memory(getattr(M, name), dask_args, (t, p, w), **kwargs)


def test_numpy_beside_dask_column_labels_and_integer_weights():
    t, p = _labels("int-multiclass", n=200)
    w = np.arange(200) % 4  # integer weights, zeros among them
    mixed = [
        ((chunked(t, 30), p, w), w),
        ((t, chunked(p, 70), chunked(w, 45)), w),
        ((chunked(t[:, None], 50), chunked(p, 50), 2.0), 2.0),  # (n, 1) labels, a scalar weight
        ((t, p, da.from_array(np.array(3))), 3),  # a dask scalar weight
    ]
    for dask_args, want_w in mixed:
        for name, kwargs in [
            ("confusion_matrix", {}),
            ("f1_score", {"average": "macro"}),
            ("zero_one_loss", {"normalize": False}),
        ]:
            same_as_in_memory(getattr(M, name), dask_args, (t, p, want_w), **kwargs)
    # cohen_kappa_score, whose inputs are y1 and y2
    same_as_in_memory(M.cohen_kappa_score, (chunked(t, 40), p[:-1]), (t, p[:-1]))


@pytest.mark.parametrize(
    "case",
    ["nan", "non-integral", "mixed", "zero-weights", "nan-weight", "length", "empty",
     "pos_label", "binary-average", "labels-absent", "bad-weights-shape", "complex-weights",
     "3-d", "zero-division-option"],
)  # fmt: skip
def test_refusals_equal_in_memory(case):
    t, p = _labels("int-multiclass", n=60)
    tf = t.astype(float)
    w = None
    kwargs = {"average": "macro"}
    fn = M.f1_score
    if case == "nan":
        t = tf.copy()
        t[45] = np.nan
    elif case == "non-integral":
        t = tf + 0.5 * (np.arange(60) == 50)
    elif case == "mixed":
        t = _NAMES[t]
    elif case == "zero-weights":
        w = np.zeros(60)
    elif case == "nan-weight":
        w = np.ones(60)
        w[55] = np.nan
    elif case == "length":
        p = p[:-1]
    elif case == "empty":
        t, p = t[:0], p[:0]
    elif case == "pos_label":
        t, p, kwargs = t % 2, p % 2, {"pos_label": 7}
    elif case == "binary-average":
        kwargs = {}
    elif case == "labels-absent":
        fn, kwargs = M.confusion_matrix, {"labels": [10, 11]}
    elif case == "bad-weights-shape":
        w = np.ones((60, 2))
    elif case == "complex-weights":
        w = np.ones(60, complex)
    elif case == "3-d":
        t = t.reshape(3, 4, 5)
    else:
        kwargs["zero_division"] = "always"
    chunks = 20 if len(t) else 1
    dt = da.from_array(t, chunks=chunks) if t.ndim != 3 else da.from_array(t)
    dask_args = (dt, chunked(p, chunks))
    dask_args = (*dask_args, chunked(w, chunks))
    got = same_as_in_memory(fn, dask_args, (t, p, w), **kwargs)
    assert isinstance(got, tuple) and issubclass(got[0], (ValueError, TypeError))


def test_label_indicator_matrices_are_refused_by_name():
    t = da.from_array(np.eye(4, dtype=int), chunks=2)
    with pytest.raises(DaskUnsupportedError, match="y_true is 2-d with 4 columns"):
        M.accuracy_score(t, t)
    with pytest.raises(ValueError, match="not supported for dask arrays"):  # also a ValueError
        M.hamming_loss(np.eye(4, dtype=int), t)
    with pytest.raises(NotImplementedError):
        M.ConfusionMatrix().update(t, t)


def test_numpy_input_never_imports_dask():
    code = (
        "import sys, numpy as np, fastinit.metrics as M\n"
        "M.f1_score(np.arange(9) % 3, np.arange(9) % 2, average='macro')\n"
        "M.median_absolute_error(np.arange(4.0), np.ones(4))\n"
        "M.ConfusionMatrix().update([0, 1], [1, 1])\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_dask_inputs_that_cannot_be_chunked_are_refused_by_name():
    x = chunked(np.arange(10), 4)
    unknown = x[x > 3]
    with pytest.raises(ValueError, match="y_pred has unknown chunk sizes"):
        M.f1_score(x[:6], unknown, average="macro")
    with pytest.raises(TypeError, match="y_true is a dask Delayed; pass a dask array"):
        M.accuracy_score(dask.delayed(np.arange)(10), x)
    with pytest.raises(ValueError, match="y_true and y_pred have different lengths: 6 != 10"):
        M.accuracy_score(x[:6], x)


def test_no_input_is_gathered(monkeypatch):
    t, p = _labels("str-multiclass", n=120)
    w = np.linspace(0, 1, 120)
    dt, dp, dw = chunked(t, 25), chunked(p, 25), chunked(w, 25)
    with no_gather(monkeypatch, rows=120):
        for name, kwargs in CASES:
            out, _ = outcome(getattr(M, name), dt, dp, sample_weight=dw, **_kwargs(kwargs, t, p))
            assert not (isinstance(out, tuple) and out[0] is AssertionError), (name, out)
        cm = M.ConfusionMatrix()
        cm.update(dt, dp, dw)
    # the guard does catch a gather, also of an array a task is given whole
    with no_gather(monkeypatch, rows=120), pytest.raises(AssertionError, match="gathered"):
        np.asarray(dt)
    with no_gather(monkeypatch, rows=120), pytest.raises(AssertionError, match="concatenated"):
        dask.delayed(len)(dw).compute()


def test_confusion_matrix_update_with_dask_batches():
    t, p = _labels("str-multiclass", n=400)
    w = np.random.default_rng(3).random(400)
    cm = M.ConfusionMatrix()
    cm.update(t[:100], p[:100], w[:100])
    cm.update(chunked(t[100:], 70), chunked(p[100:], 70), chunked(w[100:], 70))
    np.testing.assert_allclose(cm.matrix, M.confusion_matrix(t, p, sample_weight=w), rtol=1e-12)
    assert cm.f1_score(average="macro") == pytest.approx(
        M.f1_score(t, p, average="macro", sample_weight=w), rel=1e-12
    )
    fixed = M.ConfusionMatrix(labels=_NAMES[:3])
    with pytest.raises(ValueError, match="y_true/y_pred contain labels not in `labels`"):
        fixed.update(chunked(t, 70), chunked(p, 70))
    zero = M.ConfusionMatrix()
    zero.update(chunked(t, 70), chunked(p, 70), chunked(np.zeros(400), 70))  # accepted
    with pytest.raises(M._exceptions.ZeroWeightsError):
        zero.accuracy_score()


# ------------------------------------------------------------------------ from_matrix ---


@pytest.mark.parametrize("kind", ["int", "str", "weighted"])
def test_from_matrix_round_trips_with_confusion_matrix(kind):
    t, p = _labels("str-multiclass" if kind == "str" else "int-multiclass", n=500, seed=4)
    w = np.random.default_rng(5).random(500) if kind == "weighted" else None
    present = np.unique(np.concatenate([t, p]))
    matrix = M.confusion_matrix(t, p, sample_weight=w)
    cm = M.ConfusionMatrix.from_matrix(matrix, labels=present)
    np.testing.assert_array_equal(cm.matrix, matrix)
    assert cm.matrix.dtype == matrix.dtype
    np.testing.assert_array_equal(cm.classes, present)
    for name in ("f1_score", "precision_score", "jaccard_score"):
        for average in ("macro", "weighted", None):
            np.testing.assert_allclose(
                getattr(cm, name)(average=average),
                getattr(M, name)(t, p, average=average, sample_weight=w),
                rtol=1e-12,
            )
    assert cm.matthews_corrcoef() == pytest.approx(M.matthews_corrcoef(t, p, sample_weight=w))
    if w is None:  # (a class only predicted: both warn)
        assert outcome(cm.classification_report) == outcome(M.classification_report, t, p)
    # labels in any order: the rows and columns follow them
    order = np.random.default_rng(6).permutation(len(present))
    shuffled = M.ConfusionMatrix.from_matrix(matrix[np.ix_(order, order)], labels=present[order])
    np.testing.assert_array_equal(shuffled.matrix, matrix[np.ix_(order, order)])
    assert shuffled.f1_score(average="macro") == cm.f1_score(average="macro")


def test_from_matrix_takes_the_full_dask_matrix_and_merges():
    rng = np.random.default_rng(7)
    t, p = rng.integers(0, 6, 1000), rng.integers(0, 5, 1000)  # class 5 only in y_true
    full = fd.confusion_matrix(chunked(t, 300), chunked(p, 300), num_classes=8)  # 6, 7 absent
    cm = M.ConfusionMatrix.from_matrix(full)
    for average in ("macro", "micro", "weighted"):
        assert cm.recall_score(average=average) == M.recall_score(t, p, average=average)
    assert cm.cohen_kappa_score() == pytest.approx(M.cohen_kappa_score(t, p), rel=1e-12)
    more = M.ConfusionMatrix(num_classes=8)
    more.update(t[:10], p[:10])
    cm.merge(more)
    assert cm.accuracy_score() == M.accuracy_score(np.r_[t, t[:10]], np.r_[p, p[:10]])
    with pytest.raises(ValueError, match="outside"):
        cm.update([9], [0])


@pytest.mark.parametrize(
    "matrix, labels, error, match",
    [
        (np.ones((2, 3)), None, ValueError, "matrix must be a square"),
        (np.ones(4), None, ValueError, "matrix must be a square"),
        (np.zeros((0, 0)), None, ValueError, "matrix must have at least one"),
        ([[1, -1], [0, 2]], None, ValueError, "matrix must be non-negative"),
        ([[1.0, np.nan], [0, 2]], None, ValueError, "matrix must be finite"),
        ([[1.0, np.inf], [0, 2]], None, ValueError, "matrix must be finite"),
        ([["a", "b"], ["c", "d"]], None, TypeError, "matrix must hold counts"),
        (np.eye(2, dtype=bool), None, TypeError, "matrix must hold counts"),
        (np.full((1, 1), 2**63, np.uint64), None, ValueError, "matrix counts must fit int64"),
        (np.eye(2), [0, 1, 2], ValueError, "labels has 3 labels but matrix is 2 x 2"),
        (np.eye(2), ["a", "a"], ValueError, "labels must be unique"),
        (np.eye(2), [0.0, np.nan], ValueError, "labels must be finite"),
    ],
)
def test_from_matrix_refusals_name_the_argument(matrix, labels, error, match):
    with pytest.raises(error, match=match):
        M.ConfusionMatrix.from_matrix(matrix, labels=labels)


def test_from_matrix_copies_and_an_empty_matrix_has_no_samples():
    m = np.array([[2, 1], [0, 3]])
    cm = M.ConfusionMatrix.from_matrix(m, labels=["x", "y"])
    m[0, 0] = 100
    assert cm.matrix[0, 0] == 2
    assert cm.recall_score(pos_label="y") == 1.0
    with pytest.raises(ValueError, match="no samples yet"):
        M.ConfusionMatrix.from_matrix(np.zeros((3, 3))).accuracy_score()
