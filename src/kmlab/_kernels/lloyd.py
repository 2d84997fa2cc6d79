"""Lloyd step kernels: assignment fused with partial sums and inertia.

One call of :func:`assign_dense` (or :func:`assign_sparse`) is the whole E-step
plus the accumulation part of the M-step.  The rows are split into fixed blocks
(chosen from the shape only, never from the thread count); every block writes its
own partial sums, and :func:`reduce_blocks` adds the blocks in order.  The result
is therefore the same whatever the number of threads.

Distances are compared as ``||c||^2 - 2 x.c`` in the data's dtype, with the dot
products from BLAS GEMM on chunks of rows: scikit-learn's expression and call, so
the labels round the same way.  Inertia and partial sums are accumulated in float64 from the
exact differences ``x - c``, so that a float32 inertia of 1e-8 is not lost to
cancellation.
"""

import numpy as np
from numba import njit, prange

from ._config import CHUNK, FASTMATH


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def assign_dense(
    X,  # IN (n, d) float32/float64, C-contiguous
    sample_weight,  # IN (n,) same dtype as X
    centers,  # IN (k, d) same dtype as X
    centers_t,  # IN (d, k) centers transposed, C-contiguous (GEMM operand)
    centers_sqnorm,  # IN (k,) same dtype as X
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    update,  # IN bool: accumulate partial sums and weights
    with_inertia,  # IN bool: compute block_inertia (else it is left at 0)
    labels,  # IN/OUT (n,) int32: previous labels in, new labels out
    block_sums,  # OUT (n_blocks, k, d) float64, written when update
    block_weights,  # OUT (n_blocks, k) float64, written when update
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64: labels that changed
):
    n_blocks = block_starts.shape[0] - 1
    n_clusters, n_features = centers.shape
    for b in prange(n_blocks):
        start = block_starts[b]
        end = block_starts[b + 1]
        scratch = np.empty((CHUNK, n_clusters), dtype=X.dtype)
        if update:
            block_sums[b, :, :] = 0.0
            block_weights[b, :] = 0.0
        inertia = 0.0
        changed = 0
        for chunk_start in range(start, end, CHUNK):
            chunk_end = min(chunk_start + CHUNK, end)
            # scratch[i, j] = x_i . c_j by BLAS GEMM, the same call scikit-learn
            # makes: the same rounding, hence the same labels.  Even with three
            # features GEMM beats a hand-written loop (measured with benchmarks/).
            np.dot(X[chunk_start:chunk_end], centers_t, scratch[: chunk_end - chunk_start])
            for row in range(chunk_start, chunk_end):
                i = row - chunk_start
                best_label = 0
                best_dist = centers_sqnorm[0] - (scratch[i, 0] + scratch[i, 0])
                for j in range(1, n_clusters):
                    dist = centers_sqnorm[j] - (scratch[i, j] + scratch[i, j])
                    if dist < best_dist:
                        best_dist = dist
                        best_label = j
                if labels[row] != best_label:
                    changed += 1
                    labels[row] = best_label
                weight = np.float64(sample_weight[row])
                if with_inertia:
                    inertia += weight * _dense_sq_dist(X, row, centers, best_label)
                if update:
                    block_weights[b, best_label] += weight
                    for f in range(n_features):
                        block_sums[b, best_label, f] += np.float64(X[row, f]) * weight
        block_inertia[b] = inertia
        block_changed[b] = changed


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def assign_sparse(
    data,  # IN (nnz,) CSR values, float32/float64
    indices,  # IN (nnz,) CSR column indices
    indptr,  # IN (n + 1,) CSR row pointers
    sample_weight,  # IN (n,) same dtype as data
    centers,  # IN (k, d) same dtype as data
    centers_sqnorm,  # IN (k,) same dtype as data
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    update,  # IN bool
    with_inertia,  # IN bool
    labels,  # IN/OUT (n,) int32: previous labels in, new labels out
    block_sums,  # OUT (n_blocks, k, d) float64, written when update
    block_weights,  # OUT (n_blocks, k) float64, written when update
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64: labels that changed
):
    n_blocks = block_starts.shape[0] - 1
    n_clusters = centers.shape[0]
    for b in prange(n_blocks):
        if update:
            block_sums[b, :, :] = 0.0
            block_weights[b, :] = 0.0
        inertia = 0.0
        changed = 0
        for row in range(block_starts[b], block_starts[b + 1]):
            lo = indptr[row]
            hi = indptr[row + 1]
            best_label = 0
            best_dist = centers_sqnorm[0]
            for j in range(n_clusters):
                dot = centers_sqnorm[j] - centers_sqnorm[j]  # zero of the data's dtype
                for p in range(lo, hi):
                    dot += data[p] * centers[j, indices[p]]
                dist = centers_sqnorm[j] - (dot + dot)
                if j == 0 or dist < best_dist:
                    best_dist = dist
                    best_label = j
            if labels[row] != best_label:
                changed += 1
                labels[row] = best_label
            weight = np.float64(sample_weight[row])
            if with_inertia:
                inertia += weight * _sparse_sq_dist(data, indices, lo, hi, centers, best_label)
            if update:
                block_weights[b, best_label] += weight
                for p in range(lo, hi):
                    block_sums[b, best_label, indices[p]] += np.float64(data[p]) * weight
        block_inertia[b] = inertia
        block_changed[b] = changed


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _dense_sq_dist(X, row, centers, label):
    """||X[row] - centers[label]||^2 in float64, from the exact differences."""
    acc = 0.0
    for f in range(X.shape[1]):
        diff = np.float64(X[row, f]) - np.float64(centers[label, f])
        acc += diff * diff
    return acc


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _sparse_sq_dist(data, indices, lo, hi, centers, label):
    """||x - c||^2 in float64 for CSR row data[lo:hi] and centre ``label``.

    Sum of c_f^2 over the columns where x is zero, plus (x_f - c_f)^2 over its
    stored entries; both parts are non-negative, so nothing cancels badly.
    """
    center_sq = 0.0
    for f in range(centers.shape[1]):
        c = np.float64(centers[label, f])
        center_sq += c * c
    stored = 0.0
    for p in range(lo, hi):
        c = np.float64(centers[label, indices[p]])
        diff = np.float64(data[p]) - c
        center_sq -= c * c
        stored += diff * diff
    return max(center_sq, 0.0) + stored


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def inertia_dense(
    X,  # IN (n, d)
    sample_weight,  # IN (n,)
    centers,  # IN (k, d)
    labels,  # IN (n,) int32
    block_starts,  # IN (n_blocks + 1,) int64
    block_inertia,  # OUT (n_blocks,) float64
):
    n_blocks = block_starts.shape[0] - 1
    for b in prange(n_blocks):
        inertia = 0.0
        for row in range(block_starts[b], block_starts[b + 1]):
            sq_dist = _dense_sq_dist(X, row, centers, labels[row])
            inertia += np.float64(sample_weight[row]) * sq_dist
        block_inertia[b] = inertia


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def inertia_sparse(
    data,  # IN (nnz,)
    indices,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    sample_weight,  # IN (n,)
    centers,  # IN (k, d)
    labels,  # IN (n,) int32
    block_starts,  # IN (n_blocks + 1,) int64
    block_inertia,  # OUT (n_blocks,) float64
):
    n_blocks = block_starts.shape[0] - 1
    for b in prange(n_blocks):
        inertia = 0.0
        for row in range(block_starts[b], block_starts[b + 1]):
            sq_dist = _sparse_sq_dist(data, indices, indptr[row], indptr[row + 1], centers, labels[row])
            inertia += np.float64(sample_weight[row]) * sq_dist
        block_inertia[b] = inertia


@njit(parallel=True, cache=True)
def reduce_blocks(
    block_sums,  # IN (n_blocks, k, d) float64
    block_weights,  # IN (n_blocks, k) float64
    sums,  # OUT (k, d) float64
    weights,  # OUT (k,) float64
):
    n_blocks, n_clusters, n_features = block_sums.shape
    for j in prange(n_clusters):
        weights[j] = 0.0
        sums[j, :] = 0.0
        for b in range(n_blocks):
            weights[j] += block_weights[b, j]
            for f in range(n_features):
                sums[j, f] += block_sums[b, j, f]


@njit(cache=True)
def average_centers(
    sums,  # IN (k, d) float64 weighted sums of each cluster
    weights,  # IN (k,) float64 total weight of each cluster
    centers_old,  # IN (k, d)
    centers_new,  # OUT (k, d) same dtype as centers_old
):
    """New centres from the sums; returns the total squared centre shift.

    scikit-learn's rules, in its order: a centre is its sum times the reciprocal
    weight; an empty cluster (one that could not be relocated) copies row
    ``argmax(weights)`` as it stands at that point of the loop: the heaviest
    centre if it came earlier, its still unaveraged sum if it comes later.
    """
    n_clusters, n_features = sums.shape
    heaviest = np.argmax(weights)
    shift = 0.0
    for j in range(n_clusters):
        for f in range(n_features):
            if weights[j] > 0:
                centers_new[j, f] = sums[j, f] * (1.0 / weights[j])
            elif heaviest < j:
                centers_new[j, f] = centers_new[heaviest, f]
            else:
                centers_new[j, f] = sums[heaviest, f]
            diff = np.float64(centers_new[j, f]) - np.float64(centers_old[j, f])
            shift += diff * diff
    return shift


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def sq_dist_to_own_center_dense(
    X,  # IN (n, d)
    centers,  # IN (k, d)
    labels,  # IN (n,) int32
    out,  # OUT (n,) float64: ||x_i - c_{labels_i}||^2
):
    for i in prange(X.shape[0]):
        out[i] = _dense_sq_dist(X, i, centers, labels[i])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def sq_dist_to_own_center_sparse(
    data,  # IN (nnz,)
    indices,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    centers,  # IN (k, d)
    labels,  # IN (n,) int32
    out,  # OUT (n,) float64
):
    for i in prange(indptr.shape[0] - 1):
        out[i] = _sparse_sq_dist(data, indices, indptr[i], indptr[i + 1], centers, labels[i])
