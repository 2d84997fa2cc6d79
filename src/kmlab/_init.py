"""Seedings: greedy k-means++ (scikit-learn's draws), k-means|| and AFK-MC².

Every seeding here takes the data ``X`` as the estimator holds it and, for
dense data, an ``offset`` (the column mean, X's dtype): it then behaves exactly
as if it ran on the centred copy ``X - offset`` computed in X's dtype, and
returns its centres in those centred coordinates, without making that copy.
Sparse data is never centred (scikit-learn does not centre it either).

Memory beyond ``X`` is O(n_samples + n_clusters * n_features): row-sized
vectors and chunks of rows, never an n_samples x n_clusters matrix.
"""

import math
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import row_norms

from ._kernels.seeding import (
    blas_products,
    centred_sqnorms64,
    chained_products,
    closest_sq_distances_dense,
    closest_sq_distances_sparse,
    draw_candidates,
    empty_screen,
    greedy_kmeans_plusplus_dense,
    greedy_kmeans_plusplus_dense_parallel,
    legacy_weighted_choice,
    nearest_candidate_dense,
    nearest_candidate_sparse,
    one_candidate_sq_distances_dense,
    prepare_candidates_dense,
    row_sqnorms_sparse,
    search_cumulative,
)
from ._lloyd import DIRECT_MAX_FEATURES, block_starts, einsum_sqnorms_supported, packed_rows, packs_rows
from ._threads import MIN_WORK_PER_THREAD, threads_for

# Bound on the float64 copies of rows made at a time (norms, one-candidate
# distances, k-means|| candidates): chunks.  The one whole copy is k-means++'s
# packed rows without the screen (_packed_rows), bounded by kmlab._lloyd.PACKED_BYTES.
_SCRATCH_BYTES = 32 * 2**20

# k-means++ skips most exact dot products with a screen from this many
# features on.  With fewer, computing every one with padded, vectorised dot
# products costs less than deciding which to skip; with more, the unpadded
# products do not vectorise as well.  Measured on 2 cores, whole k-means++ with
# the screen / without: blobs 100k x 8, k=32: 54 / 23 ms; 100k x 16: 67 / 50;
# china.jpg (3 features), k=16: 58 / 36; 100k x 24: 94 / 186.  Skipping the
# rows no candidate can come closer to than their closest centre (the triangle
# inequality through that centre) skips little on blobs: a row of a blob without
# a centre yet is far from every centre, and so far from none of the candidates
# by that bound (100k x 16, k=32: 97% of the rows kept at round 1, half at
# round 16); whole k-means++ 34-44 ms against 23-26 without it (AVX2 Zen 3).
SCREEN_MIN_FEATURES = DIRECT_MAX_FEATURES + 1
# ... and on data of more than this many bytes: smaller data computes every entry
# with the candidates as vector lanes, from a packed copy of its rows (of this
# size at most), which costs as much as the screen or less.  Measured on 2 cores
# (AVX2; five runs each, alternating in one process), whole k-means++ with the
# screen / without, medians: Gaussian float32 20k x 64 (5 MB), k=100: 73 / 88 ms;
# 50k x 64, k=300: 0.74 / 0.92 s; blobs float32 100k x 24, k=32: 118 / 125 ms;
# Gaussian float64 20k x 128, k=10: 47 / 54 ms; smaller data: digits (0.9 MB),
# k=10: 4.7 / 3.4 ms; Gaussian float64 6k x 64 (3 MB), k=60: 30 / 19 ms; blobs
# float32 50k x 17 (3.4 MB), k=20: 27 / 24 ms; Gaussian float32 12k x 64 (3 MB),
# k=100: 52 / 58 ms.
UNSCREENED_MAX_BYTES = 4 * 2**20

# Dense k-means++ runs its rounds in kernel calls (no return to Python per
# round: about 0.15 ms each, as much as a round's distances on 100k x 16), as
# many rounds per call as cost fewer multiply-adds than this, and at least one,
# so that Ctrl-C gets through every few tens of milliseconds.
SEEDING_CALL_MAX_WORK = 2**28
# Rounds that cost at least this many multiply-adds (n_local_trials * n_samples
# * n_features) run their blocks of rows in parallel; below it they would get
# one thread anyway (kmlab._threads.threads_for), and the serial build saves the
# start of a parallel loop per round.
PARALLEL_SEEDING_MIN_WORK = 2 * MIN_WORK_PER_THREAD

# k-means|| compares the samples with at most this many candidates per pass.
_CANDIDATE_BLOCK = 512

# k-means++ on data whose rounds cost up to this many multiply-adds (n_local_trials
# x n_samples x n_features) checks scikit-learn's candidate products against the
# kernels' chains (chains_add_as_blas); OpenBLAS sends only much smaller products
# to its small-matrix kernels.
CHECKED_PRODUCT_MAX_WORK = 2**22


def _shift(X, offset):
    """The offset as a (n_features,) array of X's dtype, zeros when None.

    ``fl(x - 0) == x``, so the kernels can always subtract it.
    """
    if sp.issparse(X):
        if offset is not None:
            raise ValueError("offset must be None for sparse X: sparse data is never centred.")
        return None
    if offset is None:
        return np.zeros(X.shape[1], dtype=X.dtype)
    return np.ascontiguousarray(offset, dtype=X.dtype)


def _rows(X, ids, shift, dtype=None):
    """The rows ``ids`` of ``X - shift`` as a dense array (X's dtype unless ``dtype``)."""
    rows = X[ids].toarray() if sp.issparse(X) else X[ids] - shift
    return rows.astype(dtype or X.dtype, copy=False)


def _chunks(X):
    """Slices of rows whose float64 copy fits in _SCRATCH_BYTES."""
    step = max(1, _SCRATCH_BYTES // (8 * X.shape[1]))
    return [slice(start, start + step) for start in range(0, X.shape[0], step)]


def row_sqnorms64(X, offset=None):
    """Squared norm of every (centred) row in float64, as scikit-learn's ``row_norms``.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Valid float32/float64 data.
    offset : ndarray of shape (n_features,), default=None
        Dense data only: the norms are those of the rows ``fl(x - offset)`` in
        X's dtype.  None: of the rows of ``X``.

    Returns
    -------
    sqnorms : ndarray of shape (n_samples,), float64
        Dense rows: numpy's ``einsum`` on the upcast rows (scikit-learn's call,
        hence its rounding), emulated in one parallel pass without a centred
        or float64 copy of X where the emulation holds on this machine
        (:func:`kmlab._lloyd.einsum_sqnorms_supported`), else numpy's, a slice
        of centred, upcast rows at a time.
        Sparse rows add their squared entries in order, as scikit-learn's
        ``csr_row_norms``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab._init import row_sqnorms64
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    >>> row_sqnorms64(X)
    array([ 5., 25.])
    >>> row_sqnorms64(X, offset=X.mean(axis=0))
    array([2., 2.])
    """
    shift = _shift(X, offset)
    out = np.empty(X.shape[0])
    if sp.issparse(X):
        threads_for(X.nnz)
        row_sqnorms_sparse(X.data, X.indptr, out)
        return out
    if einsum_sqnorms_supported(np.float64):
        threads_for(X.size)
        centred_sqnorms64(X, shift, block_starts(X.shape[0]), out)
        return out
    for part in _chunks(X):
        rows = _rows(X, part, shift, np.float64)
        np.einsum("ij,ij->i", rows, rows, out=out[part])
    return out


def _one_candidate_sq_distances(X, shift, x_sqnorms64, candidate, closest, out, blocks):
    """``out = min(closest, d(x, candidate)^2)`` for one dense candidate, numpy's bits.

    scikit-learn's product ``candidate @ rows.T`` with a single candidate is a
    BLAS GEMV, which sums in another order than GEMM: the same numpy call on
    chunks of rows gives the same bits.  Where numba's BLAS products round as
    numpy's (:func:`kernel_rounds_supported`), one kernel makes those calls on
    chunks of ``blocks`` (:func:`~kmlab._kernels.seeding.one_candidate_sq_distances_dense`);
    elsewhere numpy does.
    """
    cand_sqnorm = np.einsum("ij,ij->i", candidate, candidate)
    if kernel_rounds_supported(X.dtype):
        threads_for(X.size)
        one_candidate_sq_distances_dense(X, shift, candidate[0], cand_sqnorm[0], x_sqnorms64, closest, blocks, out)
        return
    for part in _chunks(X):
        distances = candidate @ _rows(X, part, shift, np.float64).T
        distances *= -2.0
        distances += cand_sqnorm
        distances += x_sqnorms64[part]
        np.maximum(distances, 0.0, out=distances)
        np.minimum(closest[part], distances[0].astype(X.dtype), out=out[part])


def _prune_constants(X, shift):
    """The constants of the dense prunes (see :class:`_CandidateDistances`).

    Returns the formula's slack ``s``, the screen's ``a`` and ``b``, and the
    offset in float64.
    """
    n_features = X.shape[1]
    # (-2 c.x + ||c||^2) + ||x||^2 from computed norms, in float64, is off by
    # at most (3d + 16) 2^-53 (||x||^2 + ||c||^2); (4d + 16) 2^-53 to be safe.
    formula_slack = (n_features + 4) * 2.0**-51
    u = 2.0**-24 if X.dtype == np.float32 else 2.0**-53
    gamma = n_features * u / (1 - n_features * u)
    shift64 = shift.astype(np.float64)
    screen_a = gamma * (1 + u) + u * (1 + u)
    screen_b = (gamma + (n_features + 2) * 2.0**-53) * np.sqrt(shift64 @ shift64)
    return formula_slack, screen_a, screen_b, shift64


def _screens(X):
    """Whether k-means++ on dense ``X`` prunes by the screen rather than computing every entry.

    From SCREEN_MIN_FEATURES features on, on data of more than
    UNSCREENED_MAX_BYTES; with fewer features, where the packed rows that every
    entry is computed from would exceed kmlab._lloyd.PACKED_BYTES.
    """
    if X.shape[1] >= SCREEN_MIN_FEATURES:
        return X.nbytes > UNSCREENED_MAX_BYTES
    return not packs_rows(X)


def reads_packed_rows(X):
    """Whether k-means++ on ``X`` reads packed rows (:func:`kmlab._lloyd.packed_rows`): dense data without the screen.

    The Lloyd workspace then packs them for it, with the norms in the same pass.
    """
    return not sp.issparse(X) and not _screens(X)


def _product_widths(dtype, n_samples, n_features, n_candidates):
    """The widths of scikit-learn's candidate GEMMs, ``(n_candidates x d) @ (d x width)``.

    float64: one product over every sample.  float32: the chunks of rows of its
    ``_euclidean_distances_upcast`` (their size from its memory rule).
    """
    if np.dtype(dtype) != np.float32:
        return {n_samples}
    max_memory = max(((n_candidates + n_samples) * n_features + n_candidates * n_samples) / 10, 10 * 2**17)
    batch = max(int((-2 * n_features + math.sqrt((2 * n_features) ** 2 + 4 * max_memory)) / 2), 1)
    return {min(batch, n_samples), n_samples % batch} - {0}


@lru_cache(maxsize=None)
def chains_add_as_blas(dtype, n_samples, n_features, n_candidates):
    """Whether the k-means++ kernels' dot products (chains of fused multiply-adds in
    feature order) are the bits of scikit-learn's candidate GEMMs for this shape here.

    OpenBLAS sends small products to small-matrix kernels that add up otherwise
    (6 candidates x 112 samples x 32 features, say).  Checked once per shape on
    random numbers, on data whose rounds cost up to CHECKED_PRODUCT_MAX_WORK
    multiply-adds; larger data goes to its regular kernels, which add in order
    (but for a small last chunk of float32 rows, which is not checked).
    """
    if n_candidates == 1 or n_candidates * n_samples * n_features > CHECKED_PRODUCT_MAX_WORK:
        # One candidate: the kernels make numpy's GEMV call (kernel_rounds_supported).
        return True
    rng = np.random.default_rng(0)
    for width in _product_widths(dtype, n_samples, n_features, n_candidates):
        candidates = rng.standard_normal((n_candidates, n_features))
        rows = rng.standard_normal((width, n_features))
        if not np.array_equal(candidates @ rows.T, chained_products(candidates, rows)):
            return False
    return True


def _euclidean_distances(candidates, rows, rows_sqnorms):
    """The squared distances scikit-learn's k-means++ computes: its own (private) function,
    called as it calls it (``rows_sqnorms`` in the rows' dtype, as its ``row_norms``)."""
    from sklearn.metrics.pairwise import _euclidean_distances as sklearn_euclidean_distances

    return sklearn_euclidean_distances(candidates, rows, Y_norm_squared=rows_sqnorms, squared=True)


def _packed_rows(X, shift, packed=None):
    """The dense rows as the k-means++ kernels read them when they compute every entry.

    Without the screen: :func:`kmlab._lloyd.packed_rows` (``packed`` when the
    caller has it).  The screen reads X itself: an empty array.
    """
    if _screens(X):
        return np.empty((0, 1, 1), dtype=X.dtype)
    return packed_rows(X, shift) if packed is None else packed


class _CandidateDistances:
    """Squared distances from candidate samples to all samples, scikit-learn's bits.

    One object serves one k-means++ run: ``self(ids, closest, out)`` fills
    ``out[j] = min(closest, ||x - X[ids[j]]||^2)`` and :meth:`add_center` makes
    a candidate a centre.  Large dense data with ``SCREEN_MIN_FEATURES``
    features or more (or too many rows to pack, :func:`_screens`) skips the exact dot
    product of the pairs whose entry is provably ``closest`` (see
    :mod:`kmlab._kernels.seeding`), by a screen: ``g = x.c``
    on the raw rows, in X's dtype, summed in any order (unit roundoff u,
    gamma = d u / (1 - d u)).
    With ``o`` the offset and ``xt = fl(x - o)``,
    ``|xt.c - (g - o.c)| <= ||c|| (a ||xt|| + b)`` where
    ``a = gamma (1 + u) + u (1 + u)`` (the screen's sums, the centring's rounding) and
    ``b = (gamma + gamma64) ||o||``; so ``||xt - c||^2 >= closest`` when
    ``(1 - s) ||xt||^2 - closest + terms - coefs ||xt|| >= 2 g``, with
    ``terms = (1 - s) ||c||^2 + 2 o.c - 2 b ||c||``, ``coefs = 2 a ||c||`` and
    ``s`` the formula's slack (the norms' and the exact formula's rounding).
    """

    def __init__(self, X, shift, x_sqnorms64, packed=None, blas=False):
        self.X, self.shift, self.x_sqnorms64 = X, shift, x_sqnorms64
        self.n_centers = 0
        # Dense data whose products the chains do not add up as BLAS does
        # (chains_add_as_blas; small data only): scikit-learn's own computation.
        self.blas = blas
        if blas:
            self.centred = X - shift
            self.centred_sqnorms = row_norms(self.centred, squared=True)
            return
        self.blocks = block_starts(X.shape[0])
        dense = not sp.issparse(X)
        self.screen = dense and _screens(X)
        if dense:
            self.formula_slack, self.screen_a, self.screen_b, self.shift64 = _prune_constants(X, shift)
        self.x_norms = np.sqrt(x_sqnorms64) if self.screen else x_sqnorms64[:0]
        self.packed = _packed_rows(X, shift, packed) if dense else None

    def __call__(self, ids, closest, out):
        X, shift, x_sqnorms64 = self.X, self.shift, self.x_sqnorms64
        if self.blas:
            distances = _euclidean_distances(self.centred[ids], self.centred, self.centred_sqnorms)
            np.minimum(closest, distances, out=out)
            return
        n_candidates, n_features = len(ids), X.shape[1]
        if sp.issparse(X) or n_candidates == 1:
            candidates = _rows(X, ids, shift, np.float64)
        if sp.issparse(X):
            # scikit-learn passes the first centre as a dense row (norm by einsum)
            # and the candidates as sparse rows (csr_row_norms): so do we.
            if self.n_centers == 0:
                cand_sqnorms = np.einsum("ij,ij->i", candidates, candidates)
            else:
                cand_rows = X[ids]
                cand_sqnorms = np.empty(n_candidates)
                row_sqnorms_sparse(cand_rows.data, cand_rows.indptr, cand_sqnorms)
            threads_for(n_candidates * X.nnz)
            closest_sq_distances_sparse(
                X.data, X.indices, X.indptr, x_sqnorms64, candidates, cand_sqnorms, closest, out
            )
            return
        if n_candidates == 1:
            _one_candidate_sq_distances(X, shift, x_sqnorms64, candidates, closest, out[0], self.blocks)
            return
        # The candidates transposed, and the screen's bounds.
        candidates_t = np.empty((n_features, n_candidates))
        cand_sqnorms = np.empty(n_candidates)
        screen_lanes, screen_terms, screen_coefs = empty_screen(X, n_candidates, self.screen)
        prepare_candidates_dense(
            X, shift, ids, x_sqnorms64, self.shift64, self.screen_a, self.screen_b, self.formula_slack,
            candidates_t, cand_sqnorms, screen_lanes, screen_terms, screen_coefs,
        )  # fmt: skip
        threads_for(n_candidates * X.size)
        closest_sq_distances_dense(
            X, shift, x_sqnorms64, self.x_norms, candidates_t, cand_sqnorms, closest, screen_lanes, screen_terms,
            screen_coefs, self.formula_slack, self.packed, self.blocks, out,
        )  # fmt: skip

    def add_center(self, sq_distances, closest):
        """Make a candidate a centre; ``sq_distances``: min(closest, its squared distances)."""
        closest[:] = sq_distances
        self.n_centers += 1


@lru_cache(maxsize=None)
def kernel_rounds_supported(dtype):
    """Whether numba's BLAS products give numpy's bits for ``dtype`` on this machine.

    The k-means++ rounds kernel (:func:`kmlab._kernels.seeding.greedy_kmeans_plusplus_dense`)
    makes the GEMV and DOT calls numpy makes for ``distances @ sample_weight``
    and ``candidate @ rows.T``, through the BLAS scipy exposes to numba; numpy
    may carry another one.  Checked once per process on a few shapes: where the
    results differ, k-means++ keeps to the general rounds.
    """
    rng = np.random.default_rng(0)
    for n_rows, n_cols in [(2, 37), (3, 300), (5, 1000), (7, 2049)]:
        matrix = rng.uniform(0.0, 1.0, (n_rows, n_cols)).astype(dtype)
        vector = rng.uniform(0.0, 3.0, n_cols).astype(dtype)
        out = np.empty(n_rows, dtype=dtype)
        first = blas_products(matrix, vector, out)
        if not np.array_equal(out, (matrix @ vector.reshape(-1, 1))[:, 0]) or first != (matrix[:1] @ vector)[0]:
            return False
    for n_rows, n_cols in [(300, 2), (1000, 9), (50, 64)]:
        rows = rng.standard_normal((n_rows, n_cols))
        out = np.empty(n_rows)
        blas_products(rows, rows[0], out)
        if not np.array_equal(out, (rows[:1] @ rows.T)[0]):
            return False
    return True


def rounds_in_kernel(X):
    """Whether :func:`greedy_kmeans_plusplus` runs its rounds in kernel calls rather than from Python.

    It does for dense data, where numba's BLAS rounds as numpy's
    (:func:`kernel_rounds_supported`).  The centres are the same either way.
    """
    return not sp.issparse(X) and kernel_rounds_supported(X.dtype)


def greedy_kmeans_plusplus(
    X, n_clusters, sample_weight, random_state, x_sqnorms64=None, n_local_trials=None, *, offset=None, packed=None,
    kernel_rounds=None,
):  # fmt: skip
    """Greedy k-means++ on valid input; scikit-learn's draws and centres, bit for bit.

    The first centre is drawn with probability proportional to the weights; each
    next one is the best of ``n_local_trials`` candidates drawn proportionally to
    the weighted squared distance to the closest centre so far (searching the
    cumulative potential), "best" meaning the lowest potential once added.

    A draw falls between two samples' cumulative potentials, so one ulp in a
    float32 sum can move it to the next sample: every distance is scikit-learn's
    float value (see :mod:`kmlab._kernels.seeding`), the cumulative sum adds the
    same rounded products in the same order as numpy's ``cumsum``
    (:func:`~kmlab._kernels.seeding.draw_candidates`), and the candidates'
    potentials are the same numpy product on the same arrays.  The kernels add
    each dot product in order, as OpenBLAS's GEMM kernels do on x86-64 up to a
    few hundred features; small products (6 candidates x 112 samples x 32
    features, say) go to its small-matrix kernels, which add up otherwise, and
    a distance one bit off would change a pick among exactly tied samples
    (duplicates, grids): those shapes are found by a check and take
    scikit-learn's own computation (:func:`chains_add_as_blas`; not a small last
    chunk of large float32 data, whose products scikit-learn makes chunk by
    chunk).  With one candidate (the first
    centre) scikit-learn's float64 product is a GEMV whose last bit depends on
    its BLAS thread count; kmlab gives its one-thread result whatever
    ``n_threads``.

    Dense data (:func:`rounds_in_kernel`) runs its rounds in kernel calls,
    :func:`kmlab._kernels.seeding.greedy_kmeans_plusplus_dense`, on the same
    values and with the same draws: the same centres, without the Python
    overhead of a round.  Small dense data whose products OpenBLAS adds up
    otherwise than the kernels (:func:`chains_add_as_blas`) takes scikit-learn's
    own distance computation instead, round by round.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Valid float32/float64 data, C-ordered.
    n_clusters : int
        Number of centres, at most n_samples.
    sample_weight : ndarray of shape (n_samples,), dtype of X
        Non-negative weights, not all zero.
    random_state : RandomState
        The draws.
    x_sqnorms64 : ndarray of shape (n_samples,), default=None
        ``row_sqnorms64(X, offset)``, when the caller has it already (the
        candidates' squared norms are read from it).
    n_local_trials : int, default=None
        Candidates per centre after the first; None: ``2 + int(log(n_clusters))``.
    offset : ndarray of shape (n_features,), dtype of X, default=None
        Dense data only: seed ``X - offset`` (computed in X's dtype) without
        forming it.  None: seed ``X``.
    packed : ndarray, default=None
        ``kmlab._lloyd.packed_rows(X, offset)``, when the caller has it
        already (read by dense data without the screen, see ``_screens``).
    kernel_rounds : bool, default=None
        Dense data only: run the rounds in kernel calls (True) or one by one
        from Python (False, the general rounds: the same centres).  None:
        :func:`rounds_in_kernel` decides.  Shapes that need scikit-learn's own
        distances (:func:`chains_add_as_blas`) take the general rounds.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), dtype of X
        Rows of ``X - offset``.
    indices : ndarray of shape (n_clusters,)
        Their positions in X.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab._init import greedy_kmeans_plusplus
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> weights = np.ones(6)
    >>> centers, indices = greedy_kmeans_plusplus(X, 2, weights, np.random.RandomState(0))
    >>> indices
    array([3, 2])
    >>> centers, _ = greedy_kmeans_plusplus(
    ...     X, 2, weights, np.random.RandomState(0), offset=X.mean(axis=0))
    >>> centers
    array([[ 4.5,  0. ],
           [-4.5, -2. ]])
    """
    shift = _shift(X, offset)
    n_samples = X.shape[0]
    if x_sqnorms64 is None:
        x_sqnorms64 = row_sqnorms64(X, offset)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    total_weight = sample_weight.sum()
    blas = not sp.issparse(X) and not chains_add_as_blas(X.dtype, n_samples, X.shape[1], n_local_trials)
    if kernel_rounds is None:
        kernel_rounds = rounds_in_kernel(X)
    kernel_rounds = kernel_rounds and not blas
    # An overflowing total makes RandomState.choice raise: the general rounds let it.
    if kernel_rounds and math.isfinite(total_weight):
        return _kernel_rounds(
            X, n_clusters, sample_weight, total_weight, random_state, x_sqnorms64, n_local_trials, shift, packed
        )

    indices = np.full(n_clusters, -1, dtype=np.int64)
    if math.isfinite(total_weight):
        indices[0] = legacy_weighted_choice(sample_weight / total_weight, random_state.random_sample())
    else:
        indices[0] = random_state.choice(n_samples, p=sample_weight / total_weight)  # its error
    sq_distances = _CandidateDistances(X, shift, x_sqnorms64, packed, blas=blas)
    closest = np.full(n_samples, np.inf, dtype=X.dtype)
    first = np.empty((1, n_samples), dtype=X.dtype)
    sq_distances(indices[:1], closest, first)
    sq_distances.add_center(first[0], closest)
    current_pot = first @ sample_weight

    # Buffers reused by every round: scikit-learn allocates these arrays anew.
    distances = np.empty((n_local_trials, n_samples), dtype=X.dtype)
    candidate_ids = np.empty(n_local_trials, dtype=np.int64)
    weight_column = sample_weight.reshape(-1, 1)
    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        draw_candidates(sample_weight, closest, rand_vals, candidate_ids)
        sq_distances(candidate_ids, closest, distances)
        candidates_pot = distances @ weight_column
        best = np.argmin(candidates_pot)
        current_pot = candidates_pot[best]
        indices[c] = candidate_ids[best]
        sq_distances.add_center(distances[best], closest)
    return _rows(X, indices, shift), indices


def _kernel_rounds(
    X, n_clusters, sample_weight, total_weight, random_state, x_sqnorms64, n_local_trials, shift, packed
):
    """:func:`greedy_kmeans_plusplus`'s centres and indices from the rounds kernel, dense data.

    Each call runs as many rounds as cost fewer than SEEDING_CALL_MAX_WORK
    multiply-adds (at least one); the rounds' blocks run in parallel from
    PARALLEL_SEEDING_MIN_WORK multiply-adds per round on.
    """
    # scikit-learn's draws, in its order and drawn at once: choice's one
    # uniform, then each round's (uniform(0, 1) is 0 + 1 * random_sample()).
    draws = random_state.random_sample(1 + (n_clusters - 1) * n_local_trials)
    screen = _screens(X)
    if screen:
        formula_slack, screen_a, screen_b, shift64 = _prune_constants(X, shift)
        x_norms = np.sqrt(x_sqnorms64)
    else:  # read by the screen only
        formula_slack, screen_a, screen_b, shift64, x_norms = 0.0, 0.0, 0.0, np.empty(0), np.empty(0)
    round_work = n_local_trials * X.size
    rounds_per_call = max(1, SEEDING_CALL_MAX_WORK // round_work)
    parallel = round_work >= PARALLEL_SEEDING_MIN_WORK
    kernel = greedy_kmeans_plusplus_dense_parallel if parallel else greedy_kmeans_plusplus_dense
    # The serial build goes through its blocks one after the other: one will do.
    blocks = block_starts(X.shape[0]) if parallel else np.array([0, X.shape[0]], dtype=np.int64)
    indices = np.empty(n_clusters, dtype=np.int64)
    centers = np.empty((n_clusters, X.shape[1]), dtype=X.dtype)
    closest = np.full(X.shape[0], np.inf, dtype=X.dtype)
    distances = np.empty((n_local_trials, X.shape[0]), dtype=X.dtype)
    probabilities, round_draws = sample_weight / total_weight, draws[1:].reshape(n_clusters - 1, n_local_trials)
    packed = _packed_rows(X, shift, packed)
    potential = 0.0
    for first_round in range(0, n_clusters, rounds_per_call):
        if parallel:
            threads_for(round_work)
        stop_round = min(first_round + rounds_per_call, n_clusters)
        potential = kernel(
            X, shift, sample_weight, probabilities, x_sqnorms64, x_norms, draws[0], round_draws, shift64, screen_a,
            screen_b, formula_slack, screen, packed, blocks, first_round, stop_round, indices, closest, potential,
            distances, centers,
        )  # fmt: skip
    return centers, indices


def _nearest_candidates(X, shift, x_sqnorms64, ids, first_label, closest, nearest, blocks):
    """Lower ``closest``/``nearest`` (float64, labels) with the samples ``ids`` as candidates."""
    block = max(1, min(_CANDIDATE_BLOCK, _SCRATCH_BYTES // (8 * X.shape[1])))
    for start in range(0, len(ids), block):
        part = ids[start : start + block]
        candidates = _rows(X, part, shift)
        upcast = candidates.astype(np.float64)
        cand_sqnorms = np.einsum("ij,ij->i", upcast, upcast)
        if sp.issparse(X):
            threads_for(len(part) * X.nnz)
            nearest_candidate_sparse(
                X.data, X.indices, X.indptr, x_sqnorms64, upcast, cand_sqnorms, first_label + start, closest, nearest
            )
        else:
            threads_for(len(part) * X.size)
            nearest_candidate_dense(
                X, shift, x_sqnorms64, np.ascontiguousarray(candidates.T), cand_sqnorms, first_label + start,
                blocks, closest, nearest,
            )  # fmt: skip


def _weighted_choice(random_state, weights):
    """One index drawn with probability proportional to ``weights`` (float64)."""
    return random_state.choice(weights.shape[0], p=weights / weights.sum())


def kmeans_parallel(
    X, n_clusters, sample_weight, random_state, offset=None, *, x_sqnorms64=None, n_rounds=5, oversampling=None
):
    """k-means|| seeding (Bahmani et al., 2012), weighted.

    A first candidate is drawn by weight; then, in each of ``n_rounds`` rounds,
    every sample becomes a candidate independently with probability
    ``min(1, oversampling * w d^2 / potential)``, ``d`` being its distance to
    the nearest candidate so far and the potential the sum of ``w d^2``.  Each
    candidate is weighted by the samples nearest to it, and greedy k-means++ on
    the weighted candidates picks the centres.  A round compares the samples
    with a whole batch of candidates by GEMM (in X's dtype), instead of one
    centre at a time: with many clusters this is faster than k-means++, for
    centres of similar quality.  The centres differ from scikit-learn's.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Valid float32/float64 data, C-ordered.
    n_clusters : int
        Number of centres, at most n_samples.
    sample_weight : ndarray of shape (n_samples,), dtype of X
        Non-negative weights, not all zero.
    random_state : int, RandomState instance or None
        The draws: the same seed gives the same centres, whatever the number of
        threads.
    offset : ndarray of shape (n_features,), dtype of X, default=None
        Dense data only: seed ``X - offset`` (computed in X's dtype) without
        forming it.
    x_sqnorms64 : ndarray of shape (n_samples,), default=None
        ``row_sqnorms64(X, offset)``, when the caller has it already.
    n_rounds : int, default=5
        Sampling rounds.
    oversampling : float, default=None
        Expected candidates per round (the paper's l); None: ``2 * n_clusters``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), dtype of X
        Rows of ``X - offset``.  When the rounds find fewer than ``n_clusters``
        candidates (data with few distinct samples), greedy k-means++ on the
        whole data gives the centres instead.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab._init import kmeans_parallel
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> centers = kmeans_parallel(X, 2, np.ones(6), random_state=0)
    >>> sorted(centers[:, 0].tolist())
    [1.0, 10.0]
    """
    from sklearn.utils import check_random_state  # here: quantize's k-means++ path runs without scikit-learn

    random_state = check_random_state(random_state)
    shift = _shift(X, offset)
    n_samples = X.shape[0]
    oversampling = 2.0 * n_clusters if oversampling is None else oversampling
    weights = sample_weight.astype(np.float64)
    if x_sqnorms64 is None:
        x_sqnorms64 = row_sqnorms64(X, offset)
    blocks = block_starts(n_samples)

    closest = np.full(n_samples, np.inf)
    nearest = np.zeros(n_samples, dtype=np.int64)
    chosen = [np.array([_weighted_choice(random_state, weights)])]
    _nearest_candidates(X, shift, x_sqnorms64, chosen[0], 0, closest, nearest, blocks)
    n_chosen = 1
    for _ in range(n_rounds):
        weighted = weights * closest
        potential = weighted.sum()
        if potential == 0:  # every sample sits on a candidate
            break
        # A sample on a candidate has d = 0: candidates are never drawn twice.
        new = np.flatnonzero(random_state.uniform(size=n_samples) < oversampling * weighted / potential)
        _nearest_candidates(X, shift, x_sqnorms64, new, n_chosen, closest, nearest, blocks)
        chosen.append(new)
        n_chosen += new.size
    if n_chosen < n_clusters:
        return greedy_kmeans_plusplus(X, n_clusters, sample_weight, random_state, x_sqnorms64, offset=offset)[0]
    ids = np.concatenate(chosen)
    cand_weights = np.bincount(nearest, weights=weights, minlength=n_chosen).astype(X.dtype)
    candidates = X[ids] if sp.issparse(X) else _rows(X, ids, shift)
    _, picked = greedy_kmeans_plusplus(candidates, n_clusters, cand_weights, random_state)
    return _rows(X, ids[picked], shift)


def afk_mc2(X, n_clusters, sample_weight, random_state, offset=None, *, x_sqnorms64=None, chain_length=200):
    """Assumption-free K-MC² seeding (Bachem et al., 2016), weighted.

    An approximation of k-means++ sampling that does not scan the data for each
    centre.  After the first centre (drawn by weight), one pass over the data
    builds the proposal distribution
    ``q(x) = w(x) d(x, c_1)^2 / (2 sum w d^2) + w(x) / (2 sum w)``; each next
    centre is the state reached by a Metropolis-Hastings chain of
    ``chain_length`` proposals drawn from ``q``, whose target is k-means++'s
    distribution (weight times squared distance to the nearest centre).  Only
    the proposals are compared with the centres: after the first pass the cost
    is O(chain_length * n_clusters^2 * n_features), whatever the number of
    samples.  The centres differ from scikit-learn's k-means++.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Valid float32/float64 data, C-ordered.
    n_clusters : int
        Number of centres, at most n_samples.
    sample_weight : ndarray of shape (n_samples,), dtype of X
        Non-negative weights, not all zero.
    random_state : int, RandomState instance or None
        The draws: the same seed gives the same centres, whatever the number of
        threads.
    offset : ndarray of shape (n_features,), dtype of X, default=None
        Dense data only: seed ``X - offset`` (computed in X's dtype) without
        forming it.
    x_sqnorms64 : ndarray of shape (n_samples,), default=None
        ``row_sqnorms64(X, offset)``, when the caller has it already.
    chain_length : int, default=200
        Proposals per centre (the paper's m).

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), dtype of X
        Rows of ``X - offset``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab._init import afk_mc2
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> centers = afk_mc2(X, 2, np.ones(6), random_state=0)
    >>> sorted(centers[:, 0].tolist())
    [1.0, 10.0]
    """
    from sklearn.utils import check_random_state  # here: quantize's k-means++ path runs without scikit-learn

    random_state = check_random_state(random_state)
    shift = _shift(X, offset)
    n_samples = X.shape[0]
    weights = sample_weight.astype(np.float64)
    if x_sqnorms64 is None:
        x_sqnorms64 = row_sqnorms64(X, offset)

    indices = np.empty(n_clusters, dtype=np.int64)
    indices[0] = _weighted_choice(random_state, weights)
    first_sq_dist = np.full(n_samples, np.inf)
    labels = np.zeros(n_samples, dtype=np.int64)
    _nearest_candidates(X, shift, x_sqnorms64, indices[:1], 0, first_sq_dist, labels, block_starts(n_samples))
    proposal = weights / (2.0 * weights.sum())
    weighted = weights * first_sq_dist
    if weighted.sum() > 0:
        proposal += weighted / (2.0 * weighted.sum())
    else:  # every sample sits on the first centre
        proposal *= 2.0
    cumulative = np.cumsum(proposal)

    centers64 = np.empty((n_clusters, X.shape[1]))
    centers64[0] = _rows(X, indices[:1], shift, np.float64)[0]
    center_sqnorms = np.empty(n_clusters)
    center_sqnorms[0] = centers64[0] @ centers64[0]
    chain = np.empty(chain_length, dtype=np.int64)
    for c in range(1, n_clusters):
        # 1 - uniform lies in (0, 1]: a draw never lands on a sample of zero proposal.
        search_cumulative(cumulative, (1.0 - random_state.uniform(size=chain_length)) * cumulative[-1], chain)
        rows = X[chain] if sp.issparse(X) else _rows(X, chain, shift, np.float64)
        # Squared distances of the proposals to their nearest centre, by the norms
        # expansion (one product): only the proposals are compared with the centres.
        sq_dist = (rows @ centers64[:c].T) * -2.0
        sq_dist += center_sqnorms[:c]
        sq_dist = np.maximum(sq_dist.min(axis=1) + x_sqnorms64[chain], 0.0)
        # Metropolis-Hastings with an independent proposal: move from x to y with
        # probability min(1, pi(y) q(x) / (pi(x) q(y))), pi = w d^2.
        ratio = weights[chain] * sq_dist / proposal[chain]
        accept = random_state.uniform(size=chain_length)
        state = 0
        for j in range(1, chain_length):
            if ratio[state] == 0 or ratio[j] >= accept[j] * ratio[state]:
                state = j
        indices[c] = chain[state]
        centers64[c] = _rows(X, chain[state : state + 1], shift, np.float64)[0]
        center_sqnorms[c] = centers64[c] @ centers64[c]
    return _rows(X, indices, shift)


# The seedings KMeans(init=...) offers besides 'k-means++' and 'random', by name.
SEEDINGS = {"k-means||": kmeans_parallel, "afk-mc2": afk_mc2}
