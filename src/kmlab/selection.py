"""Choosing the number of clusters: elbow, silhouette, gap statistic, CH and DB.

:func:`select_k` fits one clustering per candidate k and scores every fit with
each criterion; :class:`KSelection` holds the curves, each criterion's pick, a
combined choice and a verdict in plain words.

How each criterion picks k (``recommended``):

- ``"elbow"``: Kneedle (Satopää et al., 2011, through the ``kneed`` package) on
  ``log(inertia)`` against k.  On the log scale a fall from 100 to 10 weighs as
  much as one from 10 to 1; on the raw inertia Kneedle stops one step early on
  well separated blobs whose last split still removes a visible share (4 blobs:
  inertia 1, 0.24, 0.09, 0.009, ... gives 3).  Kneedle runs in its online mode
  and the candidate is the knee farthest from the chord; Kneedle confirms a knee
  only when the curve flattens after it, so give ``k_range`` a few values beyond
  the k you expect.  Kneedle finds a knee on nearly every convex curve, and
  inertia curves are convex even without clusters, so the candidate is then
  tested: without cluster structure the inertia falls like a
  power of k (``W_k ~ k^(-2/d)`` for uniform data in d dimensions), a straight
  line on log-log axes.  The *elbow strength* is the mean log-log slope from the
  first k to the knee divided by the mean slope from the knee to the last k;
  the elbow is clear when it is at least :data:`ELBOW_MIN_STRENGTH` (1.5), else
  ``None``.  Measured with select_k's defaults on 300 samples, k = 1..10, seeds
  0-19: uniform data in 1, 2, 5 and 10 dimensions and single Gaussian blobs in
  1, 2 and 5 dimensions (140 data sets) give strengths of at most 1.12, so no
  elbow; 4 blobs (``make_blobs``, ``cluster_std`` 0.5 and 1) give 1.57 to 5.5,
  7 blobs in 5 dimensions 2.2 to 8.0; overlapping blobs (``cluster_std=2``) 0.9
  to 2.6, no clear elbow in 4 of 20.
- ``"silhouette"``: the k with the highest mean silhouette (k >= 2).
- ``"calinski_harabasz"``: the highest Calinski-Harabasz score;
  ``"davies_bouldin"``: the lowest Davies-Bouldin index.
- ``"gap"``: the gap statistic (Tibshirani, Walther and Hastie, 2001) with the
  1-SE rule: the smallest k with ``gap(k) >= gap(k') - s(k')``, k' the next k
  of ``k_range``; ``None`` when no k passes.  k = 1 means "no cluster structure".
  ``gap(k) = mean_b log(W*_kb) - log(W_k)`` with W the inertia, W*_kb that of
  the same estimator fitted with k clusters on the b-th of ``n_refs`` reference
  data sets: as many samples as X (and the same weights), uniform in X's
  bounding box or in the box of its principal components;
  ``s(k) = sd_b(log W*_kb) * sqrt(1 + 1/n_refs)``.

The combined choice ``best_k``: the elbow when it is clear and at least one
other criterion picks the same k; otherwise the k picked by the most criteria,
ties going to the silhouette's pick when it is among them, else to the smallest
k.
"""

import sys
from collections import Counter
from functools import partial
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.extmath import row_norms
from sklearn.utils.validation import has_fit_parameter

from ._optional import import_optional
from ._validation import check_data, check_weights
from .metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

__all__ = ["KSelection", "select_k"]

CRITERIA = ("elbow", "silhouette", "gap", "calinski_harabasz", "davies_bouldin")

# The names the verdict uses.
_NAMES = {
    "elbow": "elbow",
    "silhouette": "silhouette",
    "gap": "gap",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
}

#: Smallest elbow strength (log-log slope before the knee / slope after it) that counts as a clear elbow.
ELBOW_MIN_STRENGTH = 1.5

#: Inertia at most this fraction of the largest one is rounding noise around 0: no scatter left.
NO_SCATTER = 1e-12

#: Runs per k of the default KMeans when ``n_init="auto"``.
N_INIT_AUTO = 3

#: Above this many samples the silhouette is computed on a random subsample of this size by default.
SILHOUETTE_EXACT_MAX = 10_000

#: Largest dense reference data set of the gap statistic for sparse X (bytes); beyond, select_k refuses the gap.
GAP_SPARSE_REFERENCE_MAX_BYTES = 2**30


class KSelection:
    """The result of :func:`select_k`: one row of scores per candidate k, and the choice.

    The arrays are aligned with ``k_values``; they hold NaN where a criterion is
    undefined (the silhouette, Calinski-Harabasz and Davies-Bouldin scores at
    k = 1 or whenever a fit has fewer than 2 or more than n_samples - 1 distinct
    labels) and are None for the criteria not computed.

    Parameters
    ----------
    k_values, inertia, silhouette, gap, gap_se, calinski_harabasz, davies_bouldin, \
estimators, labels, centers, recommended, best_k, verdict, criteria, elbow_strength, silhouette_metric
        Stored as the attributes of the same names.

    Attributes
    ----------
    k_values : ndarray of shape (n_k,), int
        The candidate numbers of clusters, increasing.
    inertia : ndarray of shape (n_k,)
        Weighted within-cluster sum of squares of each fit (``inertia_`` when the
        estimator has it, else computed from the labels around the cluster means).
    silhouette, calinski_harabasz, davies_bouldin : ndarray of shape (n_k,) or None
        Mean silhouette, Calinski-Harabasz score, Davies-Bouldin index.
    gap, gap_se : ndarray of shape (n_k,) or None
        Gap statistic and its standard error ``s_k = sd_k * sqrt(1 + 1/n_refs)``.
    estimators : list of fitted estimators
        One per k.
    labels : list of ndarray of shape (n_samples,)
        Each fit's labels.
    centers : list of ndarray of shape (k, n_features) or None
        Each fit's ``cluster_centers_``; None for estimators without centres.
    recommended : dict
        Criterion name -> the k it picks, or None when it finds none.
    best_k : int or None
        The combined choice (see :mod:`kmlab.selection`).
    verdict : str
        The choice in plain words, e.g. ``"clear elbow at k=4; silhouette agrees"``.
    criteria : tuple of str
        The criteria computed.
    elbow_strength : float or None
        Log-log slope before the Kneedle knee divided by the slope after it
        (NaN without a candidate knee); None when the elbow was not computed.
    silhouette_metric : str, callable or None
        The metric of the silhouette; None when it was not computed.
    elbow_k : int or None
        ``recommended.get("elbow")``.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab.selection import select_k
    >>> X, _ = make_blobs(n_samples=120, centers=3, cluster_std=0.5, random_state=1)
    >>> selection = select_k(X, range(1, 6), criteria=("elbow", "silhouette"), random_state=0)
    >>> selection
    KSelection(k=1..5, best_k=3, verdict='clear elbow at k=3; silhouette agrees')
    >>> selection.recommended
    {'elbow': 3, 'silhouette': 3}
    >>> selection.to_frame().loc[3, "silhouette"].round(2)
    np.float64(0.87)
    """

    def __init__(
        self,
        *,
        k_values,
        inertia,
        estimators,
        labels,
        centers,
        recommended,
        best_k,
        verdict,
        criteria,
        silhouette=None,
        gap=None,
        gap_se=None,
        calinski_harabasz=None,
        davies_bouldin=None,
        elbow_strength=None,
        silhouette_metric=None,
    ):
        self.k_values = k_values
        self.inertia = inertia
        self.silhouette = silhouette
        self.gap = gap
        self.gap_se = gap_se
        self.calinski_harabasz = calinski_harabasz
        self.davies_bouldin = davies_bouldin
        self.estimators = estimators
        self.labels = labels
        self.centers = centers
        self.recommended = recommended
        self.best_k = best_k
        self.verdict = verdict
        self.criteria = criteria
        self.elbow_strength = elbow_strength
        self.silhouette_metric = silhouette_metric

    @property
    def elbow_k(self):
        """The elbow's k, or None when the elbow is not clear or not computed."""
        return self.recommended.get("elbow")

    def _columns(self):
        """(name, array) for the inertia and every computed score."""
        names = ("inertia", "silhouette", "gap", "gap_se", "calinski_harabasz", "davies_bouldin")
        return [(name, getattr(self, name)) for name in names if getattr(self, name) is not None]

    def to_frame(self):
        """The scores as a pandas DataFrame, one row per k (the index, named ``k``).

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``inertia`` and one per computed score (``gap`` comes with
            ``gap_se``).

        Raises
        ------
        ImportError
            When pandas is not installed.
        """
        pd = import_optional("pandas", "KSelection.to_frame needs pandas", "io")
        index = pd.Index(self.k_values, name="k")
        return pd.DataFrame(dict(self._columns()), index=index)

    def summary(self):
        """A text table of the scores, each criterion's pick marked with ``*``, and the verdict.

        Returns
        -------
        text : str
            Several lines, ready to print.
        """
        columns = self._columns()
        # The criterion whose pick each column marks.
        marks = {name: name for name in CRITERIA} | {"inertia": "elbow"}
        header = ["k"] + [name for name, _ in columns]
        rows = []
        for i, k in enumerate(self.k_values):
            row = [str(k)]
            for name, values in columns:
                cell = "-" if np.isnan(values[i]) else f"{values[i]:.4g}"
                picked = self.recommended.get(marks.get(name)) == k
                row.append(cell + ("*" if picked else ""))
            rows.append(row)
        widths = [max(len(line[j]) for line in [header, *rows]) for j in range(len(header))]
        lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths)) for line in [header, *rows]]
        picks = ", ".join(f"{_NAMES[name]} {'-' if k is None else k}" for name, k in self.recommended.items())
        lines.append(f"picks (*): {picks}")
        lines.append(f"best k: {self.best_k} ({self.verdict})")
        return "\n".join(lines)

    def __repr__(self):
        k = self.k_values
        consecutive = bool(np.all(np.diff(k) == 1))
        ks = f"{k[0]}..{k[-1]}" if consecutive else str([int(v) for v in k])
        return f"KSelection(k={ks}, best_k={self.best_k}, verdict={self.verdict!r})"


# --- input checks -----------------------------------------------------------------


def _check_k_range(k_range, n_samples):
    """k_range as a sorted int64 array; every k in [1, n_samples], no repeats, at least two."""
    try:
        values = list(k_range)
    except TypeError:
        raise TypeError(
            f"k_range must be a sequence of integers such as range(1, 11); got {k_range!r}."
        ) from None
    for value in values:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise TypeError(f"k_range must contain only integers; got {value!r} ({type(value).__name__}).")
    k_values = np.array(values, dtype=np.int64)
    if np.unique(k_values).size < 2:
        raise ValueError(
            f"k_range must hold at least two different numbers of clusters to compare; got {values!r}. "
            "Pass e.g. range(1, 11)."
        )
    if k_values.min() < 1:
        raise ValueError(f"k_range contains {k_values.min()}; the number of clusters must be >= 1.")
    if k_values.max() > n_samples:
        raise ValueError(
            f"k_range contains {k_values.max()} but X has only {n_samples} samples; "
            "the number of clusters must be <= n_samples."
        )
    repeated = [int(k) for k, count in Counter(values).items() if count > 1]
    if repeated:
        raise ValueError(f"k_range repeats {repeated}; give each number of clusters once.")
    return np.sort(k_values)


def _check_criteria(criteria):
    """criteria as a tuple of known names, in the order given, without repeats."""
    names = (criteria,) if isinstance(criteria, str) else tuple(criteria)
    unknown = [name for name in names if name not in CRITERIA]
    if unknown:
        raise ValueError(f"Unknown criteria {unknown}; choose among {list(CRITERIA)}.")
    if not names:
        raise ValueError(f"criteria is empty; choose at least one of {list(CRITERIA)}.")
    return tuple(dict.fromkeys(names))


def _check_silhouette_metric(metric, estimator, X, needed):
    """The silhouette's metric (None resolved, see :func:`select_k`), tried on three rows of ``X`` so that
    a metric that cannot score it fails before the fits."""
    if metric is None:
        from ._spherical import SphericalKMeans

        return "cosine" if isinstance(estimator, SphericalKMeans) else "euclidean"
    if metric == "precomputed":
        raise ValueError(
            "silhouette_metric='precomputed' does not apply: select_k clusters X's rows; pass a metric "
            "('euclidean', 'cosine', 'manhattan', ...) or a callable."
        )
    if needed and X.shape[0] >= 3:
        try:
            silhouette_score(X[:3], np.array([0, 0, 1]), metric=metric)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"silhouette_metric={metric!r} cannot score X: {exc}") from exc
    return metric


def _base_estimator(estimator, n_init, random_state):
    """The estimator to clone for every k, with ``random_state`` applied."""
    if estimator is None:
        from ._kmeans import KMeans

        return KMeans(n_init=N_INIT_AUTO if n_init == "auto" else n_init, random_state=random_state)
    if isinstance(estimator, type):
        raise TypeError(
            f"estimator must be an estimator instance, e.g. {estimator.__name__}(), not the class itself."
        )
    if "n_clusters" not in estimator.get_params(deep=False):
        raise TypeError(
            f"estimator {type(estimator).__name__} has no n_clusters parameter; select_k needs a clusterer "
            "whose number of clusters is set by n_clusters (KMeans, MiniBatchKMeans, AgglomerativeClustering, ...)."
        )
    estimator = clone(estimator)
    if random_state is not None and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=random_state)
    return estimator


# --- fitting and scoring ----------------------------------------------------------


def _within_ss(X, labels, sample_weight):
    """Weighted sum of squared distances of the samples to their cluster's weighted mean."""
    order = np.argsort(labels, kind="stable")
    total = 0.0
    for members in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1):
        rows, weights = X[members], sample_weight[members].astype(np.float64)
        if weights.sum() == 0:
            continue
        mean = rows.T @ weights / weights.sum()
        if sp.issparse(rows):
            # ||x - m||^2 without densifying the rows.
            sq = np.maximum(row_norms(rows, squared=True) - 2 * (rows @ mean) + mean @ mean, 0.0)
        else:
            sq = ((rows - mean) ** 2).sum(axis=1)
        total += float(weights @ sq)
    return total


def _fit(base, k, X, sample_weight):
    """Fit a clone of ``base`` with k clusters; return (estimator, labels, inertia)."""
    estimator = clone(base).set_params(n_clusters=int(k))
    if sample_weight is None:
        estimator.fit(X)
    else:
        estimator.fit(X, sample_weight=sample_weight)
    labels = getattr(estimator, "labels_", None)
    if labels is None:
        labels = estimator.predict(X)
    labels = np.asarray(labels)
    inertia = getattr(estimator, "inertia_", None)
    if inertia is None:
        weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        inertia = _within_ss(X, labels, weights)
    return estimator, labels, float(inertia)


def _reference_sampler(X, gap_reference):
    """A function ``draw(random_state)`` of one uniform reference data set shaped like X."""
    n_samples, n_features = X.shape
    if gap_reference == "box":
        if sp.issparse(X):
            low, high = X.min(axis=0).toarray().ravel(), X.max(axis=0).toarray().ravel()
        else:
            low, high = X.min(axis=0), X.max(axis=0)
        return lambda rng: rng.uniform(low, high, size=(n_samples, n_features)).astype(X.dtype)
    # Tibshirani's option (b): a box aligned with the principal components.
    if sp.issparse(X):
        raise ValueError(
            "gap_reference='pca' needs dense X (it centres the data); use gap_reference='box' or pass X.toarray()."
        )
    mean = X.mean(axis=0, dtype=np.float64)
    _, _, components = np.linalg.svd(X - mean, full_matrices=False)
    projected = (X - mean) @ components.T
    low, high = projected.min(axis=0), projected.max(axis=0)

    def draw(rng):
        return (rng.uniform(low, high, size=(n_samples, low.shape[0])) @ components + mean).astype(X.dtype)

    return draw


def _no_scatter(inertia):
    """Where a fit leaves no within-cluster scatter: W_k is 0 up to rounding (k = n_samples, duplicates)."""
    return inertia <= inertia.max() * NO_SCATTER


def _gap(inertia, reference_inertia):
    """Tibshirani's gap and its standard error from W_k (n_k,) and the references' W*_kb (n_refs, n_k)."""
    with np.errstate(divide="ignore"):
        log_ref = np.log(reference_inertia)
        log_w = np.where(_no_scatter(inertia), np.nan, np.log(inertia))
    mean_ref = log_ref.mean(axis=0)
    gap = np.where(np.isfinite(mean_ref), mean_ref - log_w, np.nan)
    n_refs = reference_inertia.shape[0]
    with np.errstate(invalid="ignore"):
        se = log_ref.std(axis=0) * np.sqrt(1 + 1 / n_refs)
    return gap, se


def _gap_choice(k_values, gap, se):
    """1-SE rule: the smallest k with gap(k) >= gap(next k) - se(next k); None when none passes."""
    for i in range(len(k_values) - 1):
        if gap[i] >= gap[i + 1] - se[i + 1]:
            return int(k_values[i])
    return None


def _elbow(k_values, inertia):
    """(knee k or None, elbow strength): Kneedle on log(inertia), kept when the strength is enough."""
    from kneed import KneeLocator

    if len(k_values) < 3 or not np.all(np.isfinite(inertia)) or inertia.max() <= 0:
        return None, np.nan
    # W_k = 0 would put log W at -inf; a floor far below the other values keeps the drop visible.
    floor = inertia.max() * NO_SCATTER
    log_w = np.log(np.maximum(inertia, floor))
    if np.ptp(log_w) == 0:
        return None, np.nan
    locator = KneeLocator(k_values, log_w, curve="convex", direction="decreasing", online=True)
    # Online Kneedle lists every knee that passes its threshold; take the farthest from the chord.
    # (Offline it stops at the first, which is the first k when the log curve starts concave.)
    candidates = [int(np.flatnonzero(k_values == knee)[0]) for knee in locator.all_knees]
    candidates = [i for i in candidates if 0 < i < len(k_values) - 1]
    if not candidates:
        return None, np.nan
    i = max(candidates, key=lambda j: locator.y_difference[j])
    log_k = np.log(k_values)
    before = (log_w[0] - log_w[i]) / (log_k[i] - log_k[0])
    after = (log_w[i] - log_w[-1]) / (log_k[-1] - log_k[i])
    if after > 0:
        strength = before / after
    else:
        # Flat or rising after the knee: a perfect fit at the knee is clear, rising inertia is fitting noise.
        strength = np.inf if inertia[i] <= floor and before > 0 else np.nan
    return (int(k_values[i]) if strength >= ELBOW_MIN_STRENGTH else None), float(strength)


def _best_k(recommended):
    """The clear elbow if another criterion agrees, else a vote; ties to the silhouette, then the smallest k."""
    votes = {name: k for name, k in recommended.items() if k is not None}
    elbow = votes.get("elbow")
    if elbow is not None and any(k == elbow for name, k in votes.items() if name != "elbow"):
        return elbow
    if not votes:
        return None
    counts = Counter(votes.values())
    top = max(counts.values())
    tied = sorted(k for k, count in counts.items() if count == top)
    if len(tied) == 1:
        return tied[0]
    return votes["silhouette"] if votes.get("silhouette") in tied else tied[0]


def _join(names):
    names = [_NAMES[name] for name in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _verdict(criteria, recommended, best_k):
    """The choice in plain words: the elbow first, then who agrees, then the other picks."""
    elbow = recommended.get("elbow")
    groups = {}  # k -> the other criteria picking it, in the order of ``criteria``
    for name in criteria:
        if name != "elbow":
            groups.setdefault(recommended[name], []).append(name)
    parts = []
    if "elbow" in criteria:
        if elbow is None:
            parts.append("no clear elbow")
        elif elbow == best_k:
            parts.append(f"clear elbow at k={elbow}")
            agree = groups.pop(elbow, None)
            if agree:
                parts.append(_join(agree) + (" agrees" if len(agree) == 1 else " agree"))
        else:
            parts.append(f"clear elbow at k={elbow} but no other criterion agrees")
    if best_k is not None and best_k in groups:
        lead = groups.pop(best_k)
        parts.append(_join(lead) + (" prefers" if len(lead) == 1 else " prefer") + f" {best_k}")
    elif best_k is None and groups:
        parts.append("no criterion recommends a k")
        groups = {}
    rest = [
        f"{_NAMES[name]} " + ("none in range" if k is None else f"k={k}")
        for k, names in groups.items()
        for name in names
    ]
    if rest:
        parts.append(", ".join(rest))
    return "; ".join(parts)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "estimator": [HasMethods(["fit", "get_params", "set_params"]), None],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "sample_weight": ["array-like", None],
        "n_refs": [Interval(Integral, 1, None, closed="left")],
        "gap_reference": [StrOptions({"box", "pca"})],
        "silhouette_sample_size": [Interval(Integral, 2, None, closed="left"), None],
        "silhouette_metric": [str, callable, None],
        "progress": ["boolean"],
    },
    prefer_skip_nested_validation=False,
)
def select_k(
    X,
    k_range=range(1, 11),
    *,
    estimator=None,
    criteria=CRITERIA,
    n_init="auto",
    random_state=None,
    sample_weight=None,
    n_refs=10,
    gap_reference="box",
    silhouette_sample_size=None,
    silhouette_metric=None,
    progress=False,
):
    """Fit one clustering per candidate k and score it with several criteria.

    Each k is fitted once and every criterion reuses that fit; the gap statistic
    adds ``n_refs`` fits per k on uniform reference data.  How each criterion
    picks its k, what makes an elbow "clear" and how ``best_k`` combines the
    picks is described in :mod:`kmlab.selection`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data.  With sparse X, Calinski-Harabasz and Davies-Bouldin are not
        available (scikit-learn's scores need dense data) and the gap's
        references are dense arrays of X's shape (refused beyond
        :data:`GAP_SPARSE_REFERENCE_MAX_BYTES`, 1 GiB).
    k_range : iterable of int, default=range(1, 11)
        The candidate numbers of clusters: at least two, each in
        [1, n_samples], each once (any order; ``k_values`` is sorted).
    estimator : clusterer with an ``n_clusters`` parameter, default=None
        A kmlab or scikit-learn clusterer (``KMeans``, ``MiniBatchKMeans``,
        ``AgglomerativeClustering``, ...); cloned for every fit with
        ``n_clusters=k`` and, when ``random_state`` is not None and it has one,
        ``random_state``.  Its inertia is ``inertia_`` when it has one, else the
        weighted within-cluster sum of squares around the cluster means.
        None: ``kmlab.KMeans(n_init=n_init, random_state=random_state)``.
    criteria : str or sequence of str, default=all
        Among 'elbow', 'silhouette', 'gap', 'calinski_harabasz', 'davies_bouldin'.
        The inertia is always computed.
    n_init : 'auto' or int, default='auto'
        ``n_init`` of the default estimator; a given estimator keeps its own.
        'auto' means 3 runs per k (:data:`N_INIT_AUTO`), not KMeans's single
        k-means++ run: one poor local optimum bends every curve.  On 4 blobs at
        the corners of a square (120 samples, k = 1..7, seeds 0-19), the gap
        statistic found 4 in 16 of 20 seeds with 1 run, in 20 with 3.
    random_state : int, RandomState instance or None, default=None
        Seeds the fits (set on the estimator) and draws the gap's references and
        the silhouette's subsample.  An int makes the result reproducible.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed to every fit (the estimator's ``fit`` must accept it) and weighting
        the inertia and the gap; the silhouette, Calinski-Harabasz and
        Davies-Bouldin scores are unweighted.  The references use the same
        weights.
    n_refs : int, default=10
        Number of uniform reference data sets of the gap statistic.
    gap_reference : {'box', 'pca'}, default='box'
        Where the references are drawn: uniformly in the bounding box of the
        features ('box') or of the principal components ('pca', Tibshirani's
        option b, better for elongated data; dense X only).
    silhouette_sample_size : int, default=None
        Compute the silhouette on this many samples, drawn once without
        replacement and shared by every k.  None: all samples up to
        :data:`SILHOUETTE_EXACT_MAX` (10,000), a subsample of that size beyond.
    silhouette_metric : str or callable, default=None
        The distance the silhouette compares samples with: "euclidean" or
        "cosine" (kmlab's kernels), or any other metric
        :func:`kmlab.metrics.silhouette_score` takes.  None: "cosine" when the
        estimator is a :class:`kmlab.SphericalKMeans` (whose clusters are of
        directions: TF-IDF rows, embeddings), else "euclidean".
    progress : bool, default=False
        Show a progress bar on stderr (tqdm), one step per fit and per score.

    Returns
    -------
    selection : KSelection
        The curves, the fits, each criterion's pick, ``best_k`` and ``verdict``.

    Raises
    ------
    ValueError
        Bad data (NaN, infinity, empty, strings), a bad ``k_range``, an unknown
        criterion, or a ``silhouette_metric`` that cannot score ``X``.
    TypeError
        An estimator without ``n_clusters``, or whose ``fit`` takes no
        ``sample_weight`` when weights are given.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmlab.selection import select_k
    >>> X, _ = make_blobs(n_samples=200, centers=4, cluster_std=0.6, random_state=0)
    >>> selection = select_k(X, range(1, 8), n_refs=5, random_state=0)
    >>> selection.best_k
    4
    >>> selection.verdict
    'clear elbow at k=4; silhouette, gap, Calinski-Harabasz and Davies-Bouldin agree'

    Data without clusters has no clear elbow:

    >>> import numpy as np
    >>> noise = np.random.RandomState(0).uniform(size=(200, 2))
    >>> select_k(noise, range(1, 8), criteria=("elbow", "silhouette"), random_state=0).elbow_k is None
    True
    """
    X = check_data(X)
    n_samples = X.shape[0]
    k_values = _check_k_range(k_range, n_samples)
    criteria = _check_criteria(criteria)
    if sp.issparse(X) and {"calinski_harabasz", "davies_bouldin"} & set(criteria):
        raise ValueError(
            "calinski_harabasz and davies_bouldin need dense X; pass X.toarray() or "
            "criteria=('elbow', 'silhouette', 'gap')."
        )
    reference_bytes = X.shape[0] * X.shape[1] * X.dtype.itemsize
    if sp.issparse(X) and "gap" in criteria and reference_bytes > GAP_SPARSE_REFERENCE_MAX_BYTES:
        raise ValueError(
            f"the gap statistic's uniform references are dense {X.shape[0]:,} x {X.shape[1]:,} arrays "
            f"({reference_bytes / 2**30:.1f} GiB each) for this sparse X; leave it out "
            "(criteria=('elbow', 'silhouette')) or reduce the features first (e.g. TruncatedSVD)."
        )
    base = _base_estimator(estimator, n_init, random_state)
    silhouette_metric = _check_silhouette_metric(silhouette_metric, base, X, "silhouette" in criteria)
    if sample_weight is not None:
        if not has_fit_parameter(base, "sample_weight"):
            raise TypeError(
                f"{type(base).__name__}.fit does not accept sample_weight; pass sample_weight=None "
                "or an estimator that takes weights (e.g. KMeans)."
            )
        sample_weight = check_weights(sample_weight, X)
    rng = check_random_state(random_state)
    n_k = len(k_values)
    label_scores = {
        "silhouette": partial(silhouette_score, metric=silhouette_metric),
        "calinski_harabasz": calinski_harabasz_score,
        "davies_bouldin": davies_bouldin_score,
    }
    scored = [name for name in label_scores if name in criteria]
    n_steps = n_k * (1 + (n_refs if "gap" in criteria else 0) + len(scored))

    from tqdm import tqdm

    scores = {}
    with tqdm(total=n_steps, desc="select_k", unit="step", file=sys.stderr, disable=not progress) as bar:
        estimators, labels, inertia = [], [], np.empty(n_k)
        for i, k in enumerate(k_values):
            estimator_k, labels_k, inertia[i] = _fit(base, k, X, sample_weight)
            estimators.append(estimator_k)
            labels.append(labels_k)
            bar.update()

        if "gap" in criteria:
            draw = _reference_sampler(X, gap_reference)
            reference_inertia = np.empty((n_refs, n_k))
            for b in range(n_refs):
                reference = draw(rng)
                for i, k in enumerate(k_values):
                    reference_inertia[b, i] = _fit(base, k, reference, sample_weight)[2]
                    bar.update()
            scores["gap"], scores["gap_se"] = _gap(inertia, reference_inertia)

        sample_size = SILHOUETTE_EXACT_MAX if silhouette_sample_size is None else silhouette_sample_size
        subsample = None
        if "silhouette" in scored and sample_size < n_samples:
            subsample = rng.choice(n_samples, sample_size, replace=False)
        for name in scored:
            scores[name] = np.full(n_k, np.nan)
            for i, labels_k in enumerate(labels):
                data, labels_s = X, labels_k
                if name == "silhouette" and subsample is not None:
                    data, labels_s = X[subsample], labels_k[subsample]
                # The three scores need 2 <= distinct labels <= n_samples - 1.
                if 2 <= np.unique(labels_s).size < labels_s.shape[0]:
                    scores[name][i] = label_scores[name](data, labels_s)
                bar.update()

    recommended = {}
    elbow_strength = None
    for name in criteria:
        if name == "elbow":
            recommended[name], elbow_strength = _elbow(k_values, inertia)
        elif name == "gap":
            recommended[name] = _gap_choice(k_values, scores["gap"], scores["gap_se"])
        else:
            values = scores[name]
            if np.all(np.isnan(values)):
                recommended[name] = None
            else:
                pick = np.nanargmin(values) if name == "davies_bouldin" else np.nanargmax(values)
                recommended[name] = int(k_values[pick])
    best_k = _best_k(recommended)
    return KSelection(
        k_values=k_values,
        inertia=inertia,
        estimators=estimators,
        labels=labels,
        centers=[getattr(est, "cluster_centers_", None) for est in estimators],
        recommended=recommended,
        best_k=best_k,
        verdict=_verdict(criteria, recommended, best_k),
        criteria=criteria,
        elbow_strength=elbow_strength,
        silhouette_metric=silhouette_metric if "silhouette" in criteria else None,
        **scores,
    )
