"""Lloyd step kernels: assignment fused with partial sums and inertia.

One call of :func:`assign_dense` (or :func:`assign_sparse`) is the whole E-step
plus the accumulation part of the M-step.  Dense data can carry triangle-inequality
bounds (one upper bound per sample, one lower bound per group of centres: Hamerly
with one group, Yinyang with a few, Elkan with one per centre): a sample whose
label provably cannot change skips the distance computation; the others are
gathered and compared with every centre through GEMM, or, with Yinyang's group
filter, with the centres of the groups their bounds do not rule out (chains of
fused multiply-adds that give GEMM's bits where the driver checked they do;
elsewhere a screen whose near ties go to GEMM).  The rows are split into fixed blocks
(chosen from the shape only, never from the thread count); every block writes its
own partial sums, and :func:`reduce_blocks` adds the blocks in order.  The result
is therefore the same whatever the number of threads.

Distances are compared as ``||c||^2 - 2 x.c`` in the data's dtype, with the dot
products from BLAS GEMM on chunks of rows: scikit-learn's expression and call, so
the labels round the same way.  Inertia and partial sums are accumulated in float64 from the
exact differences ``x - c``, so that a float32 inertia of 1e-8 is not lost to
cancellation.

:func:`lloyd_run_dense` runs a whole run of plain Lloyd in one call: the same
per-block functions on the same blocks, without a return to Python per iteration.
"""

import numpy as np
from numba import njit, prange, types
from numba.np.linalg import ensure_blas

from ._config import CHUNK, FASTMATH, PADDED_MAX_WIDTH, SEPARATE_ROUNDING, _copy_into, _padded_width, renamed_copy
from ._intrinsics import (
    BLOCK_ROWS,
    BLOCK_VECTORS,
    LANES,
    TILE_ROWS,
    _gemm_order_dot,
    _load_rows_t,
    block_dots,
    cast_like,
    first_argmin,
    fma,
    group_tile_minima_2,
    group_tile_minima_3,
    reduce_lanes,
)
from .packing import PACKED_ROWS, _einsum_sqnorms_t

# A sample its bounds cannot settle goes through the group filter when the
# groups they do not rule out hold at most this fraction of the centres (in
# whole blocks of lanes); beyond, GEMM with every centre costs less.
GROUP_FILTER_MAX_FRACTION = 0.5

ensure_blas()
# numba's C helper that calls the Fortran GEMM of scipy's BLAS with the
# arguments it is given (numba's np.dot chooses its own transpositions).
_fortran_gemm = types.ExternalFunction(
    "numba_xxgemm",
    types.intc(
        types.char, types.char, types.char, types.intp, types.intp, types.intp, types.voidptr, types.voidptr,
        types.intp, types.voidptr, types.intp, types.voidptr, types.voidptr, types.intp,
    ),
)  # fmt: skip


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def assign_dense(
    X,  # IN (n, d) float32/float64, C-contiguous, raw (not centred)
    offset,  # IN (d,) dtype of X: the kernel works on rows fl(x - offset)
    sample_weight,  # IN (n,) dtype of X
    centers,  # IN (k, d) dtype of X, in the coordinates of x - offset
    centers_sqnorm,  # IN (k,) dtype of X
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    update,  # IN bool: accumulate partial sums and weights
    sums_kept,  # IN bool: (with update) block_sums and block_weights hold the sums of the labels passed in
    with_inertia,  # IN bool: compute block_inertia (else it is left at 0)
    direct,  # IN bool: distances by _formula_values instead of GEMM (never with bounds)
    packed,  # IN (ceil(n / PACKED_ROWS), width, PACKED_ROWS) dtype of X: pack_rows_dense's rows; (0, 1, 1): none
    track_bounds,  # IN bool: use and maintain the bounds (else they are dummies)
    use_groups,  # IN bool: keep per-group lower bounds besides the global one
    center_moves,  # IN (k,) float64 distance each centre moved since the last call
    global_moves,  # IN (2,) float64 largest and second largest move of all centres
    global_mover,  # IN int64 the centre that moved most
    group_of,  # IN (k,) int64 bound group of each centre
    group_drift,  # IN (S, G) float64 bound of each group's net drift from the centres of step s to these (0 at step)
    step,  # IN int64 this call's step (bounds computed here are stamped with it)
    x_sqnorms,  # IN (n,) float64 ||x - offset||^2 (read when track_bounds)
    err_coef,  # IN float64 rounding bound of the distance formula, per unit of norm^2
    center_norm_max,  # IN float64 max ||c_j||
    labels,  # IN/OUT (n,) int32: previous labels in (-1: none), new labels out
    upper,  # IN/OUT (n,) float64 upper bound of ||x - c_label||
    lower_min,  # IN/OUT (n,) float64 lower bound of the distance to every other centre
    lower,  # IN/OUT (n, G) float32 lower bound per group, as of the step in stamp
    stamp,  # IN/OUT (n, G) int16 step at which each lower bound was computed
    group_blocks,  # IN (n_lane_blocks, d, L) dtype of X: the centres by group (group_layout, L lanes); (0, d, L): GEMM only
    slot_sqnorms,  # IN (n_slots,) dtype of X: centres_sqnorm by slot, inf for padding
    slot_centers,  # IN (n_slots,) int64: the centre in each slot, k for padding
    group_first_block,  # IN (G + 1,) int64: the lane blocks of group g are group_first_block[g]:[g + 1]
    screen_groups,  # IN bool: the group filter's values may round otherwise than GEMM's (_label_batch_by_groups)
    wanted_class,  # IN (2, CHUNK) int64: class of each place of a whole chunk and of the last (gemm_place_classes)
    call_classes,  # IN (n_sizes, CHUNK + 1) int64: GEMM call sizes and the class of each place (the same)
    call_capacity,  # IN (n_sizes, n_classes) int64: places of each class in each call (the same)
    block_sums,  # IN/OUT (n_blocks, k, d) float64, written when update (a block's kept with sums_kept
    # when none of its labels changes)
    block_weights,  # IN/OUT (n_blocks, k) float64, the same
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64: labels that changed
    block_computed,  # OUT (n_blocks,) int64: sample-centre distances computed
):
    for b in prange(block_starts.shape[0] - 1):
        # int64 whichever type prange gives its index: one compiled block function.
        _assign_block(
            np.int64(b), X, offset, sample_weight, centers, centers_sqnorm, block_starts, update, sums_kept,
            with_inertia, direct, packed, track_bounds, use_groups, center_moves, global_moves, global_mover,
            group_of, group_drift, step, x_sqnorms, err_coef, center_norm_max, labels, upper, lower_min, lower, stamp,
            group_blocks, slot_sqnorms, slot_centers, group_first_block, screen_groups, wanted_class, call_classes,
            call_capacity, block_sums, block_weights, block_inertia, block_changed, block_computed,
        )  # fmt: skip


@njit(cache=True, fastmath=FASTMATH)
def _assign_block(
    b, X, offset, sample_weight, centers, centers_sqnorm, block_starts, update, sums_kept, with_inertia, direct, packed,
    track_bounds, use_groups, center_moves, global_moves, global_mover, group_of, group_drift, step,
    x_sqnorms, err_coef, center_norm_max, labels, upper, lower_min, lower, stamp,
    group_blocks, slot_sqnorms, slot_centers, group_first_block, screen_groups, wanted_class, call_classes,
    call_capacity, block_sums, block_weights, block_inertia, block_changed, block_computed,
):  # fmt: skip
    """Block ``b`` of :func:`assign_dense` (its arguments); the one-call run calls it too.

    With ``sums_kept``, the block's sums and weights are left as they are when
    none of its labels changes: the caller knows them to be those of its labels.
    Without bounds, every sample is compared with every centre: by the direct
    kernel (:func:`_assign_direct`) or through GEMM (:func:`_assign_by_gemm`).
    A sample the bounds cannot settle is compared with every centre through GEMM,
    gathered with others; with ``group_blocks`` (Yinyang's group filter), only
    with the centres of the groups its bounds do not rule out, by
    :func:`_label_batch_by_groups`, when those are at most GROUP_FILTER_MAX_FRACTION
    of the centres.
    """
    n_clusters, n_features = centers.shape
    first_row, stop_row = block_starts[b], block_starts[b + 1]
    if direct:
        changed = _assign_direct(
            X, offset, packed, sample_weight, centers, centers_sqnorm, first_row, stop_row, update, sums_kept,
            labels, block_sums[b], block_weights[b],
        )  # fmt: skip
        computed = (stop_row - first_row) * n_clusters
    elif not track_bounds:
        changed = _assign_by_gemm(X, offset, centers, centers_sqnorm, first_row, stop_row, labels)
        computed = (stop_row - first_row) * n_clusters
    else:
        filtering = track_bounds and group_blocks.shape[0] > 0
        n_groups = group_first_block.shape[0] - 1
        # GEMM's rows: GATHER_ROWS, and room for the near ties of a batch.
        rows = np.empty((GATHER_ROWS + FILTER_BATCH, n_features), dtype=X.dtype)
        dots = np.empty((CHUNK, n_clusters), dtype=X.dtype)
        gathered = np.empty(GATHER_ROWS + FILTER_BATCH, dtype=np.int64)
        group_members, member_starts = _group_members(group_of, lower.shape[1] if use_groups else 0)
        # The group filter's queue (rows, their failing groups): a batch, and the last GEMM rows of a block.
        batch = _filter_batch(
            FILTER_BATCH + GATHER_ROWS if filtering else 0, n_features, n_groups, group_blocks.shape[2], X.dtype
        )  # fmt: skip
        batch_ids, batch_rows, row_pairs, pair_groups = batch[0], batch[1], batch[2], batch[3]
        failing = np.empty(n_groups, dtype=np.int64)
        all_groups = np.arange(n_groups)
        effective = np.empty(lower.shape[1])
        max_filtered_slots = GROUP_FILTER_MAX_FRACTION * n_clusters
        n_gathered = 0
        n_batch = 0
        changed = 0
        computed = 0
        settled = np.empty(SETTLE_ROWS, dtype=np.bool_)
        for row in range(first_row, stop_row):
            # Every SETTLE_ROWS rows, a tight pass moves the next rows' bounds and
            # tries the global ones, which settle most rows late in a run.
            if (row - first_row) % SETTLE_ROWS == 0:
                for i in range(min(SETTLE_ROWS, stop_row - row)):
                    settled[i] = labels[row + i] >= 0 and _moved_bounds_separated(
                        row + i, labels, center_moves, global_moves, global_mover, x_sqnorms, err_coef,
                        center_norm_max, upper, lower_min,
                    )  # fmt: skip
            certain = settled[(row - first_row) % SETTLE_ROWS]
            if certain and row != stop_row - 1:  # the last row flushes the lists below
                continue
            certain = certain or (labels[row] >= 0 and _tightened_bounds_separated(
                X, offset, row, centers, labels, use_groups, group_drift, x_sqnorms, err_coef, center_norm_max,
                upper, lower_min, lower, stamp, effective,
            ))  # fmt: skip
            queued = False
            if not certain and filtering and labels[row] >= 0:
                n_failing = _failing_groups(row, effective, upper, x_sqnorms, err_coef, center_norm_max, failing)
                n_slots = 0
                for q in range(n_failing):
                    n_slots += group_first_block[failing[q] + 1] - group_first_block[failing[q]]
                if n_slots * group_blocks.shape[2] <= max_filtered_slots:
                    n_batch = _queue_row(
                        X, offset, row, failing, n_failing, n_batch, batch_ids, batch_rows, row_pairs, pair_groups
                    )  # fmt: skip
                    queued = True
            if not certain and not queued:
                n_gathered = _gather_row(X, offset, row, n_gathered, rows, gathered)
            last = row == stop_row - 1
            if last and n_gathered > 0 and filtering and not screen_groups and labels[gathered[0]] >= 0:
                # The block's last few rows: the exact chains (GEMM's bits here)
                # cost less than a GEMM call of a whole chunk's places for them.
                for i in range(n_gathered):
                    n_batch = _queue_row(
                        X, offset, gathered[i], all_groups, n_groups, n_batch, batch_ids, batch_rows, row_pairs,
                        pair_groups,
                    )  # fmt: skip
                n_gathered = 0
            if n_batch >= FILTER_BATCH or (last and n_batch > 0):
                n_computed, relabelled, n_ambiguous = _label_batch_by_groups(
                    X, offset, n_batch, batch, centers, centers_sqnorm, group_of, group_blocks, slot_sqnorms,
                    slot_centers, group_first_block, x_sqnorms, err_coef, center_norm_max, screen_groups, labels,
                    upper, lower_min, lower, stamp, group_drift, step, effective,
                )  # fmt: skip
                computed += n_computed
                changed += relabelled
                n_batch = 0
                # Near ties the screen leaves (batch_ids' first entries): GEMM decides.
                for i in range(n_ambiguous):
                    n_gathered = _gather_row(X, offset, batch_ids[i], n_gathered, rows, gathered)
            # GEMM on GATHER_ROWS rows at a time, and at the block's end on the rest.
            while n_gathered >= GATHER_ROWS or (last and n_gathered > 0):
                n_rows = min(n_gathered, GATHER_ROWS)
                changed += _assign_gathered(
                    rows, dots, gathered, n_rows, centers, centers_sqnorm, wanted_class, call_classes,
                    call_capacity, track_bounds, use_groups, group_members, member_starts, step, x_sqnorms, err_coef,
                    center_norm_max, X, offset, labels, upper, lower_min, lower, stamp,
                )  # fmt: skip
                computed += n_rows * n_clusters
                n_gathered -= n_rows
                # Near ties beyond a chunk move to the front (rare).
                for i in range(n_gathered):
                    gathered[i] = gathered[n_rows + i]
                    for f in range(n_features):
                        rows[i, f] = rows[n_rows + i, f]
    block_changed[b] = changed
    block_computed[b] = computed
    # Sums and inertia in row order, once every label of the block is final, so
    # that they do not depend on which samples the bounds let through (the
    # direct kernel adds the sums as it goes, in the same order).  Late in a
    # bounded run whole blocks keep their labels: their sums stay.
    accumulate = update and not direct and not (sums_kept and changed == 0)
    if accumulate:
        block_sums[b, :, :] = 0.0
        block_weights[b, :] = 0.0
    inertia = 0.0
    if with_inertia or accumulate:
        for row in range(first_row, stop_row):
            label = labels[row]
            weight = np.float64(sample_weight[row])
            if with_inertia:
                inertia += weight * _dense_sq_dist(X, offset, row, centers, label)
            if accumulate:
                block_weights[b, label] += weight
                for f in range(n_features):
                    block_sums[b, label, f] += _weighted(np.float64(X[row, f] - offset[f]), weight)
    block_inertia[b] = inertia


@njit(cache=True, fastmath=FASTMATH)
def _assign_by_gemm(X, offset, centers, centers_sqnorm, first_row, stop_row, labels):
    """Label rows ``first_row:stop_row`` from all k values, a chunk of rows per GEMM call; returns the labels changed.

    Plain Lloyd: every row goes through GEMM, in order, without the bounds'
    tests and lists of :func:`_assign_block`'s loop.
    """
    n_clusters, n_features = centers.shape
    rows = np.empty((CHUNK, n_features), dtype=X.dtype)
    dots = np.empty((CHUNK, n_clusters), dtype=X.dtype)
    changed = 0
    for start in range(first_row, stop_row, CHUNK):
        m = min(CHUNK, stop_row - start)
        for i in range(m):
            for f in range(n_features):
                rows[i, f] = X[start + i, f] - offset[f]
        _formula_by_gemm(rows, m, centers, centers_sqnorm, dots)
        for i in range(m):
            label = first_argmin(dots[i])
            changed += labels[start + i] != label
            labels[start + i] = label
    return changed


@njit(cache=True, fastmath=FASTMATH)
def _assign_direct(
    X, offset, packed, sample_weight, centers, centers_sqnorm, first_row, stop_row, update, sums_kept, labels, sums,
    weights,
):  # fmt: skip
    """Label rows ``first_row:stop_row`` by :func:`_nearest_padded`; returns how many labels changed.

    The rows come from ``packed`` (:func:`~kmlab._kernels.packing.pack_rows_dense`'s
    layout, ``first_row`` a multiple of PACKED_ROWS), or without it (no steps:
    a single assignment, where packing would cost more than it saves) from X,
    centred and transposed a step at a time.  With ``update``, sets ``weights``
    and ``sums`` (its block's, float64) to the rows' weights and weighted rows
    added up in row order, once the labels are known; with ``sums_kept`` too,
    only if a label changed (they hold those of the labels passed in).
    """
    padded = _padded_centers(centers, _padded_width(X.shape[1]))
    if padded.shape[1] == 4:
        return _direct_rows(
            X, offset, packed, sample_weight, padded, centers_sqnorm, first_row, stop_row, update, sums_kept, labels,
            sums, weights, 4,
        )  # fmt: skip
    if padded.shape[1] == 8:
        return _direct_rows(
            X, offset, packed, sample_weight, padded, centers_sqnorm, first_row, stop_row, update, sums_kept, labels,
            sums, weights, 8,
        )  # fmt: skip
    return _direct_rows(
        X, offset, packed, sample_weight, padded, centers_sqnorm, first_row, stop_row, update, sums_kept, labels,
        sums, weights, 16,
    )  # fmt: skip


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _direct_rows(
    X, offset, packed, sample_weight, padded, centers_sqnorm, first_row, stop_row, update, sums_kept, labels, sums,
    weights, width,
):  # fmt: skip
    """:func:`_assign_direct` with the padded width as a literal: every loop over
    the features is unrolled.

    The weighted rows are added, in row order, to a zeroed accumulator padded
    like the rows (with 4 or 8 padded features, the padding adds zeros to
    columns nobody reads): a row's terms then go in with a few vector
    operations, where one scalar addition per feature cost a third of a
    3-feature iteration.  Copied to ``sums`` at the end: the same additions in
    the same order, the same values.  They are added in a second pass over the
    block's rows (in the caches still), once its labels are known: a block
    whose labels all stay needs none with ``sums_kept`` (blobs 100k x 16, k=32:
    the second and last iteration's sums, a third of its time).
    """
    n_features = X.shape[1]
    best = np.empty(PACKED_ROWS, dtype=X.dtype)
    nearest = np.empty(PACKED_ROWS, dtype=np.int32)
    # Scratch for the rows of a step, when they are not packed.
    step_rows = np.zeros((width, PACKED_ROWS if packed.shape[0] == 0 else 0), dtype=X.dtype)
    changed = 0
    for start in range(first_row, stop_row, PACKED_ROWS):
        m = min(PACKED_ROWS, stop_row - start)
        if packed.shape[0] > 0:
            rows_t = packed[start // PACKED_ROWS]
        else:
            _load_rows_t(X, offset, start, m, step_rows, width)
            rows_t = step_rows
        _nearest_padded(rows_t, m, padded, centers_sqnorm, width, best, nearest)
        step_labels = labels[start : start + m]
        for i in range(m):
            changed += step_labels[i] != nearest[i]
            step_labels[i] = nearest[i]
    if not update or (sums_kept and changed == 0):
        return changed
    padded_sums = np.zeros((padded.shape[0], width))
    weights[:] = 0.0
    for row in range(first_row, stop_row):
        weight, label = np.float64(sample_weight[row]), labels[row]
        weights[label] += weight
        if width == PADDED_MAX_WIDTH or packed.shape[0] == 0:
            # From X's row (fl(x - offset) is the packed value), its features
            # side by side: read from the packed rows, a feature every
            # PACKED_ROWS values, 16 features took 1.3-2 times as long.
            for f in range(n_features):
                padded_sums[label, f] += _weighted(np.float64(X[row, f] - offset[f]), weight)
        else:
            step, i = divmod(row, PACKED_ROWS)
            for f in range(width):
                padded_sums[label, f] += _weighted(np.float64(packed[step, f, i]), weight)
    sums[:, :] = padded_sums[:, : sums.shape[1]]
    return changed


@njit(cache=True, fastmath=FASTMATH)
def direct_formula_values(
    rows,  # IN (m, d) float32/float64, d <= 16
    centers,  # IN (k, d) dtype of rows
    centers_sqnorm,  # IN (k,) dtype of rows
    out,  # OUT (m, k) dtype of rows
):
    """The values :func:`_assign_direct` compares, for the driver's check against GEMM."""
    m, n_features = rows.shape
    padded = _padded_centers(centers, _padded_width(n_features))
    # Whole calls of block_dots, on zero rows past m.
    rows_t = np.zeros((padded.shape[1], -(-m // BLOCK_ROWS) * BLOCK_ROWS), dtype=rows.dtype)
    rows_t[:n_features, :m] = rows.T
    values = np.empty(m, dtype=rows.dtype)
    nearest = np.empty(m, dtype=np.int32)
    for j in range(centers.shape[0]):
        # With one centre, the values are the smallest ones.
        _nearest(rows_t, m, padded[j : j + 1], centers_sqnorm[j : j + 1], values, nearest)
        out[:, j] = values


@njit(cache=True)
def place_formula_values(
    probe_rows,  # IN (P, d) float32/float64: one row per probe
    probe_centers,  # IN (P, k, d) dtype of the rows: the centres of each probe
    probe_sqnorms,  # IN (P, k) dtype of the rows
    size,  # IN int64 rows of each GEMM call, <= CHUNK
    out,  # OUT (size, P, k) dtype of the rows
):
    """Each probe's row at every place of a GEMM call of ``size`` rows (:func:`_formula_by_gemm`, the
    gathered rows' call): ``out[place, p]``, for the driver's search of places that round alike
    (kmlab._lloyd.gemm_place_classes)."""
    n_probes, n_clusters, n_features = probe_centers.shape
    rows = np.empty((size, n_features), dtype=probe_rows.dtype)
    dots = np.empty((size, n_clusters), dtype=probe_rows.dtype)
    for p in range(n_probes):
        for place in range(size):
            rows[place] = probe_rows[p]
        _formula_by_gemm(rows, size, probe_centers[p], probe_sqnorms[p], dots)
        out[:, p] = dots


# Rows on which group_formula_values also checks the chains of a row's current
# centre (the same arithmetic as the lanes, a few multiply-adds at a time: 0.3 s
# for 256 rows with 256 features and 4096 centres, where the lanes take 0.01 s).
LABEL_CHAIN_CHECK_ROWS = 8


@njit(cache=True, fastmath=FASTMATH)
def group_formula_values(
    rows,  # IN (m, d) float32/float64
    centers,  # IN (k, d) dtype of rows
    centers_sqnorm,  # IN (k,) dtype of rows
    group_blocks,  # IN (n_lane_blocks, d, L) dtype of rows: the centres by slot (kmlab._lloyd.group_layout)
    slot_sqnorms,  # IN (n_slots,) dtype of rows
    slot_centers,  # IN (n_slots,) int64
    out,  # OUT (m, k) dtype of rows
):
    """The values :func:`_label_batch_by_groups` compares, for the driver's check against GEMM.

    Each centre's value from its lane (a block at a time through
    :func:`~kmlab._kernels._intrinsics.group_tile_minima_2`); where the chain
    the filter computes for a row's current centre (:func:`_chain_formula_values`,
    compared on the first LABEL_CHAIN_CHECK_ROWS rows: its multiply-adds wait on
    each other) gives another value, NaN, so that the check fails.
    """
    n_rows = rows.shape[0]
    n_clusters = centers.shape[0]
    row_list = np.minimum(np.arange(n_rows + TILE_ROWS), n_rows - 1)
    # One block at a time, started afresh: each lane's minimum is its slot's value.
    lanes = group_blocks.shape[2]
    values = np.empty((n_rows + TILE_ROWS, lanes), dtype=rows.dtype)
    next_values = np.empty_like(values)
    value_slots = np.empty((n_rows + TILE_ROWS, lanes), dtype=np.int64)
    # The chains the filter computes for a row's current centre, of the first rows with every centre.
    n_checked = min(n_rows, LABEL_CHAIN_CHECK_ROWS)
    chain_rows = np.repeat(np.arange(n_checked), n_clusters)
    chain_centers = np.arange(n_checked * n_clusters) % n_clusters
    chain_values = np.empty(n_checked * n_clusters, dtype=rows.dtype)
    _chain_formula_values(rows, chain_rows, chain_centers, chain_values.shape[0], centers, centers_sqnorm, chain_values)
    for block in range(group_blocks.shape[0]):
        for q in range(0, n_rows, TILE_ROWS):
            group_tile_minima_2(
                rows, row_list, q, group_blocks, slot_sqnorms, block, 1, 1, values, next_values, value_slots
            )  # fmt: skip
        for i in range(n_rows):
            for lane in range(lanes):
                j = slot_centers[block * lanes + lane]
                if j < n_clusters:
                    value = values[i, lane]
                    same = i >= n_checked or value == chain_values[i * n_clusters + j]
                    out[i, j] = value if same else np.nan


@njit(inline="always", cache=True)
def _padded_centers(centers, width):
    """The centres padded with zero features to ``width`` (4, 8 or 16).

    A zero term leaves a dot product as it is; with a constant number of terms
    the compiler unrolls the sum over features and vectorises over the rows.
    """
    padded = np.zeros((centers.shape[0], width), dtype=centers.dtype)
    padded[:, : centers.shape[1]] = centers
    return padded


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _nearest(rows_t, m, centers, centers_sqnorm, best, nearest):
    """:func:`_nearest_padded` with its width as a literal, from the padded operands."""
    width = rows_t.shape[0]
    if width == 4:
        _nearest_padded(rows_t, m, centers, centers_sqnorm, 4, best, nearest)
    elif width == 8:
        _nearest_padded(rows_t, m, centers, centers_sqnorm, 8, best, nearest)
    else:
        _nearest_padded(rows_t, m, centers, centers_sqnorm, 16, best, nearest)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _nearest_padded(rows_t, m, centers, centers_sqnorm, width, best, nearest):
    """For the first ``m`` rows of ``rows_t`` (``width`` features x rows), the centre of smallest
    ``||c||^2 - 2 x.c`` and that value, into ``nearest`` and ``best``.

    Each dot product is :func:`~kmlab._kernels._intrinsics._gemm_order_dot`:
    what OpenBLAS's GEMM kernels compute for each entry on x86-64 with few
    features.  :func:`kmlab._lloyd.direct_supported`
    checks, for each shape, that this gives scikit-learn's GEMM values bit for
    bit before it is used.  Centre after centre, a row's value is replaced only
    by a strictly smaller one (:func:`_nearer`).

    With 4 or 8 padded features, each pass over the rows compares them with 4
    or 2 centres (in order, the same comparisons), so that a row's best value
    is read and written once per group: china.jpg on one thread, k=256 10.1-10.4
    ms instead of 11.2-13.0, k=16 0.63-0.65 instead of 0.70-0.85; with 16 features the
    longer chains leave no room for it (4 centres ran 6 times slower): there the
    chains of a block of centres run for several rows at a time
    (:func:`~kmlab._kernels._intrinsics.block_dots`; ``rows_t`` has room for
    its whole calls), where the compiler's loop kept one in flight on AVX2.
    """
    n_clusters = centers.shape[0]
    group = 4 if width == 4 else 2 if width == 8 else 1
    grouped = 0 if group == 1 else n_clusters - n_clusters % group
    for first in range(0, grouped, group):
        for i in range(m):
            value, label = best[i], nearest[i]
            for step in range(group):
                j = first + step
                dot = _gemm_order_dot(rows_t, i, centers, j, width)
                value, label = _nearer(centers_sqnorm[j] - (dot + dot), j, value, label)
            best[i], nearest[i] = value, label
    if group == 1:
        # 16 features: the chains of a block of centres for several rows in flight
        # (block_dots), then the comparisons, centre after centre.
        dots = np.empty((BLOCK_VECTORS, rows_t.shape[1]), dtype=rows_t.dtype)
        for first in range(0, n_clusters, BLOCK_VECTORS):
            block = centers[first : first + BLOCK_VECTORS]
            for q in range(0, m, BLOCK_ROWS):
                block_dots(rows_t, q, block, dots)
            for j in range(first, first + block.shape[0]):
                _nearer_rows(centers_sqnorm[j], dots[j - first, :m], j, best[:m], nearest[:m])
        return
    for j in range(grouped, n_clusters):
        sqnorm = centers_sqnorm[j]
        for i in range(m):
            dot = _gemm_order_dot(rows_t, i, centers, j, width)
            best[i], nearest[i] = _nearer(sqnorm - (dot + dot), j, best[i], nearest[i])


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _nearer_rows(sqnorm, dots, j, best, nearest):
    """:func:`_nearer` for centre ``j`` on every row, from its dot products: without a
    branch per row, so that the loop is vectorised (the short-circuit ``j == 0 or``
    of :func:`_nearer` inside it kept the compiler from it: 3 times slower)."""
    if j == 0:
        for i in range(dots.shape[0]):
            best[i], nearest[i] = sqnorm - (dots[i] + dots[i]), 0
        return
    # int32 as the labels: a select between an int64 and an int32 vectorised poorly.
    label = np.int32(j)
    for i in range(dots.shape[0]):
        value = sqnorm - (dots[i] + dots[i])
        closer = value < best[i]
        best[i] = value if closer else best[i]
        nearest[i] = label if closer else nearest[i]


@njit(inline="always", cache=True)
def _nearer(value, j, best, nearest):
    """``(best, nearest)`` after comparing centre ``j``'s ``value``: only a strictly
    smaller value replaces the best (ties go to the lowest index, as scikit-learn's
    argmin); centre 0 always does."""
    closer = j == 0 or value < best
    return (value if closer else best), (j if closer else nearest)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _formula_error(err_coef, center_norm_max, x_sqnorm):
    """Bound on the rounding error of ||c||^2 - 2 x.c for one sample and any centre."""
    return err_coef * (center_norm_max * center_norm_max + 2.0 * np.sqrt(x_sqnorm) * center_norm_max)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _separated(low, up, margin):
    """Whether a lower bound ``low`` of the other centres' distances beats the upper
    bound ``up`` of the own centre's by more than ``margin`` in squared distance
    (plus a relative slack for the rounding of the bounds themselves).  Both tests are
    made, without a branch between them, so that a loop of them vectorises."""
    return (low > 0) & (low * low - up * up > margin + 1e-12 * (low * low + up * up))


# A label stays when every other centre is farther than the own centre by more
# than the rounding error of the distance formula, so that the formula
# scikit-learn evaluates would pick the same centre.  Three tries, cheapest
# first: the global bounds as they are (_moved_bounds_separated); with the upper
# bound made exact; with the per-group bounds (_tightened_bounds_separated).


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _moved_bounds_separated(
    row, labels, center_moves, global_moves, global_mover, x_sqnorms, err_coef, center_norm_max, upper, lower_min
):  # fmt: skip
    """Move the bounds of ``row`` by the centres' moves; True when they settle its label as they are."""
    label = labels[row]
    up = upper[row] + center_moves[label]
    # The others moved at most the largest move, or the second largest when the
    # own centre is the one that moved most.
    low = lower_min[row] - global_moves[1 if global_mover == label else 0]
    upper[row] = up
    lower_min[row] = low
    return _separated(low, up, 2.0 * _formula_error(err_coef, center_norm_max, x_sqnorms[row]))


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _tightened_bounds_separated(
    X, offset, row, centers, labels, use_groups, group_drift, x_sqnorms, err_coef, center_norm_max, upper,
    lower_min, lower, stamp, effective,
):  # fmt: skip
    """After :func:`_moved_bounds_separated` failed: True when tighter bounds settle the label of ``row``.

    First with the upper bound made exact, then with the per-group bounds
    (Yinyang/Elkan), each less its group's net drift since it was computed
    (:func:`_effective_bounds`, written to ``effective``).
    """
    label, low = labels[row], lower_min[row]
    margin = 2.0 * _formula_error(err_coef, center_norm_max, x_sqnorms[row])
    up = np.sqrt(_sq_dist_for_bound(X, offset, row, centers, label))
    upper[row] = up
    if _separated(low, up, margin):
        return True
    if not use_groups:
        return False
    tightest = _effective_bounds(lower[row], stamp[row], group_drift, effective)
    if tightest > low:
        low = tightest
        lower_min[row] = low
    return _separated(low, up, margin)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _effective_bound(bounds, stamps, group_drift, g):
    """A lower bound of the distance to group g's centres now: ``bounds[g]`` (computed at step
    ``stamps[g]``) less the group's net drift since (``group_drift``)."""
    return np.float64(bounds[g]) - group_drift[stamps[g], g]


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _effective_bounds(bounds, stamps, group_drift, out):
    """``out[g]`` = :func:`_effective_bound` of every group g; returns the smallest.

    Four groups at a time, each with its running minimum: one loop where
    writing the bounds and then finding the smallest (first_argmin) took two,
    and a single running minimum would have waited on each comparison
    (27 groups, 200,000 rows, 2 threads: 1.7-2.1 ms instead of 3.4-3.5).
    """
    n_groups = bounds.shape[0]
    m0 = m1 = m2 = m3 = np.inf
    g = 0
    while g + 4 <= n_groups:
        e0 = _effective_bound(bounds, stamps, group_drift, g)
        e1 = _effective_bound(bounds, stamps, group_drift, g + 1)
        e2 = _effective_bound(bounds, stamps, group_drift, g + 2)
        e3 = _effective_bound(bounds, stamps, group_drift, g + 3)
        out[g], out[g + 1], out[g + 2], out[g + 3] = e0, e1, e2, e3
        m0, m1, m2, m3 = min(m0, e0), min(m1, e1), min(m2, e2), min(m3, e3)
        g += 4
    while g < n_groups:
        out[g] = _effective_bound(bounds, stamps, group_drift, g)
        m0 = min(m0, out[g])
        g += 1
    return min(min(m0, m1), min(m2, m3))


# The largest group bound stored (float32): larger ones, inf included, are stored as this, a lower bound still.
STORED_BOUND_MAX = 3.0e38


@njit(inline="always", cache=True)
def _stored_bound(value, bounds):
    """``value`` (a float64 lower bound) in the dtype of ``bounds``, rounded down (so still a lower
    bound); negative and tiny values as 0, a bound that distances always meet, and values beyond
    float32's range as STORED_BOUND_MAX (a cast would round them up to inf)."""
    if value < 1e-30:
        value = 0.0
    value = min(value, STORED_BOUND_MAX)
    # Rounding to float32 moves a value by at most half an ulp (2^-24 relative): shrunk by 2^-23 first, it
    # ends below (1e-30 and above are normal float32 numbers).
    return cast_like(value * (1.0 - 2.0**-23), bounds[0])


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _assign_gathered(
    rows, dots, gathered, n_gathered, centers, centers_sqnorm, wanted_class, call_classes, call_capacity, track_bounds,
    use_groups, group_members, member_starts, step, x_sqnorms, err_coef, center_norm_max, X, offset, labels, upper,
    lower_min, lower, stamp,
):  # fmt: skip
    """Label the gathered rows from all k distances; reset their bounds.

    dots = rows . centers by BLAS GEMM, the call scikit-learn makes, each row
    at a place that rounds it as its place in scikit-learn's chunk does
    (``wanted_class``, ``call_classes``, ``call_capacity``: :func:`kmlab._lloyd.gemm_place_classes`):
    OpenBLAS's kernels may round an entry by its row's place in the call
    (its Haswell sgemm: by the place modulo 12 and the call's size), so that
    elsewhere a near tie could go the other way.  Each call is the shortest
    that has places for every waiting row, else the one that has most; rows
    left without a place wait for the next call.  So ||c||^2 - 2 x.c rounds as
    in scikit-learn and ties go to the lowest index.
    The groups' bounds come from their members' values (:func:`_group_members`):
    reading a group's values one after the other, where updating each value's
    group minimum in turn waited on the previous update (1000 centres: most of
    a bounded assignment's time besides the GEMM).
    Returns how many labels changed.
    """
    n_samples, n_features = X.shape
    n_calls, n_classes = call_capacity.shape
    # Each row's class, and how many of each class wait.
    wants = np.empty(n_gathered, dtype=np.int64)
    waiting = np.zeros(n_classes, dtype=np.int64)
    for i in range(n_gathered):
        row = gathered[i]
        in_last_chunk = n_samples - (row - row % CHUNK) < CHUNK
        wants[i] = wanted_class[1 if in_last_chunk else 0, row % CHUNK]
        waiting[wants[i]] += 1
    # Rows of a class take places in their order: the next one is at or after its cursor.
    cursor = np.zeros(n_classes, dtype=np.int64)
    placed = np.zeros((CHUNK, n_features), dtype=rows.dtype)
    place_of = np.full(CHUNK, -1, dtype=np.int64)
    n_done = 0
    changed = 0
    while n_done < n_gathered:
        call, most = 0, -1
        for i in range(n_calls):
            taken = 0
            for c in range(n_classes):
                taken += min(call_capacity[i, c], waiting[c])
            if taken > most:
                call, most = i, taken
            if taken == n_gathered - n_done:
                break
        size = call_classes[call, 0]
        for place in range(size):
            c = call_classes[call, 1 + place]
            if c < 0 or waiting[c] == 0:
                continue
            i = cursor[c]
            while wants[i] != c:
                i += 1
            cursor[c] = i + 1
            waiting[c] -= 1
            place_of[place] = i
            for f in range(n_features):
                placed[place, f] = rows[i, f]
        _formula_by_gemm(placed, size, centers, centers_sqnorm, dots)
        for place in range(size):
            if place_of[place] >= 0:
                changed += _label_gathered_row(
                    gathered[place_of[place]], dots[place], centers, track_bounds, use_groups, group_members,
                    member_starts, step, x_sqnorms, err_coef, center_norm_max, X, offset, labels, upper, lower_min,
                    lower, stamp,
                )  # fmt: skip
                place_of[place] = -1
                n_done += 1
    return changed


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _label_gathered_row(
    row, row_dots, centers, track_bounds, use_groups, group_members, member_starts, step, x_sqnorms, err_coef,
    center_norm_max, X, offset, labels, upper, lower_min, lower, stamp,
):  # fmt: skip
    """:func:`_assign_gathered` for one row from its GEMM values ``row_dots``; returns 1 if its label changed."""
    changed = 0
    best_label = first_argmin(row_dots)
    if labels[row] != best_label:
        changed += 1
        labels[row] = best_label
    if track_bounds:
        upper[row] = np.sqrt(_sq_dist_for_bound(X, offset, row, centers, best_label))
        # Smallest formula value of the other centres (per group too), then the
        # square roots: D^2 >= ||x||^2 + formula - error.  The own value out of the way.
        x_sqnorm = x_sqnorms[row]
        error = _formula_error(err_coef, center_norm_max, x_sqnorm)
        own_value = row_dots[best_label]
        row_dots[best_label] = np.inf
        if use_groups:
            smallest = np.inf
            for g in range(lower.shape[1]):
                group_smallest = np.inf
                for member in range(member_starts[g], member_starts[g + 1]):
                    group_smallest = min(group_smallest, np.float64(row_dots[group_members[member]]))
                smallest = min(smallest, group_smallest)
                lower[row, g] = _stored_bound(_distance_from_formula(group_smallest, x_sqnorm, error), lower[row])
                stamp[row, g] = step
        else:
            smallest = np.float64(row_dots[first_argmin(row_dots)])
        row_dots[best_label] = own_value
        lower_min[row] = _distance_from_formula(smallest, x_sqnorm, error)
    return changed


@njit(inline="always", cache=True)
def _group_members(group_of, n_groups):
    """The centres by group, ``(members, starts)``: group g's are ``members[starts[g]:starts[g + 1]]``,
    in index order (none without groups)."""
    starts = np.zeros(n_groups + 1, dtype=np.int64)
    members = np.empty(group_of.shape[0] if n_groups > 0 else 0, dtype=np.int64)
    if n_groups == 0:
        return members, starts
    for j in range(group_of.shape[0]):
        starts[group_of[j] + 1] += 1
    for g in range(n_groups):
        starts[g + 1] += starts[g]
    filled = starts[:-1].copy()
    for j in range(group_of.shape[0]):
        members[filled[group_of[j]]] = j
        filled[group_of[j]] += 1
    return members, starts


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _failing_groups(row, effective, upper, x_sqnorms, err_coef, center_norm_max, failing):
    """The groups whose bound does not rule out beating the label of ``row``, into ``failing``; returns how many.

    ``effective``: the row's group bounds now (:func:`_tightened_bounds_separated` computed
    them, and made the upper bound exact).
    """
    up = upper[row]
    margin = 2.0 * _formula_error(err_coef, center_norm_max, x_sqnorms[row])
    bounds = effective
    # Each group's test first, in a loop of vector compares, then the list, without branches
    # (which groups fail is hard to predict), in place: position g is read before it is written.
    # Gaussian 200k x 64, k=1000, the 94 iterations from k-means++'s centres, 2 Zen 3 threads,
    # alternating processes: 5.6-5.8 s against 5.8-6.4 with one scalar loop of both.
    n_groups = bounds.shape[0]
    for g in range(n_groups):
        failing[g] = not _separated(bounds[g], up, margin)
    n_failing = 0
    for g in range(n_groups):
        fails = failing[g]
        failing[n_failing] = g
        n_failing += fails
    return n_failing


# Rows gathered for GEMM before its calls (_assign_gathered): each row goes to a
# place of its class (a call of CHUNK rows has 126 places of each of two classes
# and 4 of a third on OpenBLAS's Haswell sgemm), so that with more rows at hand
# the calls are fuller.
GATHER_ROWS = 4 * CHUNK

# Rows whose bounds a bounded assignment moves and tries in a tight pass before
# its main loop: there, among the queues and calls, the same test cost four times
# as much (100,000 blobs x 16, k=32, an assignment whose bounds settle every row,
# one thread: 1.73 ms, 0.39 with the pass).
SETTLE_ROWS = 1024

# Rows the group filter takes together: each group's centres are read once per
# batch, for all the batch's rows that need them, and fewer of a group's calls
# are padded.  Gaussian 200k x 64, k=1000, 20 'yinyang' iterations from the 30th
# iteration's centres, 2 threads, alternating processes: 256 rows 2.90-3.14 s,
# 512 2.71-2.75, 1024 about as 512 (a second round: 2.92-3.07 and 2.89-3.02);
# blobs 100k x 16 with k=512 and 4096, 256 and 512 the same within noise.
FILTER_BATCH = 512


@njit(inline="always", cache=True)
def _filter_batch(capacity, n_features, n_groups, lanes, dtype):
    """Scratch of :func:`_queue_row` and :func:`_label_batch_by_groups` for up to ``capacity`` rows.

    ``(batch_ids, batch_rows, row_pairs, pair_groups, pair_rows, pair_order, group_ends,
    pair_best, pair_center, pair_second, tile_rows, minima, chain_rows, chain_centers,
    label_values)``: the queued rows (their index
    and ``x - offset``); row i's failing groups are ``pair_groups[row_pairs[i]:row_pairs[i + 1]]``
    (a pair: a row and a group); then, for a batch, each pair's row, the pairs by group,
    each pair's smallest value, its centre and the next smallest, a group's rows
    (their places in the batch) and their running minima (:func:`_group_minima`), and
    the rows' values for their current centres (:func:`_chain_formula_values`: the
    rows in order, their centres, the values).
    """
    n_pairs = capacity * n_groups
    tile_rows = capacity + TILE_ROWS if capacity > 0 else 0
    return (
        np.empty(capacity, dtype=np.int64),
        np.empty((capacity, n_features), dtype=dtype),
        np.zeros(capacity + 1, dtype=np.int64),
        np.empty(n_pairs, dtype=np.int64),
        np.empty(n_pairs, dtype=np.int64),
        np.empty(n_pairs, dtype=np.int64),
        np.empty(n_groups, dtype=np.int64),
        np.empty(n_pairs),
        np.empty(n_pairs, dtype=np.int64),
        np.empty(n_pairs),
        np.empty(tile_rows, dtype=np.int64),
        (
            np.empty((tile_rows, lanes), dtype=dtype),
            np.empty((tile_rows, lanes), dtype=dtype),
            np.empty((tile_rows, lanes), dtype=np.int64),
        ),
        np.arange(capacity),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=dtype),
    )


@njit(inline="always", cache=True)
def _gather_row(X, offset, row, n_gathered, rows, gathered):
    """Gather ``row`` (its ``x - offset`` and index) after the first ``n_gathered``; returns how many are gathered."""
    for f in range(X.shape[1]):
        rows[n_gathered, f] = X[row, f] - offset[f]
    gathered[n_gathered] = row
    return n_gathered + 1


@njit(inline="always", cache=True)
def _queue_row(X, offset, row, groups, n_groups, n_batch, batch_ids, batch_rows, row_pairs, pair_groups):
    """Queue ``row`` for the group filter with the first ``n_groups`` of ``groups``; returns the queue's length."""
    first = row_pairs[n_batch]
    for q in range(n_groups):
        pair_groups[first + q] = groups[q]
    row_pairs[n_batch + 1] = first + n_groups
    return _gather_row(X, offset, row, n_batch, batch_rows, batch_ids)


@njit(inline="always", cache=True)
def _group_minima(rows, row_list, first, blocks, sqnorms, first_block, stop_block, least, next_least, least_slot):
    """The lane minima of the TILE_ROWS rows listed from ``first`` over the blocks ``first_block:stop_block``.

    In calls of three blocks and of two (:func:`~kmlab._kernels._intrinsics.group_tile_minima_3`,
    ``_2``), so that few computed values are dropped: 4 blocks as 2 + 2, 5 as
    3 + 2, 1 as a call of 2 taking in 1.
    """
    block = first_block
    while block < stop_block:
        left = stop_block - block
        restart = 1 if block == first_block else 0
        if left == 3 or left >= 5:
            group_tile_minima_3(
                rows, row_list, first, blocks, sqnorms, block, 3, restart, least, next_least, least_slot
            )  # fmt: skip
            block += 3
        else:
            taken = min(left, 2)
            group_tile_minima_2(
                rows, row_list, first, blocks, sqnorms, block, taken, restart, least, next_least, least_slot
            )  # fmt: skip
            block += taken


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _label_batch_by_groups(
    X, offset, n_batch, batch, centers, centers_sqnorm, group_of, group_blocks, slot_sqnorms, slot_centers,
    group_first_block, x_sqnorms, err_coef, center_norm_max, screen, labels, upper, lower_min, lower, stamp,
    group_drift, step, effective,
):  # fmt: skip
    """Label the ``n_batch`` queued rows from their current centre and the centres of their failing groups.

    Yinyang's group filter, group by group: each group's centres meet, four
    rows at a time, every queued row that needs them (:func:`_group_minima`);
    then each row takes the smallest formula value of its groups and of its
    current centre (ties to the lowest index) and its bounds are reset: the
    computed groups' from their values without the new label; the others stay
    valid, and the old label's group takes its centre.  Every centre outside the failing groups
    is farther than the current one by more than the formula's rounding
    error (its group's bound says so), so scikit-learn's argmin over all k
    values is the argmin over these.  The values are chains of fused
    multiply-adds in feature order: scikit-learn's bits where
    :func:`kmlab._lloyd.group_filter_supported` found them equal to its GEMM's.
    Elsewhere (``screen``) they may differ from GEMM's by the rounding error
    of each, so a row whose best value another lies within four errors of is
    left unlabelled, its index moved to the front of ``batch_ids``, for GEMM.
    The recomputed bounds are stamped with ``step``; the others keep theirs
    (``effective``: scratch for a row's bounds now, :func:`_effective_bounds`).
    Returns the distances computed, the labels changed and those rows' number.
    """
    batch_ids, batch_rows, row_pairs, pair_groups, pair_rows, pair_order, group_ends = batch[:7]
    pair_best, pair_center, pair_second, tile_rows, (least, next_least, least_slot) = batch[7:12]
    chain_rows, chain_centers, label_values = batch[12:]
    n_clusters = centers.shape[0]
    n_groups = group_ends.shape[0]
    lanes = group_blocks.shape[2]
    n_pairs = row_pairs[n_batch]
    # The pairs by group (a counting sort); group g's are pair_order[group_ends[g - 1]:group_ends[g]].
    group_ends[:] = 0
    for i in range(n_batch):
        for p in range(row_pairs[i], row_pairs[i + 1]):
            pair_rows[p] = i
            group_ends[pair_groups[p]] += 1
    total = 0
    for g in range(n_groups):
        total += group_ends[g]
        group_ends[g] = total - group_ends[g]
    for p in range(n_pairs):
        g = pair_groups[p]
        pair_order[group_ends[g]] = p
        group_ends[g] += 1
    n_computed = 0
    group_start = 0
    for g in range(n_groups):
        n_rows = group_ends[g] - group_start
        if group_first_block[g + 1] == group_first_block[g]:
            # An empty group (listed with all the others for the last rows of a block): no values.
            for t in range(n_rows):
                p = pair_order[group_start + t]
                pair_best[p], pair_center[p], pair_second[p] = np.inf, n_clusters, np.inf
            group_start = group_ends[g]
            continue
        # The group's rows, the list padded to whole calls with its last.
        for t in range(-(-n_rows // TILE_ROWS) * TILE_ROWS):
            tile_rows[t] = pair_rows[pair_order[group_start + min(t, n_rows - 1)]]
        first_block = group_first_block[g]
        for q in range(0, n_rows, TILE_ROWS):
            _group_minima(
                batch_rows, tile_rows, q, group_blocks, slot_sqnorms, first_block, group_first_block[g + 1],
                least, next_least, least_slot,
            )  # fmt: skip
        n_members = 0
        for slot in range(first_block * lanes, group_first_block[g + 1] * lanes):
            n_members += slot_centers[slot] < n_clusters
        n_computed += n_rows * n_members
        # The lanes' minima together: the smallest (the first slot of equal
        # values: slots hold a group's centres in order), and the next.
        reduce_lanes(least, next_least, least_slot, n_rows)
        for t in range(n_rows):
            p = pair_order[group_start + t]
            pair_best[p] = least[t, 0]
            pair_center[p] = slot_centers[least_slot[t, 0]]
            pair_second[p] = next_least[t, 0]
        group_start = group_ends[g]
    # Each row's value for its current centre, the chains of several rows interleaved.
    for i in range(n_batch):
        chain_centers[i] = labels[batch_ids[i]]
    _chain_formula_values(batch_rows, chain_rows, chain_centers, n_batch, centers, centers_sqnorm, label_values)
    changed = 0
    n_ambiguous = 0
    for i in range(n_batch):
        row = batch_ids[i]
        first_pair, stop_pair = row_pairs[i], row_pairs[i + 1]
        label = labels[row]
        best, best_value = label, np.float64(label_values[i])
        label_value = best_value
        for p in range(first_pair, stop_pair):
            value, center = pair_best[p], pair_center[p]
            if value < best_value or (value == best_value and center < best):
                best, best_value = center, value
        x_sqnorm = x_sqnorms[row]
        error = _formula_error(err_coef, center_norm_max, x_sqnorm)
        if screen:
            # GEMM's values and these differ by at most an error each: another
            # value within four errors of the best might be GEMM's smallest.
            near = best_value + 4.0 * error
            ambiguous = best != label and label_value <= near
            for p in range(first_pair, stop_pair):
                ambiguous |= (pair_second[p] if pair_center[p] == best else pair_best[p]) <= near
            if ambiguous:
                batch_ids[n_ambiguous] = row
                n_ambiguous += 1
                continue
        labels[row] = best
        if best != label:
            changed += 1
            # (A queued row's upper bound is already the exact one for its label: _tightened_bounds_separated.)
            upper[row] = np.sqrt(_sq_dist_for_bound(X, offset, row, centers, best))
        bounds, stamps = lower[row], stamp[row]
        for p in range(first_pair, stop_pair):
            smallest = pair_second[p] if pair_center[p] == best else pair_best[p]
            bounds[pair_groups[p]] = _stored_bound(_distance_from_formula(smallest, x_sqnorm, error), bounds)
            stamps[pair_groups[p]] = step
        if best != label:
            old_group = group_of[label]
            current = _effective_bound(bounds, stamps, group_drift, old_group)
            bounds[old_group] = _stored_bound(min(current, _distance_from_formula(label_value, x_sqnorm, error)), bounds)
            stamps[old_group] = step
        lower_min[row] = _effective_bounds(bounds, stamps, group_drift, effective)
    return n_computed, changed, n_ambiguous


# Pairs whose chains :func:`_chain_formula_values` interleaves (its body is
# written for four): a multiply-add waits 4 cycles on the one before it in its chain.
CHAIN_PAIRS = 4


@njit(inline="always", cache=True)
def _chain_formula_values(rows, row_list, center_list, n_pairs, centers, centers_sqnorm, out):
    """``out[t] = ||c||^2 - 2 x.c`` for ``x = rows[row_list[t]]``, ``c = centers[center_list[t]]``, t < ``n_pairs``.

    Each dot product is the chain of :func:`~kmlab._kernels._intrinsics._gemm_order_dot`
    (the first product rounded alone, then a fused multiply-add per feature, in
    order), the values the group filter's lanes give
    (:func:`~kmlab._kernels._intrinsics.group_tile_minima_2`); CHAIN_PAIRS
    pairs' chains interleaved, the last call's extra pairs repeating the last pair.
    """
    n_features = rows.shape[1]
    for first in range(0, n_pairs, CHAIN_PAIRS):
        x0, c0 = row_list[first], center_list[first]
        x1, c1 = row_list[min(first + 1, n_pairs - 1)], center_list[min(first + 1, n_pairs - 1)]
        x2, c2 = row_list[min(first + 2, n_pairs - 1)], center_list[min(first + 2, n_pairs - 1)]
        x3, c3 = row_list[min(first + 3, n_pairs - 1)], center_list[min(first + 3, n_pairs - 1)]
        dot0 = cast_like(rows[x0, 0], centers[c0, 0]) * centers[c0, 0]
        dot1 = cast_like(rows[x1, 0], centers[c1, 0]) * centers[c1, 0]
        dot2 = cast_like(rows[x2, 0], centers[c2, 0]) * centers[c2, 0]
        dot3 = cast_like(rows[x3, 0], centers[c3, 0]) * centers[c3, 0]
        for f in range(1, n_features):
            dot0 = fma(cast_like(rows[x0, f], centers[c0, f]), centers[c0, f], dot0)
            dot1 = fma(cast_like(rows[x1, f], centers[c1, f]), centers[c1, f], dot1)
            dot2 = fma(cast_like(rows[x2, f], centers[c2, f]), centers[c2, f], dot2)
            dot3 = fma(cast_like(rows[x3, f], centers[c3, f]), centers[c3, f], dot3)
        out[first] = centers_sqnorm[c0] - (dot0 + dot0)
        if first + 1 < n_pairs:
            out[first + 1] = centers_sqnorm[c1] - (dot1 + dot1)
        if first + 2 < n_pairs:
            out[first + 2] = centers_sqnorm[c2] - (dot2 + dot2)
        if first + 3 < n_pairs:
            out[first + 3] = centers_sqnorm[c3] - (dot3 + dot3)


@njit(inline="always", cache=True)
def _formula_by_gemm(rows, n_rows, centers, centers_sqnorm, out):
    """``out[i, j] = ||c_j||^2 - 2 x_i.c_j`` for the first ``n_rows`` rows, by scikit-learn's BLAS call.

    scikit-learn fills its chunk with the centres' squared norms and calls
    ``gemm(RowMajor, NoTrans, Trans, rows, k, d, -2.0, X, d, C, d, 1.0, out, k)``,
    which is the Fortran ``gemm('T', 'N', k, rows, d, -2.0, C, d, X, d, 1.0, out, k)``
    made here: the same call rounds the same way (another transposition of the
    same product may not).
    """
    n_clusters, n_features = centers.shape
    for i in range(n_rows):
        _copy_into(out[i], centers_sqnorm)
    scalars = np.array([-2.0, 1.0], dtype=rows.dtype)
    kind = 115 if rows.itemsize == 4 else 100  # 's' or 'd'
    _fortran_gemm(
        kind, 84, 78, n_clusters, n_rows, n_features, scalars[0:].ctypes, centers.ctypes, n_features,
        rows.ctypes, n_features, scalars[1:].ctypes, out.ctypes, n_clusters,
    )  # fmt: skip


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _distance_from_formula(formula, x_sqnorm, error):
    """A lower bound of the distance whose formula value is ``formula`` (inf stays inf)."""
    if formula == np.inf:
        return np.inf
    return np.sqrt(max(x_sqnorm + formula - error, 0.0))


@njit(inline="always", cache=True)
def _feature_major_copy(centers, n_entries):
    """``(feature_major, centers_t)``: the centres feature-major, (d, k), when ``n_entries`` stored
    entries are to meet them, else an empty array.

    Feature-major, a stored entry meets every centre in one contiguous row, where
    reading ``centers[j, feature]`` for each j misses the cache for every centre of
    a wide vocabulary.  The copy costs k x d: rows with fewer than d / 4 stored
    entries (a predict call) read the centres in place.
    """
    if 4 * n_entries >= centers.shape[1]:
        return True, np.ascontiguousarray(centers.T)
    return False, np.empty((0, centers.shape[0]), dtype=centers.dtype)


@njit(inline="always", cache=True)
def _sparse_center_dots(data, indices, lo, hi, centers, centers_t, feature_major, dots):
    """``dots[j]`` = CSR row data[lo:hi] . centre j, in the dtype of ``dots``, adding the row's
    products in its stored order, from ``centers_t`` when ``feature_major`` (the same sums
    either way; :func:`_feature_major_copy`).  Inlined, it rounds as the calling kernel's
    fastmath flags say."""
    if feature_major:
        dots[:] = 0
        for p in range(lo, hi):
            value, column = data[p], centers_t[indices[p]]
            for j in range(dots.shape[0]):
                dots[j] += value * column[j]
    else:
        for j in range(dots.shape[0]):
            dots[j] = 0
            for p in range(lo, hi):
                dots[j] += data[p] * centers[j, indices[p]]


@njit(inline="always", cache=True)
def _sparse_nearest_center(data, indices, lo, hi, centers, centers_t, feature_major, centers_sqnorm, dots):
    """The label scikit-learn's sparse assignment gives CSR row data[lo:hi]: the first
    centre j with the lowest ``||c_j||^2 - 2 x.c_j`` (dots from :func:`_sparse_center_dots`,
    written to ``dots``)."""
    _sparse_center_dots(data, indices, lo, hi, centers, centers_t, feature_major, dots)
    best_label = 0
    best_dist = centers_sqnorm[0] - (dots[0] + dots[0])
    for j in range(1, dots.shape[0]):
        dist = centers_sqnorm[j] - (dots[j] + dots[j])
        if dist < best_dist:
            best_dist = dist
            best_label = j
    return best_label


# scikit-learn's sparse step rounds each product of a dot product before adding it.
@njit(parallel=True, cache=True, fastmath=SEPARATE_ROUNDING)
def assign_sparse(
    data,  # IN (nnz,) CSR values, float32/float64
    indices,  # IN (nnz,) CSR column indices
    indptr,  # IN (n + 1,) CSR row pointers
    sample_weight,  # IN (n,) same dtype as data
    centers,  # IN (k, d) same dtype as data
    centers_sqnorm,  # IN (k,) same dtype as data
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    update,  # IN bool
    with_inertia,  # IN bool
    labels,  # IN/OUT (n,) int32: previous labels in, new labels out
    block_sums,  # OUT (n_blocks, k, d) float64, written when update
    block_weights,  # OUT (n_blocks, k) float64, written when update
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64: labels that changed
):
    n_blocks = block_starts.shape[0] - 1
    n_clusters = centers.shape[0]
    center_sq64 = _center_sqnorms64(centers) if with_inertia else np.empty(0)
    feature_major, centers_t = _feature_major_copy(centers, data.shape[0])
    for b in prange(n_blocks):
        if update:
            block_sums[b, :, :] = 0.0
            block_weights[b, :] = 0.0
        inertia = 0.0
        changed = 0
        dots = np.empty(n_clusters, dtype=centers.dtype)
        for row in range(block_starts[b], block_starts[b + 1]):
            lo = indptr[row]
            hi = indptr[row + 1]
            best_label = _sparse_nearest_center(
                data, indices, lo, hi, centers, centers_t, feature_major, centers_sqnorm, dots
            )
            if labels[row] != best_label:
                changed += 1
                labels[row] = best_label
            weight = np.float64(sample_weight[row])
            if with_inertia:
                inertia += weight * _sparse_sq_dist(data, indices, lo, hi, centers, best_label, center_sq64)
            if update:
                block_weights[b, best_label] += weight
                for p in range(lo, hi):
                    block_sums[b, best_label, indices[p]] += _weighted(np.float64(data[p]), weight)
        block_inertia[b] = inertia
        block_changed[b] = changed


@njit(cache=True, fastmath=SEPARATE_ROUNDING)
def _weighted(value, weight):
    """``value * weight`` rounded before the caller adds it to a cluster's sum, as in
    scikit-learn's sums (a fused multiply-add would round once: other bits with float64
    weights).  Not inlined by numba, so that the callers' fastmath flags stay off it."""
    return value * weight


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _dense_sq_dist(X, offset, row, centers, label):
    """||fl(X[row] - offset) - centers[label]||^2 in float64, from exact differences."""
    acc = 0.0
    for f in range(X.shape[1]):
        acc += _sq_diff(X, offset, row, centers, label, f)
    return acc


# Additions in any order: the compiler then vectorises the sum (four scalar
# partial sums did not vectorise, and cost a tenth of the bounded assignments).
@njit(cache=True, fastmath=FASTMATH | {"reassoc"})
def _sq_dist_for_bound(X, offset, row, centers, label):
    """:func:`_dense_sq_dist` with its additions in any order.  The terms are not
    negative, so any order is within (d - 1) ulps' worth of the exact sum, like the
    ordered one, which the bounds' relative slack (:func:`_separated`) covers.  Not
    inlined, so that its fastmath flags stay its own (it runs for most samples at
    every bounded assignment)."""
    acc = 0.0
    for f in range(X.shape[1]):
        acc += _sq_diff(X, offset, row, centers, label, f)
    return acc


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _sq_diff(X, offset, row, centers, label, f):
    """``(fl(X[row, f] - offset[f]) - centers[label, f])^2`` in float64."""
    diff = np.float64(X[row, f] - offset[f]) - np.float64(centers[label, f])
    return diff * diff


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _center_sqnorms64(centers):
    """Each centre's squared norm in float64, added in feature order: what :func:`_sparse_sq_dist` starts from."""
    out = np.empty(centers.shape[0])
    for j in range(centers.shape[0]):
        acc = 0.0
        for f in range(centers.shape[1]):
            c = np.float64(centers[j, f])
            acc += c * c
        out[j] = acc
    return out


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _sparse_sq_dist(data, indices, lo, hi, centers, label, center_sq64):
    """||x - c||^2 in float64 for CSR row data[lo:hi] and centre ``label``.

    Sum of c_f^2 over the columns where x is zero, plus (x_f - c_f)^2 over its
    stored entries; both parts are non-negative, so nothing cancels badly.  The
    first starts from the centre's whole squared norm (``center_sq64``, from
    :func:`_center_sqnorms64`) less the stored columns' terms: O(stored entries),
    not O(features).
    """
    center_sq = center_sq64[label]
    stored = 0.0
    for p in range(lo, hi):
        c = np.float64(centers[label, indices[p]])
        diff = np.float64(data[p]) - c
        center_sq -= c * c
        stored += diff * diff
    return max(center_sq, 0.0) + stored


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def inertia_dense(
    X,  # IN (n, d)
    offset,  # IN (d,) dtype of X: rows are fl(x - offset)
    sample_weight,  # IN (n,)
    centers,  # IN (k, d)
    labels,  # IN (n,) int32
    block_starts,  # IN (n_blocks + 1,) int64
    block_inertia,  # OUT (n_blocks,) float64
):
    for b in prange(block_starts.shape[0] - 1):
        start, stop = block_starts[b], block_starts[b + 1]
        block_inertia[b] = _block_inertia(X, offset, sample_weight, centers, labels, start, stop)


@njit(cache=True, fastmath=FASTMATH)
def _block_inertia(X, offset, sample_weight, centers, labels, start, stop):
    """Weighted squared distances of rows ``start:stop`` to their centres, added in row order.

    Four rows at a time, each row's distance in its own chain over the features: one row's
    chain of ``d`` dependent additions waits on the adder's latency, four independent chains
    keep it busier (blobs 100k x 16, 2 threads of a Zen 3 core: 0.62 ms a pass against 0.76).
    Every row's distance is still added in feature order and the rows in row order, so the
    bits are those of one row at a time.
    """
    inertia = 0.0
    stop4 = start + (stop - start) // 4 * 4
    for row in range(start, stop4, 4):
        label0, label1, label2, label3 = labels[row], labels[row + 1], labels[row + 2], labels[row + 3]
        sq0 = sq1 = sq2 = sq3 = 0.0
        for f in range(X.shape[1]):
            sq0 += _sq_diff(X, offset, row, centers, label0, f)
            sq1 += _sq_diff(X, offset, row + 1, centers, label1, f)
            sq2 += _sq_diff(X, offset, row + 2, centers, label2, f)
            sq3 += _sq_diff(X, offset, row + 3, centers, label3, f)
        inertia += np.float64(sample_weight[row]) * sq0
        inertia += np.float64(sample_weight[row + 1]) * sq1
        inertia += np.float64(sample_weight[row + 2]) * sq2
        inertia += np.float64(sample_weight[row + 3]) * sq3
    for row in range(stop4, stop):
        inertia += np.float64(sample_weight[row]) * _dense_sq_dist(X, offset, row, centers, labels[row])
    return inertia


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def inertia_sparse(
    data,  # IN (nnz,)
    indices,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    sample_weight,  # IN (n,)
    centers,  # IN (k, d)
    labels,  # IN (n,) int32
    block_starts,  # IN (n_blocks + 1,) int64
    block_inertia,  # OUT (n_blocks,) float64
):
    n_blocks = block_starts.shape[0] - 1
    center_sq64 = _center_sqnorms64(centers)
    for b in prange(n_blocks):
        inertia = 0.0
        for row in range(block_starts[b], block_starts[b + 1]):
            sq_dist = _sparse_sq_dist(data, indices, indptr[row], indptr[row + 1], centers, labels[row], center_sq64)
            inertia += np.float64(sample_weight[row]) * sq_dist
        block_inertia[b] = inertia


@njit(parallel=True, cache=True)
def reduce_blocks(
    block_sums,  # IN (n_blocks, k, d) float64
    block_weights,  # IN (n_blocks, k) float64
    sums,  # OUT (k, d) float64
    weights,  # OUT (k,) float64
):
    for j in prange(sums.shape[0]):
        _reduce_cluster(np.int64(j), block_sums, block_weights, sums, weights)


@njit(cache=True)
def _reduce_cluster(j, block_sums, block_weights, sums, weights):
    """Cluster ``j`` of :func:`reduce_blocks`: its blocks added in order."""
    weights[j] = 0.0
    sums[j, :] = 0.0
    for b in range(block_sums.shape[0]):
        weights[j] += block_weights[b, j]
        for f in range(block_sums.shape[2]):
            sums[j, f] += block_sums[b, j, f]


@njit(cache=True)
def average_centers(
    sums,  # IN (k, d) float64 weighted sums of each cluster
    weights,  # IN (k,) float64 total weight of each cluster
    centers_old,  # IN (k, d)
    centers_new,  # OUT (k, d) same dtype as centers_old
    moves,  # OUT (k,) float64 distance between old and new centre
):
    """New centres from the sums; returns the total squared centre shift.

    scikit-learn's rules, in its order: a centre is its sum times the reciprocal
    weight; an empty cluster (one that could not be relocated) copies row
    ``argmax(weights)`` as it stands at that point of the loop: the heaviest
    centre if it came earlier, its still unaveraged sum if it comes later.
    """
    n_clusters, n_features = sums.shape
    heaviest = np.argmax(weights)
    shift = 0.0
    for j in range(n_clusters):
        move = 0.0
        for f in range(n_features):
            if weights[j] > 0:
                centers_new[j, f] = sums[j, f] * (1.0 / weights[j])
            elif heaviest < j:
                centers_new[j, f] = centers_new[heaviest, f]
            else:
                centers_new[j, f] = sums[heaviest, f]
            diff = np.float64(centers_new[j, f]) - np.float64(centers_old[j, f])
            move += diff * diff
        shift += move
        moves[j] = np.sqrt(move)
    return shift


@njit(parallel=True, cache=True, fastmath=SEPARATE_ROUNDING)
def relocation_sq_distances_sparse(
    data,  # IN (nnz,) float32/float64
    indices,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    centers,  # IN (k, d) dtype of data
    centers_sqnorm,  # IN (k,) dtype of data: scikit-learn's row_norms(centers, squared=True)
    labels,  # IN (n,) int32
    out,  # OUT (n,) dtype of data
):
    """Squared distance of each CSR row to its own centre, as scikit-learn's relocation of
    empty clusters computes it (:func:`_sklearn_sparse_dense_sq_distance`, each product
    rounded on its own): the same bits, so that the same samples are the farthest."""
    for i in prange(indptr.shape[0] - 1):
        out[i] = _sklearn_sparse_dense_sq_distance(
            data, indices, indptr[i], indptr[i + 1], centers, centers_sqnorm, labels[i]
        )


@njit(inline="always", cache=True)
def _sklearn_sparse_dense_sq_distance(data, indices, lo, hi, centers, centers_sqnorm, label):
    """scikit-learn's ``_euclidean_sparse_dense`` (squared) of CSR row data[lo:hi] and centre
    ``label``: in the data's dtype, from 0, ``(x_f - c_f)^2 - c_f^2`` for each stored entry
    in order, then ``+ ||c||^2`` (``centers_sqnorm``, its ``row_norms``), clipped at 0.
    Inlined, it rounds as the caller's fastmath flags say: callers that reproduce
    scikit-learn's bits leave contraction off (its build has no fused multiply-add)."""
    result = cast_like(0.0, centers_sqnorm[label])
    for p in range(lo, hi):
        center_value = centers[label, indices[p]]
        diff = data[p] - center_value
        result += diff * diff - center_value * center_value
    result += centers_sqnorm[label]
    if result < 0:
        result = cast_like(0.0, result)
    return result


@njit(cache=True, fastmath=SEPARATE_ROUNDING)
def numpy_row_sqnorms(
    A,  # IN (m, d) float32/float64
    out,  # OUT (m,) dtype of A
):
    """``np.einsum("ij,ij->i", A, A)`` bit for bit: scikit-learn's ``row_norms`` of the centres.

    numpy's order (:func:`~kmlab._kernels.packing._einsum_sqnorms_t`) on a
    transposed copy of ``A``, in A's dtype.  The driver checks once that this is
    numpy's result on the running machine (:func:`kmlab._lloyd.one_call_run_supported`)
    before relying on it.
    """
    acc = np.empty((16 // A.itemsize, A.shape[0]), dtype=A.dtype)
    _einsum_sqnorms_t(np.ascontiguousarray(A.T), A.shape[0], A.shape[1], acc, out)


@njit(cache=True, fastmath=SEPARATE_ROUNDING)
def numpy_column_moments(
    X,  # IN (n, d) float32/float64, C-contiguous, n >= 1
    mean,  # OUT (d,) dtype of X: X.mean(axis=0)
    var,  # OUT (d,) dtype of X: np.var(X, axis=0), written when with_var
    with_var,  # IN bool
):
    """``X.mean(axis=0)`` and ``np.var(X, axis=0)`` bit for bit, in one or two passes over X.

    numpy reduces a C-ordered array of two columns or more over axis 0 row
    after row, in X's dtype (a single column pairwise: the driver leaves that to numpy);
    it divides in float64 (the count is a numpy integer) and stores in X's
    dtype; the variance squares ``x - mean`` in X's dtype, then adds and divides
    the same way.  scikit-learn's tolerance rule and the centring offset are
    these two numbers; numpy takes several passes and temporary copies of X.
    The driver checks once that this is numpy's result on the running machine
    (:func:`kmlab._lloyd.column_moments_supported`) before relying on it.
    """
    n_samples, n_features = X.shape
    acc = X[0].copy()
    for i in range(1, n_samples):
        for f in range(n_features):
            acc[f] += X[i, f]
    for f in range(n_features):
        mean[f] = np.float64(acc[f]) / n_samples
    if not with_var:
        return
    acc[:] = 0.0
    for i in range(n_samples):
        for f in range(n_features):
            diff = X[i, f] - mean[f]
            acc[f] += diff * diff
    for f in range(n_features):
        var[f] = np.float64(acc[f]) / n_samples


@njit(cache=True)
def numpy_sum(values):  # IN (m,) float64, m <= 128
    """``np.sum(values)`` bit for bit, for up to 128 values (numpy's pairwise block).

    Fewer than 8 values are added in order; otherwise 8 running sums over the
    whole blocks of 8, combined as a tree, then the rest in order.
    """
    n = values.shape[0]
    if n < 8:
        total = -0.0
        for i in range(n):
            total += values[i]
        return 0.0 + total
    partial = values[:8].copy()
    i = 8
    while i < n - n % 8:
        for j in range(8):
            partial[j] += values[i + j]
        i += 8
    total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + (
        (partial[4] + partial[5]) + (partial[6] + partial[7])
    )
    for j in range(i, n):
        total += values[j]
    return 0.0 + total


def lloyd_run_dense(
    X,  # IN (n, d) float32/float64, C-contiguous, raw (not centred)
    offset,  # IN (d,) dtype of X: the kernel works on rows fl(x - offset)
    sample_weight,  # IN (n,) dtype of X
    block_starts,  # IN (n_blocks + 1,) int64 row offsets, n_blocks <= 128
    max_iter,  # IN int64
    tol,  # IN float64 bound on the total squared centre shift
    direct,  # IN bool: distances by _formula_values instead of GEMM (as assign_dense)
    packed,  # IN pack_rows_dense's rows, or none (as assign_dense)
    resume,  # IN bool: iteration state[0] stopped at its empty clusters, which the driver relocated
    centers,  # IN/OUT (k, d) dtype of X: the current centres in, the final ones out
    centers_new,  # SCRATCH (k, d) dtype of X
    labels,  # IN/OUT (n,) int32 (-1: none yet)
    sums,  # IN/OUT (k, d) float64 weighted sums of the last assignment (read when resume)
    weights,  # IN/OUT (k,) float64 their weights (read when resume)
    block_sums,  # SCRATCH (n_blocks, k, d) float64
    block_weights,  # SCRATCH (n_blocks, k) float64
    block_inertia,  # SCRATCH (n_blocks,) float64
    block_changed,  # SCRATCH (n_blocks,) int64
    block_computed,  # SCRATCH (n_blocks,) int64
    moves,  # SCRATCH (k,) float64
    state,  # IN/OUT (2,) int64: the iteration, and the labels its assignment changed
):
    """A whole run of plain Lloyd in one call, with the arithmetic of the step kernels.

    The same blocks and calls as :func:`assign_dense` (without bounds; the
    blocks in parallel), :func:`reduce_blocks`, :func:`average_centers` and
    :func:`inertia_dense` (the blocks added in order), and numpy's rounding
    where the driver uses numpy (:func:`numpy_row_sqnorms`, :func:`numpy_sum`):
    the iterates of :func:`kmlab._lloyd.kmeans_single_lloyd` bit for bit,
    whatever the thread count, without its Python overhead per iteration
    (several kernel calls and numpy operations, tens of microseconds).  The
    stopping rules are scikit-learn's, as there.

    Returns ``(finished, inertia)``.  Not finished: the assignment of iteration
    ``state[0]`` left a cluster empty; ``sums``/``weights`` hold its sums and
    ``centers`` the centres it used.  The driver relocates (numpy's
    ``argpartition`` picks the samples), then calls again with ``resume``.
    Finished: ``state[0]`` is the number of iterations, ``state[1]`` 1 when a
    last assignment followed them (no strict convergence), and ``inertia`` that
    of the final labels with respect to the final centres.
    """
    n_blocks = block_starts.shape[0] - 1
    n_clusters, n_features = centers.shape
    sqnorms = np.empty(n_clusters, dtype=X.dtype)
    # A flag as a value, not a literal constant: a literal would compile the
    # block function once more for each value.
    updating = state.shape[0] > 0
    iteration = state[0]
    strict_convergence = False
    while True:
        if resume:
            n_changed = state[1]
            resume = False
        else:
            n_changed = _assign_blocks(
                X, offset, sample_weight, centers, sqnorms, block_starts, updating, direct, packed, labels,
                block_sums, block_weights, block_inertia, block_changed, block_computed, moves,
            )  # fmt: skip
            for j in range(n_clusters):
                _reduce_cluster(j, block_sums, block_weights, sums, weights)
            for j in range(n_clusters):
                if weights[j] == 0.0:
                    state[0] = iteration
                    state[1] = n_changed
                    return False, 0.0
        center_shift = average_centers(sums, weights, centers, centers_new, moves)
        centers[:, :] = centers_new
        if n_changed == 0:
            strict_convergence = True
            break
        if center_shift <= tol or iteration + 1 == max_iter:
            break
        iteration += 1

    if not strict_convergence:
        _assign_blocks(
            X, offset, sample_weight, centers, sqnorms, block_starts, not updating, direct, packed, labels,
            block_sums, block_weights, block_inertia, block_changed, block_computed, moves,
        )  # fmt: skip
    for b in prange(n_blocks):
        start, stop = block_starts[b], block_starts[b + 1]
        block_inertia[b] = _block_inertia(X, offset, sample_weight, centers, labels, start, stop)
    state[0] = iteration + 1
    state[1] = 0 if strict_convergence else 1
    return True, numpy_sum(block_inertia)


# Two builds of the run: the parallel one for runs whose blocks are worth
# threads, the serial one for small runs (starting a parallel loop costs some
# microseconds even on one thread: a 3-iteration run of 300 samples took 52 us
# instead of 29).  numba caches compiled code by function name: the parallel
# build is a copy of the function under its own name.
lloyd_run_dense_parallel = njit(parallel=True, cache=True, fastmath=FASTMATH)(
    renamed_copy(lloyd_run_dense, "lloyd_run_dense_parallel")
)
lloyd_run_dense = njit(cache=True, fastmath=FASTMATH)(lloyd_run_dense)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _assign_blocks(
    X, offset, sample_weight, centers, sqnorms, block_starts, update, direct, packed, labels, block_sums,
    block_weights, block_inertia, block_changed, block_computed, moves,
):  # fmt: skip
    """Every block of :func:`assign_dense` without bounds; returns the labels changed.

    Inlined, so that its loop over the blocks runs in parallel in :func:`lloyd_run_dense`.
    """
    numpy_row_sqnorms(centers, sqnorms)
    # Bounds off: dummies of the right types, and False and 0 as values (see lloyd_run_dense).
    off = update and not update
    zero = block_starts.shape[0] - block_starts.shape[0]
    no_moves = np.zeros(2)
    no_groups = np.zeros(centers.shape[0], dtype=np.int64)
    no_drift = np.zeros((1, 1))
    no_bound = np.empty(1)
    no_bounds = np.empty((1, 1), dtype=np.float32)
    no_stamp = np.zeros((1, 1), dtype=np.int16)
    no_group_blocks = np.empty((0, centers.shape[1], LANES), dtype=X.dtype)
    no_slot_sqnorms = np.empty(0, dtype=X.dtype)
    no_slots = np.empty(0, dtype=np.int64)
    no_first_block = np.zeros(1, dtype=np.int64)
    no_classes = np.zeros((2, CHUNK), dtype=np.int64)
    no_calls = np.zeros((1, CHUNK + 1), dtype=np.int64)
    no_capacity = np.zeros((1, 1), dtype=np.int64)
    # sums_kept with update: in a run, each block's sums are those of its labels
    # (set by the run's previous assignment; a new run starts without labels).
    for b in prange(block_starts.shape[0] - 1):
        _assign_block(
            np.int64(b), X, offset, sample_weight, centers, sqnorms, block_starts, update, update, off, direct, packed,
            off, off, moves, no_moves, zero, no_groups, no_drift, zero, no_bound, 0.0, 0.0, labels, no_bound,
            no_bound, no_bounds, no_stamp, no_group_blocks, no_slot_sqnorms, no_slots, no_first_block, off,
            no_classes, no_calls, no_capacity, block_sums, block_weights, block_inertia, block_changed,
            block_computed,
        )  # fmt: skip
    return block_changed.sum()


@njit(cache=True)
def group_net_drifts(
    centers,  # IN (k, d) the centres now
    snapshots,  # IN (S, k, d) earlier centres
    slots,  # IN (m,) int64 the snapshots to compare with
    group_of,  # IN (k,) int64 bound group of each centre
    out,  # OUT (S, G) float64: rows ``slots``, the others untouched
):
    """``out[s, g]`` >= the largest distance a centre of group g moved from ``snapshots[s]`` to ``centers``.

    In float64 from the stored coordinates, rounded up by a bound of the sum's
    and the square root's rounding.
    """
    n_clusters, n_features = centers.shape
    round_up = 1.0 + (n_features + 4) * 2.0**-52
    for s in slots:
        out[s, :] = 0.0
        for j in range(n_clusters):
            total = 0.0
            for f in range(n_features):
                diff = np.float64(centers[j, f]) - np.float64(snapshots[s, j, f])
                total += diff * diff
            g = group_of[j]
            out[s, g] = max(out[s, g], np.sqrt(total) * round_up)
