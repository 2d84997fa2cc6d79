"""LLVM intrinsics the kernels need and numba does not expose."""

from numba import types
from numba.extending import intrinsic


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (LLVM's ``llvm.fma``), for float32 or float64 of one type.

    With ``fastmath`` contraction LLVM may fuse ``x0 * c0 + x1 * c1`` either
    way round; a dot product that must round as a BLAS kernel's chain of fused
    multiply-adds spells each step out.
    """
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return a(a, b, c), codegen
