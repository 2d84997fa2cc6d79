"""KMedoids: kmlab's FasterPAM against the kmedoids package's, distance matrix included.

Run ``python -m benchmarks.kmedoids`` from the repository root (``--help`` for
the options; about 2 minutes on 2 cores).  Every case clusters Gaussian blobs,
``make_blobs(10_000, n_features=d, centers=k, random_state=0)``, once per seed
with each implementation, interleaved:

- ``kmlab``: ``kmlab.KMedoids(k, random_state=seed, n_threads=threads).fit(X)``,
  timed whole: input checks, kmlab's distance matrix, k-medoids++ seeding,
  FasterPAM and the labels;
- ``kmedoids``: ``sklearn.metrics.pairwise_distances(X)`` (X's dtype), then
  ``kmedoids.fasterpam(D, k, random_state=seed, n_cpu=threads)`` (its default
  random initialisation), each timed, the total compared.

Both losses are recomputed the same way from the medoids found (the sum of the
Euclidean distances of the samples to their nearest medoid, float64), so the
loss ratio does not depend on either implementation's bookkeeping.
"""

import argparse
import gc
import statistics
import time
from functools import partial
from importlib import metadata

import kmedoids
import numpy as np
from sklearn.metrics import pairwise_distances, pairwise_distances_argmin_min
from threadpoolctl import threadpool_limits

from kmlab import KMedoids

from . import environment, report
from .cases import Blobs

MARKERS = ("<!-- kmedoids:start -->", "<!-- kmedoids:end -->")
# Attempts beyond the first at timing a case while other processes keep the machine busy.
BUSY_RETRIES = 1

CASES = (
    Blobs(10_000, 2, 5, "float64"),
    Blobs(10_000, 16, 10, "float64"),
    Blobs(10_000, 16, 10, "float32"),
)


def loss(X, medoids):
    """Sum of the Euclidean distances of the samples to their nearest medoid, in float64."""
    X64 = X.astype(np.float64)
    return float(pairwise_distances_argmin_min(X64, X64[np.asarray(medoids)])[1].sum())


def fit_kmlab(X, n_clusters, seed, threads):
    """One timed kmlab fit: {"total_s", "medoids", "n_iter"}."""
    gc.collect()
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        estimator = KMedoids(n_clusters, random_state=seed, n_threads=threads).fit(X)
        total = time.perf_counter() - start
    return {"total_s": total, "medoids": estimator.medoid_indices_.tolist(), "n_iter": estimator.n_iter_}


def fit_kmedoids(X, n_clusters, seed, threads):
    """One timed run of the kmedoids package: {"matrix_s", "fasterpam_s", "total_s", "medoids", "n_iter"}."""
    gc.collect()
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        D = pairwise_distances(X)
        matrix = time.perf_counter() - start
        result = kmedoids.fasterpam(D, n_clusters, random_state=seed, n_cpu=threads)
        total = time.perf_counter() - start
    del D
    return {
        "matrix_s": matrix,
        "fasterpam_s": total - matrix,
        "total_s": total,
        "medoids": np.asarray(result.medoids).tolist(),
        "n_iter": int(result.n_iter),
    }


IMPLEMENTATIONS = {"kmlab": fit_kmlab, "kmedoids": fit_kmedoids}


def warm_up(threads):
    """First call of each implementation (numba compiles or loads its kernels); seconds by name and dtype."""
    first = {}
    for dtype in ("float64", "float32"):
        X, _ = Blobs(300, 2, 3, dtype).load()
        for name, fit in IMPLEMENTATIONS.items():
            first.setdefault(name, {})[dtype] = fit(X, 3, 0, threads)["total_s"]
    return first


def measure_case(case, *, seeds, threads):
    """Fit every implementation once per seed; the quietest of up to 1 + BUSY_RETRIES attempts.

    Parameters
    ----------
    case : Blobs
    seeds : list of int
        ``random_state`` of the fits; the medians are over them.
    threads : int
        Threads for every implementation.

    Returns
    -------
    result : dict
        JSON-ready: the case, every fit (times, medoids, recomputed loss), the
        medians, the time ratio and the loss ratios, the machine's other load.
    """
    start = time.perf_counter()
    X, _ = case.load()

    def fit_every_seed():
        runs = {name: [] for name in IMPLEMENTATIONS}
        for seed in seeds:
            for name, fit in IMPLEMENTATIONS.items():
                timed = environment.after_own_call(partial(fit, X, case.n_clusters, seed, threads))
                runs[name].append({"seed": seed, **timed})
        return runs

    runs, quiet = environment.quietest_attempt(fit_every_seed, BUSY_RETRIES)
    for fits in runs.values():
        for fit in fits:
            fit["loss"] = loss(X, fit["medoids"])
    loss_ratios = [ours["loss"] / theirs["loss"] for ours, theirs in zip(runs["kmlab"], runs["kmedoids"])]
    medians = {name: statistics.median(fit["total_s"] for fit in fits) for name, fits in runs.items()}
    return {
        "n_samples": case.n_samples,
        "n_features": case.n_features,
        "n_clusters": case.n_clusters,
        "dtype": case.dtype,
        "runs": runs,
        "median_total_s": medians,
        "median_kmedoids_matrix_s": statistics.median(fit["matrix_s"] for fit in runs["kmedoids"]),
        "time_ratio": medians["kmlab"] / medians["kmedoids"],
        "loss_ratios": loss_ratios,
        "median_loss_ratio": statistics.median(loss_ratios),
        **quiet,
        "wall_s": time.perf_counter() - start,
    }


def parse_args(argv=None):
    """Parse ``argv`` (None: ``sys.argv``), the command line of ``python -m benchmarks.kmedoids``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.kmedoids",
        description="kmlab.KMedoids against kmedoids.fasterpam, distance matrix included (about 2 minutes on 2 cores).",
    )
    parser.add_argument(
        "--seeds", type=environment.seed_list, default=[0, 1, 2], help="random_state values (default: 0,1,2)"
    )
    environment.add_threads_option(parser)
    report.add_output_options(parser, default_name="kmedoids")
    return parser.parse_args(argv)


def _summary(result):
    medians = ", ".join(f"{name} {seconds:.3g} s" for name, seconds in result["median_total_s"].items())
    return f"{medians}, loss ratio {result['median_loss_ratio']:.6f} [{result['attempts']} attempt(s)]"


def run(args):
    """Measure every case (``args`` from :func:`parse_args`); everything measured, JSON-ready."""
    results = environment.measure_suite(
        "benchmarks.kmedoids",
        {"seeds": args.seeds, "threads": args.threads, "busy_retries": BUSY_RETRIES},
        lambda: warm_up(args.threads),
        CASES,
        lambda case: measure_case(case, seeds=args.seeds, threads=args.threads),
        _summary,
    )
    results["versions"]["kmedoids"] = metadata.version("kmedoids")
    return results


def render(results):
    """The results (what :func:`run` returns, or the saved JSON) as markdown: settings, the table, first calls."""
    settings = results["settings"]
    header = [
        "data (blobs)", "kmlab (s)", "kmedoids: matrix + fasterpam (s)", "time ratio", "loss ratio (median)",
        "loss ratio (worst)", "other load (cores)",
    ]  # fmt: skip
    rows = []
    for case in results["cases"].values():
        medians = case["median_total_s"]
        matrix = case["median_kmedoids_matrix_s"]
        rows.append([
            f"{case['n_samples']:,}×{case['n_features']} {case['dtype']}, k={case['n_clusters']}",
            report._seconds(medians["kmlab"]),
            f"{report._seconds(medians['kmedoids'])} ({report._seconds(matrix)} + "
            f"{report._seconds(medians['kmedoids'] - matrix)})",
            report._ratio(case["time_ratio"]),
            f"{case['median_loss_ratio']:.6f}",
            f"{max(case['loss_ratios']):.6f}",
            report._other_load(case),
        ])  # fmt: skip
    first = "; ".join(
        f"{name} " + ", ".join(f"{dtype} {seconds:.3g} s" for dtype, seconds in by_dtype.items())
        for name, by_dtype in results["first_call_s"].items()
    )
    seeds = ",".join(str(seed) for seed in settings["seeds"])
    return "\n\n".join([
        report.run_header(
            results,
            f"medians over seeds {seeds}, one fit per seed and implementation, interleaved, each after an untimed one "
            "of its own; "
            f"{settings['threads']} threads; {results['wall_s'] / 60:.1f} min in all",
        )
        + f" kmedoids {results['versions']['kmedoids']}.",
        report._table(header, rows),
        "time ratio: kmlab's time / kmedoids' time including its distance matrix (below 1: kmlab is faster). "
        "loss ratio: kmlab's loss / kmedoids' loss, per seed (below 1: kmlab found the better medoids). "
        f"First calls (300×2, in this process): {first}.",
    ])  # fmt: skip


def main(argv=None):
    """Entry point: run (or load) the k-medoids results, print the table, save them."""
    args = parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "kmedoids")


if __name__ == "__main__":
    main()
