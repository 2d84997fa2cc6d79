"""Cluster quality metrics.

The silhouette functions give scikit-learn's values (to about 1e-6) on numba
kernels, never building the n x n distance matrix; the simplified silhouette is
a fast centroid-based approximation for large data.  The Calinski-Harabasz and
Davies-Bouldin scores are scikit-learn's, re-exported: they cost O(n * d)
there already.

Examples
--------
>>> from sklearn.datasets import make_blobs
>>> from kmlab import KMeans
>>> from kmlab.metrics import silhouette_score, simplified_silhouette_score
>>> X, _ = make_blobs(n_samples=500, centers=3, random_state=0)
>>> kmeans = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X)
>>> round(silhouette_score(X, kmeans.labels_), 4)
0.4723
>>> round(simplified_silhouette_score(X, kmeans.labels_, kmeans.cluster_centers_), 4)
0.5996
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn import metrics as _sklearn_metrics
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils.extmath import row_norms

from ._kernels.silhouette import (
    TILE,
    add_column_sums,
    paired_tiles,
    silhouette_by_row_blocks,
    silhouette_from_sums,
    simplified_silhouette,
)
from ._lloyd import block_starts
from ._threads import kernel_threads, resolve_n_threads, threads_for
from ._validation import EUCLIDEAN_METRICS, check_data

__all__ = [
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "silhouette_samples",
    "silhouette_score",
    "simplified_silhouette_samples",
    "simplified_silhouette_score",
]


# Up to this many clusters the exact silhouette keeps an (n_samples, n_clusters)
# array of distance sums and computes each pair of samples once; the array is
# then no larger than TILE rows' distances to every sample.  Beyond, each block
# of rows computes its own pairs and keeps TILE x n_clusters sums (twice the work).
PAIRED_MAX_CLUSTERS = TILE
# Bound on the buffer of column sums of the paired schedule (see offset_bands).
PAIRED_BUFFER_BYTES = 64 * 2**20


def _check_inputs(X, labels):
    """``X`` checked (float32 or float64, CSR or dense) and ``labels`` as a 1-D array of one label per sample."""
    X = check_data(X, "X")
    n_samples = X.shape[0]
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D array with one label per sample; got an array of shape {labels.shape}.")
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but X has {n_samples} samples; pass one label per sample (row of X)."
        )
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError("labels contains NaN or infinity; every sample needs a cluster label.")
    return X, labels


def _encode_labels(labels):
    """Cluster codes 0..n_labels-1 (in sorted label order) and the samples per cluster.

    Raises scikit-learn's error when there are fewer than 2 labels or as many
    labels as samples: the silhouette is then undefined.
    """
    try:
        classes, codes = np.unique(labels, return_inverse=True)
    except TypeError as exc:
        raise TypeError(f"labels must be comparable values (all numbers or all strings): {exc}") from exc
    n_labels, n_samples = classes.shape[0], labels.shape[0]
    if not 1 < n_labels < n_samples:
        raise ValueError(
            f"Number of labels is {n_labels}. Valid values are 2 to n_samples - 1 (inclusive), here 2 to "
            f"{n_samples - 1}: the silhouette compares each sample's cluster with the nearest other one, so it "
            "needs at least 2 clusters and at least one cluster with 2 samples."
        )
    codes = codes.reshape(-1).astype(np.int64)
    return codes, np.bincount(codes, minlength=n_labels).astype(np.int64)


def _sorted_by_cluster(X, codes, counts):
    """The exact kernels' input: rows sorted by cluster, in float64.

    Returns the sort order, the cluster of each sorted row, and the arguments
    that both exact kernels take first (the last of them is that cluster array).
    """
    n_samples = X.shape[0]
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    label_of = codes[order]
    if sp.issparse(X):
        rows = X[order]
        dense = np.empty((0, 0))
        data = rows.data.astype(np.float64)
        indices, indptr = rows.indices.astype(np.int64), rows.indptr.astype(np.int64)
        row_of_entry = np.repeat(np.arange(n_samples), np.diff(indptr))
        sqnorms = np.bincount(row_of_entry, weights=data * data, minlength=n_samples)
        columns = rows.tocsc()
        columns.sort_indices()
        col_data = columns.data.astype(np.float64)
        col_rows, col_indptr = columns.indices.astype(np.int64), columns.indptr.astype(np.int64)
        sparse = True
    else:
        # The kernels compute the norms of dense rows themselves, tile by tile.
        dense = X[order].astype(np.float64, copy=False)
        data, indices, indptr, sqnorms = np.empty(0), np.empty(0, np.int64), np.empty(1, np.int64), np.empty(0)
        col_data, col_rows, col_indptr = np.empty(0), np.empty(0, np.int64), np.empty(1, np.int64)
        sparse = False
    arguments = (dense, data, indices, indptr, col_data, col_rows, col_indptr, sparse, sqnorms, starts, label_of)
    return order, label_of, arguments


def offset_bands(label_of):
    """Bands of tile offsets for :func:`kmlab._kernels.silhouette.paired_tiles`, and its buffer.

    Offsets 0 to n_tiles // 2 cover every pair of tiles.  Each offset needs a
    slot of n_samples x (most clusters in one tile) sums; bands hold as many
    offsets as PAIRED_BUFFER_BYTES allows (at least one).  They depend on the
    data's shape and labels, never on the thread count.

    Returns
    -------
    bands : list of (first_offset, stop_offset)
    column_sums : ndarray of shape (n_samples, band width, most clusters in a tile)
    """
    n_samples = label_of.shape[0]
    tile_starts = np.arange(0, n_samples, TILE)
    tile_ends = np.minimum(tile_starts + TILE, n_samples) - 1
    most = int(np.max(label_of[tile_ends] - label_of[tile_starts])) + 1
    n_offsets = tile_starts.shape[0] // 2 + 1
    width = int(min(n_offsets, max(1, PAIRED_BUFFER_BYTES // (8 * n_samples * most))))
    bands = [(first, min(first + width, n_offsets)) for first in range(0, n_offsets, width)]
    return bands, np.empty((n_samples, width, most))


def _kernel_silhouette(X, codes, counts, squared=False):
    """Exact silhouette of every sample, float64, from Euclidean distances (``squared``: their squares);
    runs inside ``kernel_threads``."""
    n_samples, n_clusters = X.shape[0], counts.shape[0]
    order, label_of, arguments = _sorted_by_cluster(X, codes, counts)
    values = np.empty(n_samples)
    pairs = n_samples * n_samples // 2
    threads_for(pairs * (X.nnz // n_samples + 1 if sp.issparse(X) else X.shape[1]))
    if n_clusters <= PAIRED_MAX_CLUSTERS:
        sums = np.zeros((n_samples, n_clusters))
        bands, column_sums = offset_bands(label_of)
        for first_offset, stop_offset in bands:
            paired_tiles(*arguments, squared, first_offset, stop_offset, sums, column_sums)
            add_column_sums(label_of, first_offset, stop_offset, column_sums, sums)
        silhouette_from_sums(sums, label_of, counts, values)
    else:
        silhouette_by_row_blocks(*arguments, squared, counts, values)
    result = np.empty(n_samples)
    result[order] = values
    return result


def _silhouette_values(X, labels, metric, n_threads, kwds):
    """Silhouette of every sample of checked ``X`` and ``labels``; float64 on kmlab's path."""
    codes, counts = _encode_labels(labels)
    on_kernels = isinstance(metric, str) and not kwds
    if on_kernels and metric in EUCLIDEAN_METRICS:
        with kernel_threads(resolve_n_threads(n_threads)):
            return _kernel_silhouette(X, codes, counts)
    if on_kernels and metric == "cosine":
        # ||u - v||^2 = 2 (1 - cos) between unit rows; scikit-learn's cosine
        # distance from an all-zero row is 1, which no unit row gives: those go there.
        norms = row_norms(X)
        if norms.all():
            unit = normalize(X.astype(np.float64), copy=False)
            with kernel_threads(resolve_n_threads(n_threads)):
                return _kernel_silhouette(unit, codes, counts, squared=True)
    return _sklearn_metrics.silhouette_samples(X, codes, metric=metric, **kwds)


def silhouette_samples(X, labels, *, metric="euclidean", n_threads=None, **kwds):
    """Silhouette Coefficient of each sample, as :func:`sklearn.metrics.silhouette_samples`.

    With ``a`` the mean distance from a sample to the other samples of its
    cluster and ``b`` the mean distance to the samples of the nearest other
    cluster, the coefficient is ``(b - a) / max(a, b)``, between -1 (probably
    in the wrong cluster) and 1 (well inside its cluster); samples alone in
    their cluster get 0.

    For the Euclidean metric kmlab computes the same values as scikit-learn (to
    about 1e-6) on its numba kernels, in float64 whatever X's dtype: each pair
    of samples is visited once, in tiles of 256 x 256, never the n x n matrix.
    Memory beyond ``X``: a float64 copy of it sorted by cluster, the sums of
    distances from each sample to each cluster (n_samples x n_clusters floats
    up to 256 clusters, 256 x n_clusters per thread beyond) and a buffer of at
    most 64 MiB (or n_samples x 256 floats).  Its distances lose less to rounding
    than scikit-learn's where the data lie far from the origin compared with
    their spread.  The cosine distance runs on the same kernels, with the rows
    scaled to unit length (their squared Euclidean distance is twice the cosine
    distance, and doubling every distance leaves the silhouette as it is),
    unless a row is all zeros.  Any other ``metric`` (or extra ``kwds``, or an
    all-zero row with "cosine") goes to scikit-learn, which also works through
    chunks of the distance matrix (:func:`sklearn.metrics.pairwise_distances_chunked`).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, n_samples)
        The samples (dense or CSR), or the distances between them when
        ``metric="precomputed"``.
    labels : array-like of shape (n_samples,)
        Cluster label of each sample: any comparable values.  There must be 2
        to ``n_samples - 1`` distinct labels.
    metric : str or callable, default="euclidean"
        "euclidean" and "cosine" run on kmlab's kernels; any other metric that
        :func:`sklearn.metrics.pairwise_distances` accepts, "precomputed" or a
        callable runs on scikit-learn.
    n_threads : int, default=None
        Threads for kmlab's kernels; None (or -1) uses all of numba's threads.
        The values do not depend on it.
    **kwds : optional keyword parameters
        Passed to scikit-learn's distance function (and then scikit-learn
        computes the silhouette, for any metric).

    Returns
    -------
    silhouette : ndarray of shape (n_samples,)
        The coefficient of each sample, in X's dtype (float32 or float64).

    See Also
    --------
    silhouette_score : Their mean, optionally on a random subset.
    simplified_silhouette_samples : The centroid-based approximation, O(n * k * d).

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab.metrics import silhouette_samples
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> silhouette_samples(X, [0, 0, 1, 1])
    array([0.9047619 , 0.89473684, 0.89473684, 0.9047619 ])
    """
    X, labels = _check_inputs(X, labels)
    return np.asarray(_silhouette_values(X, labels, metric, n_threads, kwds), dtype=X.dtype)


def silhouette_score(X, labels, *, metric="euclidean", sample_size=None, random_state=None, n_threads=None, **kwds):
    """Mean Silhouette Coefficient of all samples, as :func:`sklearn.metrics.silhouette_score`.

    The mean of :func:`silhouette_samples`: from 1 (compact, well separated
    clusters) down to -1; values near 0 mean overlapping clusters.  Exact; for a
    quick estimate on large data pass ``sample_size`` (the exact silhouette of a
    random subset) or use :func:`simplified_silhouette_score`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, n_samples)
        The samples (dense or CSR), or the distances between them when
        ``metric="precomputed"``.
    labels : array-like of shape (n_samples,)
        Cluster label of each sample; 2 to ``n_samples - 1`` distinct labels
        (in the subset, with ``sample_size``).
    metric : str or callable, default="euclidean"
        As in :func:`silhouette_samples`: "euclidean" and "cosine" on kmlab's
        kernels, any other metric on scikit-learn.
    sample_size : int, default=None
        Compute the score on this many samples drawn without replacement; None
        uses them all.  The draw is scikit-learn's,
        ``random_state.permutation(n_samples)[:sample_size]``, so the same
        ``random_state`` picks the same subset (and gives the same score) as
        :func:`sklearn.metrics.silhouette_score`.
    random_state : int, RandomState instance or None, default=None
        Random number generation for ``sample_size``.
    n_threads : int, default=None
        Threads for kmlab's kernels; None (or -1) uses all of numba's threads.
        The score does not depend on it.
    **kwds : optional keyword parameters
        Passed to scikit-learn's distance function, as in :func:`silhouette_samples`.

    Returns
    -------
    score : float
        The mean Silhouette Coefficient.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab.metrics import silhouette_score
    >>> X, y = make_blobs(n_samples=1000, centers=4, random_state=0)
    >>> round(silhouette_score(X, y), 4)
    0.4573
    >>> round(silhouette_score(X, y, sample_size=300, random_state=0), 4)
    0.43
    """
    X, labels = _check_inputs(X, labels)
    if sample_size is not None:
        if not isinstance(sample_size, Integral) or isinstance(sample_size, bool) or sample_size < 1:
            raise ValueError(
                f"sample_size must be a positive integer (samples to draw) or None (all samples); got {sample_size!r}."
            )
        indices = check_random_state(random_state).permutation(X.shape[0])[:sample_size]
        if metric == "precomputed":
            X = X[indices][:, indices]
        else:
            X = X[indices]
        labels = labels[indices]
    return float(np.mean(_silhouette_values(X, labels, metric, n_threads, kwds)))


def _centroids(X, codes, counts):
    """Mean of each cluster, float64, through a sparse (n_clusters, n_samples) indicator."""
    n_samples = X.shape[0]
    indicator = sp.csr_matrix((np.ones(n_samples), (codes, np.arange(n_samples))), shape=(counts.shape[0], n_samples))
    sums = indicator @ X
    return (sums.toarray() if sp.issparse(sums) else sums) / counts[:, None]


def _check_centers(centers, labels, n_features):
    """Given ``centers`` as float64 and ``labels`` as their row indices (int64)."""
    centers = check_data(centers, "centers", accept_sparse=False, dtype=np.float64)
    if centers.shape[1] != n_features:
        raise ValueError(
            f"centers has {centers.shape[1]} features but X has {n_features}; pass one centre per cluster, "
            "in X's features (e.g. a fitted KMeans's cluster_centers_)."
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integers indexing the rows of centers when centers is given; got dtype {labels.dtype}."
        )
    n_centers = centers.shape[0]
    outside = (labels < 0) | (labels >= n_centers)
    if np.any(outside):
        raise ValueError(
            f"labels contains {labels[outside][0]}, which is not a row of centers (it has {n_centers} rows); "
            f"labels must be in 0..{n_centers - 1}."
        )
    return centers, labels.astype(np.int64)


def _simplified_values(X, labels, centers, n_threads):
    """Simplified silhouette of every sample, float64, after checking the inputs."""
    X, labels = _check_inputs(X, labels)
    # 2 to n_samples - 1 distinct labels, as for the silhouette.
    codes, counts = _encode_labels(labels)
    if centers is None:
        centers = _centroids(X, codes, counts)
    else:
        centers, codes = _check_centers(centers, labels, X.shape[1])
        counts = np.bincount(codes, minlength=centers.shape[0]).astype(np.int64)
    values = np.empty(X.shape[0])
    if sp.issparse(X):
        dense, offset = np.empty((0, 0), X.dtype), np.zeros(0, X.dtype)
        data, indices, indptr = X.data, X.indices, X.indptr
    else:
        dense, offset = X, np.zeros(X.shape[1], dtype=X.dtype)
        data, indices, indptr = np.empty(0, X.dtype), np.empty(0, np.int32), np.empty(1, np.int32)
    with kernel_threads(resolve_n_threads(n_threads)):
        threads_for(X.shape[0] * centers.shape[0] * X.shape[1])
        simplified_silhouette(
            dense, offset, data, indices, indptr, sp.issparse(X), centers, codes, counts,
            block_starts(X.shape[0]), values,
        )  # fmt: skip
    return values


def simplified_silhouette_samples(X, labels, centers=None, *, n_threads=None):
    """Simplified (centroid-based) silhouette of each sample: a fast approximation.

    The silhouette compares a sample's mean distance to its own cluster with
    its mean distance to the nearest other cluster, which costs O(n^2 * d).
    The simplified silhouette (Hruschka et al., 2004) replaces each cluster by
    its centroid: ``a`` is the distance from the sample to its own centroid,
    ``b`` the distance to the nearest other centroid, and the value is
    ``(b - a) / max(a, b)``.  It costs O(n * k * d) and little memory, so it
    suits large data (say beyond 50,000 samples), model selection over many k,
    or monitoring; it is **not** the silhouette: values are usually higher
    (distances to a centroid are shorter than mean distances to the members),
    though it ranks clusterings similarly for compact, K-Means-like clusters.
    For the exact value use :func:`silhouette_samples`, or
    :func:`silhouette_score` with ``sample_size``.

    Samples alone in their cluster get 0, as in the silhouette.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The samples (dense or CSR).
    labels : array-like of shape (n_samples,)
        Cluster label of each sample, 2 to ``n_samples - 1`` distinct labels.
        With ``centers``, integers indexing its rows (a fitted KMeans's
        ``labels_``).
    centers : array-like of shape (n_clusters, n_features), default=None
        The centroids (a fitted KMeans's ``cluster_centers_``); every row
        counts as "another centroid", even one no sample is labelled with.
        None: the means of the clusters that ``labels`` define.
    n_threads : int, default=None
        Threads for kmlab's kernels; None (or -1) uses all of numba's threads.

    Returns
    -------
    silhouette : ndarray of shape (n_samples,)
        The simplified coefficient of each sample, float64.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab.metrics import simplified_silhouette_samples
    >>> X = np.array([[0.0], [2.0], [10.0], [12.0]])
    >>> simplified_silhouette_samples(X, [0, 0, 1, 1])
    array([0.90909091, 0.88888889, 0.88888889, 0.90909091])
    """
    return _simplified_values(X, labels, centers, n_threads)


def simplified_silhouette_score(X, labels, centers=None, *, n_threads=None):
    """Mean simplified (centroid-based) silhouette: a fast approximation of :func:`silhouette_score`.

    The mean of :func:`simplified_silhouette_samples`, whose documentation
    explains the approximation and when to prefer it.  O(n * k * d).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The samples (dense or CSR).
    labels : array-like of shape (n_samples,)
        Cluster label of each sample; with ``centers``, integers indexing its rows.
    centers : array-like of shape (n_clusters, n_features), default=None
        The centroids; None: the means of the clusters.
    n_threads : int, default=None
        Threads for kmlab's kernels; None (or -1) uses all of numba's threads.

    Returns
    -------
    score : float
        The mean simplified silhouette.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab.metrics import simplified_silhouette_score
    >>> X, y = make_blobs(n_samples=1000, centers=4, random_state=0)
    >>> round(simplified_silhouette_score(X, y), 4)
    0.5805
    """
    return float(np.mean(_simplified_values(X, labels, centers, n_threads)))
