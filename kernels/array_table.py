"""The array table: many arrays described in one int64 table, for kernels that take them all.

One row per array (see the ``COL_*`` columns) plus two flat int64 vectors holding every array's
collapsed shape and byte strides. The table describes memory; it never owns or copies it, so
anything with a data pointer, a dtype, a shape and strides (NumPy arrays, CPU torch tensors) can
be handed to the same kernels. :func:`read_headers` builds it straight from a tuple of
``numpy.ndarray`` objects, reading the fields that NumPy's C API macros read (``PyArray_DATA``,
``PyArray_NDIM``, ``PyArray_DIMS``, ``PyArray_STRIDES``, ``PyArray_DESCR``, ``PyArray_FLAGS``), so
that thousands of arrays cost no per-array Python work. The caller checks the types first and
verifies the layout once against NumPy's own attributes. :func:`describe` turns raw rows, read so
or built from public attributes (or from torch's ``data_ptr()``, ``shape`` and ``stride()``),
into the checked table.
"""

import numpy as np
from numba import types
from numba.extending import intrinsic

from ._alloc import full, full_2d
from ._jit import jit

# --------------------------------------------------------------------------- table layout ---
# dtype kinds. NumPy has no bfloat16: only callers that know a buffer holds bfloat16 (the torch
# adapter, from a tensor's dtype) describe one, so a NumPy array is never read as BF16.
F16, F32, F64, BF16 = 0, 1, 2, 3
ITEMSIZE = (2, 4, 8, 2)  # bytes of an element, by kind
COL_ADDR = 0  # data pointer
COL_KIND = 1  # F16 / F32 / F64 / BF16, or -1 for any other dtype
COL_SIZE = 2  # number of elements
COL_NDIM = 3  # collapsed ndim (>= 1): size-1 axes dropped, mergeable axes merged
COL_DOFF = 4  # offset of this array's collapsed shape/strides in the flat vectors
COL_FLAGS = 5  # NumPy flags (WRITEABLE 0x400, ALIGNED 0x100)
COL_SWAPPED = 6  # 1 when the data is not in native byte order
WIDTH = 7
PATH_F16, PATH_F64, PATH_GATHER = 1, 2, 4  # bits of the paths a table needs (see _paths)
# (PATH_F16 covers both 16-bit kinds: they share the code that converts through float32)
FLAG_ALIGNED = 0x0100
FLAG_WRITEABLE = 0x0400

_TYPENUM_HALF, _TYPENUM_FLOAT, _TYPENUM_DOUBLE = 23, 11, 12


# ------------------------------------------------------------------------- raw memory access ---
def _pointer_to(nbtype):
    @intrinsic
    def pointer(typingctx, address):
        rtype = types.CPointer(nbtype)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(rtype))

        return rtype(types.int64), codegen

    return pointer


ptr_f32 = _pointer_to(types.float32)
ptr_f64 = _pointer_to(types.float64)
ptr_u16 = _pointer_to(types.uint16)
ptr_i64 = _pointer_to(types.int64)
ptr_i32 = _pointer_to(types.int32)
ptr_u8 = _pointer_to(types.uint8)


# ---------------------------------------------------------------------------- array headers ---
# CPython: a tuple's item pointers start after PyObject_VAR_HEAD; PyObject.ob_type is word 1.
# NumPy's PyArrayObject: data (word 2), nd (int at byte 24), dimensions (word 4), strides (word 5),
# descr (word 7), flags (int at byte 64); PyArray_Descr: byteorder (byte 26), type_num (int at 28).
_TUPLE_ITEMS = 24


@jit
def read_headers(seq, n, ndarray_type, swapped_char):
    """Raw description of the ``n`` items of the tuple at address ``seq``.

    Returns ``(bad, raw, dims, strides)``: ``bad`` is the index of the first item whose type is
    not exactly ``ndarray_type`` (-1 when none, and then nothing else is read); ``raw`` has
    columns (address, kind, ndim, offset into dims/strides, flags, swapped).
    """
    items = ptr_i64(seq + _TUPLE_ITEMS)
    total = 0
    for i in range(n):
        obj = items[i]
        if ptr_i64(obj)[1] != ndarray_type:
            return i, full_2d(0, 6, 0, np.int64), full(0, 0, np.int64), full(0, 0, np.int64)
        total += ptr_i32(obj + 24)[0]
    raw = full_2d(n, 6, 0, np.int64)
    dims = full(total, 0, np.int64)
    strides = full(total, 0, np.int64)
    k = 0
    for i in range(n):
        obj = items[i]
        words = ptr_i64(obj)
        nd = ptr_i32(obj + 24)[0]
        shape = ptr_i64(words[4])
        step = ptr_i64(words[5])
        descr = words[7]
        typenum = ptr_i32(descr + 28)[0]
        kind = -1
        if typenum == _TYPENUM_HALF:
            kind = F16
        elif typenum == _TYPENUM_FLOAT:
            kind = F32
        elif typenum == _TYPENUM_DOUBLE:
            kind = F64
        raw[i, 0] = words[2]
        raw[i, 1] = kind
        raw[i, 2] = nd
        raw[i, 3] = k
        raw[i, 4] = ptr_i32(obj + 64)[0] & (FLAG_ALIGNED | FLAG_WRITEABLE)
        raw[i, 5] = 1 if ptr_u8(descr + 26)[0] == swapped_char else 0
        for d in range(nd):
            dims[k + d] = shape[d]
            strides[k + d] = step[d]
        k += nd
    return -1, raw, dims, strides


@jit(inline="always")
def build_table(raw, dims, strides, table, cshape, cstride):
    """Fill the array table (n x WIDTH) from raw (address, kind, ndim, offset, flags, swapped)
    rows, and the collapsed shapes and strides (room for ``dims.size + n`` each); return how
    many of those are used.

    Axes of length 1 are dropped and an axis is merged into the previous one when the pair is
    contiguous, so a C-contiguous array (or a view with contiguous rows) becomes one run.
    """
    n = raw.shape[0]
    k = 0
    for i in range(n):
        nd = raw[i, 2]
        off = raw[i, 3]
        kind = raw[i, 1]
        size = 1
        for d in range(nd):
            size *= dims[off + d]
        c = 0
        if size > 0:
            for d in range(nd):
                m = dims[off + d]
                if m == 1:
                    continue
                if c > 0 and cstride[k + c - 1] == m * strides[off + d]:
                    cshape[k + c - 1] *= m
                    cstride[k + c - 1] = strides[off + d]
                else:
                    cshape[k + c] = m
                    cstride[k + c] = strides[off + d]
                    c += 1
        if c == 0:  # 0-d, all-ones or empty: one run of `size` (0 or 1) elements
            cshape[k] = size
            cstride[k] = 8 if kind == F64 else (4 if kind == F32 else 2)
            c = 1
        table[i, COL_ADDR] = raw[i, 0]
        table[i, COL_KIND] = kind
        table[i, COL_SIZE] = size
        table[i, COL_NDIM] = c
        table[i, COL_DOFF] = k
        table[i, COL_FLAGS] = raw[i, 4]
        table[i, COL_SWAPPED] = raw[i, 5]
        k += c
    return k


@jit(inline="always")
def _paths(table, cstride):
    """Which code the kernels need, as bits: PATH_F16 any float16 or bfloat16 array, PATH_F64 any
    float64 array, PATH_GATHER any float32/float64 array whose innermost run is strided."""
    paths = 0
    for i in range(table.shape[0]):
        kind = table[i, COL_KIND]
        if kind == F16 or kind == BF16:
            paths |= PATH_F16
        elif kind >= 0:
            if kind == F64:
                paths |= PATH_F64
            itemsize = 8 if kind == F64 else 4
            if cstride[table[i, COL_DOFF] + table[i, COL_NDIM] - 1] != itemsize:
                paths |= PATH_GATHER
    return paths


@jit(inline="always")
def fill_offsets(table, offs):
    """Where each array starts when all are laid end to end, then the total, into ``offs``."""
    offs[0] = 0
    for i in range(table.shape[0]):
        offs[i + 1] = offs[i] + table[i, COL_SIZE]


# status codes of the table checks (the caller turns them into messages)
OK, BAD_DTYPE, SWAPPED, UNALIGNED, READ_ONLY = 0, 1, 2, 3, 4


@jit(inline="always")
def check_table(table, write):
    """(code, index) of the first array the kernels cannot take (code OK when all can)."""
    for i in range(table.shape[0]):
        if table[i, COL_KIND] < 0:
            return BAD_DTYPE, i
        if table[i, COL_SWAPPED]:
            return SWAPPED, i
        if not table[i, COL_FLAGS] & FLAG_ALIGNED:
            return UNALIGNED, i
        if write and not table[i, COL_FLAGS] & FLAG_WRITEABLE:
            return READ_ONLY, i
    return OK, -1


@jit
def describe(raw, dims, strides, write, table, cshape, cstride):
    """Check the arrays in raw rows, from :func:`read_headers` or built by the caller from any
    source of pointers, filling ``table`` (n x WIDTH, zeros), ``cshape`` and ``cstride`` (room
    for ``dims.size + n`` each): ``(code, index, used, paths, size, plain)``, with ``code`` and
    ``index`` from :func:`check_table`, ``used`` the length of the collapsed shapes and strides,
    ``paths`` from :func:`_paths`, ``size`` the elements of all arrays, ``plain`` True when each
    array is one run of nonzero stride (its elements cannot share memory). (The caller
    allocates: arrays made and returned here would compile Numba's allocation and boxing code, a
    quarter of a second on the first call of a process.)"""
    used = build_table(raw, dims, strides, table, cshape, cstride)
    code, index = check_table(table, write)
    size = 0
    for i in range(table.shape[0]):
        size += table[i, COL_SIZE]
    plain = used == table.shape[0]
    for d in range(used):
        plain = plain and cstride[d] != 0
    return code, index, used, _paths(table, cstride), size, plain
