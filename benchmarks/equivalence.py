"""Same answers as scikit-learn on random configurations: KMeans, MiniBatchKMeans and kmeans_plusplus.

Run ``python -m benchmarks.equivalence`` from the repository root (``--help`` for
the options).  Each case draws everything from its seed: the shape (n up to
6,000, d up to 80, k up to 300), the data (Gaussian, blobs, an integer grid
full of duplicates and exact ties, or sparse), float64 or float32, weights or
none, and for KMeans the algorithm and the init.  kmlab and scikit-learn run it
with the same ``random_state``; scikit-learn twice, on one OpenMP thread and on
all of them, since its own answer may change with its thread count.  A case is

- *identical*: kmlab's labels and ``n_iter_`` (``n_steps_``) equal those of one
  of scikit-learn's runs (of its Lloyd: every kmlab variant gives Lloyd's
  iterates, while scikit-learn's Elkan breaks exact ties its own way), and its
  centres too, to 1e-9 of the data's scale in float64 (1e-5 in float32, whose
  sums scikit-learn keeps in float32); for ``kmeans_plusplus``, the same
  samples and centres bit for bit;
- *scikit-learn's noise*: kmlab matches neither run, whose answers differ from
  each other as well;
- *different*: scikit-learn's two runs agree and kmlab's answer is another; the
  JSON lists every such case with its parameters, to rerun.

Nothing is timed.
"""

import argparse
import warnings
from collections import Counter

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from . import environment, report

MARKERS = ("<!-- equivalence:start -->", "<!-- equivalence:end -->")
DATA_KINDS = ("gaussian", "blobs", "grid", "sparse")
OUTCOMES = ("identical", "scikit-learn's noise", "different")


def draw_case(seed):
    """The data and parameters of case ``seed``: ``(X, sample_weight, params)``."""
    rng = np.random.default_rng(seed)
    n_samples = int(rng.integers(20, 6000))
    n_features = int(rng.choice([1, 2, 3, 5, 8, 16, 17, 24, 32, 48, 64, 80]))
    kind = DATA_KINDS[int(rng.integers(len(DATA_KINDS)))]
    if kind == "gaussian":
        X = rng.standard_normal((n_samples, n_features))
    elif kind == "blobs":
        from sklearn.datasets import make_blobs

        X, _ = make_blobs(n_samples, n_features=n_features, centers=int(rng.integers(2, 50)), random_state=seed)
    elif kind == "grid":
        X = rng.integers(0, 5, (n_samples, n_features)).astype(np.float64)
    else:
        X = sp.random(n_samples, max(n_features, 20), density=0.1, format="csr", random_state=seed)
    if kind != "sparse":  # any scale and offset, so that centring matters
        X = X * 10.0 ** rng.uniform(-2, 3) + rng.uniform(-100, 100)
    if rng.random() < 0.3:
        X = X.astype(np.float32)
    weights = rng.uniform(0.1, 3.0, n_samples).astype(X.dtype) if rng.random() < 0.3 else None
    params = {
        "n_clusters": int(min(n_samples, rng.choice([1, 2, 3, 8, 16, 40, 64, 100, 160, 300]))),
        "algorithm": str(rng.choice(["auto", "lloyd", "elkan", "hamerly", "yinyang"])),
        "init": str(rng.choice(["k-means++", "random"])),
        "kind": kind,
    }
    return X, weights, params


def _centres_agree(ours, theirs, X):
    """Centres equal to 1e-9 (float64) or 1e-5 (float32) of the data's largest magnitude."""
    scale = abs(X).max() if X.size else 1.0
    tolerance = (1e-9 if X.dtype == np.float64 else 1e-5) * max(float(scale), 1e-300)
    return np.allclose(ours, theirs, rtol=0, atol=tolerance)


def _fits_agree(ours, theirs, X, iterations):
    return (
        np.array_equal(ours.labels_, theirs.labels_)
        and getattr(ours, iterations) == getattr(theirs, iterations)
        and _centres_agree(ours.cluster_centers_, theirs.cluster_centers_, X)
    )


def _outcome(ours, one_thread, all_threads, agree):
    """The case's outcome (see the module's docstring) from ``agree(a, b)``."""
    if agree(ours, one_thread) or agree(ours, all_threads):
        return "identical"
    return "scikit-learn's noise" if not agree(one_thread, all_threads) else "different"


def _both_ways(fit):
    """scikit-learn's answer on one OpenMP thread, then on all of them."""
    with threadpool_limits(1, user_api="openmp"):
        one_thread = fit()
    return one_thread, fit()


def compare_kmeans(seed):
    """Outcome of case ``seed`` for ``KMeans``, against scikit-learn's Lloyd whatever kmlab's variant.

    Every kmlab variant gives Lloyd's iterates; scikit-learn has no Hamerly or
    Yinyang, and its Elkan breaks exact ties otherwise than its Lloyd does.
    """
    from sklearn.cluster import KMeans as SklearnKMeans

    from kmlab import KMeans

    X, weights, params = draw_case(seed)
    k, algorithm, init = params["n_clusters"], params["algorithm"], params["init"]
    ours = KMeans(k, n_init=1, random_state=seed, algorithm=algorithm, init=init).fit(X, sample_weight=weights)
    runs = _both_ways(
        lambda: SklearnKMeans(k, n_init=1, random_state=seed, init=init).fit(X, sample_weight=weights)
    )
    return X, params, _outcome(ours, *runs, lambda a, b: _fits_agree(a, b, X, "n_iter_"))


def compare_minibatch(seed):
    """Outcome of case ``seed`` for ``MiniBatchKMeans`` (at most 40 clusters, batches of 64 to 1024)."""
    from sklearn.cluster import MiniBatchKMeans as SklearnMiniBatchKMeans

    from kmlab import MiniBatchKMeans

    X, weights, params = draw_case(seed)
    rng = np.random.default_rng(seed + 1)
    settings = {
        "n_clusters": max(1, min(params["n_clusters"], 40, X.shape[0] // 2)),
        "batch_size": int(rng.choice([64, 256, 1024])),
        "n_init": int(rng.choice([1, 3])),
        "max_iter": int(rng.choice([5, 50])),
        "random_state": seed,
    }
    params = {**params, **settings, "algorithm": None}
    ours = MiniBatchKMeans(**settings).fit(X, sample_weight=weights)
    runs = _both_ways(lambda: SklearnMiniBatchKMeans(**settings).fit(X, sample_weight=weights))
    return X, params, _outcome(ours, *runs, lambda a, b: _fits_agree(a, b, X, "n_steps_"))


def compare_plusplus(seed):
    """Outcome of case ``seed`` for ``kmeans_plusplus``: the same samples and centres, bit for bit."""
    from sklearn.cluster import kmeans_plusplus as sklearn_plusplus

    from kmlab import kmeans_plusplus

    X, weights, params = draw_case(seed)
    params = {**params, "algorithm": None, "init": "k-means++"}
    ours = kmeans_plusplus(X, params["n_clusters"], sample_weight=weights, random_state=seed)
    runs = _both_ways(lambda: sklearn_plusplus(X, params["n_clusters"], sample_weight=weights, random_state=seed))

    def agree(a, b):
        return np.array_equal(a[1], b[1]) and np.array_equal(a[0], b[0])

    return X, params, _outcome(ours, *runs, agree)


COMPARISONS = {"KMeans": compare_kmeans, "MiniBatchKMeans": compare_minibatch, "kmeans_plusplus": compare_plusplus}


def run(args):
    """Compare; returns the JSON-ready results."""
    counts, different = Counter(), []
    for name, compare in COMPARISONS.items():
        for seed in range(args.first_seed, args.first_seed + args.cases):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence and empty-cluster warnings, on both sides
                X, params, outcome = compare(seed)
            dtype = np.dtype(X.dtype).name
            counts[name, params["kind"], dtype, outcome] += 1
            if outcome == "different":
                different.append({"estimator": name, "seed": seed, "shape": list(X.shape), "dtype": dtype, **params})
        print(f"{name}: {args.cases} cases", flush=True)
    return {
        "date": environment.timestamp(),
        "command": environment.provenance("benchmarks.equivalence")["command"],
        **environment.record(),
        "cases_per_estimator": args.cases,
        "first_seed": args.first_seed,
        "counts": [
            {"estimator": name, "data": kind, "dtype": dtype, "outcome": outcome, "cases": n}
            for (name, kind, dtype, outcome), n in sorted(counts.items())
        ],
        "different": different,
    }


def render(results):
    """Markdown table: the outcomes by estimator, data and dtype."""
    rows = {}
    for entry in results["counts"]:
        row = rows.setdefault((entry["estimator"], entry["data"], entry["dtype"]), Counter())
        row[entry["outcome"]] += entry["cases"]
    lines = [
        f"{results['cases_per_estimator']} random cases per estimator (seeds {results['first_seed']} on), "
        f"{report.date_and_machine(results)}: `{results['command']}`.",
        "",
        "| estimator | data | dtype | cases | " + " | ".join(OUTCOMES) + " |",
        "|---|---|---|---:|" + "---:|" * len(OUTCOMES),
    ]
    for (name, kind, dtype), row in sorted(rows.items()):
        cells = " | ".join(str(row[outcome]) for outcome in OUTCOMES)
        lines.append(f"| {name} | {kind} | {dtype} | {sum(row.values())} | {cells} |")
    for case in results["different"]:
        lines.append(
            f"\nDifferent: {case['estimator']} seed {case['seed']}, {case['kind']}"
            f" {case['dtype']} {tuple(case['shape'])}, k={case['n_clusters']}"
            + (f", algorithm={case['algorithm']}, init={case['init']}" if case["algorithm"] else "")
            + "."
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.equivalence", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=environment.count_type("--cases"), default=300, help="cases per estimator (default 300)"
    )
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first case (default 0)")
    report.add_output_options(parser, "equivalence")
    args = parser.parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "equivalence")


if __name__ == "__main__":
    main()
