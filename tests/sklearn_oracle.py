"""scikit-learn as the oracle of fastinit.metrics: the same call to both, results and warnings
compared; the generated label pairs those comparisons run on.

Used by the tests named after the metric modules (``test_metrics_classification.py``,
``test_metrics_precision_recall.py``, ...); each of them skips itself without scikit-learn.
"""

import warnings

import numpy as np
from hypothesis import Phase, settings
from hypothesis import strategies as st

import fastinit.metrics as M

SETTINGS = settings(
    derandomize=True, deadline=None, max_examples=25, phases=(Phase.explicit, Phase.generate)
)


def run(fn, *args, **kwargs):
    """(result or exception type, [(warning class name, message)])."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            out = type(exc)
    return out, [(w.category.__name__, str(w.message)) for w in rec]


def same(a, b, rtol=1e-9):
    if isinstance(a, type) or isinstance(b, type):
        assert (
            isinstance(a, type)
            and isinstance(b, type)
            and issubclass(a, ValueError) == issubclass(b, ValueError)
        )
        return
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same(x, y, rtol)
        return
    if a is None or b is None:
        assert a is None and b is None
        return
    if isinstance(b, (str, dict)):
        assert a == b if isinstance(b, str) else a.keys() == b.keys()
        return
    assert type(a) is type(b), (type(a), type(b))
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=1e-12)
    if isinstance(b, np.ndarray):
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind


def compare(name, *args, **kwargs):
    import sklearn.metrics as skm

    a, wa = run(getattr(M, name), *args, **kwargs)
    b, wb = run(getattr(skm, name), *args, **kwargs)
    same(a, b)
    assert (
        [m for _, m in wa] == [m for _, m in wb] or not isinstance(b, type) and len(wa) == len(wb)
    )
    return a


@st.composite
def label_pairs(draw, kinds=("int", "bool", "str", "float", "neg")):
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, 6))
    t = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    p = np.array(draw(st.lists(st.integers(0, k), min_size=n, max_size=n)))
    if kind == "bool":
        t, p = t % 2 == 1, p % 2 == 1
    elif kind == "str":
        names = np.array(["ant", "bee", "cat", "dog", "eel", "fox", "gnu"])
        t, p = names[t], names[p]
    elif kind == "float":
        t, p = t.astype(float), p.astype(float)
    elif kind == "neg":
        t, p = (t * 7 - 10).astype(np.int16), (p * 7 - 10).astype(np.int32)
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.floats(0.0, 3.0), min_size=n, max_size=n)))
    return t, p, w


@st.composite
def indicator_pairs(draw):
    """(y_true, y_pred, sample_weight or None): 0/1 indicator matrices of 12 samples and 2 to 6
    labels, weighted for odd seeds."""
    seed = draw(st.integers(0, 2**31))
    n_labels = draw(st.integers(2, 6))
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, (12, n_labels))
    p = rng.integers(0, 2, (12, n_labels))
    w = rng.random(12) if seed % 2 else None
    return t, p, w
