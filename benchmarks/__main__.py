"""``python -m benchmarks``: run the suite, print the tables, save the JSON.

The scaling table has its own entry point: ``python -m benchmarks.scaling``.
"""

import argparse
import time

from . import environment, report
from .cases import suite
from .measure import MAX_ROUNDS, ROUNDS_BUDGET_S, measure_case, warm_up, warm_up_kmlab_kernels
from .overheads import measure_overheads
from .runners import available_runners


def parse_args(argv=None):
    """Parse ``argv`` (None: ``sys.argv``), the command line of ``python -m benchmarks``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time kmlab.KMeans against scikit-learn, scikit-learn-intelex and FAISS in one process.",
        epilog="The scaling table (time per iteration as n, k and d grow): python -m benchmarks.scaling --help",
    )
    parser.add_argument("--quick", action="store_true", help="reduced suite, a few minutes (default: full suite)")
    parser.add_argument(
        "--repeats", type=environment.count_type("--repeats"),
        help="timed fits per implementation and case, at least (default: 3; short cases get more, up to 15)",
    )  # fmt: skip
    parser.add_argument(
        "--seeds", type=environment.seed_list, default=[0],
        help="random_state values for the equivalence check, e.g. 0,1,2,3,4; timing uses the first (default: 0)",
    )  # fmt: skip
    environment.add_threads_option(parser)
    parser.add_argument("--cases", help="comma-separated case names to run (default: all)")
    parser.add_argument("--no-overheads", action="store_true", help="skip the fresh-process import/first-fit times")
    report.add_output_options(parser, default_name="latest, or quick with --quick")
    return parser.parse_args(argv)


def _select(cases, names):
    if names is None:
        return cases
    by_name = {case.name: case for case in cases}
    unknown = [name for name in names.split(",") if name not in by_name]
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(by_name)}")
    return [by_name[name] for name in names.split(",")]


def run(args):
    """Run the benchmarks that ``args`` (from :func:`parse_args`) ask for; everything measured, JSON-ready."""
    start = time.perf_counter()
    repeats = args.repeats or 3
    cases = _select(suite(quick=args.quick), args.cases)
    runners, notes = available_runners()
    for note in notes:
        print(f"note: {note}", flush=True)

    print("warming up: first call of each implementation (tutorial data, float64 then float32)", flush=True)
    first_calls = warm_up(runners, seed=args.seeds[0], threads=args.threads)
    kernels_s = warm_up_kmlab_kernels()
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
        **environment.provenance("benchmarks"),
        "settings": {
            "mode": "quick" if args.quick else "full",
            "repeats": repeats,
            "max_rounds": MAX_ROUNDS,
            "rounds_budget_s": ROUNDS_BUDGET_S,
            "seeds": args.seeds,
            "threads": args.threads,
        },
        **environment.record(),
        "runners": [runner.name for runner in runners],
        "skipped": notes,
        "first_calls": first_calls,
        "kmlab_kernels_s": kernels_s,
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
