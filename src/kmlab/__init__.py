"""kmlab: K-Means for Python.

scikit-learn's API and answers on fast numba kernels, with the tools to choose
K and to watch clusters form.

Examples
--------
>>> from kmlab import KMeans
>>> from sklearn.datasets import make_blobs
>>> X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)
>>> kmeans = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)
>>> kmeans.cluster_centers_.shape
(4, 2)
"""

from ._init import kmeans_plusplus
from ._kmeans import KMeans, k_means

__version__ = "0.1.0"

__all__ = ["KMeans", "__version__", "k_means", "kmeans_plusplus"]
