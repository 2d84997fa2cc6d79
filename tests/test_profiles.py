"""kmlab.profiles.cluster_profiles against pandas' group statistics, odd shapes, bad input."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs

from kmlab.profiles import cluster_profiles


def pandas_profiles(X, labels, n_clusters):
    """The statistics the slow obvious way: pandas groupby, population standard deviation."""
    frame = pd.DataFrame(X)
    groups = frame.groupby(labels)
    mean = groups.mean().reindex(range(n_clusters))
    median = groups.median().reindex(range(n_clusters))
    std = frame.std(ddof=0)
    smd = ((mean - frame.mean()) / std.where(std > 0)).fillna(0.0).where(mean.notna())
    size = pd.Series(labels).value_counts().reindex(range(n_clusters), fill_value=0)
    return size.to_numpy(), mean.to_numpy(), median.to_numpy(), smd.to_numpy()


def statistic(profiles, names, stat):
    return profiles[[f"{name}_{stat}" for name in names]].to_numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_pandas(seed, dtype):
    X, labels = make_blobs(n_samples=150, n_features=3, centers=4, cluster_std=1.5, random_state=seed)
    X = X.astype(dtype)
    profiles = cluster_profiles(X, labels)
    names = ["x0", "x1", "x2"]
    size, mean, median, smd = pandas_profiles(X.astype(np.float64), labels, 4)
    assert list(profiles.index) == [0, 1, 2, 3] and profiles.index.name == "cluster"
    assert_array_equal(profiles["size"], size)
    assert_allclose(profiles["share"], size / 150)
    assert_allclose(statistic(profiles, names, "mean"), mean, rtol=1e-12)
    assert_allclose(statistic(profiles, names, "median"), median, rtol=1e-12)
    assert_allclose(statistic(profiles, names, "smd"), smd, rtol=1e-9, atol=1e-12)
    for cluster, pairs in profiles["distinguishing"].items():
        by_size = sorted(range(3), key=lambda j: -abs(smd[cluster, j]))
        assert [name for name, _ in pairs] == [names[j] for j in by_size]
        assert [value for _, value in pairs] == [round(profiles.loc[cluster, f"{names[j]}_smd"], 2) for j in by_size]


def test_columns_and_names_from_a_frame():
    X = pd.DataFrame({"income": [10.0, 10.0, 50.0, 50.0, 30.0], "age": [30.0, 31.0, 30.0, 31.0, 40.0]})
    profiles = cluster_profiles(X, np.array([0, 0, 1, 1, 1]), n_distinguishing=1)
    assert list(profiles.columns) == [
        "size", "share", "income_mean", "income_median", "income_smd", "age_mean", "age_median", "age_smd",
        "distinguishing",
    ]  # fmt: skip
    assert profiles.loc[1, "income_median"] == 50.0 and profiles.loc[0, "age_mean"] == 30.5
    assert [len(pairs) for pairs in profiles["distinguishing"]] == [1, 1]
    # Given names replace the frame's.
    renamed = cluster_profiles(X, [0, 0, 1, 1, 1], feature_names=["a", "b"])
    assert_array_equal(renamed["a_mean"], profiles["income_mean"])


def test_empty_cluster_and_constant_feature():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [9.0, 5.0]])
    profiles = cluster_profiles(X, [0, 0, 2], feature_names=["x", "same"], n_clusters=4)
    assert profiles["size"].tolist() == [2, 0, 1, 0]
    assert profiles.loc[1, ["x_mean", "x_median", "x_smd"]].isna().all()
    assert profiles.loc[1, "distinguishing"] == [] and profiles.loc[3, "share"] == 0.0
    # A constant feature sets no cluster apart.
    assert profiles.loc[0, "same_smd"] == 0.0 and profiles.loc[0, "distinguishing"][-1] == ("same", 0.0)


@pytest.mark.parametrize("n_samples", [1, 3])
def test_one_feature_and_one_sample_per_cluster(n_samples):
    X = np.arange(n_samples, dtype=float)[:, None]
    profiles = cluster_profiles(X, np.arange(n_samples))
    assert_array_equal(profiles["x0_mean"], X[:, 0])
    assert_array_equal(profiles["size"], np.ones(n_samples))


@pytest.mark.parametrize(
    "X, labels, kwargs, error, message",
    [
        ([[1.0], [np.nan]], [0, 1], {}, ValueError, "NaN"),
        ([[1.0], [np.inf]], [0, 1], {}, ValueError, "infinity"),
        ([["a"], ["b"]], [0, 1], {}, ValueError, "strings"),
        ([1.0, 2.0], [0, 1], {}, ValueError, "2D array"),
        (np.empty((0, 2)), [], {}, ValueError, "0 sample"),
        ([[1.0], [2.0]], [0], {}, ValueError, "one cluster per sample"),
        ([[1.0], [2.0]], [0.0, 1.0], {}, ValueError, "integer cluster indices"),
        ([[1.0], [2.0]], [0, -1], {}, ValueError, "labels must be >= 0"),
        ([[1.0], [2.0]], [0, 3], {"n_clusters": 2}, ValueError, "at least 4"),
        ([[1.0], [2.0]], [0, 1], {"feature_names": ["a", "b"]}, ValueError, "2 names but X has 1 features"),
        ([[1.0, 2.0]], [0], {"feature_names": ["a", "a"]}, ValueError, "a appear more than once"),
        ([[1.0], [2.0]], [0, 1], {"n_distinguishing": -1}, ValueError, "n_distinguishing"),
    ],
)
def test_bad_input(X, labels, kwargs, error, message):
    with pytest.raises(error, match=message):
        cluster_profiles(X, labels, **kwargs)
