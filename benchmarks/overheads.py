"""One-time costs measured in fresh Python processes: import, and first fit."""

import os
import statistics
import subprocess
import sys
import tempfile

_IMPORT = """
import time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""

_FIRST_FIT = """
import time
from sklearn.datasets import make_blobs
from {module} import KMeans
X = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)[0]
start = time.perf_counter()
KMeans(n_clusters=4, n_init=10, random_state=0).fit(X)
print(time.perf_counter() - start)
"""


def _seconds_in_fresh_process(code, env=None):
    """Run ``code`` in a new interpreter; return the number it prints last."""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{code}\n{completed.stderr}")
    return float(completed.stdout.split()[-1])


def _interleaved_medians(codes, repeats):
    """Median seconds of each code over ``repeats`` rounds, one process per code and round."""
    samples = {name: [] for name in codes}
    for _ in range(repeats):
        for name, code in codes.items():
            samples[name].append(_seconds_in_fresh_process(code))
    return {name: statistics.median(values) for name, values in samples.items()}


def measure_overheads(repeats):
    """Import time and first-fit time of kmlab and scikit-learn in fresh processes.

    The first fit is ``KMeans(n_clusters=4, n_init=10, random_state=0)`` on the
    tutorial data, timed around ``fit`` only.  For kmlab it is measured with
    numba's on-disk cache warm (an untimed process fills it first), which is what
    users see after the first run, and once with an empty cache
    (``NUMBA_CACHE_DIR`` pointing at a new directory), which is what they see
    the very first time.

    Parameters
    ----------
    repeats : int
        Fresh processes per measurement (the median is kept), interleaved across
        measurements; the cold-cache measurement runs once.

    Returns
    -------
    overheads : dict
        Seconds, keyed by measurement.
    """
    kmlab_fit = _FIRST_FIT.format(module="kmlab")
    _seconds_in_fresh_process(kmlab_fit)  # fills numba's cache if it is empty
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = _seconds_in_fresh_process(kmlab_fit, env={**os.environ, "NUMBA_CACHE_DIR": cache_dir})
    medians = _interleaved_medians(
        {
            "import_kmlab_s": _IMPORT.format(module="kmlab"),
            "import_sklearn_cluster_s": _IMPORT.format(module="sklearn.cluster"),
            "first_fit_kmlab_warm_cache_s": kmlab_fit,
            "first_fit_sklearn_s": _FIRST_FIT.format(module="sklearn.cluster"),
        },
        repeats,
    )
    return {"repeats": repeats, **medians, "first_fit_kmlab_cold_cache_s": cold}
