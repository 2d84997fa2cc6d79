"""Scaling table: seconds per Lloyd iteration of kmlab and scikit-learn as n, k and d grow.

Run ``python -m benchmarks.scaling`` from the repository root (``--help`` for the
options).  Every cell clusters float32 Gaussian blobs,
``make_blobs(n, n_features=d, centers=k, random_state=0)``, starting every
implementation from the same centres: ``kmlab.kmeans_plusplus(X, k,
random_state=0)``, passed as ``init`` with ``n_init=1``, ``max_iter=20`` and
``tol=0``, so that all of them run the same iterations.  Three fits per cell:

- ``kmlab``: ``kmlab.KMeans`` with its default ``algorithm='auto'``;
- ``kmlab_lloyd``: ``algorithm='lloyd'``, every distance computed, the reference
  for the share of distances that the default skips;
- ``sklearn``: ``sklearn.cluster.KMeans`` (Lloyd), under the same thread limits.

The share skipped reads the fitted estimators' ``n_distances_`` (sample-centre
distances computed); it is left blank when kmlab does not expose it.
"""

import argparse
import statistics
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import make_blobs

import kmlab

from . import environment, report
from .measure import warm_up, warm_up_kmlab_kernels
from .runners import KMLAB, SKLEARN, fit_estimator

MAX_ITER = 20
# A cell whose first round of fits takes longer than this is not repeated (k=4096),
# so that the run stays short.
LONG_ROUND_S = 20.0
# Attempts beyond the first at timing a cell's fits while other processes keep the machine busy.
BUSY_RETRIES = 2
# The fitted attribute that counts the sample-centre distances a fit computed.
N_DISTANCES = "n_distances_"


@dataclass(frozen=True)
class Cell:
    """One point of a series.

    Attributes
    ----------
    n_samples, n_clusters, n_features : int
        The blobs: ``n_samples`` points in ``n_features`` dimensions around
        ``n_clusters`` centres, clustered with that many clusters.
    """

    n_samples: int
    n_clusters: int
    n_features: int

    @property
    def key(self):
        """Name of the cell in the JSON results."""
        return f"n={self.n_samples},k={self.n_clusters},d={self.n_features}"


@dataclass(frozen=True)
class Series:
    """Cells along which one parameter grows.

    Attributes
    ----------
    name : str
        ``n``, ``k`` or ``d``, as on the command line.
    field : str
        The :class:`Cell` attribute that grows.
    fixed : str
        The other parameters, in words.
    cells : tuple of Cell
    """

    name: str
    field: str
    fixed: str
    cells: tuple


SERIES = (
    Series("n", "n_samples", "k=32, d=16", tuple(Cell(n, 32, 16) for n in (10_000, 100_000, 1_000_000))),
    Series("k", "n_clusters", "n=100,000, d=16", tuple(Cell(100_000, k, 16) for k in (8, 64, 512, 4096))),
    Series("d", "n_features", "n=100,000, k=64", tuple(Cell(100_000, 64, d) for d in (2, 16, 64, 256))),
)


def _estimators(cell, init, threads):
    """Fresh, unfitted estimators for one round of ``cell``, by implementation name."""
    same_run = dict(n_clusters=cell.n_clusters, init=init, n_init=1, max_iter=MAX_ITER, tol=0.0)
    return {
        "kmlab": kmlab.KMeans(**same_run, n_threads=threads),
        "kmlab_lloyd": kmlab.KMeans(**same_run, algorithm="lloyd", n_threads=threads),
        "sklearn": SklearnKMeans(**same_run),
    }


def _time_fits(cell, X, init, *, repeats, threads):
    """Rounds of one fit per implementation, interleaved: ``repeats``, or one when it takes over LONG_ROUND_S.

    Each timed fit comes right after an untimed fit of the same estimator
    (:func:`environment.after_own_call`).
    """
    fits, n_distances = {}, {}
    for _ in range(repeats):
        round_start = time.perf_counter()
        for name, estimator in _estimators(cell, init, threads).items():
            fits.setdefault(name, []).append(environment.after_own_call(partial(fit_estimator, estimator, X, threads)))
            n_distances[name] = getattr(estimator, N_DISTANCES, None)
        if time.perf_counter() - round_start > LONG_ROUND_S:
            break
    timing = {}
    for name, runs in fits.items():
        median = statistics.median(run.seconds for run in runs)
        timing[name] = {
            "times_s": [run.seconds for run in runs],
            "median_s": median,
            "n_iter": runs[-1].n_iter,
            "per_iter_s": median / runs[-1].n_iter,
            "n_distances": n_distances[name],
        }
    return timing


def measure_cell(cell, *, repeats, threads):
    """Time every implementation on one cell, from the same initial centres.

    When other processes kept the machine busy meanwhile, the fits are timed
    again (at most :data:`BUSY_RETRIES` times) and the quietest attempt is kept.

    Parameters
    ----------
    cell : Cell
    repeats : int
        Most rounds of fits (one fit per implementation each).
    threads : int
        Threads for every library.

    Returns
    -------
    result : dict
        JSON-ready: the cell, the seeding time, the machine's other load, and
        for each implementation its fit times, median, iterations, seconds per
        iteration and distance count.
    """
    start = time.perf_counter()
    X, _ = make_blobs(cell.n_samples, n_features=cell.n_features, centers=cell.n_clusters, random_state=0)
    X = X.astype(np.float32)
    seeding_start = time.perf_counter()
    init, _ = kmlab.kmeans_plusplus(X, cell.n_clusters, random_state=0, n_threads=threads)
    seeding_s = time.perf_counter() - seeding_start

    timing, quiet = environment.quietest_attempt(
        lambda: _time_fits(cell, X, init, repeats=repeats, threads=threads), BUSY_RETRIES
    )
    computed, everything = timing["kmlab"]["n_distances"], timing["kmlab_lloyd"]["n_distances"]
    return {
        "n_samples": cell.n_samples,
        "n_clusters": cell.n_clusters,
        "n_features": cell.n_features,
        "seeding_s": seeding_s,
        "timing": timing,
        "per_iter_ratio": timing["sklearn"]["per_iter_s"] / timing["kmlab"]["per_iter_s"],
        "skipped": None if computed is None or not everything else 1 - computed / everything,
        **quiet,
        "wall_s": time.perf_counter() - start,
    }


def parse_args(argv=None):
    """Parse ``argv`` (None: ``sys.argv``), the command line of ``python -m benchmarks.scaling``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling",
        description="Seconds per Lloyd iteration of kmlab and scikit-learn as n, k and d grow "
        "(about 3 minutes on 2 cores).",
    )
    parser.add_argument("--series", default="n,k,d", help="comma-separated series to run: n, k, d (default: all)")
    parser.add_argument(
        "--repeats", type=environment.count_type("--repeats"), default=3,
        help="most timed fits per implementation and cell (default: 3)",
    )  # fmt: skip
    environment.add_threads_option(parser)
    report.add_output_options(parser, default_name="scaling")
    args = parser.parse_args(argv)
    names = {series.name for series in SERIES}
    unknown = set(args.series.split(",")) - names
    if unknown:
        parser.error(f"unknown series {', '.join(sorted(unknown))}; choose from {', '.join(sorted(names))}")
    return args


def _summary(result):
    per_iter = ", ".join(f"{name} {timing['per_iter_s']:.3g}" for name, timing in result["timing"].items())
    return f"s/iter: {per_iter} [{result['attempts']} attempt(s), {result['wall_s']:.0f} s]"


def run(args):
    """Measure the series that ``args`` (from :func:`parse_args`) ask for; everything measured, JSON-ready."""
    start = time.perf_counter()
    chosen = [series for series in SERIES if series.name in args.series.split(",")]
    print("warming up: first call of kmlab and scikit-learn", flush=True)
    warm_up([KMLAB, SKLEARN], seed=0, threads=args.threads)
    warm_up_kmlab_kernels()
    # A cell shared by two series is measured once.
    distinct = dict.fromkeys(cell for series in chosen for cell in series.cells)
    cells = environment.measure_cases(
        distinct, lambda cell: measure_cell(cell, repeats=args.repeats, threads=args.threads), _summary
    )
    return {
        **environment.provenance("benchmarks.scaling"),
        "settings": {
            "repeats": args.repeats,
            "threads": args.threads,
            "max_iter": MAX_ITER,
            "long_round_s": LONG_ROUND_S,
            "busy_retries": BUSY_RETRIES,
            "n_distances_attribute": N_DISTANCES,
        },
        **environment.record(),
        "series": [
            {"name": series.name, "field": series.field, "fixed": series.fixed, "cells": [c.key for c in series.cells]}
            for series in chosen
        ],
        "cells": cells,
        "wall_s": time.perf_counter() - start,
    }


def main(argv=None):
    """Entry point: run (or load) the scaling results, print the tables, save them."""
    args = parse_args(argv)
    report.publish(args, run, report.render_scaling, report.SCALING_MARKERS, args.name or "scaling")


if __name__ == "__main__":
    main()
