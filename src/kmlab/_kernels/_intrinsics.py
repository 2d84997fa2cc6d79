"""LLVM intrinsics the kernels need and numba does not expose, and one typing-time helper (as_float64)."""

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload


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


@intrinsic
def cast_like(typingctx, value, like):
    """``value`` converted to the type of ``like`` (a no-op when they already agree)."""
    if not (isinstance(value, types.Float) and isinstance(like, types.Float)):
        return None

    def codegen(context, builder, signature, args):
        return context.cast(builder, args[0], signature.args[0], signature.args[1])

    return like(value, like), codegen


def as_float64(block, scratch):
    """``block`` (2-D) as float64: itself when it is float64, else converted into ``scratch``.

    Chosen when the caller compiles (a float32 block and its float64 copy are
    different types), so float64 data is not copied.
    """


@overload(as_float64, inline="always")
def _as_float64(block, scratch):
    if block.dtype == types.float64:
        return lambda block, scratch: block

    def convert(block, scratch):
        rows, cols = block.shape
        for r in range(rows):
            for c in range(cols):
                scratch[r, c] = np.float64(block[r, c])
        return scratch

    return convert


@njit(inline="always", cache=True)
def _gemm_order_dot(rows_t, i, vectors, j, width):
    """``rows_t[:width, i] . vectors[j, :width]`` accumulated as OpenBLAS's GEMM kernels do on x86-64.

    The first product rounded alone, then one fused multiply-add per term, in
    order, in the vectors' dtype (float32 rows are converted exactly).  Callers
    pad the features with zeros (a zero term changes no sum) and pass ``width``
    as a literal (4, 8 or 16), so that the compiler unrolls the chain and
    vectorises their loop over ``i``.
    """
    dot = cast_like(rows_t[0, i], vectors[j, 0]) * vectors[j, 0]
    for f in range(1, width):
        dot = fma(cast_like(rows_t[f, i], vectors[j, f]), vectors[j, f], dot)
    return dot


@njit(inline="always", cache=True)
def _load_rows_t(X, offset, start, m, rows_t, width):
    """``rows_t[f, i] = X[start + i, f] - offset[f]`` (in X's dtype) for the first ``m`` rows.

    Feature-major, as :func:`_gemm_order_dot` reads them.  With ``width`` a
    literal at least the number of features, the loop over features is
    unrolled (a test skips the padding), which runs twice as fast as a loop
    over the features read column by column.
    """
    n_features = X.shape[1]
    for i in range(m):
        for f in range(width):
            if f < n_features:
                rows_t[f, i] = X[start + i, f] - offset[f]
