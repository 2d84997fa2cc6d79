"""The dot-product intrinsics give the chains' values (_gemm_order_dot, seeding.chained_products);
the group filter's keep the two smallest values and the first slot, and reduce_lanes brings its lanes
together; first_argmin finds numpy's argmin."""

import numpy as np
import pytest
from numba import njit
from numpy.testing import assert_array_equal

from kmlab._kernels._intrinsics import (
    CANDIDATE_ROWS_4,
    CANDIDATE_ROWS_8,
    LANES,
    SCREEN_CHAINS,
    SCREEN_ROWS,
    BLOCK_ROWS,
    BLOCK_VECTORS,
    TILE_ROWS,
    VECTOR_BYTES,
    _gemm_order_dot,
    block_dots,
    candidate_dots_4,
    candidate_dots_8,
    first_argmin,
    group_tile_minima_2,
    group_lanes,
    group_tile_minima_3,
    reduce_lanes,
    screen_undecided,
)
from kmlab._kernels.seeding import chained_products, empty_screen
from kmlab._lloyd import packed_rows


@njit
def _all_candidate_dots(packed, n_rows, candidate_lanes, out):
    """Every row's dot products with up to 4 candidates (one lane block) or more (blocks of 8)."""
    if candidate_lanes.shape[2] == 4:
        for q in range(0, n_rows, CANDIDATE_ROWS_4):
            candidate_dots_4(packed, q, candidate_lanes[0], out[0], q)
    else:
        for b in range(candidate_lanes.shape[0]):
            for q in range(0, n_rows, CANDIDATE_ROWS_8):
                candidate_dots_8(packed, q, candidate_lanes[b], out[b], q)


@njit
def _all_block_dots(rows_t, vectors, out):
    for first in range(0, vectors.shape[0], BLOCK_VECTORS):
        for q in range(0, rows_t.shape[1], BLOCK_ROWS):
            block_dots(rows_t, q, vectors[first : first + BLOCK_VECTORS], out[first : first + BLOCK_VECTORS])


def _operands(seed, dtype, n_rows, n_features, n_candidates):
    """Rows whose magnitudes vary over four orders, some exact zeros, and candidates."""
    rng = np.random.default_rng(seed)
    rows = rng.standard_normal((n_rows, n_features)) * 10.0 ** rng.uniform(-2, 2, (n_rows, 1))
    rows[rng.uniform(size=rows.shape) < 0.1] = 0.0
    candidates = rng.standard_normal((n_candidates, n_features))
    return rows.astype(dtype), candidates


@pytest.mark.parametrize("n_candidates", [1, 3, 4, 5, 8, 9, 17])
@pytest.mark.parametrize("n_features", [1, 3, 17, 64])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_candidate_dots_are_the_chains(seed, dtype, n_features, n_candidates):
    # 300 rows: three packed steps, the last one partial (its padding rows computed, unread).
    rows, candidates = _operands(seed, dtype, 300, n_features, n_candidates)
    packed = packed_rows(rows, np.zeros(n_features, dtype=dtype))
    lanes = 4 if n_candidates <= 4 else LANES
    n_blocks = -(-n_candidates // lanes)
    candidate_lanes = np.zeros((n_blocks, packed.shape[1], lanes))
    for c in range(n_candidates):
        candidate_lanes[c // lanes, :n_features, c % lanes] = candidates[c]
    out = np.full((n_blocks, packed.shape[0] * packed.shape[2], LANES), np.nan)
    _all_candidate_dots(packed, 300, candidate_lanes, out)
    values = np.concatenate([block[:300, :lanes] for block in out], axis=1)[:, :n_candidates]
    assert_array_equal(values, chained_products(candidates, rows.astype(np.float64)).T)


@njit
def _all_screen_undecided(X, first, lanes, sqnorms, norms, near, slack, terms, coefs, lane_first, undecided, out):
    for q in range(0, near.shape[0], SCREEN_ROWS):
        screen_undecided(
            X, first + q, lanes, sqnorms, norms, near, slack, terms, coefs, lane_first, undecided, q, out, 3
        )  # fmt: skip


def _screen_order(rows, vectors):
    """screen_undecided's dot products: SCREEN_CHAINS chains of pairs (chain r: pairs
    SCREEN_CHAINS i + r), chain 0 going on with the pair left over and the last
    feature, added in order; then the even lanes (the pairs' first features) and
    the odd ones added."""
    n_features = rows.shape[1]
    n_grouped = 2 * SCREEN_CHAINS * (n_features // (2 * SCREEN_CHAINS))

    def chain(features):
        if not features:
            return np.zeros((vectors.shape[0], rows.shape[0]), dtype=rows.dtype)
        return _chains(np.ascontiguousarray(rows[:, features].T), np.ascontiguousarray(vectors[:, features]))

    even, odd = [], []
    for r in range(SCREEN_CHAINS):
        firsts = list(range(2 * r, n_grouped, 2 * SCREEN_CHAINS))
        # At most one pair past the groups (SCREEN_CHAINS is 1 or 2).
        if r == 0 and n_features // 2 > n_grouped // 2:
            firsts.append(n_grouped)
        even.append(chain(firsts + ([n_features - 1] if r == 0 and n_features % 2 else [])))
        odd.append(chain([f + 1 for f in firsts]))
    return sum(even[1:], even[0]) + sum(odd[1:], odd[0])


@pytest.mark.parametrize("first_block", [False, True])
@pytest.mark.parametrize("n_features", [1, 2, 3, 4, 5, 6, 7, 17, 18, 64])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_screen_undecided_tests_the_chains_writes_near_and_stops_at_the_last_rows(seed, dtype, n_features, first_block):
    n_lanes = VECTOR_BYTES // np.dtype(dtype).itemsize
    rows, candidates = _operands(seed, dtype, 43, n_features, n_lanes)
    candidates = candidates.astype(dtype)
    screen_lanes, _, _ = empty_screen(rows, n_lanes, True)
    lanes = screen_lanes[0]
    for f in range(n_features):
        lanes[f // 2, f % 2 :: 2] = candidates[:, f]
    # A step of 39 rows from row 5: its rows past X's last (42) read X's last,
    # the calls' rows past the step's last read the step's last terms.
    n_step, n_written = 39, -(-39 // SCREEN_ROWS) * SCREEN_ROWS
    x_rows = np.minimum(5 + np.arange(n_written), 42)
    step_rows = np.minimum(np.arange(n_written), n_step - 1)
    dots = _screen_order(rows, candidates).T[x_rows].astype(np.float64)
    rng = np.random.default_rng(seed)
    # The candidates' terms from lane n_lanes on (lane 0 for the first block);
    # each row's term just above or just below the one that makes its largest lane fail.
    lane_first = 0 if first_block else n_lanes
    terms, coefs = rng.uniform(-50, 50, 2 * n_lanes), rng.uniform(0, 1e-3, 2 * n_lanes)
    terms_l, coefs_l = terms[lane_first : lane_first + n_lanes], coefs[lane_first : lane_first + n_lanes]
    norms = rng.uniform(0, 100, n_step)
    largest = (2.0 * dots - terms_l + coefs_l * norms[step_rows, None]).max(axis=1)[:n_step]
    row_terms = largest + rng.choice([-1e-6, 1e-6], n_step) * np.abs(largest) + rng.choice([0.0, 1e-3], n_step)
    # The rows' terms as (1 - slack) ||x||^2 - near, near in X's dtype.
    slack, near = 2.0**-40, rng.uniform(0, 10, n_step).astype(dtype)
    sqnorms = (row_terms + near) / (1 - slack)
    row_terms = (1 - slack) * sqnorms - near
    undecided = rng.integers(0, 2, 48)
    bounds = (row_terms[step_rows, None] + terms_l) - coefs_l * norms[step_rows, None]
    expected = undecided.copy()
    fails = (bounds < 2.0 * dots).any(axis=1)
    expected[:n_written] = fails if first_block else expected[:n_written] | fails
    # The step's closest distances from column 3 to the block's candidates among
    # out's 5 from lane_first (float64: 4 in a block), nothing past them.
    out = np.full((lane_first + 5, n_step + 10), np.nan, dtype=dtype)
    expected_out = out.copy()
    expected_out[lane_first : lane_first + n_lanes, 3 : 3 + n_step] = near
    _all_screen_undecided(rows, 5, lanes, sqnorms, norms, near, slack, terms, coefs, lane_first, undecided, out)
    assert_array_equal(undecided, expected)
    assert 0 < fails[:n_step].sum() < n_step
    assert_array_equal(out, expected_out)


@pytest.mark.parametrize("n_vectors", [1, 2, 3, 5, 7, 8, 9, 17])
@pytest.mark.parametrize("n_features", [1, 4, 13, 16, 40])
@pytest.mark.parametrize(
    "rows_dtype, dtype", [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)]
)
def test_block_dots_are_the_chains(seed, rows_dtype, dtype, n_features, n_vectors):
    rows, vectors = _operands(seed, rows_dtype, 128, n_features, n_vectors)
    vectors = vectors.astype(dtype)
    # Feature rows past the vectors' (the packed rows' zero padding) are not read.
    rows_t = np.full((n_features + 3, 128), np.nan, dtype=rows_dtype)
    rows_t[:n_features] = rows.T
    out = np.full((n_vectors, 128), np.nan, dtype=dtype)
    _all_block_dots(rows_t, vectors, out)
    # float32 chains: those of the Lloyd kernels; float32 rows with float64
    # vectors: k-means++'s, the rows converted exactly.
    expected = _chains(np.ascontiguousarray(rows.T, dtype=dtype), vectors)
    assert_array_equal(out, expected)
    if dtype == np.float64:
        assert_array_equal(out, chained_products(vectors, rows.astype(np.float64)))


@njit
def _all_tile_minima(per_call, rows, row_list, blocks, sqnorms, calls, least, next_least, least_slot):
    """Every TILE_ROWS entries of ``row_list``, the ``calls`` (first block, blocks taken, restart) in turn."""
    for q in range(0, row_list.shape[0], TILE_ROWS):
        for c in range(calls.shape[0]):
            block, taken, restart = calls[c, 0], calls[c, 1], calls[c, 2]
            minima = (least, next_least, least_slot)
            if per_call == 2:
                group_tile_minima_2(rows, row_list, q, blocks, sqnorms, block, taken, restart, *minima)
            else:
                group_tile_minima_3(rows, row_list, q, blocks, sqnorms, block, taken, restart, *minima)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("per_call", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_group_tile_minima_keep_the_two_smallest_values_and_the_first_slot(seed, dtype, per_call, ties):
    rng = np.random.RandomState(seed)
    n_blocks, n_features, lanes = 6, 7, group_lanes(dtype)
    n_slots = n_blocks * lanes
    if ties:  # few distinct values: equal values in a lane, and as smallest
        rows, centers = rng.randint(-1, 2, (10, n_features)), rng.randint(-1, 2, (n_slots, n_features))
    else:
        rows, centers = rng.normal(size=(10, n_features)), rng.normal(size=(n_slots, n_features))
    rows, centers = rows.astype(dtype), centers.astype(dtype)
    padding = rng.choice(n_slots, 5, replace=False)
    centers[padding] = 0.0
    sqnorms = (centers * centers).sum(axis=1, dtype=dtype)
    sqnorms[padding] = np.inf
    blocks = np.ascontiguousarray(centers.reshape(n_blocks, lanes, n_features).transpose(0, 2, 1))
    row_list = rng.randint(0, 10, 3 * TILE_ROWS)
    # A call whose minima the restart then drops; block 0 alone; the rest in calls of per_call (the last taking fewer).
    calls = [(5, 1, 1), (0, 1, 1)] + [(b, min(per_call, n_blocks - b), 0) for b in range(1, n_blocks, per_call)]
    least, next_least = (np.full((row_list.shape[0], lanes), np.nan, dtype=dtype) for _ in range(2))
    least_slot = np.full((row_list.shape[0], lanes), -1, dtype=np.int64)
    _all_tile_minima(per_call, rows, row_list, blocks, sqnorms, np.array(calls), least, next_least, least_slot)
    dots = _chains(np.ascontiguousarray(rows.T), centers).T  # (10, n_slots): the chains' values
    values = sqnorms - (dots + dots)
    for entry, row in enumerate(row_list):
        for lane in range(lanes):
            lane_values = values[row, lane::lanes]  # slots lane, lanes + lane, ... in the order taken in
            first = np.argmin(lane_values)
            assert least[entry, lane] == lane_values[first]
            assert least_slot[entry, lane] == first * lanes + lane
            assert next_least[entry, lane] == np.sort(lane_values)[1]



def _lanes_reduced(least, next_least, least_slot):
    """What reduce_lanes computes, row by row as the group filter's scalar loop did: the smallest
    value, the smallest slot holding it, and the smallest of the other lanes' values and every
    lane's next smallest."""
    out = []
    for values, nexts, slots in zip(least, next_least, least_slot):
        smallest = values.min()
        nearest = slots[values == smallest].min()
        second = min(np.where(slots != nearest, values, np.inf).min(), nexts.min())
        out.append((smallest, nearest, second))
    return out


@pytest.mark.parametrize("kind", ["distinct", "ties", "infinite"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reduce_lanes_gives_the_smallest_its_first_slot_and_the_next(seed, dtype, kind):
    rng = np.random.default_rng(seed)
    n_rows, lanes = 300, group_lanes(dtype)
    if kind == "ties":  # the smallest in several lanes, next smallest equal to it
        least = rng.integers(-2, 2, (n_rows, lanes)).astype(dtype)
        next_least = np.maximum(least, rng.integers(-2, 3, (n_rows, lanes)).astype(dtype))
    else:
        least = rng.standard_normal((n_rows, lanes)).astype(dtype)
        next_least = least + rng.exponential(size=(n_rows, lanes)).astype(dtype)
        if kind == "infinite":  # lanes of padding slots only, or with a single slot of their group
            next_least[rng.uniform(size=(n_rows, lanes)) < 0.5] = np.inf
            padded = rng.uniform(size=(n_rows, lanes)) < 0.3
            least[padded] = next_least[padded] = np.inf
            least[::7, 1:] = next_least[::7, 1:] = np.inf
    # Lane l's slots are l, lanes + l, ...: a lane's smallest sits in one of its own.
    least_slot = rng.integers(0, 6, (n_rows, lanes)) * lanes + np.arange(lanes)
    expected = _lanes_reduced(least, next_least, least_slot)
    n_reduced = n_rows - 5  # rows past n_rows stay as they are
    untouched = least[n_reduced:].copy(), next_least[n_reduced:].copy(), least_slot[n_reduced:].copy()
    _reduce_lanes(least, next_least, least_slot, n_reduced)
    for t in range(n_reduced):
        assert (least[t, 0], least_slot[t, 0], next_least[t, 0]) == expected[t], t
    for before, after in zip(untouched, (least[n_reduced:], next_least[n_reduced:], least_slot[n_reduced:])):
        assert_array_equal(after, before)


@njit
def _reduce_lanes(least, next_least, least_slot, n_rows):
    reduce_lanes(least, next_least, least_slot, n_rows)


@njit
def _chains(rows_t, vectors):
    out = np.empty((vectors.shape[0], rows_t.shape[1]), dtype=rows_t.dtype)
    for j in range(vectors.shape[0]):
        for i in range(rows_t.shape[1]):
            out[j, i] = _gemm_order_dot(rows_t, i, vectors, j, vectors.shape[1])
    return out


@njit
def _first_argmins(values):
    """first_argmin of each row of ``values`` (2-D, C order)."""
    out = np.empty(values.shape[0], dtype=np.int64)
    for i in range(values.shape[0]):
        out[i] = first_argmin(values[i])
    return out


# Across the lengths where its passes change: one vector (4 float64 or 8 float32),
# four (its running minima), one word of compare masks (64 values), and beyond.
@pytest.mark.parametrize("n_values", [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_first_argmin_is_numpys(seed, dtype, n_values):
    rng = np.random.default_rng(seed)
    # Few distinct values (ties everywhere), distinct ones, zeros of both signs, infinities.
    ties = rng.integers(-2, 3, (200, n_values)).astype(dtype)
    distinct = rng.standard_normal((200, n_values)).astype(dtype)
    signed_zeros = np.where(rng.uniform(size=(200, n_values)) < 0.5, -0.0, 0.0).astype(dtype)
    signed_zeros[::3] += rng.integers(0, 2, (len(signed_zeros[::3]), n_values)).astype(dtype)
    infinite = np.where(rng.uniform(size=(200, n_values)) < 0.7, np.inf, distinct).astype(dtype)
    infinite[::4] = np.inf
    for values in (ties, distinct, signed_zeros, infinite):
        assert_array_equal(_first_argmins(values), np.argmin(values, axis=1))
    # The minimum in every position, once and repeated after it.
    single = np.ones((n_values, n_values), dtype=dtype)
    single[np.arange(n_values), np.arange(n_values)] = -1.0
    assert_array_equal(_first_argmins(single), np.arange(n_values))
    columns = np.arange(n_values)
    repeated = np.where(columns[None, :] >= columns[:, None], -1.0, 1.0).astype(dtype)
    assert_array_equal(_first_argmins(repeated), columns)
