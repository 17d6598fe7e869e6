"""Bit-level reinterpretation of floats, as LLVM intrinsics (they vectorize; views would not)."""

from numba import types
from numba.extending import intrinsic


@intrinsic
def f32_as_i32(typingctx, x):
    """The IEEE-754 bits of a float32, as int32."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.int32))

    return types.int32(types.float32), codegen


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
def f64_as_i64(typingctx, x):
    """The IEEE-754 bits of a float64, as int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return types.int64(types.float64), codegen


@intrinsic
def i64_as_f64(typingctx, x):
    """The float64 whose IEEE-754 bits are the int64 ``x``."""
    if not (isinstance(x, types.Integer) and x.bitwidth == 64):
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(x), codegen
