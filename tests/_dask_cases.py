"""What the tests of fastinit.metrics on dask arrays share: running a call on both sides and
comparing results, warnings and exceptions, and a guard that no dask array is gathered whole."""

import contextlib
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")


def outcome(fn, *args, **kwargs):
    """(result, or the exception's type and message; [(warning class, message)])."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared with the other side's outcome
            out = (type(exc), str(exc))
    return out, [(w.category, str(w.message)) for w in rec]


def assert_same(got, want, rtol=1e-12):
    """Equal results: same types and shapes, numbers equal up to float rounding."""
    if isinstance(want, tuple) and want and isinstance(want[0], type):
        assert got == want
        return
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, tuple):
        for a, b in zip(got, want, strict=True):
            assert_same(a, b, rtol)
    elif isinstance(want, dict):
        assert got.keys() == want.keys()
        for key in want:
            assert_same(got[key], want[key], rtol)
    elif want is None:
        assert got is None
    elif isinstance(want, str):  # a text report: its numbers up to rounding, the rest equal
        if got != want:
            a, b = got.split(), want.split()
            assert len(a) == len(b), (got, want)
            for x, y in zip(a, b, strict=True):
                if x != y:
                    np.testing.assert_allclose(float(x), float(y), rtol=rtol)
    else:
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14)


def same_as_in_memory(fn, dask_args, numpy_args, rtol=1e-12, **kwargs):
    """``fn`` of dask inputs and of their NumPy values: equal results, warnings, exceptions.

    ``dask_args`` and ``numpy_args``: (y_true, y_pred) or (y_true, y_pred, sample_weight)."""

    def call(args):
        weight = {} if len(args) == 2 else {"sample_weight": args[2]}
        return outcome(fn, *args[:2], **weight, **kwargs)

    got, got_warnings = call(dask_args)
    want, want_warnings = call(numpy_args)
    assert_same(got, want, rtol)
    assert got_warnings == want_warnings
    return got


def chunked(x, chunks):
    """``x`` as a dask array with row chunks ``chunks`` (an int or a tuple of sizes)."""
    if x is None:
        return None
    x = np.asarray(x)
    return da.from_array(x, chunks=(chunks,) + x.shape[1:] if x.ndim > 1 else chunks)


@contextlib.contextmanager
def no_gather(monkeypatch, rows):
    """Inside the block, turning a whole dask array into a NumPy one raises (``np.asarray``,
    ``.compute()`` of more than one number, chunks concatenated into ``rows`` rows or more, as
    a task given a whole array receives it), and so does a per-chunk function of the metrics
    given more rows than a chunk holds."""
    import dask.array.core

    from fastinit.dask import _metrics as dm

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a dask array of shape {self.shape} was gathered with np.asarray")

    compute = da.Array.compute

    def compute_scalars(self, **kwargs):
        if self.size > 1:
            raise AssertionError(f"a dask array of shape {self.shape} was computed whole")
        return compute(self, **kwargs)

    runner = dm.row_runner

    def chunk_sized(arrays):
        limit = max(max(a.chunks[0]) for a in arrays if a is not None)
        run = runner(arrays)

        def checked(fn, merge, *args, **kwargs):
            def guarded(*values):
                for x in values[: len(arrays)]:
                    assert x is None or len(x) <= limit, f"{fn.__name__} got {len(x)} rows"
                return fn(*values)

            return run(guarded, merge, *args, **kwargs)

        return checked

    concatenate = dask.array.core.concatenate3

    def concatenate_parts(arrays):
        out = concatenate(arrays)
        if np.ndim(out) and len(out) >= rows:
            raise AssertionError(f"chunks were concatenated into {len(out)} rows")
        return out

    with monkeypatch.context() as m:
        m.setattr(dask.array.core, "concatenate3", concatenate_parts)
        m.setattr(da.Array, "__array__", refuse)
        m.setattr(da.Array, "compute", compute_scalars)
        m.setattr(dm, "row_runner", chunk_sized)
        yield
