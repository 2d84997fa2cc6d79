"""kmlab.selection.select_k: each criterion against scikit-learn and naive references, the choice and its words."""

import sys

import naive
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.cluster
import sklearn.metrics
from sklearn.datasets import make_blobs
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from testdata import positive_weights

from kmlab import KMeans, SphericalKMeans
from kmlab.selection import (
    CRITERIA,
    ELBOW_MIN_STRENGTH,
    KSelection,
    _best_k,
    _elbow,
    _verdict,
    _within_ss,
    select_k,
)

# --- data ------------------------------------------------------------------------


def square_blobs(seed, n_samples=120, dtype=np.float64):
    """4 blobs at the corners of a 10 x 10 square, standard deviation 1: k = 4 beyond doubt."""
    centers = np.array([[0.0, 0.0], [0.0, 10.0], [10.0, 0.0], [10.0, 10.0]])
    X, _ = make_blobs(n_samples=n_samples, centers=centers, cluster_std=1.0, random_state=seed)
    return X.astype(dtype)


def uniform_noise(seed, n_samples=200, n_features=2):
    return np.random.RandomState(seed).uniform(size=(n_samples, n_features))


def gaussian_noise(seed, n_samples=200, n_features=3):
    return np.random.RandomState(seed).normal(size=(n_samples, n_features))


# --- the choice on clear and on structureless data ------------------------------------


def test_four_blobs_every_criterion_finds_four(seed):
    selection = select_k(square_blobs(seed), range(1, 8), n_refs=5, random_state=seed)
    assert selection.recommended == dict.fromkeys(CRITERIA, 4)
    assert selection.best_k == 4
    assert selection.elbow_k == 4
    assert selection.elbow_strength >= ELBOW_MIN_STRENGTH
    assert selection.verdict == "clear elbow at k=4; silhouette, gap, Calinski-Harabasz and Davies-Bouldin agree"


@pytest.mark.parametrize("data", [uniform_noise, gaussian_noise])
def test_structureless_data_has_no_clear_elbow(data, seed):
    selection = select_k(data(seed), range(1, 10), criteria=("elbow", "silhouette"), random_state=seed)
    assert selection.elbow_k is None
    assert not selection.elbow_strength >= ELBOW_MIN_STRENGTH  # NaN (no candidate knee) counts as weak
    silhouette_k = selection.recommended["silhouette"]
    assert selection.best_k == silhouette_k
    assert selection.verdict == f"no clear elbow; silhouette prefers {silhouette_k}"


def test_structureless_gap_mostly_finds_one_cluster():
    # The 1-SE rule errs now and then on pure noise (5 of 40 seeds here), so count.
    picks = [
        select_k(uniform_noise(seed, 100), range(1, 5), criteria="gap", n_refs=5, random_state=seed).recommended["gap"]
        for seed in range(10)
    ]
    assert picks.count(1) >= 8
    selection = select_k(uniform_noise(0, 100), range(1, 5), criteria="gap", n_refs=5, random_state=0)
    assert selection.verdict == "gap prefers 1"


# --- each criterion equals its reference --------------------------------------------


def test_fits_are_kmeans_fits():
    X = square_blobs(0, 90)
    weights = positive_weights(90, 0)
    selection = select_k(X, [1, 3, 5, 6], criteria="elbow", n_init=2, random_state=7, sample_weight=weights)
    assert_array_equal(selection.k_values, [1, 3, 5, 6])
    for i, k in enumerate(selection.k_values):
        reference = KMeans(n_clusters=k, n_init=2, random_state=7).fit(X, sample_weight=weights)
        assert selection.estimators[i].n_clusters == k
        assert selection.inertia[i] == reference.inertia_
        assert_array_equal(selection.labels[i], reference.labels_)
        assert_array_equal(selection.centers[i], reference.cluster_centers_)


def test_label_scores_equal_scikit_learn():
    X = square_blobs(1, 80)
    selection = select_k(X, range(1, 6), criteria=("silhouette", "calinski_harabasz", "davies_bouldin"), random_state=0)
    assert np.isnan(selection.silhouette[0]) and np.isnan(selection.calinski_harabasz[0])
    assert np.isnan(selection.davies_bouldin[0])
    for i in range(1, 5):
        labels = selection.labels[i]
        assert selection.silhouette[i] == pytest.approx(sklearn.metrics.silhouette_score(X, labels), rel=1e-6)
        assert selection.calinski_harabasz[i] == pytest.approx(sklearn.metrics.calinski_harabasz_score(X, labels))
        assert selection.davies_bouldin[i] == pytest.approx(sklearn.metrics.davies_bouldin_score(X, labels))
    assert selection.gap is None and selection.gap_se is None
    assert selection.recommended["silhouette"] == 1 + int(np.nanargmax(selection.silhouette))
    assert selection.recommended["davies_bouldin"] == 1 + int(np.nanargmin(selection.davies_bouldin))


def test_silhouette_subsample_is_shared_and_seeded():
    X = gaussian_noise(0, 120)
    selection = select_k(X, range(2, 5), criteria="silhouette", silhouette_sample_size=50, random_state=3)
    subsample = np.random.RandomState(3).choice(120, 50, replace=False)
    for i, labels in enumerate(selection.labels):
        expected = sklearn.metrics.silhouette_score(X[subsample], labels[subsample])
        assert selection.silhouette[i] == pytest.approx(expected, rel=1e-6)


def test_silhouette_metric_cosine_for_spherical_kmeans_or_when_asked():
    """SphericalKMeans clusters directions: select_k's silhouette compares them by the cosine, unless told."""
    rng = np.random.RandomState(0)
    directions = np.repeat(np.eye(3), 30, axis=0) + rng.normal(scale=0.1, size=(90, 3))
    X = directions * rng.uniform(0.5, 20.0, size=(90, 1))  # lengths that carry no meaning
    spherical = select_k(X, range(2, 5), estimator=SphericalKMeans(), criteria="silhouette", random_state=0)
    assert spherical.silhouette_metric == "cosine"
    for i, labels in enumerate(spherical.labels):
        expected = sklearn.metrics.silhouette_score(X, labels, metric="cosine")
        assert spherical.silhouette[i] == pytest.approx(expected, rel=1e-9)
    assert spherical.recommended["silhouette"] == 3
    told = select_k(X, range(2, 5), estimator=SphericalKMeans(), criteria="silhouette", random_state=0,
                    silhouette_metric="euclidean")  # fmt: skip
    assert told.silhouette_metric == "euclidean"
    assert told.silhouette[0] == pytest.approx(sklearn.metrics.silhouette_score(X, told.labels[0]), rel=1e-6)
    plain = select_k(X, range(2, 5), criteria="silhouette", random_state=0, silhouette_metric="manhattan")
    expected = sklearn.metrics.silhouette_score(X, plain.labels[1], metric="manhattan")
    assert plain.silhouette[1] == pytest.approx(expected, rel=1e-9)
    assert select_k(X, range(2, 5), criteria="elbow", random_state=0).silhouette_metric is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_gap_equals_naive(dtype, weighted, seed):
    X = square_blobs(seed, 60, dtype=dtype)
    weights = positive_weights(60, seed) if weighted else None
    k_values = [1, 2, 3, 4, 5]
    selection = select_k(X, k_values, criteria="gap", n_refs=4, n_init=1, random_state=seed, sample_weight=weights)

    def cluster(data, k):
        fit = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(data, sample_weight=weights)
        return fit.cluster_centers_, fit.labels_

    gap, se = naive.gap_statistic(X, k_values, 4, seed, cluster, weights)
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    assert_allclose(selection.gap, gap, rtol=rtol, atol=rtol)
    assert_allclose(selection.gap_se, se, rtol=rtol, atol=rtol)
    assert selection.recommended["gap"] == naive.one_se_choice(k_values, gap, se)


def test_gap_pca_reference_on_a_tilted_gaussian(seed):
    # One Gaussian stretched along the diagonal: the bounding box is mostly empty space, so against
    # box references the gap sees clusters; the PCA box follows the data and the gap finds none.
    rng = np.random.RandomState(seed)
    along, across = rng.normal(0, 3, 100), rng.normal(0, 0.3, 100)
    X = np.column_stack([along + across, along - across]) / np.sqrt(2)
    picks = {
        reference: select_k(X, range(1, 6), criteria="gap", gap_reference=reference, n_refs=5, random_state=seed)
        .recommended["gap"]
        for reference in ("box", "pca")
    }
    assert picks["pca"] == 1
    assert picks["box"] != 1


# --- other estimators, sparse data, odd shapes ---------------------------------------


def test_scikit_learn_kmeans_as_estimator():
    X = square_blobs(2, 80)
    estimator = sklearn.cluster.KMeans(n_init=2)
    selection = select_k(X, range(1, 6), estimator=estimator, criteria=("elbow", "silhouette"), random_state=4)
    assert estimator.n_clusters == 8 and estimator.random_state is None  # cloned, not modified
    for i, k in enumerate(selection.k_values):
        reference = sklearn.cluster.KMeans(n_clusters=k, n_init=2, random_state=4).fit(X)
        assert isinstance(selection.estimators[i], sklearn.cluster.KMeans)
        assert selection.inertia[i] == pytest.approx(reference.inertia_, rel=1e-12)
    assert selection.best_k == 4


def test_agglomerative_clustering_inertia_from_labels():
    X = square_blobs(3, 80)
    selection = select_k(X, range(1, 7), estimator=sklearn.cluster.AgglomerativeClustering(), n_refs=3, random_state=0)
    for i, k in enumerate(selection.k_values):
        labels = sklearn.cluster.AgglomerativeClustering(n_clusters=k).fit(X).labels_
        assert_array_equal(selection.labels[i], labels)
        sums, weights = naive.cluster_sums(X, labels, np.ones(80), k)
        expected = naive.inertia(X, sums / weights[:, None], labels)
        assert selection.inertia[i] == pytest.approx(expected, rel=1e-12)
    assert selection.centers == [None] * 6
    assert selection.best_k == 4


@pytest.mark.parametrize("weighted", [False, True])
def test_within_ss_sparse_equals_dense(weighted):
    X = gaussian_noise(4, 50)
    X[X < 0] = 0.0
    labels = np.random.RandomState(4).randint(0, 4, 50)
    weights = positive_weights(50, 4) if weighted else np.ones(50)
    sums, totals = naive.cluster_sums(X, labels, weights, 4)
    expected = naive.inertia(X, sums / totals[:, None], labels, weights)
    assert _within_ss(X, labels, weights) == pytest.approx(expected, rel=1e-12)
    assert _within_ss(sp.csr_matrix(X), labels, weights) == pytest.approx(expected, rel=1e-10)


def test_sparse_input_gives_the_dense_answer():
    X = square_blobs(5, 80) + 5.0
    criteria = ("elbow", "silhouette", "gap")
    dense = select_k(X, range(1, 6), criteria=criteria, n_refs=3, random_state=1)
    sparse = select_k(sp.csr_matrix(X), range(1, 6), criteria=criteria, n_refs=3, random_state=1)
    for name in ("inertia", "silhouette", "gap", "gap_se"):
        assert_allclose(getattr(sparse, name), getattr(dense, name), rtol=1e-7, equal_nan=True)
    assert sparse.recommended == dense.recommended
    with pytest.raises(ValueError, match="calinski_harabasz and davies_bouldin need dense X"):
        select_k(sp.csr_matrix(X), range(1, 4))
    with pytest.raises(ValueError, match="gap_reference='pca' needs dense X"):
        select_k(sp.csr_matrix(X), range(1, 4), criteria="gap", gap_reference="pca")


def test_duplicates_elbow_at_the_number_of_distinct_points():
    X = np.repeat([[0.0, 0.0], [4.0, 1.0], [1.0, 5.0]], 10, axis=0)
    with pytest.warns(ConvergenceWarning, match="Number of distinct clusters"):
        selection = select_k(X, range(1, 6), criteria=("elbow", "silhouette", "gap"), n_refs=3, random_state=0)
    assert np.all(selection.inertia[2:] <= 1e-12 * selection.inertia[0])  # 0 up to rounding
    assert selection.elbow_k == 3 and selection.elbow_strength == np.inf
    assert selection.silhouette[2] == 1.0
    assert np.all(np.isnan(selection.gap[2:]))  # log(0): no scatter left to compare
    assert selection.recommended["gap"] is None
    assert selection.best_k == 3
    assert selection.verdict == "clear elbow at k=3; silhouette agrees; gap none in range"


def test_k_up_to_n_samples_one_feature():
    X = np.array([[0.0], [0.1], [5.0], [5.2], [9.0], [9.1]])
    selection = select_k(X, range(1, 7), criteria=("elbow", "silhouette", "davies_bouldin"), random_state=0)
    assert selection.inertia[-1] == 0.0
    assert np.isnan(selection.silhouette[-1])  # 6 labels for 6 samples: undefined
    assert selection.best_k == 3


def test_reproducible_and_random_state_instances():
    X = square_blobs(6, 60)
    first = select_k(X, range(1, 5), n_refs=3, random_state=11)
    second = select_k(X, range(1, 5), n_refs=3, random_state=11)
    for name in ("inertia", "silhouette", "gap", "gap_se", "calinski_harabasz", "davies_bouldin"):
        assert_array_equal(getattr(first, name), getattr(second, name))
    from_instance = select_k(X, range(1, 5), n_refs=3, random_state=np.random.RandomState(11))
    assert from_instance.best_k == first.best_k == 4


# --- best_k and the verdict, by hand ------------------------------------------------


@pytest.mark.parametrize(
    ("recommended", "best_k", "verdict"),
    [
        (
            {"elbow": 4, "silhouette": 4, "gap": 4},
            4,
            "clear elbow at k=4; silhouette and gap agree",
        ),
        (
            {"elbow": 4, "silhouette": 3, "gap": 4, "calinski_harabasz": 9},
            4,
            "clear elbow at k=4; gap agrees; silhouette k=3, Calinski-Harabasz k=9",
        ),
        (
            {"elbow": None, "silhouette": 3},
            3,
            "no clear elbow; silhouette prefers 3",
        ),
        (
            {"elbow": 5, "silhouette": 3, "gap": 3, "davies_bouldin": 2},
            3,
            "clear elbow at k=5 but no other criterion agrees; silhouette and gap prefer 3; Davies-Bouldin k=2",
        ),
        (  # a tie goes to the silhouette
            {"elbow": 5, "silhouette": 3, "gap": 2},
            3,
            "clear elbow at k=5 but no other criterion agrees; silhouette prefers 3; gap k=2",
        ),
        (  # a tie without the silhouette goes to the smallest k
            {"gap": 6, "calinski_harabasz": 2, "davies_bouldin": 4},
            2,
            "Calinski-Harabasz prefers 2; gap k=6, Davies-Bouldin k=4",
        ),
        (
            {"elbow": None, "gap": None, "silhouette": 2, "davies_bouldin": 2},
            2,
            "no clear elbow; silhouette and Davies-Bouldin prefer 2; gap none in range",
        ),
        ({"elbow": None, "gap": None}, None, "no clear elbow; no criterion recommends a k"),
        ({"elbow": None}, None, "no clear elbow"),
        ({"elbow": 3}, 3, "clear elbow at k=3"),
    ],
)
def test_best_k_and_verdict(recommended, best_k, verdict):
    assert _best_k(recommended) == best_k
    assert _verdict(tuple(recommended), recommended, best_k) == verdict


def test_elbow_rule_on_hand_made_curves():
    k = np.arange(1, 11)
    assert _elbow(k, 100.0 / k) == (None, pytest.approx(1.0))  # a power law: no structure
    assert _elbow(k, 100.0 / k**2)[0] is None
    bent = np.array([100.0, 40.0, 12.0, 2.0, 1.8, 1.6, 1.5, 1.4, 1.3, 1.2])
    assert _elbow(k, bent)[0] == 4
    perfect = np.array([100.0, 30.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert _elbow(k, perfect) == (4, np.inf)
    assert _elbow(k, np.zeros(10))[0] is None
    assert _elbow(k[:2], bent[:2])[0] is None


# --- the result object ---------------------------------------------------------------


@pytest.fixture(scope="module")
def selection():
    return select_k(square_blobs(0, 80), range(1, 8), n_refs=3, random_state=0)


def test_to_frame(selection):
    frame = selection.to_frame()
    assert frame.index.name == "k"
    assert_array_equal(frame.index, np.arange(1, 8))
    assert list(frame.columns) == ["inertia", "silhouette", "gap", "gap_se", "calinski_harabasz", "davies_bouldin"]
    assert_array_equal(frame["gap"], selection.gap)
    only_elbow = select_k(square_blobs(0, 40), range(1, 4), criteria="elbow", random_state=0)
    assert list(only_elbow.to_frame().columns) == ["inertia"]


def test_to_frame_without_pandas(selection, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pip install "kmlab\[io\]"'):
        selection.to_frame()


def test_summary_and_repr(selection):
    text = selection.summary()
    lines = text.splitlines()
    assert lines[0].split() == ["k", "inertia", "silhouette", "gap", "gap_se", "calinski_harabasz", "davies_bouldin"]
    row_4 = lines[4].split()
    assert row_4[0] == "4" and row_4[1].endswith("*") and row_4[2].endswith("*") and row_4[3].endswith("*")
    assert lines[-1] == f"best k: 4 ({selection.verdict})"
    assert repr(selection) == f"KSelection(k=1..7, best_k=4, verdict={selection.verdict!r})"
    assert repr(select_k(X_SMALL, [1, 2, 5], criteria="elbow", random_state=0)).startswith("KSelection(k=[1, 2, 5],")
    assert isinstance(selection, KSelection) and selection.criteria == CRITERIA


# --- progress bar --------------------------------------------------------------------


def test_progress_bar_on_stderr(capsys):
    X = square_blobs(0, 40)
    select_k(X, range(1, 4), criteria=("elbow", "gap", "silhouette"), n_refs=2, random_state=0, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "select_k" in captured.err and "12/12" in captured.err  # 3 fits, 2 references x 3, 3 silhouettes
    select_k(X, range(1, 4), criteria="elbow", random_state=0)
    assert capsys.readouterr().err == ""


# --- bad input -----------------------------------------------------------------------

X_SMALL = square_blobs(0, 20)


def test_gap_refuses_huge_dense_references_of_sparse_data():
    X = sp.identity(50_000, format="csr")
    with pytest.raises(ValueError, match=r"dense 50,000 x 50,000 arrays \(18.6 GiB each\) for this sparse X"):
        select_k(X, [2, 3], criteria=("elbow", "gap"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"k_range": range(0, 4)}, ValueError, "k_range contains 0; the number of clusters must be >= 1"),
        ({"k_range": [2, 30]}, ValueError, "k_range contains 30 but X has only 20 samples"),
        ({"k_range": [3]}, ValueError, "at least two different numbers of clusters"),
        ({"k_range": [2, 3, 3]}, ValueError, r"k_range repeats \[3\]"),
        ({"k_range": [2.0, 3.0]}, TypeError, "k_range must contain only integers; got 2.0"),
        ({"k_range": 10}, TypeError, "k_range must be a sequence of integers"),
        ({"criteria": ("elbow", "bic")}, ValueError, r"Unknown criteria \['bic'\]; choose among \['elbow', 'sil"),
        ({"criteria": ()}, ValueError, "criteria is empty"),
        ({"estimator": sklearn.cluster.DBSCAN()}, TypeError, "DBSCAN has no n_clusters parameter"),
        ({"estimator": KMeans}, TypeError, r"estimator instance, e.g. KMeans\(\)"),
        (
            {"estimator": sklearn.cluster.AgglomerativeClustering(), "sample_weight": np.ones(20)},
            TypeError,
            "AgglomerativeClustering.fit does not accept sample_weight",
        ),
        ({"sample_weight": -np.ones(20)}, ValueError, "sample_weight contains negative values"),
        ({"n_refs": 0}, ValueError, "'n_refs' parameter of select_k"),
        ({"gap_reference": "sphere"}, ValueError, "'gap_reference' parameter of select_k"),
        ({"n_init": 0}, ValueError, "'n_init' parameter of select_k"),
        ({"silhouette_metric": "precomputed"}, ValueError, "silhouette_metric='precomputed' does not apply"),
        ({"silhouette_metric": "cosinus"}, ValueError, "silhouette_metric='cosinus' cannot score X: .*cosinus"),
        ({"silhouette_metric": 3}, ValueError, "'silhouette_metric' parameter of select_k"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        select_k(X_SMALL, **{"k_range": range(1, 4), **kwargs})


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]), "Input X contains NaN"),
        (np.array([[0.0, 1.0], [np.inf, 2.0], [3.0, 4.0]]), "Input X contains infinity"),
        (np.empty((0, 2)), "0 sample"),
        (np.arange(6.0), "Expected 2D array, got 1D array"),
        (np.array([["a", "b"], ["c", "d"]]), "X contains strings"),
    ],
)
def test_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        select_k(X, [1, 2])


@pytest.mark.parametrize("n_samples", [300, 650, 1000])
def test_tutorial_data_recommends_four(n_samples):
    # The tutorial's data: make_blobs(centers=4, cluster_std=0.6), random_state 0..9.  With
    # random_state=5 two of the four centres lie 1.0 apart (1.7 standard deviations): the
    # points form three clusters, and every criterion says 3.
    for random_state in range(10):
        X, _, centers = make_blobs(
            n_samples=n_samples, centers=4, cluster_std=0.6, random_state=random_state, return_centers=True
        )
        selection = select_k(X, random_state=0)
        closest = min(np.linalg.norm(a - b) for i, a in enumerate(centers) for b in centers[i + 1 :])
        expected = 4 if closest > 4 * 0.6 else 3
        assert (random_state == 5) == (expected == 3)
        assert selection.best_k == expected, (random_state, selection.verdict)
        assert selection.recommended["elbow"] == expected
