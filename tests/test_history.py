"""KMeans fit history, callback, verbose output and progress bar."""

import contextlib
import io
import re

import naive
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import make_blobs

import kmlab._history
from kmlab import KMeans


def blobs(seed, n_samples=400, dtype=np.float64):
    X, _ = make_blobs(n_samples=n_samples, centers=4, cluster_std=1.5, random_state=seed)
    return X.astype(dtype)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan", "hamerly"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_recording_changes_nothing(seed, algorithm, dtype):
    X = blobs(seed, dtype=dtype)
    params = dict(n_clusters=5, n_init=3, init="random", random_state=seed, algorithm=algorithm)
    plain = KMeans(**params).fit(X)
    watched = KMeans(**params, record_history=True, callback=lambda step: None).fit(X)
    np.testing.assert_array_equal(plain.labels_, watched.labels_)
    np.testing.assert_array_equal(plain.cluster_centers_, watched.cluster_centers_)
    assert plain.inertia_ == watched.inertia_
    assert plain.n_iter_ == watched.n_iter_
    assert not hasattr(plain, "history_")


def test_history_follows_lloyd_step_by_step(seed):
    X = blobs(seed, n_samples=150)
    km = KMeans(n_clusters=4, random_state=seed, record_history=True).fit(X)
    history = km.history_
    assert history[0]["phase"] == "init" and history[0]["iteration"] == 0
    assert history[0]["labels"] is None and history[0]["inertia"] is None
    phases = [step["phase"] for step in history[1:]]
    assert phases[: 2 * km.n_iter_] == ["assign", "update"] * km.n_iter_
    assert len(history) in (1 + 2 * km.n_iter_, 2 + 2 * km.n_iter_)

    previous_centers = history[0]["centers"]
    for step in history[1:]:
        labels, centers = step["labels"], step["centers"]
        if step["phase"] == "assign":
            # The centres used are the previous step's; the labels are the nearest ones.
            np.testing.assert_array_equal(centers, previous_centers)
            np.testing.assert_array_equal(labels, naive.assign(X, centers))
        else:
            for cluster in range(4):
                np.testing.assert_allclose(centers[cluster], X[labels == cluster].mean(axis=0), rtol=1e-10)
            assert step["center_shift"] == pytest.approx(((centers - previous_centers) ** 2).sum(), rel=1e-6)
        assert step["inertia"] == pytest.approx(naive.inertia(X, centers, labels), rel=1e-10)
        previous_centers = centers

    inertias = [step["inertia"] for step in history[1:]]
    assert all(later <= earlier * (1 + 1e-12) for earlier, later in zip(inertias, inertias[1:]))
    np.testing.assert_array_equal(history[-1]["labels"], km.labels_)
    np.testing.assert_array_equal(history[-1]["centers"], km.cluster_centers_)
    assert history[-1]["inertia"] == pytest.approx(km.inertia_, rel=1e-12)


def test_history_ends_with_an_assignment_when_stopped_early():
    X = blobs(0)
    km = KMeans(n_clusters=6, init="random", n_init=1, max_iter=2, random_state=3, record_history=True)
    km.fit(X)
    assert km.n_iter_ == 2
    assert [step["phase"] for step in km.history_] == ["init", "assign", "update", "assign", "update", "assign"]
    np.testing.assert_array_equal(km.history_[-1]["labels"], km.labels_)


def test_history_keeps_the_best_run_and_callback_sees_all_runs():
    X = blobs(1)
    seen = []
    km = KMeans(n_clusters=5, init="random", n_init=4, random_state=0, record_history=True, callback=seen.append)
    km.fit(X)
    assert sorted({step["run"] for step in seen}) == [0, 1, 2, 3]
    best_run = km.history_[0]["run"]
    assert {step["run"] for step in km.history_} == {best_run}
    from_callback = [step for step in seen if step["run"] == best_run]
    assert len(from_callback) == len(km.history_)
    for a, b in zip(from_callback, km.history_):
        np.testing.assert_array_equal(a["centers"], b["centers"])
    # Each step's arrays are copies: later steps did not overwrite earlier ones.
    assert not np.array_equal(km.history_[0]["centers"], km.history_[-1]["centers"])


def test_history_on_sparse_and_weighted_data():
    X = blobs(2, n_samples=200)
    X[:, 0] = np.maximum(X[:, 0], 0)
    weights = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    dense = KMeans(n_clusters=3, random_state=0, record_history=True).fit(X, sample_weight=weights)
    sparse = KMeans(n_clusters=3, random_state=0, record_history=True).fit(sp.csr_matrix(X), sample_weight=weights)
    assert len(dense.history_) == len(sparse.history_)
    for a, b in zip(dense.history_, sparse.history_):
        assert a["phase"] == b["phase"]
        np.testing.assert_allclose(a["centers"], b["centers"], rtol=1e-10, atol=1e-10)
    last = dense.history_[-1]
    assert last["inertia"] == pytest.approx(naive.inertia(X, last["centers"], last["labels"], weights), rel=1e-10)


def test_labels_are_dropped_for_large_data(monkeypatch):
    monkeypatch.setattr(kmlab._history, "HISTORY_MAX_LABELS", 99)
    small = KMeans(n_clusters=3, random_state=0, record_history=True).fit(blobs(0, n_samples=99))
    large = KMeans(n_clusters=3, random_state=0, record_history=True).fit(blobs(0, n_samples=100))
    assert small.history_[-1]["labels"] is not None
    assert all(step["labels"] is None for step in large.history_)
    assert all(step["centers"].shape == (3, 2) for step in large.history_)


def test_verbose_prints_like_scikit_learn():
    X = blobs(0)
    outputs = []
    for cls in (SKKMeans, KMeans):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            cls(n_clusters=4, n_init=2, random_state=1, verbose=1).fit(X)
        outputs.append(buffer.getvalue())
    number = r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?"
    shapes = [re.sub(number, "N", text) for text in outputs]
    assert shapes[0] == shapes[1]
    values = [np.array(re.findall(number, text), dtype=float) for text in outputs]
    np.testing.assert_allclose(values[0], values[1], rtol=1e-12)


def test_progress_bar_goes_to_stderr(capsys):
    KMeans(n_clusters=3, init="random", n_init=3, random_state=0, progress=True).fit(blobs(0))
    captured = capsys.readouterr()
    assert "KMeans(n_clusters=3)" in captured.err
    assert "3/3" in captured.err
    assert captured.out == ""


def test_callback_errors_propagate_and_bad_callbacks_are_refused():
    def fail(step):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        KMeans(n_clusters=2, callback=fail).fit(blobs(0))
    with pytest.raises(ValueError, match="callback"):
        KMeans(n_clusters=2, callback="print").fit(blobs(0))
    with pytest.raises(ValueError, match="record_history"):
        KMeans(n_clusters=2, record_history="yes").fit(blobs(0))
