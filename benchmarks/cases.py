"""The benchmark cases: datasets, numbers of clusters and run parameters."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.datasets import load_digits, load_sample_image, make_blobs


@dataclass(frozen=True)
class Params:
    """Parameters of one K-Means fit, shared by every implementation.

    Attributes
    ----------
    n_clusters : int
        Number of clusters.
    n_init : int
        Number of runs from different seeds (FAISS: ``nredo``).
    max_iter : int
        Most Lloyd iterations of a run (FAISS: the exact ``niter``).
    seed : int
        ``random_state`` (FAISS: ``seed``).
    """

    n_clusters: int
    n_init: int
    max_iter: int
    seed: int

    def sklearn_kwargs(self):
        """Keyword arguments of ``sklearn.cluster.KMeans`` and its drop-in replacements."""
        return dict(
            n_clusters=self.n_clusters,
            init="k-means++",
            n_init=self.n_init,
            max_iter=self.max_iter,
            random_state=self.seed,
        )


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    Attributes
    ----------
    name : str
        Short identifier, used on the command line and in the tables.
    description : str
        How the data is made, in words.
    load : callable
        ``load() -> ndarray or CSR matrix`` of shape (n_samples, n_features).
    n_clusters : int
        Number of clusters.
    n_init : int
        Number of runs of each fit.
    max_iter : int
        Iteration cap of each run.
    max_repeats : int or None
        Cap on the timed repeats (slow cases); None: as many as asked, and more
        within the rounds' time budget (:data:`benchmarks.measure.ROUNDS_BUDGET_S`).
    max_seeds : int or None
        Cap on the seeds of the equivalence check (slow cases); None: all.
    untimed_first : bool
        Whether each timed fit (of a case timed more than once) follows an
        untimed fit of the same implementation
        (:func:`benchmarks.environment.after_own_call`).  Fits of milliseconds
        need it; fits of seconds only rest before each (``False``), as the
        untimed fit would double a slow case's time for nothing they need.
    """

    name: str
    description: str
    load: Callable[[], np.ndarray]
    n_clusters: int
    n_init: int = 1
    max_iter: int = 300
    max_repeats: int | None = None
    max_seeds: int | None = None
    untimed_first: bool = True

    def params(self, seed):
        """The :class:`Params` of this case for ``seed``."""
        return Params(self.n_clusters, self.n_init, self.max_iter, seed)


def _tutorial():
    return make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)[0]


def _digits():
    return load_digits().data


def _blobs():
    return make_blobs(100_000, n_features=16, centers=32, random_state=0)[0].astype(np.float32)


@lru_cache(maxsize=1)
def _china():
    pixels = load_sample_image("china.jpg").reshape(-1, 3)
    return (pixels / 255).astype(np.float32)


def _documents():
    return Documents(20_000, 20_000, 20).load()[0]


def _gaussian(n_samples):
    # Drawn directly in float32: the same numbers for the full and reduced cases.
    return np.random.default_rng(0).standard_normal((n_samples, 64), dtype=np.float32)


TUTORIAL = Case("tutorial", "make_blobs(300, centers=4, cluster_std=0.6)", _tutorial, 4, n_init=10)


def suite(quick=False):
    """The list of cases, in running order.

    Parameters
    ----------
    quick : bool, default=False
        Replace the slow ``gaussian`` case by ``gaussian-reduced`` and time the
        slowest cases once, so that the suite runs in a few minutes.

    Returns
    -------
    cases : list of Case
    """
    cases = [
        TUTORIAL,
        Case("digits", "load_digits().data", _digits, 10),
        Case("blobs", "make_blobs(100_000, n_features=16, centers=32), float32", _blobs, 32),
        Case("china16", "china.jpg pixels / 255, float32", _china, 16),
        Case("china256", "china.jpg pixels / 255, float32", _china, 256, max_repeats=1 if quick else None),
        Case("documents", "TF-IDF of 20_000 synthetic documents on 20 topics, 20_000 terms, CSR", _documents, 20),
    ]
    if quick:
        cases.append(
            Case(
                "gaussian-reduced",
                "REDUCED for --quick: standard normal 50_000 x 64, float32, max_iter=20",
                lambda: _gaussian(50_000),
                250,
                max_iter=20,
                max_repeats=1,
            )
        )
    else:
        cases.append(
            Case(
                "gaussian",
                "standard normal 200_000 x 64, float32",
                lambda: _gaussian(200_000),
                1000,
                # One fit each took 48.8 s for scikit-learn in one run and 70.1 s in
                # another half an hour before (kmlab 12.7 and 11.0 s): a ratio from a
                # single fit each is +-30% on a shared machine; the median of three
                # interleaved rounds is steadier, at about 2 min a round.
                max_repeats=3,
                max_seeds=1,
                untimed_first=False,
            )
        )
    return cases


@dataclass(frozen=True)
class Blobs:
    """``make_blobs(n_samples, n_features=n_features, centers=n_clusters, random_state=0)``, for the side benchmarks.

    Attributes
    ----------
    n_samples, n_features, n_clusters : int
        The blobs: ``n_samples`` points in ``n_features`` dimensions around ``n_clusters`` centres.
    dtype : str or None, default=None
        The points' dtype; None: make_blobs' float64, and no dtype in the key.
    """

    n_samples: int
    n_features: int
    n_clusters: int
    dtype: str | None = None

    @property
    def key(self):
        """Name of the case in the JSON results."""
        key = f"n={self.n_samples},d={self.n_features},k={self.n_clusters}"
        return key if self.dtype is None else f"{key},{self.dtype}"

    def load(self):
        """The points and their true labels."""
        X, y = make_blobs(self.n_samples, n_features=self.n_features, centers=self.n_clusters, random_state=0)
        return (X if self.dtype is None else X.astype(self.dtype)), y


@dataclass(frozen=True)
class Documents:
    """TF-IDF rows (CSR, float64) of synthetic documents on ``n_clusters`` topics, for the sparse side benchmarks.

    Each topic owns an equal slice of the vocabulary; a document draws half of its
    ``words_per_document`` words from its topic's slice and half from the whole
    vocabulary (uniformly), then ``TfidfTransformer`` weighs and normalises the counts.

    Attributes
    ----------
    n_samples, n_features, n_clusters : int
        Documents, vocabulary size, topics.
    words_per_document : int, default=40
    """

    n_samples: int
    n_features: int
    n_clusters: int
    words_per_document: int = 40

    @property
    def key(self):
        """Name of the case in the JSON results."""
        return f"documents,n={self.n_samples},terms={self.n_features},k={self.n_clusters}"

    def load(self):
        """The TF-IDF rows and each document's topic."""
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfTransformer

        rng = np.random.default_rng(0)
        topics = rng.integers(0, self.n_clusters, self.n_samples)
        half = self.words_per_document // 2
        slice_size = self.n_features // self.n_clusters
        own = topics[:, None] * slice_size + rng.integers(0, slice_size, (self.n_samples, half))
        anywhere = rng.integers(0, self.n_features, (self.n_samples, self.words_per_document - half))
        words = np.hstack([own, anywhere])
        documents = np.repeat(np.arange(self.n_samples), words.shape[1])
        counts = sparse.csr_matrix(
            (np.ones(words.size), (documents, words.ravel())), shape=(self.n_samples, self.n_features)
        )  # duplicates are summed: word counts
        return TfidfTransformer().fit_transform(counts), topics
