"""k-medoids kernels: Euclidean distance matrices, FasterPAM, alternating k-medoids, BUILD.

The clustering kernels read a square dissimilarity matrix ``D`` (float32 or
float64, C order, symmetric, zero diagonal; the estimator checks it) by rows:
``D[m, o]`` is the distance between sample ``o`` and the candidate or medoid
``m``.  Losses and gains are added up in float64, in sample order.

Every sample keeps a cache, as in FasterPAM (Schubert & Rousseeuw, "Fast and
eager k-medoids clustering", Information Systems 101, 2021): the slot of its
nearest medoid and the distance to it, and the same for the second nearest.
From these, the *removal loss* of each medoid (what the loss would grow by if it
went away) and then the gain of swapping any medoid for a candidate take one
pass over the candidate's row: O(n) per candidate, not O(n k).

Parallel kernels never share a running sum between threads: each candidate or
row is computed whole by one thread, so results do not depend on the thread
count.
"""

import numpy as np
from numba import njit, prange

from ._config import FASTMATH

# Rows and columns of the tiles of the Euclidean distance matrix.
TILE = 64

# Swaps and medoid changes must gain more than this many rounding units of
# float64 per sample, times the loss's scale: the gains add n terms, and a
# "gain" within their rounding error would let two equivalent medoids (e.g.
# duplicate samples) take turns forever.
ROUNDING_SLACK = 4.0 * np.finfo(np.float64).eps


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _sq_dists_row(
    X,  # IN (n, d) float32/float64
    i,  # IN int64 the row of X
    YT,  # IN (d, m) points transposed, the dtype of X
    j0,  # IN int64 first column of YT
    j1,  # IN int64 end of the columns of YT
    acc,  # OUT (>= j1 - j0,) float64 squared distances from X[i] to YT[:, j0:j1]
):
    """Squared distances from one row to a range of points, features added in order.

    Vectorised across the points; each distance adds its features in the same
    order whatever the range, so the matrix and ``predict`` agree to the bit.
    """
    for j in range(j1 - j0):
        acc[j] = 0.0
    for f in range(X.shape[1]):
        xf = np.float64(X[i, f])
        for j in range(j0, j1):
            diff = np.float64(YT[f, j]) - xf
            acc[j - j0] += diff * diff


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def euclidean_matrix(
    X,  # IN (n, d) float32/float64
    XT,  # IN (d, n) X transposed, C-contiguous
    out,  # OUT (n, n) dtype of X: Euclidean distances, exactly symmetric, zero diagonal
):
    """All pairwise Euclidean distances, from the exact differences.

    Each tile ``(I, J)`` with ``J >= I`` is computed once and written to both
    halves.  Work unit ``b`` takes tile row ``b`` and tile row ``n_tiles - 1 - b``
    (``n_tiles + 1`` tiles in all), so the units of the triangle weigh the same.
    """
    n = X.shape[0]
    n_tiles = (n + TILE - 1) // TILE
    for b in prange((n_tiles + 1) // 2):
        acc = np.empty(TILE, dtype=np.float64)
        for half in range(2):
            t = b if half == 0 else n_tiles - 1 - b
            if half == 1 and t == b:
                continue
            i0, i1 = t * TILE, min(n, t * TILE + TILE)
            for tile in range(t, n_tiles):
                j0, j1 = tile * TILE, min(n, tile * TILE + TILE)
                for i in range(i0, i1):
                    _sq_dists_row(X, i, XT, j0, j1, acc)
                    for j in range(j0, j1):
                        value = np.sqrt(acc[j - j0])
                        out[i, j] = value
                        out[j, i] = value


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def euclidean_to_points(
    X,  # IN (n, d) float32/float64
    YT,  # IN (d, m) points transposed, C-contiguous, dtype of X
    block_starts,  # IN (n_blocks + 1,) int64 row offsets
    out,  # OUT (n, m) dtype of X: Euclidean distances
):
    """Euclidean distances from every row of ``X`` to ``m`` points (``m`` small: medoids)."""
    m = YT.shape[1]
    for b in prange(block_starts.shape[0] - 1):
        acc = np.empty(m, dtype=np.float64)
        for i in range(block_starts[b], block_starts[b + 1]):
            _sq_dists_row(X, i, YT, 0, m, acc)
            for j in range(m):
                out[i, j] = np.sqrt(acc[j])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def first_problem_by_row(
    D,  # IN (n, m) float32/float64
    nonfinite,  # OUT (n,) int64 first column of each row holding NaN or inf, -1 if none
    negative,  # OUT (n,) int64 first column of each row holding a negative value, -1 if none
    row_max,  # OUT (n,) float64 largest finite value of each row (0 for an empty row)
):
    """One pass over a matrix of distances: what makes it unusable, and its scale."""
    for i in prange(D.shape[0]):
        bad, below, top = -1, -1, 0.0
        for j in range(D.shape[1]):
            value = np.float64(D[i, j])
            if not np.isfinite(value):
                if bad < 0:
                    bad = j
            else:
                if value < 0 and below < 0:
                    below = j
                if value > top:
                    top = value
        nonfinite[i], negative[i], row_max[i] = bad, below, top


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def first_asymmetry(
    D,  # IN (n, n) float32/float64, finite
    rtol,  # IN float64 relative tolerance
    atol,  # IN float64 absolute tolerance
    first_column,  # OUT (n,) int64 for each row i, the first j > i with D[i, j] != D[j, i] beyond tolerance, -1 if none
):
    """Where a square matrix stops being symmetric, tile by tile (balanced as in :func:`euclidean_matrix`)."""
    n = D.shape[0]
    n_tiles = (n + TILE - 1) // TILE
    for b in prange((n_tiles + 1) // 2):
        for half in range(2):
            t = b if half == 0 else n_tiles - 1 - b
            if half == 1 and t == b:
                continue
            for i in range(t * TILE, min(n, t * TILE + TILE)):
                first_column[i] = -1
            for tile in range(t, n_tiles):
                for i in range(t * TILE, min(n, t * TILE + TILE)):
                    if first_column[i] >= 0:
                        continue
                    for j in range(max(i + 1, tile * TILE), min(n, tile * TILE + TILE)):
                        a, c = np.float64(D[i, j]), np.float64(D[j, i])
                        if abs(a - c) > atol + rtol * max(a, c):
                            first_column[i] = j
                            break


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def row_sums(
    D,  # IN (n, n) float32/float64
    out,  # OUT (n,) float64 sum of each row, in column order
):
    """Total distance from each sample to all others: the 1-medoid loss of each candidate."""
    for i in prange(D.shape[0]):
        total = 0.0
        for j in range(D.shape[1]):
            total += np.float64(D[i, j])
        out[i] = total


@njit(cache=True, fastmath=FASTMATH)
def assign_to_medoids(
    D,  # IN (n, n) float32/float64
    medoids,  # IN (k,) int64 sample index of each medoid slot
    nearest,  # OUT (n,) int64 slot of the nearest medoid (the lowest slot on ties)
    dnear,  # OUT (n,) float64 distance to it
    second,  # OUT (n,) int64 slot of the second nearest medoid (-1 when k = 1)
    dsecond,  # OUT (n,) float64 distance to it (inf when k = 1)
):
    """Nearest and second nearest medoid of every sample, reading the medoids' rows."""
    n = D.shape[0]
    for o in range(n):
        nearest[o], second[o] = -1, -1
        dnear[o], dsecond[o] = np.inf, np.inf
    for s in range(medoids.shape[0]):
        row = D[medoids[s]]
        for o in range(n):
            d = np.float64(row[o])
            if d < dnear[o]:
                second[o], dsecond[o] = nearest[o], dnear[o]
                nearest[o], dnear[o] = s, d
            elif d < dsecond[o]:
                second[o], dsecond[o] = s, d


@njit(cache=True, fastmath=FASTMATH)
def _removal_loss(
    nearest,  # IN (n,) int64
    dnear,  # IN (n,) float64
    dsecond,  # IN (n,) float64
    removal,  # OUT (k,) float64 how much the loss grows if the medoid of each slot goes away
):
    """Removal losses and the scale of the gains: returns loss + sum of removal losses."""
    for s in range(removal.shape[0]):
        removal[s] = 0.0
    loss = 0.0
    for o in range(nearest.shape[0]):
        removal[nearest[o]] += dsecond[o] - dnear[o]
        loss += dnear[o]
    scale = loss
    for s in range(removal.shape[0]):
        scale += removal[s]
    return scale


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _swap_gain(
    row,  # IN (n,) float32/float64 distances from the candidate to every sample
    nearest,  # IN (n,) int64
    dnear,  # IN (n,) float64
    dsecond,  # IN (n,) float64
    removal,  # IN (k,) float64
    delta,  # SCRATCH (k,) float64
):
    """Best swap for one candidate: (change of the loss, slot to swap it into).

    ``delta[s]`` starts at the removal loss of slot ``s`` and is corrected for
    the samples the candidate would take over; ``gain_new`` is what those
    samples gain by moving to it.  Both in one pass over the candidate's row.
    """
    k = removal.shape[0]
    for s in range(k):
        delta[s] = removal[s]
    gain_new = 0.0
    for o in range(row.shape[0]):
        d = np.float64(row[o])
        dn = dnear[o]
        if d < dn:
            # o moves to the candidate whichever medoid leaves: its removal loss is void.
            gain_new += d - dn
            delta[nearest[o]] += dn - dsecond[o]
        elif d < dsecond[o]:
            # Were its medoid removed, o would go to the candidate, not to its second.
            delta[nearest[o]] += d - dsecond[o]
    best = 0
    for s in range(1, k):
        if delta[s] < delta[best]:
            best = s
    return delta[best] + gain_new, best


@njit(cache=True, fastmath=FASTMATH)
def _second_nearest(D, medoids, o, skip):
    """Slot and distance of the nearest medoid of sample ``o`` other than slot ``skip``."""
    slot, best = -1, np.inf
    for s in range(medoids.shape[0]):
        if s != skip:
            d = np.float64(D[medoids[s], o])
            if d < best:
                slot, best = s, d
    return slot, best


@njit(cache=True, fastmath=FASTMATH)
def _swap(
    D,  # IN (n, n)
    slot,  # IN int64 the slot whose medoid leaves
    x,  # IN int64 the sample that becomes its medoid
    medoids,  # IN/OUT (k,) int64
    slot_of,  # IN/OUT (n,) int64
    nearest,  # IN/OUT (n,) int64
    dnear,  # IN/OUT (n,) float64
    second,  # IN/OUT (n,) int64
    dsecond,  # IN/OUT (n,) float64
):
    """Make ``x`` the medoid of ``slot`` and bring every sample's cache up to date."""
    slot_of[medoids[slot]] = -1
    medoids[slot] = x
    slot_of[x] = slot
    row = D[x]
    for o in range(D.shape[0]):
        d = np.float64(row[o])
        if nearest[o] == slot:
            if d <= dsecond[o]:
                dnear[o] = d
            else:
                nearest[o], dnear[o] = second[o], dsecond[o]
                second[o], dsecond[o] = _second_nearest(D, medoids, o, nearest[o])
        elif d < dnear[o]:
            second[o], dsecond[o] = nearest[o], dnear[o]
            nearest[o], dnear[o] = slot, d
        elif d < dsecond[o]:
            second[o], dsecond[o] = slot, d
        elif second[o] == slot:
            second[o], dsecond[o] = _second_nearest(D, medoids, o, nearest[o])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def fasterpam(
    D,  # IN (n, n) float32/float64 dissimilarities
    order,  # IN (n,) int64 the order in which samples are tried as medoids
    max_iter,  # IN int64 most passes over ``order``
    min_batch,  # IN int64 candidates evaluated together right after a swap (>= 1)
    medoids,  # IN/OUT (k,) int64, k >= 2: initial medoids in, final medoids out
    slot_of,  # IN/OUT (n,) int64 slot of each sample in ``medoids``, -1 for the others
    nearest,  # OUT (n,) int64 caches, as in assign_to_medoids
    dnear,  # OUT (n,) float64
    second,  # OUT (n,) int64
    dsecond,  # OUT (n,) float64
    removal,  # SCRATCH (k,) float64 removal losses
    candidates,  # SCRATCH (max_batch,) int64
    positions,  # SCRATCH (max_batch,) int64
    gains,  # SCRATCH (max_batch,) float64
    slots,  # SCRATCH (max_batch,) int64
    deltas,  # SCRATCH (max_batch, k) float64
):
    """FasterPAM's eager swap loop; returns (passes started, swaps made, converged).

    Samples are tried in ``order``, cyclically; a candidate is swapped in as soon
    as its best swap lowers the loss (beyond rounding), and the loop stops once
    ``n`` samples in a row bring no swap (a local optimum for single swaps) or
    after ``max_iter`` passes.

    The candidates are evaluated a batch at a time, in parallel, against the
    same medoids; the first improving one is swapped and the evaluation resumes
    right after it.  That is exactly the sequential loop, for any batch size and
    thread count: the candidates evaluated past a swap are simply evaluated again.
    To waste little where swaps are frequent and wake the threads rarely where
    they are not, a batch holds ``min_batch`` candidates after a swap and twice
    as many after each batch without one, up to ``max_batch``.
    """
    n = D.shape[0]
    max_batch = candidates.shape[0]
    batch = min_batch
    assign_to_medoids(D, medoids, nearest, dnear, second, dsecond)
    tolerance = ROUNDING_SLACK * n * _removal_loss(nearest, dnear, dsecond, removal)
    n_iter, n_swaps, since_swap, pos = 1, 0, 0, 0
    while since_swap < n:
        n_batch, p = 0, pos
        while n_batch < batch and p < n and since_swap + (p - pos) < n:
            if slot_of[order[p]] < 0:
                candidates[n_batch], positions[n_batch] = order[p], p
                n_batch += 1
            p += 1
        for b in prange(n_batch):
            gains[b], slots[b] = _swap_gain(D[candidates[b]], nearest, dnear, dsecond, removal, deltas[b])
        swapped = -1
        for b in range(n_batch):
            if gains[b] < -tolerance:
                swapped = b
                break
        if swapped >= 0:
            _swap(D, slots[swapped], candidates[swapped], medoids, slot_of, nearest, dnear, second, dsecond)
            tolerance = ROUNDING_SLACK * n * _removal_loss(nearest, dnear, dsecond, removal)
            n_swaps += 1
            pos = positions[swapped] + 1
            since_swap = 1
            batch = min_batch
        else:
            since_swap += p - pos
            pos = p
            batch = min(2 * batch, max_batch)
        if pos == n:
            pos = 0
            if since_swap < n:
                if n_iter == max_iter:
                    return n_iter, n_swaps, False
                n_iter += 1
    return n_iter, n_swaps, True


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def alternate(
    D,  # IN (n, n) float32/float64 dissimilarities
    max_iter,  # IN int64 most iterations
    medoids,  # IN/OUT (k,) int64 initial medoids in, final medoids out
    slot_of,  # IN/OUT (n,) int64 slot of each sample in ``medoids``, -1 for the others
    nearest,  # OUT (n,) int64 caches, as in assign_to_medoids
    dnear,  # OUT (n,) float64
    second,  # OUT (n,) int64
    dsecond,  # OUT (n,) float64
    members,  # SCRATCH (n,) int64 samples sorted by cluster
    starts,  # SCRATCH (k + 1,) int64 where each cluster starts in ``members``
    costs,  # SCRATCH (n,) float64 total distance from each sample to its cluster
):
    """Alternating (k-means style) k-medoids; returns (iterations, converged).

    Each iteration assigns every sample to its nearest medoid, then makes each
    cluster's medoid the member with the smallest total distance to the
    cluster (the current medoid stays unless another member beats it beyond
    rounding).  It stops when no medoid changes or after ``max_iter`` iterations.
    """
    n = D.shape[0]
    k = medoids.shape[0]
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        assign_to_medoids(D, medoids, nearest, dnear, second, dsecond)
        # Counting sort by cluster: starts[c + 1] counts down from the end of
        # cluster c to its start while the samples are placed, last first.
        for c in range(k + 1):
            starts[c] = 0
        for o in range(n):
            starts[nearest[o] + 1] += 1
        for c in range(k):
            starts[c + 1] += starts[c]
        for o in range(n - 1, -1, -1):
            c = nearest[o]
            starts[c + 1] -= 1
            members[starts[c + 1]] = o
        for c in range(k):
            starts[c] = starts[c + 1]
        starts[k] = n
        for o in prange(n):
            c = nearest[o]
            row = D[o]
            total = 0.0
            for idx in range(starts[c], starts[c + 1]):
                total += np.float64(row[members[idx]])
            costs[o] = total
        changed = False
        for c in range(k):
            lo, hi = starts[c], starts[c + 1]
            if lo == hi:
                continue
            m = medoids[c]
            current = costs[m]
            if nearest[m] != c:  # a duplicate of a lower slot's medoid: it lies outside its cluster
                current = 0.0
                for idx in range(lo, hi):
                    current += np.float64(D[m, members[idx]])
            best, best_cost = m, current
            for idx in range(lo, hi):
                o = members[idx]
                if costs[o] < best_cost and (slot_of[o] < 0 or slot_of[o] == c):
                    best, best_cost = o, costs[o]
            if best != m and best_cost < current - ROUNDING_SLACK * (hi - lo) * current:
                slot_of[m] = -1
                slot_of[best] = c
                medoids[c] = best
                changed = True
        if not changed:
            return n_iter, True
    return n_iter, False


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def build(
    D,  # IN (n, n) float32/float64 dissimilarities
    medoids,  # OUT (k,) int64
    slot_of,  # OUT (n,) int64 slot of each sample in ``medoids``, -1 for the others
    dnear,  # SCRATCH (n,) float64 distance to the nearest medoid so far
    gains,  # SCRATCH (n,) float64
):
    """PAM's BUILD: the 1-medoid, then greedily the sample that lowers the loss most.

    Ties go to the lowest sample index, so once every sample sits on a medoid
    (duplicates) the remaining medoids are the first samples not yet chosen.
    """
    n = D.shape[0]
    row_sums(D, gains)
    first = np.argmin(gains)
    for o in range(n):
        slot_of[o] = -1
        dnear[o] = np.float64(D[first, o])
    medoids[0] = first
    slot_of[first] = 0
    for s in range(1, medoids.shape[0]):
        for c in prange(n):
            if slot_of[c] >= 0:
                gains[c] = np.inf
            else:
                row = D[c]
                gain = 0.0
                for o in range(n):
                    d = np.float64(row[o]) - dnear[o]
                    if d < 0:
                        gain += d
                gains[c] = gain
        chosen = np.argmin(gains)
        medoids[s] = chosen
        slot_of[chosen] = s
        row = D[chosen]
        for o in range(n):
            d = np.float64(row[o])
            if d < dnear[o]:
                dnear[o] = d
