"""Bounds-accelerated Lloyd: every variant gives plain Lloyd's iterates, bit for bit."""

import itertools
import tracemalloc

import numpy as np
import pytest
import sklearn.cluster
from sklearn.datasets import make_blobs
from numpy.testing import assert_array_equal
from testdata import blobs, positive_weights

import kmlab._lloyd
from kmlab import KMeans
from kmlab._kernels._config import CHUNK
from kmlab._kernels._intrinsics import _gemm_order_dot, group_lanes
from kmlab._kernels.lloyd import SETTLE_ROWS, _assign_gathered, _chain_formula_values, group_formula_values
from kmlab._lloyd import (
    ALGORITHMS,
    BOUND_ENTRY_BYTES,
    BOUNDS_BYTES,
    GroupDrifts,
    LloydWorkspace,
    center_sqnorms,
    choose_algorithm,
    direct_supported,
    fill_group_layout,
    gemm_place_classes,
    group_centers,
    group_filter_supported,
    group_layout,
    n_bound_groups,
)
from kmlab._threads import kernel_threads
from kmlab._init import row_sqnorms64

BOUNDED = [algorithm for algorithm in ALGORITHMS if algorithm != "lloyd"]


def assert_identical(a, b):
    assert_array_equal(a.labels_, b.labels_)
    assert a.n_iter_ == b.n_iter_
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_


def structured(seed, dtype, n_samples=3000, n_features=5, centers=24):
    """Many blobs, overlapping enough for several iterations: the bounds skip most samples."""
    return blobs(seed, n_samples=n_samples, n_features=n_features, centers=centers, cluster_std=1.5, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", BOUNDED + ["auto"])
def test_bounded_variants_equal_plain_lloyd(seed, dtype, algorithm):
    X = structured(seed, dtype)
    weights = positive_weights(X.shape[0], seed)
    plain = KMeans(24, algorithm="lloyd", random_state=seed).fit(X, sample_weight=weights)
    bounded = KMeans(24, algorithm=algorithm, random_state=seed).fit(X, sample_weight=weights)
    assert_identical(bounded, plain)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", BOUNDED)
def test_bounded_variants_on_a_block_of_several_settling_passes(seed, dtype, algorithm, monkeypatch):
    # One block of every row: its bounds are moved and tried SETTLE_ROWS rows at a
    # time before the rows they leave are compared, the last pass shorter.
    X = structured(seed, dtype)
    assert X.shape[0] > 2 * SETTLE_ROWS and X.shape[0] % SETTLE_ROWS
    monkeypatch.setattr(kmlab._lloyd, "PARTIAL_SUMS_BYTES", 1)
    assert LloydWorkspace(X, 24).block_starts.tolist() == [0, X.shape[0]]
    # (The blocks' inertias add up in block order: plain Lloyd on the same block.)
    plain = KMeans(24, algorithm="lloyd", random_state=seed).fit(X)
    bounded = KMeans(24, algorithm=algorithm, random_state=seed).fit(X)
    assert_identical(bounded, plain)
    assert bounded.n_distances_ < 0.4 * plain.n_distances_


@pytest.mark.parametrize("algorithm", BOUNDED)
def test_bounded_variants_match_sklearn_in_float64(seed, algorithm):
    X = structured(seed, np.float64)
    ours = KMeans(24, algorithm=algorithm, random_state=seed).fit(X)
    theirs = sklearn.cluster.KMeans(24, random_state=seed).fit(X)
    assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-6)


@pytest.mark.parametrize("algorithm", BOUNDED)
def test_bounds_skip_distance_computations(seed, algorithm):
    X = structured(seed, np.float64)
    plain = KMeans(24, algorithm="lloyd", random_state=seed, n_init=1).fit(X)
    bounded = KMeans(24, algorithm=algorithm, random_state=seed, n_init=1).fit(X)
    # one assignment per iteration, plus the final one unless the labels repeated
    assert plain.n_distances_ in (X.shape[0] * 24 * plain.n_iter_, X.shape[0] * 24 * (plain.n_iter_ + 1))
    assert bounded.n_distances_ < 0.4 * plain.n_distances_


@pytest.mark.parametrize("algorithm", BOUNDED)
def test_bounds_with_duplicates_ties_and_empty_clusters(algorithm):
    # Exact ties (points halfway between centres) and duplicated points, and an
    # initial centre far away that ends up empty and is relocated.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]] * 20)
    init = np.array([[0.5, 0.0], [3.5, 0.0], [100.0, 100.0]])
    plain = KMeans(3, init=init, algorithm="lloyd").fit(X)
    bounded = KMeans(3, init=init, algorithm=algorithm).fit(X)
    assert_identical(bounded, plain)
    assert_identical(bounded, KMeans(3, init=init, algorithm=algorithm, n_threads=1).fit(X))


def test_bounds_far_from_the_origin_in_float32():
    # Large norms make the distance formula's rounding error large: the margin
    # must keep the bounded labels equal to the formula's.
    rng = np.random.RandomState(0)
    X = (1e4 + rng.normal(scale=1.0, size=(4000, 3))).astype(np.float32)
    plain = KMeans(20, algorithm="lloyd", random_state=0).fit(X)
    for algorithm in BOUNDED:
        assert_identical(KMeans(20, algorithm=algorithm, random_state=0).fit(X), plain)


def test_bounds_beyond_float32_range_in_float64():
    # Distances above float32's largest value: the float32 group bounds are
    # stored as a finite value below them (lower bounds still, that separate nothing).
    X = np.random.RandomState(0).normal(size=(3000, 16)) * 1e40
    plain = KMeans(40, algorithm="lloyd", random_state=0, max_iter=30).fit(X)
    for algorithm in ["yinyang", "elkan"]:
        assert_identical(KMeans(40, algorithm=algorithm, random_state=0, max_iter=30).fit(X), plain)


def test_auto_drops_useless_bounds_and_keeps_the_answer():
    # Uniform noise in 30 dimensions: almost nothing can be skipped.
    X = np.random.RandomState(0).uniform(size=(3000, 30))
    auto = KMeans(64, algorithm="auto", random_state=0, max_iter=15).fit(X)
    elkan = KMeans(64, algorithm="elkan", random_state=0, max_iter=15).fit(X)
    plain = KMeans(64, algorithm="lloyd", random_state=0, max_iter=15).fit(X)
    assert_identical(auto, plain)
    # after the drop every sample is compared with every centre again
    assert elkan.n_distances_ < auto.n_distances_ <= plain.n_distances_


def test_auto_keeps_bounds_where_comparing_is_costly(monkeypatch):
    # 64 features and 256 centres: k * d reaches KEEP_BOUNDS_MIN_WORK, so 'auto'
    # keeps its Yinyang bounds (from its third assignment) through the run,
    # however little they skip at first.
    X = np.random.RandomState(0).uniform(size=(2000, 64))
    assert 256 * 64 >= LloydWorkspace.KEEP_BOUNDS_MIN_WORK
    auto = KMeans(256, algorithm="auto", random_state=0, max_iter=15).fit(X)
    yinyang = KMeans(256, algorithm="yinyang", random_state=0, max_iter=15).fit(X)
    plain = KMeans(256, algorithm="lloyd", random_state=0, max_iter=15).fit(X)
    assert_identical(auto, plain)
    # the first three assignments compare every sample, then the bounds skip
    assert yinyang.n_distances_ < auto.n_distances_ < plain.n_distances_
    # Judged by the cheap-comparison rule, bounds that do not skip 99% of the
    # distances (Yinyang's group filter skips most here) are dropped.
    monkeypatch.setattr(LloydWorkspace, "KEEP_BOUNDS_MIN_WORK", 10**9)
    monkeypatch.setattr(LloydWorkspace, "USEFUL_SKIP_FRACTION", 0.99)
    dropping = KMeans(256, algorithm="auto", random_state=0, max_iter=15).fit(X)
    assert_identical(dropping, plain)
    assert auto.n_distances_ < dropping.n_distances_


def test_auto_with_given_centres_computes_its_norms_when_it_needs_them():
    # An array init: no k-means++ norms; the bounds, turned on at the third
    # assignment, compute theirs then.  64 features x 256 centres keep them on.
    X = np.random.RandomState(0).uniform(size=(1500, 64))
    init = X[np.random.RandomState(1).choice(1500, 256, replace=False)]
    auto = KMeans(256, init=init, n_init=1, algorithm="auto", max_iter=12).fit(X)
    plain = KMeans(256, init=init, n_init=1, algorithm="lloyd", max_iter=12).fit(X)
    assert_identical(auto, plain)
    assert auto.n_distances_ < plain.n_distances_


def test_auto_bounds_serve_every_run_of_n_init():
    # Each k-means++ run suspends the bounds at its start and turns them on at
    # its third assignment, also after a run that ended before that.
    X = np.random.RandomState(0).uniform(size=(1500, 64))
    auto = KMeans(256, n_init=3, algorithm="auto", random_state=0, max_iter=12).fit(X)
    plain = KMeans(256, n_init=3, algorithm="lloyd", random_state=0, max_iter=12).fit(X)
    assert_identical(auto, plain)
    assert auto.n_distances_ < plain.n_distances_


def test_auto_sets_no_bounds_up_for_short_fits():
    # Well separated blobs: 2 iterations, which end before 'auto' turns its bounds on.
    X, _ = make_blobs(3000, n_features=20, centers=80, cluster_std=0.1, random_state=0)
    auto = KMeans(80, algorithm="auto", random_state=0).fit(X)
    plain = KMeans(80, algorithm="lloyd", random_state=0).fit(X)
    assert auto.n_iter_ <= LloydWorkspace.AUTO_BOUNDS_FROM
    assert_identical(auto, plain)
    assert auto.n_distances_ == plain.n_distances_


def test_auto_turns_bounds_on_once_few_labels_change(monkeypatch):
    # Uniform data from a random init: many labels change in the first
    # assignments, so 'auto' waits for one that changes at most
    # AUTO_BOUNDS_MAX_CHANGED of them before it turns its bounds on.
    X = np.random.RandomState(0).uniform(size=(3000, 64))
    init = X[np.random.RandomState(1).choice(3000, 256, replace=False)]
    changed, resumed_after = [], []
    assign, resume = LloydWorkspace.assign, LloydWorkspace.resume_bounds

    def recording_assign(self, *args, **kwargs):
        inertia, n_changed = assign(self, *args, **kwargs)
        changed.append(n_changed)
        return inertia, n_changed

    def recording_resume(self, X):
        if self.suspended:
            resumed_after.append(len(changed))
        resume(self, X)

    monkeypatch.setattr(LloydWorkspace, "assign", recording_assign)
    monkeypatch.setattr(LloydWorkspace, "resume_bounds", recording_resume)
    auto = KMeans(256, init=init, n_init=1, algorithm="auto", max_iter=60).fit(X)
    limit = LloydWorkspace.AUTO_BOUNDS_MAX_CHANGED * X.shape[0]
    assert len(resumed_after) == 1
    start = resumed_after[0]
    assert start > LloydWorkspace.AUTO_BOUNDS_FROM  # later than the earliest
    assert changed[start - 1] <= limit
    assert all(n > limit for n in changed[LloydWorkspace.AUTO_BOUNDS_FROM - 1 : start - 1])
    monkeypatch.undo()
    plain = KMeans(256, init=init, n_init=1, algorithm="lloyd", max_iter=60).fit(X)
    assert_identical(auto, plain)
    assert auto.n_distances_ < plain.n_distances_


def test_choose_algorithm_and_group_counts():
    import scipy.sparse as sp

    X = np.zeros((1000, 32))
    assert choose_algorithm(X, 4) == "lloyd"
    assert choose_algorithm(X, 63) == "lloyd"
    assert choose_algorithm(X, 64) == "yinyang"
    assert choose_algorithm(X[:, :2], 128) == "lloyd"
    # Up to 16 features: every distance through the direct kernel, where it
    # serves the shape, with up to 4 features or 2048 centre coordinates.
    for n_features, n_clusters in [(4, 1024), (16, 128), (8, 256)]:
        direct = direct_supported(X.dtype, n_features, n_clusters, len(X))
        assert choose_algorithm(X[:, :n_features], n_clusters) == ("lloyd" if direct else "yinyang")
    assert choose_algorithm(X[:, :16], 256) == "yinyang"
    assert choose_algorithm(sp.csr_matrix(X), 64) == "lloyd"
    assert n_bound_groups("lloyd", 1000, 64) == 0
    assert n_bound_groups("hamerly", 1000, 64) == 1
    assert n_bound_groups("elkan", 1000, 64) == 64
    assert n_bound_groups("yinyang", 1000, 64) == 6
    big = BOUNDS_BYTES // BOUND_ENTRY_BYTES  # one bound per sample fits, no more
    assert n_bound_groups("elkan", big, 1000) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("capacity", [2, 3, 5, 100])
def test_group_drifts_bound_every_groups_net_drift(monkeypatch, dtype, capacity):
    # Centres on random walks, some steps far larger than others; with room for
    # few copies, the dropped steps' bounds go through their anchors.
    rng = np.random.RandomState(capacity)
    n_clusters, n_features, n_groups, n_steps = 12, 3, 4, 30
    monkeypatch.setattr(kmlab._lloyd, "SNAPSHOTS_BYTES", capacity * n_clusters * n_features * np.dtype(dtype).itemsize)
    group_of = np.arange(n_clusters) % n_groups
    drifts = GroupDrifts(group_of, n_groups, n_steps + 1, (n_clusters, n_features), dtype)
    assert drifts.snapshots.shape[0] == min(capacity, n_steps + 1)
    history = {}
    centers = rng.normal(size=(n_clusters, n_features)).astype(dtype)
    for step in range(1, n_steps + 1):
        centers = (centers + rng.normal(size=centers.shape) * rng.choice([0.01, 1.0], size=(n_clusters, 1))).astype(dtype)
        history[step] = centers.copy()
        table = drifts.advance(step, centers)
        assert_array_equal(table[step], 0.0)
        assert_array_equal(table[0], 0.0)  # bounds of step 0: none, 0
        for earlier in range(1, step):
            moved = np.sqrt(((centers.astype(np.float64) - history[earlier]) ** 2).sum(axis=1))
            net = np.array([moved[group_of == g].max() for g in range(n_groups)])
            assert np.all(table[earlier] >= net)
            if capacity >= n_steps:  # every copy kept: the exact net drifts
                np.testing.assert_allclose(table[earlier], net, rtol=1e-9)
    assert (drifts.slot_step >= 0).sum() == min(capacity, n_steps)


def test_bounds_start_afresh_when_their_steps_run_out(seed, monkeypatch):
    # Lower bounds are float32 (rounded down when stored) with int16 steps; a run
    # of more bounded assignments than the steps hold sets its bounds again.
    X = np.random.RandomState(seed).normal(size=(3000, 16)).astype(np.float32)
    workspace = LloydWorkspace(X, 60, n_groups=6, x_sqnorms=row_sqnorms64(X))
    assert workspace.lower.dtype == np.float32 and workspace.stamp.dtype == np.int16
    plain = KMeans(60, algorithm="lloyd", random_state=seed, max_iter=40).fit(X)
    monkeypatch.setattr(kmlab._lloyd, "BOUND_STEP_LIMIT", 5)
    bounded = KMeans(60, algorithm="yinyang", random_state=seed, max_iter=40).fit(X)
    assert bounded.n_iter_ > 10
    assert_identical(bounded, plain)


def test_yinyang_with_few_centre_copies_keeps_plain_lloyds_iterates(seed, monkeypatch):
    # Room for two copies of the centres: most steps' drifts go through anchors.
    X = np.random.RandomState(seed).normal(size=(4000, 16)).astype(np.float32)
    plain = KMeans(80, algorithm="lloyd", random_state=seed, max_iter=60).fit(X)
    monkeypatch.setattr(kmlab._lloyd, "SNAPSHOTS_BYTES", 1)
    bounded = KMeans(80, algorithm="yinyang", random_state=seed, max_iter=60).fit(X)
    assert_identical(bounded, plain)
    assert bounded.n_distances_ < plain.n_distances_


def test_group_centers_is_a_deterministic_partition():
    centers = np.random.RandomState(0).normal(size=(50, 3))
    groups = group_centers(centers, 5)
    assert groups.shape == (50,) and groups.min() >= 0 and groups.max() < 5
    assert_array_equal(groups, group_centers(centers, 5))
    assert_array_equal(group_centers(centers, 1), np.zeros(50))
    assert_array_equal(group_centers(centers, 50), np.arange(50))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_layout_puts_each_centre_in_one_slot_of_its_group(dtype):
    lanes = group_lanes(dtype)
    group_of = np.array([2, 0, 2, 1] + [0] + [2] * lanes)  # group 2: lanes + 2 centres, two blocks
    n_clusters = group_of.shape[0]
    slot_centers, first_block = group_layout(group_of, 4, dtype)  # group 3 is empty
    assert_array_equal(first_block, [0, 1, 2, 4, 4])
    assert slot_centers.shape == (4 * lanes,)
    for g in range(4):
        slots = slot_centers[first_block[g] * lanes : first_block[g + 1] * lanes]
        assert_array_equal(np.sort(slots[slots < n_clusters]), np.flatnonzero(group_of == g))
        assert (slots[np.count_nonzero(slots < n_clusters) :] == n_clusters).all()  # padding after the centres
    centers = np.random.RandomState(0).normal(size=(n_clusters, 3)).astype(dtype)
    blocks, sqnorms = fill_group_layout(centers, center_sqnorms(centers), slot_centers)
    assert blocks.shape == (4, 3, lanes)
    by_slot = blocks.transpose(0, 2, 1).reshape(-1, 3)
    used = slot_centers < n_clusters
    assert_array_equal(by_slot[used], centers[slot_centers[used]])
    assert (by_slot[~used] == 0).all() and np.isinf(sqnorms[~used]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_features", [1, 7, 33, 64])
def test_group_filter_values_are_the_gemm_values(dtype, n_features):
    # Where the filter serves a shape, each centre's value from its lane is
    # scikit-learn's GEMM value (and the label chains': NaN marks a difference).
    n_clusters = 45
    if not group_filter_supported(dtype, n_features, n_clusters, 37):
        pytest.skip("the group filter does not serve this shape here")
    rng = np.random.RandomState(n_features)
    rows = (rng.normal(size=(37, n_features)) * 10.0 ** rng.uniform(-3, 3, (37, 1))).astype(dtype)
    centers = rng.normal(size=(n_clusters, n_features)).astype(dtype)
    sqnorms = center_sqnorms(centers)
    slot_centers, _ = group_layout(rng.randint(0, 6, n_clusters), 6, dtype)
    blocks, slot_sqnorms = fill_group_layout(centers, sqnorms, slot_centers)
    values = np.empty((37, n_clusters), dtype=dtype)
    group_formula_values(rows, centers, sqnorms, blocks, slot_sqnorms, slot_centers, values)
    assert_array_equal(values, kmlab._lloyd._gemm_formula_values(rows, centers, sqnorms))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_features", [1, 3, 64])
@pytest.mark.parametrize("n_pairs", [1, 5, 8, 13])
def test_label_chains_are_the_gemm_order_chains(dtype, n_features, n_pairs):
    # Interleaved by CHAIN_PAIRS, each pair's value is its own chain's, the last
    # call's extra pairs written nowhere.
    rng = np.random.RandomState(n_pairs)
    rows = rng.normal(size=(9, n_features)).astype(dtype)
    centers = rng.normal(size=(6, n_features)).astype(dtype)
    sqnorms = center_sqnorms(centers)
    row_list, center_list = rng.randint(0, 9, n_pairs), rng.randint(0, 6, n_pairs)
    out = np.full(n_pairs + 3, np.nan, dtype=dtype)
    _chain_formula_values(rows, row_list, center_list, n_pairs, centers, sqnorms, out)
    rows_t = np.ascontiguousarray(rows.T)
    for t in range(n_pairs):
        dot = _gemm_order_dot(rows_t, row_list[t], centers, center_list[t], n_features)
        assert out[t] == sqnorms[center_list[t]] - (dot + dot)
    assert np.isnan(out[n_pairs:]).all()


def screen_only(monkeypatch):
    """Make the group filter a screen (values that may round otherwise than GEMM), as where the check fails."""
    monkeypatch.setattr(kmlab._lloyd, "group_filter_supported", lambda *args, **kwargs: False)


@pytest.mark.parametrize("screen", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_yinyang_group_filter_keeps_plain_lloyds_iterates(seed, dtype, screen, monkeypatch):
    # Unstructured data in 32 dimensions, 120 centres in 12 groups: most samples
    # the bounds cannot settle are compared with a few groups only.
    X = np.random.RandomState(seed).normal(size=(6000, 32)).astype(dtype)
    weights = positive_weights(X.shape[0], seed)
    plain = KMeans(120, algorithm="lloyd", random_state=seed, max_iter=40).fit(X, sample_weight=weights)
    if screen:
        screen_only(monkeypatch)
    filtered = KMeans(120, algorithm="yinyang", random_state=seed, max_iter=40).fit(X, sample_weight=weights)
    assert_identical(filtered, plain)
    monkeypatch.setattr(kmlab._lloyd, "GROUP_FILTER_MIN_GROUP_SIZE", 10**9)
    gemm_only = KMeans(120, algorithm="yinyang", random_state=seed, max_iter=40).fit(X, sample_weight=weights)
    assert_identical(gemm_only, plain)
    assert filtered.n_distances_ < 0.8 * gemm_only.n_distances_
    if dtype == np.float64:
        theirs = sklearn.cluster.KMeans(120, random_state=seed, max_iter=40).fit(X, sample_weight=weights)
        assert_array_equal(filtered.labels_, theirs.labels_)
        assert filtered.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("screen", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_yinyang_group_filter_with_an_empty_group(seed, dtype, screen, monkeypatch):
    # Yinyang's grouping can leave a group without centres; the filter then
    # must neither compute nor rule on it (the last rows of a block list every group).
    X = np.random.RandomState(seed).normal(size=(6000, 32)).astype(dtype)
    plain = KMeans(120, algorithm="lloyd", random_state=seed, max_iter=40).fit(X)
    if screen:
        screen_only(monkeypatch)
    # 12 groups, the last one empty.
    monkeypatch.setattr(kmlab._lloyd, "group_centers", lambda centers, n_groups: np.arange(len(centers)) % (n_groups - 1))
    filtered = KMeans(120, algorithm="yinyang", random_state=seed, max_iter=40).fit(X)
    assert_identical(filtered, plain)
    assert filtered.n_distances_ < 0.8 * plain.n_distances_


@pytest.mark.parametrize("screen", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_yinyang_group_filter_with_exact_ties_and_duplicates(dtype, screen, monkeypatch):
    # Points on an integer grid, each three times, and centres halfway between
    # grid points: many samples are exactly as far from several centres, and
    # the filter's ties must go to the lowest index as in plain Lloyd (the
    # screen leaves them to GEMM).
    grid = np.array([[x, y, z] for x in range(10) for y in range(10) for z in range(4)], dtype=dtype)
    X = np.repeat(grid, 3, axis=0)
    init = grid[::6][:60] + 0.5
    plain = KMeans(60, init=init, algorithm="lloyd", max_iter=30).fit(X)
    if screen:
        screen_only(monkeypatch)
    filtered = KMeans(60, init=init, algorithm="yinyang", max_iter=30).fit(X)
    assert_identical(filtered, plain)
    assert_identical(KMeans(60, init=init, algorithm="yinyang", max_iter=30, n_threads=1).fit(X), plain)
    monkeypatch.setattr(kmlab._lloyd, "GROUP_FILTER_MIN_GROUP_SIZE", 10**9)
    gemm_only = KMeans(60, init=init, algorithm="yinyang", max_iter=30).fit(X)
    assert_identical(gemm_only, plain)
    if not screen and group_filter_supported(dtype, 3, 60, X.shape[0]):
        assert filtered.n_distances_ < gemm_only.n_distances_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_screen_sends_more_near_ties_than_a_chunk_to_gemm(dtype, monkeypatch):
    # 144 centres at squared norm 89 (integer points): the origin is exactly as
    # far from all of them (GEMM at once), the midpoint of two centres of a group
    # from those two (the screen's near tie, then GEMM).  A third of the rows at
    # the origin: a batch's near ties overflow the GEMM rows gathered meanwhile.
    screen_only(monkeypatch)
    centers = np.array([p for p in itertools.product(range(-9, 10), repeat=3) if np.dot(p, p) == 89], dtype=dtype)
    n_clusters, n_samples = centers.shape[0], 60000
    n_groups = n_bound_groups("yinyang", n_samples, n_clusters)
    group_of = group_centers(centers, n_groups)
    a, b = next(
        (a, b) for a in range(n_clusters) for b in range(a + 1, n_clusters)
        if group_of[a] == group_of[b] and np.sum((centers[a] - centers[b]) ** 2) <= 2
    )  # fmt: skip
    midpoint = (centers[a] + centers[b]) / 2
    X = np.tile(np.array([np.zeros(3), midpoint, midpoint], dtype=dtype), (n_samples // 3, 1))
    workspace = LloydWorkspace(X, n_clusters, update=False, n_groups=n_groups, x_sqnorms=row_sqnorms64(X))
    assert workspace.group_filter and workspace.screen_groups
    workspace.start(centers, 2)
    labels = np.full(n_samples, -1, dtype=np.int32)
    weights = np.ones(n_samples, dtype=dtype)
    expected = np.tile([0, a, a], n_samples // 3)  # ties to the lowest index
    workspace.assign(X, weights, centers, labels, update=False)  # GEMM for every row; the bounds set
    assert_array_equal(labels, expected)
    workspace.assign(X, weights, centers, labels, update=False)
    assert_array_equal(labels, expected)
    # The midpoints went through the filter (their group's centres), then GEMM.
    assert workspace.n_distances > 2 * n_samples * n_clusters


def _near_tie_rows(rng, n_rows, n_features, dtype):
    """Rows each as far from two centres in exact arithmetic (the second centre is the first one's
    offset from the row with its coordinates permuted), so that rounding alone picks the label."""
    rows = rng.normal(size=(n_rows, n_features))
    offsets = rng.normal(size=(n_rows, n_features))
    permuted = offsets[:, rng.permutation(n_features)]
    centers = np.concatenate([rows + offsets, rows + permuted]).astype(dtype)
    return rows.astype(dtype), centers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_features, n_clusters, n_samples", [(64, 300, 3 * CHUNK + 64), (5, 3, 70)])
def test_gemm_place_classes_round_alike(dtype, n_features, n_clusters, n_samples):
    # Every place that gemm_place_classes puts in a chunk place's class gives that place's bits, on
    # other rows and centres than its probes; each chunk's own call has every place of its classes.
    wanted_class, call_classes, call_capacity = gemm_place_classes(dtype, n_features, n_clusters, n_samples)
    for (size, *classes), capacity in zip(call_classes, call_capacity):
        classes = np.array(classes[:size])
        assert_array_equal(np.bincount(classes[classes >= 0], minlength=len(capacity)), capacity)
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((n_clusters, n_features)).astype(dtype)
    sqnorms = center_sqnorms(centers)
    for _ in range(3):
        row = (rng.standard_normal(n_features) * 10.0 ** rng.uniform(-2, 2)).astype(dtype)
        values = {}
        for size, *classes in call_classes:
            call_values = kmlab._lloyd._gemm_formula_values(np.tile(row, (size, 1)), centers, sqnorms)
            for place, c in enumerate(classes[:size]):
                if c >= 0:
                    assert_array_equal(call_values[place], values.setdefault(c, call_values[place]))
        assert set(values) == set(wanted_class[wanted_class >= 0].tolist())
    for which, size in ((0, CHUNK if n_samples >= CHUNK else 0), (1, n_samples % CHUNK)):
        call = call_classes[call_classes[:, 0] == size]
        assert len(call) == 1 or size == 0
        if size:
            assert_array_equal(call[0, 1 : size + 1], wanted_class[which, :size])


def test_finding_the_place_classes_keeps_one_call_size_of_values_at_a_time():
    # The gaussian benchmark's shape (k=1000): every place's values of every call size
    # at once came to 42 MiB, a third of the fit's peak memory; one size's values are 4
    # (a new size's and the last one's, the probes: 9 MiB in all).
    gemm_place_classes(np.float32, 64, 10, 300)  # the kernel loaded (or compiled) before measuring
    kmlab._lloyd._place_classes.cache_clear()
    tracemalloc.start()
    try:
        gemm_place_classes(np.float32, 64, 1000, 200_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


@pytest.mark.parametrize("n_gathered", [CHUNK, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gathered_rows_round_as_in_scikit_learns_chunks(dtype, n_gathered):
    # GEMM may round a row's values by the row's place in the call (OpenBLAS's
    # Haswell sgemm does): gathered rows, taken out of order and from several
    # chunks, the last shorter one included, get the labels of scikit-learn's
    # chunked GEMM, near ties included; a few rows (a short call) too.
    rng = np.random.RandomState(0)
    X, centers = _near_tie_rows(rng, 3 * CHUNK + 37, 64, dtype)
    sqnorms = center_sqnorms(centers)
    chunks = range(0, len(X), CHUNK)
    expected = np.concatenate(
        [kmlab._lloyd._gemm_formula_values(X[s : s + CHUNK], centers, sqnorms).argmin(axis=1) for s in chunks]
    )
    offset = np.zeros(X.shape[1], dtype=dtype)
    # Out of order, from every chunk: places in the gathered chunk unlike those in scikit-learn's.
    order = np.concatenate([np.arange(len(X) - 1, 0, -3), np.arange(1, len(X), 7)])
    gathered = np.array(list(dict.fromkeys(order.tolist())), dtype=np.int64)[:n_gathered]
    rows = np.ascontiguousarray(X[gathered])
    place_classes = gemm_place_classes(dtype, X.shape[1], len(centers), len(X))
    labels = np.full(len(X), -1, dtype=np.int32)
    dummy_bounds = np.zeros(1), np.zeros((1, 1), dtype=np.float32), np.zeros((1, 1), dtype=np.int16)
    with kernel_threads(1):  # single-threaded BLAS, as in a fit
        _assign_gathered(
            rows, np.empty((CHUNK, len(centers)), dtype=dtype), gathered, len(gathered), centers, sqnorms,
            *place_classes, False, False, np.empty(0, dtype=np.int64), np.zeros(1, dtype=np.int64), 0, np.zeros(1), 0.0, 0.0, X, offset,
            labels, dummy_bounds[0], dummy_bounds[0].copy(), dummy_bounds[1], dummy_bounds[2],
        )  # fmt: skip
    assert_array_equal(labels[gathered], expected[gathered])
