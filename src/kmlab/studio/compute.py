"""What Studio computes, through kmlab's API: fits with their history, K selection, silhouettes, predictions.

Everything here takes a :class:`~kmlab.studio.data.Dataset` and returns
JSON-ready values in the page's 2-D view coordinates.  Problems the user can fix
(K larger than the number of points, an algorithm that is not installed, ...)
raise :class:`StudioError` with a message saying what to change.
"""

from dataclasses import dataclass
from importlib import import_module

import numpy as np

#: Largest K Studio offers.
MAX_K = 50
#: Most frames of a fit sent to the page (longer histories are thinned evenly).
MAX_FRAMES = 200
#: Most labels sent with one fit (points times distinct assignments): keeps a 20,000-point fit under ~3 MB.
LABEL_BUDGET = 1_000_000
#: Points of the silhouette knife plot (a random sample beyond).
KNIFE_MAX_POINTS = 3000
#: Points the silhouette-vs-K curve is computed on (a random sample beyond).
SELECT_K_SILHOUETTE_POINTS = 2000
#: The criteria of the K panel (the gap statistic's reference fits would make it slow).
SELECT_K_CRITERIA = ("elbow", "silhouette", "calinski_harabasz", "davies_bouldin")
#: KMedoids' ``max_samples`` beyond this many points (CLARA): its distance matrix stays under 128 MB.
KMEDOIDS_MAX_SAMPLES = 4000
#: Most neighbour pairs DBSCAN may find (it keeps them all in memory: 8 bytes each).
DBSCAN_MAX_PAIRS = 20_000_000


class StudioError(ValueError):
    """A request Studio cannot answer as asked; ``status`` is the HTTP status to send."""

    def __init__(self, message, status=422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Algorithm:
    """A clustering algorithm the page offers.

    Attributes
    ----------
    name : str
        Key used by the API.
    title : str
        What the page shows.
    module, class_name : str
        Where the estimator class lives (imported on first use).
    centers : bool
        Whether it has centres (predict mode, Voronoi regions, knife plot of K).
    history : bool
        Whether it records its steps (``record_history``) for the animation.
    description : str
        One line for the page.
    """

    name: str
    title: str
    module: str
    class_name: str
    centers: bool
    history: bool
    description: str

    def load(self):
        """The estimator class; ImportError or AttributeError when it is not installed."""
        return getattr(import_module(self.module), self.class_name)

    def unavailable(self):
        """Why the algorithm cannot be used here, or None when it can."""
        try:
            self.load()
        except (ImportError, AttributeError) as exc:
            return f"{self.title} is not available: {exc}"
        return None

    @property
    def import_line(self):
        """How user code imports the class: from kmlab's top level when it exports it."""
        if self.module.startswith("kmlab."):
            import kmlab

            if self.class_name in kmlab.__all__:
                return f"from kmlab import {self.class_name}"
        return f"from {self.module} import {self.class_name}"


ALGORITHMS = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm("kmeans", "K-Means", "kmlab._kmeans", "KMeans", True, True,
                  "Lloyd's algorithm: assign every point to its nearest centre, move each centre to its points' mean."),
        Algorithm("minibatch", "Mini-batch K-Means", "kmlab._minibatch", "MiniBatchKMeans", True, True,
                  "Moves the centres with small random batches: fast on big data, a little less exact."),
        Algorithm("kmedoids", "K-Medoids", "kmlab._kmedoids", "KMedoids", True, False,
                  "Centres are data points (medoids) minimising the sum of distances: robust to outliers."),
        Algorithm("dbscan", "DBSCAN (scikit-learn)", "sklearn.cluster", "DBSCAN", False, False,
                  "Density-based: finds clusters of any shape and marks noise; no K, no centres."),
    )
}  # fmt: skip

INITS = ("k-means++", "random", "points")
# KMedoids' names of the same seedings.
_KMEDOIDS_INIT = {"k-means++": "k-medoids++", "random": "random"}


def load_algorithm(name):
    """The :class:`Algorithm` called ``name`` and its class, or StudioError."""
    algorithm = ALGORITHMS[name]
    reason = algorithm.unavailable()
    if reason is not None:
        raise StudioError(f"{reason}; choose another algorithm.", status=501)
    return algorithm, algorithm.load()


def _check_dbscan_pairs(X, eps, n_probe=200):
    """Refuse an ``eps`` so large that DBSCAN's neighbour lists would not fit in memory.

    The number of pairs is estimated from the neighbours of ``n_probe`` points.
    """
    from sklearn.neighbors import NearestNeighbors

    probe = X[np.random.default_rng(0).choice(len(X), min(n_probe, len(X)), replace=False)]
    counts = NearestNeighbors(radius=eps).fit(X).radius_neighbors(probe, return_distance=False)
    pairs = np.mean([len(found) for found in counts]) * len(X)
    if pairs > DBSCAN_MAX_PAIRS:
        raise StudioError(
            f"eps={eps:g} makes every point a neighbour of about {pairs / len(X):,.0f} others: DBSCAN would "
            f"keep {pairs:,.0f} pairs in memory (Studio's limit: {DBSCAN_MAX_PAIRS:,}); lower eps."
        )


def estimator_arguments(
    dataset, algorithm, *, k, init, init_points, n_init, random_state, batch_size, eps, min_samples
):
    """The constructor arguments of the estimator (as the generated code writes them).

    ``init='points'`` turns the centres the user placed (view coordinates) into
    the initial centres (KMedoids: the indices of the points nearest to them).

    Raises
    ------
    StudioError
        K larger than the number of (distinct) points, or placed centres that
        do not match K.
    """
    if algorithm == "dbscan":
        _check_dbscan_pairs(dataset.X, eps)
        return {"eps": eps, "min_samples": min_samples}
    n_points = len(dataset.X)
    if k > n_points:
        raise StudioError(f"K={k} is more than the {n_points} points; lower K to at most {n_points}.")
    if k > dataset.n_distinct:
        raise StudioError(
            f"K={k} but the data has only {dataset.n_distinct} distinct points; "
            f"lower K to at most {dataset.n_distinct}."
        )
    placed = None
    if init == "points":
        count = 0 if init_points is None else len(init_points)
        if count != k:
            raise StudioError(
                f"init 'points' needs one placed centre per cluster: K={k}, {count} placed; click to place {k}."
            )
        placed = dataset.from_view(init_points)
    if algorithm == "kmedoids":
        if placed is None:
            start = _KMEDOIDS_INIT[init]
        else:
            from sklearn.metrics import pairwise_distances_argmin

            start = pairwise_distances_argmin(placed, dataset.X).tolist()
            if len(set(start)) < k:
                raise StudioError("two placed centres have the same nearest point; place the medoids further apart.")
        arguments = {"n_clusters": k, "init": start, "random_state": random_state}
        if n_points > KMEDOIDS_MAX_SAMPLES:
            arguments["max_samples"] = KMEDOIDS_MAX_SAMPLES
        return arguments
    if placed is None:
        arguments = {"n_clusters": k, "init": init, "n_init": n_init}
    else:  # one run from the placed centres
        arguments = {"n_clusters": k, "init": placed, "n_init": 1}
    if algorithm == "minibatch":
        arguments["batch_size"] = batch_size
    arguments["random_state"] = random_state
    return arguments


def fit(dataset, algorithm, arguments):
    """Fit the algorithm on the data (recording its steps when it can).

    Returns
    -------
    estimator : fitted estimator
    """
    spec, cls = load_algorithm(algorithm)
    estimator = cls(**arguments, **({"record_history": True} if spec.history else {}))
    estimator.fit(dataset.X)
    return estimator


def _thin(n_steps, n_kept):
    """Indices of ``n_kept`` steps spread evenly over ``n_steps``, the first and the last included."""
    if n_steps <= n_kept:
        return np.arange(n_steps)
    return np.unique(np.linspace(0, n_steps - 1, n_kept).round().astype(int))


def _nearest(X, centers):
    from sklearn.metrics import pairwise_distances_argmin

    return pairwise_distances_argmin(X, centers)


def _number(value):
    return None if value is None else float(value)


def frames(estimator, dataset):
    """The steps of the fit as the page animates them.

    Each frame is ``{"iteration", "phase" ('init', 'assign', 'update' or
    'final'), "centers" (view coordinates or None), "labels" (index into
    ``assignments``, or None before the first assignment), "inertia"}`` plus
    the history's ``n_changed`` / ``center_shift`` / ``batch_inertia`` when
    present.  Equal consecutive labellings are sent once.  Steps without labels
    (mini-batch updates) are labelled by the nearest centre.

    Returns
    -------
    frames : list of dict
    assignments : list of list of int
    n_steps : int
        Steps in the history before thinning.
    """
    X = dataset.X
    history = getattr(estimator, "history_", None)
    if history is None:  # the final state only
        centers = getattr(estimator, "cluster_centers_", None)
        history = [{
            "iteration": getattr(estimator, "n_iter_", None), "phase": "final", "centers": centers,
            "labels": estimator.labels_, "inertia": getattr(estimator, "inertia_", None),
        }]  # fmt: skip
    kept = _thin(len(history), min(MAX_FRAMES, max(2, LABEL_BUDGET // len(X))))
    result, assignments = [], []
    for index in kept:
        step = history[index]
        labels = step["labels"]
        if labels is None and step["phase"] != "init":
            labels = _nearest(X, step["centers"])
        reference = None
        if labels is not None:
            labels = np.asarray(labels)
            if not assignments or not np.array_equal(labels, assignments[-1]):
                assignments.append(labels)
            reference = len(assignments) - 1
        centers = step["centers"]
        frame = {
            "iteration": None if step["iteration"] is None else int(step["iteration"]),
            "phase": step["phase"],
            "centers": None if centers is None else dataset.to_view(centers).tolist(),
            "labels": reference,
            "inertia": _number(step["inertia"]),
        }
        for key in ("n_changed", "center_shift", "batch_inertia"):
            if key in step:
                frame[key] = _number(step[key]) if key != "n_changed" else int(step[key])
        result.append(frame)
    return result, [labels.astype(int).tolist() for labels in assignments], len(history)


def _converged(estimator, n_points):
    if hasattr(estimator, "n_steps_"):  # mini-batch: stopped before its last scheduled batch
        return bool(estimator.n_steps_ < (estimator.max_iter * n_points) // estimator.batch_size)
    if hasattr(estimator, "n_iter_"):
        return bool(estimator.n_iter_ < estimator.max_iter)
    return None


def summary(estimator, dataset):
    """Final numbers of a fit: clusters found, their sizes, noise, inertia, iterations, convergence."""
    labels = np.asarray(estimator.labels_)
    clustered = labels[labels >= 0]
    return {
        "n_clusters": int(np.unique(clustered).size),
        "sizes": np.bincount(clustered).tolist() if clustered.size else [],
        "n_noise": int((labels < 0).sum()),
        "inertia": _number(getattr(estimator, "inertia_", None)),
        "n_iter": int(estimator.n_iter_) if hasattr(estimator, "n_iter_") else None,
        "converged": _converged(estimator, len(labels)),
    }


def choose_k(dataset, k_max, random_state):
    """The K panel: :func:`kmlab.select_k` with K-Means for K = 1 .. k_max.

    Returns
    -------
    result : dict
        ``k_values``, ``inertia``, ``silhouette`` (None where undefined),
        ``recommended`` (criterion -> K or None), ``elbow_k``, ``best_k``,
        ``verdict``, ``silhouette_points`` (how many points the silhouettes
        were computed on).
    """
    from ..selection import select_k

    top = min(k_max, dataset.n_distinct)
    if top < 2:
        raise StudioError("choosing K needs at least 2 distinct points; add points.")
    n_points = len(dataset.X)
    silhouette_points = min(n_points, SELECT_K_SILHOUETTE_POINTS)
    selection = select_k(
        dataset.X, range(1, top + 1), criteria=SELECT_K_CRITERIA, random_state=random_state,
        silhouette_sample_size=silhouette_points,
    )  # fmt: skip
    return {
        "k_values": selection.k_values.tolist(),
        "inertia": selection.inertia.tolist(),
        "silhouette": [None if np.isnan(value) else float(value) for value in selection.silhouette],
        "recommended": {name: None if k is None else int(k) for name, k in selection.recommended.items()},
        "elbow_k": None if selection.elbow_k is None else int(selection.elbow_k),
        "best_k": None if selection.best_k is None else int(selection.best_k),
        "verdict": selection.verdict,
        "silhouette_points": silhouette_points,
    }


def silhouette_knife(dataset, labels, random_state=0):
    """The silhouette knife plot of a clustering: each cluster's silhouette values, sorted.

    Noise points (label -1) are left out.  Beyond :data:`KNIFE_MAX_POINTS`
    clustered points, the values are those of a random sample (each computed
    within the sample).

    Returns
    -------
    result : dict
        ``clusters`` (list of ``{"label", "values"}``, values descending),
        ``mean``, ``n_points`` (how many points the values are of), ``sampled``.
    """
    from ..metrics import silhouette_samples

    labels = np.asarray(labels)
    rows = np.flatnonzero(labels >= 0)
    sampled = rows.size > KNIFE_MAX_POINTS
    if sampled:
        rows = np.sort(np.random.default_rng(random_state).choice(rows, KNIFE_MAX_POINTS, replace=False))
    codes = labels[rows]
    n_clusters = np.unique(codes).size
    if not 2 <= n_clusters <= rows.size - 1:
        raise StudioError(
            f"the silhouette needs between 2 and {max(rows.size - 1, 2)} clusters; this clustering has {n_clusters}."
        )
    values = silhouette_samples(dataset.X[rows], codes)
    clusters = [
        {"label": int(label), "values": np.round(np.sort(values[codes == label])[::-1], 4).tolist()}
        for label in np.unique(codes)
    ]
    return {"clusters": clusters, "mean": float(values.mean()), "n_points": int(rows.size), "sampled": bool(sampled)}


def predict(estimator, dataset, points):
    """Cluster and distances to every centre of points clicked in the view, without refitting.

    Returns
    -------
    result : dict
        ``labels`` (list of int) and ``distances`` (list of lists: one
        distance per centre, in the clustered space).
    """
    X = dataset.from_view(points)
    return {"labels": estimator.predict(X).astype(int).tolist(), "distances": estimator.transform(X).tolist()}
