"""ClusterAnomalyDetector: distances relative to each cluster's spread."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from kmlab import ClusterAnomalyDetector, KMeans, SphericalKMeans


def blobs_with_outliers(seed, n_samples=3000, fraction=0.01, n_features=8):
    """Blobs of different widths plus uniform outliers in their bounding box; truth 1 = outlier.

    In two dimensions many uniform outliers land inside a blob, where no distance
    can tell them apart (ROC AUC 0.77-0.97 by seed); with 8 features they rarely do.
    """
    X, _ = make_blobs(
        n_samples=n_samples, n_features=n_features, centers=4, cluster_std=[0.5, 1.0, 1.5, 2.5], random_state=seed
    )
    rng = np.random.RandomState(seed)
    n_out = int(fraction * n_samples)
    low, high = X.min(axis=0), X.max(axis=0)
    outliers = rng.uniform(low, high, size=(n_out, X.shape[1]))
    return np.vstack([X, outliers]), np.r_[np.zeros(n_samples), np.ones(n_out)]


def test_roc_auc_on_blobs_with_uniform_outliers(seed):
    X, truth = blobs_with_outliers(seed)
    detector = ClusterAnomalyDetector(KMeans(n_clusters=4, n_init=10, random_state=seed)).fit(X)
    assert roc_auc_score(truth, -detector.score_samples(X)) >= 0.95


def test_scores_are_distances_in_units_of_the_cluster_spread():
    X, _ = blobs_with_outliers(0, n_samples=400, n_features=2)
    weights = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    detector = ClusterAnomalyDetector(KMeans(n_clusters=4, random_state=0), contamination=0.05)
    detector.fit(X, sample_weight=weights)
    centers = detector.estimator_.cluster_centers_
    distances = np.sqrt(((X[:, None, :] - centers[None]) ** 2).sum(axis=2))
    labels = distances.argmin(axis=1)
    nearest = distances.min(axis=1)
    for j in range(4):
        members = labels == j
        expected = np.sqrt(np.average(nearest[members] ** 2, weights=weights[members]))
        assert detector.spread_[j] == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(detector.score_samples(X), -nearest / detector.spread_[labels], rtol=1e-9)
    flagged = detector.predict(X) == -1
    assert flagged.mean() == pytest.approx(0.05, abs=1.5 / X.shape[0])
    np.testing.assert_array_equal(detector.decision_function(X) < 0, flagged)


def test_wide_clusters_tolerate_more_than_tight_ones():
    rng = np.random.RandomState(0)
    tight = rng.normal([0, 0], 0.1, size=(200, 2))
    wide = rng.normal([20, 0], 3.0, size=(200, 2))
    detector = ClusterAnomalyDetector(KMeans(n_clusters=2, random_state=0)).fit(np.vstack([tight, wide]))
    near_tight, near_wide = detector.score_samples([[1.0, 0.0], [21.0, 0.0]])
    assert near_tight < -5 < -1 < near_wide


def test_other_clusterings_and_sparse_input():
    X, truth = blobs_with_outliers(1, n_samples=1000)
    sk = ClusterAnomalyDetector(SKKMeans(n_clusters=4, n_init=3, random_state=0)).fit(X)
    assert roc_auc_score(truth, -sk.score_samples(X)) >= 0.95
    positive = np.abs(X)
    spherical = ClusterAnomalyDetector(SphericalKMeans(n_clusters=4, random_state=0)).fit(sp.csr_matrix(positive))
    dense = ClusterAnomalyDetector(SphericalKMeans(n_clusters=4, random_state=0)).fit(positive)
    np.testing.assert_allclose(spherical.score_samples(sp.csr_matrix(positive)), dense.score_samples(positive))


def test_default_estimator_and_identical_samples():
    with pytest.warns(Warning, match="distinct clusters"):
        detector = ClusterAnomalyDetector().fit(np.ones((20, 3)))
    assert isinstance(detector.estimator_, KMeans)
    assert np.all(detector.spread_ == 1.0)
    np.testing.assert_array_equal(detector.score_samples(np.ones((2, 3))), [0.0, 0.0])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"contamination": 0.0}, "contamination"),
        ({"contamination": 0.7}, "contamination"),
        ({"estimator": "kmeans"}, "estimator"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        ClusterAnomalyDetector(**params).fit(np.random.RandomState(0).rand(20, 2))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="NaN"):
        ClusterAnomalyDetector().fit(np.array([[np.nan, 1.0]] * 10))
    detector = ClusterAnomalyDetector(KMeans(n_clusters=2, random_state=0)).fit(np.random.RandomState(0).rand(20, 2))
    with pytest.raises(ValueError, match="3 features"):
        detector.score_samples(np.ones((2, 3)))


# scikit-learn's checks set random_state on the estimator itself only: the inner
# KMeans gets its own, and inherits KMeans's expected failures.
SKLEARN_KMEANS_FAILURES = {
    name: "sample_weight is not equivalent to removing/repeating samples (as for sklearn.cluster.KMeans)."
    for name in ("check_sample_weight_equivalence_on_dense_data", "check_sample_weight_equivalence_on_sparse_data")
}


@parametrize_with_checks(
    [ClusterAnomalyDetector(KMeans(n_clusters=2, n_init=2, max_iter=5, random_state=0), contamination=0.1)],
    expected_failed_checks=lambda estimator: SKLEARN_KMEANS_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
