"""Seeding kernels: squared distances from candidate centres to every sample.

The k-means++ kernels reproduce scikit-learn's ``euclidean_distances`` arithmetic
to the last bit, which is what makes k-means++ pick the same centres: in float64
(float32 data is upcast, as scikit-learn's ``_euclidean_distances_upcast`` does),
``(-2 c.x + ||c||^2) + ||x||^2`` clipped at zero, then cast to the data's dtype.

- Dense dot products are accumulated feature by feature with fused multiply-adds
  from zero, which is what OpenBLAS's GEMM kernels do for each entry; the
  squared norms come from the driver (numpy's ``einsum``, as ``row_norms``).
- Sparse dot products and norms round every product before adding it, in the
  order of the stored entries, as scipy's sparse product and scikit-learn's
  ``csr_row_norms`` do (hence :data:`SEPARATE_ROUNDING`).

Every kernel also takes the minimum with the current closest squared distance
(scikit-learn's ``np.minimum``).  Up to 16 features the dense kernel computes
every entry, vectorised over the rows with each dot product held in registers.
With more features, on small data, it computes every entry with the
candidates as vector lanes, several rows at a time
(:func:`~kmlab._kernels._intrinsics.candidate_dots_4`, ``_8``); on large data
it skips work: an entry whose exact distance provably cannot go below the
closest one is the closest one, whatever the exact value.  Such pairs are
found by a *screen* (fast dot products in X's dtype with a rigorous error bound,
:func:`~kmlab._kernels._intrinsics.screen_undecided`; the
driver, :class:`kmlab._init._CandidateDistances`, derives the bound, with
margins for every rounding), and the rows it leaves go through the lanes.
Each entry is thus either computed exactly or provably equal to the exact
computation's result, so the output does not depend on the screen, the blocks
or the thread count.

:func:`draw_candidates` is the rest of a k-means++ round;
:func:`greedy_kmeans_plusplus_dense` (and its parallel build) runs the rounds
of a dense seeding without returning to Python, through the same functions.
The k-means|| kernels (:func:`nearest_candidate_dense`, ``_sparse``) need no
such care: they give a seeding of their own, from distances in X's dtype.
"""

import numpy as np
from numba import njit, prange

from ._config import CHUNK, FASTMATH, PADDED_MAX_WIDTH, SEPARATE_ROUNDING, _copy_into, renamed_copy
from ._intrinsics import (
    BLOCK_ROWS,
    BLOCK_VECTORS,
    CANDIDATE_ROWS_4,
    CANDIDATE_ROWS_8,
    LANES,
    SCREEN_ROWS,
    VECTOR_BYTES,
    _gemm_order_dot,
    _load_rows_t,
    block_dots,
    candidate_dots_4,
    candidate_dots_8,
    screen_undecided,
)
from .lloyd import _feature_major_copy, _sparse_center_dots
from .packing import PACKED_ROWS, _einsum_sqnorms_t


@njit(parallel=True, cache=True, fastmath=SEPARATE_ROUNDING)
def row_sqnorms_sparse(
    data,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    out,  # OUT (n,) float64
):
    for i in prange(indptr.shape[0] - 1):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            v = np.float64(data[p])
            acc += v * v
        out[i] = acc


@njit(parallel=True, cache=True, fastmath=SEPARATE_ROUNDING)
def centred_sqnorms64(
    X,  # IN (n, d) float32/float64
    offset,  # IN (d,) dtype of X
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    out,  # OUT (n,) float64
):
    """``np.einsum("ij,ij->i", R, R)`` of the rows ``R = (X - offset).astype(np.float64)`` in one
    parallel pass, without R: bit for bit where numpy's loop is the one
    :func:`~kmlab._kernels.lloyd.numpy_row_sqnorms` emulates
    (:func:`kmlab._lloyd.einsum_sqnorms_supported`)."""
    n_features = X.shape[1]
    for b in prange(block_starts.shape[0] - 1):
        rows_t = np.empty((n_features, PACKED_ROWS), dtype=X.dtype)
        acc = np.empty((2, PACKED_ROWS))
        for start in range(block_starts[b], block_starts[b + 1], PACKED_ROWS):
            m = min(PACKED_ROWS, block_starts[b + 1] - start)
            _load_rows_t(X, offset, start, m, rows_t, n_features)
            _einsum_sqnorms_t(rows_t, m, n_features, acc, out[start : start + m])


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _sq_distance(dot, cand_sqnorm, x_sqnorm):
    """scikit-learn's squared distance from a dot product and the squared norms, in float64."""
    return max((-2.0 * dot + cand_sqnorm) + x_sqnorm, 0.0)


# Rows per step of closest_sq_distances_dense (a multiple of SCREEN_ROWS);
# without the screen, a step is a step of the packed rows.
STEP_ROWS = PACKED_ROWS


@njit(cache=True)
def empty_screen(X, n_candidates, screen):
    """The screen's candidates as :func:`prepare_candidates_dense` fills them: ``(lanes,
    terms, coefs)``, the candidates by blocks of L = VECTOR_BYTES // itemsize (8 float32,
    4 float64), ``lanes`` (blocks, ceil(d / 2), 2 L) in X's dtype by pairs of features
    (``lanes[b, j, 2 l + q]``: feature ``2 j + q`` of the block's candidate l, as
    :func:`~kmlab._kernels._intrinsics.screen_undecided` reads them), zero-padded,
    ``terms`` and ``coefs`` (blocks * L,) float64, inf and 0 past the candidates
    (never undecided).  No blocks without the screen."""
    n_lanes = VECTOR_BYTES // X.itemsize
    n_blocks = -(-n_candidates // n_lanes) if screen else 0
    lanes = np.zeros((n_blocks, -(-X.shape[1] // 2), 2 * n_lanes), dtype=X.dtype)
    return lanes, np.full(n_blocks * n_lanes, np.inf), np.zeros(n_blocks * n_lanes)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _screen(
    X, start, m, sqnorms, norms, near, screen_lanes, screen_terms, screen_coefs, formula_slack, undecided, kept, out,
):  # fmt: skip
    """The screen of :func:`_screened_step` (its arguments): writes ``near`` to every
    entry of the step's columns of ``out``, lists in ``kept`` the rows that some
    candidate leaves undecided and returns their number."""
    n_blocks = screen_lanes.shape[0]
    # Raw x.c, a vector of candidates at a time, in any order: only a bound on its
    # error matters (see the driver).  A lower bound of ||x - c||^2 - near: where it
    # is >= 0, the exact value is >= near (padding lanes: term inf, never undecided).
    # The rows are listed without branches (a branch per row would often be mispredicted).
    n_lanes = VECTOR_BYTES // X.itemsize
    for b in range(n_blocks):
        for q in range(0, m, SCREEN_ROWS):
            screen_undecided(
                X, start + q, screen_lanes[b], sqnorms, norms, near, formula_slack, screen_terms, screen_coefs,
                b * n_lanes, undecided, q, out, start,
            )  # fmt: skip
    n_kept = 0
    for i in range(m):
        kept[n_kept] = i
        n_kept += undecided[i]
    return n_kept


@njit(cache=True, fastmath=FASTMATH)
def _screened_step(
    X,  # IN (n, d) raw rows
    start,  # IN int64 the step's first row
    m,  # IN int64 its number of rows, <= STEP_ROWS
    offset,  # IN (d,)
    sqnorms,  # IN (m,) float64 their centred squared norms
    norms,  # IN (m,) float64 their square roots
    near,  # IN (m,) dtype of X: their closest squared distances
    candidate_lanes,  # IN (ceil(t / LANES), d, LANES) float64 the candidates, feature-major, zero-padded
    cand_sqnorms,  # IN (t,) float64
    screen_lanes,  # IN (blocks, ceil(d / 2), 2 L) dtype of X: the candidates for the screen (empty_screen)
    screen_terms,  # IN (blocks * L,) float64, inf past the candidates
    screen_coefs,  # IN (blocks * L,) float64, 0 past the candidates
    formula_slack,  # IN float64
    undecided,  # SCRATCH (STEP_ROWS,) int64
    kept,  # SCRATCH (>= m,) int64
    kept_rows,  # SCRATCH (1, d, >= m) dtype of X: the rows the screen leaves, packed
    lane_dots,  # SCRATCH (>= m, LANES) float64
    out,  # OUT (t, n) min(near, squared distance to each candidate), in the step's columns
):
    n_features = X.shape[1]
    n_kept = _screen(
        X, start, m, sqnorms, norms, near, screen_lanes, screen_terms, screen_coefs, formula_slack, undecided, kept,
        out,
    )  # fmt: skip
    if n_kept == 0:
        return
    # Their exact distances to every candidate: where the screen had decided, the
    # exact value is >= near, so the min writes near again.
    for k in range(n_kept):
        for f in range(n_features):
            kept_rows[0, f, k] = X[start + kept[k], f] - offset[f]
    step_out = out[:, start : start + m]
    _packed_distances(kept_rows, 0, kept, n_kept, candidate_lanes, cand_sqnorms, sqnorms, near, lane_dots, step_out)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _packed_distances(packed, first, positions, n_rows, candidate_lanes, cand_sqnorms, sqnorms, near, lane_dots, out):
    """``out[c, positions[k]] = min(near, squared distance)`` for the packed rows ``first + k``, k < ``n_rows``.

    The candidates' dot products by their lanes (:func:`~kmlab._kernels._intrinsics.candidate_dots_4`,
    ``_8``), into ``lane_dots``; a call's rows past ``n_rows`` are computed and not read.
    """
    n_candidates = cand_sqnorms.shape[0]
    if n_candidates <= 4:
        for q in range(0, n_rows, CANDIDATE_ROWS_4):
            candidate_dots_4(packed, first + q, candidate_lanes[0], lane_dots, q)
        _lane_distances(positions, n_rows, lane_dots, 0, n_candidates, cand_sqnorms, sqnorms, near, out)
    else:
        for b in range(candidate_lanes.shape[0]):
            for q in range(0, n_rows, CANDIDATE_ROWS_8):
                candidate_dots_8(packed, first + q, candidate_lanes[b], lane_dots, q)
            stop = min(n_candidates, (b + 1) * LANES)
            _lane_distances(positions, n_rows, lane_dots, b * LANES, stop, cand_sqnorms, sqnorms, near, out)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _lane_distances(positions, n_rows, lane_dots, first, stop, cand_sqnorms, sqnorms, near, out):
    """``out[c, positions[k]] = min(near, distance)`` from ``lane_dots[k, c - first]``, candidates ``first:stop``."""
    for k in range(n_rows):
        i = positions[k]
        for c in range(first, stop):
            dist = _sq_distance(lane_dots[k, c - first], cand_sqnorms[c], sqnorms[i])
            # min before the cast to X's dtype: rounding is monotone and near is
            # representable, so this is np.minimum after the cast.
            out[c, i] = min(dist, np.float64(near[i]))


@njit(cache=True, fastmath=FASTMATH)
def _direct_step(
    rows_t,  # IN (width, STEP_ROWS) dtype of X: the step's packed rows
    start,  # IN int64 first row of the step
    m,  # IN int64 rows in the step, <= STEP_ROWS
    x_sqnorms,  # IN (n,) float64 the rows' centred squared norms
    closest,  # IN (n,) dtype of X: their closest squared distances
    candidates,  # IN (t, d) float64 the candidates
    cand_sqnorms,  # IN (t,) float64
    step_dots,  # SCRATCH (t, STEP_ROWS) float64
    out,  # OUT (t, n) min(closest, squared distance to each candidate) in the step's columns
):
    """Every entry of a step, exactly, with the rows as vector lanes.

    Each candidate's dot products are chains of fused multiply-adds in feature
    order, every row value read once for a block of candidates
    (:func:`~kmlab._kernels._intrinsics.block_dots`); the distances then go
    through one-dimensional slices: contiguous, hence vectorised.
    """
    n_candidates = candidates.shape[0]
    for first in range(0, n_candidates, BLOCK_VECTORS):
        block, block_dots_out = candidates[first : first + BLOCK_VECTORS], step_dots[first : first + BLOCK_VECTORS]
        for q in range(0, STEP_ROWS, BLOCK_ROWS):
            block_dots(rows_t, q, block, block_dots_out)
    # Slices taken before the loop: indexing at start + i inside it kept the
    # compiler from vectorising it (5 times slower).
    sqnorms, near = x_sqnorms[start : start + m], closest[start : start + m]
    for c in range(n_candidates):
        cand_sqnorm, dots, row = cand_sqnorms[c], step_dots[c, :m], out[c, start : start + m]
        for i in range(m):
            dist = _sq_distance(dots[i], cand_sqnorm, sqnorms[i])
            # min before the cast to X's dtype: rounding is monotone and near is
            # representable, so this is np.minimum after the cast.
            row[i] = min(dist, np.float64(near[i]))


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def closest_sq_distances_dense(
    X,  # IN (n, d) float32/float64, raw rows
    offset,  # IN (d,) dtype of X: the kernel works on the rows fl(x - offset)
    x_sqnorms,  # IN (n,) float64 ||fl(x - offset)||^2, as numpy's einsum computes it
    x_norms,  # IN (n,) float64 their square roots (screen)
    candidates_t,  # IN (d, t) float64 candidate centres (coordinates of x - offset), transposed
    cand_sqnorms,  # IN (t,) float64
    closest,  # IN (n,) dtype of X: squared distance of each sample to its closest centre
    screen_lanes,  # IN (blocks, ceil(d / 2), 2 L) dtype of X: the screen's candidates (empty_screen); none: no screen
    screen_terms,  # IN (blocks * L,) float64 screen constant of each candidate
    screen_coefs,  # IN (blocks * L,) float64 screen coefficient of ||x - offset|| for each candidate
    formula_slack,  # IN float64 bound on the formula's error per unit of ||x||^2 + ||c||^2
    packed,  # IN (ceil(n / STEP_ROWS), width, STEP_ROWS) dtype of X: packing.pack_rows_dense's rows; (0, 1, 1): screen
    # (width: the features padded to 4, 8 or 16; more features are read unpadded, through the lanes)
    block_starts,  # IN (n_blocks + 1,) int64 row offsets, multiples of STEP_ROWS but the last
    out,  # OUT (t, n) dtype of X: min(closest, squared distance to each candidate)
):
    _closest_blocks(
        X, offset, x_sqnorms, x_norms, candidates_t, cand_sqnorms, closest, screen_lanes, screen_terms, screen_coefs,
        formula_slack, packed, block_starts, out,
    )  # fmt: skip


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _closest_blocks(
    X, offset, x_sqnorms, x_norms, candidates_t, cand_sqnorms, closest, screen_lanes, screen_terms, screen_coefs,
    formula_slack, packed, block_starts, out,
):  # fmt: skip
    """:func:`closest_sq_distances_dense` (its arguments), inlined so that its
    blocks also run in parallel in the parallel k-means++ build."""
    for b in prange(block_starts.shape[0] - 1):
        _closest_in_rows(
            X, offset, x_sqnorms, x_norms, candidates_t, cand_sqnorms, closest, screen_lanes, screen_terms, screen_coefs,
            formula_slack, packed, block_starts[b], block_starts[b + 1], out,
        )  # fmt: skip


@njit(cache=True, fastmath=FASTMATH)
def _closest_in_rows(
    X, offset, x_sqnorms, x_norms, candidates_t, cand_sqnorms, closest, screen_lanes, screen_terms, screen_coefs,
    formula_slack, packed, first_row, stop_row, out,
):  # fmt: skip
    """Rows ``first_row:stop_row`` of :func:`closest_sq_distances_dense` (its arguments)."""
    n_features, n_candidates = candidates_t.shape
    screen = screen_lanes.shape[0] > 0
    # Up to PADDED_MAX_WIDTH features, every entry vectorised over the packed rows
    # (_direct_step); more, the candidates' lanes, on every packed row or on the
    # rows the screen leaves (_screened_step).
    direct = not screen and n_features <= PADDED_MAX_WIDTH
    screen_rows = STEP_ROWS if screen else 0
    undecided = np.empty(screen_rows, dtype=np.int64)
    kept = np.arange(0 if direct else STEP_ROWS)  # without the screen: every row of a step
    kept_rows = np.zeros((1, n_features, screen_rows), dtype=X.dtype)
    lane_dots = np.empty((0 if direct else STEP_ROWS, LANES))
    candidate_lanes = np.zeros((0 if direct else -(-n_candidates // LANES), n_features, LANES))
    for c in range(0 if direct else n_candidates):
        candidate_lanes[c // LANES, :, c % LANES] = candidates_t[:, c]
    candidates = np.ascontiguousarray(candidates_t.T[: n_candidates if direct else 0])
    step_dots = np.empty((candidates.shape[0], STEP_ROWS))
    for start in range(first_row, stop_row, STEP_ROWS):
        stop = min(start + STEP_ROWS, stop_row)
        if screen:
            _screened_step(
                X, start, stop - start, offset, x_sqnorms[start:stop], x_norms[start:stop], closest[start:stop],
                candidate_lanes, cand_sqnorms, screen_lanes, screen_terms, screen_coefs, formula_slack, undecided,
                kept, kept_rows, lane_dots, out,
            )  # fmt: skip
        elif direct:
            rows_t = packed[start // STEP_ROWS]
            _direct_step(rows_t, start, stop - start, x_sqnorms, closest, candidates, cand_sqnorms, step_dots, out)
        else:
            _packed_distances(
                packed, start, kept, stop - start, candidate_lanes, cand_sqnorms, x_sqnorms[start:stop],
                closest[start:stop], lane_dots, out[:, start:stop],
            )  # fmt: skip


@njit(inline="always", cache=True)
def _sparse_row_sq_distances(
    data, indices, indptr, i, candidates, candidates_t, feature_major, cand_sqnorms, x_sqnorms, out
):  # fmt: skip
    """``out[c]``: scikit-learn's squared distance (float64) of CSR row i to candidate c, from
    :func:`~kmlab._kernels.lloyd._sparse_center_dots` (its ``feature_major`` layout); inlined,
    it rounds as the calling kernel's fastmath flags say."""
    _sparse_center_dots(data, indices, indptr[i], indptr[i + 1], candidates, candidates_t, feature_major, out)
    for c in range(out.shape[0]):
        out[c] = _sq_distance(out[c], cand_sqnorms[c], x_sqnorms[i])


@njit(parallel=True, cache=True, fastmath=SEPARATE_ROUNDING)
def closest_sq_distances_sparse(
    data,  # IN (nnz,) float32/float64
    indices,  # IN (nnz,) sorted column indices of each row
    indptr,  # IN (n + 1,)
    x_sqnorms,  # IN (n,) float64 (row_sqnorms_sparse)
    candidates,  # IN (t, d) float64 candidate centres (dense)
    cand_sqnorms,  # IN (t,) float64 (row_sqnorms_sparse of the candidate rows)
    closest,  # IN (n,) dtype of data: squared distance to the closest centre (inf: none yet)
    out,  # OUT (t, n) dtype of data: min(closest, squared distance to each candidate)
):
    """Each candidate's dot products add the row's products in its stored order, each product
    rounded (scipy's sparse product; :func:`_sparse_row_sq_distances`)."""
    n_samples, n_candidates = indptr.shape[0] - 1, candidates.shape[0]
    feature_major, candidates_t = _feature_major_copy(candidates, data.shape[0])
    for chunk in prange(-(-n_samples // CHUNK)):
        dists = np.empty(n_candidates)
        for i in range(chunk * CHUNK, min(n_samples, (chunk + 1) * CHUNK)):
            _sparse_row_sq_distances(
                data, indices, indptr, i, candidates, candidates_t, feature_major, cand_sqnorms, x_sqnorms, dists
            )
            near = closest[i]
            for c in range(n_candidates):
                out[c, i] = dists[c]
                if near < out[c, i]:
                    out[c, i] = near


# Additions per comparison in draw_candidates' running sum.
DRAW_BLOCK = 8


@njit(cache=True, fastmath=SEPARATE_ROUNDING)
def draw_candidates(
    sample_weight,  # IN (n,) dtype of the data
    closest,  # IN (n,) dtype of the data
    values,  # IN (t,) float64 draws, uniform * potential
    out,  # OUT (t,) int64
):
    """``np.searchsorted(np.cumsum(sample_weight * closest), values)``, clipped to n - 1.

    The same operations in the same order: each product rounded to the data's
    dtype, then added to the running sum in that dtype, one sample after the
    other (numpy's ``cumsum`` is sequential), and the first sample whose running
    sum reaches the value is the answer (a float32 sum compares exactly with a
    float64 value).  One pass, without the two temporary arrays, that stops
    at the largest value (the sum is sequential: its additions are the time).
    The terms are not negative (validated weights, clipped distances), so the
    sum never decreases: a block of DRAW_BLOCK additions whose end stays below
    the value holds no answer, and is added without a comparison per sample.
    """
    n, n_values = closest.shape[0], values.shape[0]
    if n_values == 0:
        return
    order = np.argsort(values)
    found, i = 0, 0
    running = sample_weight[0] * closest[0]
    # The next value in a register: the loop is the chain of additions and one
    # comparison (reading values[order[found]] at every sample cost a fifth more).
    threshold = values[order[0]]
    while True:
        if running >= threshold:
            out[order[found]] = i
            found += 1
            if found == n_values:
                return
            threshold = values[order[found]]
            continue
        # Whole blocks while they end below the value; the block that reaches it
        # goes one sample at a time (tried again after each: a few additions).
        while i + DRAW_BLOCK < n:
            ahead = running
            for j in range(i + 1, i + DRAW_BLOCK + 1):
                ahead = ahead + sample_weight[j] * closest[j]
            if ahead >= threshold:
                break
            running = ahead
            i += DRAW_BLOCK
        i += 1
        if i == n:
            break
        running = running + sample_weight[i] * closest[i]
    for j in range(found, n_values):
        out[order[j]] = n - 1


@njit(cache=True)
def search_cumulative(
    cumulative,  # IN (n,) non-decreasing
    values,  # IN (t,) float64
    out,  # OUT (t,) int64
):
    """``np.searchsorted(cumulative, values)`` clipped to ``n - 1``."""
    n = cumulative.shape[0]
    for j in range(values.shape[0]):
        low, high = 0, n
        while low < high:
            mid = (low + high) // 2
            if cumulative[mid] < values[j]:
                low = mid + 1
            else:
                high = mid
        out[j] = min(low, n - 1)


@njit(cache=True, fastmath=FASTMATH)
def prepare_candidates_dense(
    X,  # IN (n, d) float32/float64, raw rows
    offset,  # IN (d,) dtype of X
    ids,  # IN (t,) int64 the candidate samples
    x_sqnorms,  # IN (n,) float64 ||fl(x - offset)||^2 (numpy's einsum, hence the candidates' norms too)
    shift64,  # IN (d,) float64 the offset (screen)
    screen_a,  # IN float64 screen error coefficient of ||x - offset|| ||c||
    screen_b,  # IN float64 screen error coefficient of ||c||
    formula_slack,  # IN float64
    candidates_t,  # OUT (d, t) float64 the candidates transposed
    cand_sqnorms,  # OUT (t,) float64
    screen_lanes,  # OUT (blocks, ceil(d / 2), 2 L) dtype of X, from empty_screen: written when it has blocks (screen)
    screen_terms,  # OUT (blocks * L,) float64 (screen): its first t entries
    screen_coefs,  # OUT (blocks * L,) float64 (screen): its first t entries
):
    """The candidates of a k-means++ round in the forms :func:`closest_sq_distances_dense` reads.

    ``screen_terms`` and ``screen_coefs`` are the screen's
    bounds (see :class:`kmlab._init._CandidateDistances` for their derivation,
    which allows for their own rounding); everything else is exact.
    """
    n_candidates, n_features = ids.shape[0], X.shape[1]
    for c in range(n_candidates):
        cand_sqnorms[c] = x_sqnorms[ids[c]]
        for f in range(n_features):
            candidates_t[f, c] = X[ids[c], f] - offset[f]
    n_lanes = screen_lanes.shape[2] // 2
    for c in range(n_candidates if screen_lanes.shape[0] > 0 else 0):
        norm = np.sqrt(cand_sqnorms[c])
        offset_dot = 0.0
        for f in range(n_features):
            screen_lanes[c // n_lanes, f // 2, 2 * (c % n_lanes) + f % 2] = candidates_t[f, c]
            offset_dot += candidates_t[f, c] * shift64[f]
        screen_terms[c] = (1.0 - formula_slack) * cand_sqnorms[c] + 2.0 * offset_dot - 2.0 * screen_b * norm
        screen_coefs[c] = 2.0 * screen_a * norm


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def one_candidate_sq_distances_dense(
    X,  # IN (n, d) float32/float64, raw rows
    offset,  # IN (d,) dtype of X
    candidate,  # IN (d,) float64 a candidate centre (coordinates of x - offset)
    cand_sqnorm,  # IN float64 its squared norm
    x_sqnorms,  # IN (n,) float64 ||fl(x - offset)||^2
    closest,  # IN (n,) dtype of X: squared distance of each sample to its closest centre
    block_starts,  # IN (n_blocks + 1,) int64 row offsets, multiples of CHUNK but the last
    out,  # OUT (n,) dtype of X: min(closest, squared distance to the candidate)
):
    """One candidate's distances as kmlab._init's numpy computation gives them, a chunk of rows at a time.

    Each chunk is centred in X's dtype and upcast, as numpy's ``(X - offset).astype(float64)``,
    then goes through the GEMV of :func:`_one_candidate_sq_distances`, without numpy's temporary arrays.
    """
    _one_candidate_blocks(X, offset, candidate, cand_sqnorm, x_sqnorms, closest, block_starts, out)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _one_candidate_blocks(X, offset, candidate, cand_sqnorm, x_sqnorms, closest, block_starts, out):
    """:func:`one_candidate_sq_distances_dense` (its arguments), inlined so that its
    blocks also run in parallel in the parallel k-means++ build."""
    n_features = X.shape[1]
    for b in prange(block_starts.shape[0] - 1):
        rows64 = np.empty((CHUNK, n_features))
        dots = np.empty(CHUNK)
        for start in range(block_starts[b], block_starts[b + 1], CHUNK):
            stop = min(start + CHUNK, block_starts[b + 1])
            for i in range(stop - start):
                for f in range(n_features):
                    rows64[i, f] = X[start + i, f] - offset[f]
            _one_candidate_sq_distances(
                rows64[: stop - start], candidate, cand_sqnorm, x_sqnorms[start:stop], closest[start:stop],
                dots[: stop - start], out[start:stop],
            )  # fmt: skip


@njit(cache=True, fastmath=FASTMATH)
def _one_candidate_sq_distances(rows64, candidate, cand_sqnorm, x_sqnorms, closest, dots, out):
    """``out = min(closest, d(x, candidate)^2)`` for the rows ``rows64`` (float64): numpy's computation.

    ``rows64 @ candidate`` is the GEMV numpy's ``candidate @ rows.T`` calls
    (a row's product does not depend on the other rows).
    """
    np.dot(rows64, candidate, dots)
    for i in range(rows64.shape[0]):
        out[i] = min(_sq_distance(dots[i], cand_sqnorm, x_sqnorms[i]), np.float64(closest[i]))


@njit(cache=True)
def chained_products(
    candidates,  # IN (t, d) float64
    rows,  # IN (m, d) float64
):
    """``candidates @ rows.T``, each entry added up as the k-means++ kernels add a dot
    product (:func:`~kmlab._kernels._intrinsics._gemm_order_dot`), for the driver's
    comparison with numpy's (:func:`kmlab._init.chains_add_as_blas`)."""
    rows_t = np.ascontiguousarray(rows.T)
    out = np.empty((candidates.shape[0], rows.shape[0]))
    for c in range(candidates.shape[0]):
        for i in range(rows.shape[0]):
            out[c, i] = _gemm_order_dot(rows_t, i, candidates, c, candidates.shape[1])
    return out


@njit(cache=True)
def blas_products(
    matrix,  # IN (m, n) float32/float64, C-contiguous
    vector,  # IN (n,) dtype of matrix
    out,  # OUT (m,) matrix @ vector
):
    """The products of the k-means++ rounds kernel (GEMV into ``out``; returns the DOT ``matrix[0] @ vector``).

    The driver compares them with numpy's (:func:`kmlab._init.kernel_rounds_supported`).
    """
    np.dot(matrix, vector, out)
    return np.dot(matrix[0], vector)


@njit(cache=True)
def legacy_weighted_choice(
    probabilities,  # IN (n,) float32/float64, non-negative, summing to about 1
    draw,  # IN float64 uniform in [0, 1)
):
    """``RandomState.choice(n, p=probabilities)`` whose uniform draw was ``draw``, without its checks.

    The legacy generator's frozen rule: the first sample whose float64
    cumulative probability (numpy's sequential ``cumsum``), divided by the
    last one, exceeds the draw.  One pass keeps the running sums (the
    additions wait on each other: they are the time), then a binary search
    divides some twenty of them: the divided sums grow with the sample, as
    rounding is monotone.  A second pass recomputing the sums, with a division
    per sample, took twice as long (100k samples, a draw of 0.55: 0.16 ms,
    now 0.08).
    """
    n_samples = probabilities.shape[0]
    cumulative = np.empty(n_samples)
    running = 0.0
    for i in range(n_samples):
        running += np.float64(probabilities[i])
        cumulative[i] = running
    total = running
    low, high = 0, n_samples
    while low < high:
        mid = (low + high) // 2
        if cumulative[mid] / total > draw:
            high = mid
        else:
            low = mid + 1
    return min(low, n_samples - 1)


def greedy_kmeans_plusplus_dense(
    X,  # IN (n, d) float32/float64, raw rows
    offset,  # IN (d,) dtype of X: seeds the rows fl(x - offset)
    sample_weight,  # IN (n,) dtype of X
    probabilities,  # IN (n,) dtype of X: sample_weight / sample_weight.sum()
    x_sqnorms,  # IN (n,) float64 ||fl(x - offset)||^2 by numpy's einsum
    x_norms,  # IN (n,) float64 their square roots (screen), else (0,)
    first_draw,  # IN float64 uniform draw in [0, 1) for the first centre
    draws,  # IN (k - 1, t) float64 uniform draws in [0, 1): row c - 1 for centre c
    shift64,  # IN (d,) float64 the offset (screen)
    screen_a,  # IN float64 (screen)
    screen_b,  # IN float64 (screen)
    formula_slack,  # IN float64
    screen,  # IN bool: prune by the screen (else every entry is computed)
    packed,  # IN packing.pack_rows_dense's rows (read when screen is False), else (0, 1, 1)
    block_starts,  # IN (n_blocks + 1,) int64 row offsets, multiples of CHUNK but the last
    first_round,  # IN int64 the first centre this call picks
    stop_round,  # IN int64 one past the last
    indices,  # IN/OUT (k,) int64 the centres' samples: those before first_round in, this call's out
    closest,  # IN/OUT (n,) dtype of X: squared distance to the closest centre so far (inf before round 0)
    potential,  # IN float64 the weighted sum of closest (scikit-learn's current_pot, exact in float64)
    distances,  # SCRATCH (t, n) dtype of X
    centers_out,  # OUT (k, d) dtype of X: rows first_round:stop_round, the centres' rows fl(x - offset)
):
    """Rounds ``first_round:stop_round`` of greedy k-means++: kmlab._init's general rounds, on the same values.

    Round 0 picks the first centre as ``RandomState.choice(n, p=probabilities)``
    does with ``first_draw`` (:func:`legacy_weighted_choice`).  Each next
    round: the draws scaled by the potential (:func:`draw_candidates`), the
    candidates' distances (the blocks of :func:`closest_sq_distances_dense`, or
    of :func:`one_candidate_sq_distances_dense` for a single candidate), their
    potentials by the GEMV numpy's ``distances @ sample_weight`` calls (a DOT
    for one row), the first lowest kept.  The driver calls it for slices of
    rounds, so that Ctrl-C gets through between calls.  Returns the potential
    after the last round.
    """
    n_features = X.shape[1]
    n_trials = draws.shape[1]
    ids = np.empty(n_trials, dtype=np.int64)
    potentials = np.empty(n_trials, dtype=X.dtype)
    candidate = np.empty(n_features)
    candidates_t = np.empty((n_features, n_trials))
    cand_sqnorms = np.empty(n_trials)
    screen_lanes, screen_terms, screen_coefs = empty_screen(X, n_trials, screen)
    for c in range(first_round, stop_round):
        best = 0
        if c == 0:
            ids[0] = legacy_weighted_choice(probabilities, first_draw)
        else:
            draw_candidates(sample_weight, closest, draws[c - 1] * potential, ids)
        if c == 0 or n_trials == 1:
            for f in range(n_features):
                candidate[f] = X[ids[0], f] - offset[f]
            _one_candidate_blocks(
                X, offset, candidate, x_sqnorms[ids[0]], x_sqnorms, closest, block_starts, distances[0]
            )
            potentials[0] = np.dot(distances[0], sample_weight)
        else:
            prepare_candidates_dense(
                X, offset, ids, x_sqnorms, shift64, screen_a, screen_b, formula_slack, candidates_t, cand_sqnorms,
                screen_lanes, screen_terms, screen_coefs,
            )  # fmt: skip
            _closest_blocks(
                X, offset, x_sqnorms, x_norms, candidates_t, cand_sqnorms, closest, screen_lanes, screen_terms,
                screen_coefs, formula_slack, packed, block_starts, distances,
            )  # fmt: skip
            np.dot(distances, sample_weight, potentials)
            best = np.argmin(potentials)
        potential = np.float64(potentials[best])
        indices[c] = ids[best]
        _copy_into(closest, distances[best])
        for f in range(n_features):
            centers_out[c, f] = X[indices[c], f] - offset[f]
    return potential


# Two builds of the rounds: the parallel one for data whose rounds are worth
# threads, the serial one for small data (a parallel loop costs some
# microseconds to start even on one thread).  numba caches compiled code by
# function name: the parallel build is a copy of the function under its own name.
greedy_kmeans_plusplus_dense_parallel = njit(parallel=True, cache=True, fastmath=FASTMATH)(
    renamed_copy(greedy_kmeans_plusplus_dense, "greedy_kmeans_plusplus_dense_parallel")
)
greedy_kmeans_plusplus_dense = njit(cache=True, fastmath=FASTMATH)(greedy_kmeans_plusplus_dense)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def nearest_candidate_dense(
    X,  # IN (n, d) float32/float64, raw rows
    offset,  # IN (d,) dtype of X
    x_sqnorms,  # IN (n,) float64 ||fl(x - offset)||^2
    candidates_t,  # IN (d, m) dtype of X: candidates (centred) transposed, C-contiguous
    cand_sqnorms,  # IN (m,) float64
    first_label,  # IN int64: label of candidate 0
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    closest,  # IN/OUT (n,) float64 squared distance to the nearest candidate so far
    nearest,  # IN/OUT (n,) int64 label of that candidate (ties keep the earlier one)
):
    n_features, n_candidates = candidates_t.shape
    for b in prange(block_starts.shape[0] - 1):
        rows = np.empty((CHUNK, n_features), dtype=X.dtype)
        dots = np.empty((CHUNK, n_candidates), dtype=X.dtype)
        for start in range(block_starts[b], block_starts[b + 1], CHUNK):
            stop = min(start + CHUNK, block_starts[b + 1])
            m = stop - start
            chunk_x, chunk_sqnorms = X[start:stop], x_sqnorms[start:stop]
            chunk_closest, chunk_nearest = closest[start:stop], nearest[start:stop]
            for i in range(m):
                for f in range(n_features):
                    rows[i, f] = chunk_x[i, f] - offset[f]
            np.dot(rows[:m], candidates_t, dots[:m])
            for i in range(m):
                for c in range(n_candidates):
                    dist = _sq_distance(np.float64(dots[i, c]), cand_sqnorms[c], chunk_sqnorms[i])
                    if dist < chunk_closest[i]:
                        chunk_closest[i] = dist
                        chunk_nearest[i] = first_label + c


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def nearest_candidate_sparse(
    data,  # IN (nnz,) float32/float64
    indices,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    x_sqnorms,  # IN (n,) float64
    candidates,  # IN (m, d) float64 candidates (dense)
    cand_sqnorms,  # IN (m,) float64
    first_label,  # IN int64: label of candidate 0
    closest,  # IN/OUT (n,) float64 squared distance to the nearest candidate so far
    nearest,  # IN/OUT (n,) int64 label of that candidate (ties keep the earlier one)
):
    n_samples, n_candidates = indptr.shape[0] - 1, candidates.shape[0]
    feature_major, candidates_t = _feature_major_copy(candidates, data.shape[0])
    for chunk in prange(-(-n_samples // CHUNK)):
        dists = np.empty(n_candidates)
        for i in range(chunk * CHUNK, min(n_samples, (chunk + 1) * CHUNK)):
            _sparse_row_sq_distances(
                data, indices, indptr, i, candidates, candidates_t, feature_major, cand_sqnorms, x_sqnorms, dists
            )
            for c in range(n_candidates):
                if dists[c] < closest[i]:
                    closest[i] = dists[c]
                    nearest[i] = first_label + c
