"""Seedings: kmlab.kmeans_plusplus, kmlab._init (greedy k-means++, k-means||, AFK-MC²)."""

import warnings
from collections import Counter

import naive
import numba
import numpy as np
import pytest
import sklearn.cluster
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import _euclidean_distances
from sklearn.utils.extmath import row_norms
from testdata import blobs, positive_weights, sparsify

import kmlab
import kmlab._init
from kmlab._init import (
    SEEDINGS,
    _CandidateDistances,
    _shift,
    greedy_kmeans_plusplus,
    row_sqnorms64,
    kernel_rounds_supported,
    rounds_in_kernel,
)
from kmlab._kernels.seeding import DRAW_BLOCK, blas_products, draw_candidates, legacy_weighted_choice
from kmlab._threads import kernel_threads, max_threads


@pytest.fixture(autouse=True)
def inside_kernel_threads():
    """The drivers run inside ``kernel_threads``, as the estimators call them."""
    with kernel_threads(max_threads()):
        yield


def make_data(seed, container="dense", dtype=np.float64, n_samples=300, n_features=3):
    X = blobs(seed, n_samples=n_samples, n_features=n_features, centers=5, dtype=dtype)
    return sparsify(X, seed) if container == "sparse" else X


@pytest.mark.parametrize("n_clusters", [1, 5, 17])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kmeans_plusplus_matches_sklearn(seed, dtype, container, weighted, n_clusters):
    X = make_data(seed, container, dtype)
    weights = positive_weights(X.shape[0], seed) if weighted else None
    centers, indices = kmlab.kmeans_plusplus(X, n_clusters, sample_weight=weights, random_state=seed)
    expected_centers, expected_indices = sklearn.cluster.kmeans_plusplus(
        X, n_clusters, sample_weight=weights, random_state=seed
    )
    assert_array_equal(indices, expected_indices)
    assert_array_equal(centers, expected_centers)
    assert centers.dtype == expected_centers.dtype == dtype


@pytest.mark.parametrize("n_local_trials", [1, 10])
def test_kmeans_plusplus_n_local_trials_matches_sklearn(seed, n_local_trials):
    X = make_data(seed)
    _, indices = kmlab.kmeans_plusplus(X, 6, random_state=seed, n_local_trials=n_local_trials)
    _, expected = sklearn.cluster.kmeans_plusplus(X, 6, random_state=seed, n_local_trials=n_local_trials)
    assert_array_equal(indices, expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_greedy_kmeans_plusplus_matches_naive(seed, container, weighted):
    X = make_data(seed, container, n_samples=120)
    weights = positive_weights(120, seed) if weighted else np.ones(120)
    centers, indices = greedy_kmeans_plusplus(X, 6, weights, np.random.RandomState(seed))
    expected_centers, expected_indices = naive.kmeans_plusplus(X, 6, weights, np.random.RandomState(seed))
    assert_array_equal(indices, expected_indices)
    assert_array_equal(centers, expected_centers)


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_sqnorms64_matches_naive(container, dtype):
    X = make_data(0, container, dtype, n_samples=50)
    out = row_sqnorms64(X)
    assert out.dtype == np.float64
    assert_allclose(out, (naive.dense(X) ** 2).sum(axis=1), rtol=1e-13)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_centers_are_the_samples_at_indices(seed, container):
    X = make_data(seed, container)
    centers, indices = kmlab.kmeans_plusplus(X, 8, random_state=seed)
    assert indices.shape == (8,)
    assert np.unique(indices).size == 8
    assert_array_equal(centers, naive.dense(X)[indices])


def test_one_centre_per_sample_when_n_clusters_equals_n_samples(seed):
    X = make_data(seed, n_samples=20)
    _, indices = kmlab.kmeans_plusplus(X, 20, random_state=seed)
    assert_array_equal(np.sort(indices), np.arange(20))


def test_samples_with_zero_weight_are_never_chosen(seed):
    X = make_data(seed)
    weights = np.zeros(X.shape[0])
    weights[::3] = 1.0
    _, indices = kmlab.kmeans_plusplus(X, 10, sample_weight=weights, random_state=seed)
    assert np.all(indices % 3 == 0)


def test_integer_data_gives_float64_centres():
    X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    centers, indices = kmlab.kmeans_plusplus(X, 2, random_state=0)
    assert centers.dtype == np.float64
    assert_array_equal(centers, X[indices])


def test_result_ignores_memory_layout_and_given_norms(seed):
    X = make_data(seed)
    expected = kmlab.kmeans_plusplus(X, 5, random_state=seed)
    for result in (
        kmlab.kmeans_plusplus(np.asfortranarray(X), 5, random_state=seed),
        kmlab.kmeans_plusplus(X, 5, random_state=seed, x_squared_norms=(X**2).sum(axis=1)),
    ):
        assert_array_equal(result[0], expected[0])
        assert_array_equal(result[1], expected[1])


def test_random_state_instance_and_int_give_the_same_draws(seed):
    X = make_data(seed)
    from_int = kmlab.kmeans_plusplus(X, 5, random_state=seed)
    from_instance = kmlab.kmeans_plusplus(X, 5, random_state=np.random.RandomState(seed))
    assert_array_equal(from_int[1], from_instance[1])


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_kmeans_plusplus_is_identical_across_thread_counts(container):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here")
    X = make_data(7, container, n_samples=60_000, n_features=5)
    one = kmlab.kmeans_plusplus(X, 12, random_state=7, n_threads=1)
    two = kmlab.kmeans_plusplus(X, 12, random_state=7, n_threads=2)
    assert_array_equal(one[1], two[1])
    assert_array_equal(one[0], two[0])


# --- bit-for-bit equality with scikit-learn on the cases that stress the kernels ---------


def sklearn_equal(X, n_clusters, seed, weights=None, n_local_trials=None):
    """kmlab.kmeans_plusplus and scikit-learn's give the same indices and centres."""
    ours = kmlab.kmeans_plusplus(
        X, n_clusters, sample_weight=weights, random_state=seed, n_local_trials=n_local_trials
    )
    theirs = sklearn.cluster.kmeans_plusplus(
        X, n_clusters, sample_weight=weights, random_state=seed, n_local_trials=n_local_trials
    )
    assert_array_equal(ours[1], theirs[1])
    assert_array_equal(ours[0], theirs[0])
    assert ours[0].dtype == theirs[0].dtype


@pytest.mark.parametrize("gemv_by", ["numba", "numpy"])
@pytest.mark.parametrize("n_features", [3, 9, 40])
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_candidate_distances_are_sklearns_bits(seed, monkeypatch, dtype, container, n_features, gemv_by):
    # Draws hide most last-bit differences; compare the distances themselves with
    # the function scikit-learn's k-means++ calls, for the first centre (a dense
    # row; a GEMV, by numba's BLAS a chunk at a time or by numpy) and then for a
    # round of 8 candidates (sparse rows; a GEMM).  3001 samples: a last chunk
    # whose length is not a multiple of 4 (GEMV kernels treat such rows apart).
    if gemv_by == "numpy":
        monkeypatch.setattr(kmlab._init, "kernel_rounds_supported", lambda dtype: False)
    elif not kernel_rounds_supported(dtype):
        pytest.skip("numba's BLAS does not round as numpy's here: the numpy route serves")
    n_samples = 3001
    X = make_data(seed, container, dtype, n_samples=n_samples, n_features=n_features)
    ids = np.random.RandomState(seed).choice(n_samples, 8, replace=False)
    norms = row_norms(X, squared=True)
    first_row = X[ids[:1]].toarray() if container == "sparse" else X[ids[:1]]
    expected_first = _euclidean_distances(first_row, X, Y_norm_squared=norms, squared=True)
    expected = np.minimum(expected_first, _euclidean_distances(X[ids], X, Y_norm_squared=norms, squared=True))

    distances = _CandidateDistances(X, _shift(X, None), row_sqnorms64(X))
    closest = np.full(n_samples, np.inf, dtype=dtype)
    first = np.empty((1, n_samples), dtype=dtype)
    distances(ids[:1], closest, first)
    assert_array_equal(first, expected_first)
    distances.add_center(first[0], closest)
    out = np.empty((8, n_samples), dtype=dtype)
    distances(ids, closest, out)
    assert_array_equal(out, expected)


# Up to 16 features every distance is computed, with dot products padded to 4
# (2, 3 features), 8 (6) or 16 (9, 16); from 17 on, every one with the candidates
# as vector lanes (small data), or the screen skips most (large data).
@pytest.mark.parametrize("n_features", [2, 3, 6, 9, 16, 17, 40])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_on_several_blocks(seed, monkeypatch, dtype, n_features):
    # Enough samples for every block of rows to hold several steps.
    X = make_data(seed, dtype=dtype, n_samples=12_000, n_features=n_features)
    weights = positive_weights(X.shape[0], seed)
    sklearn_equal(X, 30, seed, weights=weights)
    if n_features > kmlab._init.DIRECT_MAX_FEATURES:
        monkeypatch.setattr(kmlab._init, "UNSCREENED_MAX_BYTES", 0)
        assert kmlab._init._screens(X)
        sklearn_equal(X, 30, seed, weights=weights)


@pytest.mark.parametrize("n_features", [3, 12])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_far_from_the_origin(seed, dtype, n_features):
    # Large norms, small distances: the norms expansion cancels, and the prunes'
    # error bounds must hold against it.
    X = (make_data(seed, n_features=n_features, n_samples=2000) + 1e3).astype(dtype)
    sklearn_equal(X, 20, seed)


@pytest.mark.parametrize("n_samples, n_clusters", [(40, 40), (60, 50), (30, 29)])
@pytest.mark.parametrize("n_features", [2, 10])
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_with_nearly_as_many_clusters_as_samples(
    seed, dtype, container, n_features, n_samples, n_clusters
):
    X = make_data(seed, container, dtype, n_samples=n_samples, n_features=n_features)
    sklearn_equal(X, n_clusters, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_on_wide_sparse_data(seed, dtype):
    # scikit-learn takes the first centre's norm from a dense row (einsum, in
    # pairs) and the candidates' from sparse rows (in order): both must match.
    X = sparsify(make_data(seed, n_samples=300, n_features=200), seed, density=0.3).astype(dtype)
    sklearn_equal(X, 20, seed, positive_weights(300, seed))


@pytest.mark.parametrize("n_features", [2, 10])
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_clusters", [6, 15])
def test_matches_sklearn_with_duplicates(seed, dtype, container, n_features, n_clusters):
    # 8 distinct rows, each repeated: from the 9th centre on the potential is zero.
    rng = np.random.RandomState(seed)
    X = np.repeat(rng.randint(0, 4, size=(8, n_features)).astype(dtype), 25, axis=0)
    X = X[rng.permutation(X.shape[0])]
    weights = positive_weights(X.shape[0], seed)
    sklearn_equal(sparsify(X, seed) if container == "sparse" else X, n_clusters, seed, weights)


@pytest.mark.parametrize("shape", [(112, 32), (60, 80), (300, 24)], ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_on_small_grid_data(seed, dtype, shape):
    """Small products, which OpenBLAS adds up in its small-matrix kernels (otherwise
    than in order, for some shapes), on data full of exact ties (a grid, scaled
    and shifted so that rounding shows): the last bit of a distance decides."""
    rng = np.random.default_rng(seed)
    X = (rng.integers(0, 5, shape) * 37.3 - 51.7).astype(dtype)
    sklearn_equal(X, 40, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = kmlab.KMeans(40, n_init=1, random_state=seed).fit(X)
        theirs = sklearn.cluster.KMeans(40, n_init=1, random_state=seed).fit(X)
    assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_


def test_chains_add_as_blas_finds_small_matrix_kernels(monkeypatch):
    """The check compares the kernels' sums with numpy's GEMM: a difference sends the
    shape to scikit-learn's own computation; large data is not checked."""
    kmlab._init.chains_add_as_blas.cache_clear()
    monkeypatch.setattr(kmlab._init, "chained_products", lambda candidates, rows: candidates @ rows.T + 1.0)
    assert not kmlab._init.chains_add_as_blas(np.float64, 100, 8, 3)
    assert kmlab._init.chains_add_as_blas(np.float64, 10**6, 64, 8)  # beyond CHECKED_PRODUCT_MAX_WORK
    kmlab._init.chains_add_as_blas.cache_clear()


@pytest.mark.parametrize("n_features", [3, 9])
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_with_zero_weights(seed, dtype, container, n_features):
    X = make_data(seed, container, dtype, n_samples=500, n_features=n_features)
    weights = positive_weights(500, seed)
    weights[np.random.RandomState(seed).uniform(size=500) < 0.5] = 0
    sklearn_equal(X, 12, seed, weights)


@pytest.mark.parametrize("n_features", [3, 9])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_with_one_local_trial(seed, dtype, n_features):
    # One candidate per centre: scikit-learn's product is then a GEMV.
    X = make_data(seed, dtype=dtype, n_samples=3000, n_features=n_features)
    sklearn_equal(X, 15, seed, n_local_trials=1)


@pytest.mark.parametrize("n_features", [3, 9, 40])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_screened_and_direct_distances_both_give_sklearns_result(seed, monkeypatch, dtype, n_features):
    X = make_data(seed, dtype=dtype, n_samples=5000, n_features=n_features)
    expected = sklearn.cluster.kmeans_plusplus(X, 25, random_state=seed)
    # Every width screened, or none (padded dot products up to 16 features, lanes beyond).
    for min_features, unscreened_max_bytes in [(1, 0), (10**6, 0), (1, 10**12)]:
        monkeypatch.setattr(kmlab._init, "SCREEN_MIN_FEATURES", min_features)
        monkeypatch.setattr(kmlab._init, "UNSCREENED_MAX_BYTES", unscreened_max_bytes)
        centers, indices = kmlab.kmeans_plusplus(X, 25, random_state=seed)
        assert_array_equal(indices, expected[1])
        assert_array_equal(centers, expected[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rows_too_many_to_pack_are_screened(monkeypatch, seed, dtype):
    # Past kmlab._lloyd.PACKED_BYTES no packed copy is made: the screen serves
    # few features too, with the same centres.
    X = make_data(seed, dtype=dtype, n_samples=3000, n_features=3)
    expected = sklearn.cluster.kmeans_plusplus(X, 20, random_state=seed)
    monkeypatch.setattr(kmlab._lloyd, "PACKED_BYTES", 1000)
    assert kmlab._init._screens(X)
    centers, indices = kmlab.kmeans_plusplus(X, 20, random_state=seed)
    assert_array_equal(indices, expected[1])
    assert_array_equal(centers, expected[0])


@given(
    weighted=arrays(np.float32, st.integers(1, 60), elements=st.floats(0, 1e6, width=32)),
    fractions=arrays(np.float64, 5, elements=st.floats(0, 1.2)),
)
@settings(max_examples=60, deadline=None, database=None)
def test_draw_candidates_is_numpys_cumsum_and_searchsorted(weighted, fractions):
    closest = weighted[::-1].copy()
    cumulative = np.cumsum(weighted * closest)
    values = fractions * float(cumulative[-1])
    # Hit some cumulative sums exactly: ties go to the first sample reaching them.
    values[: min(2, weighted.size)] = cumulative[: min(2, weighted.size)]
    expected = np.minimum(np.searchsorted(cumulative, values), weighted.size - 1)
    out = np.empty(values.size, dtype=np.int64)
    draw_candidates(weighted, closest, values, out)
    assert_array_equal(out, expected)


def test_draw_candidates_finds_values_inside_and_at_the_ends_of_its_blocks():
    # The sum is added DRAW_BLOCK samples at a time with one comparison: values
    # reached inside a block, at its last sample, several in one block, on a run
    # of zero terms (equal sums: the first sample reaching them is the answer).
    rng = np.random.default_rng(0)
    weights, closest = rng.random(1000).astype(np.float32), rng.random(1000).astype(np.float32)
    closest[100:140] = 0
    cumulative = np.cumsum(weights * closest)
    positions = [0, 1, DRAW_BLOCK - 1, DRAW_BLOCK, DRAW_BLOCK + 1, 2 * DRAW_BLOCK, 99, 100, 120, 140, 500, 501, 503]
    positions += [998, 999]
    hits = cumulative[positions].astype(np.float64)
    values = np.concatenate([hits, np.nextafter(hits, np.inf), np.nextafter(hits, -np.inf), [2.0 * hits[-1]]])
    expected = np.minimum(np.searchsorted(cumulative, values), 999)
    out = np.empty(values.size, dtype=np.int64)
    draw_candidates(weights, closest, values, out)
    assert_array_equal(out, expected)


def test_draw_candidates_compares_float32_sums_with_float64_draws():
    # Running sums 0.5, 1.0, 2.0: a draw just above 1.0 (not a float32) goes to
    # the third sample, as numpy's search on the float64 cast finds; a draw past
    # the total goes to the last sample (scikit-learn's clip).
    out = np.empty(3, dtype=np.int64)
    values = np.array([1.0 + 1e-12, 1.0, 5.0])
    draw_candidates(np.ones(3, dtype=np.float32), np.array([0.5, 0.5, 1.0], dtype=np.float32), values, out)
    assert_array_equal(out, [2, 1, 2])


@given(
    weights=arrays(np.float32, st.integers(1, 60), elements=st.floats(0, 1e6, width=32)),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None, database=None)
def test_legacy_weighted_choice_is_randomstates_choice(weights, seed):
    # Zero weights make runs of equal cumulative sums (ties), which the choice skips.
    if weights.sum() == 0:
        weights[-1] = 1.0
    probabilities = weights / weights.sum()
    expected = np.random.RandomState(seed).choice(weights.size, p=probabilities)
    draw = np.random.RandomState(seed).random_sample()
    assert legacy_weighted_choice(probabilities, draw) == expected


def test_legacy_weighted_choice_on_cumulative_sums_hit_exactly():
    # Draws equal to a divided cumulative sum go past it (searchsorted's side='right').
    probabilities = np.array([0.25, 0.0, 0.25, 0.5])
    for draw, expected in [(0.0, 0), (0.25, 2), (0.5, 3), (0.75, 3), (0.9999, 3)]:
        assert legacy_weighted_choice(probabilities, draw) == expected


# --- the offset contract ---------------------------------------------------------------


@pytest.mark.parametrize("n_features", [3, 9])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_offset_seeds_the_centred_data(seed, monkeypatch, dtype, n_features):
    monkeypatch.setattr(kmlab._init, "_SCRATCH_BYTES", 8 * n_features * 700)  # chunks of 700 rows
    X = (make_data(seed, dtype=dtype, n_samples=3000, n_features=n_features) * 3 + 50).astype(dtype)
    offset = X.mean(axis=0)
    assert offset.dtype == dtype
    weights = positive_weights(3000, seed).astype(dtype)
    ours = greedy_kmeans_plusplus(X, 20, weights, np.random.RandomState(seed), offset=offset)
    centred = greedy_kmeans_plusplus(X - offset, 20, weights, np.random.RandomState(seed))
    assert_array_equal(ours[1], centred[1])
    assert_array_equal(ours[0], centred[0])
    assert ours[0].dtype == dtype
    # and so scikit-learn's seeding of the centred copy
    sklearn_equal(X - offset, 20, seed, weights)


@pytest.mark.parametrize("emulated", [True, False])
@pytest.mark.parametrize("n_features", [1, 4, 9, 37])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_sqnorms64_with_offset_is_row_norms_of_the_centred_rows(monkeypatch, dtype, n_features, emulated):
    """numpy's einsum bits, emulated in one parallel kernel or numpy's own, a chunk of rows at a time."""
    if not emulated:
        monkeypatch.setattr(kmlab._init, "einsum_sqnorms_supported", lambda dtype: False)
        monkeypatch.setattr(kmlab._init, "_SCRATCH_BYTES", 8 * n_features * 1000)  # chunks of 1000 rows
    X = (make_data(3, dtype=dtype, n_samples=5500, n_features=n_features) + 7).astype(dtype)
    offset = X.mean(axis=0)
    centred = (X - offset).astype(np.float64)
    assert_array_equal(row_sqnorms64(X, offset=offset), np.einsum("ij,ij->i", centred, centred))


@pytest.mark.parametrize("seeding", ["k-means++", *SEEDINGS])
def test_sparse_data_takes_no_offset(seeding):
    X = make_data(0, "sparse", n_samples=50)
    weights = np.ones(50)
    with pytest.raises(ValueError, match="offset must be None for sparse X"):
        row_sqnorms64(X, offset=np.zeros(3))
    seed_with = greedy_kmeans_plusplus if seeding == "k-means++" else SEEDINGS[seeding]
    with pytest.raises(ValueError, match="offset must be None for sparse X"):
        seed_with(X, 3, weights, np.random.RandomState(0), offset=np.zeros(3))


# --- thread counts ---------------------------------------------------------------------


@pytest.mark.parametrize("seeding", ["k-means++", *SEEDINGS])
@pytest.mark.parametrize("n_features", [3, 12])
def test_seedings_are_identical_across_thread_counts(seeding, n_features):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here")
    X = make_data(5, dtype=np.float32, n_samples=40_000, n_features=n_features)
    weights = positive_weights(X.shape[0], 5).astype(np.float32)
    results = []
    for n_threads in (1, 2):
        with kernel_threads(n_threads):
            if seeding == "k-means++":
                centers, _ = greedy_kmeans_plusplus(X, 20, weights, np.random.RandomState(5), offset=X.mean(0))
            else:
                centers = SEEDINGS[seeding](X, 20, weights, np.random.RandomState(5), offset=X.mean(0))
        results.append(centers)
    assert_array_equal(results[0], results[1])


# --- k-means|| and AFK-MC² -------------------------------------------------------------


def fast_seeding(name, X, n_clusters, seed, weights=None, offset=None):
    weights = np.ones(X.shape[0], dtype=X.dtype) if weights is None else weights.astype(X.dtype)
    return SEEDINGS[name](X, n_clusters, weights, seed, offset=offset)


@pytest.mark.parametrize("name", list(SEEDINGS))
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_seedings_are_reproducible_rows_of_the_centred_data(seed, name, container, dtype):
    X = make_data(seed, container, dtype, n_samples=600)
    offset = None if container == "sparse" else X.mean(axis=0)
    weights = positive_weights(600, seed)
    centers = fast_seeding(name, X, 8, seed, weights, offset)
    again = fast_seeding(name, X, 8, np.random.RandomState(seed), weights, offset)
    assert_array_equal(centers, again)
    assert centers.shape == (8, X.shape[1]) and centers.dtype == dtype
    rows = naive.dense(X) if offset is None else X - offset
    assert all(naive.is_row_of(center, rows) for center in centers)
    assert np.unique(centers, axis=0).shape[0] == 8


@pytest.mark.parametrize("name", list(SEEDINGS))
def test_fast_seedings_are_as_good_as_kmeans_plusplus_on_blobs(name):
    X = blobs(0, n_samples=2000, n_features=5, centers=12, cluster_std=0.5)
    weights = np.ones(2000)
    ratios = []
    for seed in range(5):
        plusplus, _ = greedy_kmeans_plusplus(X, 12, weights, np.random.RandomState(seed))
        ours = fast_seeding(name, X, 12, seed)
        ratios.append(naive.seeding_cost(X, ours, weights) / naive.seeding_cost(X, plusplus, weights))
    assert np.median(ratios) < 1.5


@pytest.mark.parametrize("name", list(SEEDINGS))
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_fast_seedings_never_choose_samples_of_zero_weight(seed, name, container):
    X = make_data(seed, container, n_samples=300)
    weights = np.zeros(300)
    weights[::3] = 1.0
    centers = fast_seeding(name, X, 10, seed, weights)
    allowed = naive.dense(X)[::3]
    assert all(naive.is_row_of(center, allowed) for center in centers)


@pytest.mark.parametrize("name", list(SEEDINGS))
def test_fast_seedings_with_few_distinct_samples(seed, name):
    # 5 distinct rows for 5 clusters: k-means|| finds too few candidates and
    # falls back to k-means++; AFK-MC² chains must still reach every row.
    X = np.repeat(np.arange(10.0).reshape(5, 2), 20, axis=0)
    centers = fast_seeding(name, X, 5, seed)
    assert_array_equal(np.unique(centers, axis=0), np.arange(10.0).reshape(5, 2))


@pytest.mark.parametrize("init", ["k-means++", "random", *SEEDINGS])
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kmeans_fit_accepts_every_seeding(init, container, dtype):
    X = make_data(1, container, dtype, n_samples=400)
    km = kmlab.KMeans(5, init=init, n_init=1, random_state=0).fit(X)
    assert km.cluster_centers_.shape == (5, 3) and km.cluster_centers_.dtype == dtype
    assert np.unique(km.labels_).size == 5
    again = kmlab.KMeans(5, init=init, n_init=1, random_state=0).fit(X)
    assert_array_equal(again.cluster_centers_, km.cluster_centers_)


@pytest.mark.parametrize("init", ["kmeans||", "k-means+", "AFK-MC2", "afkmc2"])
def test_unknown_seeding_names_are_refused(init):
    with pytest.raises(ValueError, match="init"):
        kmlab.KMeans(2, init=init).fit(make_data(0))


@pytest.mark.parametrize("init", ["k-means||", "afk-mc2"])
def test_fast_seedings_run_once_with_n_init_auto(init):
    X = np.random.RandomState(0).normal(size=(200, 2))
    model = kmlab.KMeans(3, init=init, random_state=0).fit(X)
    assert model._n_init == 1


# --- the k-means++ rounds kernel against the general rounds -------------------------


# Both builds of the rounds kernel, all the rounds in one call or one round per call.
KERNEL_ROUTES = [("serial", "one call"), ("parallel", "one call"), ("parallel", "a round per call")]


def seed_both_ways(monkeypatch, X, n_clusters, seed, weights=None, n_local_trials=None, offset=None):
    """Greedy k-means++ by the rounds kernel, then by the general rounds; asserts both are the same.

    The kernel runs in each of KERNEL_ROUTES.  Checks that each really took its
    path and that all leave the random state where scikit-learn leaves it.
    """
    if not kernel_rounds_supported(X.dtype):
        pytest.skip("numba's BLAS rounds otherwise than numpy's here: k-means++ keeps to the general rounds")
    weights = np.ones(X.shape[0], dtype=X.dtype) if weights is None else weights.astype(X.dtype)
    x_sqnorms = row_sqnorms64(X, offset)
    # Both ways on the kernels' arithmetic, even where small products send
    # k-means++ to scikit-learn's own computation.
    monkeypatch.setattr(kmlab._init, "chains_add_as_blas", lambda *shape: True)
    calls = Counter()
    for name in ("greedy_kmeans_plusplus_dense", "greedy_kmeans_plusplus_dense_parallel"):
        kernel = getattr(kmlab._init, name)
        monkeypatch.setattr(kmlab._init, name, lambda *args, _k=kernel, _n=name: calls.update([_n]) or _k(*args))

    def seed_once(kernel_rounds):
        random_state = np.random.RandomState(seed)
        centers, indices = greedy_kmeans_plusplus(
            X, n_clusters, weights, random_state, x_sqnorms, n_local_trials, offset=offset,
            kernel_rounds=kernel_rounds,
        )  # fmt: skip
        assert centers.dtype == X.dtype
        return centers, indices, random_state.random_sample()

    centers, indices, next_draw = seed_once(False)
    assert not calls
    for build, calls_per_seeding in KERNEL_ROUTES:
        monkeypatch.setattr(kmlab._init, "PARALLEL_SEEDING_MIN_WORK", 0 if build == "parallel" else 10**12)
        monkeypatch.setattr(kmlab._init, "SEEDING_CALL_MAX_WORK", 10**12 if calls_per_seeding == "one call" else 1)
        calls.clear()
        kernel_centers, kernel_indices, kernel_next_draw = seed_once(True)
        suffix = "_parallel" if build == "parallel" else ""
        assert calls == {"greedy_kmeans_plusplus_dense" + suffix: 1 if calls_per_seeding == "one call" else n_clusters}
        assert_array_equal(kernel_indices, indices)
        assert kernel_indices.dtype == indices.dtype
        assert_array_equal(kernel_centers, centers)
        assert kernel_next_draw == next_draw


# 1 to 9 features: every distance computed, vectorised over the rows; 40: every
# one with the candidates as lanes (up to 4 candidates, up to 8, more), or the screen.
@pytest.mark.parametrize("n_features, screened", [(1, False), (3, False), (9, False), (40, False), (40, True)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_kmeans_plusplus_is_the_general_one(monkeypatch, seed, dtype, n_features, screened):
    if screened:
        monkeypatch.setattr(kmlab._init, "UNSCREENED_MAX_BYTES", 0)
    X = make_data(seed, dtype=dtype, n_samples=400, n_features=n_features)
    assert kmlab._init._screens(X) == screened
    offset = X.mean(axis=0)
    weights = positive_weights(400, seed)
    for n_clusters, n_local_trials in [(1, None), (5, None), (17, None), (8, 1), (8, 10)]:
        seed_both_ways(monkeypatch, X, n_clusters, seed, n_local_trials=n_local_trials, offset=offset)
    seed_both_ways(monkeypatch, X, 12, seed, weights=weights)
    # Far from the origin, uncentred: the prunes' bounds against cancellation.
    seed_both_ways(monkeypatch, (X * 0.01 + 1e3).astype(dtype), 12, seed)


@pytest.mark.parametrize("n_features", [2, 10])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_kmeans_plusplus_on_odd_data(monkeypatch, seed, dtype, n_features):
    rng = np.random.RandomState(seed)
    # duplicates: candidates at equal distances, ties in the potentials
    X = np.repeat(rng.normal(size=(30, n_features)), 4, axis=0).astype(dtype)
    seed_both_ways(monkeypatch, X, 30, seed)
    seed_both_ways(monkeypatch, X, 40, seed)
    # zero weights, and as many clusters as samples
    weights = np.where(rng.uniform(size=120) < 0.4, 0.0, rng.uniform(0.5, 2.0, size=120))
    seed_both_ways(monkeypatch, X, 25, seed, weights=weights)
    seed_both_ways(monkeypatch, X[:20], 20, seed)
    # a constant column
    X[:, 0] = 3.0
    seed_both_ways(monkeypatch, X, 10, seed)


def test_kernel_kmeans_plusplus_on_many_blocks(monkeypatch):
    # Rows in several blocks of the parallel loop, 16 features (every distance
    # computed, float32 rows converted once per step) and a short last step.
    for dtype in (np.float32, np.float64):
        X = blobs(0, n_samples=5_000, n_features=16, centers=12, dtype=dtype)
        seed_both_ways(monkeypatch, X, 12, 0, offset=X.mean(axis=0))


def test_rounds_in_kernel_routes_as_documented(monkeypatch):
    X = make_data(0, n_samples=300, n_features=3)
    assert rounds_in_kernel(X) == kernel_rounds_supported(X.dtype)
    assert not rounds_in_kernel(sparsify(X, 0))
    monkeypatch.setattr(kmlab._init, "kernel_rounds_supported", lambda dtype: False)
    assert not rounds_in_kernel(X)


def test_kernel_rounds_split_by_work(monkeypatch):
    # As many rounds per call as cost fewer than SEEDING_CALL_MAX_WORK
    # multiply-adds, at least one; the parallel build from PARALLEL_SEEDING_MIN_WORK
    # multiply-adds per round on.
    X = make_data(0, n_samples=300, n_features=3)
    if not kernel_rounds_supported(X.dtype):
        pytest.skip("numba's BLAS rounds otherwise than numpy's here: k-means++ keeps to the general rounds")
    calls = []
    for name in ("greedy_kmeans_plusplus_dense", "greedy_kmeans_plusplus_dense_parallel"):
        kernel = getattr(kmlab._init, name)
        monkeypatch.setattr(
            kmlab._init, name, lambda *args, _k=kernel, _n=name: calls.append((_n, args[-7], args[-6])) or _k(*args)
        )
    round_work = 4 * X.size  # n_local_trials=4
    monkeypatch.setattr(kmlab._init, "SEEDING_CALL_MAX_WORK", 3 * round_work + 1)
    monkeypatch.setattr(kmlab._init, "PARALLEL_SEEDING_MIN_WORK", round_work + 1)
    greedy_kmeans_plusplus(X, 7, np.ones(300), np.random.RandomState(0), n_local_trials=4)
    serial = "greedy_kmeans_plusplus_dense"
    assert calls == [(serial, 0, 3), (serial, 3, 6), (serial, 6, 7)]
    calls.clear()
    monkeypatch.setattr(kmlab._init, "PARALLEL_SEEDING_MIN_WORK", round_work)
    monkeypatch.setattr(kmlab._init, "SEEDING_CALL_MAX_WORK", 1)
    greedy_kmeans_plusplus(X, 3, np.ones(300), np.random.RandomState(0), n_local_trials=4)
    parallel = "greedy_kmeans_plusplus_dense_parallel"
    assert calls == [(parallel, 0, 1), (parallel, 1, 2), (parallel, 2, 3)]


def test_overflowing_total_weight_fails_as_in_scikit_learn():
    # The weights' float64 sum overflows: RandomState.choice refuses the
    # probabilities, whichever path the rounds would take.
    X = make_data(0, n_samples=50)
    weights = np.full(50, 1e307)
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="probabilities do not sum to 1"):
        sklearn.cluster.kmeans_plusplus(X, 3, sample_weight=weights, random_state=0)
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="probabilities do not sum to 1"):
        greedy_kmeans_plusplus(X, 3, weights, np.random.RandomState(0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blas_products_are_numpys(dtype):
    if not kernel_rounds_supported(dtype):
        pytest.skip("numba's BLAS rounds otherwise than numpy's here")
    rng = np.random.RandomState(0)
    for n_rows, n_cols in [(2, 300), (3, 1), (4, 999), (6, 4096)]:
        matrix = rng.uniform(size=(n_rows, n_cols)).astype(dtype)
        vector = rng.uniform(0.5, 2.0, size=n_cols).astype(dtype)
        out = np.empty(n_rows, dtype=dtype)
        first = blas_products(matrix, vector, out)
        assert_array_equal(out, (matrix @ vector.reshape(-1, 1))[:, 0])
        assert first == (matrix[:1] @ vector)[0]
