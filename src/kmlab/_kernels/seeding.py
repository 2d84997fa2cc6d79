"""Seeding kernels: squared distances from candidate centres to every point.

They follow scikit-learn's ``euclidean_distances`` arithmetic: in float64
(float32 data is upcast, as scikit-learn's ``_euclidean_distances_upcast`` does),
``(-2 c.x + ||c||^2) + ||x||^2`` clipped at zero, then cast to the data's dtype,
with the dot products from the same float64 GEMM.  Matching that arithmetic is
what makes k-means++ pick the same centres.  The squared norms come from the
driver (numpy's ``einsum``, as scikit-learn's ``row_norms``).
"""

import numpy as np
from numba import njit, prange

from ._config import CHUNK, FASTMATH


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def row_sqnorms_sparse(
    data,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    out,  # OUT (n,) float64
):
    for i in prange(indptr.shape[0] - 1):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            v = np.float64(data[p])
            acc += v * v
        out[i] = acc


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def candidate_sq_distances_dense(
    X,  # IN (n, d) float32/float64
    x_sqnorms,  # IN (n,) float64
    candidates_t,  # IN (d, t) float64 candidate centres, transposed
    cand_sqnorms,  # IN (t,) float64
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    out,  # OUT (t, n) dtype of X
):
    n_features, n_candidates = candidates_t.shape
    for b in prange(block_starts.shape[0] - 1):
        rows64 = np.empty((CHUNK, n_features))
        dots = np.empty((CHUNK, n_candidates))
        for chunk_start in range(block_starts[b], block_starts[b + 1], CHUNK):
            chunk_end = min(chunk_start + CHUNK, block_starts[b + 1])
            m = chunk_end - chunk_start
            # float64 GEMM on the upcast rows, as scikit-learn's euclidean_distances
            rows64[:m] = X[chunk_start:chunk_end]
            np.dot(rows64[:m], candidates_t, dots[:m])
            for i in range(m):
                row = chunk_start + i
                for c in range(n_candidates):
                    dist = (-2.0 * dots[i, c] + cand_sqnorms[c]) + x_sqnorms[row]
                    out[c, row] = max(dist, 0.0)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def candidate_sq_distances_sparse(
    data,  # IN (nnz,)
    indices,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    x_sqnorms,  # IN (n,) float64
    candidates,  # IN (t, d) float64 candidate centres (dense)
    cand_sqnorms,  # IN (t,) float64
    out,  # OUT (t, n) dtype of data
):
    n_candidates = candidates.shape[0]
    for i in prange(indptr.shape[0] - 1):
        for c in range(n_candidates):
            dot = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                dot += candidates[c, indices[p]] * np.float64(data[p])
            dist = (-2.0 * dot + cand_sqnorms[c]) + x_sqnorms[i]
            out[c, i] = max(dist, 0.0)
