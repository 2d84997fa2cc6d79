"""Lloyd driver: buffers, the iteration loop, and the choice of kernel.

The input here is already valid (C-ordered float32/float64 dense array or CSR
matrix with int32 indices, positive sample weights of the same dtype); the
estimators checked it.  Every function runs its kernels inside
:func:`kmlab._threads.kernel_threads` set by the caller.

The step the loop needs from an engine is :meth:`LloydWorkspace.assign`:
``(X, centers) -> labels, partial sums, weights, inertia``.  A GPU or a
distributed backend can later supply the same step.
"""

import numpy as np
import scipy.sparse as sp

from ._kernels._config import CHUNK
from ._threads import threads_for
from ._kernels.lloyd import (
    assign_dense,
    assign_sparse,
    average_centers,
    inertia_dense,
    inertia_sparse,
    reduce_blocks,
    sq_dist_to_own_center_dense,
    sq_dist_to_own_center_sparse,
)

# Blocks are the unit of parallel work and of partial sums.  Their number depends
# on the data's shape only, so results do not depend on the thread count.
MAX_BLOCKS = 64
# Bound on the per-block partial sums, n_blocks * n_clusters * n_features * 8 bytes.
PARTIAL_SUMS_BYTES = 32 * 2**20


def block_starts(n_samples, max_blocks=MAX_BLOCKS):
    """Row offsets of the blocks: at most ``max_blocks``, at least CHUNK rows each."""
    n_blocks = max(1, min(max_blocks, -(-n_samples // CHUNK)))
    return (np.arange(n_blocks + 1, dtype=np.int64) * n_samples) // n_blocks


def center_sqnorms(centers):
    """Squared norms of the centres, as scikit-learn's ``row_norms`` computes them."""
    return np.einsum("ij,ij->i", centers, centers)


class LloydWorkspace:
    """Buffers for the Lloyd steps of one dataset and one number of clusters.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        The data, already validated.
    n_clusters : int
        Number of centres.
    update : bool
        Whether partial sums will be accumulated (fitting) or only labels and
        inertia computed (predicting).
    """

    def __init__(self, X, n_clusters, update=True):
        n_samples, n_features = X.shape
        self.sparse = sp.issparse(X)
        if update:
            budget = PARTIAL_SUMS_BYTES // (8 * n_clusters * n_features)
            self.block_starts = block_starts(n_samples, max(1, min(MAX_BLOCKS, budget)))
            n_blocks = self.block_starts.shape[0] - 1
            self.block_sums = np.empty((n_blocks, n_clusters, n_features))
            self.block_weights = np.empty((n_blocks, n_clusters))
        else:
            self.block_starts = block_starts(n_samples)
            n_blocks = self.block_starts.shape[0] - 1
            self.block_sums = np.empty((1, 1, 1))
            self.block_weights = np.empty((1, 1))
        self.block_inertia = np.empty(n_blocks)
        self.block_changed = np.empty(n_blocks, dtype=np.int64)
        self.sums = np.empty((n_clusters, n_features))
        self.weights = np.empty(n_clusters)
        nnz = X.nnz if self.sparse else n_samples * n_features
        self.assign_work = nnz * n_clusters
        self.row_work = nnz

    def assign(self, X, sample_weight, centers, labels, update, with_inertia=True):
        """Assign every sample to its closest centre.

        Updates ``labels`` in place; when ``update``, also fills ``self.sums``
        (weighted sums of the samples of each cluster, float64) and
        ``self.weights``.

        Returns
        -------
        inertia : float
            With respect to ``centers``; 0.0 unless ``with_inertia``.
        n_changed : int
            How many labels differ from those passed in.
        """
        sqnorms = center_sqnorms(centers)
        threads_for(self.assign_work)
        if self.sparse:
            assign_sparse(
                X.data, X.indices, X.indptr, sample_weight, centers, sqnorms,
                self.block_starts, update, with_inertia, labels,
                self.block_sums, self.block_weights, self.block_inertia, self.block_changed,
            )  # fmt: skip
        else:
            assign_dense(
                X, sample_weight, centers, np.ascontiguousarray(centers.T), sqnorms,
                self.block_starts, update, with_inertia, labels,
                self.block_sums, self.block_weights, self.block_inertia, self.block_changed,
            )  # fmt: skip
        if update:
            threads_for(self.block_sums.size)
            reduce_blocks(self.block_sums, self.block_weights, self.sums, self.weights)
        return float(self.block_inertia.sum()), int(self.block_changed.sum())

    def inertia(self, X, sample_weight, centers, labels):
        """Weighted sum of squared distances of the samples to their given centre."""
        threads_for(self.row_work)
        if self.sparse:
            inertia_sparse(
                X.data, X.indices, X.indptr, sample_weight, centers, labels,
                self.block_starts, self.block_inertia,
            )  # fmt: skip
        else:
            inertia_dense(X, sample_weight, centers, labels, self.block_starts, self.block_inertia)
        return float(self.block_inertia.sum())

    def update_centers(self, X, sample_weight, centers_old, labels, centers_new):
        """Turn the sums of the last :meth:`assign` into new centres.

        Empty clusters are relocated first, as scikit-learn does: each takes the
        sample farthest from its own centre.  Returns the total squared shift of
        the centres.
        """
        if not self.weights.all():
            self._relocate_empty_clusters(X, sample_weight, centers_old, labels)
        return average_centers(self.sums, self.weights, centers_old, centers_new)

    def _relocate_empty_clusters(self, X, sample_weight, centers_old, labels):
        empty = np.flatnonzero(self.weights == 0)
        distances = np.empty(X.shape[0])
        threads_for(self.row_work)
        if self.sparse:
            sq_dist_to_own_center_sparse(X.data, X.indices, X.indptr, centers_old, labels, distances)
        else:
            sq_dist_to_own_center_dense(X, centers_old, labels, distances)
        if distances.max() == 0:
            # More clusters than distinct samples: relocating cannot help.
            return
        farthest = np.argpartition(distances, -empty.size)[: -empty.size - 1 : -1]
        for new_label, far_idx in zip(empty, farthest):
            weight = float(sample_weight[far_idx])
            row = X[far_idx].toarray().ravel() if self.sparse else X[far_idx]
            old_label = labels[far_idx]
            self.sums[old_label] -= row * weight
            self.sums[new_label] = row * weight
            self.weights[new_label] = weight
            self.weights[old_label] -= weight


def kmeans_single_lloyd(X, sample_weight, centers_init, max_iter, verbose, tol, workspace=None):
    """One run of Lloyd's algorithm from ``centers_init``.

    The loop and its stopping rules are scikit-learn's: stop when the labels
    repeat (strict convergence) or when the squared centre shift is within
    ``tol``; in the latter case, and after ``max_iter``, one more assignment makes
    the labels match the returned centres.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
    centers : ndarray of shape (n_clusters, n_features)
    n_iter : int
    """
    n_clusters = centers_init.shape[0]
    if workspace is None:
        workspace = LloydWorkspace(X, n_clusters)
    centers = np.array(centers_init, dtype=X.dtype, order="C")
    centers_new = np.zeros_like(centers)
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    strict_convergence = False

    for i in range(max_iter):
        inertia, n_changed = workspace.assign(
            X, sample_weight, centers, labels, update=True, with_inertia=bool(verbose)
        )
        center_shift_tot = workspace.update_centers(X, sample_weight, centers, labels, centers_new)
        if verbose:
            print(f"Iteration {i}, inertia {inertia}.")
        centers, centers_new = centers_new, centers
        if n_changed == 0:
            if verbose:
                print(f"Converged at iteration {i}: strict convergence.")
            strict_convergence = True
            break
        if center_shift_tot <= tol:
            if verbose:
                print(f"Converged at iteration {i}: center shift {center_shift_tot} within tolerance {tol}.")
            break

    if not strict_convergence:
        workspace.assign(X, sample_weight, centers, labels, update=False, with_inertia=False)
    inertia = workspace.inertia(X, sample_weight, centers, labels)
    return labels, inertia, centers, i + 1


def labels_inertia(X, sample_weight, centers, with_inertia=True):
    """Closest centre of every sample and the inertia (the E-step alone)."""
    workspace = LloydWorkspace(X, centers.shape[0], update=False)
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    inertia, _ = workspace.assign(X, sample_weight, centers, labels, update=False, with_inertia=with_inertia)
    return labels, inertia
