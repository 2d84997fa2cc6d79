"""k-means++ alone: ``kmlab.kmeans_plusplus`` against ``sklearn.cluster.kmeans_plusplus``.

Run ``python -m benchmarks.seeding`` from the repository root (about 4 minutes on
2 cores, most of it scikit-learn's seeding of the gaussian case).  Each case is
seeded with ``random_state=0`` by both, interleaved, each timed call right after
an untimed one of its own (:func:`benchmarks.environment.after_own_call`); kmlab
gets ``n_threads=threads``, both run under ``threadpool_limits(threads)``.  The
medians are compared, and so are the samples picked: kmlab's promise is
scikit-learn's centres, bit for bit.
"""

import argparse
import statistics
import time

import numpy as np
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus
from threadpoolctl import threadpool_limits

from kmlab import kmeans_plusplus

from . import environment, report
from .cases import _blobs, _china, _digits, _gaussian
from .measure import warm_up_kmlab_kernels

MARKERS = ("<!-- seeding:start -->", "<!-- seeding:end -->")

# (name, data in words, loader, k, timed calls: more for the cases of milliseconds, whose
# times swing most; one for gaussian, whose seeding by scikit-learn takes about a minute)
CASES = (
    ("digits", "load_digits().data, float64", _digits, 10, 21),
    ("blobs", "make_blobs(100_000, n_features=16, centers=32), float32", _blobs, 32, 7),
    ("china256", "china.jpg pixels / 255, float32", _china, 256, 3),
    ("gaussian", "standard normal 200_000 x 64, float32", lambda: _gaussian(200_000), 1000, 1),
)


def _timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def _measure(X, n_clusters, repeats, threads):
    seeders = {
        "kmlab": lambda: kmeans_plusplus(X, n_clusters, random_state=0, n_threads=threads),
        "sklearn": lambda: sklearn_kmeans_plusplus(X, n_clusters, random_state=0),
    }
    times = {name: [] for name in seeders}
    indices = {}
    with threadpool_limits(limits=threads), environment.cpu_interference() as interference:
        for _ in range(repeats):
            for name, seed in seeders.items():
                seconds, (_, indices[name]) = environment.after_own_call(lambda seed=seed: _timed(seed))
                times[name].append(seconds)
    return {
        "seconds": times,
        "median_seconds": {name: statistics.median(values) for name, values in times.items()},
        "same_samples": bool(np.array_equal(indices["kmlab"], indices["sklearn"])),
        "interference": interference,
    }


def run(args):
    """Measure every case; returns the JSON-ready results."""
    start = time.perf_counter()
    # Compile (or load) kmlab's kernels and load scikit-learn's before any timing.
    warm = _digits()
    for seed_centres in (kmeans_plusplus, sklearn_kmeans_plusplus):
        seed_centres(warm, 10, random_state=0)
        seed_centres(warm.astype(np.float32), 10, random_state=0)
    warm_up_kmlab_kernels()
    cases = {}
    for name, description, load, n_clusters, repeats in CASES:
        print(f"{name} ...", end=" ", flush=True)
        X = load()
        repeats = repeats if args.repeats is None else min(args.repeats, repeats)
        result = _measure(X, n_clusters, repeats, args.threads)
        result.update(
            description=description, shape=list(X.shape), dtype=str(X.dtype), n_clusters=n_clusters, repeats=repeats
        )
        medians = result["median_seconds"]
        print(f"kmlab {medians['kmlab']:.3g} s, scikit-learn {medians['sklearn']:.3g} s", flush=True)
        environment.warn_if_busy(result["interference"])
        cases[name] = result
    return {
        **environment.provenance("benchmarks.seeding"),
        "settings": {"repeats": args.repeats, "threads": args.threads},
        **environment.record(),
        "cases": cases,
        "wall_s": time.perf_counter() - start,
    }


def render(results):
    """Markdown table of the results."""
    settings = results["settings"]
    lines = [
        report.run_header(results, f"medians, {settings['threads']} threads"),
        "",
        "| case | data | k | kmlab (s) | scikit-learn (s) | time ratio | same samples | timed calls | other load (cores) |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, case in results["cases"].items():
        n_samples, n_features = case["shape"]
        medians = case["median_seconds"]
        lines.append(
            f"| {name} | {n_samples:,}×{n_features} {case['dtype']} | {case['n_clusters']} "
            f"| {medians['kmlab']:.3g} | {medians['sklearn']:.3g} | {medians['sklearn'] / medians['kmlab']:.2f} "
            f"| {'yes' if case['same_samples'] else 'NO'} | {case['repeats']} "
            f"| {case['interference']['other_cores'] or 0:.2f} |"
        )
    lines += [
        "",
        "time ratio: scikit-learn's median / kmlab's (above 1: kmlab is faster). same samples: both picked "
        "the same samples as centres, in the same order.",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seeding", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=environment.count_type("--repeats"),
        help="at most this many timed calls per case (default: 21 digits, 7 blobs, 3 china256, 1 gaussian)",
    )  # fmt: skip
    environment.add_threads_option(parser)
    report.add_output_options(parser, "seeding")
    args = parser.parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "seeding")


if __name__ == "__main__":
    main()
