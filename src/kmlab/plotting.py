"""Plots of a clustering: the elbow, the silhouette, the clusters, the fit.

The classes follow scikit-learn's Display pattern: a ``from_*`` class method
computes what to draw, stores it on a display and calls :meth:`plot`, which
draws on ``ax`` (a new figure when None), keeps the artists as attributes ending
in ``_`` and returns the display.  Nothing here calls ``plt.show()``.

matplotlib is imported inside the functions, so ``import kmlab.plotting`` costs
nothing; without it they raise an ImportError saying ``pip install "kmlab[plot]"``.
Cluster ``i`` has the same colour in every plot (see :func:`cluster_colors`).
"""

import os
import textwrap
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._optional import import_optional
from ._validation import EUCLIDEAN_METRICS, check_data

__all__ = ["ClusterDisplay", "ElbowDisplay", "SilhouetteDisplay", "animate_fit", "cluster_colors"]

# Points without a cluster yet (the seeding's frame of animate_fit).
UNASSIGNED_COLOR = (0.6, 0.6, 0.6, 1.0)
REGION_ALPHA = 0.25
# Cells per side of the Voronoi regions of animate_fit, recomputed for every frame.
ANIMATION_GRID = 120


def _import(name):
    """Import a matplotlib module, or say how to install matplotlib."""
    return import_optional(name, "kmlab.plotting needs matplotlib", "plot")


def _axes(ax):
    """``ax``, or the axes of a new pyplot figure when None (matplotlib imported, or the install hint)."""
    plt = _import("matplotlib.pyplot")
    if ax is None:
        _, ax = plt.subplots()
    return ax


def cluster_colors(n_clusters):
    """The colours of clusters ``0 .. n_clusters - 1``, the same in every plot.

    Cluster ``i`` gets the same colour whatever ``n_clusters`` is: matplotlib's
    ten ``tab10`` colours first, then their ten lighter ``tab20`` twins, then hues
    spaced by the golden ratio.

    Parameters
    ----------
    n_clusters : int
        Number of colours.

    Returns
    -------
    colors : ndarray of shape (n_clusters, 4)
        RGBA colours, one row per cluster.

    Examples
    --------
    >>> from kmlab.plotting import cluster_colors
    >>> cluster_colors(3).shape
    (3, 4)
    >>> bool((cluster_colors(3) == cluster_colors(30)[:3]).all())
    True
    """
    hsv_to_rgb = _import("matplotlib.colors").hsv_to_rgb
    tab20 = np.asarray(_import("matplotlib").colormaps["tab20"].colors)
    palette = np.concatenate([tab20[0::2], tab20[1::2]])  # tab10, then the lighter twins
    colors = np.ones((n_clusters, 4))
    n_listed = min(n_clusters, len(palette))
    colors[:n_listed, :3] = palette[:n_listed]
    if n_clusters > len(palette):
        hues = (np.arange(len(palette), n_clusters) * 0.618033988749895) % 1.0
        hsv = np.column_stack([hues, np.full_like(hues, 0.65), np.full_like(hues, 0.85)])
        colors[len(palette) :, :3] = hsv_to_rgb(hsv)
    return colors


def _label_codes(labels):
    """The distinct labels, and the colour index of each sample and of each label.

    A label that is a non-negative integer is its own colour index (cluster 2 is
    always the third colour); other labels (strings, negatives) are numbered in
    sorted order.
    """
    labels = np.asarray(labels)
    clusters, inverse = np.unique(labels, return_inverse=True)
    if clusters.dtype.kind in "iu" and clusters.size and clusters[0] >= 0:
        return clusters, clusters.astype(np.intp)[inverse], clusters.astype(np.intp)
    return clusters, inverse, np.arange(clusters.size)


def _fitted_labels(estimator, X):
    """``estimator.predict(X)``, fitting the estimator on ``X`` first when it is not fitted."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return np.asarray(estimator.fit_predict(X))
    return np.asarray(estimator.predict(X))


def _region_image(region_labels, colors):
    """RGBA image of a grid of cluster indices, faded so the points stay visible."""
    image = colors[region_labels]  # a copy: fancy indexing
    image[..., 3] = REGION_ALPHA
    return image


def _check_voronoi_dims(n_features):
    if n_features != 2:
        raise ValueError(
            f"voronoi=True needs 2-D data, but X has {n_features} features: regions drawn in a PCA "
            "projection would not be the estimator's decision regions. Use voronoi=False, or fit the "
            "estimator on two features (e.g. on PCA(n_components=2).fit_transform(X))."
        )


class ElbowDisplay:
    """Inertia against the number of clusters, with the elbow marked.

    Build it with :meth:`from_selection` (a :class:`kmlab.selection.KSelection`)
    or :meth:`from_estimator` (runs :func:`kmlab.select_k`).  The title is the
    selection's verdict (which says where the elbow is, or that there is none).

    Parameters
    ----------
    k_values : array-like of int
        The numbers of clusters tried.
    inertia : array-like of float
        The inertia of the fit for each ``k``.
    elbow_k : int or None, default=None
        The elbow (knee) of the curve; None when the curve has none.
    silhouette : array-like of float or None, default=None
        Mean silhouette for each ``k`` (NaN where undefined, e.g. at ``k = 1``).
    verdict : str or None, default=None
        A sentence on the choice of ``k``, shown as the title; when None the
        title says where the elbow is, or that there is none.
    inertia_label : str, default="inertia (within-cluster sum of squares)"
        The y-axis label of the inertia (:meth:`from_selection` says "sum of
        cosine distances to the centres" for a SphericalKMeans).
    silhouette_metric : str, default="euclidean"
        The silhouette's metric, named in its axis label unless Euclidean.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The inertia curve.
    knee_marker_ : matplotlib Line2D or None
        The dashed vertical line at the elbow; None without an elbow.
    silhouette_line_ : matplotlib Line2D or None
        The mean silhouette curve, on :attr:`silhouette_ax_`; None when not drawn.
    silhouette_ax_ : matplotlib Axes or None
        The second y-axis (``ax.twinx()``) of the silhouette; None when not drawn.
    ax_ : matplotlib Axes
        The axes of the inertia curve.
    figure_ : matplotlib Figure
        The figure holding them.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from kmlab.plotting import ElbowDisplay
    >>> display = ElbowDisplay([1, 2, 3, 4], [100.0, 40.0, 12.0, 10.0], elbow_k=3).plot()
    >>> float(display.knee_marker_.get_xdata()[0])
    3.0
    >>> plt.close(display.figure_)
    """

    def __init__(
        self, k_values, inertia, *, elbow_k=None, silhouette=None, verdict=None,
        inertia_label="inertia (within-cluster sum of squares)", silhouette_metric="euclidean",
    ):  # fmt: skip
        self.k_values = np.asarray(k_values)
        self.inertia = np.asarray(inertia, dtype=float)
        self.elbow_k = elbow_k
        self.silhouette = None if silhouette is None else np.asarray(silhouette, dtype=float)
        self.verdict = verdict
        self.inertia_label = inertia_label
        self.silhouette_metric = silhouette_metric

    @classmethod
    def from_selection(cls, selection, *, ax=None, show_silhouette=True, **kwargs):
        """Plot the elbow of a :class:`kmlab.selection.KSelection`.

        Parameters
        ----------
        selection : KSelection
            The result of :func:`kmlab.select_k`.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        show_silhouette : bool, default=True
            Draw the mean silhouette on a second y-axis when the selection has it.
        **kwargs : dict
            Passed to ``ax.plot`` for the inertia curve.

        Returns
        -------
        display : ElbowDisplay
        """
        from ._spherical import SphericalKMeans

        labels = {}
        if selection.estimators and isinstance(selection.estimators[0], SphericalKMeans):
            labels["inertia_label"] = "inertia (sum of cosine distances to the centres)"
        metric = selection.silhouette_metric
        if metric is not None:
            labels["silhouette_metric"] = metric if isinstance(metric, str) else getattr(metric, "__name__", "custom")
        display = cls(
            selection.k_values,
            selection.inertia,
            elbow_k=selection.elbow_k,
            silhouette=selection.silhouette,
            verdict=selection.verdict,
            **labels,
        )
        return display.plot(ax=ax, show_silhouette=show_silhouette, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, k_range=range(1, 11), *, ax=None, show_silhouette=True, **select_k_kwargs):
        """Fit ``estimator`` for each ``k`` in ``k_range`` and plot the elbow.

        Parameters
        ----------
        estimator : estimator or None
            The clustering to run for each ``k`` (its ``n_clusters`` is set);
            None for :class:`kmlab.KMeans`.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.
        k_range : iterable of int, default=range(1, 11)
            The numbers of clusters to try.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        show_silhouette : bool, default=True
            Also compute the mean silhouette and draw it on a second y-axis.
        **select_k_kwargs : dict
            Passed to :func:`kmlab.select_k` (e.g. ``random_state``).  By
            default only the elbow (and the silhouette when shown) is computed;
            pass ``criteria`` to compute more.

        Returns
        -------
        display : ElbowDisplay
        """
        from .selection import select_k

        select_k_kwargs.setdefault("criteria", ("elbow", "silhouette") if show_silhouette else ("elbow",))
        selection = select_k(X, k_range, estimator=estimator, **select_k_kwargs)
        return cls.from_selection(selection, ax=ax, show_silhouette=show_silhouette)

    def plot(self, ax=None, *, show_silhouette=True, **kwargs):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        show_silhouette : bool, default=True
            Draw the mean silhouette on a second y-axis, when there is one.
        **kwargs : dict
            Passed to ``ax.plot`` for the inertia curve.

        Returns
        -------
        display : ElbowDisplay
            This display, with its artists set.
        """
        ax = _axes(ax)
        from matplotlib.ticker import MaxNLocator

        (self.line_,) = ax.plot(
            self.k_values, self.inertia, **{"marker": "o", "color": "black", "label": "inertia", **kwargs}
        )
        ax.set_xlabel("number of clusters k")
        ax.set_ylabel(self.inertia_label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles = [self.line_]

        self.knee_marker_ = None
        if self.elbow_k is not None:
            self.knee_marker_ = ax.axvline(
                self.elbow_k, color="tab:red", linestyle="--", label=f"elbow: k = {self.elbow_k}"
            )
            handles.append(self.knee_marker_)

        self.silhouette_ax_ = self.silhouette_line_ = None
        if show_silhouette and self.silhouette is not None and np.isfinite(self.silhouette).any():
            self.silhouette_ax_ = ax.twinx()
            (self.silhouette_line_,) = self.silhouette_ax_.plot(
                self.k_values, self.silhouette, marker="s", linestyle=":", color="tab:blue", label="mean silhouette"
            )
            metric = "" if self.silhouette_metric in EUCLIDEAN_METRICS else f", {self.silhouette_metric}"
            self.silhouette_ax_.set_ylabel(f"mean silhouette{metric} (higher is better)")
            # On its full scale: a zoomed axis makes noise between 0.38 and 0.40 look like a peak.
            self.silhouette_ax_.set_ylim(min(0.0, np.nanmin(self.silhouette) - 0.05), 1.0)
            handles.append(self.silhouette_line_)
        ax.legend(handles=handles, loc="best")

        if self.verdict:
            title = textwrap.fill(self.verdict[0].upper() + self.verdict[1:], 70, break_on_hyphens=False)
        else:
            title = "No clear elbow" if self.elbow_k is None else f"Elbow at k = {self.elbow_k}"
        ax.set_title(title, fontsize="medium")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class SilhouetteDisplay:
    """The silhouette "knife" plot: each sample's silhouette, sorted, per cluster.

    Each cluster is a band of horizontal bars, one per sample, sorted;
    the dashed line is the mean silhouette (the silhouette score).  Clusters
    whose band stays left of the line, and negative bars (samples closer to
    another cluster), point at a poor choice of ``k``.

    Parameters
    ----------
    silhouette_values : array-like of shape (n_samples,)
        The silhouette coefficient of each sample.
    labels : array-like of shape (n_samples,)
        The cluster of each sample.

    Attributes
    ----------
    clusters : ndarray
        The distinct labels, in the order of the bands (bottom to top).
    silhouette_score : float
        The mean of ``silhouette_values``: the silhouette score.
    bars_ : list of matplotlib PolyCollection
        The band of each cluster, in the order of :attr:`clusters`.
    mean_line_ : matplotlib Line2D
        The dashed vertical line at the silhouette score.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding them.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab import KMeans
    >>> from kmlab.plotting import SilhouetteDisplay
    >>> X, _ = make_blobs(n_samples=200, centers=3, random_state=0)
    >>> display = SilhouetteDisplay.from_estimator(KMeans(n_clusters=3, random_state=0), X)
    >>> len(display.bars_)
    3
    >>> round(display.silhouette_score, 2)
    0.5
    >>> plt.close(display.figure_)
    """

    def __init__(self, silhouette_values, labels):
        self.silhouette_values = np.asarray(silhouette_values, dtype=float)
        self.labels = np.asarray(labels)
        if self.silhouette_values.shape != self.labels.shape or self.labels.ndim != 1:
            raise ValueError(
                f"silhouette_values (shape {self.silhouette_values.shape}) and labels (shape "
                f"{self.labels.shape}) must be 1-D arrays of the same length: one value and one label per sample."
            )
        self.clusters = np.unique(self.labels)
        self.silhouette_score = float(np.mean(self.silhouette_values))

    @classmethod
    def from_estimator(cls, estimator, X, *, ax=None, metric="euclidean", **kwargs):
        """Plot the silhouette of a clustering estimator's labels of ``X``.

        Parameters
        ----------
        estimator : estimator
            A clusterer; fitted (its ``predict(X)`` gives the labels), or not
            (it is then fitted on ``X``, in place).
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        metric : str or callable, default='euclidean'
            The distance, as in :func:`kmlab.metrics.silhouette_samples`.
        **kwargs : dict
            Passed to ``ax.fill_betweenx`` for every band.

        Returns
        -------
        display : SilhouetteDisplay
        """
        return cls.from_predictions(X, _fitted_labels(estimator, X), ax=ax, metric=metric, **kwargs)

    @classmethod
    def from_predictions(cls, X, labels, *, ax=None, metric="euclidean", **kwargs):
        """Plot the silhouette of given labels of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.
        labels : array-like of shape (n_samples,)
            The cluster of each sample: between 2 and ``n_samples - 1`` distinct values.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        metric : str or callable, default='euclidean'
            The distance, as in :func:`kmlab.metrics.silhouette_samples`.
        **kwargs : dict
            Passed to ``ax.fill_betweenx`` for every band.

        Returns
        -------
        display : SilhouetteDisplay
        """
        from .metrics import silhouette_samples

        values = silhouette_samples(X, labels, metric=metric)
        return cls(values, labels).plot(ax=ax, **kwargs)

    def plot(self, ax=None, **kwargs):
        """Draw the bands and the mean line.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        **kwargs : dict
            Passed to ``ax.fill_betweenx`` for every band.

        Returns
        -------
        display : SilhouetteDisplay
            This display, with its artists set.
        """
        ax = _axes(ax)
        clusters, _, cluster_codes = _label_codes(self.labels)
        colors = cluster_colors(int(cluster_codes.max()) + 1)
        gap = max(2, round(0.02 * self.labels.size))  # white space between bands
        self.bars_ = []
        y_lower = gap
        for cluster, code in zip(clusters, cluster_codes):
            values = np.sort(self.silhouette_values[self.labels == cluster])
            y = np.arange(y_lower, y_lower + values.size)
            band = ax.fill_betweenx(
                y, 0, values, **{"facecolor": colors[code], "edgecolor": colors[code], "alpha": 0.8, **kwargs}
            )
            self.bars_.append(band)
            ax.text(-0.02, y_lower + 0.5 * values.size, str(cluster), ha="right", va="center")
            y_lower += values.size + gap
        self.mean_line_ = ax.axvline(
            self.silhouette_score, color="tab:red", linestyle="--", label=f"mean {self.silhouette_score:.3f}"
        )
        ax.set_xlim(min(-0.1, float(self.silhouette_values.min()) - 0.05), 1.0)
        ax.set_ylim(0, y_lower)
        ax.set_yticks([])
        ax.set_xlabel("silhouette coefficient")
        ax.set_ylabel("cluster")
        ax.set_title(
            f"Silhouette of {clusters.size} clusters: mean {self.silhouette_score:.3f} (dashed line)", fontsize="medium"
        )
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class ClusterDisplay:
    """The samples in the plane, coloured by cluster, with the centres.

    Data with more than two features is shown in its first two principal
    components (:class:`sklearn.decomposition.PCA`).  On 2-D data the
    estimator's decision regions (Voronoi cells, for K-Means) can be shaded.

    Parameters
    ----------
    points : array-like of shape (n_samples, 2)
        The coordinates drawn.
    labels : array-like of shape (n_samples,) or None
        The cluster of each sample; None draws every point grey (unassigned).
    centers : array-like of shape (n_clusters, 2) or None, default=None
        The centres, in the coordinates of ``points``; centre ``i`` has the
        colour of cluster ``i``.
    regions : ndarray of shape (n_rows, n_columns) of int or None, default=None
        The cluster of each cell of a grid covering ``extent``.
    extent : tuple (x_min, x_max, y_min, y_max) or None, default=None
        The area of ``regions``.
    axis_labels : tuple of 2 str, default=('feature 0', 'feature 1')
        The labels of the x and y axes.
    title : str or None, default=None
        The title; by default the number of clusters.

    Attributes
    ----------
    projection : sklearn PCA or None
        The projection fitted by :meth:`from_estimator` when the data has more
        than two features; None otherwise.
    scatter_ : matplotlib PathCollection
        The samples.
    centers_ : matplotlib PathCollection or None
        The centres; None when there are none.
    regions_ : matplotlib AxesImage or None
        The shaded decision regions; None when not drawn.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding them.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab import KMeans
    >>> from kmlab.plotting import ClusterDisplay
    >>> X, _ = make_blobs(n_samples=200, centers=3, n_features=5, random_state=0)
    >>> display = ClusterDisplay.from_estimator(KMeans(n_clusters=3, random_state=0), X)
    >>> display.ax_.get_xlabel()[:3]
    'PC1'
    >>> display.centers_.get_offsets().shape
    (3, 2)
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        points,
        labels,
        *,
        centers=None,
        regions=None,
        extent=None,
        axis_labels=("feature 0", "feature 1"),
        title=None,
    ):
        self.points = np.asarray(points)
        self.labels = None if labels is None else np.asarray(labels)
        self.centers = None if centers is None else np.asarray(centers)
        self.regions = regions
        self.extent = extent
        self.axis_labels = axis_labels
        self.title = title
        self.projection = None

    @classmethod
    def from_estimator(cls, estimator, X, *, voronoi=False, grid_resolution=200, ax=None, **kwargs):
        """Plot a clustering estimator's clusters of ``X``.

        Parameters
        ----------
        estimator : estimator
            A clusterer (a pipeline ending in one works too); fitted (its
            ``predict(X)`` gives the labels), or not (it is then fitted on ``X``,
            in place).  Its ``cluster_centers_`` are drawn when it has them.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data, with at least 2 features; more are projected on the first
            two principal components.
        voronoi : bool, default=False
            Shade the region each cluster would claim (``estimator.predict`` on
            a grid).  Only for data with exactly 2 features.
        grid_resolution : int, default=200
            Cells per side of the grid of ``voronoi``.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        **kwargs : dict
            Passed to ``ax.scatter`` for the samples.

        Returns
        -------
        display : ClusterDisplay
        """
        if not isinstance(grid_resolution, Integral) or grid_resolution < 2:
            raise ValueError(f"grid_resolution must be an integer >= 2, got {grid_resolution!r}.")
        data = check_data(X)
        n_features = data.shape[1]
        if n_features < 2:
            raise ValueError(
                f"ClusterDisplay needs X with at least 2 features, got {n_features}; "
                "plot a histogram per cluster instead."
            )
        if voronoi:
            _check_voronoi_dims(n_features)
        labels = _fitted_labels(estimator, X)
        centers = _input_space_centers(estimator)
        names = getattr(estimator, "feature_names_in_", None)
        projection = None
        if n_features == 2:
            points = data.toarray() if sp.issparse(data) else data
            axis_labels = tuple(str(name) for name in names) if names is not None else ("feature 0", "feature 1")
            title = None
        else:
            from sklearn.decomposition import PCA

            projection = PCA(n_components=2, random_state=0).fit(data)
            points = projection.transform(data)
            centers = None if centers is None else projection.transform(centers)
            share = projection.explained_variance_ratio_
            axis_labels = (f"PC1 ({share[0]:.0%} of the variance)", f"PC2 ({share[1]:.0%} of the variance)")
            n_clusters = len(centers) if centers is not None else np.unique(labels).size
            title = f"{n_clusters} clusters (PCA projection of {n_features} features)"

        regions = extent = None
        if voronoi:
            extent, grid = _grid(points, centers, grid_resolution)
            if names is not None:  # predict on a frame, as the estimator was fitted on one
                import pandas as pd

                grid = pd.DataFrame(grid, columns=names)
            regions = np.asarray(estimator.predict(grid)).reshape(grid_resolution, grid_resolution)
        display = cls(
            points, labels, centers=centers, regions=regions, extent=extent, axis_labels=axis_labels, title=title
        )
        display.projection = projection
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, **kwargs):
        """Draw the samples, the centres and the regions.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        **kwargs : dict
            Passed to ``ax.scatter`` for the samples.

        Returns
        -------
        display : ClusterDisplay
            This display, with its artists set.
        """
        ax = _axes(ax)
        n_centers = 0 if self.centers is None else len(self.centers)
        n_colors = n_centers
        if self.labels is not None:
            clusters, codes, cluster_codes = _label_codes(self.labels)
            n_colors = max(n_colors, int(cluster_codes.max()) + 1)
        if self.regions is not None:
            n_colors = max(n_colors, int(self.regions.max()) + 1)
        colors = cluster_colors(n_colors)
        if self.labels is None:
            n_clusters = n_centers
            point_colors = np.tile(UNASSIGNED_COLOR, (len(self.points), 1))
        else:
            n_clusters = clusters.size
            point_colors = colors[codes]

        self.regions_ = None
        if self.regions is not None:
            self.regions_ = ax.imshow(
                _region_image(self.regions, colors), extent=self.extent, origin="lower", aspect="auto",
                interpolation="nearest", zorder=0,
            )  # fmt: skip
        self.scatter_ = ax.scatter(
            self.points[:, 0], self.points[:, 1], **{"c": point_colors, "s": 12, "linewidths": 0, **kwargs}
        )
        self.centers_ = None
        if n_centers:
            self.centers_ = ax.scatter(
                self.centers[:, 0], self.centers[:, 1], c=colors[:n_centers], s=220, marker="X",
                edgecolors="black", linewidths=1.5, zorder=3, label="centres",
            )  # fmt: skip
        ax.set_xlabel(self.axis_labels[0])
        ax.set_ylabel(self.axis_labels[1])
        ax.set_title(self.title if self.title is not None else f"{n_clusters} clusters", fontsize="medium")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


def _input_space_centers(estimator):
    """The estimator's centres in the units of its input, or None.

    A pipeline's final clusterer has its centres in the transformed space; they
    are mapped back when every earlier step can be inverted (e.g. a scaler).
    """
    centers = getattr(estimator, "cluster_centers_", None)
    if centers is not None:
        return np.asarray(centers)
    steps = getattr(estimator, "steps", None)
    if not steps or getattr(steps[-1][1], "cluster_centers_", None) is None:
        return None
    try:
        return np.asarray(estimator[:-1].inverse_transform(steps[-1][1].cluster_centers_))
    except AttributeError:  # a step without inverse_transform
        return None


def _grid(points, centers, resolution):
    """A square grid of ``resolution**2`` cells over the points and centres, 5 % margins."""
    corners = points if centers is None else np.vstack([points, centers])
    low, high = corners.min(axis=0), corners.max(axis=0)
    margin = 0.05 * np.where(high > low, high - low, 1.0)
    low, high = low - margin, high + margin
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    grid = np.column_stack([np.tile(xs, resolution), np.repeat(ys, resolution)])  # row = y, column = x
    return (low[0], high[0], low[1], high[1]), grid


def _nearest_center(points, centers):
    from sklearn.metrics import pairwise_distances_argmin

    return pairwise_distances_argmin(points, centers)


def _step_labels(history, index, X):
    """The labels of step ``index``; recomputed from its centres when the history has none."""
    step = history[index]
    if step["labels"] is not None or step["phase"] == "init":
        return step["labels"]
    # An update keeps the labels of the assignment before it.
    centers = step["centers"] if step["phase"] == "assign" else history[index - 1]["centers"]
    return _nearest_center(X, centers)


def _step_title(step):
    title = f"iteration {step['iteration']} — {step['phase']}"
    if step["inertia"] is not None:
        title += f", inertia {step['inertia']:.6g}"
    return title


def animate_fit(estimator, X, path, *, fps=2, max_frames=200, voronoi=False):
    """Animate the fit of ``estimator`` on ``X``: the clusters forming, step by step.

    A clone of ``estimator`` is fitted with ``record_history=True``; each step of
    its ``history_`` becomes a frame: the seeding (points still grey), then for
    each iteration the assignment (points take the colour of their closest
    centre) and the update (centres move to the means).  Data with more than
    two features is shown in its first two principal components.

    Parameters
    ----------
    estimator : estimator
        A clusterer with a ``record_history`` parameter, e.g. :class:`kmlab.KMeans`.
        It is cloned; the original is not fitted.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data, with at least 2 features.
    path : str or path-like
        The file to write: ``.gif`` (an animated GIF) or ``.html`` (a page
        with the frames embedded and play controls).  Written whole or not at all.
    fps : float, default=2
        Frames per second.
    max_frames : int, default=200
        Longer histories are thinned to this many frames, evenly, keeping the
        first and the last.
    voronoi : bool, default=False
        Shade the region of each centre at every step.  Only for data with
        exactly 2 features.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab import KMeans
    >>> from kmlab.plotting import animate_fit
    >>> X, _ = make_blobs(n_samples=100, centers=3, random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = animate_fit(KMeans(n_clusters=3, random_state=0), X, Path(folder) / "fit.gif")
    ...     path.name
    'fit.gif'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".html"):
        raise ValueError(f"path must end in .gif or .html, got {str(path)!r}.")
    if not isinstance(fps, Real) or isinstance(fps, bool) or not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}.")
    if not isinstance(max_frames, Integral) or isinstance(max_frames, bool) or max_frames < 2:
        raise ValueError(f"max_frames must be an integer >= 2 (the first and last steps), got {max_frames!r}.")
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    if "record_history" not in params:
        raise TypeError(
            f"animate_fit needs an estimator with a record_history parameter, such as kmlab.KMeans; "
            f"{type(estimator).__name__} has none."
        )
    data = check_data(X)
    if data.shape[1] < 2:
        raise ValueError(f"animate_fit needs X with at least 2 features, got {data.shape[1]}.")
    if voronoi:
        _check_voronoi_dims(data.shape[1])
    _import("matplotlib.pyplot")  # the install hint before the fit, not after

    from matplotlib import animation, rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from sklearn.base import clone

    fitted = clone(estimator).set_params(record_history=True).fit(X)
    history = fitted.history_
    frames = np.arange(len(history))
    if len(history) > max_frames:
        frames = np.linspace(0, len(history) - 1, max_frames).round().astype(int)

    projection = None
    points = data.toarray() if sp.issparse(data) else data
    axis_labels = ("feature 0", "feature 1")
    if data.shape[1] > 2:
        from sklearn.decomposition import PCA

        projection = PCA(n_components=2, random_state=0).fit(data)
        points = projection.transform(data)
        axis_labels = ("PC1", "PC2")

    def project(centers):
        return centers if projection is None else projection.transform(centers)

    all_centers = np.vstack([project(step["centers"]) for step in history])
    extent, grid = _grid(points, all_centers, ANIMATION_GRID)
    colors = cluster_colors(len(history[0]["centers"]))

    def regions(centers):
        return _nearest_center(grid, project(centers)).reshape(ANIMATION_GRID, ANIMATION_GRID) if voronoi else None

    figure = Figure(figsize=(6, 5), layout="constrained")
    FigureCanvasAgg(figure)  # draws without pyplot, whatever the backend
    ax = figure.add_subplot()
    first = history[frames[0]]
    display = ClusterDisplay(
        points, None, centers=project(first["centers"]), regions=regions(first["centers"]), extent=extent,
        axis_labels=axis_labels, title=_step_title(first),
    ).plot(ax=ax)  # fmt: skip
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])

    def draw(frame):
        step = history[frame]
        labels = _step_labels(history, frame, data)
        display.scatter_.set_facecolor(UNASSIGNED_COLOR if labels is None else colors[labels])
        display.centers_.set_offsets(project(step["centers"]))
        if voronoi:
            display.regions_.set_data(_region_image(regions(step["centers"]), colors))
        ax.set_title(_step_title(step), fontsize="medium")

    anim = animation.FuncAnimation(figure, draw, frames=frames, interval=1000 / fps, cache_frame_data=False)
    # Write beside the target, then rename: a failure leaves no half-written file.
    partial = path.with_name(f".{path.stem}.partial{suffix}")
    try:
        if suffix == ".gif":
            anim.save(partial, writer=animation.PillowWriter(fps=fps))
        else:
            # matplotlib stops embedding frames past 20 MB (it only logs it): allow 1 MB a frame.
            with rc_context({"animation.embed_limit": len(frames)}):
                page = anim.to_jshtml(fps=fps, default_mode="loop")
            partial.write_text(
                "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>k-means fit</title></head>\n"
                f"<body>\n{page}\n</body></html>\n",
                encoding="utf-8",
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
