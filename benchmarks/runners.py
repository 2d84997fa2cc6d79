"""One timed fit of each implementation, behind one signature.

Every runner's ``fit(X, params, threads)`` builds the estimator, fits it on ``X``
with the :class:`~benchmarks.cases.Params` and returns a :class:`Fit`.  Only the
call that does the clustering (``estimator.fit`` or ``faiss.Kmeans.train``) is
timed.  ``threads`` is the number of threads every library may use (BLAS, OpenMP,
numba, oneDAL); None leaves the thread settings as they are.
"""

import gc
import importlib
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numba
import numpy as np
from sklearn.cluster import KMeans as SklearnKMeans
from threadpoolctl import threadpool_limits

from kmlab import KMeans as KmlabKMeans


@dataclass
class Fit:
    """The outcome of one fit.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
        Final centres.
    labels : ndarray of shape (n_samples,) or None
        Training labels (None for FAISS, which does not return them).
    n_iter : int
        Iterations of the kept run (FAISS: ``niter``).
    inertia : float or None
        The inertia the implementation reports (None for FAISS); the tables use
        :func:`benchmarks.scoring.inertia` instead, the same for everyone.
    seconds : float
        Wall-clock time of the clustering call.
    accelerated : bool or None
        scikit-learn-intelex only: whether oneDAL ran (False: it fell back to
        scikit-learn).  None for the others.
    """

    centers: np.ndarray
    labels: np.ndarray | None
    n_iter: int
    inertia: float | None
    seconds: float
    accelerated: bool | None = None


@dataclass(frozen=True)
class Runner:
    """An implementation under test.

    Attributes
    ----------
    name : str
        Key in the JSON results.
    label : str
        Name in the printed tables.
    fit : callable
        ``fit(X, params, threads) -> Fit``.
    fixed_iterations : bool
        Whether it runs exactly ``params.max_iter`` iterations (no convergence
        test); the suite then passes kmlab's ``n_iter_`` as ``max_iter``.
    dense_only : bool
        Whether it takes dense arrays only (the suite skips it on sparse cases).
    """

    name: str
    label: str
    fit: Callable
    fixed_iterations: bool = False
    dense_only: bool = False


def _timed(function, *args):
    """Seconds taken by ``function(*args)``, after a garbage collection."""
    gc.collect()
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def _thread_limits(threads):
    return nullcontext() if threads is None else threadpool_limits(limits=threads)


def fit_estimator(estimator, X, threads):
    """Fit a scikit-learn style ``estimator`` on ``X`` under the thread limits; the :class:`Fit`."""
    with _thread_limits(threads):
        seconds = _timed(estimator.fit, X)
    return Fit(
        centers=np.asarray(estimator.cluster_centers_),
        labels=np.asarray(estimator.labels_),
        n_iter=int(estimator.n_iter_),
        inertia=float(estimator.inertia_),
        seconds=seconds,
    )


def fit_kmlab(X, params, threads):
    """Fit :class:`kmlab.KMeans`; ``threads`` goes to ``n_threads``."""
    return fit_estimator(KmlabKMeans(**params.sklearn_kwargs(), n_threads=threads), X, threads)


def fit_sklearn(X, params, threads):
    """Fit :class:`sklearn.cluster.KMeans` under threadpoolctl's limits."""
    return fit_estimator(SklearnKMeans(**params.sklearn_kwargs()), X, threads)


class _Messages(logging.Handler):
    """Collects the messages of a logger."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def _sklearnex_messages():
    """Capture scikit-learn-intelex's INFO log: it says which path ran."""
    logger = logging.getLogger("sklearnex")
    handler = _Messages()
    saved = logger.handlers, logger.level, logger.propagate
    # sklearnex installs its own stderr handler: replace it while capturing.
    logger.handlers, logger.level, logger.propagate = [handler], logging.INFO, False
    try:
        yield handler.messages
    finally:
        logger.handlers, logger.level, logger.propagate = saved


def fit_sklearnex(X, params, threads):
    """Fit ``sklearnex.cluster.KMeans``; ``threads`` goes to ``n_jobs``."""
    from sklearnex.cluster import KMeans

    with _sklearnex_messages() as messages:
        fit = fit_estimator(KMeans(**params.sklearn_kwargs(), n_jobs=threads), X, threads)
    if messages:
        fit.accelerated = not any("fallback" in message for message in messages)
    return fit


def fit_faiss(X, params, threads):
    """Train ``faiss.Kmeans`` for exactly ``params.max_iter`` iterations.

    FAISS's own initialisation (random samples) and no subsampling
    (``max_points_per_centroid=10**9``); ``n_init`` becomes ``nredo``.  FAISS
    works in float32: float64 data is converted before the clock starts.
    """
    import faiss

    data = np.ascontiguousarray(X, dtype=np.float32)
    kmeans = faiss.Kmeans(
        data.shape[1],
        params.n_clusters,
        niter=params.max_iter,
        nredo=params.n_init,
        seed=params.seed,
        max_points_per_centroid=10**9,
    )
    previous = faiss.omp_get_max_threads()
    if threads is not None:
        faiss.omp_set_num_threads(threads)
    try:
        with _thread_limits(threads):
            seconds = _timed(kmeans.train, data)
    finally:
        faiss.omp_set_num_threads(previous)
    return Fit(centers=kmeans.centroids.copy(), labels=None, n_iter=params.max_iter, inertia=None, seconds=seconds)


KMLAB = Runner("kmlab", "kmlab", fit_kmlab)
SKLEARN = Runner("sklearn", "scikit-learn", fit_sklearn)
# Optional peers: (runner, module to import, distribution to install).
_OPTIONAL = (
    (Runner("sklearnex", "scikit-learn-intelex", fit_sklearnex), "sklearnex.cluster", "scikit-learn-intelex"),
    (Runner("faiss", "FAISS", fit_faiss, fixed_iterations=True, dense_only=True), "faiss", "faiss-cpu"),
)
# Every runner's name in the tables, by its key in the results (installed or not).
LABELS = {runner.name: runner.label for runner in (KMLAB, SKLEARN, *(runner for runner, _, _ in _OPTIONAL))}


@numba.njit(parallel=True)
def _parallel_noop(out):
    for i in numba.prange(out.shape[0]):
        out[i] = i


def available_runners():
    """The runners whose libraries import, kmlab first.

    numba chooses its threading layer once per process, at the first parallel
    call, and prefers TBB when it can load ``libtbb``.  scikit-learn-intelex
    loads ``libtbb``, so importing it first would run kmlab on another layer
    than in a process without it; a parallel no-op fixes the layer before the
    peers are imported.

    Returns
    -------
    runners : list of Runner
        kmlab, scikit-learn, then the optional peers that are installed.
    notes : list of str
        One line for each peer skipped, with the reason and the install command.
    """
    _parallel_noop(np.empty(2))
    runners, notes = [KMLAB, SKLEARN], []
    for runner, module, distribution in _OPTIONAL:
        try:
            importlib.import_module(module)
        except (ImportError, OSError) as exc:
            notes.append(f"{runner.label} skipped ({exc}); pip install {distribution} to include it.")
        else:
            runners.append(runner)
    return runners, notes
