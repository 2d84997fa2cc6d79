"""LLVM intrinsics the kernels need and numba does not expose."""

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic

# Lanes of k-means++'s blocks of candidates, and of the group filter's blocks of
# centres where group_lanes says so: one vector of float32 on AVX2, of float64 on AVX-512.
LANES = 8
# Whether numba compiles for a CPU with AVX-512 (the host's, unless NUMBA_CPU_NAME names another).
AVX512 = config.CPU_NAME is None and llvm.get_host_cpu_features().get("avx512f", False)


def group_lanes(dtype):
    """Centres per block of the group filter (group_tile_minima, reduce_lanes) for data of ``dtype``
    (a numpy dtype or a numba type): a whole AVX-512 register of float32 where numba compiles
    for one, else LANES.  Gaussian 200k x 64 float32, k=1000, on a Zen 5 core: the group
    filter's multiply-adds went from 3.0 to 1.55 times the cycles of the run's GEMM calls, its
    groups of about 37 centres in 3 blocks of 16 instead of 5 of 8.  float64 keeps LANES (one
    AVX-512 register already)."""
    itemsize = dtype.bitwidth // 8 if isinstance(dtype, types.Float) else np.dtype(dtype).itemsize
    return 16 if AVX512 and itemsize == 4 else LANES
# Bytes per vector of first_argmin, of the screen's blocks of candidates and, without
# AVX-512, of block_dots: an AVX2 register (4 float64 or 8 float32 values; LLVM splits
# such vectors on narrower units).
VECTOR_BYTES = 32


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


def _operands(context, builder, signature, args):
    """An intrinsic's arguments as its code reads them: array structures, integers as intp, other scalars as given."""

    def operand(t, a):
        if isinstance(t, types.Array):
            return context.make_array(t)(context, builder, a)
        return context.cast(builder, a, t, types.intp) if isinstance(t, types.Integer) else a

    return [operand(t, a) for t, a in zip(signature.args, args)]


def _float_arrays(arrays, ndims):
    """Whether the typing-time ``arrays`` are C-ordered arrays of the first one's float dtype, with ``ndims``."""
    first = arrays[0]
    return (
        isinstance(first, types.Array)
        and isinstance(first.dtype, types.Float)
        and all(isinstance(a, types.Array) and a.dtype == first.dtype and a.layout == "C" for a in arrays)
        and tuple(a.ndim for a in arrays) == ndims
    )


def _integers(*values):
    """Whether the typing-time ``values`` are all integers (row and column positions)."""
    return all(isinstance(value, types.Integer) for value in values)


def _splat(builder, vector, value):
    """``value`` in every lane of an LLVM ``vector`` type."""
    undefined = ir.Constant(vector, ir.Undefined)
    first_lane = builder.insert_element(undefined, value, ir.Constant(ir.IntType(32), 0))
    lane_zero = ir.Constant(ir.VectorType(ir.IntType(32), vector.count), [0] * vector.count)
    return builder.shuffle_vector(first_lane, undefined, lane_zero)


def _fma_chains(
    context, builder, x_dtype, dtype, n_lanes, n_features, x_starts, x_feature_bytes, lane_starts, lane_feature_bytes,
    x_group=1, sums=None,
):  # fmt: skip
    """Independent chains of vector fused multiply-adds in feature order, from zero
    (or from the chains ``sums`` returned before, which they go on).

    Chain p adds ``x_p[f] * lanes_p[f, :]`` for f in order, where ``x_p`` is
    read from the address ``x_starts[p]`` (``x_group`` consecutive scalars per
    feature, repeated across the ``n_lanes`` lanes: lane l gets scalar ``l %
    x_group``; in ``x_dtype``, converted exactly to ``dtype``, which a group of
    more than one scalar must already be in) and
    ``lanes_p`` from ``lane_starts[p]`` (``n_lanes`` contiguous values per
    feature, in ``dtype``).  Interleaved, so that the vector
    unit does not wait on each multiply-add's latency.  Returns the vector
    type and the chains' sums (pointers to them).
    """
    assert x_group == 1 or x_dtype == dtype, "grouped scalars are read in the chains' dtype"
    element, x_element = context.get_data_type(dtype), context.get_data_type(x_dtype)
    vector = ir.VectorType(element, n_lanes)
    x_vector = ir.VectorType(x_element, x_group)
    suffix = "f32" if dtype == types.float32 else "f64"
    fma_vector = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vector, [vector] * 3), f"llvm.fma.v{n_lanes}{suffix}"
    )
    if sums is None:
        sums = [cgutils.alloca_once_value(builder, ir.Constant(vector, None)) for _ in lane_starts]
    with cgutils.for_range(builder, n_features) as loop:
        f = loop.index
        x_offset, lane_offset = builder.mul(f, x_feature_bytes), builder.mul(f, lane_feature_bytes)
        for total, x_start, lane_start in zip(sums, x_starts, lane_starts):
            x_address = builder.add(x_start, x_offset)
            if x_group == 1:
                x_f = builder.load(builder.inttoptr(x_address, x_element.as_pointer()))
                x_splat = _splat(builder, vector, context.cast(builder, x_f, x_dtype, dtype))
            else:
                x_f = builder.load(builder.inttoptr(x_address, x_vector.as_pointer()), align=1)
                pattern = ir.Constant(ir.VectorType(ir.IntType(32), n_lanes), [lane % x_group for lane in range(n_lanes)])
                x_splat = builder.shuffle_vector(x_f, ir.Constant(x_f.type, ir.Undefined), pattern)
            lanes_f = builder.load(builder.inttoptr(builder.add(lane_start, lane_offset), vector.as_pointer()), align=1)
            builder.store(builder.call(fma_vector, [x_splat, lanes_f, builder.load(total)]), total)
    return vector, sums


def _candidate_dots(n_lanes, n_rows):
    """An intrinsic ``(packed, first, lanes, out, out_first)``: ``out[out_first + p, l] = row . lanes[:, l]``
    for the ``n_lanes`` lanes l and the ``n_rows`` rows ``first + p``, in float64.

    Row r is ``packed[r // T, :, r % T]`` (T = ``packed.shape[2]``): rows stored
    feature-major by steps of T (:func:`kmlab._lloyd.packed_rows`), so that one
    address and constant displacements reach every row of a call (``first`` a
    multiple of ``n_rows``, which divides T); float32 rows are converted
    exactly.  ``lanes`` (d, >= n_lanes) and ``out`` hold float64 (k-means++'s
    candidates in ``lanes``, feature-major, zero-padded).  Each dot product is
    a chain of fused multiply-adds in feature order from zero: the values
    :func:`_gemm_order_dot` gives (but for the sign of a zero, which
    scikit-learn's ``(-2 dot + ||c||^2) + ||x||^2`` does not see), one vector
    of candidates per row and ``n_rows`` rows at a time (8 AVX2 registers of
    sums), so that the vector unit does not wait on each multiply-add's latency.
    """

    def typer(typingctx, packed, first, lanes, out, out_first):
        if not (isinstance(packed, types.Array) and isinstance(packed.dtype, types.Float) and packed.ndim == 3):
            return None
        if not all(isinstance(a, types.Array) and a.dtype == types.float64 and a.ndim == 2 for a in (lanes, out)):
            return None
        if packed.layout != "C" or lanes.layout != "C" or out.layout != "C":
            return None
        if not _integers(first, out_first):
            return None
        return types.void(packed, first, lanes, out, out_first), codegen

    def codegen(context, builder, signature, args):
        packed_arr, first, lanes_arr, out_arr, out_first = _operands(context, builder, signature, args)
        packed_type, out_type = signature.args[0], signature.args[3]
        step_rows = builder.extract_value(packed_arr.shape, 2)
        step, slot = builder.sdiv(first, step_rows), builder.srem(first, step_rows)
        row_bytes = builder.extract_value(packed_arr.strides, 2)
        slot_start = builder.add(
            builder.ptrtoint(packed_arr.data, cgutils.intp_t),
            builder.add(builder.mul(step, builder.extract_value(packed_arr.strides, 0)), builder.mul(slot, row_bytes)),
        )
        x_starts = [builder.add(slot_start, builder.mul(ir.Constant(cgutils.intp_t, p), row_bytes)) for p in range(n_rows)]
        lanes_start = builder.ptrtoint(lanes_arr.data, cgutils.intp_t)
        vector, sums = _fma_chains(
            context, builder, packed_type.dtype, types.float64, n_lanes, builder.extract_value(packed_arr.shape, 1),
            x_starts, builder.extract_value(packed_arr.strides, 1), [lanes_start] * n_rows,
            builder.extract_value(lanes_arr.strides, 0),
        )  # fmt: skip
        _store_rows(context, builder, out_type, out_arr, out_first, vector, sums)
        return context.get_dummy_value()

    typer.__name__ = typer.__qualname__ = f"candidate_dots_{n_lanes}"
    return intrinsic(typer)


def _store_rows(context, builder, out_type, out_arr, out_first, vector, sums):
    """Chain p's sums (a vector) to row ``out_first + p`` of the 2-D ``out``, from its first column."""
    for p, total in enumerate(sums):
        position = builder.add(out_first, ir.Constant(cgutils.intp_t, p))
        out_ptr = cgutils.get_item_pointer(context, builder, out_type, out_arr, [position, ir.Constant(cgutils.intp_t, 0)])
        builder.store(builder.load(total), builder.bitcast(out_ptr, vector.as_pointer()), align=1)


# Candidates per vector of the k-means++ intrinsics, and rows per call: four candidates
# (one AVX2 vector of float64) for eight rows, or eight (two vectors) for four rows.
CANDIDATE_ROWS_4, CANDIDATE_ROWS_8 = 8, 4
candidate_dots_4 = _candidate_dots(4, CANDIDATE_ROWS_4)
candidate_dots_8 = _candidate_dots(8, CANDIDATE_ROWS_8)


# Rows per call of screen_undecided, and how far ahead of a call's rows it asks the
# memory for more.  The screen streams data larger than the caches, and the
# hardware's prefetcher left the cores waiting; eight rows' chains in flight
# spilled their row addresses to the stack.  Gaussian 200k x 64 float32, 8
# candidates, per k-means++ round on 2 threads: GEMM (the screen's earlier form)
# 11-12 ms; 8 rows without prefetching 7.4-9.9 ms, prefetching 2 KB or 4 KB
# ahead 5.0-5.6; 4 rows 4 KB ahead 3.4-3.7.  Each row then keeps two chains
# (even and odd features): 8 in flight without more addresses, one thread
# 100,000 rows 3.7 -> 2.7 ms; whole k-means++ at k=1000 7.0-7.5 -> 6.3-7.4 s.
# Pairs of features across the lanes (half the multiply-adds and loads on
# AVX-512), with the test on the dot products done in the same call, in
# registers: whole k-means++ at k=1000 4.8-5.3 -> 4.2-4.5 s, same centres.
# With AVX-512's 32 registers, 8 rows (16 chains) fit: per round on a Zen 5,
# 2 threads, 2.34-2.37 -> 1.67-1.81 ms (16 rows: 1.76-1.84).  With AVX2's 16,
# a pair chain of float32 takes two registers: 4 rows' 8 chains took all 16, and
# LLVM kept three of them on the stack, through a store and a load at every step;
# 2 rows (8 registers of chains) spill none.  Zen 3, 2 threads: a round 4.75 ->
# 3.55 ms, whole k-means++ at k=1000 4.83-4.95 -> 3.26-3.31 s, same centres.
# There each step of two rows' pairs read four vectors of candidates and two of
# rows for four multiply-adds, and half the screen's time went outside its
# loop of products (perf): 4 rows of one chain each (SCREEN_CHAINS, the same 8
# registers) read six for eight, and pay a call's fixed costs once for 4 rows;
# with the rows' terms made in the call rather than in a pass of their own,
# whole k-means++ at k=1000 (8 runs each, alternated) 3.79-4.82 s, median 4.13
# -> 3.64-4.39, median 3.88, same centres.
SCREEN_ROWS = 8 if AVX512 else 4
SCREEN_CHAINS = 2 if AVX512 else 1
PREFETCH_BYTES = 4096


def _screen_dots(context, builder, dtype, x_arr, first, lanes_arr):
    """:func:`screen_undecided`'s dot products: one vector of L candidates' values for each
    of the SCREEN_ROWS rows ``first + p`` (the rows past X's last read the last one).

    A row's two features of a pair are read at once and repeated across the
    2 L lanes, so that each fused multiply-add serves two features of every
    candidate (an AVX-512 register of float32: half the loads and
    multiply-adds of a feature at a time).  Each row keeps SCREEN_CHAINS chains
    (chain r: pairs ``C i + r``, C = SCREEN_CHAINS; chain 0 then the pair left
    over and the last feature), added at the end, and each candidate's two
    lanes are then added: C * SCREEN_ROWS chains in flight.  Prefetches the rows'
    bytes PREFETCH_BYTES ahead (up to X's end).
    """
    item_bytes = context.get_abi_sizeof(context.get_data_type(dtype))
    n_lanes = VECTOR_BYTES // item_bytes
    row_bytes = builder.extract_value(x_arr.strides, 0)
    base = builder.ptrtoint(x_arr.data, cgutils.intp_t)
    last = builder.sub(builder.extract_value(x_arr.shape, 0), ir.Constant(cgutils.intp_t, 1))

    def constant(value):
        return ir.Constant(cgutils.intp_t, value)

    def row_start(p):
        row = builder.add(first, constant(p))
        return builder.add(base, builder.mul(builder.select(builder.icmp_signed("<", row, last), row, last), row_bytes))

    def ahead(address):
        address = builder.add(address, constant(PREFETCH_BYTES))
        return builder.select(builder.icmp_signed("<", address, end), address, end)

    end = builder.add(base, builder.mul(builder.extract_value(x_arr.shape, 0), row_bytes))
    _prefetch(builder, ahead(row_start(0)), ahead(row_start(SCREEN_ROWS)))
    n_features = builder.extract_value(x_arr.shape, 1)
    pair_bytes = builder.extract_value(lanes_arr.strides, 0)
    starts = [row_start(p) for p in range(SCREEN_ROWS)]
    lanes_start = builder.ptrtoint(lanes_arr.data, cgutils.intp_t)

    def chains(n_steps, x_starts, x_step_bytes, lane_starts, lane_step_bytes, x_group=2, sums=None):
        return _fma_chains(
            context, builder, dtype, dtype, 2 * n_lanes, n_steps, x_starts, x_step_bytes, lane_starts,
            lane_step_bytes, x_group, sums,
        )  # fmt: skip

    # Pairs SCREEN_CHAINS i + r (r < SCREEN_CHAINS) in the row's chain r; X is
    # C-ordered, so a row's next pairs are a constant displacement away.
    group_bytes = constant(2 * SCREEN_CHAINS * item_bytes)
    n_groups = builder.sdiv(n_features, constant(2 * SCREEN_CHAINS))
    vector, sums = chains(
        n_groups,
        [builder.add(start, constant(2 * r * item_bytes)) for start in starts for r in range(SCREEN_CHAINS)],
        group_bytes,
        [builder.add(lanes_start, builder.mul(pair_bytes, constant(r))) for r in range(SCREEN_CHAINS)] * SCREEN_ROWS,
        builder.mul(pair_bytes, constant(SCREEN_CHAINS)),
    )  # fmt: skip
    # The row's first chain goes on with the pair left over (two chains, the pairs
    # odd in number), then the last feature when the features are odd in number
    # (its pair's second lanes are 0): added at the end, their own chains cost
    # a fifth of the instructions after the products.
    first_chains = sums[::SCREEN_CHAINS]
    if SCREEN_CHAINS > 1:
        grouped_pairs = builder.mul(n_groups, constant(SCREEN_CHAINS))
        chains(
            builder.sub(builder.ashr(n_features, constant(1)), grouped_pairs),
            [builder.add(start, builder.mul(grouped_pairs, constant(2 * item_bytes))) for start in starts],
            constant(2 * item_bytes), [builder.add(lanes_start, builder.mul(grouped_pairs, pair_bytes))] * SCREEN_ROWS,
            pair_bytes, sums=first_chains,
        )  # fmt: skip
    last_feature = builder.sub(n_features, constant(1))
    chains(
        builder.and_(n_features, constant(1)),
        [builder.add(start, builder.mul(last_feature, constant(item_bytes))) for start in starts],
        constant(item_bytes),
        [builder.add(lanes_start, builder.mul(builder.ashr(n_features, constant(1)), pair_bytes))] * SCREEN_ROWS,
        pair_bytes, x_group=1, sums=first_chains,
    )  # fmt: skip
    pattern = ir.VectorType(ir.IntType(32), n_lanes)
    firsts, seconds = (ir.Constant(pattern, list(range(q, 2 * n_lanes, 2))) for q in (0, 1))
    undefined = ir.Constant(vector, ir.Undefined)
    dots = []
    for p in range(SCREEN_ROWS):
        row_sums = [builder.load(total) for total in sums[SCREEN_CHAINS * p : SCREEN_CHAINS * (p + 1)]]
        total = row_sums[0] if SCREEN_CHAINS == 1 else builder.fadd(*row_sums)
        halves = (builder.shuffle_vector(total, undefined, lanes) for lanes in (firsts, seconds))
        dots.append(builder.fadd(*halves))
    return dots


@intrinsic
def screen_undecided(
    typingctx, X, first, lanes, sqnorms, norms, near, slack, terms, coefs, lane_first, undecided, row_first, out,
    out_first,
):  # fmt: skip
    """k-means++'s screen (:mod:`kmlab._kernels.seeding`) for the SCREEN_ROWS rows ``first + p``:
    row ``i = row_first + p`` is undecided when ``r_i + terms[lane_first + l]
    - coefs[lane_first + l] * norms[i] < 2 g_il`` for some candidate l of ``lanes``,
    ``r_i = (1 - slack) sqnorms[i] - near[i]`` and g_il the dot product of row
    ``first + p`` with candidate l.  ``undecided[i]`` is set to that where
    ``lane_first`` is 0 (the first block of candidates), or-ed into it after.
    Also writes ``near[i]`` to ``out[lane_first + l, out_first + i]`` (``out``
    (t, n) in X's dtype) for the block's candidates below t and the rows i
    below m: the entries the screen decides, and the undecided ones' bound
    (stores spread among the products, where a pass of copies of its own,
    whose destination the caches no longer held, was a tenth of the screen).

    ``X`` (n, d) the raw rows; ``lanes`` (ceil(d / 2), 2 L) one vector of L =
    VECTOR_BYTES // itemsize candidates (8 float32, 4 float64) by pairs of
    features: ``lanes[j, 2 l + q]`` is feature ``2 j + q`` of candidate l (0
    past the last feature, as :func:`kmlab._kernels.seeding.empty_screen`
    makes them); both of X's dtype.  ``sqnorms``, ``norms`` (float64) and
    ``near`` (X's dtype) hold the step's m rows: row ``i`` past them reads the
    last (rows past X's last read X's last), its flag computed and not meant
    to be read (``undecided`` int64, 0 or 1, as long as the calls' rows).
    ``terms`` and ``coefs`` float64; all C-ordered.  The dot products, in X's
    dtype, sum in their own order (:func:`_screen_dots`): the screen needs
    only a bound on their error, which holds for any order.  The test, in
    float64, right after the products, with the candidates as lanes (a check
    over the stored values, row by row, took as long as a third of the
    products; the rows' terms in a pass of their own, a tenth of the screen).
    """
    if not _float_arrays((X, lanes, near, out), (2, 2, 1, 2)):
        return None
    if not _integers(first, lane_first, row_first, out_first) or not isinstance(slack, types.Float):
        return None
    if not (_float_arrays((sqnorms, norms, terms, coefs), (1, 1, 1, 1)) and sqnorms.dtype == types.float64):
        return None
    if not (isinstance(undecided, types.Array) and undecided.dtype == types.int64 and undecided.layout == "C"):
        return None

    def codegen(context, builder, signature, args):
        operands = _operands(context, builder, signature, args)
        x_arr, first, lanes_arr, sqnorms_arr, norms_arr, near_arr, slack, terms_arr, coefs_arr = operands[:9]
        lane_first, undecided_arr, row_first, out_arr, out_first = operands[9:]
        x_type = signature.args[0].dtype
        dots = _screen_dots(context, builder, x_type, x_arr, first, lanes_arr)
        n_lanes = dots[0].type.count
        double, i64 = ir.DoubleType(), ir.IntType(64)
        lane_vector = ir.VectorType(double, n_lanes)
        x_element = context.get_data_type(x_type)
        last_row = builder.sub(builder.extract_value(near_arr.shape, 0), ir.Constant(cgutils.intp_t, 1))

        def item(array, position, element):
            return builder.gep(builder.bitcast(array.data, element.as_pointer()), [position])

        terms_v = builder.load(builder.bitcast(item(terms_arr, lane_first, double), lane_vector.as_pointer()), align=8)
        coefs_v = builder.load(builder.bitcast(item(coefs_arr, lane_first, double), lane_vector.as_pointer()), align=8)
        keep = builder.fsub(ir.Constant(double, 1.0), context.cast(builder, slack, signature.args[6], types.float64))
        first_block = builder.icmp_signed("==", lane_first, ir.Constant(lane_first.type, 0))
        near_values = []
        for p, dot in enumerate(dots):
            row = builder.add(row_first, ir.Constant(cgutils.intp_t, p))
            source = builder.select(builder.icmp_signed("<", row, last_row), row, last_row)
            near_values.append(builder.load(item(near_arr, source, x_element)))
            near_value = context.cast(builder, near_values[-1], x_type, types.float64)
            row_term = builder.fsub(builder.fmul(keep, builder.load(item(sqnorms_arr, source, double))), near_value)
            row_term = _splat(builder, lane_vector, row_term)
            row_norm = _splat(builder, lane_vector, builder.load(item(norms_arr, source, double)))
            if dot.type.element != double:
                dot = builder.fpext(dot, lane_vector)
            bound = builder.fsub(builder.fadd(row_term, terms_v), builder.fmul(coefs_v, row_norm))
            fails = builder.fcmp_ordered("<", bound, builder.fadd(dot, dot))
            lane_bits = builder.bitcast(fails, ir.IntType(n_lanes))
            any_fails = builder.zext(builder.icmp_unsigned("!=", lane_bits, ir.Constant(lane_bits.type, 0)), i64)
            flag = item(undecided_arr, row, i64)
            builder.store(builder.select(first_block, any_fails, builder.or_(builder.load(flag), any_fails)), flag)
        _store_near(
            context, builder, signature.args[12], out_arr, out_first, lane_first, n_lanes, row_first, near_values,
            last_row,
        )  # fmt: skip
        return context.get_dummy_value()

    signature = types.void(
        X, first, lanes, sqnorms, norms, near, slack, terms, coefs, lane_first, undecided, row_first, out, out_first
    )  # fmt: skip
    return signature, codegen


def _store_near(context, builder, out_type, out_arr, out_first, lane_first, n_lanes, row_first, near_values, last_row):
    """:func:`screen_undecided`'s stores: ``near_values[p]`` (row ``row_first + p``, valid up to
    ``last_row``) to ``out[lane_first + l, out_first + row_first + p]`` for l < ``n_lanes``
    and the rows of ``out``: one vector per candidate when every row is valid, else value by value."""
    intp = cgutils.intp_t
    n_rows = len(near_values)
    row_vector = ir.VectorType(near_values[0].type, n_rows)
    values = ir.Constant(row_vector, ir.Undefined)
    for p, value in enumerate(near_values):
        values = builder.insert_element(values, value, ir.Constant(ir.IntType(32), p))
    n_candidates = builder.extract_value(out_arr.shape, 0)
    column = builder.add(out_first, row_first)
    every_row = builder.icmp_signed("<=", builder.add(row_first, ir.Constant(intp, n_rows - 1)), last_row)
    with builder.if_else(every_row) as (whole, partial):
        with whole:
            for l in range(n_lanes):
                candidate = builder.add(lane_first, ir.Constant(intp, l))
                with builder.if_then(builder.icmp_signed("<", candidate, n_candidates)):
                    address = cgutils.get_item_pointer(context, builder, out_type, out_arr, [candidate, column])
                    builder.store(values, builder.bitcast(address, row_vector.as_pointer()), align=1)
        with partial:
            for p, value in enumerate(near_values):
                row = builder.add(row_first, ir.Constant(intp, p))
                with builder.if_then(builder.icmp_signed("<=", row, last_row)):
                    for l in range(n_lanes):
                        candidate = builder.add(lane_first, ir.Constant(intp, l))
                        with builder.if_then(builder.icmp_signed("<", candidate, n_candidates)):
                            position = [candidate, builder.add(out_first, row)]
                            builder.store(value, cgutils.get_item_pointer(context, builder, out_type, out_arr, position))


# Rows per call of the group_tile_minima intrinsics: with 2 or 3 blocks, 8 or
# 12 independent chains of multiply-adds in flight (latency 4 cycles, two per
# cycle on 256-bit units), a row's broadcast value serving every block.
TILE_ROWS = 4


def _group_tile_minima(n_rows, n_blocks):
    """An intrinsic ``(rows, row_list, first, blocks, sqnorms, block, n_taken, restart, least, next_least,
    least_slot)``: per lane, the two smallest formula values ``sqnorms[s] - 2 x.c_s`` so far and the slot
    of the smallest, for the ``n_rows`` rows ``x = rows[row_list[first + p]]``, taking in the ``n_taken``
    (1 to ``n_blocks``) lane blocks from ``block`` on.

    Yinyang's group filter by group (:mod:`kmlab._kernels.lloyd`): ``rows``
    (m, d), ``row_list`` int64; ``blocks`` (n_blocks, d, L) the centres
    feature-major per block of L = :func:`group_lanes` slots (``blocks[b, f, l]``: feature f of
    slot ``b * L + l``); ``sqnorms`` by slot (inf in padding); ``least``,
    ``next_least`` (m, L) and ``least_slot`` (m, L, int64) hold the
    minima of ``row_list``'s entry ``first + p`` in their row ``first + p``,
    in lane l over the slots ``l, L + l, ...`` taken in so far, started
    afresh where ``restart`` is non-zero.  A value replaces the smallest only
    when strictly smaller, and blocks are taken in order, so the slot kept is
    the first of equal values.  Each dot product is a chain of fused
    multiply-adds in feature order from zero (the values :func:`_gemm_order_dot`
    gives, but for the sign of a zero, which ``sqnorm - (dot + dot)`` does not
    see), ``n_rows x n_blocks`` chains in flight (blocks not taken in are
    computed from ``block`` and dropped).  The caller gives ``row_list`` and
    the minima whole calls' worth of entries.
    """

    def typer(
        typingctx, rows, row_list, first, blocks, sqnorms, block, n_taken, restart, least, next_least, least_slot
    ):  # fmt: skip
        if not _float_arrays((rows, blocks, sqnorms, least, next_least), (2, 3, 1, 2, 2)):
            return None
        if not _integers(first, block, n_taken, restart):
            return None
        integer_arrays = (row_list, least_slot)
        if not all(isinstance(a, types.Array) and a.dtype == types.int64 and a.layout == "C" for a in integer_arrays):
            return None
        if (row_list.ndim, least_slot.ndim) != (1, 2):
            return None
        arguments = (rows, row_list, first, blocks, sqnorms, block, n_taken, restart, least, next_least, least_slot)
        return types.void(*arguments), codegen

    def codegen(context, builder, signature, args):
        rows_arr, list_arr, first, blocks_arr, sq_arr, block, n_taken, restart, least_arr, next_arr, slot_arr = (
            _operands(context, builder, signature, args)
        )
        intp = cgutils.intp_t
        dtype = signature.args[0].dtype
        lanes = group_lanes(dtype)
        row_bytes = builder.extract_value(rows_arr.strides, 0)
        rows_base = builder.ptrtoint(rows_arr.data, intp)
        row_starts = []
        for p in range(n_rows):
            entry = builder.add(first, ir.Constant(intp, p))
            row = builder.load(cgutils.get_item_pointer(context, builder, signature.args[1], list_arr, [entry]))
            row_starts.append(builder.add(rows_base, builder.mul(row, row_bytes)))
        # Blocks not taken in read block ``block`` (within the array); their values are dropped.
        taken = [builder.icmp_signed("<", ir.Constant(intp, c), n_taken) for c in range(n_blocks)]
        block_ids = [builder.select(taken[c], builder.add(block, ir.Constant(intp, c)), block) for c in range(n_blocks)]
        block_bytes = builder.extract_value(blocks_arr.strides, 0)
        blocks_base = builder.ptrtoint(blocks_arr.data, intp)
        block_starts = [builder.add(blocks_base, builder.mul(b, block_bytes)) for b in block_ids]
        chains = [(p, c) for p in range(n_rows) for c in range(n_blocks)]
        vector, sums = _fma_chains(
            context, builder, dtype, dtype, lanes, builder.extract_value(rows_arr.shape, 1),
            [row_starts[p] for p, _ in chains], builder.extract_value(rows_arr.strides, 1),
            [block_starts[c] for _, c in chains], builder.extract_value(blocks_arr.strides, 1),
        )  # fmt: skip
        slot_vector = ir.VectorType(ir.IntType(64), lanes)
        lane_numbers = ir.Constant(slot_vector, list(range(lanes)))
        slots, sqnorm = [], []
        for b in block_ids:
            first_slot = builder.mul(b, ir.Constant(intp, lanes))
            slots.append(builder.add(_splat(builder, slot_vector, first_slot), lane_numbers))
            sq_ptr = cgutils.get_item_pointer(context, builder, signature.args[4], sq_arr, [first_slot])
            sqnorm.append(builder.load(builder.bitcast(sq_ptr, vector.as_pointer()), align=1))
        infinite = ir.Constant(vector, [float("inf")] * lanes)
        fresh = builder.icmp_signed("!=", restart, ir.Constant(intp, 0))
        for p in range(n_rows):
            position = [builder.add(first, ir.Constant(intp, p)), ir.Constant(intp, 0)]
            pointers = [
                builder.bitcast(
                    cgutils.get_item_pointer(context, builder, signature.args[i], arr, position), kind.as_pointer()
                )
                for i, arr, kind in ((8, least_arr, vector), (9, next_arr, vector), (10, slot_arr, slot_vector))
            ]
            least, next_least, least_slot = [
                builder.select(fresh, start, builder.load(pointer, align=1))
                for start, pointer in zip((infinite, infinite, slots[0]), pointers)
            ]
            for c in range(n_blocks):
                dot = builder.load(sums[p * n_blocks + c])
                value = builder.fsub(sqnorm[c], builder.fadd(dot, dot))
                if c > 0:
                    value = builder.select(taken[c], value, infinite)
                smaller = builder.fcmp_ordered("<", value, least)
                # The second smallest: the old smallest where this value replaces it, else this value.
                runner_up = builder.select(smaller, least, value)
                next_least = builder.select(builder.fcmp_ordered("<", runner_up, next_least), runner_up, next_least)
                least_slot = builder.select(smaller, slots[c], least_slot)
                least = builder.select(smaller, value, least)
            for result, pointer in zip((least, next_least, least_slot), pointers):
                builder.store(result, pointer, align=1)
        return context.get_dummy_value()

    typer.__name__ = typer.__qualname__ = f"group_tile_minima_{n_rows}x{n_blocks}"
    return intrinsic(typer)


# Two or three blocks per call: TILE_ROWS x 3 chains fill the vector registers;
# a group's blocks go in calls of 3 and 2 (one block left over: a call of 2
# taking in 1).  Groups of 3 blocks, one thread: 38 GMAC/s in calls of 3, 26 in
# calls of 2, 16.5 for 8 rows and one block, OpenBLAS's sgemm 22 at the time.
group_tile_minima_2 = _group_tile_minima(TILE_ROWS, 2)
group_tile_minima_3 = _group_tile_minima(TILE_ROWS, 3)



def _butterfly_minimum(builder, values, lesser):
    """Every lane of ``values`` (a vector of a power of two lanes) set to their minimum under
    ``lesser(x, y)``, by exchanging halves, quarters, ... and neighbours (a shuffle per halving,
    however the lanes are ordered)."""
    undefined = ir.Constant(values.type, ir.Undefined)
    n_lanes = values.type.count
    distance = n_lanes // 2
    while distance:
        partners = ir.Constant(ir.VectorType(ir.IntType(32), n_lanes), [lane ^ distance for lane in range(n_lanes)])
        values = lesser(builder.shuffle_vector(values, undefined, partners), values)
        distance //= 2
    return values


@intrinsic
def reduce_lanes(typingctx, least, next_least, least_slot, n_rows):
    """For each of the first ``n_rows`` rows of :func:`_group_tile_minima`'s lane minima, the group's
    smallest value into ``least[t, 0]``, the first slot holding it into ``least_slot[t, 0]`` and the
    smallest of the others (the next smallest, possibly equal) into ``next_least[t, 0]``.

    The per-lane minima of a group, reduced across the lanes in vector registers:
    three or four butterfly steps per quantity, where a scalar loop over the lanes kept
    three chains of dependent comparisons per row (Gaussian 200k x 64, k=1000:
    a quarter of the group filter's time).  The values are those of the scalar
    loop: a minimum does not depend on the order of comparison, and the slot
    is the smallest among the lanes that hold the smallest value.
    """
    if not _float_arrays((least, next_least), (2, 2)) or not _integers(n_rows):
        return None
    if not (isinstance(least_slot, types.Array) and least_slot.dtype == types.int64 and least_slot.layout == "C"):
        return None
    if least_slot.ndim != 2:
        return None

    def codegen(context, builder, signature, args):
        least_arr, next_arr, slot_arr, n = _operands(context, builder, signature, args)
        element = context.get_data_type(signature.args[0].dtype)
        lanes = group_lanes(signature.args[0].dtype)
        vector = ir.VectorType(element, lanes)
        slot_vector = ir.VectorType(ir.IntType(64), lanes)
        lane_zero = ir.Constant(ir.IntType(32), 0)
        infinite = ir.Constant(vector, [float("inf")] * lanes)

        def smaller_value(x, y):
            return builder.select(builder.fcmp_ordered("<", x, y), x, y)

        def smaller_slot(x, y):
            return builder.select(builder.icmp_signed("<", x, y), x, y)

        with cgutils.for_range(builder, n) as loop:
            position = [loop.index, ir.Constant(cgutils.intp_t, 0)]
            pointers = [
                builder.bitcast(
                    cgutils.get_item_pointer(context, builder, signature.args[i], arr, position), kind.as_pointer()
                )
                for i, arr, kind in ((0, least_arr, vector), (1, next_arr, vector), (2, slot_arr, slot_vector))
            ]
            least, next_least, slots = (builder.load(pointer, align=1) for pointer in pointers)
            smallest = _butterfly_minimum(builder, least, smaller_value)
            # Slots hold a group's centres in order; past any real slot for the lanes without the smallest.
            holding = builder.fcmp_ordered("==", least, smallest)
            beyond = ir.Constant(slot_vector, [2**62] * lanes)
            nearest = _butterfly_minimum(builder, builder.select(holding, slots, beyond), smaller_slot)
            others = builder.select(builder.icmp_signed("==", slots, nearest), infinite, least)
            second = _butterfly_minimum(builder, smaller_value(next_least, others), smaller_value)
            for pointer, result in zip(pointers, (smallest, second, nearest)):
                scalar_pointer = builder.bitcast(pointer, result.type.element.as_pointer())
                builder.store(builder.extract_element(result, lane_zero), scalar_pointer)
        return context.get_dummy_value()

    return types.void(least, next_least, least_slot, n_rows), codegen


# Bytes per cache line, the unit a prefetch asks for.
CACHE_LINE_BYTES = 64


def _prefetch(builder, start, stop):
    """Ask for the cache lines of the addresses ``start:stop`` (integers) to be read into the caches."""
    byte_pointer = ir.IntType(8).as_pointer()
    i32 = ir.IntType(32)
    prefetch = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0i8"
    )
    read, keep_in_all_levels, data = ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)
    line = ir.Constant(cgutils.intp_t, CACHE_LINE_BYTES)
    with cgutils.for_range_slice(builder, start, stop, line, inc=True) as (address, _):
        builder.call(prefetch, [builder.inttoptr(address, byte_pointer), read, keep_in_all_levels, data])


# Rows per call of block_dots (two AVX2 vectors of float32, four of float64), at
# most BLOCK_VECTORS vectors per call, and chains of sums in flight per pass over
# the features: enough for the vector unit not to wait on a multiply-add's latency,
# few enough for AVX2's 16 registers to hold them, a row value and a broadcast.
BLOCK_ROWS = 16
# Bytes per vector of block_dots: a whole AVX-512 register where numba compiles for
# a CPU that has them (k-means++ on 100k x 16 float32 rows with 5 candidates, 2
# threads of a Zen 5: 0.28 -> 0.14 ms a round), else VECTOR_BYTES (LLVM would split
# wider vectors in two, and BLOCK_CHAINS chains of two halves outgrow AVX2's 16 registers).
BLOCK_DOT_BYTES = 64 if AVX512 else VECTOR_BYTES
BLOCK_VECTORS = 8
BLOCK_CHAINS = 12


@intrinsic
def block_dots(typingctx, rows_t, first, vectors, out):
    """``out[j, first + i] = rows_t[:d, first + i] . vectors[j]`` for every vector j
    (``vectors``' rows, 1 to BLOCK_VECTORS of them) and the BLOCK_ROWS rows i of a call.

    ``rows_t`` (>= d, m) holds rows feature-major (C order), ``vectors`` (n, d)
    the vectors (k-means++'s candidates in float64, or Lloyd's centres in the rows'
    dtype), ``out`` (>= n, >= m) their dtype; the caller leaves room for whole
    calls, and passes blocks of at most BLOCK_VECTORS vectors (more are not
    computed).  Each dot product is a chain of fused multiply-adds in feature order
    from zero, in the vectors' dtype (float32 rows converted exactly): the values
    :func:`_gemm_order_dot` gives (but for the sign of a zero, which neither
    scikit-learn's ``||c||^2 - 2 x.c`` nor ``(-2 dot + ||c||^2) + ||x||^2`` sees).
    The rows are the vector lanes; each row value is read once per pass and
    multiplied with every vector (one vector at a time, every row read again, cost
    k-means++ on 100k x 16 float32 rows with 5 candidates 0.34-0.49 ms a round on 2
    threads; all of them at once, 0.23).  The code for each number of vectors is
    unrolled; a switch on ``n`` picks it.
    """
    if not (_float_arrays((vectors, out), (2, 2)) and _integers(first)):
        return None
    if not (isinstance(rows_t, types.Array) and rows_t.ndim == 2 and rows_t.layout == "C"):
        return None
    if not (isinstance(rows_t.dtype, types.Float) and rows_t.dtype.bitwidth <= vectors.dtype.bitwidth):
        return None

    def codegen(context, builder, signature, args):
        rows_arr, first, vectors_arr, out_arr = _operands(context, builder, signature, args)
        rows_dtype, dtype = signature.args[0].dtype, signature.args[2].dtype
        element, rows_element = context.get_data_type(dtype), context.get_data_type(rows_dtype)
        itemsize, rows_itemsize = context.get_abi_sizeof(element), context.get_abi_sizeof(rows_element)
        lanes = BLOCK_DOT_BYTES // itemsize
        vector, rows_vector = ir.VectorType(element, lanes), ir.VectorType(rows_element, lanes)
        suffix = "f32" if dtype == types.float32 else "f64"
        fma_vector = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vector, [vector] * 3), f"llvm.fma.v{lanes}{suffix}"
        )
        intp = cgutils.intp_t

        def address(array, row_bytes, row, column_bytes):
            start = builder.ptrtoint(array.data, intp)
            return builder.add(start, builder.add(builder.mul(row, row_bytes), column_bytes))

        feature_bytes = builder.extract_value(rows_arr.strides, 0)
        vector_bytes, vector_feature_bytes = (builder.extract_value(vectors_arr.strides, a) for a in (0, 1))
        n_features = builder.extract_value(vectors_arr.shape, 1)
        out_bytes = builder.extract_value(out_arr.strides, 0)
        rows_first = builder.mul(first, ir.Constant(intp, rows_itemsize))
        out_first = builder.mul(first, ir.Constant(intp, itemsize))
        row_vectors = BLOCK_ROWS // lanes

        def dots(n_vectors):
            per_pass = max(1, min(row_vectors, BLOCK_CHAINS // n_vectors))
            for first_vector in range(0, row_vectors, per_pass):
                passed = range(first_vector, min(row_vectors, first_vector + per_pass))
                sums = {(v, j): cgutils.alloca_once_value(builder, ir.Constant(vector, None)) for v in passed for j in range(n_vectors)}
                with cgutils.for_range(builder, n_features) as loop:
                    f = loop.index
                    values = {}
                    for v in passed:
                        column = builder.add(rows_first, ir.Constant(intp, v * lanes * rows_itemsize))
                        at = address(rows_arr, feature_bytes, f, column)
                        value = builder.load(builder.inttoptr(at, rows_vector.as_pointer()), align=1)
                        values[v] = value if rows_dtype == dtype else builder.fpext(value, vector)
                    for j in range(n_vectors):
                        coef_at = address(vectors_arr, vector_bytes, ir.Constant(intp, j), builder.mul(f, vector_feature_bytes))
                        coef = _splat(builder, vector, builder.load(builder.inttoptr(coef_at, element.as_pointer())))
                        for v in passed:
                            builder.store(builder.call(fma_vector, [values[v], coef, builder.load(sums[v, j])]), sums[v, j])
                for (v, j), total in sums.items():
                    column = builder.add(out_first, ir.Constant(intp, v * BLOCK_DOT_BYTES))
                    target = address(out_arr, out_bytes, ir.Constant(intp, j), column)
                    builder.store(builder.load(total), builder.inttoptr(target, vector.as_pointer()), align=1)

        n_vectors = builder.extract_value(vectors_arr.shape, 0)
        done = builder.append_basic_block("block_dots.done")
        switch = builder.switch(n_vectors, done)
        for count in range(1, BLOCK_VECTORS + 1):
            case = builder.append_basic_block(f"block_dots.{count}")
            switch.add_case(ir.Constant(n_vectors.type, count), case)
            builder.position_at_end(case)
            dots(count)
            builder.branch(done)
        builder.position_at_end(done)
        return context.get_dummy_value()

    return types.void(rows_t, first, vectors, out), codegen


# Running minima in first_argmin's first pass (vminps has a latency of 3 cycles
# and a throughput of 2 per cycle: 4 keep it from waiting on itself).
ARGMIN_ACCUMULATORS = 4


@intrinsic
def first_argmin(typingctx, values):
    """Index of the first smallest of ``values`` (1-D, C-contiguous, float, not empty, no NaN).

    What scikit-learn's scan (``if value < smallest``) finds, also among zeros
    of both signs (the first one wins).  Two vector passes: the smallest value
    (four running vector minima: a minimum does not depend on the order), then
    the first position holding it, from the vectors' compare masks, a 64-bit
    word of them at a time (its lowest set bit).  A compiled float argmin keeps
    one scalar chain; the scan branches on every value, and the branch that
    finds the minimum is mispredicted: here one branch per 64 values.
    Scikit-learn's 32 centres: 100,000 rows 0.7 ms instead of 2.7 (one thread,
    rows GEMM just wrote); 1000 centres four times faster.
    """
    if not (isinstance(values, types.Array) and values.ndim == 1 and values.layout == "C"):
        return None
    if not isinstance(values.dtype, types.Float):
        return None

    def codegen(context, builder, signature, args):
        (array,) = _operands(context, builder, signature, args)
        element = context.get_data_type(signature.args[0].dtype)
        itemsize = context.get_abi_sizeof(element)
        n_lanes = VECTOR_BYTES // itemsize
        vector, mask_type, intp = ir.VectorType(element, n_lanes), ir.IntType(n_lanes), cgutils.intp_t
        n, data = builder.extract_value(array.shape, 0), array.data
        vectors = builder.bitcast(data, vector.as_pointer())
        n_vectors = builder.udiv(n, ir.Constant(intp, n_lanes))
        vectors_end = builder.mul(n_vectors, ir.Constant(intp, n_lanes))
        zero, one = ir.Constant(intp, 0), ir.Constant(intp, 1)

        def value(j):
            return builder.load(builder.gep(data, [j]))

        def vector_at(v):
            return builder.load(builder.gep(vectors, [v]), align=itemsize)

        def lesser(x, y):
            return builder.select(builder.fcmp_ordered("<", x, y), x, y)

        smallest = cgutils.alloca_once_value(builder, value(zero))
        with builder.if_then(builder.icmp_unsigned(">", n_vectors, zero)):
            minima = [cgutils.alloca_once_value(builder, vector_at(zero)) for _ in range(ARGMIN_ACCUMULATORS)]
            n_rounds = builder.udiv(n_vectors, ir.Constant(intp, ARGMIN_ACCUMULATORS))
            with cgutils.for_range(builder, n_rounds) as loop:
                first = builder.mul(loop.index, ir.Constant(intp, ARGMIN_ACCUMULATORS))
                for q, minimum in enumerate(minima):
                    x = vector_at(builder.add(first, ir.Constant(intp, q)))
                    builder.store(lesser(x, builder.load(minimum)), minimum)
            rounds_end = builder.mul(n_rounds, ir.Constant(intp, ARGMIN_ACCUMULATORS))
            with cgutils.for_range_slice(builder, rounds_end, n_vectors, one, inc=True) as (v, _):
                builder.store(lesser(vector_at(v), builder.load(minima[0])), minima[0])
            lanes = builder.load(minima[0])
            for minimum in minima[1:]:
                lanes = lesser(builder.load(minimum), lanes)
            lowest = builder.extract_element(lanes, ir.Constant(ir.IntType(32), 0))
            for lane in range(1, n_lanes):
                lowest = lesser(builder.extract_element(lanes, ir.Constant(ir.IntType(32), lane)), lowest)
            builder.store(lowest, smallest)
        with cgutils.for_range_slice(builder, vectors_end, n, one, inc=True) as (j, _):
            builder.store(lesser(value(j), builder.load(smallest)), smallest)
        lowest = builder.load(smallest)

        # Second pass, by groups of vectors whose compare masks fill one 64-bit
        # word: a branch per group, which leaves the loop at the first hit, then
        # the vectors and values left (fewer than 64) in one word.
        group = 64 // n_lanes
        word = ir.IntType(64)
        splat = _splat(builder, vector, lowest)

        def hits(v, first_vector):
            """The compare mask of vector ``v`` at its place in the word of ``first_vector``."""
            mask = builder.zext(builder.bitcast(builder.fcmp_ordered("==", vector_at(v), splat), mask_type), word)
            return builder.shl(mask, builder.mul(builder.sub(v, first_vector), ir.Constant(word, n_lanes)))

        flag = ir.IntType(1)
        cttz = cgutils.get_or_insert_function(builder.module, ir.FunctionType(word, [word, flag]), "llvm.cttz.i64")
        zero_is_poison, zero_is_64 = ir.Constant(flag, 1), ir.Constant(flag, 0)
        function = builder.function
        group_head, group_body, rest, done = (
            function.append_basic_block(f"first_argmin.{name}") for name in ("group_head", "group_body", "rest", "done")
        )
        result = cgutils.alloca_once_value(builder, zero)
        position = cgutils.alloca_once_value(builder, zero)
        builder.branch(group_head)
        builder.position_at_end(group_head)
        first_vector = builder.load(position)
        first_value = builder.mul(first_vector, ir.Constant(intp, n_lanes))
        group_end = builder.add(first_vector, ir.Constant(intp, group))
        builder.cbranch(builder.icmp_unsigned("<=", group_end, n_vectors), group_body, rest)
        builder.position_at_end(group_body)
        mask = ir.Constant(word, 0)
        for q in range(group):
            mask = builder.or_(mask, hits(builder.add(first_vector, ir.Constant(intp, q)), first_vector))
        builder.store(builder.add(first_value, builder.call(cttz, [mask, zero_is_poison])), result)
        builder.store(group_end, position)
        builder.cbranch(builder.icmp_unsigned("!=", mask, ir.Constant(word, 0)), done, group_head)
        builder.position_at_end(rest)
        rest_mask = cgutils.alloca_once_value(builder, ir.Constant(word, 0))
        with cgutils.for_range_slice(builder, first_vector, n_vectors, one, inc=True) as (v, _):
            builder.store(builder.or_(builder.load(rest_mask), hits(v, first_vector)), rest_mask)
        with cgutils.for_range_slice(builder, vectors_end, n, one, inc=True) as (j, _):
            hit = builder.zext(builder.fcmp_ordered("==", value(j), lowest), word)
            builder.store(builder.or_(builder.load(rest_mask), builder.shl(hit, builder.sub(j, first_value))), rest_mask)
        # No hit at all, only with NaN: 0.
        mask = builder.load(rest_mask)
        found = builder.add(first_value, builder.call(cttz, [mask, zero_is_64]))
        builder.store(builder.select(builder.icmp_unsigned("==", mask, ir.Constant(word, 0)), zero, found), result)
        builder.branch(done)
        builder.position_at_end(done)
        return builder.load(result)

    return types.intp(values), codegen
