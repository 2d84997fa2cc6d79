"""A few cases of ``benchmarks/equivalence.py``'s random comparison with scikit-learn, every run.

The benchmark runs hundreds (``python -m benchmarks.equivalence``); here each
seed draws five cases per estimator.  What must hold for any case:
``kmeans_plusplus`` picks scikit-learn's samples; and on float64 data without
exact ties (not on a grid, where the last bit of a cluster's sum decides, see
README.md) the fits give scikit-learn's answer whenever scikit-learn agrees
with itself across thread counts.
"""

import warnings

import numpy as np
import pytest

from benchmarks.equivalence import COMPARISONS

CASES_PER_SEED = 5


@pytest.mark.parametrize("estimator", sorted(COMPARISONS))
def test_random_cases_agree_with_sklearn(seed, estimator):
    for case in range(CASES_PER_SEED * seed, CASES_PER_SEED * (seed + 1)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence and empty-cluster warnings, on both sides
            X, params, outcome = COMPARISONS[estimator](case)
        if estimator == "kmeans_plusplus":
            assert outcome == "identical", (case, params)
        elif X.dtype == np.float64 and params["kind"] != "grid":
            assert outcome != "different", (case, params)
