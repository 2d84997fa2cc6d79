"""Two versions of kmlab timed in turns in one process: is a change faster?

On a shared machine the host's speed drifts by tens of percent within minutes
(benchmarks/README.md, Methodology), so two versions timed one after the other,
each in a process of its own, differ by the drift as much as by their code.
This module loads a second version of the package next to the working tree's,
under another name (``kmlab_base``: the package imports itself by relative
imports), and times the two in turns, in the same process, on the same data:
each round calls both, the order alternating from round to round, and the
ratio of the round's two times is kept.  The median of these paired ratios
moves far less with the host than a ratio of two medians taken apart.  The
answers are compared too: a change that only saves work gives the same labels
and centres (k-means++: the same samples).

Run from the repository root, for example::

    python -m benchmarks.ab HEAD~1 --cases gaussian --rounds 6
    python -m benchmarks.ab main --cases blobs,china16 --what kmeans_plusplus --rounds 20

``BASE`` is a git revision, whose ``src/kmlab`` is exported once to
``<temp>/kmlab-ab/<commit>/kmlab_base`` (numba's cache of it stays there between
runs: only the first run compiles it), or the path of a kmlab package directory,
copied afresh.  Each version's first call is untimed (it compiles or loads the
kernels).  Nothing here asserts a speed: the tests check the protocol only.
"""

import argparse
import importlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

import kmlab

from . import environment, report
from .cases import suite

BASE_NAME = "kmlab_base"
# Where exported revisions are kept, one directory per commit.
EXPORTS = Path(tempfile.gettempdir()) / "kmlab-ab"


def export_revision(revision, repository=".", exports=EXPORTS):
    """The directory holding ``src/kmlab`` of git ``revision`` as the package ``kmlab_base``.

    Exported on the first call for its commit, reused after.
    """
    run = dict(cwd=repository, check=True, capture_output=True)
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], text=True, **run)
    commit = commit.stdout.strip()
    directory = Path(exports) / commit
    if not (directory / BASE_NAME).is_dir():
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "src/kmlab"], **run)
        Path(exports).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=exports))
        # Python 3.11.4 and later check the members (the archive is the repository's own).
        checked = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(staging, **checked)
        directory.mkdir(exist_ok=True)
        # A rename, so that a run stopped half-way leaves no half package behind.
        (staging / "src" / "kmlab").rename(directory / BASE_NAME)
        shutil.rmtree(staging)
    return directory


def copy_package(path):
    """A fresh directory holding a copy of the package directory ``path`` as ``kmlab_base``."""
    directory = Path(tempfile.mkdtemp(prefix="kmlab-ab-"))
    shutil.copytree(path, directory / BASE_NAME, ignore=shutil.ignore_patterns("__pycache__"))
    return directory


def base_directory(base):
    """The directory to load ``kmlab_base`` from, for ``base``: a kmlab package directory
    (copied) or a git revision of the repository in the current directory (exported)."""
    path = Path(base)
    if path.is_dir():
        if not (path / "__init__.py").is_file() or not (path / "_kernels").is_dir():
            raise ValueError(f"{base} is a directory but not a kmlab package (no __init__.py and _kernels)")
        return copy_package(path)
    try:
        return export_revision(base)
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode() if isinstance(error.stderr, bytes) else error.stderr
        raise ValueError(f"{base} is neither a directory nor a git revision here: {message.strip()}") from None


def load_base(directory):
    """Import ``kmlab_base`` from ``directory`` (once per process)."""
    if BASE_NAME in sys.modules:
        raise RuntimeError(f"{BASE_NAME} is already loaded in this process (from {sys.modules[BASE_NAME].__file__})")
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(BASE_NAME)
    finally:
        sys.path.remove(str(directory))


def fit_call(package, X, case, *, threads=None, algorithm=None, max_iter=None):
    """``KMeans(...).fit(X)`` by ``package`` with the case's parameters; returns its labels and centres."""
    params = dict(n_clusters=case.n_clusters, n_init=case.n_init, max_iter=max_iter or case.max_iter)
    if algorithm:
        params["algorithm"] = algorithm
    km = package.KMeans(random_state=0, n_threads=threads, **params).fit(X)
    return km.labels_, km.cluster_centers_


def kmeans_plusplus_call(package, X, case, *, threads=None):
    """``kmeans_plusplus(X, case.n_clusters)`` by ``package``; returns the samples picked."""
    return (package.kmeans_plusplus(X, case.n_clusters, random_state=0, n_threads=threads)[1],)


WORKLOADS = {"fit": fit_call, "kmeans_plusplus": kmeans_plusplus_call}


def paired_rounds(calls, rounds):
    """Time each of the two ``calls`` (name -> function of no argument) once per round, in turns.

    Each is called once untimed first.  The order alternates: the first name
    leads in even rounds, the second in odd ones.  Returns the times by name
    and whether every call of one gave the same arrays as every call of the other.
    """
    names = list(calls)
    reference = calls[names[0]]()
    same = _same_arrays(reference, calls[names[1]]())
    times = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            result = calls[name]()
            times[name].append(time.perf_counter() - start)
            same = same and _same_arrays(reference, result)
    return times, same


def _same_arrays(first, second):
    """Whether two calls' results (tuples of arrays) are equal, array by array."""
    return all(np.array_equal(a, b) for a, b in zip(first, second))


def summarize(times, head="kmlab", base=BASE_NAME):
    """Medians of ``times`` and the paired ratios ``head / base`` of each round (below 1: head is faster)."""
    ratios = np.array(times[head]) / np.array(times[base])
    return {
        "median_s": {name: float(np.median(values)) for name, values in times.items()},
        "ratio_median": float(np.median(ratios)),
        "ratio_min": float(ratios.min()),
        "ratio_max": float(ratios.max()),
        "rounds": len(ratios),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="git revision, or the path of a kmlab package directory")
    names = [case.name for case in suite()]
    parser.add_argument("--cases", default="gaussian", help=f"comma-separated, of {', '.join(names)}")
    parser.add_argument("--what", choices=sorted(WORKLOADS), default="fit")
    parser.add_argument("--rounds", type=environment.count_type("--rounds"), default=6)
    environment.add_threads_option(parser)
    parser.add_argument("--algorithm", default=None, help="KMeans algorithm of both (fit only)")
    parser.add_argument(
        "--max-iter", type=environment.count_type("--max-iter"), default=None, help="KMeans max_iter of both (fit only)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    args.cases = args.cases.split(",")
    unknown = set(args.cases) - set(names)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))} (known: {', '.join(names)})")
    if args.what != "fit" and (args.algorithm or args.max_iter):
        parser.error("--algorithm and --max-iter apply to --what fit only")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        base = load_base(base_directory(args.base))
    except ValueError as error:
        print(f"python -m benchmarks.ab: error: {error}", file=sys.stderr)
        return 2
    packages = {"kmlab": kmlab, BASE_NAME: base}
    workload = WORKLOADS[args.what]
    options = {"threads": args.threads}
    if args.what == "fit":
        options.update(algorithm=args.algorithm, max_iter=args.max_iter)
    print(f"kmlab: {Path(kmlab.__file__).parent}\n{BASE_NAME}: {Path(base.__file__).parent} ({args.base})")
    results = []
    with environment.cpu_interference() as interference:
        for case in [case for case in suite() if case.name in args.cases]:
            results.append(_compare(case, packages, workload, options, args))
    if args.json:
        record = {**environment.provenance("benchmarks.ab"), "base": args.base, "results": results}
        report.save_json({**record, **environment.record(interference)}, args.json)
    return 0 if all(result["same_results"] for result in results) else 1


def _compare(case, packages, workload, options, args):
    """:func:`paired_rounds` of ``packages`` on ``case``'s data, summarized and printed."""
    X = case.load()
    calls = {
        name: (lambda package=package: workload(package, X, case, **options)) for name, package in packages.items()
    }
    times, same = paired_rounds(calls, args.rounds)
    summary = {"case": case.name, "what": args.what, **summarize(times), "same_results": same, "times_s": times}
    medians = summary["median_s"]
    print(
        f"{case.name} {args.what}: kmlab {medians['kmlab']:.4g} s, {BASE_NAME} {medians[BASE_NAME]:.4g} s; "
        f"paired ratio {summary['ratio_median']:.3f} (rounds {summary['rounds']}, "
        f"{summary['ratio_min']:.3f} to {summary['ratio_max']:.3f}); same results: {same}"
    )
    return summary


if __name__ == "__main__":
    sys.exit(main())
