"""kmlab.metrics: the silhouette against scikit-learn and naive loops, the simplified silhouette, bad input."""

import naive
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.cluster
import sklearn.metrics
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs
from testdata import blobs, sparsify

import kmlab.metrics
from kmlab.metrics import (
    silhouette_samples,
    silhouette_score,
    simplified_silhouette_samples,
    simplified_silhouette_score,
)


def labelled_blobs(seed, n_samples=300, n_features=3, centers=4, dtype=np.float64):
    """Blobs with their true labels, a tenth of them reassigned at random (negative silhouettes)."""
    X, y = make_blobs(n_samples=n_samples, n_features=n_features, centers=centers, cluster_std=1.5, random_state=seed)
    rng = np.random.RandomState(seed)
    noisy = rng.choice(n_samples, n_samples // 10, replace=False)
    y[noisy] = rng.randint(centers, size=noisy.size)
    return X.astype(dtype), y


# --- exact silhouette ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_clusters", [2, 7])
def test_matches_sklearn(seed, dtype, n_clusters):
    X, y = labelled_blobs(seed, centers=n_clusters, dtype=dtype)
    ours = silhouette_samples(X, y)
    assert ours.dtype == dtype
    assert_allclose(ours, sklearn.metrics.silhouette_samples(X, y), rtol=0, atol=1e-6)
    assert silhouette_score(X, y) == pytest.approx(sklearn.metrics.silhouette_score(X, y), abs=1e-6)


def test_matches_naive(seed):
    """Exact differences, even far from the origin (where scikit-learn's expansion is off by about 0.1)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(40, 3)) * [1.0, 10.0, 0.1] + 1e8
    labels = rng.randint(3, size=40)
    labels[0] = 3  # a singleton cluster
    assert_allclose(silhouette_samples(X, labels), naive.silhouette_samples(X, labels), rtol=0, atol=1e-9)


def test_csr_equals_dense(seed):
    X, y = labelled_blobs(seed, n_samples=200)
    X_csr = sparsify(X, seed)
    dense_values = silhouette_samples(X_csr.toarray(), y)
    assert_allclose(silhouette_samples(X_csr, y), dense_values, rtol=0, atol=1e-9)
    assert_allclose(silhouette_samples(X_csr, y), sklearn.metrics.silhouette_samples(X_csr, y), rtol=0, atol=1e-6)


@pytest.mark.parametrize("paired", [True, False])
def test_csr_over_several_tiles_equals_dense(monkeypatch, paired):
    """Sparse rows over three tiles (the last partial), short rows and features few samples share, both schedules."""
    rng = np.random.RandomState(0)
    n_samples, n_features = 2 * 256 + 77, 400
    X = sp.random(n_samples, n_features, density=0.02, format="lil", random_state=rng)
    X[5] = 0.0  # an empty row
    X = X.tocsr()
    labels = rng.randint(3, size=n_samples)
    if not paired:
        monkeypatch.setattr(kmlab.metrics, "PAIRED_MAX_CLUSTERS", 1)
    values = silhouette_samples(X, labels, n_threads=2)
    assert_array_equal(silhouette_samples(X, labels, n_threads=1), values)
    assert_allclose(values, silhouette_samples(X.toarray(), labels), rtol=0, atol=1e-9)
    assert_allclose(values, sklearn.metrics.silhouette_samples(X, labels), rtol=0, atol=1e-6)


def test_csr_with_empty_rows():
    X = sp.csr_matrix(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 6.0], [0.0, 7.0]]))
    labels = [0, 0, 0, 1, 1, 1]
    assert_allclose(silhouette_samples(X, labels), naive.silhouette_samples(X, labels), rtol=0, atol=1e-12)


@pytest.mark.parametrize("random_state", [0, "instance"])
def test_sample_size_draws_as_sklearn(seed, random_state):
    X, y = labelled_blobs(seed)

    def state():
        return np.random.RandomState(seed) if random_state == "instance" else seed

    ours = silhouette_score(X, y, sample_size=100, random_state=state())
    theirs = sklearn.metrics.silhouette_score(X, y, sample_size=100, random_state=state())
    assert ours == pytest.approx(theirs, abs=1e-9)
    assert ours != pytest.approx(silhouette_score(X, y), abs=1e-9)  # it did subsample


def test_singleton_clusters_get_zero():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [10.0, 0.0], [10.0, 1.0]])
    labels = np.array([0, 0, 1, 2, 2])
    values = silhouette_samples(X, labels)
    assert values[2] == 0.0
    assert_allclose(values, sklearn.metrics.silhouette_samples(X, labels), rtol=0, atol=1e-12)


def test_duplicates():
    """Cluster 0 is one point repeated: a = 0, so its samples score 1.

    The norms expansion leaves a distance of about sqrt(eps) * ||x|| between
    duplicates (as in scikit-learn), hence the 1e-7.
    """
    X = np.array([[3.0, 4.0]] * 5 + [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    labels = np.array([0] * 5 + [1] * 4)
    values = silhouette_samples(X, labels)
    assert_allclose(values[:5], 1.0, rtol=0, atol=1e-7)
    assert_allclose(values, naive.silhouette_samples(X, labels), rtol=0, atol=1e-7)
    assert_allclose(values, sklearn.metrics.silhouette_samples(X, labels), rtol=0, atol=1e-7)


def test_one_feature_and_constant_column(seed):
    X, y = labelled_blobs(seed, n_samples=120, n_features=1)
    assert_allclose(silhouette_samples(X, y), sklearn.metrics.silhouette_samples(X, y), rtol=0, atol=1e-6)
    X2 = np.hstack([X, np.full_like(X, 7.0)])
    assert_allclose(silhouette_samples(X2, y), silhouette_samples(X, y), rtol=0, atol=1e-9)


def test_any_label_values():
    X, y = labelled_blobs(0, n_samples=100)
    names = np.array(["north", "south", "east", "west"])[y]
    # Other names sort the clusters in another order: the sums round differently.
    assert_allclose(silhouette_samples(X, names), silhouette_samples(X, y), rtol=0, atol=1e-12)
    assert_array_equal(silhouette_samples(X, y * 10 - 3), silhouette_samples(X, y))


def test_many_clusters_path():
    """More clusters than PAIRED_MAX_CLUSTERS: row blocks with their own sums."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(700, 2))
    labels = rng.randint(300, size=700)
    assert np.unique(labels).size > kmlab.metrics.PAIRED_MAX_CLUSTERS
    assert_allclose(silhouette_samples(X, labels), sklearn.metrics.silhouette_samples(X, labels), rtol=0, atol=1e-9)


def test_threads_and_schedules_agree(monkeypatch):
    """Same values for any thread count; one band of offsets, many, and row blocks agree.

    The tile count is even (the pair at half of it is special) and the last tile partial.
    """
    X, y = make_blobs(n_samples=8 * 256 - 100, n_features=2, centers=3, random_state=0)
    one = silhouette_samples(X, y, n_threads=1)
    assert_array_equal(silhouette_samples(X, y, n_threads=2), one)
    # Bands of 2 offsets: the buffer holds 2 offsets of n x 2 clusters.
    monkeypatch.setattr(kmlab.metrics, "PAIRED_BUFFER_BYTES", 8 * X.shape[0] * 2 * 2)
    bands, _ = kmlab.metrics.offset_bands(np.sort(y))
    assert bands == [(0, 2), (2, 4), (4, 5)]
    banded = silhouette_samples(X, y, n_threads=2)
    assert_array_equal(silhouette_samples(X, y, n_threads=1), banded)
    assert_allclose(banded, one, rtol=0, atol=1e-12)
    monkeypatch.setattr(kmlab.metrics, "PAIRED_MAX_CLUSTERS", 1)
    row_blocks = silhouette_samples(X, y, n_threads=2)
    assert_array_equal(silhouette_samples(X, y, n_threads=1), row_blocks)
    assert_allclose(row_blocks, one, rtol=0, atol=1e-12)
    assert_allclose(one, sklearn.metrics.silhouette_samples(X, y), rtol=0, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_cosine_matches_naive_and_sklearn(seed, dtype, sparse):
    X, y = labelled_blobs(seed, n_samples=120, dtype=dtype)
    X = sparsify(X, seed) if sparse else X
    values = silhouette_samples(X, y, metric="cosine")
    assert values.dtype == dtype
    tolerance = 1e-9 if dtype == np.float64 else 1e-5
    assert_allclose(values, naive.silhouette_samples(X, y, metric="cosine"), rtol=0, atol=tolerance)
    assert_allclose(values, sklearn.metrics.silhouette_samples(X, y, metric="cosine"), rtol=0, atol=1e-5)


@pytest.mark.parametrize("paired", [True, False])
def test_cosine_over_several_tiles_and_threads(monkeypatch, paired):
    """Cosine on the kernels: every schedule and thread count, as scikit-learn; the rows' lengths do not matter."""
    X, y = make_blobs(n_samples=3 * 256 - 50, n_features=5, centers=4, random_state=0)
    expected = sklearn.metrics.silhouette_samples(X, y, metric="cosine")
    if not paired:
        monkeypatch.setattr(kmlab.metrics, "PAIRED_MAX_CLUSTERS", 1)
    monkeypatch.setattr(sklearn.metrics, "silhouette_samples", None)  # kmlab's kernels, not scikit-learn's
    values = silhouette_samples(X, y, metric="cosine", n_threads=2)
    assert_array_equal(silhouette_samples(X, y, metric="cosine", n_threads=1), values)
    assert_allclose(values, expected, rtol=0, atol=1e-9)
    scaled = X * np.random.RandomState(0).uniform(0.1, 10.0, size=(X.shape[0], 1))
    assert_allclose(silhouette_samples(scaled, y, metric="cosine"), values, rtol=0, atol=1e-9)


def test_cosine_with_an_all_zero_row():
    """scikit-learn's cosine distance from an all-zero row is 1 (no unit row gives it): scikit-learn computes it."""
    X = np.array([[0.0, 0.0], [1.0, 0.1], [1.0, 0.2], [0.1, 1.0], [0.2, 1.0]])
    y = [0, 0, 0, 1, 1]
    expected = naive.silhouette_samples(X, y, metric="cosine")
    assert_allclose(silhouette_samples(X, y, metric="cosine"), expected, rtol=0, atol=1e-12)
    assert_allclose(silhouette_samples(sp.csr_matrix(X), y, metric="cosine"), expected, rtol=0, atol=1e-12)


def test_other_metrics_go_to_sklearn(seed):
    X, y = labelled_blobs(seed, n_samples=100)
    assert_allclose(
        silhouette_samples(X, y, metric="manhattan"), sklearn.metrics.silhouette_samples(X, y, metric="manhattan")
    )
    D = sklearn.metrics.pairwise_distances(X)
    assert silhouette_score(D, y, metric="precomputed", sample_size=50, random_state=seed) == pytest.approx(
        sklearn.metrics.silhouette_score(D, y, metric="precomputed", sample_size=50, random_state=seed)
    )


def test_reexported_sklearn_scores():
    assert kmlab.metrics.calinski_harabasz_score is sklearn.metrics.calinski_harabasz_score
    assert kmlab.metrics.davies_bouldin_score is sklearn.metrics.davies_bouldin_score
    assert kmlab.metrics.__all__ == sorted(kmlab.metrics.__all__)


# --- simplified silhouette ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_simplified_matches_naive(seed, dtype, sparse):
    X, y = labelled_blobs(seed, n_samples=60, dtype=dtype)
    y[0] = 4  # a singleton
    data = sparsify(X, seed) if sparse else X
    expected = naive.simplified_silhouette_samples(data, y)
    values = simplified_silhouette_samples(data, y)
    assert values[0] == 0.0
    assert_allclose(values, expected, rtol=0, atol=1e-12)
    assert simplified_silhouette_score(data, y) == pytest.approx(expected.mean(), abs=1e-12)


def test_simplified_with_given_centers(seed):
    X = blobs(seed, n_samples=80)
    kmeans = sklearn.cluster.KMeans(n_clusters=4, n_init=1, random_state=seed).fit(X)
    # An extra centre no sample is labelled with still counts as "another centre".
    centers = np.vstack([kmeans.cluster_centers_, X[:1] + 0.01])
    values = simplified_silhouette_samples(X, kmeans.labels_, centers)
    assert_allclose(values, naive.simplified_silhouette_samples(X, kmeans.labels_, centers), rtol=0, atol=1e-12)


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize("function", [silhouette_samples, silhouette_score, simplified_silhouette_samples])
def test_bad_labels(function):
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="Number of labels is 1. Valid values are 2 to n_samples - 1"):
        function(X, [0] * 6)
    with pytest.raises(ValueError, match="Number of labels is 6"):
        function(X, np.arange(6))
    with pytest.raises(ValueError, match="labels has 5 entries but X has 6 samples"):
        function(X, [0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="1-D"):
        function(X, np.zeros((6, 1)))
    with pytest.raises(ValueError, match="NaN"):
        function(X, [0, 0, 1, 1, np.nan, 1.0])


@pytest.mark.parametrize("function", [silhouette_samples, silhouette_score, simplified_silhouette_score])
@pytest.mark.parametrize(
    ("value", "message"), [(np.nan, "NaN"), (np.inf, "infinity"), ("a", "only numbers")], ids=["nan", "inf", "string"]
)
def test_bad_data(function, value, message):
    X = np.arange(12.0).reshape(6, 2).astype(object)
    X[2, 1] = value
    with pytest.raises(ValueError, match=message):
        function(X, [0, 0, 0, 1, 1, 1])


def test_empty_data():
    with pytest.raises(ValueError, match="0 sample"):
        silhouette_score(np.empty((0, 2)), [])


@pytest.mark.parametrize("sample_size", [0, 2.5, True])
def test_bad_sample_size(sample_size):
    X, y = labelled_blobs(0, n_samples=50)
    with pytest.raises(ValueError, match="sample_size must be a positive integer"):
        silhouette_score(X, y, sample_size=sample_size)


def test_bad_centers():
    X = np.arange(12.0).reshape(6, 2)
    labels = [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="centers has 3 features but X has 2"):
        simplified_silhouette_samples(X, labels, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels contains 2, which is not a row of centers"):
        simplified_silhouette_samples(X, [0, 0, 0, 2, 2, 2], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="labels must be integers"):
        simplified_silhouette_samples(X, ["a", "a", "a", "b", "b", "b"], np.zeros((2, 2)))
