"""BLAS from compiled code: scipy's Cython BLAS (``scipy.linalg.cython_blas``) called from Numba.

``np.dot`` in Numba cannot accumulate into a strided sub-block (no beta = 1, copies of
non-contiguous views). These wrappers call the Fortran routines themselves (column-major, leading
dimensions, in place) through symbols registered with LLVM at import; the compiled code refers to
the symbols by name, so it stays cacheable on disk. A matrix is given as a 1-D array that starts
at its first element (a slice ``buffer[offset:]``).

Callers that run these from several threads at once first limit scipy's BLAS to one thread
(``fastinit._blas.threads(1)``): the parallelism is theirs.
"""

import llvmlite.binding as llvm
import numpy as np
from numba import types
from numba.extending import get_cython_function_address

from ._jit import jit

# ord of "N", "T", "L", "R", "U"; NumPy scalars, not ints: Numba would compile a copy of every
# BLAS wrapper for each combination of int constants passed to it (literal types)
CHAR_N, CHAR_T, CHAR_L, CHAR_R, CHAR_U = (np.int64(ord(c)) for c in "NTLRU")


def _blas(name, nargs):
    """A Numba-callable BLAS routine from scipy.linalg.cython_blas (all arguments by pointer)."""
    symbol = f"fastinit_blas_{name}"
    llvm.add_symbol(symbol, get_cython_function_address("scipy.linalg.cython_blas", name))
    return types.ExternalFunction(symbol, types.void(*([types.voidptr] * nargs)))


_dgemm = _blas("dgemm", 13)
_sgemm = _blas("sgemm", 13)
_dtrmm = _blas("dtrmm", 11)
_strmm = _blas("strmm", 11)
_dsyrk = _blas("dsyrk", 10)
_ssyrk = _blas("ssyrk", 10)


@jit(inline="always")
def _by_address(values, dtype):
    """``values`` (a tuple of numbers of one type) in a new array of ``dtype``: BLAS takes every
    argument by address, so characters, sizes and scalars each go into an array."""
    array = np.empty(len(values), dtype)
    for i in range(len(values)):
        array[i] = values[i]
    return array


# Each wrapper below calls the double or the single precision routine by name: Numba types each
# external function on its own, so one call site cannot choose between them.


@jit
def gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """c = alpha op(a) op(b) + beta c on column-major matrices starting at a[0], b[0], c[0]."""
    if m == 0 or n == 0:
        return
    chars = _by_address((ta, tb), np.uint8)
    ints = _by_address((m, n, k, max(lda, 1), max(ldb, 1), max(ldc, 1)), np.int32)
    scalars = _by_address((alpha, beta), c.dtype)
    if c.itemsize == 8:
        _dgemm(
            chars[0:].ctypes, chars[1:].ctypes, ints[0:].ctypes, ints[1:].ctypes,
            ints[2:].ctypes, scalars[0:].ctypes, a.ctypes, ints[3:].ctypes, b.ctypes,
            ints[4:].ctypes, scalars[1:].ctypes, c.ctypes, ints[5:].ctypes,
        )  # fmt: skip
    else:
        _sgemm(
            chars[0:].ctypes, chars[1:].ctypes, ints[0:].ctypes, ints[1:].ctypes,
            ints[2:].ctypes, scalars[0:].ctypes, a.ctypes, ints[3:].ctypes, b.ctypes,
            ints[4:].ctypes, scalars[1:].ctypes, c.ctypes, ints[5:].ctypes,
        )  # fmt: skip


@jit
def trmm_upper(side, ta, m, n, a, lda, b, ldb):
    """b = op(a) b (side "L") or b op(a) (side "R"), a upper triangular with a non-unit diagonal."""
    if m == 0 or n == 0:
        return
    chars = _by_address((side, CHAR_U, ta, CHAR_N), np.uint8)
    ints = _by_address((m, n, max(lda, 1), max(ldb, 1)), np.int32)
    one = np.ones(1, b.dtype)
    if b.itemsize == 8:
        _dtrmm(
            chars[0:].ctypes, chars[1:].ctypes, chars[2:].ctypes, chars[3:].ctypes,
            ints[0:].ctypes, ints[1:].ctypes, one.ctypes, a.ctypes, ints[2:].ctypes, b.ctypes,
            ints[3:].ctypes,
        )  # fmt: skip
    else:
        _strmm(
            chars[0:].ctypes, chars[1:].ctypes, chars[2:].ctypes, chars[3:].ctypes,
            ints[0:].ctypes, ints[1:].ctypes, one.ctypes, a.ctypes, ints[2:].ctypes, b.ctypes,
            ints[3:].ctypes,
        )  # fmt: skip


@jit
def syrk_upper(n, k, a, lda, c, ldc):
    """Upper triangle of c (n x n) = a^T a, a being k x n column-major."""
    if n == 0:
        return
    chars = _by_address((CHAR_U, CHAR_T), np.uint8)
    ints = _by_address((n, k, max(lda, 1), max(ldc, 1)), np.int32)
    scalars = _by_address((1.0, 0.0), c.dtype)
    if c.itemsize == 8:
        _dsyrk(
            chars[0:].ctypes, chars[1:].ctypes, ints[0:].ctypes, ints[1:].ctypes,
            scalars[0:].ctypes, a.ctypes, ints[2:].ctypes, scalars[1:].ctypes, c.ctypes,
            ints[3:].ctypes,
        )  # fmt: skip
    else:
        _ssyrk(
            chars[0:].ctypes, chars[1:].ctypes, ints[0:].ctypes, ints[1:].ctypes,
            scalars[0:].ctypes, a.ctypes, ints[2:].ctypes, scalars[1:].ctypes, c.ctypes,
            ints[3:].ctypes,
        )  # fmt: skip


@jit
def gemm_rows(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """c = alpha op(a) op(b) + beta c on row-major matrices (``lda`` etc. are row strides).

    A row-major matrix is the column-major storage of its transpose, so this is the
    column-major product c^T = op(b)^T op(a)^T with the operands swapped; the flags carry over.
    """
    gemm(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc)
