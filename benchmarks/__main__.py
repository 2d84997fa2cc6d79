"""``python -m benchmarks``: run the suite, print the tables, save the JSON.

The scaling table has its own entry point: ``python -m benchmarks.scaling``.
"""

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone

from . import environment, report
from .cases import suite
from .measure import measure_case, warm_up
from .overheads import measure_overheads
from .runners import available_runners


def _seeds(text):
    try:
        return [int(seed) for seed in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds takes comma-separated integers such as 0,1,2; got {text!r}"
        ) from None


def parse_args(argv=None):
    """Parse the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; None reads ``sys.argv``.

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time kmlab.KMeans against scikit-learn, scikit-learn-intelex and FAISS in one process.",
        epilog="The scaling table (time per iteration as n, k and d grow): python -m benchmarks.scaling --help",
    )
    parser.add_argument("--quick", action="store_true", help="reduced suite, a few minutes (default: full suite)")
    parser.add_argument("--repeats", type=int, help="timed fits per implementation and case (default: 3)")
    parser.add_argument(
        "--seeds", type=_seeds, default=[0],
        help="random_state values for the equivalence check, e.g. 0,1,2,3,4; timing uses the first (default: 0)",
    )  # fmt: skip
    environment.add_threads_option(parser)
    parser.add_argument("--cases", help="comma-separated case names to run (default: all)")
    parser.add_argument("--no-overheads", action="store_true", help="skip the fresh-process import/first-fit times")
    report.add_output_options(parser, default_name="latest, or quick with --quick")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def _select(cases, names):
    if names is None:
        return cases
    by_name = {case.name: case for case in cases}
    unknown = [name for name in names.split(",") if name not in by_name]
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(by_name)}")
    return [by_name[name] for name in names.split(",")]


def run(args):
    """Run the benchmarks that ``args`` ask for.

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
    repeats = args.repeats or 3
    cases = _select(suite(quick=args.quick), args.cases)
    runners, notes = available_runners()
    for note in notes:
        print(f"note: {note}", flush=True)

    print("warming up: first call of each implementation (tutorial data, float64 then float32)", flush=True)
    first_calls = warm_up(runners, seed=args.seeds[0], threads=args.threads)
    case_results = []
    for case in cases:
        print(f"case {case.name}: {case.description}, k={case.n_clusters} ...", end=" ", flush=True)
        with environment.cpu_interference() as interference:
            result = measure_case(case, runners, seeds=args.seeds, repeats=repeats, threads=args.threads)
        result["interference"] = interference
        times = ", ".join(f"{name} {timing['median_s']:.3g} s" for name, timing in result["timing"].items())
        print(f"{times} [{result['wall_s']:.0f} s]", flush=True)
        environment.warn_if_busy(interference)
        case_results.append(result)
    overheads = None
    if not args.no_overheads:
        print("fresh-process overheads ...", flush=True)
        overheads = measure_overheads(repeats=repeats)

    return {
        "command": shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]]),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {
            "mode": "quick" if args.quick else "full",
            "repeats": repeats,
            "seeds": args.seeds,
            "threads": args.threads,
        },
        "machine": environment.machine(),
        "versions": environment.versions(),
        "runners": [runner.name for runner in runners],
        "skipped": notes,
        "first_calls": first_calls,
        "cases": case_results,
        "overheads": overheads,
        "wall_s": time.perf_counter() - start,
    }


def main(argv=None):
    """Entry point: run (or load) the results, print them, save them."""
    args = parse_args(argv)
    name = args.name or ("quick" if args.quick else "latest")
    report.publish(args, run, report.render, report.RESULTS_MARKERS, name)


if __name__ == "__main__":
    main()
