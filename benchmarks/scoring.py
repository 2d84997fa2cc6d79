"""Answer quality, computed the same way for every implementation."""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import pairwise_distances_argmin


def inertia(X, centers):
    """The K-Means objective of ``centers`` on ``X``, in float64.

    Each sample goes to its nearest centre (scikit-learn's
    ``pairwise_distances_argmin`` on float64 copies), then the squared
    differences are summed exactly in float64.  The implementations' own
    ``inertia_`` are not comparable: scikit-learn sums float32 data in float32,
    FAISS reports no final inertia.  A sparse row's squared distance sums
    ``(x_f - c_f)^2 - c_f^2`` over its stored entries and adds ``||c||^2``
    (its zeros' share), without densifying the data.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        The data.
    centers : ndarray of shape (n_clusters, n_features)
        The centres to score.

    Returns
    -------
    inertia : float
        Sum over the samples of the squared distance to the nearest centre.
    """
    centers64 = np.asarray(centers, dtype=np.float64)
    if sp.issparse(X):
        X64 = sp.csr_matrix(X, dtype=np.float64)
        labels = pairwise_distances_argmin(X64, centers64)
        rows = np.repeat(np.arange(X64.shape[0]), np.diff(X64.indptr))
        stored_centres = centers64[labels[rows], X64.indices]
        stored = (X64.data - stored_centres) ** 2 - stored_centres**2
        return float(stored.sum() + np.einsum("ij,ij->i", centers64, centers64)[labels].sum())
    X64 = np.asarray(X, dtype=np.float64)
    diff = X64 - centers64[pairwise_distances_argmin(X64, centers64)]
    return float(np.einsum("ij,ij->", diff, diff))


def labels_differ(labels1, labels2):
    """Number of samples whose labels differ (no relabelling).

    Parameters
    ----------
    labels1, labels2 : ndarray of shape (n_samples,)
        Labels to compare position by position.

    Returns
    -------
    count : int
    """
    return int(np.count_nonzero(np.asarray(labels1) != np.asarray(labels2)))


def matched_agreement(labels1, labels2, n_clusters):
    """Fraction of samples with the same label after the best relabelling.

    The clusters of ``labels2`` are matched one-to-one with those of ``labels1``
    so as to maximise the samples in matched pairs (Hungarian algorithm on the
    contingency table); independent runs number their clusters differently.

    Parameters
    ----------
    labels1, labels2 : ndarray of shape (n_samples,)
        Labels in ``range(n_clusters)``.
    n_clusters : int
        Number of clusters.

    Returns
    -------
    agreement : float
        Between 0 and 1; 1 means the same partition.

    Examples
    --------
    >>> import numpy as np
    >>> matched_agreement(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]), 2)
    1.0
    """
    pairs = np.asarray(labels1, dtype=np.int64) * n_clusters + np.asarray(labels2, dtype=np.int64)
    counts = np.bincount(pairs, minlength=n_clusters * n_clusters).reshape(n_clusters, n_clusters)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / pairs.size)
