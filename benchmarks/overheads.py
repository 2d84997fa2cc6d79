"""Overheads: one-time costs in fresh processes, and small warm fits where overhead is most of the time.

- :func:`measure_overheads` (part of ``python -m benchmarks``): import, first
  access, warm-up and first fit, each in a new interpreter that prints one JSON
  line of ``{key: seconds}``;
- ``python -m benchmarks.overheads``: small fits, warm, in this process, kmlab
  and scikit-learn interleaved (the tutorial data with ``n_init=10``, digits
  with ``n_init=1`` and 10); the fastest of many repeats, since on a shared
  machine the other processes only ever add time.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime, timezone

from sklearn.cluster import KMeans as SklearnKMeans
from threadpoolctl import threadpool_limits

from kmlab import KMeans as KmlabKMeans

from . import environment, report
from .cases import TUTORIAL, suite
from .measure import warm_up
from .runners import KMLAB, SKLEARN

MARKERS = ("<!-- overheads:start -->", "<!-- overheads:end -->")

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


def small_fit_cases():
    """The small fits: tutorial (n_init=10), digits (n_init=1), digits (n_init=10)."""
    digits = next(case for case in suite() if case.name == "digits")
    return [TUTORIAL, digits, replace(digits, name="digits-n_init10", n_init=10, max_repeats=20)]


# The same estimators as the runners build, for fits timed back to back.
_ESTIMATORS = {
    KMLAB.name: lambda params, threads: KmlabKMeans(**params.sklearn_kwargs(), n_threads=threads),
    SKLEARN.name: lambda params, threads: SklearnKMeans(**params.sklearn_kwargs()),
}
# Fits in a row per implementation before switching to the other one.
_BACK_TO_BACK = 10


def _back_to_back(name, X, params, threads, count):
    """Seconds of each of ``count`` fits in a row, without garbage collection in between (timeit's way)."""
    times = []
    with nullcontext() if threads is None else threadpool_limits(limits=threads):
        for _ in range(count):
            estimator = _ESTIMATORS[name](params, threads)
            start = time.perf_counter()
            estimator.fit(X)
            times.append(time.perf_counter() - start)
    return times


def measure_small_fit(case, *, repeats, threads, seed=0):
    """Warm fit times of kmlab and scikit-learn on ``case``, interleaved, in this process.

    Two protocols: each fit after a garbage collection (the suite's, through
    :mod:`benchmarks.runners`: caches cold), and fits back to back in blocks of
    ``_BACK_TO_BACK`` (``timeit``'s: caches warm); the implementations take turns.

    Parameters
    ----------
    case : Case
        The data and parameters.
    repeats : int
        Timed fits per implementation and protocol (at most ``case.max_repeats``).
    threads : int or None
        Threads for both libraries.
    seed : int, default=0
        ``random_state``.

    Returns
    -------
    result : dict
        Fastest and median seconds per protocol and implementation, the ratios
        of the fastest, the iterations, and the machine's load meanwhile.
    """
    X = case.load()
    params = case.params(seed)
    repeats = min(repeats, case.max_repeats or repeats)
    runners = (KMLAB, SKLEARN)
    after_gc = {runner.name: [] for runner in runners}
    back_to_back = {runner.name: [] for runner in runners}
    with environment.cpu_interference() as interference:
        for block in range(-(-repeats // _BACK_TO_BACK)):
            count = min(_BACK_TO_BACK, repeats - block * _BACK_TO_BACK)
            for runner in runners:
                back_to_back[runner.name] += _back_to_back(runner.name, X, params, threads, count)
            for _ in range(count):
                fits = {runner.name: runner.fit(X, params, threads) for runner in runners}
                for name, fit in fits.items():
                    after_gc[name].append(fit.seconds)
    timing = {
        protocol: {name: {"min_s": min(each), "median_s": statistics.median(each)} for name, each in times.items()}
        for protocol, times in (("back_to_back", back_to_back), ("after_gc", after_gc))
    }
    return {
        "name": case.name,
        "description": case.description,
        "shape": list(X.shape),
        "n_clusters": case.n_clusters,
        "n_init": case.n_init,
        "repeats": repeats,
        "n_iter": {name: fit.n_iter for name, fit in fits.items()},
        "timing": timing,
        "min_ratio": {
            protocol: by_name[SKLEARN.name]["min_s"] / by_name[KMLAB.name]["min_s"]
            for protocol, by_name in timing.items()
        },
        "interference": interference,
    }


def parse_args(argv=None):
    """Parse the command line of ``python -m benchmarks.overheads``.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; None reads ``sys.argv``.

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.overheads",
        description="Small warm fits of kmlab and scikit-learn in one process, where per-call overhead "
        "is most of the time (about a minute on 2 cores).",
    )
    parser.add_argument(
        "--repeats", type=environment.count_type("--repeats"), default=100,
        help="timed fits per implementation (default: 100)",
    )  # fmt: skip
    environment.add_threads_option(parser)
    report.add_output_options(parser, default_name="overheads")
    return parser.parse_args(argv)


def run(args):
    """Time the small fits.

    Parameters
    ----------
    args : argparse.Namespace
        From :func:`parse_args`.

    Returns
    -------
    results : dict
        Everything measured, JSON-ready.
    """
    start = time.perf_counter()
    print("warming up: first call of kmlab and scikit-learn", flush=True)
    warm_up([KMLAB, SKLEARN], seed=0, threads=args.threads)
    cases = []
    for case in small_fit_cases():
        print(f"{case.name} ...", end=" ", flush=True)
        result = measure_small_fit(case, repeats=args.repeats, threads=args.threads)
        fastest = result["timing"]["back_to_back"]
        print(
            f"fastest back to back: kmlab {fastest[KMLAB.name]['min_s'] * 1e3:.2f} ms, "
            f"scikit-learn {fastest[SKLEARN.name]['min_s'] * 1e3:.2f} ms",
            flush=True,
        )
        environment.warn_if_busy(result["interference"])
        cases.append(result)
    return {
        "command": shlex.join(["python", "-m", "benchmarks.overheads", *sys.argv[1:]]),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {"repeats": args.repeats, "threads": args.threads},
        "machine": environment.machine(),
        "versions": environment.versions(),
        "cases": cases,
        "wall_s": time.perf_counter() - start,
    }


def _ms(seconds):
    return f"{seconds * 1e3:.2f}"


def render(results):
    """The small fits as markdown: settings, one table.

    Parameters
    ----------
    results : dict
        What :func:`run` returns (or the saved JSON).

    Returns
    -------
    text : str
    """
    header = [
        "fit", "n × d, k", "n_init", "kmlab (ms)", "scikit-learn (ms)", "ratio",
        "kmlab, after gc (ms)", "scikit-learn, after gc (ms)", "ratio, after gc", "fits", "other load (cores)",
    ]  # fmt: skip
    rows = []
    for case in results["cases"]:
        warm, cold = case["timing"]["back_to_back"], case["timing"]["after_gc"]
        rows.append([
            case["name"],
            f"{case['shape'][0]} × {case['shape'][1]}, {case['n_clusters']}",
            str(case["n_init"]),
            _ms(warm[KMLAB.name]["min_s"]),
            _ms(warm[SKLEARN.name]["min_s"]),
            report._ratio(case["min_ratio"]["back_to_back"]),
            _ms(cold[KMLAB.name]["min_s"]),
            _ms(cold[SKLEARN.name]["min_s"]),
            report._ratio(case["min_ratio"]["after_gc"]),
            str(case["repeats"]),
            report._other_load(case),
        ])  # fmt: skip
    settings = results["settings"]
    return "\n\n".join([
        f"Run of {results['timestamp']}: `{results['command']}` (up to {settings['repeats']} timed fits per "
        f"implementation, fit and protocol; {settings['threads']} threads; {results['wall_s']:.0f} s in all).\n"
        f"{report._machine_line(results)}",
        report._table(header, rows),
        "Fastest fit of each implementation (on a shared machine other processes only ever add time): "
        f"back to back, in blocks of {_BACK_TO_BACK} fits (as `timeit` times them), and after gc: each fit "
        "after `gc.collect()`, the suite's protocol, which leaves the CPU caches cold. "
        "ratio: scikit-learn / kmlab (above 1: kmlab is faster). "
        "k-means++, max_iter=300, tol=1e-4, random_state=0.",
    ])  # fmt: skip


def main(argv=None):
    """Entry point: run (or load) the small fits, print the table, save it."""
    args = parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "overheads")


if __name__ == "__main__":
    main()
