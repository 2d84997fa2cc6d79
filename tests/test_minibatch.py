"""kmlab.MiniBatchKMeans: scikit-learn's answers, the step against a naive one, streaming, odd input."""

import contextlib
import io
import tracemalloc

import naive
import numba
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.cluster
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from testdata import blobs, positive_weights, sparsify
from threadpoolctl import threadpool_limits

import kmlab._minibatch
from kmlab._kernels.minibatch import cdf_guide, search_cdf
from kmlab._minibatch import MiniBatchKMeans, _BatchStep

# --- helpers -----------------------------------------------------------------


def fit_both(X, sample_weight=None, **params):
    """Fit kmlab's and scikit-learn's MiniBatchKMeans with the same parameters.

    scikit-learn on one thread: its batch inertias are then summed in batch
    order, as kmlab's are, and its early stops come at the same steps.
    """
    ours = MiniBatchKMeans(**params).fit(X, sample_weight=sample_weight)
    with threadpool_limits(1, user_api="openmp"):
        theirs = sklearn.cluster.MiniBatchKMeans(**params).fit(X, sample_weight=sample_weight)
    return ours, theirs


def assert_same_fit(ours, theirs, labels=True):
    """The same draws and the same arithmetic: labels, steps and counts equal, centres to rounding.

    ``labels=False`` for data with near ties (the final labels of sparse data
    round differently, see kmlab.KMeans).
    """
    rtol = 1e-5 if ours.cluster_centers_.dtype == np.float32 else 1e-10
    assert ours.n_steps_ == theirs.n_steps_
    assert getattr(ours, "n_iter_", None) == getattr(theirs, "n_iter_", None)
    assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol, atol=rtol * 1e-3)
    assert_allclose(ours._counts, theirs._counts, rtol=rtol)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    if hasattr(theirs, "labels_"):
        if labels:
            assert_array_equal(ours.labels_, theirs.labels_)
        assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=rtol)


def assert_identical_fit(a, b):
    """Bit for bit."""
    assert_array_equal(a.labels_, b.labels_)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a._counts, b._counts)
    assert a.inertia_ == b.inertia_
    assert a.n_steps_ == b.n_steps_


def pick_rows(X, n_clusters, random_state):
    """An init callable: distinct random samples of the subsample it is given, dense."""
    return naive.dense(X)[random_state.choice(X.shape[0], n_clusters, replace=False)]


# --- the same answer as scikit-learn ------------------------------------------

CASES = {
    "default": dict(n_clusters=6),
    "small-batches-many-reassignments": dict(n_clusters=25, batch_size=40, reassignment_ratio=0.2),
    "random-n_init3-tol": dict(n_clusters=6, init="random", n_init=3, tol=1e-3, batch_size=100),
    "callable-init_size": dict(n_clusters=5, init=pick_rows, n_init=2, init_size=60, batch_size=70),
    "no-early-stop": dict(n_clusters=4, max_no_improvement=None, max_iter=3, batch_size=128),
    "no-labels": dict(n_clusters=6, compute_labels=False, batch_size=64),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_matches_sklearn(seed, case, dtype):
    X = blobs(seed, n_samples=800, n_features=4, centers=6, dtype=dtype)
    ours, theirs = fit_both(X, random_state=seed, **CASES[case])
    assert_same_fit(ours, theirs)
    if not CASES[case].get("compute_labels", True):
        assert not hasattr(ours, "labels_")
        assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-5)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_weights_and_sparse_match_sklearn(seed, container, weighted):
    X = blobs(seed, n_samples=600, n_features=5, centers=5)
    if container == "sparse":
        X = sparsify(X, seed)
    weights = positive_weights(X.shape[0], seed) if weighted else None
    ours, theirs = fit_both(X, weights, n_clusters=5, batch_size=64, random_state=seed)
    assert_same_fit(ours, theirs)


@pytest.mark.parametrize("batch_size", [8, 256])
def test_wide_sparse_data_matches_sklearn(seed, batch_size):
    """Small batches of wide rows read the centres in place, large ones a feature-major copy: both as scikit-learn."""
    X = sp.random(600, 3000, density=0.01, format="csr", random_state=seed)
    entries = batch_size * X.nnz / X.shape[0]
    assert (4 * entries >= X.shape[1]) == (batch_size == 256)
    ours, theirs = fit_both(X, n_clusters=6, batch_size=batch_size, max_iter=3, random_state=seed)
    assert_same_fit(ours, theirs, labels=False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_partial_fit_matches_sklearn_on_the_same_chunks(seed, container, dtype):
    X = blobs(seed, n_samples=900, n_features=4, centers=6, dtype=dtype)
    if container == "sparse":
        X = sparsify(X, seed)
    weights = positive_weights(X.shape[0], seed)
    # Small chunks and many centres: reassignments happen along the way.
    params = dict(n_clusters=12, random_state=seed, reassignment_ratio=0.3)
    ours, theirs = MiniBatchKMeans(**params), sklearn.cluster.MiniBatchKMeans(**params)
    for start in range(0, 900, 150):
        chunk = slice(start, start + 150)
        ours.partial_fit(X[chunk], sample_weight=weights[chunk])
        theirs.partial_fit(X[chunk], sample_weight=weights[chunk])
        assert_same_fit(ours, theirs)
    assert ours.n_steps_ == 6


def test_partial_fit_after_fit_continues_like_sklearn(seed):
    X = blobs(seed, n_samples=500, n_features=3, centers=4)
    ours, theirs = fit_both(X, n_clusters=4, batch_size=50, random_state=seed)
    for start in range(0, 500, 100):
        ours.partial_fit(X[start : start + 100])
        theirs.partial_fit(X[start : start + 100])
    assert_same_fit(ours, theirs)


def test_docstring_example_from_sklearn():
    X = np.array([[1, 2], [1, 4], [1, 0], [4, 2], [4, 0], [4, 4], [4, 5], [0, 1], [2, 2], [3, 2], [5, 5], [1, -1]])
    ours, theirs = fit_both(X, n_clusters=2, random_state=0, batch_size=6, max_iter=10)
    assert_same_fit(ours, theirs)
    assert_allclose(ours.cluster_centers_, [[3.20967742, 3.56451613], [1.32758621, 0.77586207]], rtol=1e-8)


def test_verbose_output_matches_sklearn(seed):
    X = blobs(seed, n_samples=300, n_features=3, centers=4)
    params = dict(n_clusters=10, batch_size=30, init="random", reassignment_ratio=0.2, tol=1e-3, random_state=seed)
    outputs = []
    for estimator in (MiniBatchKMeans(verbose=1, **params), sklearn.cluster.MiniBatchKMeans(verbose=1, **params)):
        with contextlib.redirect_stdout(io.StringIO()) as out, threadpool_limits(1, user_api="openmp"):
            estimator.fit(X)
        outputs.append(out.getvalue().splitlines())
    # Every inertia printed, of the seedings and of each batch, to the last digit.
    assert outputs[0] == outputs[1]
    assert "Converged" in outputs[0][-1] and any("Reassigning" in line for line in outputs[0])


# --- the step, against the naive one -----------------------------------------


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_step_kernel_matches_naive_step(seed, container):
    rng = np.random.RandomState(seed)
    X = blobs(seed, n_samples=700, n_features=5, centers=6)
    if container == "sparse":
        X = sparsify(X, seed)
    centers = naive.dense(X)[rng.choice(700, 6, replace=False)] + rng.normal(scale=0.2, size=(6, 5))
    counts = np.array([0.0, 3.0, 1.5, 0.0, 10.0, 2.0])
    batch = rng.randint(0, 700, size=600)  # repeated rows, several blocks
    weights = rng.uniform(0.5, 2.0, size=600)
    weights[rng.uniform(size=600) < 0.1] = 0.0
    labels, inertia, expected_centers, expected_counts = naive.minibatch_step(
        naive.dense(X)[batch], weights, centers, counts
    )
    step = _BatchStep(X, 6, batch.shape[0])
    centers_new = np.empty_like(centers)
    got_inertia = step(X, batch, weights, centers, centers_new, counts)
    assert_array_equal(step.labels, labels)
    assert got_inertia == pytest.approx(inertia, rel=1e-12)
    assert_allclose(centers_new, expected_centers, rtol=1e-13)
    assert_allclose(counts, expected_counts, rtol=1e-15)


def test_step_in_place_equals_step_to_new_array(seed):
    X = blobs(seed, n_samples=300, n_features=3, centers=4)
    centers = X[:4].copy()
    counts_a, counts_b = np.full(4, 2.0), np.full(4, 2.0)
    batch = np.arange(300, dtype=np.int64)
    weights = np.ones(300)
    out = np.empty_like(centers)
    _BatchStep(X, 4, 300)(X, batch, weights, centers, out, counts_a)
    _BatchStep(X, 4, 300)(X, batch, weights, centers, centers, counts_b)
    assert_array_equal(centers, out)
    assert_array_equal(counts_a, counts_b)


@pytest.mark.parametrize("n_samples", [1, 7, 1000])
def test_batch_draws_are_numpy_searchsorted(seed, n_samples):
    rng = np.random.RandomState(seed)
    weights = rng.uniform(size=n_samples) ** 4
    weights[rng.uniform(size=n_samples) < 0.3] = 0.0  # flat stretches of the cumulative sum
    weights[-1] = 1.0
    cdf = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    guide = np.empty(n_samples, dtype=np.int64)
    cdf_guide(cdf, guide)
    draws = np.concatenate([rng.random_sample(5000), cdf[:-1], np.nextafter(cdf[:-1], 0), [0.0]])
    rows = np.empty(draws.shape[0], dtype=np.int64)
    search_cdf(cdf, guide, draws, rows)
    assert_array_equal(rows, cdf.searchsorted(draws, side="right"))


# --- reproducibility, threads, streaming ---------------------------------------


def test_same_random_state_gives_identical_results(seed):
    X = blobs(seed, n_samples=400, centers=5)
    first = MiniBatchKMeans(5, init="random", batch_size=50, random_state=seed).fit(X)
    second = MiniBatchKMeans(5, init="random", batch_size=50, random_state=np.random.RandomState(seed)).fit(X)
    assert_identical_fit(first, second)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_results_are_bit_identical_across_n_threads(container, monkeypatch):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here")
    # Let even small steps use both threads.
    monkeypatch.setattr(kmlab._minibatch, "STEP_WORK_PER_THREAD", 1)
    X = blobs(11, n_samples=6000, n_features=4, centers=8)
    if container == "sparse":
        X = sparsify(X, 11)
    fits = [MiniBatchKMeans(20, batch_size=700, random_state=11, n_threads=n).fit(X) for n in (1, 2)]
    assert_identical_fit(*fits)
    chunked = []
    for n_threads in (1, 2):
        model = MiniBatchKMeans(20, random_state=11, n_threads=n_threads)
        for start in range(0, 6000, 2000):
            model.partial_fit(X[start : start + 2000])
        chunked.append(model)
    assert_identical_fit(*chunked)


def test_dense_and_sparse_give_the_same_fit(seed):
    X = blobs(seed, n_samples=500, n_features=4, centers=5)
    X[np.random.RandomState(seed).uniform(size=X.shape) < 0.4] = 0.0
    dense = MiniBatchKMeans(5, batch_size=50, random_state=seed).fit(X)
    sparse = MiniBatchKMeans(5, batch_size=50, random_state=seed).fit(sp.csr_matrix(X))
    assert_array_equal(dense.labels_, sparse.labels_)
    assert dense.n_steps_ == sparse.n_steps_
    assert_allclose(dense.cluster_centers_, sparse.cluster_centers_, rtol=1e-10)


def test_streaming_a_npy_file_in_chunks(tmp_path, seed):
    X = blobs(seed, n_samples=6000, n_features=8, centers=10, dtype=np.float32)
    path = tmp_path / "data.npy"
    np.save(path, X)
    chunk = 500

    def stream(model, data):
        for start in range(0, data.shape[0], chunk):
            model.partial_fit(data[start : start + chunk])
        return model

    in_memory = stream(sklearn.cluster.MiniBatchKMeans(10, random_state=seed), X)
    mapped = np.load(path, mmap_mode="r")
    stream(MiniBatchKMeans(10, random_state=seed), mapped[:chunk])  # compiles, loads numba's cache
    tracemalloc.start()
    try:
        streamed = stream(MiniBatchKMeans(10, random_state=seed), mapped)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del mapped
    assert_same_fit(streamed, in_memory)
    assert streamed.n_steps_ == 12
    # A few chunk-sized buffers (the chunk's labels, batch indices), never the file.
    assert peak < 6 * chunk * X.shape[1] * X.itemsize + 200_000


# --- odd shapes -----------------------------------------------------------------


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_one_cluster_per_sample(seed, container):
    X = np.random.RandomState(seed).uniform(size=(7, 3))
    data = sp.csr_matrix(X) if container == "sparse" else X
    ours, theirs = fit_both(data, n_clusters=7, random_state=seed)
    # Mini-batch steps pull centres together, some within rounding of each other.
    assert_same_fit(ours, theirs, labels=container == "dense")


def test_duplicates_match_sklearn(seed):
    X = np.repeat(np.random.RandomState(seed).uniform(size=(5, 2)), 40, axis=0)
    ours, theirs = fit_both(X, n_clusters=8, batch_size=32, random_state=seed)
    assert_same_fit(ours, theirs)


def test_one_feature_and_constant_columns_match_sklearn(seed):
    X = blobs(seed, n_samples=400, n_features=1, centers=3)
    ours, theirs = fit_both(X, n_clusters=3, batch_size=64, random_state=seed)
    assert_same_fit(ours, theirs)
    X = np.hstack([blobs(seed, n_samples=400, n_features=2, centers=3), np.full((400, 1), 5.0)])
    ours, theirs = fit_both(X, n_clusters=3, batch_size=64, tol=1e-4, random_state=seed)
    assert_same_fit(ours, theirs)
    assert_allclose(ours.cluster_centers_[:, 2], 5.0, rtol=1e-15)


def test_unused_centre_is_reassigned_to_the_data(seed):
    X = blobs(seed, n_samples=400, n_features=2, centers=3)
    init = np.vstack([X[:2], [[1e6, 1e6]]])
    model = MiniBatchKMeans(3, init=init, batch_size=50, random_state=seed).fit(X)
    assert np.abs(model.cluster_centers_).max() < np.abs(X).max() + 1
    no_reassignment = MiniBatchKMeans(3, init=init, batch_size=50, reassignment_ratio=0, random_state=seed).fit(X)
    assert_array_equal(no_reassignment.cluster_centers_[2], [1e6, 1e6])


def test_reassignment_ratio_above_one_does_not_fail(seed):
    X = blobs(seed, n_samples=300, n_features=2, centers=3)
    model = MiniBatchKMeans(3, batch_size=50, reassignment_ratio=2.0, random_state=seed).fit(X)
    assert np.isfinite(model.cluster_centers_).all()
    assert np.isfinite(model.inertia_)


def test_zero_weight_samples_do_not_move_centres(seed):
    X = blobs(seed, n_samples=200, n_features=2, centers=3)
    model = MiniBatchKMeans(3, random_state=seed).partial_fit(X)
    centers, counts = model.cluster_centers_.copy(), model._counts.copy()
    weights = np.zeros(200)
    weights[0] = 1.0
    model.partial_fit(X, sample_weight=weights)
    moved = np.flatnonzero(np.any(model.cluster_centers_ != centers, axis=1))
    assert list(moved) == [model.labels_[0]] or list(moved) == []
    assert model._counts.sum() == pytest.approx(counts.sum() + 1.0)


def test_integers_become_float64_and_float32_is_kept():
    X = np.random.RandomState(0).randint(0, 10, size=(100, 3))
    assert MiniBatchKMeans(3, random_state=0).fit(X).cluster_centers_.dtype == np.float64
    model = MiniBatchKMeans(3, random_state=0).partial_fit(X.astype(np.float32))
    assert model.cluster_centers_.dtype == np.float32
    model.partial_fit(X.astype(np.float64))  # later chunks take the first one's dtype
    assert model.cluster_centers_.dtype == np.float32


# --- the rest of the estimator ---------------------------------------------------


def test_predict_transform_score(seed):
    X = blobs(seed, n_samples=300, centers=4)
    model = MiniBatchKMeans(4, batch_size=64, random_state=seed).fit(X)
    assert_array_equal(model.predict(X), model.labels_)
    assert_allclose(model.transform(X), np.sqrt(naive.sq_distances(X, model.cluster_centers_)), rtol=1e-10)
    assert model.score(X) == pytest.approx(-model.inertia_, rel=1e-12)
    assert_array_equal(MiniBatchKMeans(4, batch_size=64, random_state=seed).fit_predict(X), model.labels_)
    assert_array_equal(model.get_feature_names_out(), [f"minibatchkmeans{i}" for i in range(4)])


def test_pipeline_after_standard_scaler(seed):
    X = blobs(seed, n_samples=500, n_features=3, centers=4) * [1.0, 100.0, 0.01]
    pipeline = make_pipeline(StandardScaler(), MiniBatchKMeans(4, batch_size=100, random_state=seed)).fit(X)
    alone = MiniBatchKMeans(4, batch_size=100, random_state=seed).fit(StandardScaler().fit_transform(X))
    assert_array_equal(pipeline.predict(X), alone.labels_)
    assert_array_equal(pipeline[-1].cluster_centers_, alone.cluster_centers_)
    assert pipeline.transform(X).shape == (500, 4)


def test_history_and_callback(seed):
    X = blobs(seed, n_samples=300, centers=4)
    params = dict(n_clusters=4, batch_size=50, random_state=seed)
    plain = MiniBatchKMeans(**params).fit(X)
    seen = []
    watched = MiniBatchKMeans(**params, record_history=True, callback=seen.append).fit(X)
    assert_identical_fit(plain, watched)
    history = watched.history_
    assert [step["phase"] for step in history] == ["init"] + ["update"] * watched.n_steps_ + ["assign"]
    assert [step["iteration"] for step in history[1:-1]] == list(range(1, watched.n_steps_ + 1))
    assert len(seen) == len(history) and all(step["run"] == 0 for step in seen)
    assert all(step["labels"] is None for step in history[:-1])
    assert_array_equal(history[-1]["labels"], watched.labels_)
    assert_array_equal(history[-1]["centers"], watched.cluster_centers_)
    assert history[-1]["inertia"] == watched.inertia_
    # The running estimate is the EWA scaled to the whole data; at the end it
    # is the inertia_ a fit without compute_labels reports.
    estimate = MiniBatchKMeans(**params, compute_labels=False).fit(X).inertia_
    assert history[-2]["inertia"] == pytest.approx(estimate, rel=1e-12)
    assert all(step["batch_inertia"] > 0 for step in history[1:-1])


def test_progress_bar_changes_nothing(capsys):
    X = blobs(3, n_samples=300, centers=4)
    plain = MiniBatchKMeans(4, batch_size=50, random_state=3).fit(X)
    shown = MiniBatchKMeans(4, batch_size=50, random_state=3, progress=True).fit(X)
    assert_identical_fit(plain, shown)
    assert "MiniBatchKMeans(n_clusters=4)" in capsys.readouterr().err


def test_select_k_and_plots_accept_minibatch_kmeans(tmp_path):
    pytest.importorskip("matplotlib")
    from kmlab.plotting import ClusterDisplay, animate_fit
    from kmlab.selection import select_k

    X = blobs(0, n_samples=300, n_features=2, centers=3)
    selection = select_k(
        X, range(2, 5), estimator=MiniBatchKMeans(batch_size=100), criteria=("elbow", "silhouette"), random_state=0
    )
    assert list(selection.k_values) == [2, 3, 4]
    assert all(isinstance(fit, MiniBatchKMeans) for fit in selection.estimators)
    display = ClusterDisplay.from_estimator(MiniBatchKMeans(3, random_state=0), X)
    assert display.figure_ is not None
    path = animate_fit(MiniBatchKMeans(3, batch_size=100, random_state=0), X, tmp_path / "fit.gif", max_frames=5)
    assert path.stat().st_size > 0


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "Input X contains NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), "Input X contains infinity"),
        (np.empty((0, 2)), r"0 sample\(s\)"),
        (np.arange(4.0), "Expected 2D array"),
        (np.array([["a", "b"], ["c", "d"]]), "X contains strings"),
    ],
    ids=["nan", "inf", "empty", "1-D", "strings"],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_X_is_refused(X, match, method):
    with pytest.raises(ValueError, match=match):
        getattr(MiniBatchKMeans(1), method)(X)


def test_bad_arguments_are_refused():
    X = np.random.RandomState(0).uniform(size=(10, 2))
    with pytest.raises(ValueError, match="n_samples=10 should be >= n_clusters=11"):
        MiniBatchKMeans(11).fit(X)
    with pytest.raises(ValueError, match="n_samples=10 should be >= n_clusters=11"):
        MiniBatchKMeans(11).partial_fit(X)
    with pytest.raises(ValueError, match="sample_weight contains negative values"):
        MiniBatchKMeans(2).fit(X, sample_weight=np.full(10, -1.0))
    with pytest.raises(ValueError, match=r"expected shape \(10,\)"):
        MiniBatchKMeans(2).partial_fit(X, sample_weight=np.ones(3))
    for name, value in [("batch_size", 0), ("reassignment_ratio", -1.0), ("max_no_improvement", -1), ("init", "x")]:
        with pytest.raises((ValueError, TypeError), match=f"'{name}' parameter"):
            MiniBatchKMeans(2, **{name: value}).fit(X)
    with pytest.raises(ValueError, match="does not match the number of clusters 2"):
        MiniBatchKMeans(2, init=np.zeros((3, 2))).fit(X)
    model = MiniBatchKMeans(2).partial_fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but MiniBatchKMeans is expecting 2 features"):
        model.partial_fit(np.ones((5, 3)))


def test_warnings_as_sklearn():
    X = np.random.RandomState(0).uniform(size=(50, 2))
    with pytest.warns(RuntimeWarning, match="performing only one init in MiniBatchKMeans instead of n_init=3"):
        MiniBatchKMeans(2, init=X[:2], n_init=3).fit(X)
    with pytest.warns(RuntimeWarning, match="init_size=1 should be larger than n_clusters=2"):
        model = MiniBatchKMeans(2, init_size=1, random_state=0).fit(X)
    assert model._init_size == 6


# --- scikit-learn's estimator checks ---------------------------------------------

# As for sklearn.cluster.MiniBatchKMeans in scikit-learn 1.9's own test suite
# (sklearn/utils/_test_common/instance_generator.py), with scikit-learn's reason.
SKLEARN_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": "sample_weight is not equivalent to removing/repeating samples.",
    "check_sample_weight_equivalence_on_sparse_data": "sample_weight is not equivalent to removing/repeating samples.",
}


@parametrize_with_checks(
    [MiniBatchKMeans(n_init=2, n_clusters=2, max_iter=5, batch_size=10)],
    expected_failed_checks=lambda estimator: SKLEARN_EXPECTED_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
