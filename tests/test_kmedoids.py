"""kmlab.KMedoids: FasterPAM against slow obvious PAM and brute force, the kmedoids package, CLARA, bad input."""

import tracemalloc
import warnings

import naive
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from testdata import blobs

from kmlab import _kmedoids
from kmlab._kernels.pam import fasterpam
from kmlab._kmedoids import KMedoids, initial_medoids

METHODS = ("fasterpam", "alternate")
INITS = ("k-medoids++", "build", "random")


def separated(seed, n_per_cluster=4, n_clusters=3, n_features=2, dtype=np.float64):
    """Tight, far-apart clusters: every sensible method finds the global optimum."""
    rng = np.random.RandomState(seed)
    centers = np.arange(n_clusters)[:, None] * 20.0 + rng.uniform(-1, 1, size=(n_clusters, n_features))
    X = np.repeat(centers, n_per_cluster, axis=0) + rng.normal(scale=0.5, size=(n_clusters * n_per_cluster, n_features))
    return X[rng.permutation(X.shape[0])].astype(dtype)


def manhattan(a, b):
    return float(np.abs(a - b).sum())


# --- against the slow obvious implementations --------------------------------


@pytest.mark.parametrize(
    "method, init", [*(("fasterpam", init) for init in INITS), ("alternate", "build")]
)  # alternating k-medoids can keep two medoids in one cluster from a random start
def test_global_optimum_on_tiny_separated_data(seed, method, init):
    X = separated(seed)
    D = naive.distance_matrix(X)
    _, optimum = naive.best_medoids(D, 3)
    km = KMedoids(3, method=method, init=init, random_state=seed).fit(X)
    assert km.inertia_ == pytest.approx(optimum, rel=1e-12)
    assert km.inertia_ == pytest.approx(naive.medoid_loss(D, km.medoid_indices_), rel=1e-12)


def test_brute_force_on_overlapping_data(seed):
    """Where FasterPAM lands: never below the optimum, and no single swap improves it."""
    X = blobs(seed, n_samples=14, n_features=2, centers=3, cluster_std=3.0)
    D = naive.distance_matrix(X)
    _, optimum = naive.best_medoids(D, 3)
    km = KMedoids(3, random_state=seed).fit(X)
    assert km.inertia_ >= optimum * (1 - 1e-12)
    _, change = naive.best_swap(D, km.medoid_indices_)
    assert change >= -1e-9 * km.inertia_


@pytest.mark.parametrize("init", INITS)
def test_fasterpam_reaches_a_pam_local_optimum(seed, init):
    X = blobs(seed, n_samples=40, n_features=2, centers=4, cluster_std=2.5)
    D = naive.distance_matrix(X)
    km = KMedoids(4, init=init, random_state=seed).fit(X)
    assert km.inertia_ == pytest.approx(naive.medoid_loss(D, km.medoid_indices_), rel=1e-12)
    _, change = naive.best_swap(D, km.medoid_indices_)
    assert change >= -1e-9 * km.inertia_


@pytest.mark.parametrize("init", INITS)
def test_same_loss_as_naive_pam(seed, init):
    """Classic best-swap PAM from the same start: both reach the optimum of well-separated clusters."""
    X = separated(seed, n_per_cluster=8, n_clusters=4)
    D = naive.distance_matrix(X)
    start = initial_medoids(D, 4, init, np.random.RandomState(seed))
    _, pam_loss = naive.pam(D, start)
    km = KMedoids(4, init=start).fit(X)
    assert km.inertia_ == pytest.approx(pam_loss, rel=1e-12)


def test_build_is_pam_build(seed):
    X = blobs(seed, n_samples=30, n_features=2, centers=3, cluster_std=2.0)
    D = naive.distance_matrix(X)
    assert_array_equal(initial_medoids(D, 4, "build", np.random.RandomState(0)), naive.pam_build(D, 4))


def test_alternate_matches_naive(seed):
    X = blobs(seed, n_samples=40, n_features=2, centers=4, cluster_std=2.5)
    D = naive.distance_matrix(X)
    start = np.random.RandomState(seed).choice(40, 4, replace=False)
    expected, n_iter = naive.alternate_kmedoids(D, start)
    km = KMedoids(4, method="alternate", init=start).fit(X)
    assert_array_equal(km.medoid_indices_, expected)
    assert km.n_iter_ == n_iter


def test_one_cluster_is_the_exact_medoid(seed):
    X = blobs(seed, n_samples=30)
    D = naive.distance_matrix(X)
    medoids, optimum = naive.best_medoids(D, 1)
    for method in METHODS:
        km = KMedoids(1, method=method, random_state=seed).fit(X)
        assert_array_equal(km.medoid_indices_, medoids)
        assert km.inertia_ == pytest.approx(optimum, rel=1e-12)
        assert_array_equal(km.labels_, 0)


def test_fasterpam_does_not_depend_on_the_batch_size(seed):
    """Evaluating candidates in parallel batches is exactly the sequential eager loop."""
    X = blobs(seed, n_samples=300, n_features=2, centers=6, cluster_std=2.0)
    D = pairwise_distances(X)
    n, k = D.shape[0], 6
    rng = np.random.RandomState(seed)
    start, order = rng.choice(n, k, replace=False).astype(np.int64), rng.permutation(n).astype(np.int64)
    results = []
    for min_batch, batch in ((1, 1), (3, 7), (2, 64)):
        medoids = start.copy()
        slot_of = np.full(n, -1, dtype=np.int64)
        slot_of[medoids] = np.arange(k)
        caches = [np.empty(n, np.int64), np.empty(n), np.empty(n, np.int64), np.empty(n)]
        n_iter, n_swaps, converged = fasterpam(
            D, order, 100, min_batch, medoids, slot_of, *caches, np.empty(k), np.empty(batch, np.int64),
            np.empty(batch, np.int64), np.empty(batch), np.empty(batch, np.int64), np.empty((batch, k)),
        )  # fmt: skip
        assert converged and n_swaps > 0
        results.append((medoids.tolist(), n_iter, n_swaps))
    assert results[0] == results[1] == results[2]


def test_same_objective_and_optima_as_the_kmedoids_package(seed):
    """Both find the optimum of separated clusters, and each one's local optimum is the other's.

    (On overlapping clusters, runs from different random starts end in different
    local optima a fraction of a percent apart: benchmarks/kmedoids.py compares
    the losses over seeds.)
    """
    kmedoids = pytest.importorskip("kmedoids")
    X = separated(seed, n_per_cluster=100, n_clusters=5)
    theirs = kmedoids.fasterpam(pairwise_distances(X), 5, random_state=seed, n_cpu=1)
    assert KMedoids(5, random_state=seed).fit(X).inertia_ == pytest.approx(theirs.loss, rel=1e-9)

    X = blobs(seed, n_samples=600, n_features=2, centers=5, cluster_std=1.5)
    theirs = kmedoids.fasterpam(pairwise_distances(X), 5, random_state=seed, n_cpu=1)
    ours = KMedoids(5, init=np.asarray(theirs.medoids)).fit(X)
    assert_array_equal(ours.medoid_indices_, theirs.medoids)
    assert ours.inertia_ == pytest.approx(theirs.loss, rel=1e-9)
    assert_array_equal(ours.labels_, theirs.labels)


# --- what medoids are for -----------------------------------------------------


def test_far_outliers_drag_centroids_not_medoids(seed):
    rng = np.random.RandomState(seed)
    true_centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.vstack([c + rng.normal(scale=0.5, size=(100, 2)) for c in true_centers])
    X = np.vstack([X, [40.0, 40.0] + rng.normal(scale=0.5, size=(5, 2))])

    def offsets(points):
        return np.sqrt(((points[:, None, :] - true_centers[None]) ** 2).sum(axis=2)).min(axis=1)

    medoids = KMedoids(3, random_state=seed).fit(X).cluster_centers_
    centroids = SklearnKMeans(3, n_init=10, random_state=seed).fit(X).cluster_centers_
    medoid_offsets, centroid_offsets = offsets(medoids), offsets(centroids)
    # Each medoid sits in its own blob; some centroid is pulled out of every blob.
    assert medoid_offsets.max() < 1.5
    assert np.unique(np.argmin(((medoids[:, None] - true_centers[None]) ** 2).sum(axis=2), axis=1)).size == 3
    assert centroid_offsets.max() > 1.5


# --- parameters, metrics, dtypes -----------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("init", [*INITS, "array"])
def test_methods_and_inits(seed, method, init):
    X = blobs(seed, n_samples=80)
    if init == "array":
        init = np.random.RandomState(seed).choice(80, 4, replace=False)
    km = KMedoids(4, method=method, init=init, random_state=seed).fit(X)
    assert np.unique(km.medoid_indices_).size == 4
    assert km.labels_.dtype == np.int32
    assert_array_equal(km.cluster_centers_, X[km.medoid_indices_])
    assert_array_equal(km.labels_[km.medoid_indices_], np.arange(4))
    assert km.inertia_ == pytest.approx(np.sqrt(((X - km.cluster_centers_[km.labels_]) ** 2).sum(axis=1)).sum())


def test_fasterpam_beats_alternate_on_average():
    losses = {method: [KMedoids(6, method=method, init="random", random_state=s).fit(
        blobs(s, n_samples=200, centers=6)).inertia_ for s in range(5)] for method in METHODS}  # fmt: skip
    assert sum(losses["fasterpam"]) < sum(losses["alternate"])
    assert all(f <= a * (1 + 1e-12) for f, a in zip(losses["fasterpam"], losses["alternate"]))


def test_callable_metric_equals_its_builtin():
    X = blobs(0, n_samples=40)
    ours = KMedoids(3, metric=manhattan, random_state=0).fit(X)
    builtin = KMedoids(3, metric="manhattan", random_state=0).fit(X)
    assert_array_equal(ours.medoid_indices_, builtin.medoid_indices_)
    assert ours.inertia_ == pytest.approx(builtin.inertia_, rel=1e-12)
    assert_array_equal(ours.predict(X), ours.labels_)


@pytest.mark.parametrize("metric", ["manhattan", "cosine", "chebyshev"])
def test_other_metrics_minimise_their_own_distances(metric):
    X = blobs(1, n_samples=60) + 10.0  # away from the origin, for cosine
    km = KMedoids(3, metric=metric, random_state=0).fit(X)
    D = pairwise_distances(X, metric=metric)
    assert km.inertia_ == pytest.approx(naive.medoid_loss(D, km.medoid_indices_), rel=1e-6)
    assert_array_equal(km.predict(X), km.labels_)
    assert_allclose(km.transform(X), D[:, km.medoid_indices_], rtol=1e-6, atol=1e-12)


def test_callable_metric_must_return_distances():
    def signed(a, b):
        return float(a[0] - b[0])

    with pytest.raises(ValueError, match=r"metric=signed.*negative"):
        KMedoids(2, metric=signed).fit(blobs(0, n_samples=10))


def test_precomputed_equals_features(seed):
    X = blobs(seed, n_samples=100)
    D = pairwise_distances(X)
    from_features = KMedoids(4, random_state=seed).fit(X)
    precomputed = KMedoids(4, metric="precomputed", random_state=seed).fit(D)
    assert_array_equal(precomputed.medoid_indices_, from_features.medoid_indices_)
    assert precomputed.inertia_ == pytest.approx(from_features.inertia_, rel=1e-9)
    assert precomputed.cluster_centers_ is None
    assert_array_equal(precomputed.predict(D), precomputed.labels_)
    assert_allclose(precomputed.transform(D[:7]), D[:7, precomputed.medoid_indices_])
    new = np.random.RandomState(seed).normal(size=(5, 3))
    assert_array_equal(precomputed.predict(pairwise_distances(new, X)), from_features.predict(new))


def test_float32_and_float64(seed):
    X = blobs(seed, n_samples=200)
    km64 = KMedoids(4, random_state=seed).fit(X)
    km32 = KMedoids(4, random_state=seed).fit(X.astype(np.float32))
    assert km32.cluster_centers_.dtype == np.float32
    assert km32.transform(X.astype(np.float32)).dtype == np.float32
    assert km32.inertia_ == pytest.approx(km64.inertia_, rel=1e-3)
    assert_array_equal(km32.predict(X.astype(np.float32)), km32.labels_)


def test_euclidean_matrix_is_exact_and_symmetric(seed):
    X = blobs(seed, n_samples=150, n_features=5)  # more than two tiles
    D = _kmedoids.dissimilarity_matrix(X, "euclidean")
    assert_allclose(D, naive.distance_matrix(X), rtol=1e-13, atol=1e-13)
    assert_array_equal(D, D.T)
    assert_array_equal(np.diagonal(D), 0.0)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_reproducible_and_thread_independent(seed, n_threads):
    X = blobs(seed, n_samples=1500, n_features=2, centers=8)
    reference = KMedoids(8, random_state=seed, n_threads=1).fit(X)
    km = KMedoids(8, random_state=seed, n_threads=n_threads).fit(X)
    assert_array_equal(km.medoid_indices_, reference.medoid_indices_)
    assert km.inertia_ == reference.inertia_
    assert km.n_iter_ == reference.n_iter_


def test_predict_and_transform_agree_with_labels(seed):
    X = blobs(seed, n_samples=200)
    km = KMedoids(5, random_state=seed).fit(X)
    distances = km.transform(X)
    assert distances.shape == (200, 5)
    assert_array_equal(km.predict(X), km.labels_)
    assert_array_equal(np.argmin(distances, axis=1), km.labels_)
    assert distances.min(axis=1).sum() == pytest.approx(km.inertia_, rel=1e-12)
    assert_array_equal(km.fit_predict(X), km.labels_)


def test_sparse_input_equals_dense(seed):
    X = blobs(seed, n_samples=120)
    X[np.random.RandomState(seed).uniform(size=X.shape) < 0.4] = 0.0
    dense = KMedoids(4, random_state=seed).fit(X)
    sparse = KMedoids(4, random_state=seed).fit(sp.csr_matrix(X))
    assert_array_equal(sparse.medoid_indices_, dense.medoid_indices_)
    assert sparse.inertia_ == pytest.approx(dense.inertia_, rel=1e-9)
    assert not sp.issparse(sparse.cluster_centers_)
    assert_array_equal(sparse.predict(sp.csr_matrix(X)), sparse.labels_)


def test_as_many_clusters_as_samples():
    X = blobs(0, n_samples=6)
    for method in METHODS:
        km = KMedoids(6, method=method, random_state=0).fit(X)
        assert sorted(km.medoid_indices_) == list(range(6))
        assert km.inertia_ == 0.0
        assert_array_equal(km.medoid_indices_[km.labels_], np.arange(6))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("init", INITS)
def test_duplicates_converge_to_zero_loss(method, init):
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]]), 10, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for n_clusters in (3, 5):  # 5 > 3 distinct points: some medoids duplicate others
            km = KMedoids(n_clusters, method=method, init=init, random_state=0, max_iter=20).fit(X)
            assert np.unique(km.medoid_indices_).size == n_clusters
            assert km.inertia_ == 0.0


def test_one_feature_and_constant_column(seed):
    X = blobs(seed, n_samples=60, n_features=1)
    km = KMedoids(3, random_state=seed).fit(X)
    D = naive.distance_matrix(X)
    _, change = naive.best_swap(D, km.medoid_indices_)
    assert change >= -1e-9 * km.inertia_
    with_constant = KMedoids(3, random_state=seed).fit(np.hstack([X, np.full_like(X, 7.0)]))
    assert_array_equal(with_constant.medoid_indices_, km.medoid_indices_)


def test_max_iter_warns():
    X = blobs(0, n_samples=300, centers=6, cluster_std=3.0)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        km = KMedoids(6, init="random", max_iter=1, random_state=0).fit(X)
    assert km.n_iter_ == 1


def test_in_a_pipeline_after_standard_scaler(seed):
    X = blobs(seed, n_samples=100) * np.array([1.0, 100.0, 0.01])
    pipe = make_pipeline(StandardScaler(), KMedoids(4, random_state=seed)).fit(X)
    assert_array_equal(pipe.predict(X), pipe[-1].labels_)
    assert pipe.transform(X).shape == (100, 4)
    assert list(pipe.get_feature_names_out()) == [f"kmedoids{i}" for i in range(4)]


def test_select_k_and_the_plots_take_kmedoids():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from kmlab.plotting import ClusterDisplay
    from kmlab.selection import select_k

    X, _ = make_blobs(150, centers=3, cluster_std=0.5, random_state=0)
    selection = select_k(X, range(1, 6), estimator=KMedoids(random_state=0), criteria=("elbow", "silhouette"))
    assert selection.recommended == {"elbow": 3, "silhouette": 3}
    assert [est.n_clusters for est in selection.estimators] == [1, 2, 3, 4, 5]
    assert_allclose(selection.inertia, [est.inertia_ for est in selection.estimators])
    display = ClusterDisplay.from_estimator(KMedoids(3, random_state=0), X)
    assert_array_equal(display.centers, KMedoids(3, random_state=0).fit(X).cluster_centers_)
    plt.close("all")


# --- CLARA ------------------------------------------------------------------------


def test_clara_never_builds_the_full_matrix(monkeypatch, seed):
    X = blobs(seed, n_samples=2000, n_features=2, centers=4, cluster_std=1.0)
    sizes = []
    real = _kmedoids.dissimilarity_matrix

    def spy(X_part, metric):
        sizes.append(X_part.shape[0])
        return real(X_part, metric)

    monkeypatch.setattr(_kmedoids, "dissimilarity_matrix", spy)
    km = KMedoids(4, max_samples=200, n_sampling_iter=3, random_state=seed)
    tracemalloc.start()
    try:
        km.fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sizes == [_kmedoids.clara_sample_size(4, 200)] * 3
    assert peak < 2000 * 2000 * 8 / 10  # the full matrix would take 32 MB
    assert_array_equal(km.predict(X), km.labels_)
    assert km.inertia_ == pytest.approx(np.sqrt(((X - km.cluster_centers_[km.labels_]) ** 2).sum(axis=1)).sum())
    dense = KMedoids(4, random_state=seed).fit(X)
    assert km.inertia_ <= dense.inertia_ * 1.05  # 100-sample subsamples: close, not equal


def test_clara_keeps_the_best_sample_and_starts_from_an_init_array(seed):
    X = blobs(seed, n_samples=400, n_features=2, centers=3)
    start = np.random.RandomState(seed).choice(400, 3, replace=False)
    km = KMedoids(3, init=start, max_samples=100, n_sampling_iter=2, random_state=seed).fit(X)
    single = KMedoids(3, init=start, max_samples=100, n_sampling_iter=1, random_state=seed).fit(X)
    assert km.inertia_ <= single.inertia_
    assert_array_equal(km.labels_, km.predict(X))


def test_clara_with_another_metric_and_sparse_data(seed):
    X = blobs(seed, n_samples=300)
    km = KMedoids(3, metric="manhattan", max_samples=80, random_state=seed).fit(sp.csr_matrix(X))
    D = pairwise_distances(X, metric="manhattan")
    assert km.inertia_ == pytest.approx(naive.medoid_loss(D, km.medoid_indices_), rel=1e-9)


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.zeros((3, 4)), r"square matrix.*shape \(3, 4\)"),
        (np.array([[0.0, -1.0], [-1.0, 0.0]]), r"\[0, 1\] = -1.0 is negative"),
        (np.array([[0.0, np.nan], [np.nan, 0.0]]), r"\[0, 1\] = nan is not finite"),
        (np.array([[0.0, np.inf], [np.inf, 0.0]]), r"\[0, 1\] = inf is not finite"),
        (np.array([[0.0, 1.0], [1.0, 0.5]]), r"X\[1, 1\] = 0.5.*fill_diagonal"),
        (
            np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.5, 1.0, 0.0]]),
            r"X\[0, 2\] = 2.0 but X\[2, 0\] = 2.5.*symmetric",
        ),
    ],
)
def test_bad_precomputed_matrix(matrix, message):
    with pytest.raises(ValueError, match=message):
        KMedoids(2, metric="precomputed").fit(matrix)


def test_precomputed_predict_checks_its_input():
    D = pairwise_distances(blobs(0, n_samples=20))
    km = KMedoids(2, metric="precomputed", random_state=0).fit(D)
    with pytest.raises(ValueError, match=r"to the 20 training samples.*got \(3, 5\)"):
        km.predict(np.zeros((3, 5)))
    bad = D[:3].copy()
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match=r"\[1, 4\] = nan is not finite"):
        km.transform(bad)


@pytest.mark.parametrize(
    "init, message",
    [
        (np.array([0, 1]), r"expected shape \(3,\), got \(2,\)"),
        (np.array([0, 1, 1]), "must be distinct"),
        (np.array([0, 1, 30]), r"in \[0, 30\)"),
        (np.array([0.0, 1.0, 2.0]), "indices of the initial medoids"),
    ],
)
def test_bad_init(init, message):
    with pytest.raises(ValueError, match=message):
        KMedoids(3, init=init).fit(blobs(0, n_samples=30))


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[0.0, np.nan], [1.0, 1.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 1.0]]), "infinity"),
        (np.array([["a", "b"], ["c", "d"]]), "strings"),
        (np.zeros((0, 2)), "0 sample"),
        (np.zeros(5), "2D array"),
    ],
)
def test_bad_data(X, message):
    with pytest.raises(ValueError, match=message):
        KMedoids(1).fit(X)


def test_too_few_samples_and_too_small_max_samples():
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=4"):
        KMedoids(4).fit(blobs(0, n_samples=3))
    with pytest.raises(ValueError, match="max_samples=3 must be >= n_clusters=4"):
        KMedoids(4, max_samples=3).fit(blobs(0, n_samples=10))
    with pytest.raises(ValueError, match="method"):
        KMedoids(2, method="pam").fit(blobs(0, n_samples=10))


def test_no_sample_weight():
    with pytest.raises(TypeError, match="sample_weight"):
        KMedoids(2).fit(blobs(0, n_samples=10), sample_weight=np.ones(10))


# --- scikit-learn's contract ---------------------------------------------------------


@parametrize_with_checks([KMedoids(n_clusters=2, random_state=0), KMedoids(n_clusters=2, method="alternate")])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
