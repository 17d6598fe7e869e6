"""LLVM intrinsics that vectorize (views and libm calls would not): bit-level reinterpretation
of floats, the float16 <-> float32 conversions built on them, and fused multiply-add."""

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import jit


def _bitcast(source, result):
    """An intrinsic: the ``result`` value whose IEEE-754 bits are those of its argument, of type
    ``source`` (two Numba types of the same width)."""

    def typer(typingctx, x):
        if x != source:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(result))

        return result(source), codegen

    typer.__name__ = typer.__qualname__ = f"{source}_as_{result}"
    typer.__doc__ = f"The {result} whose IEEE-754 bits are those of the {source} ``x``."
    return intrinsic(typer)


f32_as_i32 = _bitcast(types.float32, types.int32)
f64_as_i64 = _bitcast(types.float64, types.int64)
i64_as_f64 = _bitcast(types.int64, types.float64)


@intrinsic
def i32_as_f32(typingctx, x):
    """The float32 whose IEEE-754 bits are the low 32 bits of the integer ``x``.

    Numba widens int32 arithmetic to int64, so this takes any integer and keeps its low word.
    """
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        value = args[0]
        if x.bitwidth > 32:
            value = builder.trunc(value, context.get_value_type(types.int32))
        return builder.bitcast(value, context.get_value_type(types.float32))

    return types.float32(x), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (``llvm.fma``), in the widest of the three float types.

    Unlike fastmath ``contract``, which fuses only where the compiler likes and only on CPUs with
    FMA units, this is the same correctly rounded value on every machine (LLVM emits
    ``vfmadd`` where the CPU has it and a call to libm's exact ``fma`` elsewhere), so the random
    streams built on it stay bit-reproducible across machines.
    """
    if not all(t in (types.float32, types.float64) for t in (a, b, c)):
        return None
    result = types.float64 if types.float64 in (a, b, c) else types.float32

    def codegen(context, builder, sig, args):
        ty = context.get_value_type(result)
        name = "llvm.fma.f64" if result == types.float64 else "llvm.fma.f32"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ty, [ty] * 3), name)
        operands = [
            context.cast(builder, v, t, result) for v, t in zip(args, sig.args, strict=True)
        ]
        return builder.call(fn, operands)

    return result(a, b, c), codegen


@jit(inline="always")
def half_to_f32(h):
    """IEEE binary16 bits -> float32 (exact)."""
    u = np.uint32(h)
    sign = (u & np.uint32(0x8000)) << np.uint32(16)
    em = u & np.uint32(0x7FFF)
    if em >= np.uint32(0x7C00):  # inf / nan
        return i32_as_f32(sign | np.uint32(0x7F800000) | ((em & np.uint32(0x3FF)) << np.uint32(13)))
    if em >= np.uint32(0x0400):  # normal: rebias the exponent from 15 to 127
        return i32_as_f32(sign | ((em << np.uint32(13)) + np.uint32(112 << 23)))
    v = np.float32(em) * np.float32(2.0**-24)  # subnormal or zero
    return -v if sign else v


@jit(inline="always")
def f32_to_half(f):
    """float32 -> IEEE binary16 bits, rounded to nearest even."""
    b = np.uint32(f32_as_i32(f))
    sign = (b >> np.uint32(16)) & np.uint32(0x8000)
    a = b & np.uint32(0x7FFFFFFF)
    if a >= np.uint32(0x7F800000):  # inf stays inf, nan stays a quiet nan
        return np.uint16(sign | np.uint32(0x7C00) | (np.uint32(0x200) if a > 0x7F800000 else 0))
    if a >= np.uint32(0x477FF000):  # >= 65520 rounds to inf
        return np.uint16(sign | np.uint32(0x7C00))
    if a >= np.uint32(0x38800000):  # normal half: rebias and round the 13 dropped bits
        odd = (a >> np.uint32(13)) & np.uint32(1)
        a = a - np.uint32(112 << 23) + np.uint32(0xFFF) + odd
        return np.uint16(sign | (a >> np.uint32(13)))
    k = np.rint(i32_as_f32(a) * np.float32(2.0**24))  # subnormal half: k * 2^-24
    return np.uint16(sign | np.uint32(k))
