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
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic

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


# BLAS takes every argument by address. Characters (uint8), sizes (int32) and scalars go into
# stack slots of the wrapper itself (``_ref`` is lowered in place, so a slot lives as long as the
# wrapper's frame) and matrices pass their data pointers: each wrapper below compiled in about
# 0.4 s when it put them in small NumPy arrays and took a ``.ctypes`` view of each one. Leading
# dimensions are at least 1, as BLAS demands even of empty matrices.
@intrinsic
def _ref(typingctx, value):
    """The address of a stack slot holding ``value`` (valid until the caller returns)."""

    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once_value(builder, args[0])
        return builder.bitcast(slot, cgutils.voidptr_t)

    return types.voidptr(value), codegen


@intrinsic
def _data(typingctx, array):
    """The address of an array's first element."""

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.bitcast(data, cgutils.voidptr_t)

    return types.voidptr(array), codegen


# Each wrapper below calls the double or the single precision routine by name: Numba types each
# external function on its own, so one call site cannot choose between them.


@jit
def gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """c = alpha op(a) op(b) + beta c on column-major matrices starting at a[0], b[0], c[0]."""
    if m == 0 or n == 0:
        return
    t = c.dtype.type
    args = (
        _ref(np.uint8(ta)), _ref(np.uint8(tb)), _ref(np.int32(m)), _ref(np.int32(n)),
        _ref(np.int32(k)), _ref(t(alpha)), _data(a), _ref(np.int32(max(lda, 1))), _data(b),
        _ref(np.int32(max(ldb, 1))), _ref(t(beta)), _data(c), _ref(np.int32(max(ldc, 1))),
    )  # fmt: skip
    if c.itemsize == 8:
        _dgemm(*args)
    else:
        _sgemm(*args)


@jit
def trmm_upper(side, ta, m, n, a, lda, b, ldb):
    """b = op(a) b (side "L") or b op(a) (side "R"), a upper triangular with a non-unit diagonal."""
    if m == 0 or n == 0:
        return
    args = (
        _ref(np.uint8(side)), _ref(np.uint8(CHAR_U)), _ref(np.uint8(ta)), _ref(np.uint8(CHAR_N)),
        _ref(np.int32(m)), _ref(np.int32(n)), _ref(b.dtype.type(1.0)), _data(a),
        _ref(np.int32(max(lda, 1))), _data(b), _ref(np.int32(max(ldb, 1))),
    )  # fmt: skip
    if b.itemsize == 8:
        _dtrmm(*args)
    else:
        _strmm(*args)


@jit
def syrk_upper(n, k, a, lda, c, ldc):
    """Upper triangle of c (n x n) = a^T a, a being k x n column-major."""
    if n == 0:
        return
    t = c.dtype.type
    args = (
        _ref(np.uint8(CHAR_U)), _ref(np.uint8(CHAR_T)), _ref(np.int32(n)), _ref(np.int32(k)),
        _ref(t(1.0)), _data(a), _ref(np.int32(max(lda, 1))), _ref(t(0.0)), _data(c),
        _ref(np.int32(max(ldc, 1))),
    )  # fmt: skip
    if c.itemsize == 8:
        _dsyrk(*args)
    else:
        _ssyrk(*args)


@jit
def gemm_rows(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """c = alpha op(a) op(b) + beta c on row-major matrices (``lda`` etc. are row strides).

    A row-major matrix is the column-major storage of its transpose, so this is the
    column-major product c^T = op(b)^T op(a)^T with the operands swapped; the flags carry over.
    """
    gemm(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc)
