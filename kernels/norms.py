"""Norms and in-place clipping over many arrays in one compiled call.

The kernel entry is an *array table* (``kernels/array_table.py``): one int64 row per array plus
the arrays' collapsed shapes and byte strides, describing memory without copying it.

Work is split over the concatenation of all arrays (the *flat space*, in C order per array): tasks
are ranges of a fixed length of it, so one huge array and thousands of tiny ones balance the same
way, and the split (hence every rounding) does not depend on the thread count. A task owns every
array strictly inside its range and reports the (possibly shared) first and last array in its own
slots, merged in task order afterwards; no two threads ever write the same accumulator. The
caller runs the tasks on threads (``fastinit._threads``).

Accumulation is in float64. The one-pass sums can overflow or underflow only for float64 data (or
large ``p``); those arrays are recomputed scaled by their max-abs (see :func:`finish_norms`).
"""

import math

import numpy as np

from ._alloc import full
from ._jit import jit
from .array_table import (  # noqa: F401 (describe, status codes: the entry points of clipping)
    BAD_DTYPE,
    BF16,
    COL_ADDR,
    COL_DOFF,
    COL_KIND,
    COL_NDIM,
    COL_SIZE,
    F16,
    F32,
    F64,
    OK,
    PATH_F16,
    PATH_F64,
    PATH_GATHER,
    READ_ONLY,
    SWAPPED,
    UNALIGNED,
    WIDTH,
    describe,
    fill_offsets,
    read_headers,
)
from .norm_loops import (  # noqa: F401 (the operation and norm kinds: used by the callers)
    OP_ACC,
    OP_CLAMP,
    OP_COUNT,
    OP_MAXABS,
    OP_SCALE,
    OP_SCALED,
    P1,
    P2,
    PGEN,
    PINF,
)
from .norm_runs import _merge, visit

TINY = 1e-200  # below this a sum of |x|^p may have lost digits to underflow: rescale
HUGE = 1e300  # above this it may overflow when combined: rescale
_SMALLEST_INVERTIBLE = 2.0**-1023  # 1 / x is finite from here up (2^1023 is the largest power)
_TWO_1023 = 2.0**1023


# ------------------------------------------------------------------------- tasks over arrays ---
# ``offs`` (from the caller) holds the start of each array in the flat space, then the total.


@jit(inline="always")
def _array_at(offs, g):
    """The array holding flat element ``g``: the last ``a`` with ``offs[a] <= g`` (a loop, not
    ``np.searchsorted``, whose generic comparisons compile for a second)."""
    lo, hi = 0, offs.size - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offs[mid] <= g:
            lo = mid
        else:
            hi = mid
    return lo


@jit(inline="always")
def _reduce_task(
    table, cshape, cstride, offs, g0, g1, op, pk, p, acc, flag, slots, t, f16, f64, gather
):
    """Partial norms (``op`` OP_ACC or OP_COUNT) of flat range g0:g1; shared first/last arrays
    go to ``slots[t]``."""
    n = table.shape[0]
    as_max = pk == PINF
    a = _array_at(offs, g0)
    first = a
    slots[t, 0] = a
    slots[t, 3] = -1
    g = g0
    while g < g1 and a < n:
        end = min(g1, offs[a + 1])
        if end > g:
            lo, hi = g - offs[a], end - offs[a]
            s, z = visit(table, cshape, cstride, a, lo, hi, op, pk, p, 0.0, f16, f64, gather)
            if a == first:
                slots[t, 1] = s
                slots[t, 2] = z
            elif end == g1 and offs[a + 1] > g1:
                slots[t, 3] = a
                slots[t, 4] = s
                slots[t, 5] = z
            else:
                acc[a] = _merge(acc[a], s, as_max)
                flag[a] += z
        g = end
        a += 1


def _norm_tasks_for(pk, op=OP_ACC):
    """The entry kernel of :func:`_norm_tasks` for the norm kind ``pk`` and the operation ``op``
    (OP_ACC, or OP_COUNT for counts of non-finite elements as flags), which it passes as
    constants. (``numba.literally`` would do the same, but a call from Python with an int then
    retries the compilation every time before finding the literal specialization: 1.8 s per
    call, measured.)"""

    @jit
    def norm_tasks(
        table, cshape, cstride, offs, p, chunk, acc, flag, slots, f16, f64, gather, lo, hi
    ):
        _norm_tasks(
            table, cshape, cstride, offs, op, pk, p, chunk, acc, flag, slots, f16, f64, gather,
            lo, hi,
        )  # fmt: skip

    return norm_tasks


@jit(inline="always")
def _norm_tasks(
    table, cshape, cstride, offs, op, pk, p, chunk, acc, flag, slots, f16, f64, gather, task_lo,
    task_hi,
):  # fmt: skip
    """Tasks ``task_lo .. task_hi - 1`` of the per-array sums of |x|^p (max |x| for p = inf) and
    non-finite flags: task t covers flat elements t*chunk .. (t+1)*chunk - 1. Arrays inside a task
    go to ``acc``/``flag`` (zeros on entry); the task's first and last arrays, which other tasks
    may share, go to ``slots[t]``, merged in task order by :func:`finish_norms`. ``pk`` is a
    constant (see :data:`NORM_TASKS`), so a call compiles its own norm's loop only."""
    total = offs[offs.size - 1]
    for t in range(task_lo, task_hi):
        g0 = t * chunk
        g1 = min(total, g0 + chunk)
        if g1 > g0:
            _reduce_task(
                table, cshape, cstride, offs, g0, g1, op, pk, p, acc, flag, slots, t, f16, f64,
                gather,
            )  # fmt: skip


# the entry kernels of the norm sums by norm kind: NORM_TASKS[pk](table, ..., p, ...); those of
# COUNT_TASKS leave in ``flag`` the number of NaN and inf elements of each array
NORM_TASKS = {kind: _norm_tasks_for(kind) for kind in (P1, P2, PINF, PGEN)}
COUNT_TASKS = {kind: _norm_tasks_for(kind, OP_COUNT) for kind in (P1, P2, PINF, PGEN)}


def _clip_norm_serial_for(pk):
    """``clip_grad_norm`` in one compiled call on the calling thread, for the norm kind ``pk``.

    For small inputs (a training step of a small model) the Python around the task kernels
    costs more than the arithmetic: this fused path keeps such a call near 10 us. Returns
    ``(total, first_bad, done)``; ``done`` is False, and nothing is written, when a norm needs
    the rescaled recomputation (the caller then takes the general path). The caller allocates
    the scratch (``offs``: n + 1 int64; ``work``: 3n float64 zeros; ``slots``: one row of six
    float64 zeros per task): allocating here would compile Numba's allocation code on the
    first call of a process.
    """

    @jit
    def clip_norm_serial(table, cshape, cstride, p, chunk, max_norm, eps, propagate, offs, work,
                         slots, f16, f64, gather):  # fmt: skip
        n = table.shape[0]
        fill_offsets(table, offs)
        ntasks = slots.shape[0]
        acc, flag, coef = work[:n], work[n : 2 * n], work[2 * n :]
        _norm_tasks(table, cshape, cstride, offs, OP_ACC, pk, p, chunk, acc, flag, slots, f16, f64,
                    gather, 0, ntasks)  # fmt: skip
        # what finish_norms would say, without its arrays (its own compilation is spared)
        _merge_slots(pk, acc, flag, slots)
        bad = _first_flagged(flag)
        plain = _plain_total(acc, pk)
        total = plain if pk == PINF else _root(plain, pk, p)
        fix = _total_unsafe(plain, bad, pk)
        unsafe = False
        if bad < 0:  # (with a non-finite array, finish_norms marks nothing: not asked for each)
            for a in range(n):
                if _sum_unsafe(table[a, COL_KIND], acc[a], flag[a], pk, fix, False):
                    unsafe = True
                    break
        if fix or unsafe or (total == math.inf and bad < 0):
            # (an inf total from finite data: p < 1 can take a finite sum beyond float64's
            # range; the caller's general path then scales by max_norm / max|x| / |x / max|x||)
            return total, bad, False
        if bad < 0 or propagate:
            # a zero norm with eps = 0: torch's max_norm / 0 is inf, clamped to 1 (no write)
            c = max_norm / (total + eps) if total + eps != 0.0 else math.inf
            # torch's coefficient; non-finite data gives 0 or NaN. From finite data a NaN can only
            # be inf / inf (max_norm inf, the norm beyond float64's range): never clip then
            if c < 1.0 or (c != c and bad >= 0):
                for a in range(n):
                    coef[a] = c
                _write_tasks(table, cshape, cstride, offs, OP_SCALE, coef, chunk, f16, f64, gather,
                             0, ntasks)  # fmt: skip
        return total, bad, True

    return clip_norm_serial


CLIP_NORM_SERIAL = {kind: _clip_norm_serial_for(kind) for kind in (P1, P2, PINF, PGEN)}


@jit(inline="always")
def _merge_slots(pk, acc, flag, slots):
    """Fold every task's shared-array slots into ``acc`` and ``flag``, in task order."""
    as_max = pk == PINF
    for t in range(slots.shape[0]):
        for j in (0, 3):
            a = np.int64(slots[t, j])
            if a >= 0:
                acc[a] = _merge(acc[a], slots[t, j + 1], as_max)
                flag[a] += slots[t, j + 2]


@jit(inline="always")
def _write_tasks(table, cshape, cstride, offs, op, coef, chunk, f16, f64, gather, task_lo, task_hi):
    n = table.shape[0]
    total = offs[n]
    for t in range(task_lo, task_hi):
        g0 = t * chunk
        g1 = min(total, g0 + chunk)
        a = _array_at(offs, g0)
        g = g0
        while g < g1 and a < n:
            end = min(g1, offs[a + 1])
            if end > g and not (op == OP_SCALE and coef[a] == 1.0):
                lo, hi = g - offs[a], end - offs[a]
                visit(table, cshape, cstride, a, lo, hi, op, P2, 2.0, coef[a], f16, f64, gather)
            g = max(g, end)
            a += 1


@jit
def scale_tasks(table, cshape, cstride, offs, coef, chunk, f16, f64, gather, task_lo, task_hi):
    """In place, over the flat ranges of tasks ``task_lo .. task_hi - 1``: scale array ``a`` by
    ``coef[a]`` (arrays with coefficient 1 are not touched)."""
    _write_tasks(
        table, cshape, cstride, offs, OP_SCALE, coef, chunk, f16, f64, gather, task_lo, task_hi
    )


@jit
def clamp_tasks(table, cshape, cstride, offs, coef, chunk, f16, f64, gather, task_lo, task_hi):
    """In place, over the flat ranges of tasks ``task_lo .. task_hi - 1``: clamp array ``a`` to
    [-coef[a], coef[a]] (NaN stays NaN)."""
    _write_tasks(
        table, cshape, cstride, offs, OP_CLAMP, coef, chunk, f16, f64, gather, task_lo, task_hi
    )


# ----------------------------------------------------------------------------- combination ---
@jit(inline="always")
def _root(s, pk, p):
    if pk == P2:
        return math.sqrt(s)
    if pk == P1 or pk == PINF:
        return s
    return s ** (1.0 / p)


@jit
def _rescaled_norm(table, cshape, cstride, a, pk, p, f16, f64, gather):
    """Norm of array ``a`` (finite data) as max|x| * (sum (|x|/max)^p)^(1/p)."""
    size = table[a, COL_SIZE]
    big, _ = visit(table, cshape, cstride, a, 0, size, OP_MAXABS, pk, p, 0.0, f16, f64, gather)
    if big == 0.0:
        return 0.0
    if big >= _SMALLEST_INVERTIBLE:
        c = 1.0 / big
        s, _ = visit(table, cshape, cstride, a, 0, size, OP_SCALED, pk, p, c, f16, f64, gather)
        return big * _root(s, pk, p)
    # 1 / big would overflow (big < 2^-1024, subnormal): scale by the largest power of two
    # instead; the largest |x| * 2^1023 is then at least 2^-51, and only for p > 21 can every
    # term underflow, where the norm is the largest |x| to within a factor size^(1/p)
    s, _ = visit(table, cshape, cstride, a, 0, size, OP_SCALED, pk, p, _TWO_1023, f16, f64, gather)
    return _root(s, pk, p) / _TWO_1023 if s > 0.0 else big


@jit(inline="always")
def _exact_sum_safe(kind, pk):
    """float16/32 and bfloat16 data summed in float64 can neither overflow nor underflow for
    p = 1, 2."""
    return kind != F64 and (pk == P1 or pk == P2)


@jit(inline="always")
def _first_flagged(flag):
    """The first array holding NaN or inf (a non-zero flag), or -1."""
    for a in range(flag.size):
        if flag[a] != 0.0:
            return a
    return -1


@jit(inline="always")
def _plain_total(acc, pk):
    """The arrays' sums of |x|^p added up (their largest max |x| for p = inf)."""
    total = 0.0
    for a in range(acc.size):
        total = _merge(total, acc[a], pk == PINF)
    return total


@jit(inline="always")
def _total_unsafe(plain, first_bad, pk):
    """Whether the plain total of finite data may have overflowed or lost digits to underflow."""
    return pk != PINF and first_bad < 0 and (plain > HUGE or plain < TINY)


@jit(inline="always")
def _sum_unsafe(kind, s, flag, pk, fix, each):
    """Whether one finite array's plain sum ``s`` is unreliable (see :func:`finish_norms`)."""
    return (
        pk != PINF
        and flag == 0.0
        and (s > HUGE or (s < TINY and (fix or each)))
        and not _exact_sum_safe(kind, pk)
    )


@jit
def finish_norms(table, acc, flag, slots, pk, p, each):
    """Turn the tasks' partial sums (see :func:`norm_tasks`) into norms.

    Returns ``(total, norms, first_bad, unsafe, fix)``: the norm of everything, the per-array
    norms, the index of the first array holding NaN or inf (-1 when none), the arrays whose plain
    sums are unreliable (overflow or underflow: float64 data or large ``p``), and whether the
    total is. The caller then recomputes the unsafe norms with :func:`rescaled_norms` and, when
    ``fix``, the total with :func:`combine_norms` (kept apart so that the common call never
    compiles them). Non-finite
    data gives a non-finite total (NaN when any NaN), like torch. The per-array norms are exact
    only when ``each`` (then those of finite arrays even beside non-finite ones).
    """
    _merge_slots(pk, acc, flag, slots)
    n = acc.size
    first_bad = _first_flagged(flag)
    norms = full(n, 0.0, np.float64)
    unsafe = full(n, 0, np.int64)  # 0/1: an int64 array allocates with code already compiled
    plain = _plain_total(acc, pk)
    if pk == PINF:
        for a in range(n):
            norms[a] = acc[a]
        return plain, norms, first_bad, unsafe, False
    for a in range(n):
        norms[a] = _root(acc[a], pk, p)
    if first_bad >= 0 and not each:
        return _root(plain, pk, p), norms, first_bad, unsafe, False
    fix = _total_unsafe(plain, first_bad, pk)
    for a in range(n):  # (with ``each``, the finite arrays beside non-finite ones too)
        unsafe[a] = _sum_unsafe(table[a, COL_KIND], acc[a], flag[a], pk, fix, each)
    return _root(plain, pk, p), norms, first_bad, unsafe, fix


def _rescaled_norms_for(pk):
    """The kernel recomputing ``norms[a]`` where ``unsafe[a]`` as max|x| * (sum (|x|/max)^p)^(1/p)
    for the norm kind ``pk`` (a constant, as in :func:`_norm_tasks_for`)."""

    @jit
    def rescaled_norms(table, cshape, cstride, unsafe, p, norms, f16, f64, gather):
        for a in range(unsafe.size):
            if unsafe[a]:
                norms[a] = _rescaled_norm(table, cshape, cstride, a, pk, p, f16, f64, gather)

    return rescaled_norms


RESCALED_NORMS = {kind: _rescaled_norms_for(kind) for kind in (P1, P2, PINF, PGEN)}


@jit
def combine_norms(norms, pk, p):
    """The norm of all arrays from their norms, scaled by the largest (no overflow)."""
    big = 0.0
    for a in range(norms.size):
        big = max(big, norms[a])
    if big == 0.0 or big == math.inf:  # inf: an array's own norm is beyond float64 (inf / inf
        return big  # would make the ratios NaN)
    s = 0.0
    for a in range(norms.size):
        r = norms[a] / big
        s += r * r if pk == P2 else (r if pk == P1 else r**p)
    return big * _root(s, pk, p)
