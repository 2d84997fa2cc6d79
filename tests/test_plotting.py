"""Tests of kmlab.plotting: what the displays draw, and the animation files."""

import subprocess
import sys

import matplotlib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances_argmin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kmlab import KMeans, SphericalKMeans
from kmlab.metrics import silhouette_samples, silhouette_score
from kmlab.plotting import (
    UNASSIGNED_COLOR,
    ClusterDisplay,
    ElbowDisplay,
    SilhouetteDisplay,
    _step_labels,
    animate_fit,
    cluster_colors,
)
from kmlab.selection import select_k

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from PIL import Image  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=160, centers=4, cluster_std=0.6, random_state=0)
    return X


@pytest.fixture(scope="module")
def blobs5():
    X, _ = make_blobs(n_samples=120, centers=3, n_features=5, random_state=1)
    return X


def rgb(colors):
    return np.asarray(colors)[..., :3]


def history_of(estimator, X):
    return KMeans(**{**estimator.get_params(), "record_history": True}).fit(X).history_


# --- import and colours -------------------------------------------------------------------------


def test_import_does_not_load_matplotlib():
    code = (
        "import sys, kmlab.plotting; "
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'matplotlib']; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_matplotlib_says_how_to_install(monkeypatch, blobs):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    hint = r'pip install "kmlab\[plot\]"'
    with pytest.raises(ImportError, match=hint):
        ElbowDisplay([1, 2], [2.0, 1.0]).plot()
    with pytest.raises(ImportError, match=hint):
        cluster_colors(3)
    with pytest.raises(ImportError, match=hint):
        animate_fit(KMeans(n_clusters=2), blobs, "fit.gif")


def test_cluster_colors_do_not_depend_on_the_number_of_clusters():
    tab10 = np.asarray(matplotlib.colormaps["tab10"].colors)
    many = cluster_colors(45)
    assert np.array_equal(rgb(cluster_colors(4)), tab10[:4])
    assert np.array_equal(cluster_colors(12), many[:12])
    assert np.unique(many.round(3), axis=0).shape[0] == 45
    assert ((many >= 0) & (many <= 1)).all()


# --- ElbowDisplay -------------------------------------------------------------------------------


def test_elbow_display_draws_the_curve_knee_and_silhouette():
    k = np.arange(1, 7)
    inertia = [600.0, 250.0, 60.0, 50.0, 45.0, 41.0]
    silhouette = [np.nan, 0.5, 0.7, 0.55, 0.5, 0.45]
    display = ElbowDisplay(k, inertia, elbow_k=3, silhouette=silhouette, verdict="Choose k = 3.")
    assert display.plot() is display
    assert np.array_equal(display.line_.get_xdata(), k)
    assert np.array_equal(display.line_.get_ydata(), inertia)
    assert list(display.knee_marker_.get_xdata()) == [3, 3]
    assert display.knee_marker_.get_linestyle() == "--"
    assert "k = 3" in display.knee_marker_.get_label()
    assert display.silhouette_ax_ is not display.ax_
    assert display.silhouette_line_.axes is display.silhouette_ax_
    assert np.array_equal(display.silhouette_line_.get_ydata(), silhouette, equal_nan=True)
    assert display.ax_.get_title() == "Choose k = 3."
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["inertia", "elbow: k = 3", "mean silhouette"]


def test_elbow_display_without_knee_or_silhouette_says_so():
    display = ElbowDisplay([1, 2, 3], [3.0, 2.0, 1.0], silhouette=[np.nan, np.nan, np.nan]).plot()
    assert display.knee_marker_ is None
    assert display.silhouette_ax_ is None and display.silhouette_line_ is None
    assert display.ax_.get_title() == "No clear elbow"
    assert ElbowDisplay([1, 2, 3], [9.0, 1.0, 0.5], elbow_k=2).plot().ax_.get_title() == "Elbow at k = 2"
    hidden = ElbowDisplay([1, 2], [2.0, 1.0], silhouette=[np.nan, 0.4]).plot(show_silhouette=False)
    assert hidden.silhouette_line_ is None
    assert len(hidden.figure_.axes) == 1


def test_elbow_display_uses_the_given_axes_and_line_options():
    figure, (left, right) = plt.subplots(1, 2)
    display = ElbowDisplay([1, 2, 3], [5.0, 2.0, 1.0], elbow_k=2).plot(ax=right, color="purple", marker="x")
    assert display.ax_ is right and display.figure_ is figure
    assert not left.lines
    assert display.line_.get_color() == "purple" and display.line_.get_marker() == "x"


def test_elbow_display_names_what_the_curves_measure(blobs):
    """Within-cluster sum of squares and Euclidean silhouette by default; cosine for a SphericalKMeans."""
    display = ElbowDisplay.from_selection(select_k(blobs, range(1, 4), criteria=("elbow", "silhouette")))
    assert display.ax_.get_ylabel() == "inertia (within-cluster sum of squares)"
    assert display.silhouette_ax_.get_ylabel() == "mean silhouette (higher is better)"
    selection = select_k(blobs, range(1, 4), estimator=SphericalKMeans(), criteria=("elbow", "silhouette"))
    display = ElbowDisplay.from_selection(selection)
    assert display.ax_.get_ylabel() == "inertia (sum of cosine distances to the centres)"
    assert display.silhouette_ax_.get_ylabel() == "mean silhouette, cosine (higher is better)"


def test_elbow_display_from_selection(blobs):
    selection = select_k(blobs, range(1, 8), criteria=("elbow", "silhouette"), random_state=0)
    display = ElbowDisplay.from_selection(selection)
    assert np.array_equal(display.line_.get_xdata(), selection.k_values)
    assert np.allclose(display.line_.get_ydata(), selection.inertia)
    assert selection.elbow_k == 4
    assert list(display.knee_marker_.get_xdata()) == [4, 4]
    assert np.allclose(display.silhouette_line_.get_ydata(), selection.silhouette, equal_nan=True)
    assert selection.verdict.startswith("clear elbow at k=4")
    assert " ".join(display.ax_.get_title().split()) == "C" + selection.verdict[1:]


def test_elbow_display_of_data_without_clusters(seed):
    X = np.random.default_rng(seed).uniform(size=(200, 2))
    display = ElbowDisplay.from_selection(select_k(X, range(1, 9), criteria=("elbow",), random_state=seed))
    assert display.elbow_k is None and display.knee_marker_ is None
    assert display.ax_.get_title().startswith("No clear elbow")


def test_elbow_display_from_estimator_runs_select_k(blobs):
    estimator = KMeans(n_init=3)
    display = ElbowDisplay.from_estimator(estimator, blobs, range(1, 6), random_state=0, show_silhouette=False)
    selection = select_k(blobs, range(1, 6), estimator=estimator, criteria=("elbow",), random_state=0)
    assert np.allclose(display.line_.get_ydata(), selection.inertia)
    assert display.elbow_k == selection.elbow_k
    assert display.silhouette_line_ is None


# --- SilhouetteDisplay --------------------------------------------------------------------------


def test_silhouette_display_bands_and_mean_line(blobs):
    labels = KMeans(n_clusters=4, random_state=0).fit_predict(blobs)
    display = SilhouetteDisplay.from_predictions(blobs, labels)
    values = silhouette_samples(blobs, labels)
    assert display.mean_line_.get_xdata()[0] == pytest.approx(silhouette_score(blobs, labels), abs=1e-12)
    assert len(display.bars_) == 4
    colors = cluster_colors(4)
    top = 0
    for cluster, band in enumerate(display.bars_):
        vertices = band.get_paths()[0].vertices
        mine = values[labels == cluster]
        assert vertices[:, 0].max() == pytest.approx(max(mine.max(), 0))
        assert vertices[:, 0].min() == pytest.approx(min(mine.min(), 0))
        # One bar per sample, bands stacked bottom to top without overlap.
        low, high = vertices[:, 1].min(), vertices[:, 1].max()
        assert high - low == np.sum(labels == cluster) - 1 and low > top
        top = high
        assert np.allclose(rgb(band.get_facecolor()[0]), rgb(colors[cluster]))
    assert [text.get_text() for text in display.ax_.texts] == ["0", "1", "2", "3"]


def test_silhouette_display_from_estimator_fits_or_predicts(blobs):
    estimator = KMeans(n_clusters=3, random_state=0)
    display = SilhouetteDisplay.from_estimator(estimator, blobs)
    assert np.array_equal(display.labels, estimator.labels_)  # fitted in place
    new = blobs[:40] + 0.1
    again = SilhouetteDisplay.from_estimator(estimator, new)
    assert np.array_equal(again.labels, estimator.predict(new))
    assert again.silhouette_score == pytest.approx(silhouette_score(new, estimator.predict(new)), abs=1e-12)


def test_silhouette_display_other_labels_and_axes(blobs):
    figure, ax = plt.subplots()
    labels = np.where(blobs[:, 0] > 0, "east", "west")
    display = SilhouetteDisplay.from_predictions(blobs, labels, ax=ax, alpha=0.3)
    assert display.ax_ is ax and display.figure_ is figure
    assert [text.get_text() for text in ax.texts] == ["east", "west"]
    assert display.bars_[0].get_alpha() == 0.3
    assert display.plot() is display


def test_silhouette_display_bad_input(blobs):
    with pytest.raises(ValueError, match="same length"):
        SilhouetteDisplay(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="Number of labels is 1"):
        SilhouetteDisplay.from_predictions(blobs, np.zeros(len(blobs), dtype=int))


# --- ClusterDisplay -----------------------------------------------------------------------------


def test_cluster_display_two_features(blobs):
    estimator = KMeans(n_clusters=4, random_state=0).fit(blobs)
    display = ClusterDisplay.from_estimator(estimator, blobs)
    colors = cluster_colors(4)
    assert np.array_equal(display.scatter_.get_offsets(), blobs)
    assert np.array_equal(display.scatter_.get_facecolors(), colors[estimator.labels_])
    assert np.array_equal(display.centers_.get_offsets(), estimator.cluster_centers_)
    assert np.array_equal(display.centers_.get_facecolors(), colors)
    assert display.projection is None and display.regions_ is None
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("feature 0", "feature 1")
    assert display.ax_.get_title() == "4 clusters"


def test_colours_agree_across_displays(blobs):
    estimator = KMeans(n_clusters=4, random_state=0).fit(blobs)
    clusters = ClusterDisplay.from_estimator(estimator, blobs)
    knife = SilhouetteDisplay.from_estimator(estimator, blobs)
    for cluster, band in enumerate(knife.bars_):
        point = np.flatnonzero(estimator.labels_ == cluster)[0]
        assert np.allclose(rgb(band.get_facecolor()[0]), rgb(clusters.scatter_.get_facecolors()[point]))
        assert np.allclose(rgb(band.get_facecolor()[0]), rgb(clusters.centers_.get_facecolors()[cluster]))


def test_cluster_display_projects_on_principal_components(blobs5):
    estimator = KMeans(n_clusters=3, random_state=0)
    figure, ax = plt.subplots()
    display = ClusterDisplay.from_estimator(estimator, blobs5, ax=ax, s=30)  # fits the estimator
    pca = PCA(n_components=2, random_state=0).fit(blobs5)
    assert display.ax_ is ax and display.figure_ is figure
    assert np.allclose(display.scatter_.get_offsets(), pca.transform(blobs5))
    assert np.allclose(display.centers_.get_offsets(), pca.transform(estimator.cluster_centers_))
    assert display.ax_.get_xlabel().startswith("PC1") and display.ax_.get_ylabel().startswith("PC2")
    assert "PCA" in display.ax_.get_title()
    assert np.array_equal(display.scatter_.get_sizes(), [30])


def test_cluster_display_voronoi_regions_are_the_predictions(blobs):
    estimator = KMeans(n_clusters=4, random_state=0).fit(blobs)
    display = ClusterDisplay.from_estimator(estimator, blobs, voronoi=True, grid_resolution=50)
    x_min, x_max, y_min, y_max = display.extent
    xs, ys = np.linspace(x_min, x_max, 50), np.linspace(y_min, y_max, 50)
    grid = np.column_stack([np.tile(xs, 50), np.repeat(ys, 50)])
    assert np.array_equal(display.regions, estimator.predict(grid).reshape(50, 50))
    assert np.array_equal(display.regions_.get_array()[..., :3], cluster_colors(4)[display.regions][..., :3])
    assert x_min < blobs[:, 0].min() and y_max > blobs[:, 1].max()


def test_cluster_display_data_frame_and_pipeline(blobs):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(blobs * [1.0, 50.0], columns=["width", "height"])
    pipeline = make_pipeline(StandardScaler(), KMeans(n_clusters=4, random_state=0))
    display = ClusterDisplay.from_estimator(pipeline, frame, voronoi=True, grid_resolution=20)  # no name warning
    labels = pipeline.predict(frame)
    means = [frame.to_numpy()[labels == cluster].mean(axis=0) for cluster in range(4)]
    assert np.allclose(display.centers_.get_offsets(), means)  # centres mapped back to the input's units
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("width", "height")


def test_cluster_display_without_centres(blobs):
    estimator = SklearnKMeans(n_clusters=3, n_init=1, random_state=0).fit(blobs)
    display = ClusterDisplay(blobs, estimator.labels_).plot()
    assert display.centers_ is None
    assert np.array_equal(display.scatter_.get_facecolors(), cluster_colors(3)[estimator.labels_])
    grey = ClusterDisplay(blobs, None).plot()
    assert np.array_equal(grey.scatter_.get_facecolors(), np.tile(UNASSIGNED_COLOR, (len(blobs), 1)))


@pytest.mark.parametrize("kind", ["csr", "float32"])
def test_sparse_and_float32_data(kind, blobs5, tmp_path):
    X = sp.csr_matrix(np.maximum(blobs5, 0)) if kind == "csr" else blobs5.astype(np.float32)
    dense = X.toarray() if kind == "csr" else X
    estimator = KMeans(n_clusters=3, random_state=0).fit(X)
    display = ClusterDisplay.from_estimator(estimator, X)
    expected = PCA(n_components=2, random_state=0).fit_transform(dense)
    assert np.allclose(np.abs(display.scatter_.get_offsets()), np.abs(expected), atol=1e-4)
    frames = gif_frames(animate_fit(estimator, X, tmp_path / "fit.gif"))
    assert len(frames) == len(history_of(estimator, X))


def test_cluster_display_bad_arguments(blobs, blobs5):
    estimator = KMeans(n_clusters=3, random_state=0)
    with pytest.raises(ValueError, match="voronoi=True needs 2-D data, but X has 5 features"):
        ClusterDisplay.from_estimator(estimator, blobs5, voronoi=True)
    with pytest.raises(ValueError, match="at least 2 features, got 1"):
        ClusterDisplay.from_estimator(estimator, blobs[:, :1])
    with pytest.raises(ValueError, match="grid_resolution"):
        ClusterDisplay.from_estimator(estimator, blobs, voronoi=True, grid_resolution=1)
    with pytest.raises(ValueError, match="NaN"):
        ClusterDisplay.from_estimator(estimator, np.full((5, 2), np.nan))


# --- animate_fit --------------------------------------------------------------------------------


def gif_frames(path):
    with Image.open(path) as image:
        assert image.format == "GIF"
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
    return frames


def test_animate_fit_gif_has_one_frame_per_step(blobs, tmp_path):
    estimator = KMeans(n_clusters=4, init="random", n_init=1, random_state=3)
    path = animate_fit(estimator, blobs, tmp_path / "fit.gif", fps=5)
    assert path == tmp_path / "fit.gif"
    assert not hasattr(estimator, "history_")  # a clone was fitted
    history = history_of(estimator, blobs)
    frames = gif_frames(path)
    assert len(frames) == len(history) > 3
    # The seeding's frame shows grey points; once assigned, none is left grey.
    grey = np.round(np.asarray(UNASSIGNED_COLOR[:3]) * 255)
    assert (frames[0] == grey).all(axis=-1).sum() > 100
    assert (frames[-1] == grey).all(axis=-1).sum() < (frames[0] == grey).all(axis=-1).sum() / 10
    assert list(tmp_path.iterdir()) == [path]  # nothing left beside it


def test_animate_fit_thins_long_histories(blobs, tmp_path):
    estimator = KMeans(n_clusters=4, init="random", n_init=1, random_state=3)
    assert len(history_of(estimator, blobs)) > 4
    frames = gif_frames(animate_fit(estimator, blobs, tmp_path / "fit.gif", max_frames=4, voronoi=True))
    assert len(frames) == 4


def test_animate_fit_html(blobs5, tmp_path):
    estimator = KMeans(n_clusters=3, random_state=0)
    path = animate_fit(estimator, blobs5, str(tmp_path / "fit.html"))
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "new Animation(frames" in page
    assert page.count('] = "data:image/png;base64,') == len(history_of(estimator, blobs5))


def test_step_labels_without_recorded_labels():
    X, _ = make_blobs(n_samples=KMeans.HISTORY_MAX_LABELS + 1, centers=3, random_state=0)
    estimator = KMeans(n_clusters=3, random_state=0, record_history=True).fit(X)
    history = estimator.history_
    assert all(step["labels"] is None for step in history)
    assert _step_labels(history, 0, X) is None
    for index in range(1, len(history)):
        assign = index if history[index]["phase"] == "assign" else index - 1
        expected = pairwise_distances_argmin(X, history[assign]["centers"])
        assert np.array_equal(_step_labels(history, index, X), expected)
    assert np.array_equal(_step_labels(history, len(history) - 1, X), estimator.labels_)


def test_animate_fit_bad_arguments(blobs, blobs5, tmp_path):
    estimator = KMeans(n_clusters=3)
    with pytest.raises(ValueError, match=r"\.gif or \.html, got '.*fit\.mp4'"):
        animate_fit(estimator, blobs, tmp_path / "fit.mp4")
    with pytest.raises(ValueError, match="fps must be a positive number, got 0"):
        animate_fit(estimator, blobs, tmp_path / "fit.gif", fps=0)
    with pytest.raises(ValueError, match="max_frames must be an integer >= 2"):
        animate_fit(estimator, blobs, tmp_path / "fit.gif", max_frames=1)
    with pytest.raises(TypeError, match="record_history parameter.*KMeans has none"):
        animate_fit(SklearnKMeans(n_clusters=3), blobs, tmp_path / "fit.gif")
    with pytest.raises(ValueError, match="voronoi=True needs 2-D data"):
        animate_fit(estimator, blobs5, tmp_path / "fit.gif", voronoi=True)
    with pytest.raises(ValueError, match="at least 2 features"):
        animate_fit(estimator, blobs[:, :1], tmp_path / "fit.gif")
    assert not list(tmp_path.iterdir())
