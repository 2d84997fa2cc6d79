"""kmlab.KMeans and kmlab.k_means: scikit-learn's answers, hand-computed cases, invariants."""

import warnings

import naive
import numba
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.cluster
from testdata import blobs, positive_weights, sparsify
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import kmlab
from kmlab import KMeans, k_means

# --- helpers -----------------------------------------------------------------


def dense_rows(X, indices):
    return naive.dense(X)[indices]


def pick_rows(X, n_clusters, random_state):
    """An init callable: distinct random samples, as a dense array."""
    return dense_rows(X, random_state.choice(X.shape[0], n_clusters, replace=False))


def resolve_init(init, X, n_clusters, seed):
    """'array' becomes perturbed random samples; 'callable' becomes :func:`pick_rows`."""
    if init == "array":
        rng = np.random.RandomState(seed)
        return dense_rows(X, rng.choice(X.shape[0], n_clusters, replace=False)) + rng.normal(
            scale=0.1, size=(n_clusters, X.shape[1])
        )
    if init == "callable":
        return pick_rows
    return init


def fit_both(X, sample_weight=None, **params):
    """Fit kmlab's and scikit-learn's KMeans with the same parameters."""
    ours = KMeans(**params).fit(X, sample_weight=sample_weight)
    theirs = sklearn.cluster.KMeans(**params).fit(X, sample_weight=sample_weight)
    return ours, theirs


def assert_same_fit(ours, theirs):
    """scikit-learn's promise in float64: same labels and n_iter_, inertia to 1e-6."""
    assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-6)
    scale = np.abs(theirs.cluster_centers_).max()
    assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-6, atol=1e-9 * scale)


def assert_identical_fit(a, b):
    """Bit for bit."""
    assert_array_equal(a.labels_, b.labels_)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_
    assert a.n_iter_ == b.n_iter_


def separated_blobs(seed, n_samples=300, n_features=3, n_clusters=5, dtype=np.float64):
    """Blobs 20 standard deviations apart: every method finds the same partition."""
    centers = np.zeros((n_clusters, n_features))
    centers[:, 0] = 20.0 * np.arange(n_clusters)
    return blobs(seed, n_samples=n_samples, n_features=n_features, centers=centers, cluster_std=1.0, dtype=dtype)


# --- the same answer as scikit-learn ------------------------------------------

SHAPES = [(60, 2, 3), (250, 5, 6), (700, 3, 10)]
INIT_CASES = [
    ("k-means++", 1),
    ("k-means++", 3),
    ("random", 1),
    ("random", 3),
    ("array", 1),
    ("callable", 1),
    ("callable", 3),
]


@pytest.mark.parametrize("init, n_init", INIT_CASES, ids=[f"{i}-n_init{n}" for i, n in INIT_CASES])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fit_matches_sklearn(seed, shape, init, n_init):
    n_samples, n_features, n_clusters = shape
    X = blobs(seed, n_samples=n_samples, n_features=n_features, centers=n_clusters)
    ours, theirs = fit_both(
        X, n_clusters=n_clusters, init=resolve_init(init, X, n_clusters, seed), n_init=n_init, random_state=seed
    )
    assert_same_fit(ours, theirs)


@pytest.mark.parametrize("init", ["k-means++", "random", "array", "callable"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_fit_with_weights_and_sparse_matches_sklearn(seed, container, weighted, init):
    X = blobs(seed, n_samples=250, n_features=5, centers=6)
    if container == "sparse":
        X = sparsify(X, seed)
    weights = positive_weights(250, seed) if weighted else None
    ours, theirs = fit_both(X, weights, n_clusters=6, init=resolve_init(init, X, 6, seed), random_state=seed)
    assert_same_fit(ours, theirs)


@pytest.mark.parametrize("return_n_iter", [False, True])
def test_k_means_function_matches_sklearn(seed, return_n_iter):
    X = blobs(seed)
    weights = positive_weights(X.shape[0], seed)
    ours = k_means(X, 4, sample_weight=weights, random_state=seed, return_n_iter=return_n_iter)
    theirs = sklearn.cluster.k_means(X, 4, sample_weight=weights, random_state=seed, return_n_iter=return_n_iter)
    assert len(ours) == len(theirs) == (4 if return_n_iter else 3)
    assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert_array_equal(ours[1], theirs[1])
    assert ours[2] == pytest.approx(theirs[2], rel=1e-6)
    if return_n_iter:
        assert ours[3] == theirs[3]


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_float32_close_to_sklearn_on_separated_data(seed, container):
    X = separated_blobs(seed, dtype=np.float32)
    if container == "sparse":
        X = sparsify(X, seed, density=0.8)
    ours, theirs = fit_both(X, n_clusters=5, random_state=seed)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype == np.float32
    assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-4)
    assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-4, atol=1e-4)


def test_float32_inertia_close_to_sklearn_on_overlapping_data(seed):
    X = blobs(seed, n_samples=400, n_features=4, centers=6, dtype=np.float32)
    ours, theirs = fit_both(X, n_clusters=6, random_state=seed)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-4)


# --- hand-computed cases --------------------------------------------------------

TOY_X = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
TOY_INIT = np.array([[0.0, 0.0], [10.0, 0.0]])


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize(
    "X, init, sample_weight, centers, labels, inertia",
    [
        # two pairs: each centre at the middle of its pair, every point 1 away
        (TOY_X, TOY_INIT, None, [[0.0, 1.0], [10.0, 1.0]], [0, 0, 1, 1], 4.0),
        # weight 3 on (0, 2): centre (0, 1.5); 1 * 1.5^2 + 3 * 0.5^2 + 1 + 1
        (TOY_X, TOY_INIT, [1.0, 3.0, 1.0, 1.0], [[0.0, 1.5], [10.0, 1.0]], [0, 0, 1, 1], 5.0),
        # one feature: means 2 and 11, squared deviations 1 + 0 + 1 twice
        (np.array([[1.0], [2.0], [3.0], [10.0], [11.0], [12.0]]), np.array([[0.0], [20.0]]), None,
         [[2.0], [11.0]], [0, 0, 0, 1, 1, 1], 4.0),
        # one cluster: the mean (2, 2), each corner 2^2 + 2^2 = 8 away
        (np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]]), np.array([[1.0, 1.0]]), None,
         [[2.0, 2.0]], [0, 0, 0, 0], 32.0),
    ],
    ids=["pairs", "pairs-weighted", "one-feature", "one-cluster"],
)  # fmt: skip
def test_hand_computed_toy_cases(X, init, sample_weight, centers, labels, inertia, container):
    data = sp.csr_matrix(X) if container == "sparse" else X
    km = KMeans(n_clusters=len(init), init=init, n_init=1).fit(data, sample_weight=sample_weight)
    assert_allclose(km.cluster_centers_, centers, atol=1e-12)
    assert_array_equal(km.labels_, labels)
    assert km.inertia_ == pytest.approx(inertia, rel=1e-12)
    assert km.score(data, sample_weight=sample_weight) == pytest.approx(-inertia, rel=1e-12)


def test_docstring_example_from_sklearn():
    X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    km = KMeans(n_clusters=2, random_state=0).fit(X)
    assert_array_equal(km.labels_, [1, 1, 1, 0, 0, 0])
    assert_allclose(km.cluster_centers_, [[10.0, 2.0], [1.0, 2.0]])
    assert km.inertia_ == pytest.approx(16.0)
    assert_array_equal(km.predict([[0, 0], [12, 3]]), [1, 0])


# --- invariants and API ---------------------------------------------------------


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_integer_weights_equal_repeated_samples(seed, container):
    X = blobs(seed, n_samples=120)
    repeats = np.random.RandomState(seed).randint(1, 4, size=120)
    init = resolve_init("array", X, 4, seed)
    X_repeated = np.repeat(X, repeats, axis=0)
    if container == "sparse":
        X, X_repeated = sp.csr_matrix(X), sp.csr_matrix(X_repeated)
    # tol=0: scikit-learn's tolerance scales with the (unweighted) variance of X
    weighted = KMeans(4, init=init, tol=0).fit(X, sample_weight=repeats)
    repeated = KMeans(4, init=init, tol=0).fit(X_repeated)
    assert_array_equal(np.repeat(weighted.labels_, repeats), repeated.labels_)
    assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-10)
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-10)
    assert weighted.n_iter_ == repeated.n_iter_


def test_unit_weights_equal_no_weights_and_scaling_weights_scales_inertia(seed):
    X = blobs(seed)
    plain = KMeans(4, random_state=seed).fit(X)
    unit = KMeans(4, random_state=seed).fit(X, sample_weight=np.ones(X.shape[0]))
    scaled = KMeans(4, random_state=seed).fit(X, sample_weight=np.full(X.shape[0], 2.5))
    assert_identical_fit(plain, unit)
    assert_array_equal(scaled.labels_, plain.labels_)
    assert_allclose(scaled.cluster_centers_, plain.cluster_centers_, rtol=1e-12)
    assert scaled.inertia_ == pytest.approx(2.5 * plain.inertia_, rel=1e-12)


def test_dense_and_sparse_give_the_same_clustering(seed):
    X = blobs(seed, n_samples=300, n_features=4, centers=5)
    dense = KMeans(5, random_state=seed).fit(X)
    sparse = KMeans(5, random_state=seed).fit(sp.csr_matrix(X))
    assert_array_equal(dense.labels_, sparse.labels_)
    assert dense.n_iter_ == sparse.n_iter_
    assert_allclose(dense.cluster_centers_, sparse.cluster_centers_, rtol=1e-10, atol=1e-12)
    assert dense.inertia_ == pytest.approx(sparse.inertia_, rel=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wide_sparse_rows_few_or_many_give_the_same_labels(seed, dtype):
    """A few rows read the centres in place, many read a feature-major copy: the same sums, the same labels."""
    X = sp.random(400, 3000, density=0.01, format="csr", random_state=seed, dtype=dtype)
    model = KMeans(6, random_state=seed).fit(X)
    few = X[:5]
    assert 4 * few.nnz < X.shape[1] <= 4 * X.nnz
    labels, distances = model.predict(X), model.transform(X)
    assert_array_equal(model.predict(few), labels[:5])
    assert_array_equal(labels, model.labels_)
    assert model.score(few) == pytest.approx(-np.sum(distances[np.arange(5), labels[:5]] ** 2), rel=1e-5)


def non_canonical_csr(X, kind):
    """X as a CSR matrix with each row's entries reversed, or each entry split in two halves."""
    A = sp.csr_matrix(X)
    if kind == "unsorted-indices":
        for i in range(A.shape[0]):
            row = slice(A.indptr[i], A.indptr[i + 1])
            A.indices[row], A.data[row] = A.indices[row][::-1].copy(), A.data[row][::-1].copy()
        A.has_sorted_indices = False
        return A
    # duplicate entries: a CSR matrix stands for the sum of its entries at the same place
    data = np.repeat(A.data / 2, 2)
    B = sp.csr_matrix((data, np.repeat(A.indices, 2), A.indptr * 2), shape=A.shape)
    assert not B.has_canonical_format
    return B


@pytest.mark.parametrize("kind", ["unsorted-indices", "duplicate-entries"])
def test_non_canonical_csr_equals_dense(seed, kind):
    X = blobs(seed, n_samples=100, centers=3)  # exact halves: X / 2 + X / 2 == X
    init = resolve_init("array", X, 3, seed)
    dense = KMeans(3, init=init).fit(X)
    sparse = KMeans(3, init=init).fit(non_canonical_csr(X, kind))
    assert_array_equal(sparse.labels_, dense.labels_)
    assert_allclose(sparse.cluster_centers_, dense.cluster_centers_, rtol=1e-10, atol=1e-12)
    assert sparse.inertia_ == pytest.approx(dense.inertia_, rel=1e-10)
    assert sparse.score(non_canonical_csr(X, kind)) == pytest.approx(-dense.inertia_, rel=1e-10)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_float32_close_to_float64(seed, container):
    X = separated_blobs(seed)
    X32 = X.astype(np.float32)
    if container == "sparse":
        X, X32 = sp.csr_matrix(X), sp.csr_matrix(X32)
    km64 = KMeans(5, random_state=seed).fit(X)
    km32 = KMeans(5, random_state=seed).fit(X32)
    assert km32.cluster_centers_.dtype == np.float32
    assert km64.cluster_centers_.dtype == np.float64
    assert_array_equal(km32.labels_, km64.labels_)
    assert_allclose(km32.cluster_centers_, km64.cluster_centers_, rtol=1e-5, atol=1e-5)
    assert km32.inertia_ == pytest.approx(km64.inertia_, rel=1e-4)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integers_become_float64(dtype):
    X = (blobs(0) * 10).astype(dtype)
    km = KMeans(4, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float64
    assert km.transform(X).dtype == np.float64
    assert_array_equal(km.labels_, KMeans(4, random_state=0).fit(X.astype(np.float64)).labels_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_float_dtype_is_kept(container, dtype):
    X = blobs(0, dtype=dtype)
    if container == "sparse":
        X = sparsify(X, 0)
    km = KMeans(4, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == dtype
    assert km.transform(X).dtype == dtype
    assert km.labels_.dtype == np.int32
    assert km.predict(X).dtype == np.int32
    assert km.fit_predict(X).dtype == np.int32


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_fit_predict_equals_fit_then_predict(seed, container, init):
    X = blobs(seed)
    if container == "sparse":
        X = sparsify(X, seed)
    fitted = KMeans(4, init=init, random_state=seed).fit(X)
    assert_array_equal(KMeans(4, init=init, random_state=seed).fit_predict(X), fitted.labels_)
    assert_array_equal(fitted.predict(X), fitted.labels_)


@pytest.mark.parametrize("max_iter", [1, 2, 300])
def test_labels_match_predict_whatever_max_iter(seed, max_iter):
    """The last E-step is redone when the loop stops early, so labels_ fit the centres."""
    X = blobs(seed, n_samples=400, centers=6)
    km = KMeans(6, max_iter=max_iter, random_state=seed).fit(X)
    assert_array_equal(km.labels_, km.predict(X))
    assert_array_equal(km.labels_, naive.assign(X, km.cluster_centers_))


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_transform_is_euclidean_distance_to_centres(seed, container):
    X = blobs(seed)
    if container == "sparse":
        X = sparsify(X, seed)
    km = KMeans(4, random_state=seed).fit(X)
    X_new = blobs(seed + 1, n_samples=30)
    assert_allclose(km.transform(X_new), np.sqrt(naive.sq_distances(X_new, km.cluster_centers_)), rtol=1e-10)
    assert_allclose(KMeans(4, random_state=seed).fit_transform(X), km.transform(X), rtol=1e-12)


@pytest.mark.parametrize("dtype, rel", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_score_is_minus_inertia_on_training_data(seed, weighted, dtype, rel):
    X = blobs(seed, dtype=dtype)
    weights = positive_weights(X.shape[0], seed) if weighted else None
    km = KMeans(4, random_state=seed).fit(X, sample_weight=weights)
    assert km.score(X, sample_weight=weights) == pytest.approx(-km.inertia_, rel=rel)


def test_score_on_new_data_is_minus_naive_inertia(seed):
    km = KMeans(4, random_state=seed).fit(blobs(seed))
    X_new = blobs(seed + 1, n_samples=50)
    weights = positive_weights(50, seed)
    labels = naive.assign(X_new, km.cluster_centers_)
    assert km.score(X_new, sample_weight=weights) == pytest.approx(
        -naive.inertia(X_new, km.cluster_centers_, labels, weights), rel=1e-10
    )


def test_same_random_state_gives_identical_results(seed):
    X = blobs(seed, n_samples=300, centers=5)
    for init in ("k-means++", "random"):
        first = KMeans(5, init=init, n_init=3, random_state=seed).fit(X)
        second = KMeans(5, init=init, n_init=3, random_state=np.random.RandomState(seed)).fit(X)
        assert_identical_fit(first, second)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_results_are_bit_identical_across_n_threads(container, dtype):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here")
    # large enough for the kernels to use both threads
    X = blobs(11, n_samples=40_000, n_features=4, centers=8, dtype=dtype)
    if container == "sparse":
        X = sparsify(X, 11)
    one = KMeans(8, random_state=11, n_threads=1).fit(X)
    two = KMeans(8, random_state=11, n_threads=2).fit(X)
    assert_identical_fit(one, two)
    assert_array_equal(one.predict(X), two.predict(X))
    assert one.score(X) == two.score(X)


def test_numba_thread_setting_changes_nothing_and_is_restored():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here")
    X = blobs(12, n_samples=40_000, n_features=4, centers=8)
    previous = numba.get_num_threads()
    fits = []
    try:
        for n_threads in (1, 2):
            numba.set_num_threads(n_threads)
            fits.append(KMeans(8, random_state=12).fit(X))
            assert numba.get_num_threads() == n_threads
            fits[-1].predict(X)
            assert numba.get_num_threads() == n_threads
    finally:
        numba.set_num_threads(previous)
    assert_identical_fit(*fits)


def test_n_init_auto(seed):
    X = blobs(seed, n_samples=150)
    for init, n_init in (("k-means++", 1), ("random", 10)):
        auto = KMeans(4, init=init, n_init="auto", random_state=seed).fit(X)
        explicit = KMeans(4, init=init, n_init=n_init, random_state=seed).fit(X)
        assert_identical_fit(auto, explicit)


def test_more_inits_never_increase_inertia(seed):
    X = blobs(seed, n_samples=300, centers=6)
    one = KMeans(6, init="random", n_init=1, random_state=seed).fit(X)
    many = KMeans(6, init="random", n_init=5, random_state=seed).fit(X)
    assert many.inertia_ <= one.inertia_ * (1 + 1e-12)


def test_copy_x_false_gives_the_same_result_and_restores_x(seed):
    X = blobs(seed) + 100.0
    X_copy = X.copy()
    reference = KMeans(4, random_state=seed).fit(X)
    in_place = KMeans(4, random_state=seed, copy_x=False).fit(X)
    assert_identical_fit(reference, in_place)
    assert_allclose(X, X_copy, rtol=1e-14)


def test_fit_does_not_modify_its_arguments():
    X = blobs(0)
    weights = positive_weights(X.shape[0], 0)
    init = resolve_init("array", X, 4, 0)
    copies = X.copy(), weights.copy(), init.copy()
    km = KMeans(4, init=init).fit(X, sample_weight=weights)
    for array, copy in zip((X, weights, init), copies):
        assert_array_equal(array, copy)
    centers = km.cluster_centers_.copy()
    km.predict(blobs(1))
    km.transform(blobs(1))
    assert_array_equal(km.cluster_centers_, centers)


def test_memory_layout_does_not_matter(seed):
    X = blobs(seed)
    assert_identical_fit(
        KMeans(4, random_state=seed).fit(X), KMeans(4, random_state=seed).fit(np.asfortranarray(X))
    )


def test_verbose_reports_progress(capsys):
    KMeans(3, random_state=0, verbose=1, tol=0).fit(blobs(0))
    out = capsys.readouterr().out
    assert "Initialization complete" in out
    assert "Iteration 0, inertia" in out
    assert "strict convergence" in out


# --- names, pandas, the function form ------------------------------------------


def test_get_feature_names_out():
    km = KMeans(3, random_state=0).fit(blobs(0))
    names = km.get_feature_names_out()
    assert_array_equal(names, ["kmeans0", "kmeans1", "kmeans2"])
    assert names.dtype == object


def test_set_output_pandas():
    pd = pytest.importorskip("pandas")
    X = blobs(0)
    out = KMeans(3, random_state=0).set_output(transform="pandas").fit(X).transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]


def test_dataframe_input_records_feature_names():
    pd = pytest.importorskip("pandas")
    X = blobs(0)
    frame = pd.DataFrame(X, columns=["height", "width", "depth"])
    km = KMeans(3, random_state=0).set_output(transform="pandas").fit(frame)
    assert_array_equal(km.feature_names_in_, ["height", "width", "depth"])
    assert km.n_features_in_ == 3
    assert_array_equal(km.labels_, KMeans(3, random_state=0).fit(X).labels_)
    assert_array_equal(km.predict(frame), km.labels_)
    out = km.transform(frame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert_array_equal(out.index, frame.index)


def test_k_means_function_returns_the_estimator_attributes(seed):
    X = blobs(seed)
    km = KMeans(4, random_state=seed).fit(X)
    centers, labels, inertia = k_means(X, 4, random_state=seed)
    assert_array_equal(centers, km.cluster_centers_)
    assert_array_equal(labels, km.labels_)
    assert inertia == km.inertia_
    *_, n_iter = k_means(X, 4, random_state=seed, return_n_iter=True)
    assert n_iter == km.n_iter_


def test_public_api():
    assert {"KMeans", "k_means", "kmeans_plusplus", "__version__"} <= set(kmlab.__all__)
    assert kmlab.__all__ == sorted(kmlab.__all__)
    assert all(hasattr(kmlab, name) for name in kmlab.__all__)


# --- precision ------------------------------------------------------------------


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("n_groups", [1, 2])
def test_float32_tiny_inertia_far_from_origin(seed, n_groups, container):
    """Points a few float32 ulps apart, 10 away from the origin: inertia ~1e-8.

    ||c||^2 - 2 x.c loses everything here (float32 eps * 100 >> 1e-10), so an
    inertia computed that way would be 0 or noise.
    """
    rng = np.random.RandomState(seed)
    ulp = np.spacing(np.float32(10.0))
    groups = [
        np.float32(base) + ulp * rng.randint(-40, 41, size=(40, 2)).astype(np.float32)
        for base in (10.0, -10.0)[:n_groups]
    ]
    X = np.vstack(groups).astype(np.float32)
    data = sp.csr_matrix(X) if container == "sparse" else X
    km = KMeans(n_groups, random_state=seed).fit(data)
    assert km.cluster_centers_.dtype == np.float32
    assert_array_equal(km.labels_, np.repeat(km.labels_[::40], 40))  # one cluster per group
    # the optimum for that partition, in float64
    means = np.array([naive.dense(X)[km.labels_ == j].mean(axis=0) for j in range(n_groups)])
    expected = naive.inertia(X, means, km.labels_)
    assert 1e-9 < expected < 1e-7
    # the float32 rounding of the centres moves the inertia by < 5e-4 relative
    assert km.inertia_ == pytest.approx(expected, rel=1e-3)
    assert -km.score(data) == pytest.approx(expected, rel=1e-3)


# --- odd shapes -----------------------------------------------------------------


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_one_cluster_per_sample(seed, container):
    X = blobs(seed, n_samples=12)
    data = sp.csr_matrix(X) if container == "sparse" else X
    km = KMeans(12, random_state=seed).fit(data)
    if container == "dense":
        assert km.inertia_ == 0.0
    else:
        # sparse distances are ||c||^2 - sum of stored c_f^2 + sum of stored (x_f - c_f)^2:
        # rounding residue of the size of eps * ||c||^2, as in scikit-learn
        assert km.inertia_ <= 1e-14 * (X**2).sum()
    assert_array_equal(np.sort(km.labels_), np.arange(12))
    assert_allclose(km.cluster_centers_[km.labels_], X, atol=1e-12)


def duplicated_points():
    """Four samples, three distinct points: (4, 4) twice, the heaviest cluster."""
    return np.array([[4.0, 4.0], [4.0, 4.0], [1.0, 0.0], [2.0, 2.0]])


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_more_clusters_than_distinct_points_warns(container):
    X = duplicated_points()
    data = sp.csr_matrix(X) if container == "sparse" else X
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(3\) found smaller than n_clusters \(4\)"):
        km = KMeans(4, random_state=0).fit(data)
    assert np.unique(km.labels_).size == 3
    assert km.inertia_ == 0.0
    assert_allclose(km.cluster_centers_[km.labels_], X)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_more_clusters_than_distinct_points_matches_sklearn(seed, container):
    """No sample can be relocated: the empty cluster goes to the heaviest cluster's centre, (4, 4).

    scikit-learn then sees no centre shift and stops after 1 iteration.
    """
    X = duplicated_points()
    data = sp.csr_matrix(X) if container == "sparse" else X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = fit_both(data, n_clusters=4, random_state=seed)
    assert_same_fit(ours, theirs)


@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("n_far", [1, 2])
def test_empty_cluster_relocation_matches_sklearn(seed, n_far, weighted, container):
    """Initial centres far from every sample get no points and must be relocated."""
    X = blobs(seed, n_samples=200, centers=4)
    init = resolve_init("array", X, 5, seed)
    init[:n_far] = 1000.0 + np.arange(n_far)[:, None]
    weights = positive_weights(200, seed) if weighted else None
    data = sparsify(X, seed) if container == "sparse" else X
    ours, theirs = fit_both(data, weights, n_clusters=5, init=init, n_init=1)
    assert np.unique(ours.labels_).size == 5
    assert_same_fit(ours, theirs)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan", "hamerly", "yinyang"])
@pytest.mark.parametrize("container", ["dense", "sparse"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_centres_bit_for_bit_on_one_chunk(seed, weighted, container, algorithm):
    """Up to 256 samples scikit-learn adds each cluster's weighted samples in one sequence,
    each product rounded before it is added, as kmlab does: the same centres to the last bit."""
    X = blobs(seed, n_samples=240, n_features=4, centers=5)
    data = sparsify(X, seed) if container == "sparse" else X
    weights = positive_weights(240, seed) if weighted else None
    ours = KMeans(5, random_state=seed, algorithm=algorithm, n_init=1).fit(data, sample_weight=weights)
    # Hamerly and Yinyang are plain Lloyd's iterates (scikit-learn has neither).
    theirs_algorithm = "elkan" if algorithm == "elkan" else "lloyd"
    theirs = sklearn.cluster.KMeans(5, random_state=seed, algorithm=theirs_algorithm, n_init=1)
    theirs.fit(data, sample_weight=weights)
    assert_array_equal(ours.labels_, theirs.labels_)
    assert_array_equal(ours.cluster_centers_, theirs.cluster_centers_)
    assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_relocation_among_equally_far_samples_matches_sklearn(seed, container):
    """More clusters than distinct points, weights: each fit relocates empty clusters to the
    samples farthest from their centres, which are duplicates a rounding error away from
    them; only scikit-learn's own distances, to the last bit, pick the same ones."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, (250, 3)).astype(np.float64) * 37.3 - 51.7
    data = sp.csr_matrix(X) if container == "sparse" else X
    weights = rng.uniform(0.1, 3.0, 250)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = fit_both(data, weights, n_clusters=100, random_state=seed, n_init=1)
    assert_array_equal(ours.labels_, theirs.labels_)
    assert_array_equal(ours.cluster_centers_, theirs.cluster_centers_)
    assert ours.n_iter_ == theirs.n_iter_


def test_one_feature_matches_sklearn(seed):
    X = blobs(seed, n_features=1, centers=3)
    assert_same_fit(*fit_both(X, n_clusters=3, random_state=seed))


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_constant_columns(seed, container):
    X = blobs(seed, n_features=2)
    X = np.column_stack([np.full(len(X), 7.0), X, np.zeros(len(X))])
    data = sparsify(X, seed, density=1.0) if container == "sparse" else X
    ours, theirs = fit_both(data, n_clusters=4, random_state=seed)
    assert_same_fit(ours, theirs)
    assert_allclose(ours.cluster_centers_[:, 0], 7.0)
    assert_allclose(ours.cluster_centers_[:, -1], 0.0)


def test_all_samples_identical():
    X = np.full((10, 3), 2.5)
    km = KMeans(1, random_state=0).fit(X)
    assert km.inertia_ == 0.0
    assert_allclose(km.cluster_centers_, [[2.5, 2.5, 2.5]])


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_one_cluster_is_the_weighted_mean(seed, container):
    X = blobs(seed)
    weights = positive_weights(X.shape[0], seed)
    data = sparsify(X, seed) if container == "sparse" else X
    km = KMeans(1, random_state=seed).fit(data, sample_weight=weights)
    mean = np.average(naive.dense(data), axis=0, weights=weights)
    assert_allclose(km.cluster_centers_, [mean], rtol=1e-12, atol=1e-12)
    assert_array_equal(km.labels_, 0)
    assert km.inertia_ == pytest.approx(naive.inertia(data, mean[None], km.labels_, weights), rel=1e-10)


@pytest.mark.parametrize("tol, max_iter", [(0.0, 300), (1e-4, 1), (0.0, 2), (1e-1, 300)])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_stopping_rules_match_sklearn(seed, container, tol, max_iter):
    X = blobs(seed, n_samples=400, centers=6)
    data = sparsify(X, seed) if container == "sparse" else X
    ours, theirs = fit_both(data, n_clusters=6, tol=tol, max_iter=max_iter, random_state=seed)
    assert_same_fit(ours, theirs)
    assert ours.n_iter_ <= max_iter


def test_zero_weight_samples_still_get_labels(seed):
    X = blobs(seed)
    weights = positive_weights(X.shape[0], seed)
    weights[::4] = 0.0
    ours, theirs = fit_both(X, weights, n_clusters=4, random_state=seed)
    assert_same_fit(ours, theirs)
    assert_array_equal(ours.labels_, naive.assign(X, ours.cluster_centers_))


# --- warnings and algorithm ----------------------------------------------------


def test_explicit_init_with_several_inits_warns_and_runs_once(seed):
    X = blobs(seed)
    init = resolve_init("array", X, 4, seed)
    with pytest.warns(RuntimeWarning, match="Explicit initial center position passed: performing only one init"):
        several = KMeans(4, init=init, n_init=5).fit(X)
    assert_identical_fit(several, KMeans(4, init=init, n_init=1).fit(X))


def test_elkan_with_one_cluster_warns():
    with pytest.warns(RuntimeWarning, match="algorithm='elkan' doesn't make sense for a single cluster"):
        KMeans(1, algorithm="elkan", random_state=0).fit(blobs(0))


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_every_algorithm_gives_the_same_result(seed, container):
    X = blobs(seed)
    data = sparsify(X, seed) if container == "sparse" else X
    fits = [KMeans(4, algorithm=algorithm, random_state=seed).fit(data) for algorithm in ("auto", "lloyd", "elkan")]
    assert_identical_fit(fits[0], fits[1])
    assert_identical_fit(fits[0], fits[2])
    assert_same_fit(fits[2], sklearn.cluster.KMeans(4, algorithm="elkan", random_state=seed).fit(data))


# --- properties (hypothesis) ------------------------------------------------------

# Small integer coordinates and power-of-two sample counts: the mean of X is exact,
# so a translation changes nothing after kmlab centres the data.
small_data = st.integers(1, 3).flatmap(
    lambda n_features: st.sampled_from([4, 8, 16]).flatmap(
        lambda n_samples: arrays(np.float64, (n_samples, n_features), elements=st.integers(-20, 20).map(float))
    )
)
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, database=None)


def fit_quietly(X, sample_weight=None, **params):
    """Fit, ignoring the duplicate-points ConvergenceWarning hypothesis' data often triggers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(**params).fit(X, sample_weight=sample_weight)


@PROPERTY_SETTINGS
@given(X=small_data, n_clusters=st.integers(1, 4), random_state=st.integers(0, 2**16))
def test_property_labels_are_argmin_and_inertia_is_naive(X, n_clusters, random_state):
    km = fit_quietly(X, n_clusters=n_clusters, random_state=random_state)
    distances = naive.sq_distances(X, km.cluster_centers_)
    own = distances[np.arange(len(X)), km.labels_]
    # the label's centre is the closest, up to rounding (exact ties are frequent here)
    assert np.all(own <= distances.min(axis=1) + 1e-9 * (1.0 + np.abs(X).max() ** 2))
    assert km.inertia_ == pytest.approx(naive.inertia(X, km.cluster_centers_, km.labels_), rel=1e-9, abs=1e-9)


@PROPERTY_SETTINGS
@given(
    X=small_data,
    n_clusters=st.integers(1, 4),
    random_state=st.integers(0, 2**16),
    weight_seed=st.integers(0, 2**16),
)
def test_property_converged_centres_are_weighted_means(X, n_clusters, random_state, weight_seed):
    weights = np.random.RandomState(weight_seed).randint(1, 5, size=len(X)).astype(float)
    km = fit_quietly(X, n_clusters=n_clusters, random_state=random_state, tol=0.0, sample_weight=weights)
    assert km.n_iter_ < km.max_iter  # converged, not stopped
    for j in np.unique(km.labels_):
        members = km.labels_ == j
        assert_allclose(
            km.cluster_centers_[j], np.average(X[members], axis=0, weights=weights[members]), rtol=1e-9, atol=1e-9
        )


@PROPERTY_SETTINGS
@given(
    X=small_data,
    n_clusters=st.integers(1, 4),
    random_state=st.integers(0, 2**16),
    shift=st.lists(st.integers(-1000, 1000), min_size=3, max_size=3),
)
def test_property_translation_invariance(X, n_clusters, random_state, shift):
    shift = np.array(shift[: X.shape[1]], dtype=float)
    km = fit_quietly(X, n_clusters=n_clusters, random_state=random_state)
    moved = fit_quietly(X + shift, n_clusters=n_clusters, random_state=random_state)
    assert_array_equal(moved.labels_, km.labels_)
    assert moved.n_iter_ == km.n_iter_
    assert_allclose(moved.cluster_centers_, km.cluster_centers_ + shift, rtol=1e-12, atol=1e-9)
    assert moved.inertia_ == pytest.approx(km.inertia_, rel=1e-9, abs=1e-9)
