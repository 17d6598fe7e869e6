"""Bad-input sweep of fastinit.dask's metrics (opt-in: ``pytest -m sweep``).

confusion_matrix and regression_stats are fed dask (or NumPy) arrays, weights and options drawn
from well-formed values and from :func:`tests.sweep.junk`; each call returns or refuses naming
an argument, leaves its inputs as they were when it refuses, and its result equals a plain count
(confusion matrix) or the in-memory function (mean squared error).

Cases: a tenth of ``FASTINIT_SWEEP_EXAMPLES`` (each call builds a graph).
"""

import faulthandler
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.metrics as M
from tests import sweep
from tests.sweep import assert_unchanged, call, snapshot
from tests.sweep_metrics import FEW, arg_names, junk, weights

pytestmark = pytest.mark.sweep


def _call_dask(fn, args, kwargs, names, sources):
    """:func:`tests.sweep.call` for dask inputs: a dask array caches graph details on itself,
    so the unchanged-input check looks at the NumPy array it was made from (``sources``)."""

    def plain(values):
        return [sources.get(id(v), v) for v in values]

    before = snapshot((plain(args), plain(kwargs.values())))
    faulthandler.dump_traceback_later(sweep.HANG_SECONDS, exit=True)
    try:
        return fn(*args, **kwargs), None
    except (ValueError, TypeError) as error:
        assert any(name in str(error) for name in names), (
            f"{type(error).__name__} does not name any of {names}: {str(error)!r}"
        )
        assert_unchanged(before, (plain(args), plain(kwargs.values())), "an input")
        return None, error
    finally:
        faulthandler.cancel_dump_traceback_later()


@FEW
@given(data=st.data())
def test_sweep_dask(data):
    da = pytest.importorskip("dask.array")
    fd = pytest.importorskip("fastinit.dask")
    draw = data.draw
    n = draw(st.integers(0, 12))
    chunks = draw(st.sampled_from([1, 2, 5, (n,) if n else 1]))
    sources = {}

    def wrap(a):
        if isinstance(a, np.ndarray) and a.ndim >= 1 and draw(st.booleans()):
            fits = isinstance(chunks, int) or sum(chunks) == a.shape[0]
            wrapped = da.from_array(a, chunks=((chunks if fits else -1),) + a.shape[1:])
            sources[id(wrapped)] = a
            return wrapped
        return a

    w = draw(st.one_of(weights(n), junk()))
    w = wrap(w) if isinstance(w, np.ndarray) else w
    if draw(st.booleans()):
        k = draw(st.one_of(st.integers(1, 5), junk()))
        values = st.lists(st.integers(0, 4), min_size=n, max_size=n)
        dtype = draw(st.sampled_from([np.int64, np.int32, ">i4", ">i8", np.uint8, bool]))
        t = np.array(draw(values)).astype(dtype)
        p = np.array(draw(values)).astype(dtype)
        t = wrap(draw(st.one_of(st.just(t), st.just(t), junk())))
        p = wrap(draw(st.one_of(st.just(p), st.just(p), junk())))
        kwargs = {"num_classes": k, "sample_weight": w}
        if draw(st.booleans()):
            kwargs["compute"] = draw(st.one_of(st.booleans(), junk()))
        names = arg_names(fd.confusion_matrix)
        got, error = _call_dask(fd.confusion_matrix, (t, p), kwargs, names, sources)
        if error is None and not isinstance(got, np.ndarray):
            got, error = call(got.compute, names=arg_names(fd.confusion_matrix))
        if error is None:
            expected = np.zeros((k, k))
            weight = np.ones(n) if w is None else np.asarray(w, np.float64)
            for a, b, x in zip(np.asarray(t).astype(np.int64), np.asarray(p).astype(np.int64),
                               np.broadcast_to(weight, (n,)), strict=True):  # fmt: skip
                expected[a, b] += x
            np.testing.assert_allclose(got, expected, rtol=1e-12)
    else:
        k = draw(st.sampled_from([None, 1, 2]))
        shape = (n,) if k is None else (n, k)
        floats = st.floats(-100, 100)
        size = int(np.prod(shape))
        t, p = (np.array(draw(st.lists(floats, min_size=size, max_size=size))).reshape(shape)
                for _ in range(2))  # fmt: skip
        t = wrap(draw(st.one_of(st.just(t), st.just(t), junk())))
        p = wrap(draw(st.one_of(st.just(p), st.just(p), junk())))
        names = arg_names(fd.regression_stats)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            kwargs = {"sample_weight": w}
            stats, error = _call_dask(fd.regression_stats, (t, p), kwargs, names, sources)
            if error is None:
                got, error = call(stats.mean_squared_error, (), {"multioutput": "raw_values"},
                                  names=["sample_weight"])  # fmt: skip
                if error is None:
                    expected = M.mean_squared_error(
                        np.asarray(t), np.asarray(p), sample_weight=np.asarray(w) if w is not None
                        else None, multioutput="raw_values"
                    )  # fmt: skip
                    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
