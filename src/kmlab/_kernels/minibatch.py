"""Mini-batch step kernels: assignment, batch inertia and the per-centre update in one call.

One call of :func:`minibatch_step_dense` (or :func:`minibatch_step_sparse`) is a
whole step of scikit-learn's ``_mini_batch_step`` before the random
reassignment: label every sample of the batch, add up its squared distance, and
move each centre to the running mean of everything it has been given so far
(learning rate ``weight / count``).

1. Labels, by blocks of the batch (fixed by its length, never by the thread
   count): dense rows are gathered ``CHUNK`` at a time and compared with every
   centre through BLAS GEMM as ``||c||^2 - 2 x.c``, scikit-learn's expression and
   call; sparse rows take their dot products in storage order, as scikit-learn's
   loop does.  Each sample's weighted squared distance is scikit-learn's, in
   the data's dtype, and the batch inertia adds them up in batch order: the
   value scikit-learn computes on one thread, on which its early stopping rests.
2. The update, one pass over the batch: scikit-learn's arithmetic, operation for
   operation and in the data's dtype (``c * count``, plus each ``x * w`` in batch
   order, times ``1 / (count + batch weight)``).  It is serial: the sums must be
   added in batch order, and the pass is cheap next to the distances.

These kernels are compiled without fast-math flags, unlike the others: with
``contract`` LLVM would fuse ``c * count + x * w`` into one FMA, which rounds
differently from scikit-learn's separate multiply and add, and the centres would
drift from scikit-learn's by an ulp per step.  The results do not depend on the
number of threads.

:func:`search_cdf` draws the batches: numpy's ``random_state.choice(n, size,
p=p)`` searches its uniform draws in the cumulative probabilities, which
:func:`search_cdf` reproduces exactly with a guide table instead of a binary
search.
"""

import numpy as np
from numba import njit, prange

from ._config import CHUNK
from .lloyd import _feature_major_copy, _sklearn_sparse_dense_sq_distance, _sparse_nearest_center


@njit(inline="always", cache=True)
def _weighted_sq_dist_dense(X, row, centers, label, weight, out, i):
    """``out[i]`` = scikit-learn's weighted squared distance from X[row] to the centre.

    Its ``_euclidean_dense_dense`` in X's dtype, four features at a time, then
    times the weight (``out`` fixes the dtype of every partial result).
    """
    n_features = X.shape[1]
    out[i] = 0
    f = 0
    while f + 4 <= n_features:
        d0 = X[row, f] - centers[label, f]
        d1 = X[row, f + 1] - centers[label, f + 1]
        d2 = X[row, f + 2] - centers[label, f + 2]
        d3 = X[row, f + 3] - centers[label, f + 3]
        out[i] += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3
        f += 4
    while f < n_features:
        d = X[row, f] - centers[label, f]
        out[i] += d * d
        f += 1
    out[i] *= weight


@njit(inline="always", cache=True)
def _weighted_sq_dist_sparse(data, indices, lo, hi, centers, centers_sqnorm, label, weight, out, i):
    """``out[i]``: scikit-learn's ``_euclidean_sparse_dense`` for CSR row data[lo:hi], times the weight."""
    out[i] = _sklearn_sparse_dense_sq_distance(data, indices, lo, hi, centers, centers_sqnorm, label) * weight


@njit(inline="always", cache=True)
def _sum_in_order(values, total):
    """``total[0]`` = the sum of ``values`` from first to last, in their dtype."""
    total[0] = 0
    for i in range(values.shape[0]):
        total[0] += values[i]


@njit(inline="always", cache=True)
def _start_update(labels, batch_weight, centers_old, counts, cluster_weight, centers_new):
    """Weight of each centre's batch samples (added in batch order); ``c * count`` where
    it is positive, else the centre unchanged."""
    # Loops, not array expressions: in a parallel kernel those would each open a
    # parallel region of their own.
    for c in range(cluster_weight.shape[0]):
        cluster_weight[c] = 0
    for i in range(labels.shape[0]):
        cluster_weight[labels[i]] += batch_weight[i]
    for c in range(centers_old.shape[0]):
        for f in range(centers_old.shape[1]):
            if cluster_weight[c] > 0:
                centers_new[c, f] = centers_old[c, f] * counts[c]
            else:
                centers_new[c, f] = centers_old[c, f]


@njit(inline="always", cache=True)
def _finish_update(counts, cluster_weight, centers_new):
    """``count += weight``, then the sums times ``1 / count`` (rounded to the dtype once: a
    float64 quotient rounded to float32 is the correctly rounded float32 quotient)."""
    for c in range(centers_new.shape[0]):
        if cluster_weight[c] > 0:
            counts[c] += cluster_weight[c]
            cluster_weight[c] = 1.0 / counts[c]
            for f in range(centers_new.shape[1]):
                centers_new[c, f] *= cluster_weight[c]


@njit(parallel=True, cache=True)
def minibatch_step_dense(
    X,  # IN (n, d) float32/float64, C-contiguous
    batch,  # IN (b,) int64 rows of X in the mini-batch (repeats allowed)
    batch_weight,  # IN (b,) dtype of X: weight of each batch position
    centers_old,  # IN (k, d) dtype of X
    centers_sqnorm,  # IN (k,) dtype of X: scikit-learn's row_norms(centers_old, squared=True)
    block_starts,  # IN (n_blocks + 1,) int64 offsets of the blocks in the batch
    update,  # IN bool: update the centres (else only labels and inertia, e.g. on a validation set)
    counts,  # IN/OUT (k,) dtype of X: weight each centre has been given so far
    labels,  # OUT (b,) int32 label of each batch position
    cluster_weight,  # OUT (k,) dtype of X scratch: batch weight, then 1 / count, per centre
    sample_inertia,  # OUT (b,) dtype of X: weighted squared distance of each batch position
    batch_inertia,  # OUT (1,) dtype of X: their sum
    centers_new,  # OUT (k, d) dtype of X, may be centers_old itself
):
    n_blocks = block_starts.shape[0] - 1
    n_clusters, n_features = centers_old.shape
    for blk in prange(n_blocks):
        rows = np.empty((CHUNK, n_features), dtype=X.dtype)
        dots = np.empty((CHUNK, n_clusters), dtype=X.dtype)
        for start in range(block_starts[blk], block_starts[blk + 1], CHUNK):
            n_rows = min(CHUNK, block_starts[blk + 1] - start)
            for i in range(n_rows):
                row = batch[start + i]
                for f in range(n_features):
                    rows[i, f] = X[row, f]
            # centers_old.T, not a C-ordered transposed copy: BLAS then runs the
            # kernel scikit-learn's gemm(NoTrans, Trans) call runs.  OpenBLAS's
            # small-matrix kernels for the two layouts round differently.
            np.dot(rows[:n_rows], centers_old.T, dots[:n_rows])
            for i in range(n_rows):
                best_label = 0
                best_dist = centers_sqnorm[0] - (dots[i, 0] + dots[i, 0])
                for j in range(1, n_clusters):
                    dist = centers_sqnorm[j] - (dots[i, j] + dots[i, j])
                    if dist < best_dist:
                        best_dist = dist
                        best_label = j
                labels[start + i] = best_label
                _weighted_sq_dist_dense(
                    X, batch[start + i], centers_old, best_label, batch_weight[start + i], sample_inertia, start + i
                )

    _sum_in_order(sample_inertia, batch_inertia)
    if not update:
        return
    # One pass in batch order: each centre adds its samples in scikit-learn's order.
    _start_update(labels, batch_weight, centers_old, counts, cluster_weight, centers_new)
    for i in range(labels.shape[0]):
        c = labels[i]
        if cluster_weight[c] > 0:
            row = batch[i]
            weight = batch_weight[i]
            for f in range(n_features):
                centers_new[c, f] += X[row, f] * weight
    _finish_update(counts, cluster_weight, centers_new)


@njit(parallel=True, cache=True)
def minibatch_step_sparse(
    data,  # IN (nnz,) CSR values, float32/float64
    indices,  # IN (nnz,) int32 CSR column indices
    indptr,  # IN (n + 1,) int32 CSR row pointers
    batch,  # IN (b,) int64 rows in the mini-batch (repeats allowed)
    batch_weight,  # IN (b,) dtype of data
    centers_old,  # IN (k, d) dtype of data
    centers_sqnorm,  # IN (k,) dtype of data
    block_starts,  # IN (n_blocks + 1,) int64 offsets of the blocks in the batch
    update,  # IN bool
    counts,  # IN/OUT (k,) dtype of data
    labels,  # OUT (b,) int32
    cluster_weight,  # OUT (k,) dtype of data scratch
    sample_inertia,  # OUT (b,) dtype of data
    batch_inertia,  # OUT (1,) dtype of data
    centers_new,  # OUT (k, d) dtype of data, may be centers_old itself
):
    n_blocks = block_starts.shape[0] - 1
    n_clusters, n_features = centers_old.shape
    n_entries = 0
    for i in range(batch.shape[0]):
        n_entries += indptr[batch[i] + 1] - indptr[batch[i]]
    feature_major, centers_t = _feature_major_copy(centers_old, n_entries)
    for blk in prange(n_blocks):
        dots = np.empty(n_clusters, dtype=centers_old.dtype)
        for i in range(block_starts[blk], block_starts[blk + 1]):
            row = batch[i]
            lo = indptr[row]
            hi = indptr[row + 1]
            best_label = _sparse_nearest_center(
                data, indices, lo, hi, centers_old, centers_t, feature_major, centers_sqnorm, dots
            )
            labels[i] = best_label
            _weighted_sq_dist_sparse(
                data, indices, lo, hi, centers_old, centers_sqnorm, best_label, batch_weight[i], sample_inertia, i
            )

    _sum_in_order(sample_inertia, batch_inertia)
    if not update:
        return
    _start_update(labels, batch_weight, centers_old, counts, cluster_weight, centers_new)
    for i in range(labels.shape[0]):
        c = labels[i]
        if cluster_weight[c] > 0:
            row = batch[i]
            weight = batch_weight[i]
            for p in range(indptr[row], indptr[row + 1]):
                centers_new[c, indices[p]] += data[p] * weight
    _finish_update(counts, cluster_weight, centers_new)


@njit(cache=True)
def cdf_guide(
    cdf,  # IN (n,) float64 non-decreasing cumulative probabilities, cdf[-1] == 1
    guide,  # OUT (m,) int64: guide[j] = first i with cdf[i] > j / m
):
    """The guide table of :func:`search_cdf`, in one pass over ``cdf``."""
    n = cdf.shape[0]
    m = guide.shape[0]
    i = 0
    for j in range(m):
        level = j / m
        while i < n and cdf[i] <= level:
            i += 1
        guide[j] = i


@njit(cache=True)
def search_cdf(
    cdf,  # IN (n,) float64 non-decreasing cumulative probabilities
    guide,  # IN (m,) int64 from cdf_guide
    draws,  # IN (b,) float64 uniform draws in [0, 1)
    rows,  # OUT (b,) int64: np.searchsorted(cdf, draws, side='right')
):
    """numpy's ``searchsorted(side='right')``, exactly, in O(1) expected steps per draw.

    A binary search of a million-row ``cdf`` costs twenty cache misses per draw;
    the guide table (bucket ``j`` of ``[0, 1)`` starts at ``guide[j]``) lands next
    to the answer, and a short walk either way finds it whatever the rounding of
    ``draw * m``.
    """
    n = cdf.shape[0]
    m = guide.shape[0]
    for p in range(draws.shape[0]):
        u = draws[p]
        i = guide[min(int(u * m), m - 1)]
        while i > 0 and cdf[i - 1] > u:
            i -= 1
        while i < n and cdf[i] <= u:
            i += 1
        rows[p] = i
