"""MiniBatchKMeans: kmlab against scikit-learn, fits and a streamed partial_fit.

Run ``python -m benchmarks.minibatch`` from the repository root (``--help`` for
the options; about 10 minutes on 2 cores, most of it scikit-learn's fits).

Fits.  Each case is fitted once per seed by ``kmlab.MiniBatchKMeans(k,
random_state=seed, n_threads=threads)`` and ``sklearn.cluster.MiniBatchKMeans(k,
random_state=seed)``, interleaved, with their defaults otherwise (batch_size=1024,
max_iter=100, max_no_improvement=10, k-means++ on init_size samples): the whole
``fit`` is timed, labels of all the data included.  Both final inertias are
recomputed the same way from the centres found, on all the data in float64
(:func:`benchmarks.scoring.inertia`).

Streaming.  A 5,000,000 x 16 float32 ``.npy`` file (32 Gaussian blobs, written
in pieces to a temporary folder, deleted afterwards) is read 100,000 rows at a
time with plain file reads and fed to ``partial_fit``, by kmlab and then by
scikit-learn, each in a fresh process.  After imports and a warm-up call, the
process's peak resident memory (VmHWM) is reset to its current size
(``/proc/self/clear_refs``); the growth of the peak over the whole stream is
what the stream cost, beyond the chunk being read.  Reading with plain reads
rather than ``np.load(mmap_mode='r')`` keeps the file's pages out of the
process's resident memory, so that only real allocations count.
"""

import argparse
import gc
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.cluster import MiniBatchKMeans as SklearnMiniBatchKMeans
from threadpoolctl import threadpool_limits

from kmlab import MiniBatchKMeans

from . import environment, report, scoring
from .cases import Documents, _blobs, _china

MARKERS = ("<!-- minibatch:start -->", "<!-- minibatch:end -->")
# Attempts beyond the first at timing a case while other processes keep the machine busy.
BUSY_RETRIES = 1
# The streamed file: rows, features, blobs, rows per chunk.
STREAM_SHAPE = (5_000_000, 16)
STREAM_CENTERS = 32
STREAM_CHUNK = 100_000


def _gaussian():
    return np.random.default_rng(0).standard_normal((1_000_000, 32), dtype=np.float32)


def _documents():
    return Documents(50_000, 50_000, 20).load()[0]


@dataclass(frozen=True)
class Case:
    """A dataset and a number of clusters."""

    name: str
    description: str
    load: object
    n_clusters: int


CASES = (
    Case("blobs", "make_blobs(100_000, n_features=16, centers=32, random_state=0), float32", _blobs, 32),
    Case("china", "china.jpg pixels / 255, float32", _china, 256),
    Case("gaussian", "np.random.default_rng(0).standard_normal((1_000_000, 32), dtype=np.float32)", _gaussian, 100),
    Case("documents", "benchmarks.cases.Documents(50_000, 50_000, 20): TF-IDF, float64, CSR", _documents, 20),
)

IMPLEMENTATIONS = {
    "kmlab": lambda k, seed, threads: MiniBatchKMeans(k, random_state=seed, n_threads=threads),
    "sklearn": lambda k, seed, threads: SklearnMiniBatchKMeans(k, random_state=seed),
}


def fit(name, X, n_clusters, seed, threads):
    """One timed fit: {"seconds", "n_steps", "centers", "labels"}."""
    estimator = IMPLEMENTATIONS[name](n_clusters, seed, threads)
    gc.collect()
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        estimator.fit(X)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "n_steps": int(estimator.n_steps_),
        "centers": np.asarray(estimator.cluster_centers_),
        "labels": np.asarray(estimator.labels_),
    }


def warm_up(threads):
    """First call of each implementation on tiny data (numba compiles or loads its kernels)."""
    first = {}
    X = np.random.default_rng(0).standard_normal((300, 2))
    for dtype in ("float64", "float32"):
        for name in IMPLEMENTATIONS:
            first.setdefault(name, {})[dtype] = fit(name, X.astype(dtype), 3, 0, threads)["seconds"]
    return first


def measure_case(case, *, seeds, threads):
    """Fit both implementations once per seed; the quietest of up to 1 + BUSY_RETRIES attempts.

    Returns
    -------
    result : dict
        JSON-ready: the case, every fit (time, steps, recomputed inertia), the
        median times and their ratio, the inertia ratios, the label agreement,
        the machine's other load.
    """
    start = time.perf_counter()
    X = case.load()
    attempts = []
    for _ in range(1 + BUSY_RETRIES):
        runs = {name: [] for name in IMPLEMENTATIONS}
        with environment.cpu_interference() as interference:
            for seed in seeds:
                for name in IMPLEMENTATIONS:
                    timed = environment.after_own_call(partial(fit, name, X, case.n_clusters, seed, threads))
                    runs[name].append({"seed": seed, **timed})
        attempts.append((interference, runs))
        if not environment.is_busy(interference):
            break
    interference, runs = min(attempts, key=lambda attempt: attempt[0]["other_cores"] or 0)
    same_labels = []
    for ours, theirs in zip(runs["kmlab"], runs["sklearn"]):
        same_labels.append(float(np.mean(ours["labels"] == theirs["labels"])))
        for run in (ours, theirs):
            run["inertia"] = scoring.inertia(X, run.pop("centers"))
            del run["labels"]
    inertia_ratios = [ours["inertia"] / theirs["inertia"] for ours, theirs in zip(runs["kmlab"], runs["sklearn"])]
    medians = {name: statistics.median(run["seconds"] for run in fits) for name, fits in runs.items()}
    return {
        "name": case.name,
        "description": case.description,
        "n_samples": X.shape[0],
        "n_features": X.shape[1],
        "dtype": X.dtype.name,
        "n_clusters": case.n_clusters,
        "runs": runs,
        "median_s": medians,
        "time_ratio": medians["sklearn"] / medians["kmlab"],
        "inertia_ratios": inertia_ratios,
        "median_inertia_ratio": statistics.median(inertia_ratios),
        "same_labels": same_labels,
        "same_steps": [ours["n_steps"] == theirs["n_steps"] for ours, theirs in zip(runs["kmlab"], runs["sklearn"])],
        "interference": interference,
        "attempts": len(attempts),
        "wall_s": time.perf_counter() - start,
    }


# --- streaming ---------------------------------------------------------------------


def write_stream_file(path):
    """The streamed data as a .npy file, written a chunk at a time (never whole in memory)."""
    n_samples, n_features = STREAM_SHAPE
    centers = np.random.default_rng(0).uniform(-10, 10, size=(STREAM_CENTERS, n_features))
    with open(path, "wb") as out:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False}
        np.lib.format.write_array_header_1_0(out, {**header, "shape": STREAM_SHAPE})
        for start in range(0, n_samples, STREAM_CHUNK):
            rng = np.random.default_rng(start)
            rows = min(STREAM_CHUNK, n_samples - start)
            chunk = centers[rng.integers(STREAM_CENTERS, size=rows)] + rng.standard_normal((rows, n_features))
            chunk.astype(np.float32).tofile(out)


def read_chunks(path, chunk_rows):
    """The rows of a .npy file, ``chunk_rows`` at a time, by plain reads (no memory map)."""
    with open(path, "rb") as source:
        version = np.lib.format.read_magic(source)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(source)
        if fortran_order or len(shape) != 2:
            raise ValueError(f"{path}: expected a C-ordered 2-D array, got shape {shape}")
        for start in range(0, shape[0], chunk_rows):
            rows = min(chunk_rows, shape[0] - start)
            yield np.fromfile(source, dtype=dtype, count=rows * shape[1]).reshape(rows, shape[1])


def _stream_child(name, path, threads, seed, connection):
    """In a fresh process: warm up, reset the peak, stream ``path`` into ``name``'s partial_fit."""
    first = next(read_chunks(path, 1000))
    IMPLEMENTATIONS[name](STREAM_CENTERS, seed, threads).partial_fit(first)
    estimator = IMPLEMENTATIONS[name](STREAM_CENTERS, seed, threads)
    del first
    gc.collect()
    with threadpool_limits(limits=threads):
        environment.reset_peak_memory()  # peak resident memory := current
        baseline, _ = environment.memory_status()
        start = time.perf_counter()
        for chunk in read_chunks(path, STREAM_CHUNK):
            estimator.partial_fit(chunk)
        seconds = time.perf_counter() - start
        _, peak = environment.memory_status()
    connection.send({
        "seconds": seconds,
        "baseline_rss_bytes": baseline,
        "peak_growth_bytes": peak - baseline,
        "n_steps": int(estimator.n_steps_),
        "centers": estimator.cluster_centers_.tolist(),
    })  # fmt: skip
    connection.close()


def measure_stream(*, threads, seed=0):
    """Stream the file through each implementation's partial_fit, each in a fresh process."""
    start = time.perf_counter()
    results = {}
    with tempfile.TemporaryDirectory(prefix="kmlab-stream-") as folder:
        path = Path(folder) / "stream.npy"
        write_stream_file(path)
        file_bytes = path.stat().st_size
        for name in IMPLEMENTATIONS:
            results[name] = environment.in_fresh_process(
                f"streaming into {name}", _stream_child, name, str(path), threads, seed
            )
    centers = {name: np.array(result.pop("centers")) for name, result in results.items()}
    return {
        "shape": list(STREAM_SHAPE),
        "chunk_rows": STREAM_CHUNK,
        "n_clusters": STREAM_CENTERS,
        "file_bytes": file_bytes,
        "chunk_bytes": STREAM_CHUNK * STREAM_SHAPE[1] * 4,
        "runs": results,
        "max_center_difference": float(np.abs(centers["kmlab"] - centers["sklearn"]).max()),
        "wall_s": time.perf_counter() - start,
    }


# --- command line --------------------------------------------------------------------


def parse_args(argv=None):
    """Parse the command line of ``python -m benchmarks.minibatch``.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; None reads ``sys.argv``.

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.minibatch",
        description="kmlab.MiniBatchKMeans against scikit-learn's: fits and a streamed partial_fit "
        "(about 10 minutes on 2 cores).",
    )
    parser.add_argument("--seeds", type=environment.seed_list, default=[0, 1, 2], help="random_state values (default: 0,1,2)")
    parser.add_argument(
        "--cases", default=",".join(case.name for case in CASES),
        help="comma-separated cases to fit (default: all; empty: none)",
    )  # fmt: skip
    parser.add_argument("--no-stream", action="store_true", help="skip the streaming measurement")
    environment.add_threads_option(parser)
    report.add_output_options(parser, default_name="minibatch")
    args = parser.parse_args(argv)
    names = {case.name for case in CASES}
    unknown = set(filter(None, args.cases.split(","))) - names
    if unknown:
        parser.error(f"unknown case {', '.join(sorted(unknown))}; choose from {', '.join(sorted(names))}")
    return args


def run(args):
    """Measure the cases and the stream.

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
    print("warming up: first call of each implementation", flush=True)
    first_calls = warm_up(args.threads)
    cases = {}
    for case in CASES:
        if case.name not in args.cases.split(","):
            continue
        print(f"{case.name} ...", end=" ", flush=True)
        result = measure_case(case, seeds=args.seeds, threads=args.threads)
        medians = ", ".join(f"{name} {seconds:.3g} s" for name, seconds in result["median_s"].items())
        print(
            f"{medians}, ratio {result['time_ratio']:.2f}, inertia ratio {result['median_inertia_ratio']:.6f} "
            f"[{result['attempts']} attempt(s)]",
            flush=True,
        )
        environment.warn_if_busy(result["interference"])
        cases[case.name] = result
    stream = None
    if not args.no_stream:
        print("streaming ...", end=" ", flush=True)
        stream = measure_stream(threads=args.threads)
        growth = ", ".join(
            f"{name} {run['seconds']:.3g} s, +{run['peak_growth_bytes'] / 2**20:.0f} MB"
            for name, run in stream["runs"].items()
        )
        print(growth, flush=True)
    return {
        "command": shlex.join(["python", "-m", "benchmarks.minibatch", *sys.argv[1:]]),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {"seeds": args.seeds, "threads": args.threads, "busy_retries": BUSY_RETRIES},
        "machine": environment.machine(),
        "versions": environment.versions(),
        "first_call_s": first_calls,
        "cases": cases,
        "stream": stream,
        "wall_s": time.perf_counter() - start,
    }


def render(results):
    """The results as markdown: settings, the fit table, the stream table.

    Parameters
    ----------
    results : dict
        What :func:`run` returns (or the saved JSON).

    Returns
    -------
    text : str
    """
    settings = results["settings"]
    seeds = ",".join(str(seed) for seed in settings["seeds"])
    parts = [
        f"Run of {results['timestamp']}: `{results['command']}` (medians over seeds {seeds}, one fit per seed "
        f"and implementation, interleaved, each after an untimed one of its own; {settings['threads']} threads; "
        f"{results['wall_s'] / 60:.1f} min in all).\n"
        f"{report._machine_line(results)}"
    ]
    if results["cases"]:
        header = [
            "case", "data", "kmlab (s)", "scikit-learn (s)", "time ratio", "inertia ratio (median)",
            "inertia ratio (worst)", "same steps", "same labels", "other load (cores)",
        ]  # fmt: skip
        rows = []
        for case in results["cases"].values():
            rows.append([
                case["name"],
                f"{case['n_samples']:,}×{case['n_features']} {case['dtype']}, k={case['n_clusters']}",
                report._seconds(case["median_s"]["kmlab"]),
                report._seconds(case["median_s"]["sklearn"]),
                report._ratio(case["time_ratio"]),
                f"{case['median_inertia_ratio']:.6f}",
                f"{max(case['inertia_ratios']):.6f}",
                f"{sum(case['same_steps'])}/{len(case['same_steps'])}",
                f"{min(case['same_labels']):.2%}",
                report._other_load(case),
            ])  # fmt: skip
        parts.append(report._table(header, rows))
        parts.append(
            "time ratio: scikit-learn's median time / kmlab's (above 1: kmlab is faster), whole `fit` with its "
            "defaults. inertia ratio: kmlab's / scikit-learn's, both recomputed on all the data in float64 from the "
            "final centres, per seed (1: the same centres). same steps: seeds where both ran the same number of "
            "mini-batches. same labels: the smallest share, over the seeds, of samples with the same final label."
        )
    stream = results["stream"]
    if stream:
        n_samples, n_features = stream["shape"]
        rows = [
            [
                name,
                report._seconds(run["seconds"]),
                f"{run['peak_growth_bytes'] / 2**20:.0f}",
                f"{run['baseline_rss_bytes'] / 2**20:.0f}",
                str(run["n_steps"]),
            ]
            for name, run in stream["runs"].items()
        ]
        parts.append(
            f"**Streaming** `partial_fit` over a {n_samples:,}×{n_features} float32 file "
            f"({stream['file_bytes'] / 2**20:.0f} MB) read {stream['chunk_rows']:,} rows "
            f"({stream['chunk_bytes'] / 2**20:.1f} MB) at a time, k={stream['n_clusters']}, one fresh process each:"
        )
        header = ["implementation", "time (s)", "peak memory growth (MB)", "resident before (MB)", "steps"]
        parts.append(report._table(header, rows))
        parts.append(
            "peak memory growth: the process's peak resident memory at the end of the stream minus its resident "
            "memory at the start (after imports and a warm-up call), chunk reads included. Largest difference "
            f"between the two implementations' final centres: {stream['max_center_difference']:.3g}."
        )
    return "\n\n".join(parts)


def main(argv=None):
    """Entry point: run (or load) the mini-batch results, print the tables, save them."""
    args = parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "minibatch")


if __name__ == "__main__":
    main()
