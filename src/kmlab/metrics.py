"""Cluster quality metrics.

The silhouette functions are being moved onto kmlab's numba kernels; the
Calinski-Harabasz and Davies-Bouldin scores are scikit-learn's, re-exported.
"""

from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from sklearn.metrics import silhouette_samples, silhouette_score

__all__ = ["calinski_harabasz_score", "davies_bouldin_score", "silhouette_samples", "silhouette_score"]
