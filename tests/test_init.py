"""Greedy k-means++ seeding: kmlab.kmeans_plusplus and kmlab._init.greedy_kmeans_plusplus."""

import naive
import numba
import numpy as np
import pytest
import sklearn.cluster
from testdata import blobs, positive_weights, sparsify
from numpy.testing import assert_allclose, assert_array_equal

import kmlab
from kmlab._init import greedy_kmeans_plusplus, row_sqnorms64
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
