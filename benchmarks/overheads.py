"""One-time costs measured in fresh Python processes: import, first access, warm-up, first fit.

Each measurement is a small script run by a new interpreter; it prints one JSON
line of ``{key: seconds}``.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

# kmlab's import is lazy: the estimators, hence scikit-learn, scipy and numba,
# load on the first access to a name.  Both steps are timed.
_IMPORT_KMLAB = """
import json, time
start = time.perf_counter()
import kmlab
imported = time.perf_counter()
kmlab.KMeans
print(json.dumps({"import_kmlab_s": imported - start, "first_access_kmlab_s": time.perf_counter() - imported}))
"""

_IMPORT_SKLEARN = """
import json, time
start = time.perf_counter()
import sklearn.cluster
print(json.dumps({"import_sklearn_cluster_s": time.perf_counter() - start}))
"""

# {module} is kmlab or sklearn.cluster; {prepare} runs before the timed fit.
_FIRST_FIT = """
import json, time
from sklearn.datasets import make_blobs
from {module} import KMeans
X = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)[0]
times = {{}}
{prepare}
start = time.perf_counter()
KMeans(n_clusters=4, n_init=10, random_state=0).fit(X)
times["{key}"] = time.perf_counter() - start
print(json.dumps(times))
"""

_WARMUP_FIRST = """
from kmlab._warmup import warmup
times["warmup_kmlab_s"] = warmup()
"""


def _first_fit(module, key, prepare=""):
    return _FIRST_FIT.format(module=module, key=key, prepare=prepare)


def _seconds_in_fresh_process(code, env=None):
    """Run ``code`` in a new interpreter; return the ``{key: seconds}`` it prints last."""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{code}\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def _interleaved_medians(codes, repeats):
    """Median seconds of every key the ``codes`` print, over ``repeats`` rounds of one process per code."""
    samples = {}
    for _ in range(repeats):
        for code in codes:
            for key, seconds in _seconds_in_fresh_process(code).items():
                samples.setdefault(key, []).append(seconds)
    return {key: statistics.median(values) for key, values in samples.items()}


def measure_overheads(repeats):
    """Import, first-access, warm-up and first-fit times of kmlab and scikit-learn in fresh processes.

    - ``import kmlab`` alone (light: nothing heavy is imported), then the first
      access to ``kmlab.KMeans`` (imports scikit-learn, scipy and numba), and
      ``import sklearn.cluster`` for reference;
    - the first fit, ``KMeans(n_clusters=4, n_init=10, random_state=0)`` on the
      tutorial data, timed around ``fit`` only: for kmlab with numba's on-disk
      cache warm (an untimed warm-up process fills it first), which is what users see
      after the first run, and once with an empty cache (``NUMBA_CACHE_DIR``
      pointing at a new directory), which is what they see the very first time;
      for scikit-learn;
    - kmlab's warm-up (what ``kmlab warmup`` runs, cache warm) and the first
      fit after it.

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
    after_warmup = _first_fit("kmlab", "first_fit_kmlab_after_warmup_s", prepare=_WARMUP_FIRST)
    _seconds_in_fresh_process(after_warmup)  # fills numba's cache with every kernel if it lacks any
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = _seconds_in_fresh_process(
            _first_fit("kmlab", "first_fit_kmlab_cold_cache_s"), env={**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        )
    medians = _interleaved_medians(
        [
            _IMPORT_KMLAB,
            _IMPORT_SKLEARN,
            _first_fit("kmlab", "first_fit_kmlab_warm_cache_s"),
            after_warmup,
            _first_fit("sklearn.cluster", "first_fit_sklearn_s"),
        ],
        repeats,
    )
    return {"repeats": repeats, **medians, **cold}
