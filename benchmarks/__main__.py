"""``python -m benchmarks``: run the suite, print the tables, save the JSON."""

import argparse
import json
import shlex
import sys
import time
from datetime import datetime, timezone

from . import environment, report
from .cases import suite
from .measure import measure_case, warm_up
from .overheads import measure_overheads
from .runners import available_runners

# Cores kept busy by other processes above which a case's timings are flagged.
INTERFERENCE_WARNING = 0.1


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
    )
    parser.add_argument("--quick", action="store_true", help="reduced suite, a few minutes (default: full suite)")
    parser.add_argument("--repeats", type=int, help="timed fits per implementation and case (default: 3)")
    parser.add_argument(
        "--seeds", type=_seeds, default=[0],
        help="random_state values for the equivalence check, e.g. 0,1,2,3,4; timing uses the first (default: 0)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=environment.usable_cores(),
        help="threads for every implementation (default: all usable cores)",
    )  # fmt: skip
    parser.add_argument("--cases", help="comma-separated case names to run (default: all)")
    parser.add_argument("--no-overheads", action="store_true", help="skip the fresh-process import/first-fit times")
    parser.add_argument("--name", help="results file name, without .json (default: latest, or quick with --quick)")
    parser.add_argument("--write-readme", action="store_true", help="put the tables into benchmarks/README.md")
    parser.add_argument("--from-json", metavar="PATH", help="render saved results instead of running")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
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
        if (interference["other_cores"] or 0) > INTERFERENCE_WARNING:
            print(
                f"warning: other processes kept {interference['other_cores']:.2f} cores busy during this case; "
                "its timings are disturbed",
                flush=True,
            )
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
    if args.from_json:
        with open(args.from_json) as saved:
            results = json.load(saved)
    else:
        results = run(args)
        path = report.RESULTS_DIR / f"{args.name or ('quick' if args.quick else 'latest')}.json"
        report.save_json(results, path)
    text = report.render(results)
    print(f"\n{text}")
    if not args.from_json:
        print(f"\nsaved {path}")
    if args.write_readme:
        report.write_readme(text)
        print(f"updated {report.README}")


if __name__ == "__main__":
    main()
