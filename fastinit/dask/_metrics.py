"""Metrics of dask arrays, chunk by chunk, with a tree reduction.

Each chunk pair is counted by the same kernels as the in-memory functions (the confusion-matrix
window kernel, the moments kernel); the per-chunk results are combined in a tree, 8 at a time:
confusion counts add up by ``sum(split_every=8)`` over the stacked per-chunk matrices, and
regression moments merge with Chan's update in a tree of delayed calls, so only one chunk per
worker thread is ever in memory and the result equals the in-memory one.

Layout: each metric maps a per-chunk computation over the chunks (:func:`_stack_blocks` stacks
the per-chunk results, :func:`row_runner` calls any function on the row chunks) and merges them
in a tree. What a chunk computes (checks, kernels, merges, the result object) comes from
``fastinit.metrics._chunks``, the metrics' entry point for integrations; this module builds
the dask graphs around it. The functions of ``fastinit.metrics`` take dask arrays through
:func:`align_rows` and :func:`row_runner` (imported when such an input arrives), so that
every metric reduces its chunks through the same graph code.
"""

import math

import numpy as np

from .._checks import fits_in_memory, positive_int
from ..metrics import _chunks
from ._require import require_dask as _require_dask

__all__ = ["confusion_matrix", "regression_stats"]


def _as_dask(x, name, like=None):
    """``x`` as a dask array with known chunk sizes (a NumPy array is chunked like ``like``
    along the first axis when the lengths agree; otherwise the shape checks name it)."""
    da = _require_dask()
    if isinstance(x, da.Array):
        arr = x
    else:
        if x is None:
            raise TypeError(f"{name} must be a dask or NumPy array, got None")
        try:
            a = np.asarray(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be array-like: {exc}") from None
        if a.ndim and like is not None and like.ndim and a.shape[0] == like.shape[0]:
            chunks = (like.chunks[0],) + (-1,) * (a.ndim - 1)
        else:
            chunks = -1 if a.dtype.kind == "O" else "auto"  # dask cannot size object chunks
        arr = da.from_array(a, chunks=chunks)
    if any(isinstance(d, float) and math.isnan(d) for d in arr.shape):
        raise ValueError(
            f"{name} has unknown chunk sizes (shape {arr.shape}); call "
            f"{name}.compute_chunk_sizes() first"
        )
    return arr


def _weights(sample_weight, t):
    """Dask weights chunked like the first axis of ``t`` (shape and dtype checked here)."""
    if sample_weight is None:
        return None
    w = _as_dask(sample_weight, "sample_weight", t)
    if w.shape != t.shape[:1]:
        raise ValueError(f"sample_weight has shape {w.shape}, expected {t.shape[:1]}")
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
    return w.rechunk((t.chunks[0],))


def _check_compute(compute):
    if not isinstance(compute, (bool, np.bool_)):
        raise TypeError(f"compute must be a bool, got {compute!r}")


def _nonzero_check(total, any_nonzero):
    """``total``, or the refusal of all-zero weights (run inside the dask graph)."""
    _chunks.check_some_weight(any_nonzero)
    return total


# ------------------------------------------------------------------------------ metrics ---


def confusion_matrix(y_true, y_pred, *, num_classes, sample_weight=None, compute=True):
    """Confusion matrix of dask (or NumPy) integer label arrays in ``[0, num_classes)``.

    Parameters
    ----------
    y_true, y_pred : dask.array.Array of shape (n,)
        Integer labels, chunked the same way (NumPy arrays are wrapped).
    num_classes : int
        Labels are ``0 .. num_classes - 1`` (a label outside raises ValueError at compute).
    sample_weight : dask.array.Array of shape (n,), optional
        Weights (the result is then float64).
    compute : bool, default True
        Return the NumPy result; False returns the lazy dask array.

    Returns
    -------
    ndarray of shape (num_classes, num_classes)
        Every cell, including classes absent from the data (unlike the present-label
        matrix of :func:`fastinit.metrics.confusion_matrix`).

    Examples
    --------
    >>> import dask.array as da
    >>> from fastinit.dask import confusion_matrix
    >>> t = da.arange(10, chunks=4) % 3
    >>> confusion_matrix(t, t, num_classes=3).trace()
    np.int64(10)
    """
    da = _require_dask()
    k = positive_int(num_classes, "num_classes")
    # the int64 result and one chunk's count table (int32 or float64) at least
    fits_in_memory(k * k * 16, "num_classes", f"a ({k:,}, {k:,}) confusion matrix")
    if k > _chunks.MAX_CLASSES:  # the kernels number the cells with uint32
        raise ValueError(
            f"num_classes must be at most {_chunks.MAX_CLASSES:,} for a dense confusion matrix, "
            f"got {k:,}"
        )
    _check_compute(compute)
    t = _as_dask(y_true, "y_true")
    p = _as_dask(y_pred, "y_pred", t)
    if t.ndim != 1 or p.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-d, got {t.ndim}-d and {p.ndim}-d")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred have different lengths: {t.shape[0]} != {p.shape[0]}")
    w = _weights(sample_weight, t)
    p = p.rechunk(t.chunks)
    args = [t, "i", p, "i"] + ([] if w is None else [w, "i"])

    def chunk(t, p, *rest):
        return _chunks.confusion_chunk(t, p, rest[0] if rest else None, k)[None]

    dtype = np.int64 if w is None else np.float64
    per_chunk = _stack_blocks(da, chunk, args, k, dtype)  # one (1, K, K) block per chunk
    result = per_chunk.sum(axis=0, split_every=8)
    if w is not None and w.shape[0]:
        # all-zero weights are refused as by the one-shot function, inside the same graph
        nonzero = (w != 0).any()[None, None]
        result = da.map_blocks(_nonzero_check, result, nonzero, dtype=dtype)
    return result.compute() if compute else result


def _stack_blocks(da, chunk, args, k, dtype):
    arrays = args[0::2]
    blocks = [
        da.map_blocks(
            chunk,
            *[a.blocks[i] for a in arrays],
            chunks=((1,), (k,), (k,)),
            new_axis=[1, 2],
            dtype=dtype,
            meta=np.empty((0, 0, 0), dtype),
        )
        for i in range(arrays[0].numblocks[0])
    ]
    return da.concatenate(blocks, axis=0)


def regression_stats(y_true, y_pred, *, sample_weight=None):
    """A :class:`fastinit.metrics.RegressionStats` of dask arrays, merged over chunks.

    Parameters
    ----------
    y_true, y_pred : dask.array.Array of shape (n,) or (n, n_outputs)
        Chunked along the first axis only.
    sample_weight : dask.array.Array of shape (n,), optional

    Returns
    -------
    fastinit.metrics.RegressionStats

    Examples
    --------
    >>> import dask.array as da
    >>> from fastinit.dask import regression_stats
    >>> t = da.arange(100.0, chunks=30)
    >>> regression_stats(t, t + 1.0).mean_squared_error()
    1.0
    """
    import dask

    _require_dask()
    t = _as_dask(y_true, "y_true")
    p = _as_dask(y_pred, "y_pred", t)
    for name, a in (("y_true", t), ("y_pred", p)):
        if a.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-d or 2-d, got {a.ndim}-d shape {a.shape}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got dtype {a.dtype}")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred have different shapes: {t.shape} != {p.shape}")
    _chunks.check_not_empty(t.shape[0])
    if t.ndim == 2:
        t = t.rechunk({1: -1})
    p = p.rechunk(t.chunks)
    w = _weights(sample_weight, t)
    run = row_runner([t, p, w])
    stats = run(_chunks.moments_chunk, _chunks.merge_stats, compute=False)
    # a reduction over the weights alone (a task given a whole dask array would gather it)
    weighted = True if w is None else (w != 0).any()
    stats, weighted = dask.compute(stats, weighted)
    return _chunks.regression_stats(stats, t.shape[0], weighted)


# --------------------------------------------------- the dask branch of fastinit.metrics ---


def align_rows(arrays, names):
    """``arrays`` (dask or NumPy; None passes) as dask arrays that share the row chunks of the
    first dask one and are whole along their other axes (their lengths are checked already)."""
    da = _require_dask()
    ref = next(a for a in arrays if isinstance(a, da.Array))
    rows = ref.chunks[0] if ref.ndim else ()
    out = []
    for a, name in zip(arrays, names, strict=True):
        if a is not None:
            a = _as_dask(a, name, ref)
            a = a.rechunk((rows,) + tuple((n,) for n in a.shape[1:]))
        out.append(a)
    return out


def row_runner(arrays):
    """``run(fn, merge, *args, compute=True)``: ``fn(*chunks, *args)`` on every row chunk of
    ``arrays`` (aligned by :func:`align_rows`; None passes None), the results merged pairwise
    by ``merge``, in chunk order, in a tree of 8 at a time; computed, or the dask Delayed."""
    import dask

    blocks = [None if a is None else a.to_delayed().reshape(-1) for a in arrays]
    count = next(len(b) for b in blocks if b is not None)

    def run(fn, merge, *args, compute=True):
        parts = [
            dask.delayed(fn)(*(None if b is None else b[i] for b in blocks), *args)
            for i in range(count)
        ]
        while len(parts) > 1:  # tree reduction, 8 at a time
            parts = [
                dask.delayed(_merge_many)(parts[i : i + 8], merge) for i in range(0, len(parts), 8)
            ]
        return dask.compute(parts[0])[0] if compute else parts[0]

    return run


def _merge_many(parts, merge):
    acc = parts[0]
    for part in parts[1:]:
        acc = merge(acc, part)
    return acc
