"""Silhouette: kmlab's exact silhouette_score against scikit-learn's, and kmlab's simplified one.

Run ``python -m benchmarks.silhouette`` from the repository root (``--help`` for
the options; about 2 minutes on 2 cores).  Every case scores the true labels of
float64 Gaussian blobs, ``make_blobs(n, n_features=d, centers=k,
random_state=0)``, or of TF-IDF documents in CSR (:class:`benchmarks.cases.Documents`),
with three calls, interleaved and repeated:

- ``kmlab``: :func:`kmlab.metrics.silhouette_score` (exact);
- ``sklearn``: :func:`sklearn.metrics.silhouette_score` (exact), under the same
  thread limits;
- ``simplified``: :func:`kmlab.metrics.simplified_silhouette_score`, the
  centroid-based approximation (another quantity: its value is reported next
  to the exact one, not compared).
"""

import argparse
import gc
import os
import statistics
import time
from dataclasses import dataclass
from functools import partial

import sklearn.metrics
from threadpoolctl import threadpool_limits

from kmlab import metrics

from . import environment, report
from .cases import Blobs, Documents

MARKERS = ("<!-- silhouette:start -->", "<!-- silhouette:end -->")
# Attempts beyond the first at timing a case while other processes keep the machine busy.
BUSY_RETRIES = 1



@dataclass(frozen=True)
class Scored:
    """A data set (:class:`~benchmarks.cases.Blobs` or :class:`~benchmarks.cases.Documents`) and the
    silhouette's metric."""

    data: object
    metric: str = "euclidean"

    @property
    def key(self):
        """Name of the case in the JSON results."""
        return self.data.key if self.metric == "euclidean" else f"{self.data.key},metric={self.metric}"


CASES = (
    Scored(Blobs(20_000, 16, 8)),
    Scored(Blobs(5_000, 64, 8)),
    Scored(Documents(10_000, 5_000, 8)),
    Scored(Documents(10_000, 5_000, 8), "cosine"),
)


def _implementations(threads, metric="euclidean"):
    """Name -> ``score(X, labels)`` for each implementation, all on ``threads`` threads.

    The simplified silhouette compares samples with centroids: Euclidean only.
    """
    return {
        "kmlab": lambda X, y: metrics.silhouette_score(X, y, metric=metric, n_threads=threads),
        "sklearn": partial(sklearn.metrics.silhouette_score, metric=metric),
        "simplified": lambda X, y: metrics.simplified_silhouette_score(X, y, n_threads=threads),
    }


def _cpu_seconds():
    """CPU time of this process so far, every thread included."""
    times = os.times()
    return times.user + times.system


def _timed(score, X, y, threads):
    """(seconds, CPU seconds, value) of one call, after a garbage collection, under the thread limits.

    CPU time, unlike wall time, hardly grows when other processes take the
    cores: on a busy machine it is the steadier measure of the work done.
    """
    gc.collect()
    with threadpool_limits(limits=threads):
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        value = score(X, y)
        return time.perf_counter() - start, _cpu_seconds() - start_cpu, value


def warm_up(threads):
    """First call of each implementation (numba compiles or loads its kernels); seconds by name."""
    X, y = Blobs(500, 4, 3).load()
    return {name: _timed(score, X, y, threads)[0] for name, score in _implementations(threads).items()}


def measure_case(case, *, repeats, threads):
    """Time every implementation on ``case``; the quietest of up to 1 + BUSY_RETRIES attempts.

    Parameters
    ----------
    case : Scored
    repeats : int
        Timed calls per implementation, interleaved.
    threads : int
        Threads for every implementation.

    Returns
    -------
    result : dict
        JSON-ready: the case, each implementation's wall and CPU times, their
        medians and its value, the ratios to scikit-learn and the machine's
        other load.
    """
    start = time.perf_counter()
    X, y = case.data.load()
    implementations = _implementations(threads, case.metric)

    def call_repeatedly():
        runs = {name: [] for name in implementations}
        for _ in range(repeats):
            for name, score in implementations.items():
                runs[name].append(environment.after_own_call(partial(_timed, score, X, y, threads)))
        return runs

    runs, quiet = environment.quietest_attempt(call_repeatedly, BUSY_RETRIES)
    timing = {
        name: {
            "times_s": [seconds for seconds, _, _ in calls],
            "median_s": statistics.median(seconds for seconds, _, _ in calls),
            "cpu_s": [cpu for _, cpu, _ in calls],
            "median_cpu_s": statistics.median(cpu for _, cpu, _ in calls),
            "value": calls[-1][2],
        }
        for name, calls in runs.items()
    }
    return {
        "data": "TF-IDF documents, CSR" if isinstance(case.data, Documents) else "blobs",
        "metric": case.metric,
        "n_samples": case.data.n_samples,
        "n_features": case.data.n_features,
        "n_clusters": case.data.n_clusters,
        "timing": timing,
        "speedup": timing["sklearn"]["median_s"] / timing["kmlab"]["median_s"],
        "cpu_ratio": timing["sklearn"]["median_cpu_s"] / timing["kmlab"]["median_cpu_s"],
        "simplified_speedup": timing["sklearn"]["median_s"] / timing["simplified"]["median_s"],
        "abs_diff": abs(timing["kmlab"]["value"] - timing["sklearn"]["value"]),
        **quiet,
        "wall_s": time.perf_counter() - start,
    }


def parse_args(argv=None):
    """Parse ``argv`` (None: ``sys.argv``), the command line of ``python -m benchmarks.silhouette``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.silhouette",
        description="kmlab's silhouette_score against scikit-learn's (about 2 minutes on 2 cores).",
    )
    parser.add_argument(
        "--repeats", type=environment.count_type("--repeats"), default=3,
        help="timed calls per implementation (default: 3)",
    )  # fmt: skip
    environment.add_threads_option(parser)
    report.add_output_options(parser, default_name="silhouette")
    return parser.parse_args(argv)


def _summary(result):
    medians = ", ".join(f"{name} {timing['median_s']:.3g} s" for name, timing in result["timing"].items())
    return f"{medians} [{result['attempts']} attempt(s)]"


def run(args):
    """Measure every case (``args`` from :func:`parse_args`); everything measured, JSON-ready."""
    return environment.measure_suite(
        "benchmarks.silhouette",
        {"repeats": args.repeats, "threads": args.threads, "busy_retries": BUSY_RETRIES},
        lambda: warm_up(args.threads),
        CASES,
        lambda case: measure_case(case, repeats=args.repeats, threads=args.threads),
        _summary,
    )


def render(results):
    """The results (what :func:`run` returns, or the saved JSON) as markdown: settings, the table, first calls."""
    settings = results["settings"]
    header = [
        "data (float64)", "kmlab (s)", "scikit-learn (s)", "speed-up", "CPU s kmlab / sklearn", "CPU ratio",
        "score", "abs. difference", "simplified (s)", "speed-up", "simplified score", "other load (cores)",
    ]  # fmt: skip
    rows = []
    for case in results["cases"].values():
        timing = case["timing"]
        kmlab_cpu, sklearn_cpu = timing["kmlab"]["median_cpu_s"], timing["sklearn"]["median_cpu_s"]
        rows.append([
            f"{case.get('data', 'blobs')} {case['n_samples']:,}×{case['n_features']}, k={case['n_clusters']}"
            + ("" if case.get("metric", "euclidean") == "euclidean" else f", {case['metric']}"),
            report._seconds(timing["kmlab"]["median_s"]),
            report._seconds(timing["sklearn"]["median_s"]),
            f"{case['speedup']:.1f}",
            f"{report._seconds(kmlab_cpu)} / {report._seconds(sklearn_cpu)}",
            f"{case['cpu_ratio']:.1f}",
            f"{timing['kmlab']['value']:.6f}",
            f"{case['abs_diff']:.1e}",
            report._seconds(timing["simplified"]["median_s"]),
            f"{case['simplified_speedup']:.0f}",
            f"{timing['simplified']['value']:.6f}",
            report._other_load(case),
        ])  # fmt: skip
    first = ", ".join(f"{name} {seconds:.3g} s" for name, seconds in results["first_call_s"].items())
    return "\n\n".join([
        report.run_header(
            results,
            f"median of {settings['repeats']} timed calls, interleaved, each after an untimed one of its own; "
            f"{settings['threads']} threads; "
            f"{results['wall_s'] / 60:.1f} min in all",
        ),
        report._table(header, rows),
        "speed-up: scikit-learn's wall time / kmlab's (medians). CPU: seconds of CPU time of the whole process "
        f"(every thread) during a call, medians; CPU ratio: scikit-learn's / kmlab's. First calls (500×4, in this "
        f"process): {first}.",
    ])  # fmt: skip


def main(argv=None):
    """Entry point: run (or load) the silhouette results, print the table, save them."""
    args = parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "silhouette")


if __name__ == "__main__":
    main()
