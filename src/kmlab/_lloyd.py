"""Lloyd driver: buffers, bounds, the iteration loop, and the choice of kernel.

The input here is already valid (C-ordered float32/float64 dense array or CSR
matrix with int32 indices, non-negative sample weights of the same dtype); the
estimators checked it.  Dense data is never copied: the kernels work on the rows
``fl(x - offset)`` (scikit-learn centres dense data on a copy; computing the same
differences on the fly gives the same numbers without the copy).  Every function
runs its kernels inside :func:`kmlab._threads.kernel_threads` set by the caller.

The step the loop needs from an engine is :meth:`LloydWorkspace.assign`:
``(X, centers) -> labels, partial sums, weights, inertia``.  A GPU or a
distributed backend can later supply the same step.

Dense runs without bounds skip that loop: one kernel call,
:func:`kmlab._kernels.lloyd.lloyd_run_dense`, runs the whole run with the same
arithmetic (see :func:`runs_in_one_call`), so that the Python overhead of an
iteration (tens of microseconds) does not weigh on fits whose iterations take
less than a millisecond.
"""

import hashlib
import math
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from ._kernels._config import CHUNK, PADDED_MAX_WIDTH, _padded_width
from ._kernels._intrinsics import LANES, group_lanes
from ._kernels.lloyd import (
    assign_dense,
    assign_sparse,
    average_centers,
    group_net_drifts,
    direct_formula_values,
    group_formula_values,
    inertia_dense,
    inertia_sparse,
    lloyd_run_dense,
    lloyd_run_dense_parallel,
    numpy_column_moments,
    numpy_row_sqnorms,
    numpy_sum,
    place_formula_values,
    reduce_blocks,
    relocation_sq_distances_sparse,
)
from ._kernels.packing import PACKED_ROWS, pack_rows_dense
from ._threads import MIN_WORK_PER_THREAD, blas_controller, threads_for

# Blocks are the unit of parallel work and of partial sums.  Their number depends
# on the data's shape only, so results do not depend on the thread count.
MAX_BLOCKS = 64
# Bound on the per-block partial sums, n_blocks * n_clusters * n_features * 8 bytes.
PARTIAL_SUMS_BYTES = 32 * 2**20
# Bound on the lower bounds kept per sample with their steps, n_samples * n_groups
# * BOUND_ENTRY_BYTES (a float32 bound and an int16 step).  With net drifts
# (GroupDrifts) fewer groups do as well: gaussian 200,000 x 64, k=1000, 89
# bounded assignments on 2 threads: 16 MiB (13 groups) 5.0-5.3 s, 24 MiB (20)
# 4.8-4.9, 32 MiB (27) 4.4-4.8, 64 MiB (55) 5.1-5.5.
BOUNDS_BYTES = 32 * 2**20
BOUND_ENTRY_BYTES = 6
# Steps an int16 stamp holds: a run that gets there sets its bounds afresh.
BOUND_STEP_LIMIT = np.iinfo(np.int16).max
# Bound on the copies of earlier centres that measure the groups' net drift (GroupDrifts).
SNAPSHOTS_BYTES = 8 * 2**20
# Bound on the packed copy of the rows (packed_rows).  Beyond it nothing is packed:
# the direct assignment transposes a step of rows at a time, k-means++ screens.
PACKED_BYTES = 2**30
# Bound on the temporary arrays of the relocation's distances (numpy, a few rows at a time).
RELOCATION_CHUNK_BYTES = 8 * 2**20

# Exact variants, by the number of lower bounds each sample keeps.
ALGORITHMS = ("lloyd", "hamerly", "yinyang", "elkan")

# Runs without bounds on dense data whose assignment costs fewer multiply-adds
# than this (n_samples * n_clusters * n_features) go through one kernel call.
# Below it the Python overhead of an iteration (about 80 us: digits, 1,797 x 64,
# k=10, 0.23 ms per iteration in the loop) matters; above it, an iteration takes
# tens of milliseconds, the overhead is lost in it, and the loop lets Ctrl-C
# through between iterations.
ONE_CALL_MAX_WORK = 2**28
# ... and from this much work on, the run's blocks go in parallel
# (lloyd_run_dense_parallel); below it the kernels would get one thread anyway
# (kmlab._threads.threads_for), and the serial build saves the start of a
# parallel loop per step.
PARALLEL_RUN_MIN_WORK = 2 * MIN_WORK_PER_THREAD


def scaled_tolerance(X, tol, variances=None):
    """``tol`` scaled by the mean variance of the features (scikit-learn's rule).

    ``variances``: those of X's features (numpy's ``np.var(X, axis=0)``) when
    the caller has them.
    """
    if tol == 0:
        return 0
    if variances is not None:
        return np.mean(variances) * tol
    if sp.issparse(X):
        from sklearn.utils.sparsefuncs import mean_variance_axis  # sparse input comes from scikit-learn users

        variances = mean_variance_axis(X, axis=0)[1]
    else:
        variances = column_moments(X, with_var=True)[1]
    return np.mean(variances) * tol


def column_moments(X, with_var=False):
    """``(X.mean(axis=0), np.var(X, axis=0) or None)`` for valid dense X, numpy's numbers.

    One or two passes of :func:`kmlab._kernels.lloyd.numpy_column_moments`
    where it rounds as numpy here (:func:`column_moments_supported`), numpy itself
    otherwise, and for a single feature: numpy then sums the one contiguous
    column pairwise, not row after row.
    """
    if not column_moments_supported(X.dtype) or not X.flags.c_contiguous or X.shape[1] == 1:
        # Quietly, as the kernel: KMeans.fit checks NaN and infinity from the means.
        with np.errstate(invalid="ignore", over="ignore"):
            return X.mean(axis=0), (np.var(X, axis=0) if with_var else None)
    mean = np.empty(X.shape[1], dtype=X.dtype)
    var = np.empty(X.shape[1] if with_var else 0, dtype=X.dtype)
    numpy_column_moments(X, mean, var, with_var)
    return mean, (var if with_var else None)


@lru_cache(maxsize=None)
def column_moments_supported(dtype):
    """Whether :func:`kmlab._kernels.lloyd.numpy_column_moments` gives numpy's bits for ``dtype`` here.

    Checked once per process on shapes from 1 x 1 to 5000 x 70, values over six
    orders of magnitude with an offset (so that rounding shows).
    """
    rng = np.random.default_rng(0)
    for n_samples, n_features in [(1, 1), (2, 3), (7, 2), (300, 3), (1000, 17), (5000, 3), (4097, 70)]:
        X = (5.0 + rng.standard_normal((n_samples, n_features)) * 10.0 ** rng.uniform(-3, 3, n_features)).astype(dtype)
        mean, var = np.empty(n_features, dtype=dtype), np.empty(n_features, dtype=dtype)
        numpy_column_moments(X, mean, var, True)
        if not (np.array_equal(mean, X.mean(axis=0)) and np.array_equal(var, np.var(X, axis=0))):
            return False
    return True


# Data with at most this many features may compare the samples with the centres
# without GEMM (see direct_supported): the direct kernel keeps a padded dot
# product in registers and vectorises over the rows, argmin included, where GEMM
# writes its output for a scalar argmin to read.  Measured on 2 cores, per
# iteration on 100,000 blobs: 1.5 (16 features, 64 centres) to 4.5 times (3
# features, 1024 centres) faster than GEMM; china.jpg, k=256: 9.6 ms vs 41.
# Where the check fails (float32 from 8 features with OpenBLAS's Haswell kernels),
# the direct kernel as a screen (second smallest value kept, chunks with a near
# tie through GEMM) lost on an AVX2 Zen 3: blobs 100k x 16 float32, k=32, one
# assignment on 2 threads 6.5 ms against GEMM's 3.3 (4.0 without the screen).
DIRECT_MAX_FEATURES = PADDED_MAX_WIDTH


def direct_supported(dtype, n_features, n_clusters, n_samples=CHUNK):
    """Whether the direct kernel gives scikit-learn's values on ``n_samples`` rows of this shape here.

    scikit-learn compares ``||c||^2 - 2 x.c`` from one BLAS GEMM call per chunk
    of 256 rows, the last one shorter (``_gemm(RowMajor, NoTrans, Trans, ...,
    -2.0, X, C, 1.0, D)``, with D holding the centres' squared norms).  The
    direct kernel (:func:`kmlab._kernels.lloyd.direct_formula_values`) adds the
    products of each entry in a chain of fused multiply-adds, which is what the
    BLAS kernels do on x86-64 for most shapes but not all (with 48 features and
    two centres, OpenBLAS accumulates otherwise).  So it is used only where the
    same Fortran call through scipy gives the same bits, every row of a chunk,
    for the sizes of chunk that ``n_samples`` rows make, on rows whose
    magnitudes vary over four orders.  Checked once per dtype, shape and chunk
    size per process: two GEMM calls, where checking every size up to 256 took
    0.28 s with 16 features and 1024 centres.
    """
    if n_features > DIRECT_MAX_FEATURES:
        return False
    return all(_direct_matches_gemm(np.dtype(dtype), n_features, n_clusters, size) for size in _chunk_sizes(n_samples))


def _chunk_sizes(n_samples):
    """The sizes of scikit-learn's chunks of ``n_samples`` rows: CHUNK, and the last one's."""
    return {min(n_samples, CHUNK), n_samples % CHUNK} - {0}


@lru_cache(maxsize=None)
def _direct_matches_gemm(dtype, n_features, n_clusters, chunk_rows):
    """:func:`direct_supported` for one chunk of ``chunk_rows`` rows."""
    rows, centers, sqnorms = _check_operands(dtype, n_features, n_clusters, chunk_rows)
    direct = np.empty((chunk_rows, n_clusters), dtype=dtype)
    direct_formula_values(rows, centers, sqnorms, direct)
    return np.array_equal(_gemm_formula_values(rows, centers, sqnorms), direct)


def _check_operands(dtype, n_features, n_clusters, chunk_rows):
    """Rows whose magnitudes vary over four orders, centres and their squared norms, for the checks."""
    rng = np.random.default_rng(0)
    rows = (rng.standard_normal((chunk_rows, n_features)) * 10.0 ** rng.uniform(-2, 2, (chunk_rows, 1))).astype(dtype)
    centers = rng.standard_normal((n_clusters, n_features)).astype(dtype)
    return rows, centers, center_sqnorms(centers)


def _gemm_formula_values(rows, centers, sqnorms):
    """``||c||^2 - 2 x.c`` for one chunk of rows, by scikit-learn's BLAS call."""
    from scipy.linalg import blas

    gemm = blas.sgemm if rows.dtype == np.float32 else blas.dgemm
    # Column-major D^T (k x m) = -2 C X^T + D^T: scikit-learn's row-major call,
    # on one BLAS thread as scikit-learn makes it (threads may split a product otherwise).
    start = np.asfortranarray(np.repeat(sqnorms[:, None], rows.shape[0], axis=1))
    with blas_controller().limit(limits=1, user_api="blas"):
        return gemm(-2.0, centers.T, rows.T, beta=1.0, c=start, trans_a=1).T


# The sizes of GEMM call that the bounded variants' gathered rows may get
# (kmlab._kernels.lloyd._assign_gathered), so that a few rows late in a run go
# in a short call: every multiple of 4 up to 64, of 16 beyond.
GATHER_CALL_SIZES = tuple(range(4, 64, 4)) + tuple(range(64, CHUNK + 1, 16))
# Values compared per place when finding the classes of places (4 probes at least, 32 at most).
PLACE_CHECK_VALUES = 1024


def gemm_place_classes(dtype, n_features, n_clusters, n_samples):
    """Where in which GEMM call a gathered row rounds as in its scikit-learn chunk, for this shape here.

    BLAS kernels may round a row's values by its place in the call: OpenBLAS's
    Haswell sgemm takes the rows twelve at a time, the first six in one order
    and the next six in another, a remainder of four or of eight in a third or
    a fourth, so that a row's values depend on its place modulo 12 and on the
    call's size.  Places that give the same bits form a class; a gathered row
    may go to any place of the class of its place in scikit-learn's chunk (row
    % CHUNK, in a call of that chunk's size).  The classes are found on this
    machine's BLAS, through the kernels' call: one row copied to every place
    of calls of each size in GATHER_CALL_SIZES and of the chunks' sizes, a
    new row and new centres for each probe, until each place has
    PLACE_CHECK_VALUES values (4 probes at least, 32 at most); places are
    grouped by the bits of all their values (a 128-bit digest of them; places whose arithmetic differs
    do not agree on a thousand values; float64 GEMM here: one class).  Found
    once per dtype, shape and size of the last chunk per process: 10-70 ms
    on an AVX2 core (k=64: 32 probes were 45 ms, 16 are 21 ms).

    Returns ``(wanted, call_classes, call_capacity)``, int64: ``wanted``
    (2, CHUNK) the class of each place of a whole chunk (row 0) and of the
    last, shorter one (row 1; -1 where it has none); ``call_classes``
    (n_sizes, CHUNK + 1) a call size per row, ascending, in column 0, then the
    class of each of its places, -1 for a place of no chunk's class and beyond
    the size; ``call_capacity`` (n_sizes, n_classes) how many places of each
    class each call has.
    """
    return _place_classes(np.dtype(dtype), n_features, n_clusters, n_samples >= CHUNK, n_samples % CHUNK)


@lru_cache(maxsize=None)
def _place_classes(dtype, n_features, n_clusters, whole_chunks, last_rows):
    """:func:`gemm_place_classes` for data with whole chunks or not and a last chunk of ``last_rows`` rows (0: none)."""
    chunk_sizes = ({CHUNK} if whole_chunks else set()) | ({last_rows} if last_rows else set())
    sizes = sorted(set(GATHER_CALL_SIZES) | chunk_sizes)
    n_probes = min(32, max(4, -(-PLACE_CHECK_VALUES // n_clusters)))
    rng = np.random.default_rng(0)
    probe_rows = (rng.standard_normal((n_probes, n_features)) * 10.0 ** rng.uniform(-2, 2, (n_probes, 1))).astype(dtype)
    probe_centers = rng.standard_normal((n_probes, n_clusters, n_features)).astype(dtype)
    probe_sqnorms = np.array([center_sqnorms(centers) for centers in probe_centers])
    signatures = {}
    # The kernels' GEMM call, on one BLAS thread as in a fit.
    with blas_controller().limit(limits=1, user_api="blas"):
        for size in sizes:
            values = np.empty((size, n_probes, n_clusters), dtype=dtype)
            place_formula_values(probe_rows, probe_centers, probe_sqnorms, size, values)
            # A digest per place, not its bytes: those of every place of every size
            # at once came to 38 MiB at k=1000, a third of the gaussian fit's peak.
            signatures[size] = [hashlib.blake2b(place, digest_size=16).digest() for place in values]
    classes = {}
    wanted = np.full((2, CHUNK), -1, dtype=np.int64)
    for which, size in ((0, CHUNK if whole_chunks else 0), (1, last_rows)):
        for place in range(size):
            wanted[which, place] = classes.setdefault(signatures[size][place], len(classes))
    call_classes = np.full((len(sizes), CHUNK + 1), -1, dtype=np.int64)
    for i, size in enumerate(sizes):
        call_classes[i, 0] = size
        call_classes[i, 1 : size + 1] = [classes.get(signature, -1) for signature in signatures[size]]
    call_capacity = np.zeros((len(sizes), len(classes)), dtype=np.int64)
    for i, size in enumerate(sizes):
        np.add.at(call_capacity[i], call_classes[i, 1 : size + 1][call_classes[i, 1 : size + 1] >= 0], 1)
    return wanted, call_classes, call_capacity


# Yinyang's group filter pays where a group fills most of an AVX2 block of LANES slots
# (see group_layout): with smaller groups (Elkan's one centre per group), GEMM.
GROUP_FILTER_MIN_GROUP_SIZE = LANES // 2


def group_filter_supported(dtype, n_features, n_clusters, n_samples=CHUNK):
    """Whether Yinyang's group filter gives scikit-learn's values on ``n_samples`` rows of this shape here.

    The filter (:func:`kmlab._kernels.lloyd._label_batch_by_groups`) compares a
    sample with a few groups of centres, each formula value a chain of fused
    multiply-adds in feature order: what OpenBLAS's GEMM kernels compute for
    each entry on x86-64 for most shapes, but not all.  So, as for
    :func:`direct_supported`, its values decide the labels only where
    scikit-learn's GEMM call gives the same bits on chunks of the sizes
    ``n_samples`` rows make (checked once per dtype, shape and chunk size per
    process); elsewhere the filter is a screen: a sample whose nearest centre
    another one's value comes within the rounding errors of both evaluations of
    goes through GEMM (on this AVX2 machine: float32 data from 8 features on).
    """
    return all(_group_filter_matches_gemm(np.dtype(dtype), n_features, n_clusters, size) for size in _chunk_sizes(n_samples))


@lru_cache(maxsize=None)
def _group_filter_matches_gemm(dtype, n_features, n_clusters, chunk_rows):
    """:func:`group_filter_supported` for one chunk of ``chunk_rows`` rows."""
    rows, centers, sqnorms = _check_operands(dtype, n_features, n_clusters, chunk_rows)
    # Groups of every size from 1 on, so that every lane of a block is checked.
    group_of = np.minimum(np.sqrt(2 * np.arange(n_clusters)).astype(np.int64), n_clusters - 1)
    slot_centers, first_block = group_layout(group_of, int(group_of.max()) + 1, dtype)
    group_blocks, slot_sqnorms = fill_group_layout(centers, sqnorms, slot_centers)
    values = np.empty((chunk_rows, n_clusters), dtype=dtype)
    group_formula_values(rows, centers, sqnorms, group_blocks, slot_sqnorms, slot_centers, values)
    return np.array_equal(_gemm_formula_values(rows, centers, sqnorms), values)


def group_layout(group_of, n_groups, dtype):
    """Where each centre sits for Yinyang's group filter on data of ``dtype``: slots by group,
    each group padded to whole blocks of ``group_lanes(dtype)`` slots.

    Returns ``slot_centers`` (the centre in each slot, ``k`` in padding) and
    ``first_block`` (n_groups + 1: group g holds the lane blocks
    ``first_block[g]:first_block[g + 1]``).
    """
    lanes = group_lanes(dtype)
    n_clusters = group_of.shape[0]
    counts = np.bincount(group_of, minlength=n_groups)
    first_block = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(-(-counts // lanes), out=first_block[1:])
    order = np.argsort(group_of, kind="stable")
    rank = np.arange(n_clusters) - np.repeat(np.cumsum(counts) - counts, counts)
    slot_centers = np.full(first_block[-1] * lanes, n_clusters, dtype=np.int64)
    slot_centers[first_block[group_of[order]] * lanes + rank] = order
    return slot_centers, first_block


def empty_group_layout(slot_centers, n_features, dtype):
    """Unfilled arrays for :func:`fill_group_layout`: ``(group_blocks, slot_sqnorms)``."""
    n_slots, lanes = slot_centers.shape[0], group_lanes(dtype)
    return np.empty((n_slots // lanes, n_features, lanes), dtype=dtype), np.empty(n_slots, dtype=dtype)


def fill_group_layout(centers, sqnorms, slot_centers, group_blocks=None, slot_sqnorms=None):
    """The centres and their squared norms by slot (:func:`group_layout`): zeros and inf in padding.

    ``group_blocks`` (n_lane_blocks, d, lanes) holds each block feature-major,
    as :func:`kmlab._kernels._intrinsics.group_tile_minima_3` reads it; given
    arrays are filled in place.
    """
    n_clusters, n_features = centers.shape
    n_slots = slot_centers.shape[0]
    if group_blocks is None:
        group_blocks, slot_sqnorms = empty_group_layout(slot_centers, n_features, centers.dtype)
    by_slot = np.zeros((n_slots, n_features), dtype=centers.dtype)
    used = slot_centers < n_clusters
    by_slot[used] = centers[slot_centers[used]]
    lanes = group_blocks.shape[2]
    group_blocks[:] = by_slot.reshape(n_slots // lanes, lanes, n_features).transpose(0, 2, 1)
    slot_sqnorms.fill(np.inf)
    slot_sqnorms[used] = sqnorms[slot_centers[used]]
    return group_blocks, slot_sqnorms


def block_starts(n_samples, max_blocks=MAX_BLOCKS):
    """Row offsets of the blocks: at most ``max_blocks``, each a whole number of CHUNK rows but the last.

    Blocks then cut the rows into the chunks scikit-learn hands to GEMM (256
    rows from row 0): for a few shapes, OpenBLAS rounds a row's dot products
    differently depending on where it sits in its chunk.
    """
    n_chunks = max(1, -(-n_samples // CHUNK))
    n_blocks = min(max_blocks, n_chunks)
    starts = CHUNK * ((np.arange(n_blocks + 1, dtype=np.int64) * n_chunks) // n_blocks)
    return np.minimum(starts, n_samples)


def _packed_shape(X):
    """Shape of :func:`packed_rows`' copy of ``X``: (steps, padded width, PACKED_ROWS)."""
    return -(-X.shape[0] // PACKED_ROWS), _padded_width(X.shape[1]), PACKED_ROWS


def packs_rows(X):
    """Whether the packed copy of dense ``X`` (:func:`packed_rows`) fits in PACKED_BYTES."""
    return math.prod(_packed_shape(X)) * X.itemsize <= PACKED_BYTES


def packed_rows(X, offset, sqnorms=None):
    """The dense rows ``fl(x - offset)`` as the direct kernels read them (:mod:`kmlab._kernels.packing`).

    A copy in X's dtype of ``width`` = 4, 8 or 16 values a row (the features
    padded with zeros; more features: unpadded), made once per fit.  With
    ``sqnorms`` (n_samples,) float64, also fills it with the rows' squared
    norms, :func:`kmlab._init.row_sqnorms64`'s values, in the same pass (the
    caller checks :func:`einsum_sqnorms_supported` for float64 first).
    """
    packed = np.empty(_packed_shape(X), dtype=X.dtype)
    threads_for(X.size)
    pack_rows_dense(X, offset, packed, np.empty(0) if sqnorms is None else sqnorms)
    return packed


def center_sqnorms(centers):
    """Squared norms of the centres, as scikit-learn's ``row_norms`` computes them."""
    return np.einsum("ij,ij->i", centers, centers)


@lru_cache(maxsize=None)
def einsum_sqnorms_supported(dtype):
    """Whether :func:`kmlab._kernels.lloyd.numpy_row_sqnorms` gives numpy's ``einsum("ij,ij->i")``
    bits for ``dtype`` on this machine (numpy's einsum order depends on the SIMD width of its
    build).  Checked once per process on rows of every length up to 80."""
    rng = np.random.default_rng(0)
    rows = (rng.standard_normal((16, 80)) * 10.0 ** rng.uniform(-3, 3, (16, 1))).astype(dtype)
    sqnorms = np.empty(16, dtype=dtype)
    for n_features in range(1, 81):
        part = np.ascontiguousarray(rows[:, :n_features])
        numpy_row_sqnorms(part, sqnorms)
        if not np.array_equal(sqnorms, np.einsum("ij,ij->i", part, part)):
            return False
    return True


@lru_cache(maxsize=None)
def one_call_run_supported(dtype):
    """Whether the one-call run reproduces numpy's rounding for ``dtype`` on this machine.

    :func:`kmlab._kernels.lloyd.lloyd_run_dense` emulates two numpy reductions
    (the centres' squared norms by ``einsum``: :func:`einsum_sqnorms_supported`,
    and the sum of the blocks' inertias, checked once per process on sums of up
    to 128 values): where numpy rounds otherwise, runs keep to the general loop.
    """
    if not einsum_sqnorms_supported(dtype):
        return False
    rng = np.random.default_rng(1)
    values = rng.uniform(0.0, 1.0, 128) * 10.0 ** rng.uniform(-3, 3, 128)
    return all(numpy_sum(values[:n]) == values[:n].sum() for n in range(129))


def runs_in_one_call(workspace, verbose=0, on_step=None):
    """Whether :func:`kmeans_single_lloyd` runs with ``workspace`` in one kernel call.

    It does for dense data without bounds whose assignment costs fewer than
    ONE_CALL_MAX_WORK multiply-adds, unless the run is printed (``verbose``) or
    observed (``on_step``), and where numpy rounds as the kernel expects
    (:func:`one_call_run_supported`).  Results are the same either way.
    """
    return (
        not verbose
        and on_step is None
        and not workspace.sparse
        and not workspace.track_bounds
        and workspace.update
        and workspace.assign_work < ONE_CALL_MAX_WORK
        and one_call_run_supported(workspace.dtype)
    )


def n_bound_groups(algorithm, n_samples, n_clusters):
    """How many lower bounds per sample ``algorithm`` keeps (0: no bounds).

    'hamerly' keeps one (the second-nearest centre), 'elkan' one per centre,
    'yinyang' one per group of about ten centres; the last two are capped so
    that the bounds take at most BOUNDS_BYTES.
    """
    if algorithm == "lloyd" or n_clusters == 1:
        return 0
    if algorithm == "hamerly":
        return 1
    cap = max(1, BOUNDS_BYTES // (BOUND_ENTRY_BYTES * n_samples))
    wanted = n_clusters if algorithm == "elkan" else max(2, n_clusters // 10)
    return max(1, min(wanted, cap, n_clusters))


def choose_algorithm(X, n_clusters):
    """The exact variant ``algorithm='auto'`` starts with on ``X``.

    Measured on 2 cores (benchmarks/README.md, scaling table): with fewer than
    64 clusters, or fewer than 512 coordinates of centres to compare with
    (k * d: 64 clusters in 2-D), checking a sample's bounds costs about as much
    as comparing it with every centre through GEMM, so plain Lloyd wins.  Beyond,
    bounds pay where the data has structure: 'yinyang' (one bound per group of
    about ten centres; a sample they cannot settle is compared with the centres
    of the groups they do not rule out, :func:`group_filter_supported`) runs
    100,000 blobs per iteration 3.9 times faster than
    plain Lloyd with 64 features and 512 centres and 1.5 times with 16 and 4096,
    ahead of 'elkan' (1.6 and 1.1 times faster than it), whose bound per centre
    costs more to keep than it saves.  On data without structure the bounds skip
    little at first: 'auto' then drops them during the run where comparing is
    cheap (see :meth:`LloydWorkspace.drop_bounds_if_useless`).  Where the direct kernel
    serves the shape (:func:`direct_supported`), comparing every sample with
    every centre is cheaper still with up to 4 features, or up to 2048 centre
    coordinates (k * d): per iteration on 100,000 blobs, 1.8 times faster than
    the bounds with 2 features and 4096 centres, 4.2 times with 4 and 512, 2.2
    with 8 and 128, 4.8 on china.jpg with 256; about the same with 16 features
    and 128 centres (2048), or 8 and 256; the bounds win beyond.
    Sparse data always runs plain Lloyd (no bounds for CSR yet).
    """
    if sp.issparse(X) or n_clusters < 64 or n_clusters * X.shape[1] < 512:
        return "lloyd"
    n_features = X.shape[1]
    if (n_features <= 4 or n_clusters * n_features <= 2048) and direct_supported(
        X.dtype, n_features, n_clusters, X.shape[0]
    ):
        return "lloyd"
    return "yinyang"


def group_centers(centers, n_groups):
    """Assign each centre to one of ``n_groups`` groups of nearby centres.

    Yinyang's grouping: a few Lloyd iterations over the centres themselves, from
    evenly spaced centres; deterministic.
    """
    n_clusters = centers.shape[0]
    if n_groups == 1:
        return np.zeros(n_clusters, dtype=np.int64)
    if n_groups >= n_clusters:
        return np.arange(n_clusters, dtype=np.int64)
    points = centers.astype(np.float64)
    seeds = points[np.linspace(0, n_clusters - 1, n_groups).astype(np.int64)]
    for _ in range(5):
        sq = (points**2).sum(1)[:, None] - 2 * points @ seeds.T + (seeds**2).sum(1)[None, :]
        group_of = np.argmin(sq, axis=1)
        for g in range(n_groups):
            members = points[group_of == g]
            if len(members):
                seeds[g] = members.mean(axis=0)
    return group_of.astype(np.int64)


class GroupDrifts:
    """Bounds of how far each group's centres moved from the centres of every earlier step to the current ones.

    A group's lower bound computed at step s holds at step t less the largest
    distance one of its centres moved from s to t: its *net* drift, which is
    often much smaller than the sum of the per-step drifts (centres zigzag, and
    a different centre may move most at each step).  Gaussian 200,000 x 64,
    k=1000, iterations 30 to 50, a simulation of the group bounds: over 10
    steps the groups' net drifts were 0.39 times their summed drifts, and the
    group filter computed 2.4% of the distances instead of 11%.

    The centres of each step are kept while SNAPSHOTS_BYTES allows (at least
    two); when one must go, a step gives up its copy (see :meth:`_drop_snapshot`),
    and the steps anchored to it move to the next kept one, their bound
    increased by the drift between the two (the triangle inequality).  So
    ``table[s, g]`` = (drift from s to its anchor) + (net drift from the anchor
    to now), rounded up.

    Parameters
    ----------
    group_of : ndarray of shape (n_clusters,)
        Bound group of each centre.
    n_groups : int
    n_steps : int
        Steps the table covers (step 0: bounds known to be 0).
    centers_shape, dtype :
        Of the centres.
    """

    def __init__(self, group_of, n_groups, n_steps, centers_shape, dtype):
        self.group_of = group_of
        n_clusters, n_features = centers_shape
        capacity = SNAPSHOTS_BYTES // max(1, n_clusters * n_features * np.dtype(dtype).itemsize)
        self.snapshots = np.empty((max(2, min(capacity, n_steps)), n_clusters, n_features), dtype=dtype)
        self.slot_step = np.full(self.snapshots.shape[0], -1, dtype=np.int64)
        self.slot_of_step = np.full(n_steps, -1, dtype=np.int64)
        self.anchor = np.zeros(n_steps, dtype=np.int64)
        self.base = np.zeros((n_steps, n_groups))
        self.net = np.zeros((self.snapshots.shape[0], n_groups))
        self.table = np.zeros((n_steps, n_groups))

    def advance(self, step, centers):
        """The table for bounds of steps before ``step`` (``centers``: this step's centres); keeps a copy of them."""
        kept = np.flatnonzero(self.slot_step >= 0)
        group_net_drifts(centers, self.snapshots, kept, self.group_of, self.net)
        earlier = slice(1, step)
        anchors = self.slot_of_step[self.anchor[earlier]]
        # Sums round: a little room (relative 2^-40 is far above their error).
        self.table[earlier] = (self.base[earlier] + self.net[anchors]) * (1.0 + 2.0**-40)
        self.table[step] = 0.0
        if kept.size == self.snapshots.shape[0]:
            self._drop_snapshot()
        slot = int(np.flatnonzero(self.slot_step < 0)[0])
        self.snapshots[slot] = centers
        self.slot_step[slot] = step
        self.slot_of_step[step] = slot
        self.anchor[step] = step
        self.base[step] = 0.0
        return self.table

    def _drop_snapshot(self):
        """Free the copy of a kept step, neither the first (every bound starts from it) nor the
        last: the one whose neighbours are closest (the oldest of equals), so that the kept steps
        spread over the run and a bound's drift goes through few anchors."""
        steps = np.sort(self.slot_step[self.slot_step >= 0])
        if steps.size < 3:
            gone = 0
        else:
            gone = 1 + int(np.argmin(steps[2:] - steps[:-2]))
        step, successor = steps[gone], steps[gone + 1]
        slot, next_slot = self.slot_of_step[step], self.slot_of_step[successor]
        between = np.zeros_like(self.net)
        group_net_drifts(self.snapshots[next_slot], self.snapshots, np.array([slot]), self.group_of, between)
        moved = self.anchor == step
        self.base[moved] = (self.base[moved] + between[slot]) * (1.0 + 2.0**-40)
        self.anchor[moved] = successor
        self.slot_step[slot] = -1
        self.slot_of_step[step] = -1


class LloydWorkspace:
    """Buffers and bounds for the Lloyd steps of one dataset and one k.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        The data, already validated.
    n_clusters : int
        Number of centres.
    update : bool, default=True
        Whether partial sums will be accumulated (fitting) or only labels and
        inertia computed (predicting).
    offset : ndarray of shape (n_features,), default=None
        Dense data only: the kernels work on ``fl(x - offset)``; None means zero.
    n_groups : int, default=0
        Lower bounds kept per sample (0: none, plain Lloyd).
    x_sqnorms : ndarray of shape (n_samples,), default=None
        ``||x - offset||^2`` in float64; required when ``n_groups > 0``, unless
        the bounds start suspended (:meth:`resume_bounds` then computes them)
        or ``with_sqnorms`` computes them.
    with_sqnorms : bool, default=False
        Without ``x_sqnorms``, compute them (:func:`kmlab._init.row_sqnorms64`'s
        values), in the same pass as the packed rows where the rows are packed;
        ``row_sqnorms`` holds them for the caller (the k-means++ seeding).
    pack_for_seeding : bool, default=False
        The caller's seeding reads the packed rows (:meth:`shared_packed_rows`):
        pack them even where the assignments do not read them, so that the
        seeding does not pack them itself in a pass of its own, after the norms'.
    """

    def __init__(
        self, X, n_clusters, update=True, offset=None, n_groups=0, x_sqnorms=None, with_sqnorms=False,
        pack_for_seeding=False,
    ):  # fmt: skip
        n_samples, n_features = X.shape
        self.sparse = sp.issparse(X)
        self.update = update
        self.dtype = X.dtype
        max_blocks = MAX_BLOCKS
        if update:
            max_blocks = max(1, min(MAX_BLOCKS, PARTIAL_SUMS_BYTES // (8 * n_clusters * n_features)))
        self.block_starts = block_starts(n_samples, max_blocks)
        n_blocks = self.block_starts.shape[0] - 1
        sums_shape = (n_blocks, n_clusters, n_features) if update else (1, 1, 1)
        self.block_sums = np.empty(sums_shape)
        self.block_weights = np.empty(sums_shape[:2])
        self.block_inertia = np.empty(n_blocks)
        self.block_changed = np.empty(n_blocks, dtype=np.int64)
        self.block_computed = np.empty(n_blocks, dtype=np.int64)
        self.sums = np.empty((n_clusters, n_features))
        self.weights = np.empty(n_clusters)
        self.moves = np.zeros(n_clusters)
        nnz = X.nnz if self.sparse else n_samples * n_features
        self.assign_work = nnz * n_clusters
        self.row_work = nnz
        # Multiply-adds to compare one (dense) sample with every centre.
        self.sample_work = n_features * n_clusters
        self.n_clusters = n_clusters
        self.n_distances = 0

        if not self.sparse:
            self.offset = np.zeros(n_features, dtype=X.dtype) if offset is None else offset
        # Without bounds (or once they are dropped), assignments may skip GEMM.
        self.direct_capable = not self.sparse and direct_supported(X.dtype, n_features, n_clusters, n_samples)
        # Packed once for the iterations (and the seeding); a single assignment
        # (update False), or rows too many to copy, are transposed a step at a time instead.
        packs = (self.direct_capable or pack_for_seeding) and update and not self.sparse and packs_rows(X)
        # The norms the caller wants, in the packing's pass where it can.
        fused_sqnorms = packs and with_sqnorms and x_sqnorms is None and einsum_sqnorms_supported(np.float64)
        if fused_sqnorms:
            x_sqnorms = np.empty(n_samples)
        if packs:
            self.packed = packed_rows(X, self.offset, x_sqnorms if fused_sqnorms else None)
        else:
            self.packed = np.empty((0, 1, 1), dtype=X.dtype)
        if with_sqnorms and x_sqnorms is None:
            from ._init import row_sqnorms64  # _init imports this module

            x_sqnorms = row_sqnorms64(X, None if self.sparse else self.offset)
        self.row_sqnorms = x_sqnorms
        self.track_bounds = n_groups > 0 and not self.sparse
        self.use_groups = self.track_bounds and n_groups > 1
        self.n_groups = n_groups
        # Norms not given yet: resume_bounds computes them (a dummy until then).
        self.norms_pending = self.track_bounds and x_sqnorms is None
        self.x_sqnorms = x_sqnorms if self.track_bounds and not self.norms_pending else np.empty(1)
        self.upper = np.empty(n_samples if self.track_bounds else 1)
        self.lower_min = np.empty(n_samples if self.track_bounds else 1)
        self.lower = np.empty((n_samples, n_groups) if self.use_groups else (1, 1), dtype=np.float32)
        self.stamp = np.zeros(self.lower.shape, dtype=np.int16)
        self.group_of = np.zeros(n_clusters, dtype=np.int64)
        self.group_drift = np.zeros((1, max(1, n_groups)))
        self.drifts = None
        # Yinyang's group filter: exact where its values are scikit-learn's
        # (group_filter_supported), else a screen that leaves near ties to GEMM.
        self.group_filter = self.use_groups and n_clusters >= GROUP_FILTER_MIN_GROUP_SIZE * n_groups
        self.screen_groups = self.group_filter and not group_filter_supported(
            X.dtype, n_features, n_clusters, n_samples
        )
        # Where GEMM rounds the gathered rows as in scikit-learn's chunks (the bounds gather rows).
        self.gemm_places = (
            gemm_place_classes(X.dtype, n_features, n_clusters, n_samples)
            if self.track_bounds
            else (
                np.zeros((2, CHUNK), dtype=np.int64),
                np.zeros((1, CHUNK + 1), dtype=np.int64),
                np.zeros((1, 1), dtype=np.int64),
            )
        )
        self.slot_centers = np.empty(0, dtype=np.int64)
        self.first_block = np.zeros(1, dtype=np.int64)
        self.group_blocks = np.empty((0, n_features, group_lanes(X.dtype)), dtype=X.dtype)
        self.slot_sqnorms = np.empty(0, dtype=X.dtype)
        self.step = 0
        self.bounded_assignments = 0
        self.suspended = False
        # ||c||^2 - 2 x.c: two dot products of d terms, a subtraction, a doubling.
        self.err_coef = 2.0 * (n_features + 2) * float(np.finfo(X.dtype).eps) if self.track_bounds else 0.0

    # 'auto' drops the bounds when, from the third assignment on, they let
    # through more than this fraction of the samples ...
    USEFUL_SKIP_FRACTION = 0.5
    # ... unless comparing a sample with every centre costs this many
    # multiply-adds (k * d) or more: then skipping pays even in part, and on data
    # without structure the bounds skip little early but much once the centres
    # settle (Gaussian 200,000 x 64, k=1000: 60% of the distances over the run,
    # 143 ms per iteration against 207 without bounds; 60,000 x 64, k=300: 20
    # against 24; with k * d = 8192 and 40 iterations the bounds lose, 27 against 19).
    KEEP_BOUNDS_MIN_WORK = 16384

    # 'auto' turns its bounds on at this assignment at the earliest (counting
    # from 0): fits that end sooner (well separated blobs stop after 2
    # iterations) do not pay to set them up, and the first assignments, after
    # large centre moves, would skip little anyway (100,000 blobs with 64
    # features and 64 centres: 2 iterations 34 ms without bounds, 59 with; 46
    # iterations 0.62 s without, 0.41 with) ...
    AUTO_BOUNDS_FROM = 2
    # ... and only after an assignment that changed at most this fraction of the
    # labels: while more change, the centres still move far and the bounds let
    # most samples through, which then cost about as much as without bounds or
    # more.  Gaussian 200,000 x 64, k=1000, 116 iterations from k-means++
    # centres on 2 threads, the Lloyd part of the fit (with the groups' net
    # drifts, GroupDrifts, which made bounded assignments cheaper): 0.01 7.7-9.0 s,
    # 0.03 7.2-7.6, 0.1 7.0, 0.3 6.9-7.5 (1.0 8.0-8.7 in an earlier round); blobs
    # 100,000 x 16 with k=512 and 4096, x 32 with 256, x 64 with 64: the same
    # within noise.  (With the summed drifts: 0.005 20.3-20.6 s, 0.01 18.6-19.4,
    # 0.02 18.7-19.3, 0.05 19.1-19.8 on 131 iterations, a slower machine.)
    AUTO_BOUNDS_MAX_CHANGED = 0.1

    def suspend_bounds(self):
        """Assign without the bounds until :meth:`resume_bounds` (results are unchanged)."""
        self.suspended = self.track_bounds
        self.track_bounds = False

    def resume_bounds(self, X):
        """Turn suspended bounds back on: the next assignment compares every sample and sets them.

        Infinite upper and zero lower bounds cannot separate anything, so every
        sample goes through the distance computation, which rewrites its bounds.
        The samples' squared norms are computed here if the workspace was given none.
        """
        if self.suspended:
            if self.norms_pending:
                from ._init import row_sqnorms64  # _init imports this module

                self.x_sqnorms = row_sqnorms64(X, self.offset)
                self.norms_pending = False
            self.suspended = False
            self.track_bounds = True
            self._clear_bounds()

    def _clear_bounds(self):
        """Bounds that separate nothing: the next assignment compares every sample and sets them."""
        self.upper.fill(np.inf)
        self.lower_min.fill(0.0)
        self.lower.fill(0.0)
        self.stamp.fill(0)

    def _start_drifts(self, n_steps, centers):
        """Groups' drifts measured afresh, for ``n_steps`` steps of centres shaped as ``centers``."""
        self.drifts = GroupDrifts(self.group_of, self.n_groups, n_steps, centers.shape, centers.dtype)

    def drop_bounds_if_useless(self):
        """Stop maintaining bounds that skip too little (results are unchanged).

        Judged from the third assignment made with bounds on (the first sets
        them up), unless comparing a sample is costly (KEEP_BOUNDS_MIN_WORK).
        """
        if self.track_bounds and self.bounded_assignments >= 3 and self.sample_work < self.KEEP_BOUNDS_MIN_WORK:
            computed = self.block_computed.sum() / (self.block_starts[-1] * self.n_clusters)
            if computed > 1.0 - self.USEFUL_SKIP_FRACTION:
                self.track_bounds = False

    def start(self, centers, max_assignments):
        """Prepare for a run of at most ``max_assignments`` assignments from ``centers``."""
        # Bounds a previous run suspended (and never resumed) serve this one.
        self.track_bounds = self.track_bounds or self.suspended
        self.suspended = False
        self.moves[:] = 0.0
        self.n_distances = 0
        self.step = 0
        self.bounded_assignments = 0
        if self.track_bounds:
            self.group_of = group_centers(centers, self.n_groups)
            self._start_drifts(min(max_assignments, BOUND_STEP_LIMIT) + 1, centers)
            if self.group_filter:
                self.slot_centers, self.first_block = group_layout(self.group_of, self.n_groups, centers.dtype)
                # Filled by each assignment, with the centres it compares.
                self.group_blocks, self.slot_sqnorms = empty_group_layout(
                    self.slot_centers, centers.shape[1], centers.dtype
                )

    def assign(self, X, sample_weight, centers, labels, update, with_inertia=True, sums_kept=False):
        """Assign every sample to its closest centre.

        Updates ``labels`` in place (-1: no label yet); when ``update``, also
        fills ``self.sums`` (weighted sums of the samples of each cluster,
        float64) and ``self.weights``.  ``sums_kept``: the last assignment
        with ``update`` (the previous iteration's) returned these very
        ``labels``, with the same weights; dense data then leaves the sums of
        the blocks whose labels all stay as that assignment made them (the
        same values: each block adds its rows in order).

        Returns
        -------
        inertia : float
            With respect to ``centers``; 0.0 unless ``with_inertia``.
        n_changed : int
            How many labels differ from those passed in.
        """
        sqnorms = center_sqnorms(centers)
        threads_for(self.assign_work)
        if self.sparse:
            assign_sparse(
                X.data, X.indices, X.indptr, sample_weight, centers, sqnorms,
                self.block_starts, update, with_inertia, labels,
                self.block_sums, self.block_weights, self.block_inertia, self.block_changed,
            )  # fmt: skip
            self.block_computed[:] = np.diff(self.block_starts) * centers.shape[0]
        else:
            global_moves, global_mover = np.zeros(2), 0
            if self.track_bounds:
                global_mover = int(np.argmax(self.moves))
                others = np.delete(self.moves, global_mover)
                global_moves[:] = self.moves[global_mover], others.max(initial=0.0)
                if self.use_groups and self.step == BOUND_STEP_LIMIT:
                    # The stamps are full: start the bounds again from this assignment.
                    self._clear_bounds()
                    self.step = 0
                    self._start_drifts(BOUND_STEP_LIMIT + 1, centers)
                self.step += 1
                if self.use_groups:
                    self.group_drift = self.drifts.advance(self.step, centers)
            self.bounded_assignments += self.track_bounds
            center_norm_max = float(np.sqrt(sqnorms.astype(np.float64).max()))
            if self.track_bounds and self.group_filter:
                fill_group_layout(centers, sqnorms, self.slot_centers, self.group_blocks, self.slot_sqnorms)
            assign_dense(
                X, self.offset, sample_weight, centers, sqnorms,
                self.block_starts, update, update and sums_kept, with_inertia,
                self.direct_capable and not self.track_bounds, self.packed,
                self.track_bounds, self.use_groups,
                self.moves, global_moves, global_mover, self.group_of, self.group_drift, self.step,
                self.x_sqnorms, self.err_coef, center_norm_max,
                labels, self.upper, self.lower_min, self.lower, self.stamp,
                self.group_blocks, self.slot_sqnorms, self.slot_centers, self.first_block, self.screen_groups,
                *self.gemm_places, self.block_sums, self.block_weights, self.block_inertia, self.block_changed, self.block_computed,
            )  # fmt: skip
            # The bounds now refer to ``centers``.
            self.moves[:] = 0.0
        self.n_distances += int(self.block_computed.sum())
        if update:
            threads_for(self.block_sums.size)
            reduce_blocks(self.block_sums, self.block_weights, self.sums, self.weights)
        return float(self.block_inertia.sum()), int(self.block_changed.sum())

    def inertia(self, X, sample_weight, centers, labels):
        """Weighted sum of squared distances of the samples to their given centre."""
        threads_for(self.row_work)
        if self.sparse:
            inertia_sparse(
                X.data, X.indices, X.indptr, sample_weight, centers, labels,
                self.block_starts, self.block_inertia,
            )  # fmt: skip
        else:
            inertia_dense(X, self.offset, sample_weight, centers, labels, self.block_starts, self.block_inertia)
        return float(self.block_inertia.sum())

    def relocation_sq_distances(self, X, centers_old, labels):
        """Each sample's squared distance to its own centre, scikit-learn's bits (X's dtype).

        Which samples are the farthest decides the relocation, and duplicates
        or points on a grid tie: the distances must be scikit-learn's to the
        last bit for ``argpartition`` to pick the same ones.  Dense: its numpy
        expression ``((X - C[labels]) ** 2).sum(axis=1)`` on the centred rows,
        a few rows at a time (a row's sum does not depend on the others);
        sparse: its sparse-dense formula (:func:`~kmlab._kernels.lloyd.relocation_sq_distances_sparse`).
        """
        distances = np.empty(X.shape[0], dtype=X.dtype)
        if self.sparse:
            threads_for(X.nnz)
            relocation_sq_distances_sparse(
                X.data, X.indices, X.indptr, centers_old, center_sqnorms(centers_old), labels, distances
            )
            return distances
        step = max(1, RELOCATION_CHUNK_BYTES // (X.itemsize * X.shape[1]))
        for start in range(0, X.shape[0], step):
            rows = slice(start, start + step)
            distances[rows] = (((X[rows] - self.offset) - centers_old[labels[rows]]) ** 2).sum(axis=1)
        return distances

    def update_centers(self, X, sample_weight, centers_old, labels, centers_new):
        """Turn the sums of the last :meth:`assign` into new centres.

        Empty clusters are relocated first, as scikit-learn does: each takes the
        sample farthest from its own centre.  Records how far each centre moved
        (for the bounds) and returns the total squared shift.
        """
        if not self.weights.all():
            self._relocate_empty_clusters(X, sample_weight, centers_old, labels)
        return average_centers(self.sums, self.weights, centers_old, centers_new, self.moves)

    def shared_packed_rows(self):
        """The packed rows (:func:`packed_rows`) for other kernels on the same data, or None without them."""
        return self.packed if self.packed.size else None

    def release_seeding_rows(self):
        """Free packed rows that only the seeding read (``pack_for_seeding``) once it is done with them."""
        if not self.direct_capable:
            self.packed = np.empty((0, 1, 1), dtype=self.dtype)

    def _relocate_empty_clusters(self, X, sample_weight, centers_old, labels):
        empty = np.flatnonzero(self.weights == 0)
        distances = self.relocation_sq_distances(X, centers_old, labels)
        if distances.max() == 0:
            # More clusters than distinct samples: relocating cannot help.
            return
        farthest = np.argpartition(distances, -empty.size)[: -empty.size - 1 : -1]
        for new_label, far_idx in zip(empty, farthest):
            weight = float(sample_weight[far_idx])
            if self.sparse:
                row = X[far_idx].toarray().ravel()
            else:
                row = (X[far_idx] - self.offset).astype(np.float64)
            old_label = labels[far_idx]
            self.sums[old_label] -= row * weight
            self.sums[new_label] = row * weight
            self.weights[new_label] = weight
            self.weights[old_label] -= weight


def kmeans_single_lloyd(
    X, sample_weight, centers_init, max_iter, verbose, tol, workspace=None, adaptive=False, on_step=None
):
    """One run of Lloyd's algorithm from ``centers_init``.

    The loop and its stopping rules are scikit-learn's: stop when the labels
    repeat (strict convergence) or when the squared centre shift is within
    ``tol``; in the latter case, and after ``max_iter``, one more assignment makes
    the labels match the returned centres.  Bounds in ``workspace`` only skip
    work: the iterates are those of plain Lloyd.  ``adaptive`` starts the bounds
    at the third assignment or later, once few labels change
    (``AUTO_BOUNDS_MAX_CHANGED``), and lets the run drop them where they skip
    too little.
    Without a ``workspace``, plain Lloyd on X as it is.
    Dense runs without bounds take one kernel call (:func:`runs_in_one_call`),
    with the same iterates.

    ``on_step(phase, iteration, centers, labels, inertia, extra)``, when given,
    is called with the initial centres ('init'), after every assignment
    ('assign': the centres used, the new labels and their inertia, ``extra``
    holds ``n_changed``) and every update ('update': the new centres and the
    inertia of the same labels with respect to them, ``extra`` holds
    ``center_shift``).  The arrays are the loop's buffers: copy what you keep.
    Observing costs one inertia pass per half-step and changes no result.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
    centers : ndarray of shape (n_clusters, n_features)
    n_iter : int
    """
    centers = np.array(centers_init, dtype=X.dtype, order="C")
    centers_new = np.zeros_like(centers)
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    if workspace is None:
        workspace = LloydWorkspace(X, centers.shape[0])
    if runs_in_one_call(workspace, verbose, on_step):
        return _run_in_one_call(X, sample_weight, centers, centers_new, labels, max_iter, tol, workspace)
    workspace.start(centers, max_iter + 1)
    if adaptive:
        workspace.suspend_bounds()
    strict_convergence = False
    observe = on_step is not None
    if observe:
        on_step("init", 0, centers, None, None, {})

    for i in range(max_iter):
        if (
            adaptive
            and i >= workspace.AUTO_BOUNDS_FROM
            and n_changed <= workspace.AUTO_BOUNDS_MAX_CHANGED * X.shape[0]
        ):
            workspace.resume_bounds(X)
        inertia, n_changed = workspace.assign(
            X, sample_weight, centers, labels, update=True, with_inertia=bool(verbose) or observe, sums_kept=i > 0
        )
        if observe:
            on_step("assign", i + 1, centers, labels, inertia, {"n_changed": n_changed})
        if adaptive:
            workspace.drop_bounds_if_useless()
        center_shift_tot = workspace.update_centers(X, sample_weight, centers, labels, centers_new)
        if observe:
            updated_inertia = workspace.inertia(X, sample_weight, centers_new, labels)
            on_step("update", i + 1, centers_new, labels, updated_inertia, {"center_shift": center_shift_tot})
        if verbose:
            print(f"Iteration {i}, inertia {inertia}.")
        centers, centers_new = centers_new, centers
        if n_changed == 0:
            if verbose:
                print(f"Converged at iteration {i}: strict convergence.")
            strict_convergence = True
            break
        if center_shift_tot <= tol:
            if verbose:
                print(f"Converged at iteration {i}: center shift {center_shift_tot} within tolerance {tol}.")
            break

    if not strict_convergence:
        _, n_changed = workspace.assign(X, sample_weight, centers, labels, update=False, with_inertia=False)
    inertia = workspace.inertia(X, sample_weight, centers, labels)
    if observe and not strict_convergence:
        on_step("assign", i + 1, centers, labels, inertia, {"n_changed": n_changed})
    return labels, inertia, centers, i + 1


def _run_in_one_call(X, sample_weight, centers, centers_new, labels, max_iter, tol, workspace):
    """:func:`kmeans_single_lloyd` in one kernel call (see :func:`runs_in_one_call`).

    The kernel hands empty clusters back: their relocation is the general
    loop's, numpy's ``argpartition`` included, and the run goes on.
    """
    ws = workspace
    state = np.zeros(2, dtype=np.int64)
    resume = False
    run = lloyd_run_dense_parallel if ws.assign_work >= PARALLEL_RUN_MIN_WORK else lloyd_run_dense
    while True:
        threads_for(ws.assign_work)
        finished, inertia = run(
            X, ws.offset, sample_weight, ws.block_starts, max_iter, float(tol), ws.direct_capable, ws.packed, resume,
            centers, centers_new, labels, ws.sums, ws.weights, ws.block_sums, ws.block_weights, ws.block_inertia,
            ws.block_changed, ws.block_computed, ws.moves, state,
        )  # fmt: skip
        if finished:
            break
        ws._relocate_empty_clusters(X, sample_weight, centers, labels)
        resume = True
    n_iter = int(state[0])
    # One assignment per iteration, and a last one unless the labels repeated.
    n_assignments = n_iter + int(state[1])
    ws.n_distances = n_assignments * X.shape[0] * centers.shape[0]
    return labels, inertia, centers, n_iter


def labels_inertia(X, sample_weight, centers, with_inertia=True):
    """Closest centre of every sample and the inertia (the E-step alone)."""
    workspace = LloydWorkspace(X, centers.shape[0], update=False)
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    inertia, _ = workspace.assign(X, sample_weight, centers, labels, update=False, with_inertia=with_inertia)
    return labels, inertia
