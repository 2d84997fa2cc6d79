"""Anomaly detection with a clustering: how far a sample lies from its cluster, for that cluster."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from ._validation import check_weights, validate_estimator_data

# Rows per block when measuring distances: bounds the (block, n_clusters) buffer.
BLOCK_ROWS = 16_384


def _nearest(estimator, X):
    """Index of and distance to the nearest centre of every row, block by block, and the number of centres."""
    labels = np.empty(X.shape[0], dtype=np.int64)
    distances = np.empty(X.shape[0])
    for start in range(0, X.shape[0], BLOCK_ROWS):
        block = estimator.transform(X[start : start + BLOCK_ROWS])
        labels[start : start + BLOCK_ROWS] = block.argmin(axis=1)
        distances[start : start + BLOCK_ROWS] = block.min(axis=1)
    return labels, distances, block.shape[1]


class ClusterAnomalyDetector(OutlierMixin, BaseEstimator):
    """Flag the samples that fit no cluster: distance to the nearest centre, relative to its spread.

    "Anything that doesn't fit any cluster is suspicious" needs a yardstick per
    cluster: 3 units from the centre of a wide cluster is normal, from a tight one
    it is not.  The detector fits a clustering, measures each cluster's spread as
    the root mean square distance of its members to their centre, and scores a
    sample by its distance to the nearest centre divided by that cluster's spread.
    The threshold is set so that a fraction ``contamination`` of the training
    samples is flagged.  The distance is the clustering's own (``transform``):
    Euclidean for KMeans and MiniBatchKMeans, cosine for SphericalKMeans.

    Parameters
    ----------
    estimator : estimator with ``transform``, default=None
        The clustering, cloned before fitting; None means ``kmlab.KMeans(n_clusters=8)``.
    contamination : float, default=0.01
        Fraction of the training samples expected to be anomalies, in (0, 0.5].

    Attributes
    ----------
    estimator_ : estimator
        The fitted clustering.
    spread_ : ndarray of shape (n_clusters,)
        Root mean square distance of each cluster's members to their centre (a
        cluster with no spread gets the spread of all samples).
    offset_ : float
        Threshold on :meth:`score_samples`: below it, a sample is an anomaly.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab import ClusterAnomalyDetector, KMeans
    >>> X, _ = make_blobs(n_samples=500, centers=3, random_state=0)
    >>> detector = ClusterAnomalyDetector(KMeans(n_clusters=3, random_state=0), contamination=0.01).fit(X)
    >>> far, central = [20.0, 20.0], detector.estimator_.cluster_centers_[0]
    >>> detector.predict([far, central])
    array([-1,  1])
    >>> detector.score_samples([far, central]).round(1)
    array([-19.1,  -0. ])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "transform"]), None],
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(self, estimator=None, *, contamination=0.01):
        self.estimator = estimator
        self.contamination = contamination

    def fit(self, X, y=None, sample_weight=None):
        """Fit the clustering, the spreads and the threshold.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights, passed to the clustering and used in the spreads.

        Returns
        -------
        self : ClusterAnomalyDetector
            Fitted detector.
        """
        self._validate_params()
        X = validate_estimator_data(self, X)
        weights = check_weights(sample_weight, X).astype(np.float64)
        if self.estimator is None:
            from ._kmeans import KMeans

            estimator = KMeans(n_clusters=min(8, X.shape[0]))
        else:
            estimator = clone(self.estimator)
        if sample_weight is None:
            estimator.fit(X)
        else:
            estimator.fit(X, sample_weight=weights)
        self.estimator_ = estimator

        labels, distances, n_clusters = _nearest(estimator, X)
        sq_sums = np.bincount(labels, weights=weights * distances**2, minlength=n_clusters)
        member_weights = np.bincount(labels, weights=weights, minlength=n_clusters)
        overall = np.sqrt(sq_sums.sum() / weights.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            spread = np.sqrt(sq_sums / member_weights)
        # A cluster of identical samples (or none) has no yardstick of its own.
        fallback = overall if overall > 0 else 1.0
        self.spread_ = np.where(np.isfinite(spread) & (spread > 0), spread, fallback)
        self.offset_ = float(np.quantile(-distances / self.spread_[labels], self.contamination))
        return self

    def _validated(self, X):
        check_is_fitted(self)
        return validate_estimator_data(self, X, reset=False)

    def score_samples(self, X):
        """Minus the distance to the nearest centre in units of that cluster's spread.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The lower, the more abnormal (scikit-learn's convention); ``-3`` is
            three spreads away from the nearest centre.
        """
        X = self._validated(X)
        labels, distances, _ = _nearest(self.estimator_, X)
        return -distances / self.spread_[labels]

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for anomalies.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Negative values are anomalies.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for anomalies, +1 for samples that fit a cluster.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to classify.

        Returns
        -------
        is_inlier : ndarray of shape (n_samples,)
            +1 or -1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
