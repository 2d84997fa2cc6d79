"""Peak memory of one fit: how much each implementation adds to the process's peak resident memory.

Run ``python -m benchmarks.memory`` from the repository root (about 4 minutes on
2 cores, most of it the peers' gaussian fits).  Each implementation fits each case
in a fresh process (spawned), so that memory freed by an earlier fit and kept by
the allocator cannot hide this one's: the process makes the data, warms the
implementation up (the tutorial fits of :func:`benchmarks.measure.warm_up`; kmlab
also loads every kernel, :func:`kmlab.warmup`), resets its peak resident memory
to its current size (``/proc/self/clear_refs``, Linux) and fits once.  The *peak
growth* is the peak after the fit minus the resident memory before it: every
allocation of the fit (copies, norms, bounds, scratch), the estimator's own
attributes (labels) included.  The bar of issue 3: fitting gaussian adds at most
half the input's size plus 100 MB.
"""

import argparse
import gc
import time
from dataclasses import replace

import scipy.sparse as sp

from kmlab._warmup import warmup

from . import environment, report
from .cases import suite
from .measure import WARM_UP_DTYPES
from .runners import KMLAB, LABELS, available_runners

MARKERS = ("<!-- memory:start -->", "<!-- memory:end -->")

CASES = ("blobs", "gaussian")
MIB = 2**20
# The bar on kmlab's growth: this fraction of the input's bytes, plus BAR_EXTRA_BYTES.
BAR_INPUT_FRACTION = 0.5
BAR_EXTRA_BYTES = 100 * 10**6


def _case(name):
    cases = {case.name: case for case in suite()}
    if name not in cases:
        raise SystemExit(f"unknown case {name!r}; choose from {', '.join(cases)}")
    return cases[name]


def measure_fit(case, runner, max_iter, threads):
    """Warm ``runner`` up, reset the peak, fit ``case`` once; what was measured (JSON-ready).

    ``max_iter``: the iteration cap instead of the case's (None: the case's).
    Meant for a fresh process (:func:`benchmarks.environment.in_fresh_process`).
    """
    X = case.load()
    tutorial = _case("tutorial")
    for dtype in WARM_UP_DTYPES:
        runner.fit(tutorial.load().astype(dtype), tutorial.params(0), threads)
    if runner is KMLAB:
        warmup()
    params = case.params(0) if max_iter is None else replace(case.params(0), max_iter=max_iter)
    gc.collect()
    environment.reset_peak_memory()
    baseline, _ = environment.memory_status()
    fit = runner.fit(X, params, threads)
    _, peak = environment.memory_status()
    return {
        "seconds": fit.seconds,
        "n_iter": fit.n_iter,
        "baseline_rss_bytes": baseline,
        "peak_growth_bytes": peak - baseline,
        "input_bytes": X.nbytes,
        "shape": list(X.shape),
        "dtype": X.dtype.name,
        "sparse": sp.issparse(X),
    }


def _fit_child(case_name, runner_name, max_iter, threads, connection):
    runners, _ = available_runners()
    runner = next(runner for runner in runners if runner.name == runner_name)
    connection.send(measure_fit(_case(case_name), runner, max_iter, threads))
    connection.close()


def run(args):
    """Measure every implementation on every case; returns the JSON-ready results."""
    if not environment.peak_memory_resettable():
        raise SystemExit("benchmarks.memory needs Linux's /proc/self/clear_refs to reset the peak resident memory")
    start = time.perf_counter()
    runners, notes = available_runners()
    for note in notes:
        print(f"note: {note}", flush=True)
    cases = {}
    chosen = {name: _case(name) for name in args.cases.split(",")}
    for case_name, case in chosen.items():
        print(f"{case_name} ...", end=" ", flush=True)
        fits = {}
        for runner in runners:
            # kmlab first: its fit says whether the data is sparse, and its iteration
            # count is the fixed-iteration runners' (FAISS).
            if runner.dense_only and fits[KMLAB.name]["sparse"]:
                continue
            kmlab_iter = fits[KMLAB.name]["n_iter"] if runner.fixed_iterations else None
            fits[runner.name] = environment.in_fresh_process(
                f"{runner.name} on {case_name}", _fit_child, case_name, runner.name, kmlab_iter, args.threads
            )
        first = fits[KMLAB.name]
        print(", ".join(f"{name} {fit['peak_growth_bytes'] / MIB:.1f} MiB" for name, fit in fits.items()), flush=True)
        cases[case_name] = {
            "description": case.description,
            "shape": first["shape"],
            "dtype": first["dtype"],
            "n_clusters": case.n_clusters,
            "input_bytes": first["input_bytes"],
            "kmlab_bar_bytes": BAR_INPUT_FRACTION * first["input_bytes"] + BAR_EXTRA_BYTES,
            "fits": fits,
        }
    return {
        **environment.provenance("benchmarks.memory"),
        "settings": {"cases": args.cases, "threads": args.threads},
        **environment.record(),
        "runners": [runner.name for runner in runners],
        "cases": cases,
        "wall_s": time.perf_counter() - start,
    }


def render(results):
    """Markdown table of the results."""
    settings = results["settings"]
    names = results["runners"]
    lines = [
        report.run_header(
            results, f"one fit per implementation and case, each in a fresh process, {settings['threads']} threads"
        ),
        "",
        "| case | data | k | input (MiB) | "
        + " | ".join(f"{LABELS[name]} (MiB)" for name in names)
        + " | kmlab's bar (MiB) | kmlab within |",
        "|---|---|---:|---:|" + "---:|" * len(names) + "---:|---|",
    ]
    for case_name, case in results["cases"].items():
        n_samples, n_features = case["shape"]
        growth = [case["fits"][name]["peak_growth_bytes"] / MIB if name in case["fits"] else None for name in names]
        within = case["fits"][KMLAB.name]["peak_growth_bytes"] <= case["kmlab_bar_bytes"]
        lines.append(
            f"| {case_name} | {n_samples:,}×{n_features} {case['dtype']} | {case['n_clusters']} "
            f"| {case['input_bytes'] / MIB:.1f} | "
            + " | ".join("—" if value is None else f"{value:.1f}" for value in growth)
            + f" | {case['kmlab_bar_bytes'] / MIB:.1f} | {'yes' if within else 'NO'} |"
        )
    lines += [
        "",
        "Each column: the fit's peak resident memory minus the resident memory before it, in a fresh process "
        "after a warm-up (the data made before); —: a peer that takes dense data only, on sparse data. "
        "kmlab's bar: half the input's size plus 100 MB (issue 3).",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated cases (default: {','.join(CASES)})")
    environment.add_threads_option(parser)
    report.add_output_options(parser, "memory")
    args = parser.parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "memory")


if __name__ == "__main__":
    main()
