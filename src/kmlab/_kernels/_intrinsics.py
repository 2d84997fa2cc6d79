"""LLVM intrinsics the kernels need and numba does not expose, and one typing-time helper (as_float64)."""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

# Centres per block of gemm_order_lanes: one vector of float32 on AVX2, of float64 on AVX-512 ...
LANES = 8
# ... and blocks per call: independent chains of multiply-adds in flight (latency 4
# cycles, two per cycle on 256-bit units: 8 keep them busy).
CHAINS = 8


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


@intrinsic
def gemm_order_lanes(typingctx, x, blocks, sqnorms, block_list, first, out):
    """``sqnorms[s] - 2 x.c_s`` for the ``LANES`` slots s of each block ``block_list[first:first + CHAINS]``.

    ``blocks`` (n_blocks, d, LANES) holds the centres feature-major per block of
    ``LANES`` (``blocks[b, f, l]``: feature f of slot ``b * LANES + l``);
    ``sqnorms`` is indexed by slot; the values of ``block_list[p]`` go to
    ``out[p * LANES:(p + 1) * LANES]``, in the list's order.  Each dot product is a chain of
    fused multiply-adds in feature order from zero, in the dtype of ``x``: the
    values :func:`_gemm_order_dot` gives (a first product rounded alone equals a
    fused multiply-add onto zero, but for the sign of a zero, which
    ``sqnorm - (dot + dot)`` does not see), one vector per block and CHAINS
    independent chains at a time, so that the vector unit does not wait on
    each multiply-add's latency.  The caller pads ``block_list`` to whole
    groups of CHAINS (a repeated block writes the same values twice).
    """
    arrays = (x, blocks, sqnorms, out)
    if not all(isinstance(a, types.Array) and a.dtype == x.dtype for a in arrays) or not isinstance(
        x.dtype, types.Float
    ):
        return None
    if (x.ndim, blocks.ndim, sqnorms.ndim, out.ndim) != (1, 3, 1, 1) or blocks.layout != "C":
        return None
    if not (isinstance(block_list, types.Array) and block_list.ndim == 1 and block_list.dtype == types.int64):
        return None
    if sqnorms.layout != "C" or out.layout != "C" or not isinstance(first, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        x_arr, blocks_arr, sq_arr, list_arr = (
            context.make_array(t)(context, builder, a) for t, a in zip(signature.args[:4], args[:4])
        )
        out_arr = context.make_array(signature.args[5])(context, builder, args[5])
        element = context.get_data_type(signature.args[0].dtype)
        vector = ir.VectorType(element, LANES)
        suffix = "f32" if signature.args[0].dtype == types.float32 else "f64"
        fma_vector = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vector, [vector] * 3), f"llvm.fma.v{LANES}{suffix}"
        )
        n_features = builder.extract_value(x_arr.shape, 0)
        x_stride = builder.extract_value(x_arr.strides, 0)
        block_bytes = builder.extract_value(blocks_arr.strides, 0)
        feature_bytes = builder.extract_value(blocks_arr.strides, 1)
        base = builder.ptrtoint(blocks_arr.data, cgutils.intp_t)
        x_base = builder.ptrtoint(x_arr.data, cgutils.intp_t)
        first = context.cast(builder, args[4], signature.args[4], types.intp)
        block_ids = [
            builder.load(
                cgutils.get_item_pointer(
                    context, builder, signature.args[3], list_arr, [builder.add(first, ir.Constant(cgutils.intp_t, c))]
                )
            )
            for c in range(CHAINS)
        ]
        block_starts = [builder.add(base, builder.mul(block, block_bytes)) for block in block_ids]
        sums = [cgutils.alloca_once_value(builder, ir.Constant(vector, None)) for _ in block_ids]
        undefined = ir.Constant(vector, ir.Undefined)
        splat = ir.Constant(ir.VectorType(ir.IntType(32), LANES), [0] * LANES)
        with cgutils.for_range(builder, n_features) as loop:
            f = loop.index
            x_f = builder.load(builder.inttoptr(builder.add(x_base, builder.mul(f, x_stride)), element.as_pointer()))
            x_splat = builder.shuffle_vector(
                builder.insert_element(undefined, x_f, ir.Constant(ir.IntType(32), 0)), undefined, splat
            )
            feature_offset = builder.mul(f, feature_bytes)
            for total, start in zip(sums, block_starts):
                address = builder.add(start, feature_offset)
                centres_f = builder.load(builder.inttoptr(address, vector.as_pointer()), align=1)
                builder.store(builder.call(fma_vector, [x_splat, centres_f, builder.load(total)]), total)
        lanes = ir.Constant(cgutils.intp_t, LANES)
        for c, (total, block) in enumerate(zip(sums, block_ids)):
            first_slot = builder.mul(block, lanes)
            position = builder.mul(builder.add(first, ir.Constant(cgutils.intp_t, c)), lanes)
            sq_ptr = cgutils.get_item_pointer(context, builder, signature.args[2], sq_arr, [first_slot])
            out_ptr = cgutils.get_item_pointer(context, builder, signature.args[5], out_arr, [position])
            dot = builder.load(total)
            value = builder.fsub(builder.load(builder.bitcast(sq_ptr, vector.as_pointer()), align=1), builder.fadd(dot, dot))
            builder.store(value, builder.bitcast(out_ptr, vector.as_pointer()), align=1)
        return context.get_dummy_value()

    return types.void(x, blocks, sqnorms, block_list, first, out), codegen
