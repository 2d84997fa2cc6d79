"""Studio's data: the presets, uploaded tables, drawn points, and the 2-D view of each.

A :class:`Dataset` holds the matrix the algorithms cluster (``X``, after the
optional standardization) and the 2-D coordinates the page draws (``view``):
``X`` itself for two columns, its first two principal components for more.
Clicks on the page are in view coordinates; :meth:`Dataset.from_view` maps them
back (onto the plane of the two components when the view is a projection).

Every preset is a short Python program (:attr:`Preset.source`): Studio runs it
to make the data, and the "copy code" button prints the same lines, so the code
always reproduces the view.
"""

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .._history import HISTORY_MAX_LABELS

#: Most points Studio clusters and draws (the fit history keeps labels up to this size).
MAX_POINTS = HISTORY_MAX_LABELS

#: Standardize by default when the largest column spread is this many times the smallest.
SCALE_RATIO = 4.0

#: Largest magnitude of a value: beyond, squared distances overflow float64.
MAX_ABS = 1e100

# Points drawn in the preset programs' unit: the noise is a spread in those units.
_PRESET_SOURCES = {
    "blobs": """\
from sklearn.datasets import make_blobs

X, _ = make_blobs(n_samples={n_points}, centers=4, cluster_std={noise}, random_state={seed})
""",
    "gaussian": """\
import numpy as np

rng = np.random.default_rng({seed})
# Five Gaussians with random means and random (tilted, stretched) covariances.
X = np.vstack([
    rng.uniform(-6, 6, size=2) + rng.standard_normal((size, 2)) @ rng.normal(scale={noise}, size=(2, 2))
    for size in np.diff(np.linspace(0, {n_points}, 6).astype(int))
])
""",
    "unequal": """\
from sklearn.datasets import make_blobs

n = {n_points}
X, _ = make_blobs(
    n_samples=[n - n // 4 - n // 10, n // 4, n // 10],
    centers=[[-4, 0], [3, 3], [3, -3]],
    cluster_std=[1.5 * {noise}, {noise}, 0.5 * {noise}],
    random_state={seed},
)
""",
    "anisotropic": """\
import numpy as np
from sklearn.datasets import make_blobs

X, _ = make_blobs(n_samples={n_points}, centers=3, cluster_std={noise}, random_state={seed})
X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])  # stretch and tilt every blob the same way
""",
    "moons": """\
from sklearn.datasets import make_moons

X, _ = make_moons(n_samples={n_points}, noise={noise}, random_state={seed})
""",
    "rings": """\
from sklearn.datasets import make_circles

X, _ = make_circles(n_samples={n_points}, factor=0.45, noise={noise}, random_state={seed})
""",
    "smiley": """\
import numpy as np

rng = np.random.default_rng({seed})
n = {n_points}
n_eye = n // 8
angle = rng.uniform(0, 2 * np.pi, n // 2)
face = 4 * np.column_stack([np.cos(angle), np.sin(angle)])
eyes = np.repeat([[-1.5, 1.5], [1.5, 1.5]], n_eye, axis=0) + 0.3 * rng.standard_normal((2 * n_eye, 2))
smile = rng.uniform(1.2 * np.pi, 1.8 * np.pi, n - n // 2 - 2 * n_eye)
mouth = 2.3 * np.column_stack([np.cos(smile), np.sin(smile)]) + [0, 0.3]
X = np.vstack([face, eyes, mouth]) + rng.normal(scale={noise}, size=(n, 2))
""",
    "uniform": """\
import numpy as np

X = np.random.default_rng({seed}).uniform(-5, 5, size=({n_points}, 2))
""",
    "outliers": """\
import numpy as np
from sklearn.datasets import make_blobs

n_outliers = max(1, {n_points} // 20)
X, _ = make_blobs(n_samples={n_points} - n_outliers, centers=3, cluster_std={noise}, random_state={seed})
rng = np.random.default_rng({seed})
X = np.vstack([X, rng.uniform(X.min(axis=0) - 10, X.max(axis=0) + 10, size=(n_outliers, 2))])
""",
}


@dataclass(frozen=True)
class Preset:
    """A built-in data set: a program with three knobs.

    Attributes
    ----------
    name : str
        Key used by the API.
    title : str
        What the page shows.
    description : str
        One line on what it teaches.
    n_points, noise, seed : int, float or None, int
        Defaults (``noise`` None: the preset has no noise knob).
    k : int
        The K that suits it (the page sets K to it when the preset is chosen).
    eps : float
        A DBSCAN radius that suits its default settings (DBSCAN's eps depends on the scale).
    """

    name: str
    title: str
    description: str
    n_points: int
    noise: float | None
    seed: int
    k: int
    eps: float

    @property
    def source(self):
        """The program template (``{n_points}``, ``{noise}``, ``{seed}`` to fill in)."""
        return _PRESET_SOURCES[self.name]

    def code(self, n_points, noise, seed):
        """The program that makes this preset's ``X`` with these settings."""
        noise = repr(float(noise)) if self.noise is not None else ""
        return self.source.format(n_points=int(n_points), noise=noise, seed=int(seed))

    def make(self, n_points, noise, seed):
        """Run :meth:`code` and return its ``X`` (float64, shape (n_points, 2))."""
        namespace = {}
        # Our own fixed programs, filled with validated numbers.
        exec(compile(self.code(n_points, noise, seed), f"<preset {self.name}>", "exec"), namespace)
        return np.ascontiguousarray(namespace["X"], dtype=np.float64)


PRESETS = {
    preset.name: preset
    for preset in (
        Preset("blobs", "Four blobs (the tutorial)",
               "make_blobs(300, centers=4, cluster_std=0.60): K-Means' home ground.", 300, 0.6, 0, 4, 0.5),
        Preset("gaussian", "Gaussian mixture",
               "Five tilted Gaussians of different shapes: overlaps and stretched clusters.", 500, 1.0, 0, 5, 0.7),
        Preset("unequal", "Unequal sizes",
               "A big loose cluster beside two small tight ones: K-Means cuts the big one.", 400, 1.0, 0, 3, 0.7),
        Preset("anisotropic", "Anisotropic",
               "Stretched blobs: K-Means assumes round clusters and cuts across them.", 400, 0.6, 170, 3, 0.3),
        Preset("moons", "Two moons", "Non-convex shapes: K-Means fails, DBSCAN succeeds.", 300, 0.06, 0, 2, 0.2),
        Preset("rings", "Rings", "A ring around a disc: no K-Means can separate them.", 400, 0.05, 0, 2, 0.2),
        Preset("smiley", "Smiley",
               "A face, two eyes and a mouth: shapes of very different sizes.", 600, 0.15, 0, 4, 0.5),
        Preset("uniform", "Uniform noise",
               "No clusters at all: the elbow finds no bend, yet K-Means always answers.", 300, None, 0, 4, 0.5),
        Preset("outliers", "Blobs with outliers",
               "Three blobs and 5 % far outliers: centroids get dragged, medoids do not.", 300, 0.6, 0, 3, 0.5),
    )
}  # fmt: skip

DEFAULT_PRESET = "blobs"


def projection_needed(n_features):
    """Whether data with ``n_features`` columns is drawn through PCA."""
    return n_features > 2


@dataclass
class Dataset:
    """Data ready to cluster and to draw.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        What the algorithms cluster.
    columns : list of str
        The names of ``X``'s columns.
    view : ndarray of shape (n_samples, 2)
        What the page draws.
    pca : sklearn.decomposition.PCA or None
        The projection from ``X`` to ``view`` (None: ``view`` is ``X``).
    title : str
        What the page calls it.
    source : dict
        How it was made, for the code generator: ``{"kind": "preset", "preset",
        "n_points", "noise", "seed"}``, ``{"kind": "table", "file", "columns",
        "standardize", "sampled"}`` or ``{"kind": "points", "points"}``.
    notes : list of str
        What the user should know (rows dropped, sampling, scaling).
    k : int or None
        A suggested K (presets).
    eps : float or None
        A suggested DBSCAN radius (presets).
    """

    X: np.ndarray
    columns: list
    view: np.ndarray
    pca: object
    title: str
    source: dict
    notes: list = field(default_factory=list)
    k: int | None = None
    eps: float | None = None

    @property
    def nbytes(self):
        return self.X.nbytes + self.view.nbytes

    @cached_property
    def n_distinct(self):
        """Number of distinct points (K-Means cannot make more clusters than that)."""
        return len(np.unique(self.X, axis=0))

    @property
    def axis_titles(self):
        if self.pca is None:
            return list(self.columns)
        share = self.pca.explained_variance_ratio_
        return [f"PC{i + 1} ({100 * share[i]:.0f} % of the variance)" for i in range(2)]

    def to_view(self, points):
        """Points of ``X``'s space in view coordinates."""
        points = np.asarray(points, dtype=np.float64)
        return points if self.pca is None else self.pca.transform(points)

    def from_view(self, points):
        """View coordinates in ``X``'s space (for a projection: on the plane of the first two components)."""
        points = np.asarray(points, dtype=np.float64)
        return points if self.pca is None else self.pca.inverse_transform(points)


def _check_magnitude(X):
    largest = float(np.abs(X).max())
    if not largest <= MAX_ABS:
        raise ValueError(
            f"the data holds a value of magnitude {largest:.3g}; beyond {MAX_ABS:g} squared distances overflow: "
            "rescale the data"
        )


def _with_view(X, columns, **fields):
    _check_magnitude(X)
    pca = None
    if projection_needed(X.shape[1]):
        from sklearn.decomposition import PCA

        # As kmlab.plotting.ClusterDisplay projects, so the generated code draws the same picture.
        pca = PCA(n_components=2, random_state=0).fit(X)
        view = pca.transform(X)
    else:
        view = X
    return Dataset(X=X, columns=columns, view=view, pca=pca, **fields)


def preset_dataset(name, n_points=None, noise=None, seed=None):
    """Make a preset's data (defaults: the preset's own settings).

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS`.
    n_points : int, default=None
    noise : float, default=None
    seed : int, default=None

    Returns
    -------
    dataset : Dataset

    Examples
    --------
    >>> dataset = preset_dataset("blobs")
    >>> dataset.X.shape, dataset.k, dataset.source["kind"]
    ((300, 2), 4, 'preset')
    """
    preset = PRESETS[name]
    n_points = preset.n_points if n_points is None else int(n_points)
    noise = preset.noise if noise is None or preset.noise is None else float(noise)
    seed = preset.seed if seed is None else int(seed)
    X = preset.make(n_points, noise, seed)
    source = {"kind": "preset", "preset": name, "n_points": n_points, "noise": noise, "seed": seed}
    return _with_view(X, ["x", "y"], title=preset.title, source=source, k=preset.k, eps=preset.eps)


def points_dataset(points):
    """A data set of points drawn on the page.

    Parameters
    ----------
    points : array-like of shape (n_points, 2)
        Finite numbers.

    Returns
    -------
    dataset : Dataset
    """
    X = np.array(points, dtype=np.float64).reshape(-1, 2)
    source = {"kind": "points", "points": X.tolist()}
    return _with_view(X, ["x", "y"], title=f"{len(X)} drawn points", source=source)


@dataclass
class Table:
    """An uploaded table: its numeric columns, and what the page needs to pick among them.

    Attributes
    ----------
    frame : pandas.DataFrame
        The numeric columns only.
    file : str
        The file's name (for the generated code).
    skipped : list of str
        Columns left out because they are not numeric.
    """

    frame: object
    file: str
    skipped: list

    @property
    def nbytes(self):
        return int(self.frame.memory_usage(index=False, deep=False).sum())

    def describe(self):
        """Columns (name, spread), row count and whether to standardize by default."""
        spreads = self.frame.std(ddof=0).to_numpy(dtype=np.float64)
        return {
            "file": self.file,
            "n_rows": int(len(self.frame)),
            "columns": [{"name": str(name), "std": float(std)} for name, std in zip(self.frame.columns, spreads)],
            "skipped": self.skipped,
            "standardize": scales_differ(spreads),
        }


def scales_differ(spreads):
    """Whether columns with these standard deviations should be standardized (ratio > :data:`SCALE_RATIO`)."""
    spreads = np.asarray(spreads, dtype=np.float64)
    spreads = spreads[np.isfinite(spreads) & (spreads > 0)]
    return bool(spreads.size > 1 and spreads.max() > SCALE_RATIO * spreads.min())


def read_table(body, file):
    """Parse an uploaded CSV (TSV when the name ends in .tsv or .tab) into a :class:`Table`.

    Parameters
    ----------
    body : bytes
    file : str
        The file's name.

    Returns
    -------
    table : Table

    Raises
    ------
    ValueError
        Not a table with a header, no rows, or no numeric column.

    Examples
    --------
    >>> table = read_table(b"name,a,b\\nx,1,10\\ny,2,30\\n", "t.csv")
    >>> table.describe()["columns"], table.skipped
    ([{'name': 'a', 'std': 0.5}, {'name': 'b', 'std': 10.0}], ['name'])
    """
    import io

    import pandas as pd

    separator = "\t" if file.lower().endswith((".tsv", ".tab")) else ","
    try:
        frame = pd.read_csv(io.BytesIO(body), sep=separator)
    except (ValueError, pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise ValueError(f"cannot read {file!r} as a table with a header row: {' '.join(str(exc).split())}") from None
    if len(frame) == 0:
        raise ValueError(f"{file!r} has no rows after its header")
    return table_from_frame(frame, file)


def table_from_frame(frame, file):
    """A :class:`Table` of the numeric columns of ``frame`` (read from the file named ``file``).

    Raises
    ------
    ValueError
        No numeric column.
    """
    from ..io import feature_columns

    frame = frame.set_axis([str(name) for name in frame.columns], axis=1)
    used, skipped = feature_columns(frame)
    return Table(frame=frame[used], file=file, skipped=skipped)


def table_values(frame, columns):
    """The rows of ``columns`` with only finite values, at most :data:`MAX_POINTS` of them.

    The same pandas calls as the generated code (see :mod:`kmlab.studio.codegen`).

    Returns
    -------
    values : pandas.DataFrame
    dropped : int
        Rows left out for a missing or infinite value.
    sampled : bool
        Whether the rows are a random sample of :data:`MAX_POINTS`.
    """
    values = frame[columns]
    finite = values.replace([np.inf, -np.inf], np.nan).dropna()
    dropped = len(values) - len(finite)
    sampled = len(finite) > MAX_POINTS
    if sampled:
        finite = finite.sample(n=MAX_POINTS, random_state=0)
    return finite, dropped, sampled


def table_dataset(table, columns, standardize):
    """Cluster ``columns`` of an uploaded table.

    Parameters
    ----------
    table : Table
    columns : list of str
        At least two numeric columns of the table.
    standardize : bool
        Scale every column to mean 0 and standard deviation 1 first.

    Returns
    -------
    dataset : Dataset

    Raises
    ------
    ValueError
        Fewer than two columns, an unknown column, or no row left.
    """
    if len(columns) < 2:
        raise ValueError(f"pick at least two numeric columns to cluster; got {len(columns)}")
    unknown = [name for name in columns if name not in table.frame.columns]
    if unknown:
        raise ValueError(
            f"no numeric column named {', '.join(map(repr, unknown))}; "
            f"the numeric columns are {list(table.frame.columns)}"
        )
    if len(set(columns)) != len(columns):
        raise ValueError(f"a column is picked twice in {columns}")
    values, dropped, sampled = table_values(table.frame, columns)
    if len(values) == 0:
        raise ValueError(f"every row of {table.file!r} has a missing or infinite value in {columns}")
    X = values.to_numpy(dtype=np.float64)
    _check_magnitude(X)
    notes = []
    if dropped:
        notes.append(f"{dropped:,} rows with missing or infinite values left out.")
    if sampled:
        notes.append(f"a random sample of {MAX_POINTS:,} rows is shown (Studio's limit).")
    if standardize:
        from sklearn.preprocessing import StandardScaler

        X = StandardScaler().fit_transform(X)
        notes.append("columns standardized (mean 0, standard deviation 1).")
    if projection_needed(X.shape[1]):
        notes.append(f"{X.shape[1]} columns drawn through PCA; the clustering uses all of them.")
    source = {
        "kind": "table",
        "file": table.file,
        "columns": list(columns),
        "standardize": bool(standardize),
        "sampled": sampled,
    }
    return _with_view(np.ascontiguousarray(X), list(columns), title=table.file, source=source, notes=notes)
