"""kmlab: K-Means for Python.

scikit-learn's API and answers on fast numba kernels, with the tools to choose
K and to watch clusters form.

``import kmlab`` is light: the estimators, and with them scikit-learn, scipy and
numba, are imported on first use of a name (PEP 562), so that ``kmlab --help``
and programs that only mention kmlab start fast.

Examples
--------
>>> from kmlab import KMeans
>>> from sklearn.datasets import make_blobs
>>> X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)
>>> kmeans = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)
>>> kmeans.cluster_centers_.shape
(4, 2)
"""

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "ClusterAnomalyDetector",
    "KMeans",
    "KMedoids",
    "KSelection",
    "MiniBatchKMeans",
    "SphericalKMeans",
    "__version__",
    "cluster_profiles",
    "k_means",
    "kmeans_plusplus",
    "load",
    "save",
    "select_k",
]

# Public name -> the private module that defines it, imported on first access.
_LAZY = {
    "ClusterAnomalyDetector": "._anomaly",
    "KMeans": "._kmeans",
    "KMedoids": "._kmedoids",
    "KSelection": ".selection",
    "MiniBatchKMeans": "._minibatch",
    "SphericalKMeans": "._spherical",
    "cluster_profiles": ".profiles",
    "k_means": "._kmeans",
    "kmeans_plusplus": "._kmeans",
    "load": ".io",
    "save": ".io",
    "select_k": ".selection",
}

if TYPE_CHECKING:  # static analysers and IDEs see the real objects
    from ._anomaly import ClusterAnomalyDetector
    from ._kmeans import KMeans, k_means, kmeans_plusplus
    from ._kmedoids import KMedoids
    from ._minibatch import MiniBatchKMeans
    from ._spherical import SphericalKMeans
    from .io import load, save
    from .profiles import cluster_profiles
    from .selection import KSelection, select_k


def __getattr__(name):
    """Import a public name from its module on first access (PEP 562).

    Parameters
    ----------
    name : str
        The attribute asked for.

    Returns
    -------
    value : object
        The class or function; it is then stored in the package's namespace, so
        later accesses do not come back here.

    Raises
    ------
    AttributeError
        When ``name`` is not one of kmlab's public names.
    """
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    """The package's names, the lazy ones included, sorted."""
    return sorted(set(globals()) | set(__all__))
