"""Seeding kernels: squared distances from candidate centres to every point.

They follow scikit-learn's ``euclidean_distances`` arithmetic: in float64
(float32 data is upcast, as scikit-learn's ``_euclidean_distances_upcast`` does),
``(-2 c.x + ||c||^2) + ||x||^2`` clipped at zero, then cast to the data's dtype.
Matching that arithmetic is what makes k-means++ pick the same centres.
"""

import numpy as np
from numba import njit, prange

from ._config import FASTMATH


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def row_sqnorms_dense(
    X,  # IN (n, d)
    out,  # OUT (n,) float64
):
    n_samples, n_features = X.shape
    for i in prange(n_samples):
        acc = 0.0
        for f in range(n_features):
            v = np.float64(X[i, f])
            acc += v * v
        out[i] = acc


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
    X,  # IN (n, d)
    x_sqnorms,  # IN (n,) float64
    candidates,  # IN (t, d) float64 candidate centres
    out,  # OUT (t, n) dtype of X
):
    n_samples, n_features = X.shape
    n_candidates = candidates.shape[0]
    cand_sqnorms = np.empty(n_candidates)
    for c in range(n_candidates):
        acc = 0.0
        for f in range(n_features):
            acc += candidates[c, f] * candidates[c, f]
        cand_sqnorms[c] = acc
    for i in prange(n_samples):
        for c in range(n_candidates):
            dot = 0.0
            for f in range(n_features):
                dot += candidates[c, f] * np.float64(X[i, f])
            dist = (-2.0 * dot + cand_sqnorms[c]) + x_sqnorms[i]
            out[c, i] = max(dist, 0.0)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def candidate_sq_distances_sparse(
    data,  # IN (nnz,)
    indices,  # IN (nnz,)
    indptr,  # IN (n + 1,)
    x_sqnorms,  # IN (n,) float64
    candidates,  # IN (t, d) float64 candidate centres (dense)
    out,  # OUT (t, n) dtype of data
):
    n_candidates, n_features = candidates.shape
    cand_sqnorms = np.empty(n_candidates)
    for c in range(n_candidates):
        acc = 0.0
        for f in range(n_features):
            acc += candidates[c, f] * candidates[c, f]
        cand_sqnorms[c] = acc
    for i in prange(indptr.shape[0] - 1):
        for c in range(n_candidates):
            dot = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                dot += candidates[c, indices[p]] * np.float64(data[p])
            dist = (-2.0 * dot + cand_sqnorms[c]) + x_sqnorms[i]
            out[c, i] = max(dist, 0.0)
