"""MiniBatchKMeans: scikit-learn's mini-batch K-Means, with its random draws, on numba kernels.

The algorithm, the draws and the stopping rules are scikit-learn 1.9's, in the
same order, so that the same ``random_state`` gives the same fit:

- ``fit``: a validation set of ``init_size`` samples (``randint``); ``n_init``
  seedings, each on its own ``init_size`` subsample (``randint``), the one with
  the lowest inertia on the validation set wins; then up to ``max_iter *
  n_samples // batch_size`` steps, each on a batch drawn with replacement with
  probability proportional to the sample weights (``random_state.choice(n,
  batch_size, p=w / w.sum())``, reproduced as its ``random_sample`` draws
  searched in the cumulative weights, computed once instead of at every step),
  with unit weights in the step since the draw already used them;
- a step (:mod:`kmlab._kernels.minibatch`): label the batch, move each centre
  to the running mean of everything it was given (``counts``), then, every
  ``10 * n_clusters`` samples or whenever a centre has never been given
  anything, move the centres whose count is below ``reassignment_ratio`` times
  the largest to random samples of the batch;
- early stopping on an exponentially weighted average (EWA) of the batch
  inertia that has not improved for ``max_no_improvement`` steps, or on a small
  centre change when ``tol > 0``;
- ``partial_fit``: one step on the given chunk with its weights, seeded on the
  first call from the chunk.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _is_arraylike_not_scalar, check_array

from ._history import HISTORY_MAX_LABELS, FitRecorder
from ._init import greedy_kmeans_plusplus, row_sqnorms64
from ._kernels.minibatch import cdf_guide, minibatch_step_dense, minibatch_step_sparse, search_cdf
from ._kmeans import KMeans
from ._lloyd import block_starts, center_sqnorms, labels_inertia, scaled_tolerance
from ._threads import MIN_WORK_PER_THREAD, kernel_threads, resolve_n_threads, threads_for
from ._validation import check_weights, validate_estimator_data
from .io import ModelFileMixin

# A step runs on several threads only when each gets this many multiply-adds:
# a default step (1024 samples) takes a millisecond or less, and on a busy
# machine waiting for a descheduled thread at each of its two barriers costs
# more than the step itself (measured: ten times slower on 2 loaded cores).
STEP_WORK_PER_THREAD = 16_000_000


class _BatchStep:
    """Scratch buffers for the mini-batch steps on one dataset, and the call to the kernel.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        The data the batches are drawn from (valid, C-ordered).
    n_clusters : int
        Number of centres.
    batch_size : int
        Samples per batch (the length of every ``batch`` passed).
    """

    def __init__(self, X, n_clusters, batch_size):
        self.sparse = sp.issparse(X)
        self.block_starts = block_starts(batch_size)
        self.labels = np.empty(batch_size, dtype=np.int32)
        self.cluster_weight = np.empty(n_clusters, dtype=X.dtype)
        self.sample_inertia = np.empty(batch_size, dtype=X.dtype)
        self.batch_inertia = np.empty(1, dtype=X.dtype)
        row_size = X.nnz / max(1, X.shape[0]) if self.sparse else X.shape[1]
        work = int(batch_size * n_clusters * max(1.0, row_size))
        # In the units of threads_for, which gives a thread per MIN_WORK_PER_THREAD.
        self.work = work * MIN_WORK_PER_THREAD // STEP_WORK_PER_THREAD

    def __call__(self, X, batch, batch_weight, centers, centers_new=None, counts=None):
        """One step on the rows ``batch`` of X; updates ``counts`` and fills ``centers_new``.

        ``centers_new`` may be ``centers`` itself; without it and ``counts``,
        only ``self.labels`` and the inertia are computed.  Returns the batch
        inertia (weighted squared distances to ``centers``) as scikit-learn
        computes it on one thread: in X's dtype, in batch order.
        """
        update = centers_new is not None
        if not update:  # the kernel does not touch them
            centers_new, counts = centers, self.cluster_weight
        sqnorms = center_sqnorms(centers)
        threads_for(self.work)
        if self.sparse:
            minibatch_step_sparse(
                X.data, X.indices, X.indptr, batch, batch_weight, centers, sqnorms, self.block_starts, update,
                counts, self.labels, self.cluster_weight, self.sample_inertia, self.batch_inertia, centers_new,
            )  # fmt: skip
        else:
            minibatch_step_dense(
                X, batch, batch_weight, centers, sqnorms, self.block_starts, update,
                counts, self.labels, self.cluster_weight, self.sample_inertia, self.batch_inertia, centers_new,
            )  # fmt: skip
        return float(self.batch_inertia[0])


class MiniBatchKMeans(ModelFileMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """Mini-batch K-Means: scikit-learn's estimator and answers on numba kernels.

    A drop-in replacement for :class:`sklearn.cluster.MiniBatchKMeans`: the same
    parameters, defaults, attributes, warnings and random draws, and the same
    arithmetic in every step, so that with the same ``random_state`` kmlab gives
    scikit-learn's centres, counts, ``n_steps_`` and labels, in float64 and in
    float32.  The exceptions come from rounding: the batch inertias that decide
    the early stop are scikit-learn's values on one thread (with several it adds
    them in another order, so in a rare near-tie of the smoothed inertia it
    stops a step apart); the final ``inertia_`` is summed in float64; and, as
    in :class:`kmlab.KMeans`, a sample within rounding of two centres can go
    either way.  Results never depend on ``n_threads``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        'k-means++': greedy k-means++ (scikit-learn's draws and centres) on a
        random subsample of ``init_size`` samples; 'random': ``n_clusters``
        distinct samples of that subsample, drawn with probability
        proportional to their weights; an array: the initial centres; a
        callable ``init(X_subsample, n_clusters, random_state)`` returning them.
    max_iter : int, default=100
        Maximum number of passes over the data (``max_iter * n_samples //
        batch_size`` steps) when no early stopping rule fires.
    batch_size : int, default=1024
        Samples per mini-batch.
    verbose : int, default=0
        Print the inertia of every step and why the fit stopped.
    compute_labels : bool, default=True
        Compute ``labels_`` and the exact ``inertia_`` on the whole data once the
        steps are done (in ``partial_fit``: on the chunk).
    random_state : int, RandomState instance or None, default=None
        Random number generation for the seeding, the batches and the
        reassignments.
    tol : float, default=0.0
        Stop when the squared change of the centres in one step is at most
        ``tol`` times the mean variance of the features; 0 disables it.
    max_no_improvement : int or None, default=10
        Stop after this many consecutive steps without improvement of the
        smoothed (EWA) batch inertia; None disables it.
    init_size : int, default=None
        Samples of the random subsample the seeding runs on, and of the
        validation set that compares the ``n_init`` seedings.  None: ``3 *
        batch_size``, or ``3 * n_clusters`` when that is smaller than
        ``n_clusters``.
    n_init : 'auto' or int, default='auto'
        Number of seedings tried (the mini-batch steps run once, from the best).
        'auto': 1 for 'k-means++' or an array, 3 for 'random' or a callable.
    reassignment_ratio : float, default=0.01
        Centres given less than this fraction of the most given weight are moved
        to random samples of a batch.  Higher values help small clusters but can
        slow down convergence.
    n_threads : int, default=None
        Threads used by the kernels (None or -1: all of numba's threads).  The
        result does not depend on it.
    record_history : bool, default=False
        Keep every step of ``fit`` in ``history_`` (to animate or teach the
        algorithm): one step per mini-batch.  Costs a copy of the centres per
        step; the result is unchanged.
    callback : callable, default=None
        ``callback(step)`` is called during ``fit`` after each step with a
        dictionary like those of ``history_``.
    progress : bool, default=False
        Show a progress bar (tqdm, on standard error) during ``fit`` with the
        current step and estimated inertia.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centres.
    labels_ : ndarray of shape (n_samples,), int32
        Label of each training sample (with ``compute_labels``; after
        ``partial_fit``, of the last chunk).
    inertia_ : float
        With ``compute_labels``: the weighted sum of squared distances of the
        samples to their closest centre.  Without: an estimate, the EWA of the
        batch inertia per unit of weight times the total weight.
    n_iter_ : int
        Number of passes over the data (started) by ``fit``.
    n_steps_ : int
        Number of mini-batches processed.
    history_ : list of dict
        Only with ``record_history=True``, after ``fit``: ``{"phase": "init",
        "iteration": 0, "centers": ...}`` (the chosen seeding), then for each
        mini-batch ``i = 1, 2, ...`` an ``"update"`` step with the new
        ``centers``, ``"labels": None``, ``"inertia"`` the running estimate of
        the whole data's inertia (as ``inertia_`` without ``compute_labels``;
        the first batch's own at step 1) and ``"batch_inertia"`` (the batch's
        weighted squared distances to the centres it was assigned to).  With
        ``compute_labels`` a last ``"assign"`` step holds ``labels_`` (None when
        ``n_samples > HISTORY_MAX_LABELS``) and ``inertia_``.  Every step also
        has ``"run": 0``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    kmlab.KMeans : Lloyd's algorithm on the whole data at every iteration.

    Notes
    -----
    ``partial_fit`` keeps only the centres, their counts and the random state
    between calls: streaming a large file chunk by chunk needs memory for one
    chunk plus O(n_clusters * n_features).

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [4, 2], [4, 0], [4, 4],
    ...               [4, 5], [0, 1], [2, 2],
    ...               [3, 2], [5, 5], [1, -1]])
    >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6)
    >>> kmeans = kmeans.partial_fit(X[0:6, :])
    >>> kmeans = kmeans.partial_fit(X[6:12, :])
    >>> kmeans.cluster_centers_
    array([[3.375, 3.   ],
           [0.75 , 0.5  ]])
    >>> kmeans.predict([[0, 0], [4, 4]])
    array([1, 0], dtype=int32)
    >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6, max_iter=10).fit(X)
    >>> kmeans.cluster_centers_
    array([[3.20967742, 3.56451613],
           [1.32758621, 0.77586207]])
    >>> int(kmeans.n_steps_), int(kmeans.n_iter_)
    (20, 10)
    """

    # Labels are recorded in ``history_`` up to this many samples.
    HISTORY_MAX_LABELS = HISTORY_MAX_LABELS

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(Integral, 0, None, closed="left"), None],
        "init_size": [Interval(Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(Real, 0, None, closed="left")],
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
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
        n_threads=None,
        record_history=False,
        callback=None,
        progress=False,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.n_threads = n_threads
        self.record_history = record_history
        self.callback = callback
        self.progress = progress

    # Prediction, distances and scores are KMeans's: the same functions, not copies.
    predict = KMeans.predict
    transform = KMeans.transform
    fit_transform = KMeans.fit_transform
    fit_predict = KMeans.fit_predict
    score = KMeans.score
    _check_test_data = KMeans._check_test_data
    _labels_inertia = KMeans._labels_inertia
    _validate_center_shape = KMeans._validate_center_shape

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_params_vs_input(self, X):
        if X.shape[0] < self.n_clusters:
            raise ValueError(
                f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}: "
                "ask for fewer clusters or pass more samples."
            )
        self._tol = scaled_tolerance(X, self.tol)
        init_is_array = _is_arraylike_not_scalar(self.init)
        if self.n_init != "auto":
            self._n_init = self.n_init
        elif init_is_array or (isinstance(self.init, str) and self.init == "k-means++"):
            self._n_init = 1
        else:
            self._n_init = 3
        if init_is_array and self._n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{self.__class__.__name__} instead of n_init={self._n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._n_init = 1

        self._batch_size = min(self.batch_size, X.shape[0])
        self._init_size = self.init_size
        if self._init_size is None:
            self._init_size = 3 * self._batch_size
            if self._init_size < self.n_clusters:
                self._init_size = 3 * self.n_clusters
        elif self._init_size < self.n_clusters:
            warnings.warn(
                f"init_size={self._init_size} should be larger than n_clusters={self.n_clusters}. "
                "Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            self._init_size = 3 * self.n_clusters
        self._init_size = min(self._init_size, X.shape[0])

    def _checked_init(self, X):
        """``init``, with an array checked and converted to X's dtype."""
        if not _is_arraylike_not_scalar(self.init):
            return self.init
        init = check_array(self.init, dtype=X.dtype, copy=True, order="C", input_name="init")
        self._validate_center_shape(X, init)
        return init

    def _init_centroids(self, X, init, random_state, sample_weight):
        """Initial centres from a random subsample of ``init_size`` samples (scikit-learn's draws)."""
        n_samples = X.shape[0]
        if self._init_size < n_samples:
            init_indices = random_state.randint(0, n_samples, self._init_size)
            X = X[init_indices]
            sample_weight = sample_weight[init_indices]
            n_samples = X.shape[0]
        if isinstance(init, str) and init == "k-means++":
            centers, _ = greedy_kmeans_plusplus(X, self.n_clusters, sample_weight, random_state, row_sqnorms64(X))
        elif isinstance(init, str) and init == "random":
            seeds = random_state.choice(
                n_samples, size=self.n_clusters, replace=False, p=sample_weight / sample_weight.sum()
            )
            centers = X[seeds]
        elif callable(init):
            centers = init(X, self.n_clusters, random_state=random_state)
            centers = check_array(centers, dtype=X.dtype, copy=False, order="C", input_name="init")
            self._validate_center_shape(X, centers)
        else:
            centers = init
        if sp.issparse(centers):
            centers = centers.toarray()
        return np.array(centers, dtype=X.dtype, order="C")

    def _random_reassign(self):
        """Whether this step ends with a reassignment: every ``10 * n_clusters``
        samples, and whenever a centre has never been given any weight."""
        self._n_since_last_reassign += self._batch_size
        if (self._counts == 0).any() or self._n_since_last_reassign >= 10 * self.n_clusters:
            self._n_since_last_reassign = 0
            return True
        return False

    def _reassign(self, X, batch, centers, random_state):
        """Move the centres given too little weight to random samples of the batch.

        ``batch``: the rows of X in the batch.  scikit-learn's rule and draws:
        at most half a batch of centres, chosen among the batch without
        replacement; their counts are raised to the smallest count kept.
        """
        counts = self._counts
        n_batch = batch.shape[0]
        to_reassign = counts < self.reassignment_ratio * counts.max()
        if to_reassign.sum() > 0.5 * n_batch:
            indices_dont_reassign = np.argsort(counts)[int(0.5 * n_batch) :]
            to_reassign[indices_dont_reassign] = False
        n_reassigns = to_reassign.sum()
        if n_reassigns:
            new_centers = random_state.choice(n_batch, replace=False, size=n_reassigns)
            if self.verbose:
                print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")
            rows = X[batch[new_centers]]
            centers[to_reassign] = rows.toarray() if sp.issparse(rows) else rows
        # Not too small, to avoid instant reassignment (this also slows the
        # learning rate).  With reassignment_ratio > 1 every centre can qualify:
        # scikit-learn then fails on an empty minimum; kmlab keeps the counts.
        if not to_reassign.all():
            counts[to_reassign] = np.min(counts[~to_reassign])

    def _mini_batch_convergence(self, step, n_steps, n_samples, centers_squared_diff, batch_inertia):
        """scikit-learn's early stopping rules; ``batch_inertia`` is per unit of batch size."""
        step = step + 1
        # The first step's inertia is that of the seeding.
        if step == 1:
            if self.verbose:
                print(f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}")
            return False
        if self._ewa_inertia is None:
            self._ewa_inertia = batch_inertia
        else:
            alpha = min(self._batch_size * 2.0 / (n_samples + 1), 1)
            self._ewa_inertia = self._ewa_inertia * (1 - alpha) + batch_inertia * alpha
        if self.verbose:
            print(
                f"Minibatch step {step}/{n_steps}: mean batch inertia: "
                f"{batch_inertia}, ewa inertia: {self._ewa_inertia}"
            )
        if self._tol > 0.0 and centers_squared_diff <= self._tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step}/{n_steps}")
            return True
        if self._ewa_inertia_min is None or self._ewa_inertia < self._ewa_inertia_min:
            self._no_improvement = 0
            self._ewa_inertia_min = self._ewa_inertia
        else:
            self._no_improvement += 1
        if self.max_no_improvement is not None and self._no_improvement >= self.max_no_improvement:
            if self.verbose:
                print(f"Converged (lack of improvement in inertia) at step {step}/{n_steps}")
            return True
        return False

    def _best_seeding(self, X, init, random_state, sample_weight):
        """The ``n_init`` seedings compared on a validation set; the best one."""
        validation_indices = random_state.randint(0, X.shape[0], self._init_size).astype(np.int64, copy=False)
        sample_weight_valid = sample_weight[validation_indices]
        # scikit-learn's inertia of the validation set, without gathering it.
        validation = _BatchStep(X, self.n_clusters, self._init_size)
        best_centers, best_inertia = None, None
        for init_idx in range(self._n_init):
            if self.verbose:
                print(f"Init {init_idx + 1}/{self._n_init} with method {init}")
            centers = self._init_centroids(X, init, random_state, sample_weight)
            inertia = validation(X, validation_indices, sample_weight_valid, centers)
            if self.verbose:
                print(f"Inertia for init {init_idx + 1}/{self._n_init}: {inertia}")
            if best_inertia is None or inertia < best_inertia:
                best_centers, best_inertia = centers, inertia
        return best_centers

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centres on X by mini-batches.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples.  float32 data stays float32; other numbers become
            float64.  Sparse input is used as CSR, never densified.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples (not all zero).  They weigh the
            seeding and the draw of the batches (the steps then give every
            drawn sample a unit weight, as scikit-learn does), and count in
            ``inertia_``.

        Returns
        -------
        self : MiniBatchKMeans
            Fitted estimator.
        """
        self._validate_params()
        X = validate_estimator_data(self, X)
        self._check_params_vs_input(X)
        random_state = check_random_state(self.random_state)
        sample_weight = check_weights(sample_weight, X)
        self._n_threads = resolve_n_threads(self.n_threads)
        init = self._checked_init(X)
        n_samples = X.shape[0]
        recorder = FitRecorder(
            n_samples, None, record=self.record_history, callback=self.callback, progress=self.progress,
            n_runs=1, description=f"MiniBatchKMeans(n_clusters={self.n_clusters})",
        )  # fmt: skip

        with kernel_threads(self._n_threads):
            centers = self._best_seeding(X, init, random_state, sample_weight)
            centers_new = np.empty_like(centers)
            self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
            self._ewa_inertia = None
            self._ewa_inertia_min = None
            self._no_improvement = 0
            self._n_since_last_reassign = 0

            sum_of_weights = np.sum(sample_weight)
            n_steps = (self.max_iter * n_samples) // self._batch_size
            # random_state.choice(n, size, p=p) draws random_sample(size) and searches
            # them in p's normalised cumulative sum (in float64): the same draws, with
            # the cumulative sum computed once instead of at every step.
            cdf = (sample_weight / sum_of_weights).astype(np.float64).cumsum()
            cdf /= cdf[-1]
            guide = np.empty(n_samples, dtype=np.int64)
            cdf_guide(cdf, guide)
            batch = np.empty(self._batch_size, dtype=np.int64)
            unit_sample_weight = np.ones(self._batch_size, dtype=X.dtype)
            step = _BatchStep(X, self.n_clusters, self._batch_size)
            recorder.start_run(0)
            if recorder.active:
                recorder("init", 0, centers, None, None, {})

            for i in range(n_steps):
                search_cdf(cdf, guide, random_state.random_sample(self._batch_size), batch)
                random_reassign = self._random_reassign()
                batch_inertia = step(X, batch, unit_sample_weight, centers, centers_new, self._counts)
                if random_reassign and self.reassignment_ratio > 0:
                    self._reassign(X, batch, centers_new, random_state)
                centers_squared_diff = np.sum((centers_new - centers) ** 2) if self._tol > 0.0 else 0
                centers, centers_new = centers_new, centers
                mean_inertia = batch_inertia / self._batch_size
                converged = self._mini_batch_convergence(
                    i, n_steps, n_samples, centers_squared_diff, mean_inertia
                )
                if recorder.active:
                    estimate = self._ewa_inertia if self._ewa_inertia is not None else mean_inertia
                    recorder(
                        "update", i + 1, centers, None, float(estimate * sum_of_weights),
                        {"batch_inertia": batch_inertia},
                    )  # fmt: skip
                if converged:
                    break

            self.cluster_centers_ = centers
            self._n_features_out = self.n_clusters
            self.n_steps_ = i + 1
            self.n_iter_ = int(np.ceil(((i + 1) * self._batch_size) / n_samples))
            if self.compute_labels:
                self.labels_, self.inertia_ = labels_inertia(X, sample_weight, centers)
                if recorder.active:
                    recorder("assign", self.n_steps_, centers, self.labels_, self.inertia_, {})
            else:
                # scikit-learn fails here after a single step (no EWA yet): use that step's.
                ewa = self._ewa_inertia if self._ewa_inertia is not None else mean_inertia
                self.inertia_ = float(ewa * sum_of_weights)
        steps = recorder.end_run()
        recorder.close()
        if self.record_history:
            self.history_ = steps
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centres with one mini-batch: the chunk ``X``.

        The first call seeds the centres from ``X`` (on ``init_size`` of its
        samples); every call then moves each centre towards the samples of
        ``X`` closest to it, by their weight over the centre's total weight so
        far.  Only the centres, their weights and the random state are kept
        between calls, so a dataset too large for memory can be streamed chunk
        by chunk.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chunk.  The first chunk needs at least ``n_clusters`` samples.
            Later chunks are converted to the dtype of the first.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the chunk's samples (not all zero).

        Returns
        -------
        self : MiniBatchKMeans
            Updated estimator.
        """
        has_centers = hasattr(self, "cluster_centers_")
        if not has_centers:
            self._validate_params()
        X = validate_estimator_data(self, X, reset=not has_centers)
        if has_centers:
            X = X.astype(self.cluster_centers_.dtype, copy=False)
        if not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        sample_weight = check_weights(sample_weight, X)
        self.n_steps_ = getattr(self, "n_steps_", 0)
        self._n_threads = resolve_n_threads(self.n_threads)

        with kernel_threads(self._n_threads):
            if not has_centers:
                self._check_params_vs_input(X)
                init = self._checked_init(X)
                self.cluster_centers_ = self._init_centroids(X, init, self._random_state, sample_weight)
                self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
                self._n_since_last_reassign = 0

            centers = self.cluster_centers_
            batch = np.arange(X.shape[0], dtype=np.int64)
            random_reassign = self._random_reassign()
            _BatchStep(X, self.n_clusters, X.shape[0])(X, batch, sample_weight, centers, centers, self._counts)
            if random_reassign and self.reassignment_ratio > 0:
                self._reassign(X, batch, centers, self._random_state)
            if self.compute_labels:
                self.labels_, self.inertia_ = labels_inertia(X, sample_weight, centers)

        self.n_steps_ += 1
        self._n_features_out = self.n_clusters
        return self
