"""SphericalKMeans against a slow obvious implementation, on dense and sparse data."""

import naive
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import cosine_similarity

from kmlab import SphericalKMeans


def directions(seed, n_samples=300, n_features=6, n_clusters=4, dtype=np.float64):
    """Samples around a few random directions, with random lengths, mostly non-negative."""
    rng = np.random.RandomState(seed)
    axes = 3.0 * np.eye(n_clusters, n_features) + np.abs(rng.standard_normal((n_clusters, n_features))) * 0.5
    truth = rng.randint(n_clusters, size=n_samples)
    X = axes[truth] + 0.3 * rng.standard_normal((n_samples, n_features))
    X *= rng.uniform(0.5, 20.0, size=(n_samples, 1))
    return X.astype(dtype), truth


def sparse_directions(seed, n_samples=300, n_features=40, n_clusters=4):
    """TF-IDF-like rows: each cluster uses its own handful of columns."""
    rng = np.random.RandomState(seed)
    truth = rng.randint(n_clusters, size=n_samples)
    X = np.zeros((n_samples, n_features))
    for i, label in enumerate(truth):
        own = rng.choice(np.arange(label * 10, label * 10 + 10), size=4, replace=False)
        noise = rng.choice(n_features, size=2, replace=False)
        X[i, own] = rng.uniform(0.5, 1.0, size=4)
        X[i, noise] = rng.uniform(0.0, 0.3, size=2)
    return sp.csr_matrix(X), truth


def test_matches_the_naive_algorithm(seed):
    X, _ = directions(seed)
    init = X[np.random.RandomState(seed).choice(X.shape[0], 4, replace=False)]
    weights = np.random.RandomState(seed + 1).uniform(0.5, 2.0, X.shape[0])
    km = SphericalKMeans(n_clusters=4, init=init, tol=0.0).fit(X, sample_weight=weights)
    labels, objective, centers, n_iter = naive.spherical_kmeans(X, init, weights)
    np.testing.assert_array_equal(km.labels_, labels)
    np.testing.assert_allclose(km.cluster_centers_, centers, rtol=1e-10, atol=1e-12)
    assert km.inertia_ == pytest.approx(objective, rel=1e-9)
    assert km.n_iter_ == n_iter


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unit_centres_and_cosine_semantics(seed, dtype):
    X, truth = directions(seed, dtype=dtype)
    km = SphericalKMeans(n_clusters=4, random_state=seed).fit(X)
    assert km.cluster_centers_.dtype == dtype
    np.testing.assert_allclose(np.linalg.norm(km.cluster_centers_, axis=1), 1.0, rtol=1e-5)
    similarities = cosine_similarity(X.astype(np.float64), km.cluster_centers_.astype(np.float64))
    np.testing.assert_array_equal(km.labels_, similarities.argmax(axis=1))
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_allclose(km.transform(X), 1.0 - similarities, atol=1e-5)
    expected = (1.0 - similarities.max(axis=1)).sum()
    assert km.inertia_ == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-4, abs=1e-5)
    assert adjusted_rand_score(truth, km.labels_) > 0.9


def test_lengths_do_not_matter(seed):
    X, _ = directions(seed)
    scales = np.random.RandomState(seed).uniform(0.01, 100.0, size=(X.shape[0], 1))
    a = SphericalKMeans(n_clusters=4, random_state=0).fit(X)
    b = SphericalKMeans(n_clusters=4, random_state=0).fit(X * scales)
    assert adjusted_rand_score(a.labels_, b.labels_) == 1.0


def test_sparse_gives_the_same_clustering_as_dense(seed):
    X, truth = sparse_directions(seed)
    sparse_fit = SphericalKMeans(n_clusters=4, random_state=seed, n_init=3).fit(X)
    dense_fit = SphericalKMeans(n_clusters=4, random_state=seed, n_init=3).fit(X.toarray())
    np.testing.assert_array_equal(sparse_fit.labels_, dense_fit.labels_)
    np.testing.assert_allclose(sparse_fit.cluster_centers_, dense_fit.cluster_centers_, rtol=1e-10, atol=1e-12)
    assert sparse_fit.inertia_ == pytest.approx(dense_fit.inertia_, rel=1e-10)
    np.testing.assert_allclose(sparse_fit.transform(X), dense_fit.transform(X.toarray()), atol=1e-12)
    assert adjusted_rand_score(truth, sparse_fit.labels_) > 0.9


def test_sparse_input_is_not_densified(monkeypatch):
    X, _ = sparse_directions(0)
    densified_rows = []
    toarray = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        densified_rows.append(self.shape[0])
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    SphericalKMeans(n_clusters=4, random_state=0).fit(X).predict(X)
    # k-means++ densifies its few candidate rows at a time, never the data.
    assert max(densified_rows, default=0) < X.shape[0] // 10


def test_thread_count_does_not_change_the_result():
    X, _ = directions(3, n_samples=3000)
    one = SphericalKMeans(n_clusters=5, random_state=0, n_threads=1).fit(X)
    two = SphericalKMeans(n_clusters=5, random_state=0, n_threads=2).fit(X)
    np.testing.assert_array_equal(one.labels_, two.labels_)
    np.testing.assert_array_equal(one.cluster_centers_, two.cluster_centers_)


def test_weights_count_like_repeated_samples():
    X, _ = directions(1, n_samples=60)
    init = X[:3]
    weighted = SphericalKMeans(n_clusters=3, init=init).fit(X, sample_weight=np.r_[np.full(10, 2.0), np.ones(50)])
    repeated = SphericalKMeans(n_clusters=3, init=init).fit(np.vstack([X[:10], X]))
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(weighted.labels_, repeated.labels_[10:])


def test_zero_rows_go_to_cluster_0_at_distance_1():
    X, _ = directions(0, n_samples=50)
    X[[3, 7]] = 0.0
    km = SphericalKMeans(n_clusters=3, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(np.zeros((2, X.shape[1]))), [0, 0])
    np.testing.assert_allclose(km.transform(np.zeros((1, X.shape[1]))), 1.0)
    assert km.labels_[3] == 0 and km.labels_[7] == 0
    # Left out of the fit: the same centres as without them, and distance 1 each.
    without = SphericalKMeans(n_clusters=3, random_state=0).fit(np.delete(X, [3, 7], axis=0))
    np.testing.assert_array_equal(km.cluster_centers_, without.cluster_centers_)
    assert km.inertia_ == pytest.approx(without.inertia_ + 2.0, rel=1e-12)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-9)
    with pytest.raises(ValueError, match="all-zero rows have no direction"):
        SphericalKMeans(n_clusters=3).fit(np.zeros((5, 2)))


def test_odd_shapes():
    X, _ = directions(0, n_samples=5)
    km = SphericalKMeans(n_clusters=5, random_state=0).fit(X)
    assert sorted(km.labels_) == [0, 1, 2, 3, 4]
    one_feature = np.abs(np.random.RandomState(0).standard_normal((20, 1))) + 0.1
    with pytest.warns(Warning, match="distinct clusters"):
        SphericalKMeans(n_clusters=2, random_state=0).fit(one_feature)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[1.0, np.nan], [1.0, 2.0]]), "NaN"),
        (np.array([[1.0, np.inf], [1.0, 2.0]]), "infinity"),
        (np.empty((0, 2)), "0 sample"),
        (np.array([["a", "b"], ["c", "d"]]), "string"),
    ],
)
def test_bad_input_is_named(X, message):
    with pytest.raises(ValueError, match=message):
        SphericalKMeans(n_clusters=1).fit(X)


def test_too_few_samples_and_bad_init():
    X, _ = directions(0, n_samples=3)
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=4"):
        SphericalKMeans(n_clusters=4).fit(X)
    with pytest.raises(ValueError, match="shape of the initial centers"):
        SphericalKMeans(n_clusters=2, init=X[:1]).fit(X)
