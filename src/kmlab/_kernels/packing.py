"""Dense rows packed as the direct kernels read them.

The direct kernels (:mod:`~kmlab._kernels.lloyd`'s assignment without GEMM and
:mod:`~kmlab._kernels.seeding`'s k-means++ distances on few features) vectorise
over the rows, one feature at a time: they read the rows centred, feature-major,
padded with zero features to 4, 8 or 16, by steps of PACKED_ROWS rows.  Packing
them once per fit replaces a transposition at every iteration or round.
"""

import numpy as np
from numba import njit, prange

from ._config import SEPARATE_ROUNDING
from ._intrinsics import _load_rows_t, cast_like

# Rows per step of the packed layout (a divisor of CHUNK: blocks start on steps).
PACKED_ROWS = 128


@njit(parallel=True, cache=True, fastmath=SEPARATE_ROUNDING)
def pack_rows_dense(
    X,  # IN (n, d) float32/float64, raw rows
    offset,  # IN (d,) dtype of X
    out,  # OUT (ceil(n / PACKED_ROWS), width, PACKED_ROWS) dtype of X, zero from feature d and row n on
    sqnorms,  # OUT (n,) float64 the packed rows' squared norms, or (0,): none
):
    """``out[s, f, i] = fl(X[s * PACKED_ROWS + i, f] - offset[f])``, in X's dtype, and zero in the
    padding (``out`` may come from ``np.empty``: each value is written once).

    With ``sqnorms``, also the squared norms of those rows upcast to float64, in
    numpy's ``einsum`` order (:func:`_einsum_sqnorms_t`: kmlab._init.row_sqnorms64's
    values), from the packed step while it is in the caches: on 100k x 16
    float32 rows, 0.49 ms for both where the two passes took 0.94.
    """
    width = out.shape[1]
    for s in prange(out.shape[0]):
        acc = np.empty((2, PACKED_ROWS if sqnorms.shape[0] > 0 else 0))
        # The width as a literal: the loop over the features unrolls (_load_rows_t).
        if width == 4:
            _pack_step(X, offset, s, out, sqnorms, acc, 4)
        elif width == 8:
            _pack_step(X, offset, s, out, sqnorms, acc, 8)
        elif width == 16:
            _pack_step(X, offset, s, out, sqnorms, acc, 16)
        else:
            _pack_step(X, offset, s, out, sqnorms, acc, width)


@njit(inline="always", cache=True)
def _pack_step(X, offset, s, out, sqnorms, acc, width):
    """Step ``s`` of :func:`pack_rows_dense` (its arguments; ``acc``: scratch for the norms)."""
    n_samples, n_features = X.shape
    start = s * PACKED_ROWS
    m = min(PACKED_ROWS, n_samples - start)
    _load_rows_t(X, offset, start, m, out[s], width)
    for f in range(width):
        for i in range(0 if f >= n_features else m, PACKED_ROWS):
            out[s, f, i] = 0.0
    if sqnorms.shape[0] > 0:
        _einsum_sqnorms_t(out[s], m, n_features, acc, sqnorms[start : start + m])


@njit(inline="always", cache=True)
def _einsum_sqnorms_t(
    rows_t,  # IN (>= d, >= m) feature f of row i at [f, i]
    m,  # IN int64 rows
    n_features,  # IN int64 d: the features read
    acc,  # SCRATCH (lanes, >= m) the dtype numpy accumulates in, lanes = 16 bytes of it
    out,  # OUT (m,) the rows' squared norms
):
    """``np.einsum("ij,ij->i", R, R)`` of the rows ``R`` (cast to acc's dtype) from their transpose.

    numpy's loop for this contraction, with its baseline SIMD of 16-byte vectors
    (2 float64 or 4 float32 lanes): four vectors of products at a time, the
    fourth added first, then the rest of the row a vector at a time, each lane
    accumulating in the data's dtype; the lanes are summed pairwise at the end.
    Here the rows are the vector lanes: every step runs over the ``m`` rows.
    Inlined, it rounds as the calling kernel's fastmath flags say: callers keep
    every product rounded (no contraction), as numpy's loop does.  The drivers
    check once that this is numpy's result on the running machine
    (:func:`kmlab._lloyd.einsum_sqnorms_supported`) before relying on it.
    """
    lanes = acc.shape[0]
    acc[:, :m] = 0.0
    f = 0
    while n_features - f >= 4 * lanes:
        for lane in range(lanes):
            lane_acc = acc[lane, :m]
            for vector in range(3, -1, -1):
                values = rows_t[f + vector * lanes + lane, :m]
                for i in range(m):
                    x = cast_like(values[i], lane_acc[i])
                    lane_acc[i] = x * x + lane_acc[i]
        f += 4 * lanes
    while f < n_features:
        for lane in range(min(lanes, n_features - f)):
            lane_acc, values = acc[lane, :m], rows_t[f + lane, :m]
            for i in range(m):
                x = cast_like(values[i], lane_acc[i])
                lane_acc[i] = x * x + lane_acc[i]
        f += lanes
    for i in range(m):
        if lanes == 2:
            out[i] = acc[0, i] + acc[1, i]
        else:
            out[i] = (acc[0, i] + acc[1, i]) + (acc[2, i] + acc[3, i])
