"""Small datasets shared by the tests."""

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_blobs


def blobs(seed, n_samples=200, n_features=3, centers=4, cluster_std=1.5, dtype=np.float64):
    """Overlapping Gaussian blobs: Lloyd needs several iterations on them."""
    X, _ = make_blobs(
        n_samples=n_samples, n_features=n_features, centers=centers, cluster_std=cluster_std, random_state=seed
    )
    return X.astype(dtype)


def sparsify(X, seed, density=0.6):
    """A CSR matrix with about ``1 - density`` of X's entries set to zero."""
    rng = np.random.RandomState(seed)
    return sp.csr_matrix(np.where(rng.uniform(size=X.shape) < density, X, 0.0).astype(X.dtype))


def positive_weights(n_samples, seed):
    """Random weights in [0.5, 2)."""
    return np.random.RandomState(seed).uniform(0.5, 2.0, size=n_samples)
