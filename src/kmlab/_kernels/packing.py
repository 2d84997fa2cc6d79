"""Dense rows packed as the direct kernels read them.

The direct kernels (:mod:`~kmlab._kernels.lloyd`'s assignment without GEMM and
:mod:`~kmlab._kernels.seeding`'s k-means++ distances on few features) vectorise
over the rows, one feature at a time: they read the rows centred, feature-major,
padded with zero features to 4, 8 or 16, by steps of PACKED_ROWS rows.  Packing
them once per fit replaces a transposition at every iteration or round.
"""

from numba import njit, prange

from ._config import FASTMATH
from ._intrinsics import _load_rows_t

# Rows per step of the packed layout (a divisor of CHUNK: blocks start on steps).
PACKED_ROWS = 128


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def pack_rows_dense(
    X,  # IN (n, d) float32/float64, raw rows
    offset,  # IN (d,) dtype of X
    out,  # OUT (ceil(n / PACKED_ROWS), width, PACKED_ROWS) dtype of X, zero from feature d and row n on
):
    """``out[s, f, i] = fl(X[s * PACKED_ROWS + i, f] - offset[f])``, in X's dtype, and zero in the
    padding (``out`` may come from ``np.empty``: each value is written once)."""
    n_samples, n_features = X.shape
    for s in prange(out.shape[0]):
        start = s * PACKED_ROWS
        m = min(PACKED_ROWS, n_samples - start)
        _load_rows_t(X, offset, start, m, out[s], out.shape[1])
        for f in range(out.shape[1]):
            for i in range(0 if f >= n_features else m, PACKED_ROWS):
                out[s, f, i] = 0.0
