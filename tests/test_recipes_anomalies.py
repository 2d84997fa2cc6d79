"""kmlab.recipes.find_anomalies: the recipe against its parts, and the ROC AUC bar."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import RobustScaler, StandardScaler
from test_anomaly import blobs_with_outliers

from kmlab import ClusterAnomalyDetector, KMeans
from kmlab.recipes import find_anomalies


def test_roc_auc_on_blobs_with_uniform_outliers(seed):
    X, truth = blobs_with_outliers(seed)
    result = find_anomalies(X, random_state=seed)
    assert result.n_clusters == result.selection.best_k
    assert roc_auc_score(truth, result.scores) >= 0.95
    assert result.is_anomaly.mean() == pytest.approx(0.01, abs=1.5 / X.shape[0])


@pytest.mark.parametrize("scale, scaler", [("standard", StandardScaler), ("robust", RobustScaler), (None, None)])
def test_same_as_the_scaler_and_detector_by_hand(scale, scaler):
    X, _ = blobs_with_outliers(2, n_samples=600, n_features=3)
    X[:, 0] *= 1000  # one feature in other units
    result = find_anomalies(X, 4, contamination=0.05, scale=scale, random_state=7)
    Xs = X if scaler is None else scaler().fit_transform(X)
    detector = ClusterAnomalyDetector(KMeans(n_clusters=4, n_init=3, random_state=7), contamination=0.05).fit(Xs)
    np.testing.assert_allclose(result.scores, -detector.score_samples(Xs), rtol=1e-12)
    np.testing.assert_array_equal(result.is_anomaly, detector.predict(Xs) == -1)
    np.testing.assert_array_equal(result.labels, detector.estimator_.predict(Xs))
    np.testing.assert_allclose(result.spread, detector.spread_, rtol=1e-12)
    assert result.threshold == pytest.approx(-detector.offset_)
    assert result.selection is None
    # The model takes raw rows: the same scores and flags as the result.
    np.testing.assert_allclose(-result.model.score_samples(X), result.scores, rtol=1e-12)
    np.testing.assert_array_equal(result.model.predict(X) == -1, result.is_anomaly)


def test_scaling_lets_every_feature_count():
    # An outlier in the small-unit feature only: invisible without scaling.
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(50_000, 10_000, 500), rng.normal(40, 2, 500)])
    X[0, 1] = 70.0
    scaled = find_anomalies(X, 1, contamination=0.002)
    raw = find_anomalies(X, 1, contamination=0.002, scale=None)
    assert np.flatnonzero(scaled.is_anomaly).tolist() == [0]
    assert not raw.is_anomaly[0]


def test_dataframe_and_float32_input():
    X, _ = blobs_with_outliers(4, n_samples=400, n_features=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    from_frame = find_anomalies(frame, 4, random_state=0)
    from_array = find_anomalies(X, 4, random_state=0)
    np.testing.assert_array_equal(from_frame.scores, from_array.scores)
    single = find_anomalies(X.astype(np.float32), 4, random_state=0)
    np.testing.assert_array_equal(single.is_anomaly, from_array.is_anomaly)


@pytest.mark.parametrize(
    "X, kwargs, error, message",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]]), {}, ValueError, "NaN"),
        (np.array([["a", "b"], ["c", "d"]]), {}, ValueError, "strings"),
        (sp.random(10, 3, density=0.5, format="csr", random_state=0), {}, TypeError, "dense data is required"),
        (np.ones((10, 2)), {"scale": "minmax"}, ValueError, "scale must be one of"),
        (np.ones((10, 2)), {"n_clusters": "many"}, ValueError, "n_clusters must be"),
        (np.ones((10, 2)), {"n_clusters": 2, "contamination": 0.0}, ValueError, "contamination"),
        (np.ones((3, 2)), {"k_range": range(3, 6)}, ValueError, "leaves fewer than two"),
        (np.ones((3, 2)), {"n_clusters": 5}, ValueError, "n_clusters=5"),
    ],
    ids=["nan", "strings", "sparse", "scale", "n-clusters", "contamination", "k-range", "too-many-clusters"],
)
def test_bad_input_is_named(X, kwargs, error, message):
    with pytest.raises(error, match=message):
        find_anomalies(X, **kwargs)
