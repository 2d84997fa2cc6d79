"""Bad input raises ValueError/TypeError/NotFittedError whose message names the problem.

Never a numba error, a crash or a silent answer.  scikit-learn's
InvalidParameterError is both a ValueError and a TypeError.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from kmlab import KMeans, k_means, kmeans_plusplus

X = np.random.RandomState(0).uniform(size=(10, 2))


def with_value(row, column, value):
    out = X.copy()
    out[row, column] = value
    return out


def pandas():
    return pytest.importorskip("pandas")


BAD_X = [
    pytest.param(lambda: with_value(3, 1, np.nan), ValueError, "Input X contains NaN", id="nan"),
    pytest.param(lambda: with_value(0, 0, np.inf), ValueError, "Input X contains infinity", id="inf"),
    pytest.param(lambda: with_value(0, 0, -np.inf), ValueError, "Input X contains infinity", id="minus-inf"),
    pytest.param(lambda: sp.csr_matrix(with_value(3, 1, np.nan)), ValueError, "Input X contains NaN", id="sparse-nan"),
    pytest.param(lambda: with_value(3, 1, np.nan)[:, 1:], ValueError, "Input X contains NaN", id="one-feature-nan"),
    pytest.param(lambda: with_value(0, 1, np.inf)[:, 1:], ValueError, "Input X contains infinity",
                 id="one-feature-inf"),
    pytest.param(lambda: with_value(0, 0, np.inf).astype(np.float32), ValueError, "Input X contains infinity",
                 id="float32-inf"),
    pytest.param(lambda: np.empty((0, 2)), ValueError, r"0 sample\(s\)", id="no-samples"),
    pytest.param(lambda: np.empty((10, 0)), ValueError, r"0 feature\(s\)", id="no-features"),
    pytest.param(lambda: X[:, 0], ValueError, "Expected 2D array, got 1D array", id="1-D"),
    pytest.param(lambda: X.reshape(5, 2, 2), ValueError, "Found array with dim 3", id="3-D"),
    pytest.param(lambda: np.array([["a", "b"], ["c", "d"], ["e", "f"]]), ValueError, "X contains strings",
                 id="numpy-strings"),
    pytest.param(lambda: [[1.0, 2.0], [3.0, "x"], [5.0, 6.0]], ValueError, "X contains strings",
                 id="list-with-a-string"),
    pytest.param(lambda: np.array([[1.0, 2.0], [3.0, "x"], [5.0, 6.0]], dtype=object), ValueError,
                 "X must contain only numbers.*string", id="object-array-with-a-string"),
    pytest.param(lambda: pandas().DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}), ValueError,
                 "string", id="dataframe-with-a-string-column"),
    pytest.param(lambda: X + 1j, ValueError, "complex", id="complex"),
    pytest.param(lambda: [[1 + 1j, 2.0], [3.0, 4.0], [5.0, 6.0]], ValueError, "complex", id="complex-list"),
]  # fmt: skip


@pytest.mark.parametrize("make_X, error, match", BAD_X)
def test_fit_rejects_bad_X(make_X, error, match):
    with pytest.raises(error, match=match):
        KMeans(2, n_init=1).fit(make_X())


@pytest.mark.parametrize("make_X, error, match", BAD_X)
def test_functions_reject_bad_X(make_X, error, match):
    with pytest.raises(error, match=match):
        k_means(make_X(), 2)
    with pytest.raises(error, match=match):
        kmeans_plusplus(make_X(), 2)


@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")  # the DataFrame case, fitted on an array
@pytest.mark.parametrize("method", ["predict", "transform", "score", "fit_predict", "fit_transform"])
@pytest.mark.parametrize("make_X, error, match", BAD_X)
def test_other_methods_reject_bad_X(make_X, error, match, method):
    km = KMeans(2, n_init=1, random_state=0).fit(X)
    with pytest.raises(error, match=match):
        getattr(km, method)(make_X())


def test_finite_data_whose_sum_overflows_is_fitted():
    # The NaN and infinity check reads the column means: an overflowing sum
    # of finite values must not pass for an infinity.
    big = np.full((6, 2), np.finfo(np.float32).max / 2, dtype=np.float32)
    big[3:, 1] = -big[3:, 1]
    with np.errstate(over="ignore"):
        assert not np.isfinite(big.mean(axis=0)).all()
    with pytest.warns(Warning):  # scikit-learn's own warnings on such numbers; no error
        KMeans(2, n_init=1, random_state=0).fit(big)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_fewer_samples_than_clusters(container):
    data = sp.csr_matrix(X) if container == "sparse" else X
    with pytest.raises(ValueError, match="n_samples=10 should be >= n_clusters=11"):
        KMeans(11).fit(data)
    with pytest.raises(ValueError, match="n_samples=10 should be >= n_clusters=11"):
        kmeans_plusplus(data, 11)


BAD_PARAMS = [
    ({"n_clusters": 0}, "n_clusters"),
    ({"n_clusters": -1}, "n_clusters"),
    ({"n_clusters": 2.5}, "n_clusters"),
    ({"n_clusters": "3"}, "n_clusters"),
    ({"n_clusters": None}, "n_clusters"),
    ({"max_iter": 0}, "max_iter"),
    ({"max_iter": -3}, "max_iter"),
    ({"max_iter": 1.5}, "max_iter"),
    ({"tol": -1e-4}, "tol"),
    ({"tol": "small"}, "tol"),
    ({"n_init": 0}, "n_init"),
    ({"n_init": "many"}, "n_init"),
    ({"algorithm": "full"}, "algorithm"),
    ({"algorithm": "LLOYD"}, "algorithm"),
    ({"init": "kmeans++"}, "init"),
    ({"init": 3}, "init"),
    ({"copy_x": "yes"}, "copy_x"),
    ({"random_state": "seed"}, "random_state"),
    ({"n_threads": "all"}, "n_threads"),
]


@pytest.mark.parametrize("params, name", BAD_PARAMS, ids=[f"{k}={v!r}" for p, _ in BAD_PARAMS for k, v in p.items()])
def test_bad_parameters(params, name):
    kwargs = {"n_clusters": 2, **params}
    # the parameter's name, in quotes, in the message
    with pytest.raises((ValueError, TypeError), match=f"'{name}' parameter"):
        KMeans(**kwargs).fit(X)
    with pytest.raises((ValueError, TypeError), match=f"'{name}' parameter"):
        k_means(X, **kwargs)


def test_zero_threads_is_refused_with_a_message_naming_n_threads():
    with pytest.raises(ValueError, match="n_threads"):
        KMeans(2, n_threads=0).fit(X)


@pytest.mark.parametrize("n_clusters", [0, -1, 2.5, "3"])
def test_kmeans_plusplus_bad_n_clusters(n_clusters):
    with pytest.raises((ValueError, TypeError), match="'n_clusters' parameter"):
        kmeans_plusplus(X, n_clusters)


BAD_WEIGHTS = [
    pytest.param(-np.ones(10), "sample_weight contains negative values", id="negative"),
    pytest.param(np.r_[1.0, -0.5, np.ones(8)], r"sample_weight contains negative values \(at index \[1\]", id="one-negative"),
    pytest.param(np.r_[np.nan, np.ones(9)], "sample_weight contains NaN", id="nan"),
    pytest.param(np.r_[np.inf, np.ones(9)], "sample_weight contains NaN or infinity", id="inf"),
    pytest.param(np.ones(9), r"sample_weight .* expected shape \(10,\), got \(9,\)", id="too-short"),
    pytest.param(np.ones(11), r"sample_weight .* expected shape \(10,\), got \(11,\)", id="too-long"),
    pytest.param(np.ones((10, 1)), r"sample_weight .* expected shape \(10,\), got \(10, 1\)", id="2-D"),
    pytest.param(np.zeros(10), "sample_weight is zero everywhere", id="all-zero"),
    pytest.param(np.array(["a"] * 10), "sample_weight must contain only real numbers", id="strings"),
]  # fmt: skip


@pytest.mark.parametrize("sample_weight, match", BAD_WEIGHTS)
def test_bad_sample_weight(sample_weight, match):
    with pytest.raises(ValueError, match=match):
        KMeans(2, n_init=1).fit(X, sample_weight=sample_weight)
    with pytest.raises(ValueError, match=match):
        kmeans_plusplus(X, 2, sample_weight=sample_weight)
    km = KMeans(2, n_init=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match=match):
        km.score(X, sample_weight=sample_weight)


@pytest.mark.parametrize(
    "init, match",
    [
        (np.zeros((3, 2)), r"initial centers \(3, 2\) does not match the number of clusters 2"),
        (np.zeros((1, 2)), r"initial centers \(1, 2\) does not match the number of clusters 2"),
        (np.zeros((2, 3)), r"initial centers \(2, 3\) does not match the number of features of the data 2"),
        (np.zeros((2, 1)), r"initial centers \(2, 1\) does not match the number of features of the data 2"),
        (np.array([[np.nan, 0.0], [1.0, 1.0]]), "Input init contains NaN"),
        (np.array([[np.inf, 0.0], [1.0, 1.0]]), "Input init contains infinity"),
        (lambda X, n_clusters, random_state: np.zeros((3, 2)), "does not match the number of clusters 2"),
        (lambda X, n_clusters, random_state: np.zeros((2, 5)), "does not match the number of features"),
    ],
    ids=["too-many-rows", "too-few-rows", "too-many-columns", "too-few-columns", "nan", "inf",
         "callable-rows", "callable-columns"],
)  # fmt: skip
def test_bad_init(init, match):
    with pytest.raises(ValueError, match=match):
        KMeans(2, init=init, n_init=1).fit(X)


@pytest.mark.parametrize("method", ["predict", "transform", "score"])
@pytest.mark.parametrize("n_features", [1, 3])
def test_wrong_number_of_features_after_fit(method, n_features):
    km = KMeans(2, n_init=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match=f"X has {n_features} features, but KMeans is expecting 2 features"):
        getattr(km, method)(np.ones((4, n_features)))


@pytest.mark.parametrize("method", ["predict", "transform", "score"])
def test_methods_before_fit(method):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(KMeans(2), method)(X)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        KMeans(2).get_feature_names_out()


def test_kmeans_plusplus_wrong_x_squared_norms_length():
    with pytest.raises(ValueError, match="length of x_squared_norms 3 should be equal to the length of n_samples 10"):
        kmeans_plusplus(X, 2, x_squared_norms=np.ones(3))


def test_kmeans_plusplus_bad_n_local_trials():
    with pytest.raises((ValueError, TypeError), match="'n_local_trials' parameter"):
        kmeans_plusplus(X, 2, n_local_trials=0)


def test_bad_input_leaves_no_fitted_state():
    km = KMeans(2, n_init=1)
    with pytest.raises(ValueError):
        km.fit(with_value(0, 0, np.nan))
    assert not hasattr(km, "cluster_centers_")
    with pytest.raises(NotFittedError):
        km.predict(X)
    # nor changes a fitted one
    km.fit(X)
    for bad in [np.c_[with_value(0, 0, np.nan), X], np.c_[X, X][:1]]:  # NaN; fewer samples than clusters
        with pytest.raises(ValueError):
            km.fit(bad)
        assert km.n_features_in_ == 2
        km.predict(X)
