"""Choosing K on the tutorial data: ``kmlab.select_k`` against the usual scikit-learn loop.

Run ``python -m benchmarks.select_k`` from the repository root.  Data: the
tutorial's ``make_blobs(n_samples=300, centers=4, cluster_std=0.60,
random_state=0)``, K = 1..10.  Measured, median of ``--repeats`` calls after one
warm-up call:

- ``select_k(X, random_state=0)``: every criterion (elbow, silhouette, gap with
  10 reference sets, Calinski-Harabasz, Davies-Bouldin), 3 runs per k;
- ``select_k(X, criteria=("elbow", "silhouette"))``: what the tutorial computes;
- the tutorial's scikit-learn loop: ``KMeans(k, n_init=10)`` for k = 1..10, the
  inertia and ``silhouette_score`` for k >= 2 (no knee detection, no gap).
"""

import argparse

from . import environment, report

MARKERS = ("<!-- select-k:start -->", "<!-- select-k:end -->")
K_RANGE = range(1, 11)


def _sklearn_loop(X):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    for k in K_RANGE:
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).labels_
        if k > 1:
            silhouette_score(X, labels)


def run(args):
    """Measure; returns the JSON-ready results."""
    from sklearn.datasets import make_blobs

    from kmlab import select_k

    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)
    selection = select_k(X, K_RANGE, random_state=0)
    calls = {
        "select_k, every criterion": lambda: select_k(X, K_RANGE, random_state=0),
        "select_k, elbow + silhouette": lambda: select_k(X, K_RANGE, criteria=("elbow", "silhouette"), random_state=0),
        "scikit-learn loop, inertia + silhouette": lambda: _sklearn_loop(X),
    }
    with environment.cpu_interference() as interference:
        timings = {name: environment.median_after_warm_up(call, args.repeats) for name, call in calls.items()}
    environment.warn_if_busy(interference)
    return {
        "date": environment.timestamp(),
        **environment.record(interference),
        "verdict": selection.verdict,
        "best_k": selection.best_k,
        "median_seconds": {name: median for name, (median, _) in timings.items()},
        "seconds": {name: times for name, (_, times) in timings.items()},
    }


def render(results):
    """Markdown table of the results."""
    lines = [
        f"Tutorial data (300 points, 4 blobs), K = 1..10; {report.date_and_machine(results)}, "
        f"other load {results['interference']['other_cores'] or 0:.2f} cores. Verdict: \"{results['verdict']}\".",
        "",
        "| call | median seconds |",
        "|---|---:|",
        *(f"| {name} | {seconds:.3f} |" for name, seconds in results["median_seconds"].items()),
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.select_k", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=environment.count_type("--repeats"), default=7, help="timed calls of each (default 7)"
    )
    report.add_output_options(parser, "select_k")
    args = parser.parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "select_k")


if __name__ == "__main__":
    main()
