"""Seedings: greedy k-means++ (scikit-learn's draws) and its public wrapper."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from numbers import Integral

from ._kernels.seeding import candidate_sq_distances_dense, candidate_sq_distances_sparse, row_sqnorms_sparse
from ._lloyd import block_starts
from ._threads import kernel_threads, resolve_n_threads, threads_for
from ._validation import check_data, check_weights


# Rows upcast to float64 at a time when computing dense row norms.
_NORM_ROWS = 65536


def row_sqnorms64(X):
    """Squared norm of every row in float64, as scikit-learn's ``row_norms``.

    Dense rows go through numpy's ``einsum`` (the same call, hence the same
    rounding), upcast a slice at a time so that no float64 copy of X is made.
    """
    out = np.empty(X.shape[0])
    if sp.issparse(X):
        threads_for(X.nnz)
        row_sqnorms_sparse(X.data, X.indptr, out)
        return out
    for start in range(0, X.shape[0], _NORM_ROWS):
        rows = X[start : start + _NORM_ROWS].astype(np.float64, copy=False)
        np.einsum("ij,ij->i", rows, rows, out=out[start : start + _NORM_ROWS])
    return out


def _rows_float64(X, ids):
    rows = X[ids]
    return rows.toarray().astype(np.float64) if sp.issparse(X) else rows.astype(np.float64)


def _candidate_sq_distances(X, x_sqnorms64, ids, rows_blocks):
    """Squared distances (len(ids), n_samples) from the samples ``ids`` to all."""
    out = np.empty((len(ids), X.shape[0]), dtype=X.dtype)
    candidates = _rows_float64(X, ids)
    cand_sqnorms = np.einsum("ij,ij->i", candidates, candidates)
    threads_for(len(ids) * (X.nnz if sp.issparse(X) else X.size))
    if sp.issparse(X):
        candidate_sq_distances_sparse(X.data, X.indices, X.indptr, x_sqnorms64, candidates, cand_sqnorms, out)
    else:
        candidates_t = np.ascontiguousarray(candidates.T)
        candidate_sq_distances_dense(X, x_sqnorms64, candidates_t, cand_sqnorms, rows_blocks, out)
    return out


def greedy_kmeans_plusplus(X, n_clusters, sample_weight, random_state, x_sqnorms64=None, n_local_trials=None):
    """Greedy k-means++ on valid input; the same random draws as scikit-learn.

    The first centre is drawn with probability proportional to the weights; each
    next one is the best of ``n_local_trials`` candidates drawn proportionally to
    the weighted squared distance to the closest centre so far (searching the
    cumulative potential), "best" meaning the lowest potential once added.  The
    reductions are numpy's, in the data's dtype, as scikit-learn's are, so that
    the same draws land on the same samples.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), dtype of X
    indices : ndarray of shape (n_clusters,)
    """
    n_samples, n_features = X.shape
    if x_sqnorms64 is None:
        x_sqnorms64 = row_sqnorms64(X)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    centers = np.empty((n_clusters, n_features), dtype=X.dtype)
    indices = np.full(n_clusters, -1, dtype=int)

    center_id = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())
    centers[0] = _rows_float64(X, [center_id])[0]
    indices[0] = center_id
    rows_blocks = block_starts(n_samples)
    closest_dist_sq = _candidate_sq_distances(X, x_sqnorms64, [center_id], rows_blocks)
    current_pot = closest_dist_sq @ sample_weight

    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        candidate_ids = np.searchsorted(np.cumsum(sample_weight * closest_dist_sq), rand_vals)
        # Rounding can put a draw past the last sample.
        np.clip(candidate_ids, None, closest_dist_sq.size - 1, out=candidate_ids)
        distance_to_candidates = _candidate_sq_distances(X, x_sqnorms64, candidate_ids, rows_blocks)
        np.minimum(closest_dist_sq, distance_to_candidates, out=distance_to_candidates)
        candidates_pot = distance_to_candidates @ sample_weight.reshape(-1, 1)
        best = np.argmin(candidates_pot)
        current_pot = candidates_pot[best]
        closest_dist_sq = distance_to_candidates[best]
        indices[c] = candidate_ids[best]
        centers[c] = _rows_float64(X, [indices[c]])[0]
    return centers, indices


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
    returns the same centres and indices.

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
