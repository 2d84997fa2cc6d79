"""The Lloyd driver (kmlab._lloyd) and its kernels against tests/naive.py.

The drivers take already validated input: C-ordered float32/float64 arrays or
CSR matrices, weights of X's dtype.  Data here is continuous and random, so
no sample is near a tie between two centres and float64 labels must agree
exactly with the naive ones.
"""

import naive
import numba
import numpy as np
import pytest
import scipy.sparse as sp
from testdata import blobs, positive_weights, sparsify
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans as SklearnKMeans

import kmlab._init
import kmlab._lloyd
from kmlab import KMeans
from kmlab._kernels.lloyd import (
    _block_inertia,
    numpy_row_sqnorms,
    numpy_sum,
    reduce_blocks,
)
from kmlab._kernels._config import CHUNK
from kmlab._lloyd import (
    DIRECT_MAX_FEATURES,
    ONE_CALL_MAX_WORK,
    PARALLEL_RUN_MIN_WORK,
    LloydWorkspace,
    block_starts,
    choose_algorithm,
    direct_supported,
    einsum_sqnorms_supported,
    kmeans_single_lloyd,
    labels_inertia,
    n_bound_groups,
    packed_rows,
    runs_in_one_call,
    one_call_run_supported,
)
from kmlab._init import row_sqnorms64
from kmlab._threads import kernel_threads, max_threads

# (n_samples, n_features, n_clusters); 700 rows make several blocks of rows.
SHAPES = [(50, 2, 3), (700, 4, 7), (120, 1, 5)]


@pytest.fixture(autouse=True)
def inside_kernel_threads():
    """The drivers run inside ``kernel_threads``, as the estimators call them."""
    with kernel_threads(max_threads()):
        yield


def make_input(seed, shape, dtype=np.float64, container="dense", weighted=False):
    """Validated driver input: X, sample_weight and initial centres (distinct samples of X)."""
    n_samples, n_features, n_clusters = shape
    X = blobs(seed, n_samples=n_samples, n_features=n_features, centers=n_clusters, dtype=dtype)
    if container == "sparse":
        X = sparsify(X, seed)
    weights = positive_weights(n_samples, seed) if weighted else np.ones(n_samples)
    # distinct samples (sparse data repeats its all-zero row): each centre keeps its own sample
    rows = naive.dense(X)
    _, distinct = np.unique(rows, axis=0, return_index=True)
    rng = np.random.RandomState(seed)
    centers = rows[rng.choice(np.sort(distinct), n_clusters, replace=False)].astype(dtype)
    return X, weights.astype(dtype), centers


def assert_labels_are_argmin(X, centers, labels, rtol):
    """Each label's distance is the smallest, up to rounding of relative size ``rtol``."""
    distances = naive.sq_distances(X, centers)
    scale = (naive.dense(X) ** 2).sum(axis=1) + (centers.astype(np.float64) ** 2).sum(axis=1).max()
    chosen = distances[np.arange(len(labels)), labels]
    assert np.all(chosen <= distances.min(axis=1) + rtol * scale)


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_labels_inertia_matches_naive_float64(seed, shape, weighted, container):
    X, weights, centers = make_input(seed, shape, container=container, weighted=weighted)
    labels, inertia = labels_inertia(X, weights, centers)
    expected = naive.assign(X, centers)
    assert labels.dtype == np.int32
    assert_array_equal(labels, expected)
    assert inertia == pytest.approx(naive.inertia(X, centers, expected, weights), rel=1e-12)


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_labels_inertia_float32_close_to_naive(seed, shape, container):
    X, weights, centers = make_input(seed, shape, dtype=np.float32, container=container, weighted=True)
    labels, inertia = labels_inertia(X, weights, centers)
    assert_labels_are_argmin(X, centers, labels, rtol=1e-5)
    # kmlab accumulates the inertia in float64 from exact differences
    assert inertia == pytest.approx(naive.inertia(X, centers, labels, weights), rel=1e-9)


def test_labels_inertia_without_inertia_reports_zero():
    X, weights, centers = make_input(0, SHAPES[0])
    labels, inertia = labels_inertia(X, weights, centers, with_inertia=False)
    assert_array_equal(labels, naive.assign(X, centers))
    assert inertia == 0.0


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize(
    "X, centers, expected",
    [
        # x = 0 is exactly as far from -1 as from 1
        (np.array([[0.0], [-3.0], [3.0]]), np.array([[-1.0], [1.0]]), [0, 0, 1]),
        (np.array([[0.0], [-3.0], [3.0]]), np.array([[1.0], [-1.0]]), [0, 1, 0]),
        # duplicated centres: the first copy wins
        (np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]]), np.array([[5.0, 5.0], [0.0, 0.0], [0.0, 0.0]]), [1, 1, 0]),
        # a point at the middle of four centres
        (np.array([[0.0, 0.0]]), np.array([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]]), [0]),
    ],
    ids=["midpoint", "midpoint-reversed", "duplicate-centres", "square"],
)
def test_exact_ties_go_to_lowest_index(X, centers, expected, container):
    data = sp.csr_matrix(X) if container == "sparse" else X
    labels, _ = labels_inertia(data, np.ones(X.shape[0]), centers)
    assert_array_equal(labels, expected)
    assert_array_equal(naive.assign(X, centers), expected)


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_workspace_assign_accumulates_weighted_sums(seed, dtype, container):
    shape = (700, 4, 7)
    X, weights, centers = make_input(seed, shape, dtype=dtype, container=container, weighted=True)
    workspace = LloydWorkspace(X, shape[2])
    labels = np.full(shape[0], -1, dtype=np.int32)
    inertia, n_changed = workspace.assign(X, weights, centers, labels, update=True)
    assert n_changed == shape[0]
    sums, cluster_weights = naive.cluster_sums(X, labels, weights, shape[2])
    assert_allclose(workspace.sums, sums, rtol=1e-12, atol=1e-9)
    assert_allclose(workspace.weights, cluster_weights, rtol=1e-12)
    assert inertia == pytest.approx(naive.inertia(X, centers, labels, weights), rel=1e-9)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_workspace_assign_counts_changed_labels(seed, container):
    X, weights, centers = make_input(seed, (700, 4, 7), container=container)
    workspace = LloydWorkspace(X, 7)
    expected = naive.assign(X, centers)
    labels = expected.copy()
    assert workspace.assign(X, weights, centers, labels, update=False)[1] == 0
    rng = np.random.RandomState(seed)
    moved = rng.choice(700, size=25, replace=False)
    labels[moved] = (labels[moved] + rng.randint(1, 7, size=25)) % 7
    assert workspace.assign(X, weights, centers, labels, update=True)[1] == 25
    assert_array_equal(labels, expected)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_workspace_inertia_for_given_labels(seed, container):
    X, weights, centers = make_input(seed, (300, 3, 4), container=container, weighted=True)
    labels = np.random.RandomState(seed).randint(0, 4, size=300).astype(np.int32)
    workspace = LloydWorkspace(X, 4)
    assert workspace.inertia(X, weights, centers, labels) == pytest.approx(
        naive.inertia(X, centers, labels, weights), rel=1e-12
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_block_inertia_adds_the_rows_values_in_row_order(seed, dtype):
    # Rows go four at a time through the kernel and the rest one by one; the sum
    # must be the same bits as adding single-row calls in row order.
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(23, 7)).astype(dtype)
    offset = rng.normal(size=7).astype(dtype)
    centers = rng.normal(size=(3, 7)).astype(dtype)
    labels = rng.randint(0, 3, size=23).astype(np.int32)
    weights = (2.0 ** rng.randint(-3, 4, size=23)).astype(dtype)
    for start, stop in [(0, 23), (0, 4), (1, 20), (5, 6), (3, 3), (2, 17)]:
        row_by_row = 0.0
        for row in range(start, stop):
            row_by_row += _block_inertia(X, offset, weights, centers, labels, row, row + 1)
        assert _block_inertia(X, offset, weights, centers, labels, start, stop) == row_by_row


def run_update(X, weights, centers):
    """One assignment then one centre update through the workspace."""
    workspace = LloydWorkspace(X, centers.shape[0])
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    workspace.assign(X, weights, centers, labels, update=True)
    centers_new = np.empty_like(centers)
    shift = workspace.update_centers(X, weights, centers, labels, centers_new)
    return labels, centers_new, shift


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("n_far_centres", [0, 1, 2], ids=["no-empty", "one-empty", "two-empty"])
def test_update_centers_matches_naive(seed, n_far_centres, container):
    """Centres far from every sample get no points and are relocated."""
    X, weights, centers = make_input(seed, (200, 3, 5), container=container, weighted=True)
    centers[:n_far_centres] = 1000.0 + np.arange(n_far_centres)[:, None]
    labels, centers_new, shift = run_update(X, weights, centers)
    assert np.unique(labels).size == 5 - n_far_centres
    expected = naive.update_centers(X, labels, weights, centers)
    assert_allclose(centers_new, expected, rtol=1e-12, atol=1e-12)
    assert shift == pytest.approx(((expected - centers) ** 2).sum(), rel=1e-12)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_update_centers_with_more_clusters_than_distinct_samples(container):
    """Nothing can be relocated; like scikit-learn, an empty cluster goes to the heaviest cluster's centre."""
    X = np.array([[4.0, 4.0], [4.0, 4.0], [4.0, 4.0], [1.0, 0.0], [2.0, 2.0], [2.0, 2.0]])
    centers = np.array([[4.0, 4.0], [1.0, 0.0], [2.0, 2.0], [9.0, 9.0]])
    data = sp.csr_matrix(X) if container == "sparse" else X
    labels, centers_new, _ = run_update(data, np.ones(6), centers)
    assert_array_equal(labels, [0, 0, 0, 1, 2, 2])
    assert_allclose(centers_new[:3], centers[:3])
    assert_allclose(centers_new[3], [4.0, 4.0])  # where the heaviest cluster, 0, is
    assert_allclose(centers_new, naive.update_centers(X, labels, np.ones(6), centers))


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("tol, max_iter", [(0.0, 300), (1e-4, 300), (1e-4, 2)], ids=["tol0", "tol1e-4", "max_iter2"])
def test_kmeans_single_lloyd_matches_naive(seed, tol, max_iter, container):
    X, weights, centers = make_input(seed, (150, 2, 4), container=container, weighted=True)
    tol = naive.scaled_tol(X, tol)
    labels, inertia, centers_out, n_iter = kmeans_single_lloyd(X, weights, centers, max_iter, 0, tol)
    expected_labels, expected_inertia, expected_centers, expected_n_iter = naive.lloyd(
        X, centers, weights, max_iter=max_iter, tol=tol
    )
    assert n_iter == expected_n_iter
    assert_array_equal(labels, expected_labels)
    assert_allclose(centers_out, expected_centers, rtol=1e-10, atol=1e-10)
    assert inertia == pytest.approx(expected_inertia, rel=1e-10)


def test_kmeans_single_lloyd_does_not_modify_its_input():
    X, weights, centers = make_input(0, (100, 2, 3))
    copies = X.copy(), weights.copy(), centers.copy()
    kmeans_single_lloyd(X, weights, centers, 300, 0, 0.0)
    for array, copy in zip((X, weights, centers), copies):
        assert_array_equal(array, copy)


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kmeans_single_lloyd_is_bit_identical_across_thread_counts(dtype, container):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here")
    # large enough for the kernels to use both threads
    X, weights, centers = make_input(3, (40_000, 4, 8), dtype=dtype, container=container, weighted=True)
    results = []
    for n_threads in (1, 2):
        with kernel_threads(n_threads):
            results.append(kmeans_single_lloyd(X, weights, centers, 300, 0, 0.0))
    (labels1, inertia1, centers1, n_iter1), (labels2, inertia2, centers2, n_iter2) = results
    assert_array_equal(labels1, labels2)
    assert_array_equal(centers1, centers2)
    assert inertia1 == inertia2
    assert n_iter1 == n_iter2


@pytest.mark.parametrize("n_samples", [1, 255, 256, 257, 1000, 100_000])
def test_block_starts_cover_every_row_once(n_samples):
    starts = block_starts(n_samples)
    assert starts[0] == 0
    assert starts[-1] == n_samples
    assert np.all(np.diff(starts) > 0)
    assert 1 <= starts.size - 1 <= 64
    # scikit-learn's chunks of 256 rows never straddle two blocks
    assert np.all(starts[:-1] % 256 == 0)


# --- kernels called directly -------------------------------------------------


def test_reduce_blocks_adds_blocks_in_order():
    rng = np.random.RandomState(0)
    block_sums = rng.normal(size=(5, 3, 4)) * 10.0 ** rng.randint(-8, 8, size=(5, 3, 4))
    block_weights = rng.uniform(size=(5, 3))
    sums, weights = np.empty((3, 4)), np.empty(3)
    reduce_blocks(block_sums, block_weights, sums, weights)
    expected_sums, expected_weights = np.zeros((3, 4)), np.zeros(3)
    for b in range(5):  # the fixed order: block 0, then 1, ...
        expected_sums += block_sums[b]
        expected_weights += block_weights[b]
    assert_array_equal(sums, expected_sums)
    assert_array_equal(weights, expected_weights)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_features", [1, 3, 9, 130])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_relocation_distances_are_sklearns_bits(container, n_features, dtype):
    """The distances that pick the samples for empty clusters, as scikit-learn computes them:
    ``((X - C[labels]) ** 2).sum(axis=1)`` on the centred rows (dense), its sparse-dense
    formula (sparse), in X's dtype, to the last bit; several chunks of rows."""
    from sklearn.cluster._k_means_common import _euclidean_sparse_dense_wrapper
    from sklearn.utils.extmath import row_norms

    rng = np.random.default_rng(n_features)
    n_samples = 700
    X = (rng.standard_normal((n_samples, n_features)) * 10.0 ** rng.uniform(-2, 2, n_features) + 40.0).astype(dtype)
    centers = rng.standard_normal((6, n_features)).astype(dtype)
    labels = rng.integers(0, 6, n_samples).astype(np.int32)
    chunk_bytes = 100 * X.itemsize * n_features  # 100 rows a chunk
    if container == "sparse":
        X = sp.csr_matrix(np.where(rng.random(X.shape) < 0.5, X, 0), dtype=dtype)
        ws = LloydWorkspace(X, 6)
        sqnorms = row_norms(centers, squared=True)
        expected = np.array(
            [
                _euclidean_sparse_dense_wrapper(
                    X.data[X.indptr[i] : X.indptr[i + 1]], X.indices[X.indptr[i] : X.indptr[i + 1]],
                    centers[labels[i]], sqnorms[labels[i]], True,
                )  # fmt: skip
                for i in range(n_samples)
            ],
            dtype=dtype,
        )
    else:
        offset = X.mean(axis=0)
        ws = LloydWorkspace(X, 6, offset=offset)
        expected = (((X - offset) - centers[labels]) ** 2).sum(axis=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kmlab._lloyd, "RELOCATION_CHUNK_BYTES", chunk_bytes)
        distances = ws.relocation_sq_distances(X, centers, labels)
    assert distances.dtype == dtype
    assert_array_equal(distances, expected)


# --- the run in one kernel call (serial and parallel builds) against the general loop ---


def run_both_ways(monkeypatch, X, weights, centers, max_iter=300, tol=0.0, parallel=False):
    """``kmeans_single_lloyd`` in one kernel call, then through the general loop.

    The one call goes to the serial build of the run kernel, or with
    ``parallel`` to the parallel one.  Checks that each run really took its
    path, and returns both results with the distances each counted.
    """
    if not one_call_run_supported(X.dtype):
        pytest.skip("numpy rounds otherwise on this machine: runs keep to the general loop")
    calls = []
    for name in ("lloyd_run_dense", "lloyd_run_dense_parallel"):
        kernel = getattr(kmlab._lloyd, name)
        monkeypatch.setattr(kmlab._lloyd, name, lambda *args, _k=kernel, _n=name: calls.append(_n) or _k(*args))
    monkeypatch.setattr(kmlab._lloyd, "PARALLEL_RUN_MIN_WORK", 0 if parallel else 10**12)
    expected_kernel = "lloyd_run_dense_parallel" if parallel else "lloyd_run_dense"
    results = []
    for one_call in (True, False):
        monkeypatch.setattr(kmlab._lloyd, "ONE_CALL_MAX_WORK", 10**12 if one_call else 0)
        workspace = LloydWorkspace(X, centers.shape[0], offset=X.mean(axis=0).astype(X.dtype))
        assert runs_in_one_call(workspace) is one_call
        calls.clear()
        result = kmeans_single_lloyd(X, weights, centers, max_iter, 0, tol, workspace)
        assert set(calls) == ({expected_kernel} if one_call else set())
        results.append((*result, workspace.n_distances))
    return results


def assert_same_run(serial, general):
    (labels1, inertia1, centers1, n_iter1, n_dist1), (labels2, inertia2, centers2, n_iter2, n_dist2) = serial, general
    assert_array_equal(labels1, labels2)
    assert labels1.dtype == labels2.dtype == np.int32
    assert_array_equal(centers1, centers2)
    assert centers1.dtype == centers2.dtype
    assert inertia1 == inertia2
    assert n_iter1 == n_iter2
    assert n_dist1 == n_dist2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", [*SHAPES, (300, 2, 4), (40, 9, 40), (600, 70, 6)], ids=str)
def test_serial_run_is_the_general_run(monkeypatch, seed, shape, weighted, dtype):
    X, weights, centers = make_input(seed, shape, dtype=dtype, weighted=weighted)
    # tol=0 runs to strict convergence; the scaled 1e-4 may stop on the shift;
    # max_iter=2 stops early and ends with one more assignment.
    for max_iter, tol in [(300, 0.0), (300, naive.scaled_tol(X, 1e-4)), (2, 0.0)]:
        assert_same_run(*run_both_ways(monkeypatch, X, weights, centers, max_iter, tol))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", [(700, 4, 7), (1500, 70, 6), (3000, 2, 40)], ids=str)
def test_parallel_run_is_the_general_run_whatever_the_threads(monkeypatch, seed, shape, weighted, dtype):
    # Several blocks of rows (one per 256), GEMM (70 features) and direct paths;
    # the blocks go to 1 or 2 threads, the result must not move.
    X, weights, centers = make_input(seed, shape, dtype=dtype, weighted=weighted)
    monkeypatch.setattr(kmlab._threads, "MIN_WORK_PER_THREAD", 1)  # small runs get every thread too
    for max_iter, tol in [(300, 0.0), (300, naive.scaled_tol(X, 1e-4)), (2, 0.0)]:
        runs = []
        for n_threads in (1, 2):
            with kernel_threads(n_threads):
                runs.append(run_both_ways(monkeypatch, X, weights, centers, max_iter, tol, parallel=True))
        for one_call, general in runs:
            assert_same_run(one_call, general)
        assert_same_run(runs[0][0], runs[1][0])


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_far_centres", [1, 3])
def test_one_call_run_relocates_empty_clusters_as_the_general_run(monkeypatch, seed, n_far_centres, dtype, parallel):
    X, weights, centers = make_input(seed, (600, 3, 6), dtype=dtype, weighted=True)
    centers[:n_far_centres] = 1000.0 + np.arange(n_far_centres, dtype=dtype)[:, None]
    relocations = []
    relocate = LloydWorkspace._relocate_empty_clusters
    monkeypatch.setattr(
        LloydWorkspace, "_relocate_empty_clusters", lambda self, *args: relocations.append(1) or relocate(self, *args)
    )
    one_call, general = run_both_ways(monkeypatch, X, weights, centers, parallel=parallel)
    assert len(relocations) >= 2  # once in each run at least
    assert_same_run(one_call, general)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_serial_run_with_duplicates_and_zero_weights(monkeypatch, seed, dtype):
    # More clusters than distinct samples (relocation cannot help), clusters of
    # zero-weight samples only (empty by weight), and n_samples == n_clusters.
    rng = np.random.RandomState(seed)
    X = np.repeat(rng.normal(size=(4, 2)), 5, axis=0).astype(dtype)
    weights = np.where(np.arange(20) % 5 == 0, 0.0, 1.0).astype(dtype)
    for centers in (X[[0, 1, 5, 10, 15, 16]], X[::5] + np.asarray(0.1, dtype=dtype)):
        assert_same_run(*run_both_ways(monkeypatch, X, weights, np.ascontiguousarray(centers)))
    X = rng.normal(size=(7, 1)).astype(dtype)
    assert_same_run(*run_both_ways(monkeypatch, X, np.ones(7, dtype=dtype), X.copy()))


def test_runs_in_one_call_routes_as_documented(monkeypatch):
    X, _, _ = make_input(0, (300, 2, 4))
    small = LloydWorkspace(X, 4)
    assert runs_in_one_call(small) == one_call_run_supported(X.dtype)
    if not one_call_run_supported(X.dtype):
        pytest.skip("numpy rounds otherwise on this machine: runs keep to the general loop")
    assert not runs_in_one_call(small, verbose=1)  # the general loop prints
    assert not runs_in_one_call(small, on_step=lambda *args: None)  # the general loop reports each step
    assert not runs_in_one_call(LloydWorkspace(X, 4, update=False))
    assert not runs_in_one_call(LloydWorkspace(sp.csr_matrix(X), 4))
    bounded = LloydWorkspace(X, 4, n_groups=n_bound_groups("hamerly", 300, 4), x_sqnorms=np.ones(300))
    assert not runs_in_one_call(bounded)
    # The threshold is on n_samples * n_clusters * n_features, exclusive.
    monkeypatch.setattr(kmlab._lloyd, "ONE_CALL_MAX_WORK", X.size * 10)
    assert runs_in_one_call(LloydWorkspace(X, 9))
    assert not runs_in_one_call(LloydWorkspace(X, 10))
    assert ONE_CALL_MAX_WORK > PARALLEL_RUN_MIN_WORK  # the parallel build has runs to serve


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_row_sqnorms_is_einsum(dtype):
    if not one_call_run_supported(dtype):
        pytest.skip("numpy's einsum rounds otherwise on this machine")
    rng = np.random.RandomState(0)
    for n_features in [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257]:
        A = (rng.normal(size=(50, n_features)) * 10.0 ** rng.uniform(-4, 4, size=(50, 1))).astype(dtype)
        out = np.empty(50, dtype=dtype)
        numpy_row_sqnorms(A, out)
        assert_array_equal(out, np.einsum("ij,ij->i", A, A))


def test_numpy_sum_is_numpys_sum():
    rng = np.random.RandomState(1)
    for n in range(129):
        values = rng.uniform(size=n) * 10.0 ** rng.uniform(-6, 6, size=n)
        assert numpy_sum(values) == values.sum()


def near_ties(seed, n_samples, n_features, n_clusters, dtype):
    """Centres, and samples whose two nearest centres are equally far up to rounding.

    Each sample lies on the bisecting hyperplane of a random pair of centres,
    moved off it by about one ulp of ``dtype``: which centre ``||c||^2 - 2 x.c``
    picks is decided by the last bits of the dot products.
    """
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_clusters, n_features))
    first = rng.integers(0, n_clusters, n_samples)
    second = (first + 1 + rng.integers(0, max(1, n_clusters - 1), n_samples)) % n_clusters
    across = centers[second] - centers[first]
    along = rng.standard_normal((n_samples, n_features))
    along -= ((along * across).sum(1) / np.maximum((across * across).sum(1), 1e-300))[:, None] * across
    off = np.finfo(dtype).eps * rng.standard_normal((n_samples, 1))
    X = (centers[first] + centers[second]) / 2 + 0.5 * along + off * across
    return np.ascontiguousarray(X, dtype=dtype), centers.astype(dtype)


NEAR_TIE_SAMPLES = 3000  # 11 chunks of 256 rows and one of 184


def assert_near_ties_labelled_as_scikit_learn(dtype, n_features, n_clusters, direct):
    from sklearn.cluster._k_means_lloyd import lloyd_iter_chunked_dense

    X, centers = near_ties(n_clusters, NEAR_TIE_SAMPLES, n_features, n_clusters, dtype)
    weights = np.ones(len(X), dtype=dtype)
    expected = np.zeros(len(X), dtype=np.int32)
    lloyd_iter_chunked_dense(X, weights, centers, None, None, expected, None, 1, update_centers=False)
    workspace = LloydWorkspace(X, n_clusters, update=False)
    assert workspace.direct_capable or not direct
    workspace.direct_capable = direct
    labels = np.full(len(X), -1, dtype=np.int32)
    workspace.assign(X, weights, centers, labels, update=False)
    assert_array_equal(labels, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "n_features, n_clusters", [(1, 3), (2, 8), (3, 16), (3, 256), (5, 33), (8, 128), (11, 40), (16, 32)], ids=str
)
def test_direct_kernel_labels_near_ties_as_scikit_learn(dtype, n_features, n_clusters):
    if not direct_supported(dtype, n_features, n_clusters, NEAR_TIE_SAMPLES):
        pytest.skip("this BLAS accumulates this shape otherwise: the GEMM path serves it")
    assert_near_ties_labelled_as_scikit_learn(dtype, n_features, n_clusters, direct=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "n_features, n_clusters", [(3, 16), (17, 2), (17, 33), (48, 2), (48, 3), (64, 100), (100, 7)], ids=str
)
def test_gemm_path_labels_near_ties_as_scikit_learn(dtype, n_features, n_clusters):
    # scikit-learn's own BLAS call on scikit-learn's chunks of 256 rows: with 48
    # features and 2 or 3 centres, another transposition, or a row at another
    # place in its chunk, rounds otherwise.
    assert_near_ties_labelled_as_scikit_learn(dtype, n_features, n_clusters, direct=False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_samples, n_features", [(1, 1), (127, 3), (300, 8), (257, 13), (129, 16)], ids=str)
def test_packed_rows_are_the_centred_rows_transposed_by_steps(dtype, n_samples, n_features):
    X = np.random.default_rng(n_samples).standard_normal((n_samples, n_features)).astype(dtype)
    offset = X.mean(axis=0)
    packed = packed_rows(X, offset)
    width = 4 if n_features <= 4 else 8 if n_features <= 8 else 16
    assert packed.dtype == dtype and packed.shape == (-(-n_samples // 128), width, 128)
    unpacked = packed.transpose(0, 2, 1).reshape(-1, width)
    assert_array_equal(unpacked[:n_samples, :n_features], X - offset)  # centred in X's dtype
    assert not unpacked[:, n_features:].any()  # zero features pad the dot products
    assert not unpacked[n_samples:].any()  # and zero rows the last step


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_samples, n_features", [(1, 1), (127, 3), (300, 8), (257, 13), (129, 16), (200, 23)])
def test_packing_also_gives_the_rows_squared_norms(dtype, n_samples, n_features):
    # numpy's einsum on the centred rows upcast (scikit-learn's row_norms), in the packing's pass,
    # for every padded width and unpadded rows (23 features).
    if not einsum_sqnorms_supported(np.float64):
        pytest.skip("numpy's einsum rounds otherwise on this machine")
    rng = np.random.default_rng(n_features)
    X = (rng.standard_normal((n_samples, n_features)) * 10.0 ** rng.uniform(-3, 3, n_features) + 7).astype(dtype)
    offset = X.mean(axis=0)
    sqnorms = np.full(n_samples, np.nan)
    packed = packed_rows(X, offset, sqnorms)
    centred = (X - offset).astype(np.float64)
    assert_array_equal(sqnorms, np.einsum("ij,ij->i", centred, centred))
    assert_array_equal(packed, packed_rows(X, offset))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("update", [True, False])  # packed rows, or none
def test_workspace_computes_the_row_sqnorms_it_is_asked_for(sparse, update):
    X = np.random.default_rng(3).standard_normal((500, 5)).astype(np.float32)
    offset = None if sparse else X.mean(axis=0)
    data = sparsify(X, 3) if sparse else X
    workspace = LloydWorkspace(data, 4, update=update, offset=offset, with_sqnorms=True)
    assert (workspace.packed.size > 0) == (update and not sparse)
    assert_array_equal(workspace.row_sqnorms, row_sqnorms64(data, offset))
    assert LloydWorkspace(data, 4, update=update, offset=offset).row_sqnorms is None


@pytest.mark.parametrize("n_features", [5, 16])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_workspace_packs_the_rows_for_the_seeding_until_released(dtype, n_features):
    X = np.random.default_rng(n_features).standard_normal((600, n_features)).astype(dtype)
    offset = X.mean(axis=0).astype(dtype)
    workspace = LloydWorkspace(X, 40, offset=offset, with_sqnorms=True, pack_for_seeding=True)
    assert_array_equal(workspace.shared_packed_rows(), packed_rows(X, offset))
    assert_array_equal(workspace.row_sqnorms, row_sqnorms64(X, offset))
    workspace.release_seeding_rows()
    # The assignments keep the rows they read; the others are freed.
    assert (workspace.shared_packed_rows() is not None) == workspace.direct_capable
    # Nothing to pack for sparse data, nor for a single assignment.
    assert LloydWorkspace(sparsify(X, 0), 40, pack_for_seeding=True).shared_packed_rows() is None
    assert LloydWorkspace(X, 40, update=False, pack_for_seeding=True).shared_packed_rows() is None


@pytest.mark.parametrize("n_features", [3, 16])
def test_kmeans_packs_the_rows_once_with_their_norms(monkeypatch, n_features):
    # k-means++ reads the workspace's packed rows: one packing pass, which also
    # gives the norms, whether or not the assignments read the rows too.
    X = np.random.default_rng(0).standard_normal((3000, n_features)).astype(np.float32)
    if not einsum_sqnorms_supported(np.float64):
        pytest.skip("the norms take numpy's pass on this machine")
    calls = []
    for module, name in [(kmlab._lloyd, "pack_rows_dense"), (kmlab._init, "centred_sqnorms64")]:
        kernel = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *args, _k=kernel, _n=name: calls.append(_n) or _k(*args))
    fitted = KMeans(20, n_init=2, random_state=0).fit(X)
    assert calls == ["pack_rows_dense"]
    reference = SklearnKMeans(20, n_init=2, random_state=0).fit(X)
    assert_array_equal(fitted.labels_, reference.labels_)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_groups", [0, 1, 3])  # plain, one lower bound, groups
def test_assign_keeps_the_sums_of_the_blocks_whose_labels_stay(dtype, n_groups):
    X, weights, centers = make_input(0, (3000, 4, 6), dtype=dtype, weighted=True)
    # Rows sorted along a feature: a cluster's border crosses a few blocks only.
    X = np.ascontiguousarray(X[np.argsort(X[:, 0])])
    workspace = LloydWorkspace(X, 6, n_groups=n_groups, x_sqnorms=row_sqnorms64(X))
    workspace.start(centers, 10)
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    workspace.assign(X, weights, centers, labels, update=True)
    made = workspace.block_sums.copy()
    # The same centres: no label changes, and every block keeps its sums as they are.
    workspace.block_sums[0] += 1.0
    marked = workspace.block_sums.copy()
    assert workspace.assign(X, weights, centers, labels, update=True, sums_kept=True)[1] == 0
    assert_array_equal(workspace.block_sums, marked)
    workspace.block_sums[:] = made
    # One centre moved: the blocks where labels change add their rows up again, the
    # others keep theirs, and the sums are those of the new labels made afresh.
    moved = centers.copy()
    moved[0] += (0.2 * X.std(axis=0)).astype(dtype)
    workspace.moves[0] = 1.001 * np.linalg.norm(moved[0].astype(np.float64) - centers[0])  # for the bounds
    n_changed = workspace.assign(X, weights, moved, labels, update=True, sums_kept=True)[1]
    n_blocks_changed = np.count_nonzero(workspace.block_changed)
    assert n_changed > 0 and 0 < n_blocks_changed < workspace.block_changed.shape[0]
    fresh = LloydWorkspace(X, 6)
    fresh_labels = np.full(X.shape[0], -1, dtype=np.int32)
    fresh.assign(X, weights, moved, fresh_labels, update=True)
    assert_array_equal(fresh_labels, labels)
    assert_array_equal(workspace.block_sums, fresh.block_sums)
    assert_array_equal(workspace.sums, fresh.sums)
    assert_array_equal(workspace.weights, fresh.weights)


def test_rows_too_many_to_pack_are_transposed_as_they_go(monkeypatch):
    X, weights, centers = make_input(0, (3000, 3, 16), dtype=np.float32, weighted=True)
    workspace = LloydWorkspace(X, 16)
    if not workspace.direct_capable:
        pytest.skip("the direct kernel does not serve this shape here")
    assert workspace.packed.size > 0
    packed = kmeans_single_lloyd(X, weights, centers, 300, 0, 0.0, workspace=workspace)
    monkeypatch.setattr(kmlab._lloyd, "PACKED_BYTES", 1000)
    workspace = LloydWorkspace(X, 16)
    assert workspace.direct_capable and workspace.packed.size == 0
    unpacked = kmeans_single_lloyd(X, weights, centers, 300, 0, 0.0, workspace=workspace)
    assert_array_equal(packed[0], unpacked[0])
    assert_array_equal(packed[2], unpacked[2])
    assert packed[1] == unpacked[1] and packed[3] == unpacked[3]
    # A single assignment (predict) packs nothing either, and labels as the fit did.
    assert LloydWorkspace(X, 16, update=False).packed.size == 0
    assert_array_equal(labels_inertia(X, weights, packed[2])[0], packed[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(3000, 3, 16), (2000, 2, 300), (700, 8, 5), (257, 1, 2), (900, 13, 20)], ids=str)
def test_direct_run_is_the_gemm_run(monkeypatch, seed, shape, dtype):
    X, weights, centers = make_input(seed, shape, dtype=dtype, weighted=True)
    workspace = LloydWorkspace(X, shape[2])
    if not workspace.direct_capable:
        pytest.skip("the direct kernel does not serve this shape here")
    direct = kmeans_single_lloyd(X, weights, centers, 300, 0, 0.0, workspace=workspace)
    monkeypatch.setattr(workspace, "direct_capable", False)
    gemm = kmeans_single_lloyd(X, weights, centers, 300, 0, 0.0, workspace=workspace)
    assert_array_equal(direct[0], gemm[0])
    assert_array_equal(direct[2], gemm[2])
    assert direct[1] == gemm[1] and direct[3] == gemm[3]


def test_direct_kernel_needs_the_check_and_few_features(monkeypatch):
    assert not direct_supported(np.float64, DIRECT_MAX_FEATURES + 1, 4)
    real = kmlab._lloyd.direct_formula_values

    def off_by_one_ulp(rows, centers, sqnorms, out):
        real(rows, centers, sqnorms, out)
        out[-1, -1] = np.nextafter(out[-1, -1], np.inf)

    monkeypatch.setattr(kmlab._lloyd, "direct_formula_values", off_by_one_ulp)
    kmlab._lloyd._direct_matches_gemm.cache_clear()
    try:
        assert not direct_supported(np.float32, 3, 5)
        assert not LloydWorkspace(np.zeros((10, 3), dtype=np.float32), 5).direct_capable
        # Without the direct kernel, 'auto' keeps the bounds on china-like shapes.
        assert choose_algorithm(np.zeros((10, 3), dtype=np.float32), 256) == "yinyang"
    finally:
        kmlab._lloyd._direct_matches_gemm.cache_clear()
    if direct_supported(np.float32, 3, 256, 10):
        assert choose_algorithm(np.zeros((10, 3), dtype=np.float32), 256) == "lloyd"


def test_direct_kernel_is_checked_on_the_chunk_sizes_of_the_data(monkeypatch):
    # scikit-learn's chunks of 256 rows and a last shorter one: both sizes must give GEMM's bits.
    real = kmlab._lloyd._direct_matches_gemm
    monkeypatch.setattr(
        kmlab._lloyd, "_direct_matches_gemm", lambda dtype, d, k, rows: rows != 5 and real(dtype, d, k, rows)
    )
    if not direct_supported(np.float32, 3, 4):
        pytest.skip("the direct kernel does not serve this shape here")
    assert direct_supported(np.float32, 3, 4, 512)
    assert not direct_supported(np.float32, 3, 4, 2 * 256 + 5)
    assert not direct_supported(np.float32, 3, 4, 5)
    assert not LloydWorkspace(np.zeros((2 * 256 + 5, 3), dtype=np.float32), 4).direct_capable
    assert LloydWorkspace(np.zeros((2 * 256 + 6, 3), dtype=np.float32), 4).direct_capable == direct_supported(
        np.float32, 3, 4, 6
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("direct", [False, True], ids=["gemm", "direct"])
def test_duplicate_centres_take_the_lowest_index_among_many(dtype, direct):
    # 64 centres: the GEMM path's argmin on integer keys, the direct kernel's
    # strict comparison; centre 40 repeats centre 5, so only 5 may be chosen.
    rng = np.random.default_rng(0)
    n_features = 20 if not direct else 6
    centers = rng.standard_normal((64, n_features)).astype(dtype)
    centers[40] = centers[5]
    X = np.ascontiguousarray(np.repeat(centers, 10, axis=0) + 0.01 * rng.standard_normal((640, n_features)), dtype=dtype)
    workspace = LloydWorkspace(X, 64, update=False)
    if direct and not workspace.direct_capable:
        pytest.skip("the direct kernel does not serve this shape here")
    workspace.direct_capable = direct
    labels = np.full(len(X), -1, dtype=np.int32)
    workspace.assign(X, np.ones(len(X), dtype=dtype), centers, labels, update=False)
    products = X @ centers.T
    if not direct and not np.array_equal(products[:, 5], products[:, 40]):
        # This BLAS's GEMM rounds a column by its position (OpenBLAS's float32
        # kernels on some CPUs): the duplicate's values differ, and scikit-learn's
        # labels (kmlab's promise) may take it: scikit-learn's GEMM call per chunk of rows.
        sqnorms = kmlab._lloyd.center_sqnorms(centers)
        chunks = [X[start : start + CHUNK] for start in range(0, len(X), CHUNK)]
        values = [kmlab._lloyd._gemm_formula_values(chunk, centers, sqnorms) for chunk in chunks]
        assert_array_equal(labels, np.concatenate(values).argmin(axis=1))
        return
    assert 40 not in labels
    assert_array_equal(labels, naive.assign(X, centers))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (300, 1), (5, 2), (257, 3), (3000, 16), (1000, 65)], ids=str)
def test_column_moments_are_numpys(seed, dtype, shape):
    rng = np.random.default_rng(seed)
    X = (100.0 + rng.standard_normal(shape) * 10.0 ** rng.uniform(-2, 2, shape[1])).astype(dtype)
    mean, var = kmlab._lloyd.column_moments(X, with_var=True)
    assert mean.dtype == var.dtype == dtype
    assert_array_equal(mean, X.mean(axis=0))
    assert_array_equal(var, np.var(X, axis=0))
    assert kmlab._lloyd.column_moments(X)[1] is None


def test_column_moments_fall_back_to_numpy(monkeypatch):
    X = np.asfortranarray(np.random.default_rng(0).standard_normal((50, 3)))
    mean, var = kmlab._lloyd.column_moments(X, with_var=True)  # not C-ordered: numpy's own
    assert_array_equal(var, np.var(X, axis=0))
    C = np.ascontiguousarray(X)
    monkeypatch.setattr(kmlab._lloyd, "column_moments_supported", lambda dtype: False)
    monkeypatch.setattr(kmlab._lloyd, "numpy_column_moments", None)  # would raise if called
    mean, var = kmlab._lloyd.column_moments(C, with_var=True)
    assert_array_equal(mean, C.mean(axis=0))
    assert_array_equal(var, np.var(C, axis=0))
