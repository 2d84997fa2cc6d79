"""SphericalKMeans: K-Means with cosine similarity, for TF-IDF vectors and embeddings."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _is_arraylike_not_scalar, check_array, check_is_fitted

from ._init import greedy_kmeans_plusplus, row_sqnorms64
from ._kmeans import _is_same_clustering
from ._lloyd import LloydWorkspace, labels_inertia
from ._threads import kernel_threads, resolve_n_threads
from ._validation import check_weights, validate_estimator_data
from .io import ModelFileMixin


def _unit_rows(X):
    """Rows of X scaled to unit length (a copy; CSR stays CSR; all-zero rows stay zero)."""
    return normalize(X, norm="l2", copy=True)


def _zero_rows(X):
    """Mask of the all-zero rows of X."""
    if sp.issparse(X):
        return np.asarray(abs(X).sum(axis=1)).ravel() == 0
    return ~X.any(axis=1)


class SphericalKMeans(ModelFileMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """Spherical K-Means: clusters of directions, by cosine similarity.

    Every sample is scaled to unit length and assigned to the centre it has the
    largest cosine similarity with; each centre is the (weighted) mean direction
    of its samples, scaled back to unit length (Dhillon & Modha, 2001).  This is
    the right K-Means for TF-IDF vectors and text or image embeddings, where the
    direction carries the meaning and the length does not.  Sparse CSR input is
    never densified, and it gives the same clustering as its dense copy.
    An all-zero row (an empty document) has cosine similarity 0 with every
    centre: it is left out of the fit, gets label 0, and counts with cosine
    distance 1 in ``inertia_`` and ``score``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters.
    init : {'k-means++', 'random'}, callable or array-like of shape (n_clusters, n_features), \
            default='k-means++'
        'k-means++' runs kmlab's k-means++ on the unit-length rows (distances
        between unit vectors are ``2 - 2 cos``); 'random' picks distinct samples;
        an array (scaled to unit length) or ``init(X_unit, n_clusters,
        random_state)`` gives the initial centres.
    n_init : 'auto' or int, default='auto'
        Runs from different seeds, the best kept ('auto': 1 for 'k-means++' or an
        array, 10 otherwise).
    max_iter : int, default=300
        Most iterations of a run.
    tol : float, default=1e-6
        Stop when the total squared shift of the (unit) centres is at most
        ``tol`` (or when no label changes).
    verbose : int, default=0
        Print the objective at every iteration.
    random_state : int, RandomState instance or None, default=None
        Random number generation for the seeding.
    n_threads : int, default=None
        Threads of the kernels; the result does not depend on it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Unit-length centres.
    labels_ : ndarray of shape (n_samples,), int32
        Cluster of each training sample.
    inertia_ : float
        Weighted sum of the cosine distances ``1 - cos(x, c)`` of the samples to
        their centre.
    n_iter_ : int
        Iterations of the best run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    kmlab.KMeans : Euclidean K-Means.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab import SphericalKMeans
    >>> X = np.array([[1.0, 0.1], [2.0, 0.1], [5.0, 0.4], [0.1, 1.0], [0.2, 3.0], [0.1, 0.9]])
    >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
    >>> skm.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> np.linalg.norm(skm.cluster_centers_, axis=1)
    array([1., 1.])
    >>> skm.predict([[10.0, 1.0]])
    array([1], dtype=int32)
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "n_threads": [Integral, None],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-6,
        verbose=0,
        random_state=None,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.n_threads = n_threads

    def _initial_centers(self, X, x_sqnorms64, init, random_state, sample_weight):
        """Unit-length initial centres from the unit-length rows ``X``."""
        if isinstance(init, str) and init == "k-means++":
            centers, _ = greedy_kmeans_plusplus(X, self.n_clusters, sample_weight, random_state, x_sqnorms64)
        elif isinstance(init, str) and init == "random":
            seeds = random_state.choice(
                X.shape[0], size=self.n_clusters, replace=False, p=sample_weight / sample_weight.sum()
            )
            centers = X[seeds]
        elif callable(init):
            centers = init(X, self.n_clusters, random_state=random_state)
        else:
            centers = init
        centers = check_array(centers, accept_sparse="csr", dtype=X.dtype, input_name="init")
        if sp.issparse(centers):
            centers = centers.toarray()
        if centers.shape != (self.n_clusters, X.shape[1]):
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match the number of clusters "
                f"{self.n_clusters} and of features {X.shape[1]}."
            )
        return np.ascontiguousarray(_unit_rows(centers), dtype=X.dtype)

    def _single_run(self, X, sample_weight, centers, workspace):
        """One run from ``centers``: labels, objective, unit centres, iterations."""
        centers_new = np.zeros_like(centers)
        labels = np.full(X.shape[0], -1, dtype=np.int32)
        workspace.start(centers, self.max_iter + 1)
        strict_convergence = False
        for i in range(self.max_iter):
            _, n_changed = workspace.assign(
                X, sample_weight, centers, labels, update=True, with_inertia=False, sums_kept=i > 0
            )
            # The mean of unit vectors, then its direction: a zero mean keeps its old centre.
            workspace.update_centers(X, sample_weight, centers, labels, centers_new)
            lengths = np.linalg.norm(centers_new, axis=1)
            collapsed = lengths == 0
            centers_new[collapsed] = centers[collapsed]
            centers_new[~collapsed] /= lengths[~collapsed, None]
            shift = float(((centers_new - centers) ** 2).sum())
            centers, centers_new = centers_new, centers
            if self.verbose:
                objective = workspace.inertia(X, sample_weight, centers, labels) / 2
                print(f"Iteration {i}, cosine distance sum {objective}.")
            if n_changed == 0:
                strict_convergence = True
                break
            if shift <= self.tol:
                break
        if not strict_convergence:
            workspace.assign(X, sample_weight, centers, labels, update=False, with_inertia=False)
        # For unit vectors ||x - c||^2 = 2 (1 - cos).
        objective = workspace.inertia(X, sample_weight, centers, labels) / 2
        return labels, objective, centers, i + 1

    def fit(self, X, y=None, sample_weight=None):
        """Cluster the directions of the samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.  float32 stays float32.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : SphericalKMeans
            Fitted estimator.
        """
        self._validate_params()
        X = validate_estimator_data(self, X)
        if X.shape[0] < self.n_clusters:
            raise ValueError(
                f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}: "
                "ask for fewer clusters or pass more samples."
            )
        sample_weight = check_weights(sample_weight, X)
        random_state = check_random_state(self.random_state)
        init = self.init
        init_is_array = _is_arraylike_not_scalar(init)
        if self.n_init != "auto":
            n_init = self.n_init
        else:
            n_init = 1 if init_is_array or (isinstance(init, str) and init == "k-means++") else 10
        if init_is_array and n_init != 1:
            warnings.warn(
                f"Explicit initial center position passed: performing only one init in SphericalKMeans "
                f"instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=2,
            )
            n_init = 1

        zero = _zero_rows(X)
        if X.shape[0] - zero.sum() < self.n_clusters:
            raise ValueError(
                f"X has {X.shape[0] - zero.sum()} non-zero rows ({zero.sum()} all-zero rows have no direction); "
                f"n_clusters={self.n_clusters} needs at least as many."
            )
        zero_weight = float(sample_weight[zero].sum())
        if zero.any():
            X, sample_weight = X[~zero], sample_weight[~zero]
        X = _unit_rows(X)
        with kernel_threads(resolve_n_threads(self.n_threads)):
            x_sqnorms64 = row_sqnorms64(X) if isinstance(init, str) and init == "k-means++" else None
            workspace = LloydWorkspace(X, self.n_clusters)
            best = None
            for _ in range(n_init):
                centers = self._initial_centers(X, x_sqnorms64, init, random_state, sample_weight)
                run = self._single_run(X, sample_weight, centers, workspace)
                if best is None or (run[1] < best[1] and not _is_same_clustering(run[0], best[0], self.n_clusters)):
                    best = run
        labels, objective, centers, n_iter = best
        if zero.any():
            all_labels = np.zeros(zero.shape[0], dtype=np.int32)
            all_labels[~zero] = labels
            labels = all_labels
        if np.unique(labels).size < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({np.unique(labels).size}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate directions in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = centers
        self._n_features_out = self.n_clusters
        self.labels_ = labels
        self.inertia_ = objective + zero_weight
        self.n_iter_ = n_iter
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return the cluster of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
            Cluster of each sample.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def _unit_test_data(self, X):
        check_is_fitted(self)
        X = validate_estimator_data(self, X, reset=False)
        return _unit_rows(X)

    def _labels_objective(self, X, sample_weight):
        """Labels and weighted cosine distance sum of the unit rows ``X`` (zero rows: label 0, distance 1)."""
        zero = _zero_rows(X)
        labels = np.zeros(X.shape[0], dtype=np.int32)
        objective = float(sample_weight[zero].sum())
        if not zero.all():
            centers = self.cluster_centers_.astype(X.dtype, copy=False)
            with kernel_threads(resolve_n_threads(self.n_threads)):
                labels[~zero], sq_distances = labels_inertia(X[~zero], sample_weight[~zero], centers)
            objective += sq_distances / 2
        return labels, objective

    def predict(self, X):
        """The centre of largest cosine similarity, for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
            Cluster of each sample.
        """
        X = self._unit_test_data(X)
        return self._labels_objective(X, np.ones(X.shape[0], dtype=X.dtype))[0]

    def transform(self, X):
        """Cosine distance ``1 - cos(x, c)`` of each sample to every centre.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
            Cosine distances, between 0 and 2.
        """
        X = self._unit_test_data(X)
        similarities = X @ self.cluster_centers_.T.astype(X.dtype, copy=False)
        return 1.0 - np.asarray(similarities)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the sum of cosine distances of ``X`` to its closest centres.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        score : float
            Larger is better.
        """
        X = self._unit_test_data(X)
        return -self._labels_objective(X, check_weights(sample_weight, X))[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
