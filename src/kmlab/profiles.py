"""Cluster profiles: each cluster described in the features' own units, and what sets it apart."""

from numbers import Integral

import numpy as np

from ._optional import import_optional
from ._validation import check_data

__all__ = ["cluster_profiles"]

# The per-feature statistics, in the order of their columns.
STATISTICS = ("mean", "median", "smd")


def _feature_names(X, feature_names, n_features):
    if feature_names is None:
        columns = getattr(X, "columns", None)
        return [str(name) for name in columns] if columns is not None else [f"x{j}" for j in range(n_features)]
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} names but X has {n_features} features; give one per column.")
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"feature_names must be distinct; {', '.join(repeated)} appear more than once.")
    return names


def _check_labels(labels, n_samples, n_clusters):
    """``labels`` (for ``n_samples >= 1`` samples) as an int array of cluster indices, and the number of clusters."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n_samples:
        raise ValueError(
            f"labels must be a 1-D array with one cluster per sample: expected shape ({n_samples},), "
            f"got {labels.shape}."
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integer cluster indices (0, 1, ...); got dtype {labels.dtype}.")
    if labels.min() < 0:
        raise ValueError(f"labels must be >= 0; got {labels.min()}. Leave samples without a cluster out of X.")
    needed = int(labels.max()) + 1
    if n_clusters is None:
        return labels, needed
    if not isinstance(n_clusters, Integral) or isinstance(n_clusters, bool) or n_clusters < needed:
        raise ValueError(
            f"n_clusters must be an integer of at least {needed} (the largest label + 1), or None; got {n_clusters!r}."
        )
    return labels, int(n_clusters)


def cluster_profiles(X, labels, feature_names=None, *, n_clusters=None, n_distinguishing=3):
    """Profile each cluster: size, share, mean and median of every feature, and the features that set it apart.

    A feature sets a cluster apart by its standardized mean difference (SMD):
    the cluster's mean minus the mean of all samples, in standard deviations of
    all samples (population standard deviation).  An SMD of +1.5 says the
    cluster's average lies one and a half standard deviations above everyone's;
    a constant feature has SMD 0.  Pass ``X`` in the features' own units (not
    scaled), so that the means and medians read as they were measured.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        The samples, numbers only, no missing values.
    labels : array-like of int of shape (n_samples,)
        The cluster of each sample, between 0 and ``n_clusters - 1`` (e.g. a
        fitted KMeans's ``labels_``).
    feature_names : list of str, default=None
        The names of X's columns; None takes a DataFrame's column names, or
        ``x0, x1, ...``.
    n_clusters : int, default=None
        The number of clusters; None means the largest label + 1.  A cluster
        without samples gets size 0, NaN statistics and no distinguishing
        feature.
    n_distinguishing : int, default=3
        How many features the ``distinguishing`` column lists per cluster.

    Returns
    -------
    profiles : pandas.DataFrame
        One row per cluster, indexed by ``cluster`` (0 to ``n_clusters - 1``),
        with the columns ``size`` (samples in the cluster), ``share`` (their
        fraction of all samples), then for each feature ``<name>_mean``,
        ``<name>_median`` and ``<name>_smd``, and last ``distinguishing``: a
        list of ``(name, SMD rounded to 2 decimals)`` pairs, largest ``|SMD|``
        first.

    Raises
    ------
    ImportError
        When pandas is not installed.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmlab.profiles import cluster_profiles
    >>> X = pd.DataFrame({"income": [10.0, 10.0, 50.0, 50.0], "age": [30.0, 31.0, 30.0, 31.0]})
    >>> profiles = cluster_profiles(X, [0, 0, 1, 1])
    >>> profiles[["size", "share", "income_mean", "income_smd", "age_smd"]]  # doctest: +NORMALIZE_WHITESPACE
             size  share  income_mean  income_smd  age_smd
    cluster
    0           2    0.5         10.0        -1.0      0.0
    1           2    0.5         50.0         1.0      0.0
    >>> profiles.loc[1, "distinguishing"]
    [('income', 1.0), ('age', 0.0)]
    """
    pd = import_optional("pandas", "cluster_profiles needs pandas", "io")
    # order=None: no copy into C order, whose other summation order would change the last digits.
    values = check_data(X, "X", accept_sparse=False, dtype=np.float64, order=None)
    names = _feature_names(X, feature_names, values.shape[1])
    labels, n_clusters = _check_labels(labels, values.shape[0], n_clusters)
    if not isinstance(n_distinguishing, Integral) or isinstance(n_distinguishing, bool) or n_distinguishing < 0:
        raise ValueError(f"n_distinguishing must be an integer >= 0; got {n_distinguishing!r}.")

    overall_mean = values.mean(axis=0)
    overall_std = values.std(axis=0)
    columns = {"size": [], "share": [], **{f"{name}_{stat}": [] for name in names for stat in STATISTICS}}
    distinguishing = []
    for cluster in range(n_clusters):
        members = values[labels == cluster]
        if len(members):
            mean, median = members.mean(axis=0), np.median(members, axis=0)
            # A constant feature distinguishes nothing.
            smd = np.divide(mean - overall_mean, overall_std, out=np.zeros_like(mean), where=overall_std > 0)
        else:
            mean = median = smd = np.full(len(names), np.nan)
        columns["size"].append(len(members))
        columns["share"].append(len(members) / len(values))
        for j, name in enumerate(names):
            for stat, statistic in zip(STATISTICS, (mean, median, smd)):
                columns[f"{name}_{stat}"].append(float(statistic[j]))
        order = [j for j in np.argsort(-np.abs(smd), kind="stable") if np.isfinite(smd[j])][:n_distinguishing]
        distinguishing.append([(names[j], round(float(smd[j]), 2)) for j in order])
    profiles = pd.DataFrame(columns, index=pd.RangeIndex(n_clusters, name="cluster"))
    profiles["distinguishing"] = distinguishing
    return profiles
