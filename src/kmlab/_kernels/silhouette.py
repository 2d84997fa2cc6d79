"""Silhouette kernels: per-cluster sums of the distances between samples.

The exact silhouette of a sample needs the mean distance from it to every
cluster.  The driver sorts the samples by cluster, so that every cluster is a
contiguous range of rows, and the kernels walk the pairwise distances in square
tiles of TILE x TILE samples, never holding more than one tile per thread: a row
of a tile splits into a few cluster ranges, each summed at once.

Distances come from the norms expansion ``sqrt(max(||x||^2 + ||y||^2 - 2 x.y, 0))``
in float64, the dot products from BLAS GEMM on dense rows; on sparse rows (CSR)
each entry of a tile row adds its products with the column samples that share
its feature, found in that feature's list of samples (the CSC of the same rows),
so that only the products of shared features are computed (in the order of the
row's features, as a merge of the two rows would add them).  The expansion
loses about ``eps * ||x||^2`` to cancellation, so dense tiles first move both
their row and column samples by the tile's first row: the error then scales with
the spread of the two tiles (the same cluster, often, as the rows are sorted),
not with the data's distance from the origin.
Pairs of a sample with itself are exactly 0.  The kernels can also sum squared
distances (``squared``): on rows scaled to unit length, twice the cosine distance,
and the silhouette does not change when every distance doubles.

Two schedules, with the same sums:

- :func:`paired_tiles` computes each tile once, for the sums of both its rows
  and its columns (half the work).  Tile I pairs with tiles I + m (mod the
  number of tiles) for m up to half their number, so every thread gets the same
  work; it adds its rows' sums to an (n, k) array, and leaves its columns' sums
  in a buffer, one slot per offset m, that :func:`add_column_sums` then adds
  for each tile in a fixed order.  Two parallel loops per band of offsets (one
  band, mostly), so the threads seldom wait for each other.
- :func:`silhouette_by_row_blocks` gives each block of rows every tile of its
  row, keeping only a TILE x k buffer: for many clusters, where (n, k) is large.

Either way every sum is added in an order fixed by the data's shape and labels,
so the results do not depend on the number of threads.

:func:`simplified_silhouette` compares each sample with every centre only, from
exact differences (the centroid-based approximation, O(n k d)).
"""

import numpy as np
from numba import njit, prange

from ._config import CHUNK, FASTMATH
from .lloyd import _center_sqnorms64, _dense_sq_dist, _sparse_sq_dist

# Samples per side of a distance tile: a 256 x 256 float64 tile takes 512 KiB.
TILE = CHUNK


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _add_feature_products(out, value, col_data, col_rows, first, stop, c0, c1):
    """``out[j - c0] += value * x_j[f]`` for the samples j in c0:c1 that have feature f.

    ``col_rows[first:stop]`` lists the samples that have f (sorted), with their
    values in ``col_data``: one column of the CSC.
    """
    q = first + np.searchsorted(col_rows[first:stop], c0)
    while q < stop and col_rows[q] < c1:
        out[col_rows[q] - c0] += value * col_data[q]
        q += 1


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _load_rows(X, sparse, sqnorms, start, stop, origin, rows, rows_sq):
    """Rows start:stop moved by -X[origin] into ``rows``, their squared norms into ``rows_sq``.

    Sparse rows stay where they are (the merged dot products read them) and keep
    their norms from ``sqnorms``.
    """
    for i in range(stop - start):
        if sparse:
            rows_sq[i] = sqnorms[start + i]
        else:
            acc = 0.0
            for f in range(X.shape[1]):
                value = X[start + i, f] - X[origin, f]
                rows[i, f] = value
                acc += value * value
            rows_sq[i] = acc


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _tile_distances(
    X, data, indices, indptr, col_data, col_rows, col_indptr, sparse, sqnorms, squared, r0, r1, c0, c1, rows, rows_sq,
    cols, cols_sq, buffer,
):  # fmt: skip
    """Distances between rows r0:r1 and rows c0:c1 (``squared``: their squares), as an (r1 - r0, c1 - c0)
    view of ``buffer``.

    ``rows``/``rows_sq`` hold rows r0:r1 as :func:`_load_rows` leaves them with
    origin r0; the columns are loaded here, with the same origin.
    """
    n_rows, n_cols = r1 - r0, c1 - c0
    tile = buffer[: n_rows * n_cols].reshape((n_rows, n_cols))
    _load_rows(X, sparse, sqnorms, c0, c1, r0, cols, cols_sq)
    if sparse:
        tile[:, :] = 0.0
        for i in range(n_rows):
            for p in range(indptr[r0 + i], indptr[r0 + i + 1]):
                feature = indices[p]
                _add_feature_products(
                    tile[i], data[p], col_data, col_rows, col_indptr[feature], col_indptr[feature + 1], c0, c1
                )
    else:
        np.dot(rows[:n_rows], cols[:n_cols].T, tile)
    if squared:
        for i in range(n_rows):
            for j in range(n_cols):
                tile[i, j] = max(rows_sq[i] + cols_sq[j] - 2.0 * tile[i, j], 0.0)
    else:
        for i in range(n_rows):
            for j in range(n_cols):
                tile[i, j] = np.sqrt(max(rows_sq[i] + cols_sq[j] - 2.0 * tile[i, j], 0.0))
    for row in range(max(r0, c0), min(r1, c1)):
        tile[row - r0, row - c0] = 0.0
    return tile


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _range_sum(tile, i, j0, j1):
    """tile[i, j0:j1].sum() through eight running sums (SIMD lanes) in a fixed order."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    j = j0
    while j + 8 <= j1:
        s0 += tile[i, j]
        s1 += tile[i, j + 1]
        s2 += tile[i, j + 2]
        s3 += tile[i, j + 3]
        s4 += tile[i, j + 4]
        s5 += tile[i, j + 5]
        s6 += tile[i, j + 6]
        s7 += tile[i, j + 7]
        j += 8
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while j < j1:
        total += tile[i, j]
        j += 1
    return total


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _add_row_sums(tile, c0, c1, starts, label_of, sums, sums_row0):
    """sums[sums_row0 + i, c] += distances of tile row i to the columns of cluster c."""
    j0 = c0
    while j0 < c1:
        cluster = label_of[j0]
        j1 = min(c1, starts[cluster + 1])
        for i in range(tile.shape[0]):
            sums[sums_row0 + i, cluster] += _range_sum(tile, i, j0 - c0, j1 - c0)
        j0 = j1


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _add_column_sums(tile, r0, r1, c0, starts, label_of, column, out, first_cluster):
    """out[c0 + j, c - first_cluster] = distances of tile column j to the rows of cluster c."""
    n_cols = tile.shape[1]
    i0 = r0
    while i0 < r1:
        cluster = label_of[i0]
        i1 = min(r1, starts[cluster + 1])
        column[:n_cols] = 0.0
        for i in range(i0 - r0, i1 - r0):
            for j in range(n_cols):
                column[j] += tile[i, j]
        for j in range(n_cols):
            out[c0 + j, cluster - first_cluster] = column[j]
        i0 = i1


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _owns(row_tile, offset, n_tiles):
    """Whether ``row_tile`` computes its pair with tile ``row_tile + offset`` (mod n_tiles).

    Offsets up to n_tiles / 2 cover every pair once: the pair at offset m is the
    pair at n_tiles - m seen from the other tile; at exactly n_tiles / 2 both
    tiles see it, and the lower half computes it.
    """
    return 2 * offset < n_tiles or (2 * offset == n_tiles and row_tile < offset)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _silhouette(sums, row, own, counts):
    """(b - a) / max(a, b) from one row of cluster sums; 0 where scikit-learn gets 0/0."""
    if counts[own] <= 1:
        return 0.0
    a = sums[row, own] / (counts[own] - 1)
    b = np.inf
    for cluster in range(counts.shape[0]):
        if cluster != own:
            b = min(b, sums[row, cluster] / counts[cluster])
    largest = max(a, b)
    if largest == 0.0:
        return 0.0
    return (b - a) / largest


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def paired_tiles(
    X,  # IN (n, d) float64 rows sorted by cluster (dense) or (0, 0) (sparse)
    data,  # IN (nnz,) float64 CSR values of the sorted rows (sparse) or (0,)
    indices,  # IN (nnz,) int64 CSR column indices, sorted within each row
    indptr,  # IN (n + 1,) int64 CSR row pointers
    col_data,  # IN (nnz,) float64 the same values, CSC (sparse) or (0,)
    col_rows,  # IN (nnz,) int64 CSC row indices, sorted within each column
    col_indptr,  # IN (d + 1,) int64 CSC column pointers
    sparse,  # IN bool: read the CSR arrays instead of X
    sqnorms,  # IN (n,) float64 squared norms of the CSR rows (sparse) or (0,)
    starts,  # IN (k + 1,) int64 first row of each cluster, then n
    label_of,  # IN (n,) int64 cluster of each row
    squared,  # IN bool: sum squared distances (the cosine silhouette's, on unit rows)
    first_offset,  # IN int64 the band of tile offsets m handled by this call: first_offset <= m
    stop_offset,  # IN int64 m < stop_offset <= n_tiles // 2 + 1
    sums,  # IN/OUT (n, k) float64: += distances of each row to each cluster, from its own tile's pairs
    column_sums,  # OUT (n, W, C) float64: [j, m - first_offset, c - first cluster of the other tile]
):
    n_samples = label_of.shape[0]
    n_tiles = -(-n_samples // TILE)
    for row_tile in prange(n_tiles):
        buffer = np.empty(TILE * TILE)
        rows, cols = np.empty((TILE, X.shape[1])), np.empty((TILE, X.shape[1]))
        rows_sq, cols_sq, column = np.empty(TILE), np.empty(TILE), np.empty(TILE)
        r0 = row_tile * TILE
        r1 = min(n_samples, r0 + TILE)
        _load_rows(X, sparse, sqnorms, r0, r1, r0, rows, rows_sq)
        for offset in range(first_offset, stop_offset):
            if _owns(row_tile, offset, n_tiles):
                c0 = (row_tile + offset) % n_tiles * TILE
                c1 = min(n_samples, c0 + TILE)
                tile = _tile_distances(
                    X, data, indices, indptr, col_data, col_rows, col_indptr, sparse, sqnorms, squared, r0, r1, c0,
                    c1, rows, rows_sq, cols, cols_sq, buffer,
                )  # fmt: skip
                _add_row_sums(tile, c0, c1, starts, label_of, sums, r0)
                if offset > 0:
                    _add_column_sums(
                        tile, r0, r1, c0, starts, label_of, column, column_sums[:, offset - first_offset, :],
                        label_of[r0],
                    )  # fmt: skip


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def add_column_sums(
    label_of,  # IN (n,) int64
    first_offset,  # IN int64 as given to paired_tiles
    stop_offset,  # IN int64
    column_sums,  # IN (n, W, C) float64 from paired_tiles
    sums,  # IN/OUT (n, k) float64: += the sums the other tiles computed for these rows
):
    n_samples = label_of.shape[0]
    n_tiles = -(-n_samples // TILE)
    for col_tile in prange(n_tiles):
        c0 = col_tile * TILE
        c1 = min(n_samples, c0 + TILE)
        for offset in range(max(first_offset, 1), stop_offset):
            row_tile = (col_tile - offset) % n_tiles
            if _owns(row_tile, offset, n_tiles):
                first_cluster = label_of[row_tile * TILE]
                last_cluster = label_of[min(n_samples, row_tile * TILE + TILE) - 1]
                for j in range(c0, c1):
                    for cluster in range(first_cluster, last_cluster + 1):
                        sums[j, cluster] += column_sums[j, offset - first_offset, cluster - first_cluster]


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def silhouette_from_sums(
    sums,  # IN (n, k) float64 from paired_tiles and add_column_sums
    label_of,  # IN (n,) int64
    counts,  # IN (k,) int64 samples per cluster
    out,  # OUT (n,) float64 silhouette of each row
):
    for row in prange(out.shape[0]):
        out[row] = _silhouette(sums, row, label_of[row], counts)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def silhouette_by_row_blocks(
    X,  # IN (n, d) float64 rows sorted by cluster (dense) or (0, 0) (sparse)
    data,  # IN (nnz,) float64 CSR values (sparse) or (0,)
    indices,  # IN (nnz,) int64 CSR column indices, sorted within each row
    indptr,  # IN (n + 1,) int64 CSR row pointers
    col_data,  # IN (nnz,) float64 the same values, CSC (sparse) or (0,)
    col_rows,  # IN (nnz,) int64 CSC row indices, sorted within each column
    col_indptr,  # IN (d + 1,) int64 CSC column pointers
    sparse,  # IN bool: read the CSR arrays instead of X
    sqnorms,  # IN (n,) float64 squared norms of the CSR rows (sparse) or (0,)
    starts,  # IN (k + 1,) int64 first row of each cluster, then n
    label_of,  # IN (n,) int64
    squared,  # IN bool: sum squared distances (the cosine silhouette's, on unit rows)
    counts,  # IN (k,) int64 samples per cluster
    out,  # OUT (n,) float64 silhouette of each row
):
    n_samples = label_of.shape[0]
    n_blocks = -(-n_samples // TILE)
    for block in prange(n_blocks):
        buffer = np.empty(TILE * TILE)
        rows, cols = np.empty((TILE, X.shape[1])), np.empty((TILE, X.shape[1]))
        rows_sq, cols_sq = np.empty(TILE), np.empty(TILE)
        sums = np.zeros((TILE, counts.shape[0]))
        r0 = block * TILE
        r1 = min(n_samples, r0 + TILE)
        _load_rows(X, sparse, sqnorms, r0, r1, r0, rows, rows_sq)
        for c0 in range(0, n_samples, TILE):
            c1 = min(n_samples, c0 + TILE)
            tile = _tile_distances(
                X, data, indices, indptr, col_data, col_rows, col_indptr, sparse, sqnorms, squared, r0, r1, c0, c1,
                rows, rows_sq, cols, cols_sq, buffer,
            )  # fmt: skip
            _add_row_sums(tile, c0, c1, starts, label_of, sums, 0)
        for i in range(r1 - r0):
            out[r0 + i] = _silhouette(sums, i, label_of[r0 + i], counts)


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _simplified(a_sq, b_sq):
    """(b - a) / max(a, b) from squared distances; 0 when both are 0."""
    a, b = np.sqrt(a_sq), np.sqrt(b_sq)
    largest = max(a, b)
    if largest == 0.0:
        return 0.0
    return (b - a) / largest


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _sq_dist_to_center(X, offset, data, indices, indptr, sparse, row, centers, j, center_sq64):
    """Squared distance of sample ``row`` to centre ``j`` in float64, from exact differences
    (``center_sq64``: :func:`~kmlab._kernels.lloyd._center_sqnorms64` of the centres, sparse rows)."""
    if sparse:
        return _sparse_sq_dist(data, indices, indptr[row], indptr[row + 1], centers, j, center_sq64)
    return _dense_sq_dist(X, offset, row, centers, j)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def simplified_silhouette(
    X,  # IN (n, d) float32/float64 (dense) or (0, 0) (sparse)
    offset,  # IN (d,) dtype of X, zeros: the distances read rows fl(x - offset)
    data,  # IN (nnz,) float32/float64 CSR values (sparse) or (0,)
    indices,  # IN (nnz,) CSR column indices
    indptr,  # IN (n + 1,) CSR row pointers
    sparse,  # IN bool: read the CSR arrays instead of X
    centers,  # IN (k, d) float64
    labels,  # IN (n,) int64 centre of each sample
    counts,  # IN (k,) int64 samples per label (1: a singleton, whose value is 0)
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    out,  # OUT (n,) float64
):
    n_clusters = centers.shape[0]
    center_sq64 = _center_sqnorms64(centers) if sparse else np.empty(0)
    for b in prange(block_starts.shape[0] - 1):
        for row in range(block_starts[b], block_starts[b + 1]):
            own = labels[row]
            if counts[own] <= 1:
                out[row] = 0.0
                continue
            own_sq = np.inf
            nearest_sq = np.inf
            for j in range(n_clusters):
                sq_dist = _sq_dist_to_center(X, offset, data, indices, indptr, sparse, row, centers, j, center_sq64)
                if j == own:
                    own_sq = sq_dist
                else:
                    nearest_sq = min(nearest_sq, sq_dist)
            out[row] = _simplified(own_sq, nearest_sq)
