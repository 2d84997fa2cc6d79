"""Warm-up: compile, or load from numba's on-disk cache, every kernel up front.

A process pays for numba on its first fit: about 0.2 s to start numba's compiler
and load the cached machine code, and 10 s or more per dtype when the cache is
empty (after an install or an upgrade).  Calling :func:`warmup` once, from
``kmlab warmup`` after installing or when a long-lived program (a server, the
Studio) starts, moves that cost out of the first real fit.
"""

import time

import numpy as np
import scipy.sparse as sp

from . import KMeans, KMedoids, MiniBatchKMeans, kmeans_plusplus
from ._init import PARALLEL_SEEDING_MIN_WORK, greedy_kmeans_plusplus
from ._lloyd import GROUP_FILTER_MIN_GROUP_SIZE, PARALLEL_RUN_MIN_WORK
from .metrics import silhouette_samples, simplified_silhouette_samples
from .recipes import quantize

# Every dtype the kernels are specialised for (other inputs are converted to float64).
DTYPES = (np.float64, np.float32)

# Small enough to run in microseconds once compiled; the shapes do not matter to numba.
_N_SAMPLES, _N_FEATURES, _N_CLUSTERS = 64, 3, 3


def _options(parameter):
    """The strings KMeans accepts for ``parameter``, 'auto' aside: each may run kernels of its own.

    Read from the estimator's parameter constraints, so that a new option is
    warmed up without changing this module.
    """
    options = next(c for c in KMeans._parameter_constraints[parameter] if hasattr(c, "options")).options
    return sorted(options - {"auto"})


def _exercise(X):
    """Run every code path that reaches a kernel, on ``X``."""
    kmeans_plusplus(X, _N_CLUSTERS, random_state=0)
    if not sp.issparse(X):
        # enough trials for the parallel build of the k-means++ rounds, then the
        # general rounds (fits take them where numba's BLAS rounds otherwise than numpy's)
        kmeans_plusplus(X, _N_CLUSTERS, random_state=0, n_local_trials=PARALLEL_SEEDING_MIN_WORK // X.size + 1)
        weights = np.ones(X.shape[0], dtype=X.dtype)
        for n_local_trials in (1, 2):
            greedy_kmeans_plusplus(
                X, _N_CLUSTERS, weights, np.random.RandomState(0), n_local_trials=n_local_trials, kernel_rounds=False
            )
    for init in _options("init"):
        KMeans(_N_CLUSTERS, init=init, n_init=1, random_state=0).fit(X)
    for algorithm in _options("algorithm"):
        KMeans(_N_CLUSTERS, n_init=1, random_state=0, algorithm=algorithm).fit(X).score(X)
    if not sp.issparse(X):  # groups of several centres: Yinyang's group filter checks its kernel
        KMeans(GROUP_FILTER_MIN_GROUP_SIZE * 2, n_init=1, random_state=0, algorithm="yinyang").fit(X)
    if not sp.issparse(X):  # a Lloyd run with enough work for the parallel build of its kernel
        n_clusters = X.shape[0]
        copies = -(-PARALLEL_RUN_MIN_WORK // (X.size * n_clusters))
        KMeans(n_clusters, n_init=1, random_state=0, algorithm="lloyd", max_iter=2).fit(np.tile(X, (copies, 1)))
    # A centre far from every sample ends up empty: the relocation kernels run too.
    far = np.vstack([X[:2].toarray() if sp.issparse(X) else X[:2], np.full((1, X.shape[1]), 1e3)])
    KMeans(_N_CLUSTERS, init=far, n_init=1).fit(X)


def _exercise_kmedoids(X):
    """Every KMedoids method and init, k = 1, its own Euclidean kernels and the precomputed path."""
    for method in ("fasterpam", "alternate"):
        for init in ("k-medoids++", "build", "random"):
            KMedoids(_N_CLUSTERS, method=method, init=init, random_state=0).fit(X).predict(X)
    KMedoids(1).fit(X)  # a single medoid: the row with the smallest total distance
    distances = KMedoids(_N_CLUSTERS, random_state=0).fit(X).transform(X)
    square = np.abs(distances[:, :1] - distances[:, :1].T)
    KMedoids(_N_CLUSTERS, metric="precomputed", random_state=0).fit(square)


def _exercise_minibatch(X):
    """MiniBatchKMeans's fit and partial_fit (numba compiles read-only input, e.g. a memmap, apart)."""
    MiniBatchKMeans(_N_CLUSTERS, batch_size=16, n_init=1, random_state=0).fit(X).predict(X)
    MiniBatchKMeans(_N_CLUSTERS, random_state=0).partial_fit(X).partial_fit(X)
    if not sp.issparse(X):
        read_only = X.copy()
        read_only.setflags(write=False)
        MiniBatchKMeans(_N_CLUSTERS, batch_size=16, n_init=1, random_state=0).fit(read_only)


def _exercise_silhouettes(X):
    """Both silhouettes, and the exact one's path for many clusters (more than 256 labels)."""
    labels = np.arange(X.shape[0]) % _N_CLUSTERS
    silhouette_samples(X, labels)
    simplified_silhouette_samples(X, labels)
    many = (sp.vstack if sp.issparse(X) else np.vstack)([X] * 5)[:300]
    silhouette_samples(many, np.arange(300) % 257)


def warmup():
    """Compile or load every kernel signature, for float32 and float64, dense and sparse.

    Fits tiny data through the public API, for each dtype and storage with
    every ``init`` and every ``algorithm`` KMeans accepts, and once with an
    empty cluster to relocate; MiniBatchKMeans's fit and partial_fit; every
    KMedoids method and init; both silhouettes;
    and quantizes a tiny image.  numba compiles what its cache lacks and stores it there, so
    that later processes only load it.

    Returns
    -------
    seconds : float
        Wall-clock time taken.

    Examples
    --------
    >>> from kmlab._warmup import warmup
    >>> seconds = warmup()
    """
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    data = rng.standard_normal((_N_SAMPLES, _N_FEATURES))
    data[rng.uniform(size=data.shape) < 0.3] = 0.0  # some zeros, so the CSR copy is really sparse
    for dtype in DTYPES:
        dense = data.astype(dtype)
        _exercise(dense)
        _exercise(sp.csr_matrix(dense))
        _exercise_kmedoids(dense)
        _exercise_minibatch(dense)
        _exercise_minibatch(sp.csr_matrix(dense))
        _exercise_silhouettes(dense)
        _exercise_silhouettes(sp.csr_matrix(dense))
    image = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    quantize(image, _N_CLUSTERS)
    quantize(image, _N_CLUSTERS, dither=True)
    return time.perf_counter() - start
