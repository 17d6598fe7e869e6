"""Haar-distributed orthogonal initialization, batched, built from Householder reflectors.

The matrices are products of Householder reflectors generated directly from fastinit's
counter-based normal stream (Stewart 1980), accumulated in blocks on BLAS-3 (compact WY form):
no QR factorization is computed, so a square matrix costs about (4/3)n^3 flops instead of the
(8/3)n^3 of ``numpy.linalg.qr`` or ``torch.nn.init.orthogonal_``. The algorithm and its reasoning
are in ``fastinit/kernels/householder.py`` and ``docs/orthogonal.md``.

Stream layout (part of the format: changing it changes the values users have seen). With
``rows`` the first non-batch dimension, ``cols`` the product of the others, m = max(rows, cols)
and k = min(rows, cols), matrix ``b`` of the batch (flat C-order index over the batch axes)
draws the standard normal stream elements ``b*rows*cols .. b*rows*cols + P - 1`` (stream tag 0;
float64 stream for float64 output, float32 stream otherwise), P = m + (m-1) + ... + (m-k+1):
the Householder vectors x_0, x_1, ... one after the other.
"""

import math

import numpy as np

from . import _blas, _checks, _output, _threads, config
from . import random as _random
from .random import block, key

__all__ = ["orthogonal", "special_orthogonal"]

_TAG = 0  # stream tag of the Householder vectors


def _batch_ndim(batch_ndim, ndim):
    batch_ndim = _random._int(batch_ndim, "batch_ndim")
    if not 0 <= batch_ndim <= ndim - 2:
        raise ValueError(
            f"batch_ndim must be in [0, {max(ndim - 2, 0)}] so that at least 2 dimensions "
            f"(rows, columns) follow the batch axes of a {ndim}-D shape; got {batch_ndim}"
        )
    return batch_ndim


def _sample(shape, gain, batch_ndim, seed, dtype, out, special):
    gain = _checks.real(gain, "gain")
    output = _output.resolve(shape, dtype, out)
    shape, dt = output.shape, output.dtype
    if len(shape) < 2:
        raise ValueError(
            f"shape must have at least 2 dimensions (rows, columns) for an orthogonal matrix, "
            f"got {shape}"
        )
    nbatch = _batch_ndim(batch_ndim, len(shape))
    count = math.prod(shape[:nbatch])
    rows = shape[nbatch]
    cols = math.prod(shape[nbatch + 1 :])
    if special and rows != cols:
        raise ValueError(
            f"special_orthogonal needs square matrices (rows == columns), got rows={rows}, "
            f"columns={cols} from shape {shape} with batch_ndim={nbatch}"
        )
    # entries are at most |gain| (up to rounding, hence the margin): one that the output dtype
    # cannot hold would be stored as inf
    if _output.overflows(abs(gain) * 1.01, dt):
        raise ValueError(
            f"gain={gain} is outside the range of {dt} (largest finite value "
            f"{float(np.finfo(dt).max):g})"
        )
    # room for the output (unless given) and a compute-dtype copy of it, whole: the matrices
    # are built whole, not in pieces. Only a given ``out`` that the kernels write directly is
    # counted without the copy (a new float32/float64 output, filled directly too, is not).
    given = output.view is not None
    direct = given and _output.fills_directly(output.view)
    compute = _output.compute_dtype(dt)
    per_element = (0 if direct else compute.itemsize) + (0 if given else dt.itemsize)
    _output.room(shape, dt, per_element=per_element)
    _random._check_seed(seed)
    stream_key = key(seed)  # last: a Generator is advanced only when everything is valid
    result, target = _output.allocate(output)
    if count and rows and cols:
        _output.fill(
            target,
            lambda flat, _: _fill_matrices(flat, count, rows, cols, gain, special, stream_key),
            piece_bytes=None,
        )
    return result


def _fill_matrices(flat, count, rows, cols, gain, special, stream_key):
    from .kernels import householder

    m, k = max(rows, cols), min(rows, cols)
    row_major = rows >= cols  # the C-order output is Y (m x k) itself, else Y^T
    words = (stream_key.k0, stream_key.k1, _TAG, stream_key.ext)
    threads = config.thread_count()
    key_words = tuple(np.uint32(w) for w in words)
    # the algorithm depends on the shape only (so the bits never depend on the thread count);
    # the thread count only decides whether the per-matrix work is spread over the pool
    unblocked = k <= config.ORTHOGONAL_UNBLOCKED_MAX_K or (
        k <= config.ORTHOGONAL_UNBLOCKED_BATCH_MAX_K and count >= config.ORTHOGONAL_BATCH_MIN
    )
    if unblocked:
        if count * m * k * k < config.ORTHOGONAL_SERIAL_MAX_WORK:
            threads = 1
        _threads.run(
            householder.orthogonal_batched, count, flat, m, k, row_major, gain, special,
            key_words, grain=_threads.grain_for(count, threads), threads=threads,
        )  # fmt: skip
        return
    # Small blocked matrices run BLAS (scipy's, which the blocked kernel calls) on one thread:
    # they gain little from BLAS threads (256^2: 1.38 ms on two, 1.58 on one), and on a loaded
    # machine OpenBLAS's threads wait for each other: alternating with NumPy matrix products
    # beside two busy processes, single 256^2 calls took up to 144 ms against a median of 11 ms.
    # Larger ones run it on the threads BLAS is set to, whatever fastinit's thread count: the
    # bits of OpenBLAS's products depend on its thread count (float64 700 x 1000: 71% of the
    # entries differ between one and two), and the result must not depend on fastinit's.
    small = m * k * k <= config.ORTHOGONAL_ONE_BLAS_THREAD_MAX_WORK
    with _blas.threads(1 if small else None):
        _fill_blocked(flat, count, m, k, row_major, gain, special, stream_key)


def _fill_blocked(flat, count, m, k, row_major, gain, special, stream_key):
    from .kernels import householder

    size = m * k
    for b in range(count):
        start = b * size
        stop = start + householder.packed_size.py_func(m, k)
        packed = block("normal", start, stop, seed=stream_key, dtype=flat.dtype, tag=_TAG)
        householder.orthogonal_blocked(
            flat[b * size : (b + 1) * size],
            packed,
            m,
            k,
            row_major,
            config.ORTHOGONAL_BLOCK,
            gain,
            special,
        )


def orthogonal(shape, gain=1.0, *, batch_ndim=0, seed=None, dtype=None, out=None):
    """Haar-distributed (semi-)orthogonal matrices, like ``torch.nn.init.orthogonal_``.

    Each matrix is uniform on the orthogonal group (square) or on the Stiefel manifold
    (orthonormal rows or columns, whichever are fewer), the distribution of
    ``scipy.stats.ortho_group`` and of QR of a Gaussian matrix with the sign correction
    (Mezzadri 2007), times ``gain``. It is built from Householder reflectors drawn directly from
    the counter-based stream and accumulated on BLAS-3, without a QR factorization.

    Parameters
    ----------
    shape : tuple of ints
        ``(*batch, rows, *rest)``: the leading ``batch_ndim`` axes index independent matrices;
        each matrix has ``rows`` rows and ``prod(rest)`` columns (PyTorch's flattening, so a
        conv weight ``(out, in, kh, kw)`` is an ``out x (in*kh*kw)`` matrix). May be ``None``
        when ``out`` is given.
    gain : float
        Scale of the result.
    batch_ndim : int
        Number of leading axes that index independent matrices (e.g. 1 for ``(heads, d, d)``).
    seed : None, int, SeedSequence, Generator or Key
        See :func:`fastinit.random.key`. Matrix ``b`` of a batch uses its own slice of the
        stream, so any seed gives the same values whatever the thread count.
    dtype : float32 (default), float64 or float16
        float16 is computed in float32.
    out : ndarray, optional
        Writable float array of shape ``shape`` to fill in place (any strides); it is returned.

    Returns
    -------
    ndarray
        ``Q`` with ``Q @ Q.T == gain**2 I`` (rows <= columns) or ``Q.T @ Q == gain**2 I``.

    Raises
    ------
    ValueError
        Fewer than two dimensions after the batch axes, ``batch_ndim`` out of range, wrong
        ``out`` shape or read-only ``out``.
    TypeError
        Non-float ``dtype`` or ``out``, ``dtype`` not matching ``out``, bad ``seed`` type.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit._orthogonal import orthogonal
    >>> q = orthogonal((256, 256), seed=0, dtype=np.float64)
    >>> bool(np.allclose(q.T @ q, np.eye(256)))
    True
    >>> w = orthogonal((64, 16, 3, 3), gain=2.0, seed=1)  # a conv weight: 64 x 144
    >>> m = w.reshape(64, -1)
    >>> bool(np.allclose(m @ m.T, 4 * np.eye(64), atol=1e-4))
    True
    >>> heads = orthogonal((8, 32, 32), batch_ndim=1, seed=2)  # 8 independent 32 x 32
    >>> bool(np.allclose(heads @ heads.transpose(0, 2, 1), np.eye(32), atol=1e-5))
    True
    """
    return _sample(shape, gain, batch_ndim, seed, dtype, out, special=False)


def special_orthogonal(shape, gain=1.0, *, batch_ndim=0, seed=None, dtype=None, out=None):
    """Haar-distributed rotations (orthogonal, determinant +1), times ``gain``.

    Same arguments as :func:`orthogonal`, but each matrix must be square. The result is
    :func:`orthogonal` with the last column negated where the determinant would be -1, which
    is Haar on SO(n). The determinant's sign is known from the reflectors before any
    arithmetic, so this costs nothing extra.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit._orthogonal import special_orthogonal
    >>> r = special_orthogonal((4, 3, 3), batch_ndim=1, seed=0, dtype=np.float64)
    >>> np.round(np.linalg.det(r), 12)
    array([1., 1., 1., 1.])
    """
    return _sample(shape, gain, batch_ndim, seed, dtype, out, special=True)
