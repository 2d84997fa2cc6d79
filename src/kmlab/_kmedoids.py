"""KMedoids estimator: FasterPAM or alternating k-medoids, with CLARA for large data.

Written from the papers, not from any implementation: FasterPAM from Schubert &
Rousseeuw, "Fast and eager k-medoids clustering: O(k) runtime improvement of
the PAM, CLARA, and CLARANS algorithms", Information Systems 101 (2021); BUILD
and CLARA from Kaufman & Rousseeuw, "Finding Groups in Data" (1990).

Drivers here allocate the buffers and call the kernels of
:mod:`kmlab._kernels.pam`; they run inside :func:`kmlab._threads.kernel_threads`
set by the estimator.  Memory: one dense ``n x n`` matrix of distances, in X's
dtype, only while ``n <= max_samples``; beyond that, CLARA's ``sample x sample``
matrices and chunks of ``rows x n_clusters`` distances, never ``n x n``.
"""

import warnings
from numbers import Integral

import numba
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import _VALID_METRICS, pairwise_distances, pairwise_distances_chunked
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _is_arraylike_not_scalar, check_is_fitted, validate_data

from ._kernels.pam import (
    alternate,
    assign_to_medoids,
    build,
    euclidean_matrix,
    euclidean_to_points,
    fasterpam,
    first_asymmetry,
    first_problem_by_row,
    row_sums,
)
from ._lloyd import block_starts
from ._threads import kernel_threads, resolve_n_threads, threads_for
from ._validation import EUCLIDEAN_METRICS, FLOAT_DTYPES, _convert, validate_estimator_data
from .io import ModelFileMixin

# Largest n clustered on one dense n x n matrix by default: 10,000**2 distances
# take 800 MB in float64, 400 MB in float32.
MAX_SAMPLES = 10_000

# Memory for one chunk of distances computed at a time beyond the dense matrix
# (rows x n_clusters for labels, rows x n for scikit-learn's metrics).
CHUNK_BYTES = 64 * 2**20

# FasterPAM evaluates candidates in parallel batches, from one per thread after
# a swap up to this many per thread; the result does not depend on it.
MAX_CANDIDATES_PER_THREAD = 256

# Tolerances of the symmetry and zero-diagonal checks of a precomputed matrix,
# relative to each entry (rtol) and to the largest distance (atol): generous
# enough for matrices computed through GEMM (||x||^2 + ||y||^2 - 2 x.y).
PRECOMPUTED_TOLERANCES = {np.dtype(np.float64): (1e-6, 1e-6), np.dtype(np.float32): (1e-3, 1e-3)}


def clara_sample_size(n_clusters, max_samples):
    """Samples per CLARA subsample: half of ``max_samples``, at least 40 + 2k, at most ``max_samples``.

    Half, not all, of the dense bound: five FasterPAM runs on 5,000 samples cost
    about as much as one on 10,000 and find medoids about as good (the classic
    40 + 2k of Kaufman & Rousseeuw is far too small for FasterPAM's speed).

    Parameters
    ----------
    n_clusters : int
    max_samples : int

    Returns
    -------
    size : int
    """
    return min(max_samples, max(40 + 2 * n_clusters, max_samples // 2))


def _metric_name(metric):
    """A callable metric's name, for messages."""
    return getattr(metric, "__name__", repr(metric))


def check_distances(D, what, fix):
    """Raise a ValueError naming the first NaN, infinite or negative entry of ``D``.

    Returns the largest entry (the matrix's scale).
    """
    nonfinite = np.empty(D.shape[0], dtype=np.int64)
    negative = np.empty(D.shape[0], dtype=np.int64)
    row_max = np.empty(D.shape[0], dtype=np.float64)
    threads_for(D.size)
    first_problem_by_row(D, nonfinite, negative, row_max)
    for columns, problem in ((nonfinite, "is not finite"), (negative, "is negative")):
        rows = np.flatnonzero(columns >= 0)
        if rows.size:
            i, j = rows[0], columns[rows[0]]
            raise ValueError(
                f"{what}: entry [{i}, {j}] = {D[i, j]} {problem}; distances must be finite and >= 0. {fix}"
            )
    return float(row_max.max()) if row_max.size else 0.0


def check_precomputed(D):
    """Check a precomputed training matrix: finite, >= 0, zero diagonal, symmetric."""
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(
            "metric='precomputed' needs the square matrix of distances between the training samples, "
            f"shape (n_samples, n_samples); got X of shape {D.shape}."
        )
    scale = check_distances(D, "metric='precomputed'", "Pass a matrix of distances, not of similarities.")
    rtol, atol = PRECOMPUTED_TOLERANCES[D.dtype]
    atol *= scale
    diagonal = np.diagonal(D)
    off = np.flatnonzero(diagonal > atol)
    if off.size:
        i = off[0]
        raise ValueError(
            f"metric='precomputed': X[{i}, {i}] = {D[i, i]}, but a sample's distance to itself must be 0. "
            "Set the diagonal with numpy.fill_diagonal(X, 0)."
        )
    first_column = np.empty(D.shape[0], dtype=np.int64)
    threads_for(D.size)
    first_asymmetry(D, rtol, atol, first_column)
    rows = np.flatnonzero(first_column >= 0)
    if rows.size:
        i, j = rows[0], first_column[rows[0]]
        raise ValueError(
            f"metric='precomputed': X[{i}, {j}] = {D[i, j]} but X[{j}, {i}] = {D[j, i]}; KMedoids needs "
            "symmetric distances. Pass (X + X.T) / 2, or the minimum or maximum of the two."
        )


def dissimilarity_matrix(X, metric):
    """The ``n x n`` matrix of distances between the rows of ``X``, in X's dtype.

    Dense Euclidean distances come from kmlab's kernel (exact differences,
    exactly symmetric, zero diagonal); other metrics and sparse data from
    scikit-learn's ``pairwise_distances_chunked``, written chunk by chunk into
    the matrix (no second copy).  A callable's values are checked.
    """
    n = X.shape[0]
    D = np.empty((n, n), dtype=X.dtype)
    if metric in EUCLIDEAN_METRICS and not sp.issparse(X):
        threads_for(n * n * X.shape[1] // 2)
        euclidean_matrix(X, np.ascontiguousarray(X.T), D)
        return D
    start = 0
    for chunk in pairwise_distances_chunked(X, metric=metric, working_memory=CHUNK_BYTES / 2**20):
        D[start : start + chunk.shape[0]] = chunk
        start += chunk.shape[0]
    if callable(metric):
        check_distances(D, f"metric={_metric_name(metric)}", "The metric must return distances.")
    return D


def distances_to(X, points, metric, rows=slice(None)):
    """Distances from ``X[rows]`` to each of a few ``points``, shape (rows, len(points)), X's dtype."""
    if metric in EUCLIDEAN_METRICS and not sp.issparse(X):
        part = X[rows]
        out = np.empty((part.shape[0], points.shape[0]), dtype=X.dtype)
        threads_for(out.size * X.shape[1])
        euclidean_to_points(part, np.ascontiguousarray(points.T, dtype=X.dtype), block_starts(part.shape[0]), out)
        return out
    return pairwise_distances(X[rows], points, metric=metric).astype(X.dtype, copy=False)


def nearest_points(X, points, metric):
    """Index of the nearest of ``points`` for every row of ``X`` (the first on ties) and the distance to it.

    Works through chunks of rows, never an ``n_samples x len(points)`` matrix.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    distances : ndarray of shape (n_samples,), float64
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int32)
    distances = np.empty(n, dtype=np.float64)
    step = max(1, CHUNK_BYTES // (8 * points.shape[0]))
    for start in range(0, n, step):
        chunk = distances_to(X, points, metric, slice(start, start + step))
        stop = start + chunk.shape[0]
        labels[start:stop] = np.argmin(chunk, axis=1)
        distances[start:stop] = chunk[np.arange(chunk.shape[0]), labels[start:stop]]
    if callable(metric):
        check_distances(distances[:, None], f"metric={_metric_name(metric)}", "The metric must return distances.")
    return labels, distances


def kmedoids_plusplus(D, n_clusters, random_state):
    """Greedy k-medoids++: k-means++ with distances, not squared distances, as weights.

    The first medoid is a uniform draw; each next one is the best, for the sum
    of distances, of ``2 + int(log(k))`` candidates drawn with probability
    proportional to their distance to the nearest medoid so far (the D^1
    sampling that suits the k-medoids objective).  When every sample sits on a
    medoid (duplicates), the rest are drawn uniformly among the others.

    Returns
    -------
    medoids : ndarray of shape (n_clusters,), int64
    """
    n = D.shape[0]
    n_trials = 2 + int(np.log(n_clusters))
    medoids = np.empty(n_clusters, dtype=np.int64)
    medoids[0] = random_state.randint(n)
    closest = D[medoids[0]].astype(np.float64)
    for c in range(1, n_clusters):
        cumulative = np.cumsum(closest)
        if cumulative[-1] <= 0:
            others = np.setdiff1d(np.arange(n), medoids[:c])
            medoids[c:] = random_state.choice(others, n_clusters - c, replace=False)
            break
        draws = random_state.uniform(size=n_trials) * cumulative[-1]
        # side="right": a draw lands on a sample with a positive weight, never on a medoid.
        candidates = np.minimum(np.searchsorted(cumulative, draws, side="right"), np.flatnonzero(closest)[-1])
        trials = np.minimum(closest, D[candidates])
        best = np.argmin(trials.sum(axis=1))
        medoids[c] = candidates[best]
        closest = trials[best]
    return medoids


def initial_medoids(D, n_clusters, init, random_state):
    """Initial medoids for the matrix ``D``: sample indices, int64."""
    if isinstance(init, str) and init == "k-medoids++":
        return kmedoids_plusplus(D, n_clusters, random_state)
    if isinstance(init, str) and init == "random":
        return random_state.choice(D.shape[0], n_clusters, replace=False).astype(np.int64)
    if isinstance(init, str) and init == "build":
        medoids = np.empty(n_clusters, dtype=np.int64)
        threads_for(n_clusters * D.size)
        build(D, medoids, np.empty(D.shape[0], np.int64), np.empty(D.shape[0]), np.empty(D.shape[0]))
        return medoids
    return np.array(init, dtype=np.int64)


def solve(D, n_clusters, method, init, max_iter, random_state):
    """k-medoids on a dense matrix of distances.

    With one cluster the answer is exact whatever the method: the sample with
    the smallest total distance (which every method converges to).

    Returns
    -------
    medoids : ndarray of shape (n_clusters,), int64
    labels : ndarray of shape (n_samples,), int32
        Nearest medoid of each sample, the lowest slot on ties.
    distances : ndarray of shape (n_samples,), float64
        Distance of each sample to it.
    n_iter : int
    converged : bool
    """
    n = D.shape[0]
    nearest, second = np.empty(n, np.int64), np.empty(n, np.int64)
    dnear, dsecond = np.empty(n), np.empty(n)
    if n_clusters == 1:
        totals = np.empty(n)
        threads_for(D.size)
        row_sums(D, totals)
        medoids, n_iter, converged = np.array([np.argmin(totals)], dtype=np.int64), 1, True
    else:
        medoids = initial_medoids(D, n_clusters, init, random_state)
        slot_of = np.full(n, -1, dtype=np.int64)
        slot_of[medoids] = np.arange(n_clusters)
        if method == "fasterpam":
            order = random_state.permutation(n).astype(np.int64)
            threads_for(D.size)
            threads = numba.get_num_threads()
            batch = 1 if threads == 1 else MAX_CANDIDATES_PER_THREAD * threads
            n_iter, _, converged = fasterpam(
                D, order, max_iter, threads, medoids, slot_of, nearest, dnear, second, dsecond, np.empty(n_clusters),
                np.empty(batch, np.int64), np.empty(batch, np.int64), np.empty(batch), np.empty(batch, np.int64),
                np.empty((batch, n_clusters)),
            )  # fmt: skip
        else:
            threads_for(D.size // n_clusters)
            n_iter, converged = alternate(
                D, max_iter, medoids, slot_of, nearest, dnear, second, dsecond, np.empty(n, np.int64),
                np.empty(n_clusters + 1, np.int64), np.empty(n),
            )  # fmt: skip
    # Fresh labels, ties to the lowest slot, exactly as predict gives them.
    assign_to_medoids(D, medoids, nearest, dnear, second, dsecond)
    return medoids, nearest.astype(np.int32), dnear, int(n_iter), bool(converged)


def clara(X, metric, n_clusters, method, init, max_iter, max_samples, n_sampling_iter, random_state):
    """CLARA: k-medoids on random subsamples, judged on all of ``X``.

    Each of the ``n_sampling_iter`` runs draws :func:`clara_sample_size`
    samples, always including the best medoids found so far (Kaufman &
    Rousseeuw's rule), clusters their dense distance matrix, and computes the
    total distance of *all* samples to the medoids found, in chunks.  The
    medoids with the lowest total are kept.  With an array ``init`` (sample
    indices), every run starts from the best medoids so far, the given ones
    at first.

    Returns the same as :func:`solve`, for all of ``X``.
    """
    n = X.shape[0]
    size = clara_sample_size(n_clusters, max_samples)
    carried = None if isinstance(init, str) else np.array(init, dtype=np.int64)
    best = None
    for _ in range(n_sampling_iter):
        drawn = random_state.choice(n, size, replace=False)
        if carried is not None:
            drawn = np.concatenate([carried, drawn[~np.isin(drawn, carried)]])[:size]
        sample = np.sort(drawn)
        run_init = init if isinstance(init, str) else np.searchsorted(sample, carried)
        D = dissimilarity_matrix(X[sample], metric)
        medoids, _, _, n_iter, converged = solve(D, n_clusters, method, run_init, max_iter, random_state)
        del D
        medoids = sample[medoids]
        labels, distances = nearest_points(X, _rows(X, medoids), metric)
        loss = float(distances.sum())
        if best is None or loss < best[0]:
            best = (loss, medoids, labels, distances, n_iter, converged)
            carried = medoids
    return best[1:]


def _rows(X, indices):
    """Rows of X as a dense array (medoids of sparse data included)."""
    rows = X[indices]
    return rows.toarray() if sp.issparse(rows) else rows


class KMedoids(ModelFileMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-medoids clustering: FasterPAM by default, CLARA beyond ``max_samples`` samples.

    Every cluster is represented by one of its samples, its *medoid*, chosen to
    minimise the sum of the distances (not squared) of the samples to their
    nearest medoid.  Medoids stay where the data is: a few far outliers barely
    move them, while they drag k-means centroids away; and any distance works,
    including a precomputed matrix.

    The parameters follow scikit-learn-extra's ``KMedoids``.  The algorithm is
    written from the FasterPAM paper (Schubert & Rousseeuw, 2021), not from any
    implementation.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters (medoids).
    metric : str or callable, default='euclidean'
        A metric of :func:`sklearn.metrics.pairwise_distances` ('euclidean',
        'manhattan', 'cosine', ...), a callable ``metric(x, y) -> float`` on two
        rows (slow: called once per pair), or 'precomputed': ``X`` is then the
        square matrix of distances between the samples, finite, non-negative,
        symmetric and with a zero diagonal (each checked; ``ValueError``
        otherwise).  Dense 'euclidean' distances are computed by kmlab from the
        exact differences, the others by scikit-learn.
    method : {'fasterpam', 'alternate'}, default='fasterpam'
        'fasterpam': the eager swap search of FasterPAM, which reaches a local
        optimum of PAM's swap neighbourhood (no single medoid/non-medoid swap
        lowers the loss), in O(n^2) per pass over the samples; samples are tried
        as new medoids in a random order (``random_state``).  'alternate':
        k-means style iterations (assign each sample to its nearest medoid, then
        make each cluster's medoid its most central member); faster per
        iteration, usually a worse loss.
    init : {'k-medoids++', 'build', 'random'} or array-like of shape (n_clusters,), default='k-medoids++'
        'k-medoids++': k-means++ seeding with distance-proportional draws, the
        best of ``2 + int(log(n_clusters))`` candidates for each medoid; 'build':
        PAM's greedy BUILD (deterministic, O(k n^2), slow on large data but a
        good start); 'random': distinct samples drawn uniformly; an array: the
        indices of the initial medoids in ``X``.
    max_iter : int, default=300
        Most passes over the samples ('fasterpam'; it usually converges in 2 to
        5) or iterations ('alternate').
    random_state : int, RandomState instance or None, default=None
        Random numbers for the seeding, FasterPAM's order of the samples and
        CLARA's subsamples.
    max_samples : int, default=10_000
        Largest number of samples clustered on one dense matrix of all their
        distances: ``max_samples**2`` entries in X's dtype (800 MB in float64,
        400 MB in float32 at 10,000).  With more samples (and a metric other than
        'precomputed', whose matrix already exists), KMedoids runs CLARA:
        ``n_sampling_iter`` runs of ``method`` on random subsamples of
        ``max(max_samples // 2, 40 + 2 * n_clusters)`` samples (at most
        ``max_samples``), each including the best medoids so far, keeping the
        medoids with the lowest total distance over all samples (computed in
        chunks).  No matrix larger than ``max_samples x max_samples`` is built.
    n_sampling_iter : int, default=5
        Number of CLARA subsamples (used only beyond ``max_samples`` samples).
    n_threads : int, default=None
        Threads used by the kernels (None or -1: all of numba's threads).  The
        result does not depend on it.

    Attributes
    ----------
    medoid_indices_ : ndarray of shape (n_clusters,), int64
        Indices of the medoids in the training data.
    cluster_centers_ : ndarray of shape (n_clusters, n_features) or None
        The medoids, ``X[medoid_indices_]`` (dense); None with 'precomputed'.
    labels_ : ndarray of shape (n_samples,), int32
        Index of the nearest medoid of each training sample (the lowest on ties);
        equal to ``predict(X)``.
    inertia_ : float
        Sum of the distances of the samples to their nearest medoid (not
        squared), in float64.
    n_iter_ : int
        Passes ('fasterpam') or iterations ('alternate') of the kept run.
    n_features_in_ : int
        Number of features seen during fit (with 'precomputed': of training samples).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    kmlab.KMeans : Centroids instead of medoids, squared distances, faster.

    Notes
    -----
    Sample weights are not supported: ``fit`` takes none.  The dense path keeps
    the distance matrix in X's dtype: float32 data halves its memory, and
    losses and gains are added up in float64 either way.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab import KMedoids
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> kmedoids = KMedoids(n_clusters=2, random_state=0).fit(X)
    >>> kmedoids.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> kmedoids.medoid_indices_
    array([3, 0])
    >>> kmedoids.cluster_centers_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> float(kmedoids.inertia_)
    8.0
    >>> kmedoids.predict([[0, 0], [12, 3]])
    array([1, 0], dtype=int32)

    Any distance works, or a precomputed matrix of them:

    >>> from sklearn.metrics import pairwise_distances
    >>> D = pairwise_distances(X, metric="manhattan")
    >>> KMedoids(n_clusters=2, metric="precomputed", random_state=0).fit(D).medoid_indices_
    array([3, 0])
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(set(_VALID_METRICS) | {"precomputed"}), callable],
        "method": [StrOptions({"fasterpam", "alternate"})],
        "init": [StrOptions({"k-medoids++", "build", "random"}), "array-like"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "max_samples": [Interval(Integral, 1, None, closed="left")],
        "n_sampling_iter": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Integral, None],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        metric="euclidean",
        method="fasterpam",
        init="k-medoids++",
        max_iter=300,
        random_state=None,
        max_samples=MAX_SAMPLES,
        n_sampling_iter=5,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.metric = metric
        self.method = method
        self.init = init
        self.max_iter = max_iter
        self.random_state = random_state
        self.max_samples = max_samples
        self.n_sampling_iter = n_sampling_iter
        self.n_threads = n_threads

    def _precomputed(self):
        return isinstance(self.metric, str) and self.metric == "precomputed"

    def _validate_precomputed(self, X, *, reset):
        """A precomputed matrix, checked with messages about distances rather than features."""
        shape = getattr(X, "shape", None) or np.shape(X)
        if not reset and len(shape) == 2 and shape[1] != self.n_features_in_:
            raise ValueError(
                "metric='precomputed': predict and transform need the distances from the new samples to the "
                f"{self.n_features_in_} training samples, shape (n_new, {self.n_features_in_}); got {tuple(shape)}."
            )
        X = _convert(
            lambda data: validate_data(
                self, data, accept_sparse=False, dtype=FLOAT_DTYPES, order="C", ensure_all_finite=False, reset=reset
            ),
            X,
            "X",
        )
        with kernel_threads(resolve_n_threads(self.n_threads)):
            if reset:
                check_precomputed(X)
            else:
                check_distances(
                    X, "metric='precomputed'", "Pass distances from the new samples to the training samples."
                )
        return X

    def _check_init(self, n_samples):
        """The init array as distinct sample indices, or the init string."""
        if not _is_arraylike_not_scalar(self.init):
            return self.init
        init = np.asarray(self.init)
        if init.dtype.kind not in "iu":
            raise ValueError(
                f"init must be 'k-medoids++', 'build', 'random' or the indices of the initial medoids (integers); "
                f"got an array of dtype {init.dtype}."
            )
        if init.shape != (self.n_clusters,):
            raise ValueError(
                f"init holds the indices of the n_clusters={self.n_clusters} initial medoids: expected shape "
                f"({self.n_clusters},), got {init.shape}."
            )
        if init.min() < 0 or init.max() >= n_samples:
            raise ValueError(f"init indices must lie in [0, {n_samples}) (n_samples={n_samples}); got {init.tolist()}.")
        if np.unique(init).size != init.size:
            raise ValueError(f"init indices must be distinct; got {init.tolist()}.")
        return init.astype(np.int64)

    def fit(self, X, y=None):
        """Find the medoids.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), or (n_samples, n_samples)
            Training samples (float32 stays float32, other numbers become
            float64); with ``metric='precomputed'``, the dense matrix of their
            distances.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : KMedoids
            Fitted estimator.
        """
        self._validate_params()
        precomputed = self._precomputed()
        X = self._validate_precomputed(X, reset=True) if precomputed else validate_estimator_data(self, X)
        n_samples = X.shape[0]
        if n_samples < self.n_clusters:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}: "
                "ask for fewer clusters or pass more samples."
            )
        init = self._check_init(n_samples)
        random_state = check_random_state(self.random_state)
        use_clara = not precomputed and n_samples > self.max_samples
        if use_clara and self.max_samples < self.n_clusters:
            raise ValueError(
                f"max_samples={self.max_samples} must be >= n_clusters={self.n_clusters}: each CLARA subsample "
                "needs a sample per medoid."
            )
        with kernel_threads(resolve_n_threads(self.n_threads)):
            if use_clara:
                medoids, labels, distances, n_iter, converged = clara(
                    X, self.metric, self.n_clusters, self.method, init, self.max_iter, self.max_samples,
                    self.n_sampling_iter, random_state,
                )  # fmt: skip
            else:
                D = X if precomputed else dissimilarity_matrix(X, self.metric)
                medoids, labels, distances, n_iter, converged = solve(
                    D, self.n_clusters, self.method, init, self.max_iter, random_state
                )
                del D
        if not converged:
            warnings.warn(
                f"KMedoids ({self.method}) stopped after max_iter={self.max_iter} "
                f"{'passes' if self.method == 'fasterpam' else 'iterations'} without converging; "
                "raise max_iter for a local optimum.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.medoid_indices_ = medoids
        self.cluster_centers_ = None if precomputed else _rows(X, medoids)
        self.labels_ = labels
        self.inertia_ = float(distances.sum())
        self.n_iter_ = n_iter
        self._n_features_out = self.n_clusters
        return self

    def _check_test_data(self, X):
        check_is_fitted(self)
        if self._precomputed():
            return self._validate_precomputed(X, reset=False)
        return validate_estimator_data(self, X, reset=False)

    def predict(self, X):
        """Nearest medoid of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_new, n_features), or (n_new, n_train)
            New samples; with ``metric='precomputed'``, their distances to the
            training samples (only the medoids' columns are read).

        Returns
        -------
        labels : ndarray of shape (n_new,), int32
            Index of the nearest medoid (the lowest on ties).
        """
        X = self._check_test_data(X)
        if self._precomputed():
            return np.argmin(X[:, self.medoid_indices_], axis=1).astype(np.int32)
        with kernel_threads(resolve_n_threads(self.n_threads)):
            labels, _ = nearest_points(X, self.cluster_centers_.astype(X.dtype, copy=False), self.metric)
        return labels

    def transform(self, X):
        """Distances of each sample to every medoid.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_new, n_features), or (n_new, n_train)
            New samples; with ``metric='precomputed'``, their distances to the
            training samples.

        Returns
        -------
        X_new : ndarray of shape (n_new, n_clusters)
            Distances to the medoids, in the metric of the fit.
        """
        X = self._check_test_data(X)
        if self._precomputed():
            return X[:, self.medoid_indices_]
        with kernel_threads(resolve_n_threads(self.n_threads)):
            return distances_to(X, self.cluster_centers_.astype(X.dtype, copy=False), self.metric)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self._precomputed()
        tags.input_tags.sparse = not self._precomputed()
        return tags
