"""KMeans estimator and the k_means function."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _is_arraylike_not_scalar, check_array, check_is_fitted

from ._history import HISTORY_MAX_LABELS, FitRecorder
from ._init import SEEDINGS, greedy_kmeans_plusplus, reads_packed_rows
from ._lloyd import (
    ALGORITHMS,
    LloydWorkspace,
    choose_algorithm,
    column_moments,
    kmeans_single_lloyd,
    labels_inertia,
    n_bound_groups,
    scaled_tolerance,
)
from ._threads import kernel_threads, resolve_n_threads
from ._validation import (
    check_data,
    check_finite_by_means,
    check_weights,
    validate_estimator_data,
    validation_undone_on_error,
)
from .io import ModelFileMixin


def _is_same_clustering(labels1, labels2, n_clusters):
    """Whether each cluster of ``labels1`` lies inside one cluster of ``labels2``.

    scikit-learn's test, vectorised: the pairs (label1, label2) must be no more
    numerous than the labels of ``labels1``.
    """
    pairs = labels1.astype(np.int64) * n_clusters + labels2
    return np.unique(pairs).size == np.unique(labels1).size


class KMeans(ModelFileMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-Means clustering: scikit-learn's estimator and answers on numba kernels.

    A drop-in replacement for :class:`sklearn.cluster.KMeans`: the same
    parameters, defaults, attributes and warnings, and with the same
    ``random_state`` the same initial centres, labels, inertia and ``n_iter_``.
    The exceptions come from rounding: a sample at exactly equal distance from
    two centres can go either way, and on float32 data scikit-learn sums each
    cluster in float32 (its answer then depends on its thread count) while kmlab
    sums in float64 in a fixed order, so a few near-boundary labels can differ.
    Results never depend on ``n_threads``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form.
    init : {'k-means++', 'random', 'k-means||', 'afk-mc2'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        'k-means++': greedy k-means++, scikit-learn's draws and centres, bit for
        bit; 'random': distinct samples drawn with probability proportional to
        their weights; 'k-means||' (Bahmani et al., 2012: 5 rounds oversampling
        2 * n_clusters candidates each, then weighted k-means++ on the
        candidates) and 'afk-mc2' (Bachem et al., 2016: Markov chains of 200
        proposals instead of passes over the data): faster seedings of similar
        quality, reproducible with ``random_state`` but with centres that differ
        from scikit-learn's (see ``kmlab._init.kmeans_parallel`` and
        ``kmlab._init.afk_mc2``); an array: the initial centres; a callable
        ``init(X, n_clusters, random_state)`` returning them.
    n_init : 'auto' or int, default='auto'
        Number of runs from different seeds; the run with the lowest inertia is
        kept.  'auto' means 1 for 'k-means++', 'k-means||', 'afk-mc2' or an array,
        10 for 'random' or a callable.
    max_iter : int, default=300
        Maximum number of Lloyd iterations of a run.
    tol : float, default=1e-4
        Convergence tolerance on the squared shift of the centres, relative to the
        mean variance of the features.
    verbose : int, default=0
        Print the inertia at every iteration.
    random_state : int, RandomState instance or None, default=None
        Random number generation for the seeding.
    copy_x : bool, default=True
        Accepted for compatibility.  kmlab never modifies ``X``: dense data is
        centred row by row inside the kernels (as accurate as scikit-learn's
        centred copy).  The one copy it makes is for at most 16 features, where
        every distance is computed without GEMM: the centred rows packed for
        those kernels once per fit (4, 8 or 16 values a row, in X's dtype).
    algorithm : {'auto', 'lloyd', 'hamerly', 'yinyang', 'elkan'}, default='auto'
        All are exact: they give the same iterates, labels and ``n_iter_``.
        'lloyd' compares every sample with every centre at every iteration; the
        others keep triangle-inequality bounds and skip the samples whose label
        cannot change: 'hamerly' one lower bound per sample, 'yinyang' one per
        group of about ten centres, 'elkan' one per centre (both capped at 32 MiB
        of bounds; a group's bound is lowered by its centres' net drift since it
        was computed).  'auto' picks by the data's shape (see
        ``kmlab._lloyd.choose_algorithm``).  Sparse input always runs 'lloyd'.
    n_threads : int, default=None
        Threads used by the kernels (None or -1: all of numba's threads).  The
        result does not depend on it.
    record_history : bool, default=False
        Keep every step of the fit in ``history_`` (to animate or teach the
        algorithm).  Costs one extra inertia pass per half-step, a copy of the
        centres per step, and one of the labels when ``n_samples`` is at most
        ``HISTORY_MAX_LABELS``; the result is unchanged.
    callback : callable, default=None
        ``callback(step)`` is called after each step of every run with a
        dictionary like those of ``history_`` (its ``"run"`` says which of the
        ``n_init`` runs), e.g. to draw a live view or stop watching a long fit.
    progress : bool, default=False
        Show a progress bar (tqdm, on standard error): one tick per run, the
        current iteration and inertia beside it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centres.
    labels_ : ndarray of shape (n_samples,), int32
        Label of each training sample; equal to ``predict(X)``.
    inertia_ : float
        Weighted sum of squared distances of the samples to their closest centre.
    n_iter_ : int
        Number of iterations of the best run.
    n_distances_ : int
        Sample-centre distances the best run computed (plain Lloyd computes
        ``n_samples * n_clusters`` per assignment); shows what the bounds saved.
    history_ : list of dict
        Only with ``record_history=True``: the steps of the kept run, in order.
        The first is ``{"phase": "init", "iteration": 0, "centers": ...,
        "labels": None, "inertia": None}``; then each iteration ``i`` adds an
        ``"assign"`` step (the centres used, the new ``labels``, their
        ``inertia`` and ``n_changed``) and an ``"update"`` step (the new
        ``centers``, the same labels, their inertia with respect to the new
        centres, and ``center_shift``).  A run that ends without strict
        convergence ends with one more ``"assign"``.  The last step's labels and
        centres are ``labels_`` and ``cluster_centers_``.  ``labels`` is None
        when ``n_samples > HISTORY_MAX_LABELS`` (20 000).  Centres are in the
        units of ``X``; every step also says which ``run`` it belongs to.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    kmlab.k_means : The same, as a function.
    kmlab.kmeans_plusplus : The seeding alone.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> kmeans = KMeans(n_clusters=2, random_state=0, n_init="auto").fit(X)
    >>> kmeans.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> kmeans.predict([[0, 0], [12, 3]])
    array([1, 0], dtype=int32)
    >>> kmeans.cluster_centers_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> float(kmeans.inertia_)
    16.0

    Watching the fit step by step:

    >>> kmeans = KMeans(n_clusters=2, random_state=0, record_history=True).fit(X)
    >>> [(step["iteration"], step["phase"]) for step in kmeans.history_]
    [(0, 'init'), (1, 'assign'), (1, 'update'), (2, 'assign'), (2, 'update')]
    >>> float(kmeans.history_[-1]["inertia"])
    16.0
    """

    # Labels are recorded in ``history_`` up to this many samples.
    HISTORY_MAX_LABELS = HISTORY_MAX_LABELS

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random", *SEEDINGS}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"auto", *ALGORITHMS})],
        "n_threads": [Integral, None],
        "record_history": ["boolean"],
        "callback": [callable, None],
        "progress": ["boolean"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="auto",
        n_threads=None,
        record_history=False,
        callback=None,
        progress=False,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.n_threads = n_threads
        self.record_history = record_history
        self.callback = callback
        self.progress = progress

    def _check_params_vs_input(self, X):
        """Check the parameters against ``X``; returns the mean of its features (None: sparse ``X``).

        The mean is the centring offset of dense data; its pass over X also
        serves the variances of the scaled tolerance, and the check for NaN and
        infinity (``X`` comes validated without it).
        """
        mean = variances = None
        if not sp.issparse(X):
            mean, variances = column_moments(X, with_var=self.tol != 0)
        check_finite_by_means(X, mean)
        if X.shape[0] < self.n_clusters:
            raise ValueError(
                f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}: "
                "ask for fewer clusters or pass more samples."
            )
        self._tol = scaled_tolerance(X, self.tol, variances)
        init_is_array = _is_arraylike_not_scalar(self.init)
        if self.n_init != "auto":
            self._n_init = self.n_init
        elif init_is_array or (isinstance(self.init, str) and self.init in ("k-means++", *SEEDINGS)):
            self._n_init = 1
        else:
            self._n_init = 10
        if init_is_array and self._n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{self.__class__.__name__} instead of n_init={self._n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._n_init = 1
        self._algorithm = self.algorithm
        if self._algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._algorithm = "lloyd"
        return mean

    def _validate_center_shape(self, X, centers):
        if centers.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match "
                f"the number of clusters {self.n_clusters}."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match "
                f"the number of features of the data {X.shape[1]}."
            )

    def _init_centroids(self, X, x_sqnorms64, init, random_state, sample_weight, offset, packed=None):
        """Initial centres, in the coordinates of ``x - offset`` (offset None: X's own).

        ``packed``: the Lloyd workspace's packed rows, which k-means++ reads too.
        """
        if isinstance(init, str) and init == "k-means++":
            centers, _ = greedy_kmeans_plusplus(
                X, self.n_clusters, sample_weight, random_state, x_sqnorms64, offset=offset, packed=packed
            )
        elif isinstance(init, str) and init in SEEDINGS:
            centers = SEEDINGS[init](
                X, self.n_clusters, sample_weight, random_state, offset=offset, x_sqnorms64=x_sqnorms64
            )
        elif isinstance(init, str) and init == "random":
            seeds = random_state.choice(
                X.shape[0], size=self.n_clusters, replace=False, p=sample_weight / sample_weight.sum()
            )
            centers = X[seeds] if offset is None else X[seeds] - offset
        elif callable(init):
            # scikit-learn hands the callable the centred data: the one case that needs a copy.
            centred = X if offset is None else X - offset
            centers = init(centred, self.n_clusters, random_state=random_state)
            centers = check_array(centers, dtype=X.dtype, copy=False, order="C", input_name="init")
            self._validate_center_shape(X, centers)
        else:
            centers = init
        if sp.issparse(centers):
            centers = centers.toarray()
        return np.ascontiguousarray(centers, dtype=X.dtype)

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.  float32 data stays float32; other numbers become
            float64.  Sparse input is used as CSR, never densified.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples (not all zero).  They count in
            the k-means++ seeding, the means, the inertia and ``score``.

        Returns
        -------
        self : KMeans
            Fitted estimator.
        """
        self._validate_params()
        with validation_undone_on_error(self):
            X = validate_estimator_data(self, X, check_finite=False)
            mean = self._check_params_vs_input(X)
        random_state = check_random_state(self.random_state)
        sample_weight = check_weights(sample_weight, X)
        self._n_threads = resolve_n_threads(self.n_threads)

        init = self.init
        init_is_array = _is_arraylike_not_scalar(init)
        if init_is_array:
            init = check_array(init, dtype=X.dtype, copy=True, order="C", input_name="init")
            self._validate_center_shape(X, init)

        # Like scikit-learn, work on centred dense data (more accurate distances),
        # but centre each row on the fly instead of copying X.
        offset = mean
        if init_is_array and offset is not None:
            init -= offset

        adaptive = self._algorithm == "auto"
        if adaptive:
            self._algorithm = choose_algorithm(X, self.n_clusters)
        n_groups = 0 if sp.issparse(X) else n_bound_groups(self._algorithm, X.shape[0], self.n_clusters)
        recorder = FitRecorder(
            X.shape[0], offset, record=self.record_history, callback=self.callback, progress=self.progress,
            n_runs=self._n_init, description=f"KMeans(n_clusters={self.n_clusters})",
        )  # fmt: skip
        with kernel_threads(self._n_threads):
            # 'auto' starts its bounds late, and computes their norms then, if at all.
            kmeans_plusplus = isinstance(init, str) and init == "k-means++"
            need_norms = (n_groups > 0 and not adaptive) or kmeans_plusplus
            # Shared by every run: the seeding's and the bounds' squared norms,
            # and the packed rows (computed with the norms in one pass).
            workspace = LloydWorkspace(
                X, self.n_clusters, offset=offset, n_groups=n_groups, with_sqnorms=need_norms,
                pack_for_seeding=kmeans_plusplus and reads_packed_rows(X),
            )  # fmt: skip
            x_sqnorms64 = workspace.row_sqnorms
            best_inertia, best_labels = None, None
            for run in range(self._n_init):
                centers_init = self._init_centroids(
                    X, x_sqnorms64, init, random_state, sample_weight, offset, workspace.shared_packed_rows()
                )
                if run == self._n_init - 1:
                    workspace.release_seeding_rows()
                if self.verbose:
                    print("Initialization complete")
                recorder.start_run(run)
                labels, inertia, centers, n_iter = kmeans_single_lloyd(
                    X, sample_weight, centers_init, self.max_iter, self.verbose, self._tol, workspace, adaptive,
                    on_step=recorder if recorder.active else None,
                )  # fmt: skip
                steps = recorder.end_run()
                # A slightly lower inertia for the same partition is rounding noise.
                if best_inertia is None or (
                    inertia < best_inertia and not _is_same_clustering(labels, best_labels, self.n_clusters)
                ):
                    best_labels, best_centers, best_inertia, best_n_iter = labels, centers, inertia, n_iter
                    best_n_distances = workspace.n_distances
                    best_steps = steps
            recorder.close()

        if offset is not None:
            best_centers += offset
        self.n_distances_ = best_n_distances

        distinct_clusters = np.count_nonzero(np.bincount(best_labels, minlength=self.n_clusters))
        if distinct_clusters < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct_clusters}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = best_centers
        self._n_features_out = self.cluster_centers_.shape[0]
        self.labels_ = best_labels
        self.inertia_ = best_inertia
        self.n_iter_ = best_n_iter
        if self.record_history:
            self.history_ = best_steps
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Compute the clustering and return the label of each sample.

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
            Index of the cluster each sample belongs to.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def _check_test_data(self, X):
        check_is_fitted(self)
        return validate_estimator_data(self, X, reset=False)

    def _labels_inertia(self, X, sample_weight, with_inertia=True):
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        with kernel_threads(resolve_n_threads(self.n_threads)):
            return labels_inertia(X, sample_weight, centers, with_inertia)

    def predict(self, X):
        """Predict the closest cluster of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
            Index of the closest centre.
        """
        X = self._check_test_data(X)
        labels, _ = self._labels_inertia(X, np.ones(X.shape[0], dtype=X.dtype), with_inertia=False)
        return labels

    def transform(self, X):
        """Euclidean distance of each sample to every centre.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Distances to the centres.
        """
        X = self._check_test_data(X)
        return euclidean_distances(X, self.cluster_centers_)

    def fit_transform(self, X, y=None, sample_weight=None):
        """Compute the clustering and the distances of the samples to the centres.

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
        X_new : ndarray of shape (n_samples, n_clusters)
            Distances to the centres.
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of ``X`` for the fitted centres.

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
            ``-inertia``: higher is better.
        """
        X = self._check_test_data(X)
        _, inertia = self._labels_inertia(X, check_weights(sample_weight, X))
        return -inertia

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "sample_weight": ["array-like", None],
        "return_n_iter": [bool],
    },
    prefer_skip_nested_validation=False,
)
def k_means(
    X,
    n_clusters,
    *,
    sample_weight=None,
    init="k-means++",
    n_init="auto",
    max_iter=300,
    verbose=False,
    tol=1e-4,
    random_state=None,
    copy_x=True,
    algorithm="auto",
    return_n_iter=False,
    n_threads=None,
):
    """Perform K-means clustering; the function form of :class:`KMeans`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The samples to cluster.
    n_clusters : int
        The number of clusters.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.
    init, n_init, max_iter, verbose, tol, random_state, copy_x, algorithm, n_threads
        As in :class:`KMeans`.
    return_n_iter : bool, default=False
        Whether to return the number of iterations.

    Returns
    -------
    centroid : ndarray of shape (n_clusters, n_features)
        Centres found.
    label : ndarray of shape (n_samples,)
        Label of each sample.
    inertia : float
        Final inertia.
    best_n_iter : int
        Iterations of the best run; returned only when ``return_n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab import k_means
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> centroid, label, inertia = k_means(X, n_clusters=2, n_init="auto", random_state=0)
    >>> centroid
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> label
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> float(inertia)
    16.0
    """
    est = KMeans(
        n_clusters=n_clusters,
        init=init,
        n_init=n_init,
        max_iter=max_iter,
        verbose=verbose,
        tol=tol,
        random_state=random_state,
        copy_x=copy_x,
        algorithm=algorithm,
        n_threads=n_threads,
    ).fit(X, sample_weight=sample_weight)
    if return_n_iter:
        return est.cluster_centers_, est.labels_, est.inertia_, est.n_iter_
    return est.cluster_centers_, est.labels_, est.inertia_


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "x_squared_norms": ["array-like", None],
        "random_state": ["random_state"],
        "n_local_trials": [Interval(Integral, 1, None, closed="left"), None],
        "n_threads": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def kmeans_plusplus(
    X,
    n_clusters,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_local_trials=None,
    n_threads=None,
):
    """Choose initial centres with greedy k-means++.

    Same parameters, defaults and result as
    :func:`sklearn.cluster.kmeans_plusplus`: with the same ``random_state`` it
    returns the same centres and indices, computed from the same float values
    (see :func:`kmlab._init.greedy_kmeans_plusplus`), several times faster:
    exact distances are only computed where a cheap bound cannot show that they
    leave a sample's closest distance unchanged.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data to pick seeds from.
    n_clusters : int
        The number of centres to choose.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples; they scale the sampling probabilities.  Must be
        non-negative, not all zero.
    x_squared_norms : array-like of shape (n_samples,), default=None
        Accepted for compatibility with scikit-learn and checked for shape; kmlab
        computes the norms itself, in float64.
    random_state : int, RandomState instance or None, default=None
        Random number generation for the draws.
    n_local_trials : int, default=None
        Candidates tried for each centre after the first; ``2 + int(log(k))``
        when None.
    n_threads : int, default=None
        Threads for the kernels; None uses all of numba's threads.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The initial centres.
    indices : ndarray of shape (n_clusters,)
        Where the centres are in ``X``: ``X[indices[i]] == centers[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab import kmeans_plusplus
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> centers, indices = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> centers
    array([[10.,  2.],
           [ 1.,  0.]])
    >>> indices
    array([3, 2])
    """
    X = check_data(X, "X")
    sample_weight = check_weights(sample_weight, X)
    if X.shape[0] < n_clusters:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
    if x_squared_norms is not None:
        x_squared_norms = np.asarray(x_squared_norms)
        if x_squared_norms.shape != (X.shape[0],):
            raise ValueError(
                f"The length of x_squared_norms {x_squared_norms.shape[0] if x_squared_norms.ndim else 0} "
                f"should be equal to the length of n_samples {X.shape[0]}."
            )
    random_state = check_random_state(random_state)
    with kernel_threads(resolve_n_threads(n_threads)):
        return greedy_kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_local_trials=n_local_trials)
