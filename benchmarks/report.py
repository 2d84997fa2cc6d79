"""Tables (markdown), the JSON files and the README blocks, for the suite and the scaling table."""

import json
import os
from pathlib import Path

import numpy as np

README = Path(__file__).with_name("README.md")
RESULTS_DIR = Path(__file__).with_name("results")
# Where each command's tables go in the README.
RESULTS_MARKERS = ("<!-- results:start -->", "<!-- results:end -->")
SCALING_MARKERS = ("<!-- scaling:start -->", "<!-- scaling:end -->")
NOT_RUN = "—"


def _seconds(value):
    return f"{value:.3g}"


def _ratio(value):
    return f"{value:.2f}"


def _inertia_ratio(value):
    return f"{value:.4f}"


def _relative(value):
    return "0" if value == 0 else f"{value:+.1e}"


def _table(header, rows):
    """A markdown table with padded columns (readable as plain text too)."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells):
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _other_load(measured):
    other_cores = measured["interference"]["other_cores"]
    return NOT_RUN if other_cores is None else f"{other_cores:.2f}"


def _data(case):
    sparse = " CSR" if case.get("sparse") else ""
    return f"{case['n_samples']:,}×{case['n_features']} {case['dtype']}{sparse}, k={case['n_clusters']}"


def _speed_table(results):
    with_sklearnex = "sklearnex" in results["runners"]
    header = ["case", "data", "kmlab (s)", "scikit-learn (s)", "time ratio", "inertia ratio"]
    if with_sklearnex:
        header += ["sklearnex (s)", "time ratio", "inertia ratio", "sklearnex/sklearn label agreement"]
    header.append("other load (cores)")
    rows = []
    for case in results["cases"]:
        timing, peers = case["timing"], case["peers"]
        row = [
            case["name"],
            _data(case),
            _seconds(timing["kmlab"]["median_s"]),
            _seconds(timing["sklearn"]["median_s"]),
            _ratio(peers["sklearn"]["speed_ratio"]),
            _inertia_ratio(peers["sklearn"]["inertia_ratio"]),
        ]
        if with_sklearnex:
            fallback = "" if timing["sklearnex"].get("accelerated", True) else " (fallback)"
            row += [
                _seconds(timing["sklearnex"]["median_s"]) + fallback,
                _ratio(peers["sklearnex"]["speed_ratio"]),
                _inertia_ratio(peers["sklearnex"]["inertia_ratio"]),
                f"{peers['sklearnex']['label_agreement_with_sklearn']:.2%}",
            ]
        row.append(_other_load(case))
        rows.append(row)
    return _table(header, rows)


def _faiss_table(results):
    header = [
        "case", "FAISS niter (= kmlab n_iter_)", "FAISS (s)", "time ratio",
        "FAISS s/iter", "kmlab s/iter", "per-iter ratio", "inertia ratio",
    ]  # fmt: skip
    rows = []
    for case in results["cases"]:
        if "faiss" not in case["timing"]:  # a sparse case: FAISS takes dense data only
            continue
        faiss, kmlab, peer = case["timing"]["faiss"], case["timing"]["kmlab"], case["peers"]["faiss"]
        rows.append([
            case["name"],
            str(faiss["n_iter"]),
            _seconds(faiss["median_s"]),
            _ratio(peer["speed_ratio"]),
            _seconds(faiss["per_iter_s"]),
            _seconds(kmlab["per_iter_s"]),
            _ratio(peer["per_iter_ratio"]),
            _inertia_ratio(peer["inertia_ratio"]),
        ])  # fmt: skip
    return _table(header, rows)


def _same_answer_table(results):
    threads = results["settings"]["threads"]
    header = [
        "case", "seeds", "labels ≠ (max)", "n_iter_ equal", "max |rel. inertia diff|",
        f"sklearn 1 vs {threads} threads: labels ≠ (max)",
    ]  # fmt: skip
    rows = []
    for case in results["cases"]:
        seeds = case["equivalence"]
        noise = [row["sklearn_1thread_labels_differ"] for row in seeds if "sklearn_1thread_labels_differ" in row]
        rows.append([
            case["name"],
            ",".join(str(row["seed"]) for row in seeds),
            str(max(row["labels_differ"] for row in seeds)),
            f"{sum(row['n_iter_kmlab'] == row['n_iter_sklearn'] for row in seeds)}/{len(seeds)}",
            _relative(max((row["rel_inertia_diff"] for row in seeds), key=abs)),
            str(max(noise)) if noise else NOT_RUN + (" (float64)" if case["dtype"] == "float64" else ""),
        ])  # fmt: skip
    return _table(header, rows)


def _first_call_table(results):
    first_calls = results["first_calls"]
    dtypes = list(next(iter(first_calls.values())))
    header = ["implementation", *(f"first call, {dtype} (s)" for dtype in dtypes)]
    rows = [[name, *(_seconds(by_dtype[dtype]) for dtype in dtypes)] for name, by_dtype in first_calls.items()]
    return _table(header, rows)


def _overhead_lines(overheads):
    if overheads is None:
        return ["Fresh-process overheads: not measured (--no-overheads)."]
    seconds = {key: _seconds(value) for key, value in overheads.items() if key.endswith("_s")}
    kmlab_import = f"`import kmlab`: {seconds['import_kmlab_s']} s"
    if "first_access_kmlab_s" in seconds:  # results from before the lazy import lack it
        kmlab_import += (
            ", then the first access to `kmlab.KMeans` (imports scikit-learn, scipy and numba): "
            f"{seconds['first_access_kmlab_s']} s"
        )
    items = [
        f"{kmlab_import} (`import sklearn.cluster`: {seconds['import_sklearn_cluster_s']} s)",
        "first fit on the tutorial data (n_init=10), after the import: "
        f"kmlab {seconds['first_fit_kmlab_warm_cache_s']} s with numba's cache warm, "
        f"{seconds['first_fit_kmlab_cold_cache_s']} s with an empty cache (compiling, one run); "
        f"scikit-learn {seconds['first_fit_sklearn_s']} s",
    ]
    if "warmup_kmlab_s" in seconds:
        items.append(
            "kmlab's warm-up (`kmlab warmup`: every kernel for float32 and float64, dense and sparse; cache warm): "
            f"{seconds['warmup_kmlab_s']} s, after which the first fit takes "
            f"{seconds['first_fit_kmlab_after_warmup_s']} s"
        )
    bullets = [f"- {item};" for item in items[:-1]] + [f"- {items[-1]}."]
    return [f"Fresh processes (median of {overheads['repeats']}):", *bullets]


def _machine_line(results):
    machine, versions = results["machine"], results["versions"]
    libraries = ", ".join(
        f"{name} {versions[name]}"
        for name in ("numpy", "scipy", "scikit-learn", "numba", "scikit-learn-intelex", "faiss-cpu")
        if versions.get(name)
    )
    return (
        f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, {machine['ram_gib']} GiB RAM; "
        f"Python {versions['python']}, {libraries}."
    )


def date_and_machine(results):
    """``<date>, <cpu>, <n> cores``: when and where, for the one-line headers of the small benchmarks."""
    machine = results["machine"]
    return f"{results['date']}, {machine['cpu']}, {machine['usable_cores']} cores"


def run_line(results, details):
    """``Run of <timestamp>: `<command>` (<details>).``, from the results' ``timestamp`` and ``command``."""
    return f"Run of {results['timestamp']}: `{results['command']}` ({details})."


def run_header(results, details):
    """:func:`run_line` and, below it, the machine and the library versions."""
    return f"{run_line(results, details)}\n{_machine_line(results)}"


def _timed_fits(settings):
    """How many timed fits the run's medians are of, in words."""
    if "max_rounds" not in settings:  # runs before the rounds' time budget
        return f"{settings['repeats']} timed fits unless capped"
    return (
        f"at least {settings['repeats']} timed fits unless capped, more while a case's timed fits added up to "
        f"under {settings['rounds_budget_s']:g} s (at most {settings['max_rounds']})"
    )


def render(results):
    """The results as markdown: settings, tables, one-time costs, case legend.

    Parameters
    ----------
    results : dict
        What :func:`benchmarks.__main__.run` returns (or the saved JSON).

    Returns
    -------
    text : str
    """
    settings = results["settings"]
    parts = [
        run_header(
            results,
            f"{settings['mode']} mode, median of {_timed_fits(settings)}, "
            f"{settings['threads']} threads, {results['wall_s'] / 60:.1f} min in all",
        )
    ]
    parts += [f"Note: {note}" for note in results["skipped"]]
    parts += [
        "**Speed and inertia** (medians; ratios are peer / kmlab: time ratio > 1 means kmlab is faster, "
        "inertia ratio > 1 means kmlab found the lower objective)",
        _speed_table(results),
    ]
    if "faiss" in results["runners"]:
        parts += ["**FAISS** (random init, exactly niter iterations, no subsampling)", _faiss_table(results)]
    parts += ["**Same answer as scikit-learn** (same random_state)", _same_answer_table(results)]
    parts += ["**One-time costs** (first call of each implementation in this process)", _first_call_table(results)]
    if "kmlab_kernels_s" in results:
        parts.append(
            f"Then every other kmlab kernel (`kmlab.warmup()`, so that no timed fit compiles): "
            f"{_seconds(results['kmlab_kernels_s'])} s."
        )
    parts.append("\n".join(_overhead_lines(results["overheads"])))
    repeats = ", ".join(
        f"{case['name']} {len(case['timing']['kmlab']['times_s'])}"
        + (" (each after a rest only)" if case.get("settle") == "rest" else "")
        for case in results["cases"]
    )
    legend = [
        f"Timed fits per implementation (each right after an untimed fit of the same implementation, where more "
        f"than one): {repeats}.",
        "Cases:",
    ]
    legend += [f"- {case['name']}: {case['description']}, n_init={case['n_init']}" for case in results["cases"]]
    parts.append("\n".join(legend))
    return "\n\n".join(parts)


def _scaling_table(results, series):
    header = [
        series["name"], "kmlab (s/iter)", "kmlab 'lloyd' (s/iter)", "scikit-learn (s/iter)", "ratio",
        "distances skipped", "iterations kmlab / sklearn", "fits", "other load (cores)",
    ]  # fmt: skip
    rows = []
    for key in series["cells"]:
        cell = results["cells"][key]
        timing = cell["timing"]
        rows.append([
            f"{cell[series['field']]:,}",
            _seconds(timing["kmlab"]["per_iter_s"]),
            _seconds(timing["kmlab_lloyd"]["per_iter_s"]),
            _seconds(timing["sklearn"]["per_iter_s"]),
            _ratio(cell["per_iter_ratio"]),
            NOT_RUN if cell["skipped"] is None else f"{cell['skipped']:.1%}",
            f"{timing['kmlab']['n_iter']} / {timing['sklearn']['n_iter']}",
            str(len(timing["kmlab"]["times_s"])),
            _other_load(cell),
        ])  # fmt: skip
    return _table(header, rows)


def render_scaling(results):
    """The scaling results as markdown: settings, one table per series, legend.

    Parameters
    ----------
    results : dict
        What :func:`benchmarks.scaling.run` returns (or the saved JSON).

    Returns
    -------
    text : str
    """
    settings = results["settings"]
    parts = [
        run_header(
            results,
            f"median of up to {settings['repeats']} timed fits per implementation and cell, one when a round "
            f"takes over {settings['long_round_s']:.0f} s; {settings['threads']} threads, "
            f"{results['wall_s'] / 60:.1f} min in all",
        )
    ]
    for series in results["series"]:
        parts += [
            f"**As {series['name']} grows** ({series['fixed']}; float32 blobs, the same initial centres for all, "
            f"max_iter={settings['max_iter']}, tol=0)",
            _scaling_table(results, series),
        ]
    parts.append(
        "s/iter: median fit time / `n_iter_`, so input checks and the final labelling pass are included: "
        "they weigh most where the blobs lie far apart and the fit stops after 2 iterations (labels unchanged). "
        "ratio: scikit-learn s/iter / kmlab s/iter (above 1: kmlab is faster). "
        f"distances skipped: 1 − kmlab's `{settings['n_distances_attribute']}` / the same with "
        f"`algorithm='lloyd'` ({NOT_RUN}: this kmlab does not report it)."
    )
    return "\n\n".join(parts)


def _to_json(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def save_json(results, path):
    """Write ``results`` to ``path`` (through a temporary file, so never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(results, indent=2, default=_to_json) + "\n")
    os.replace(partial, path)


def write_readme(text, markers, path=README):
    """Replace what lies between the ``markers`` (start, end) of the README with ``text``."""
    start, end = markers
    path = Path(path)
    content = path.read_text()
    if start not in content or end not in content:
        raise ValueError(f"{path} lacks the markers {start} and {end}; add them where the table goes.")
    head, rest = content.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{start}\n{text}\n{end}{tail}")


def add_output_options(parser, default_name, *, readme=True):
    """Add ``--name``, ``--write-readme`` and ``--from-json`` (what :func:`publish` reads) to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    default_name : str
        The results file name used without ``--name``, in words, for the help.
    readme : bool, default=True
        Whether to offer ``--write-readme`` (the README has markers for the tables).
    """
    parser.add_argument("--name", help=f"results file name, without .json (default: {default_name})")
    if readme:
        parser.add_argument("--write-readme", action="store_true", help="put the tables into benchmarks/README.md")
    parser.add_argument("--from-json", metavar="PATH", help="render saved results instead of running")


def publish(args, run, render, markers, name):
    """Run (or load ``--from-json``), save, print, and with ``--write-readme`` put into the README.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed with :func:`add_output_options`.
    run : callable
        ``run(args) -> results``, JSON-ready.
    render : callable
        ``render(results) -> str``, markdown.
    markers : tuple of str or None
        The README markers the text goes between; None without ``--write-readme``.
    name : str
        Results file name, without .json, under ``benchmarks/results/``.

    Returns
    -------
    results : dict
        What was run or loaded.
    """
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
    else:
        results = run(args)
        path = RESULTS_DIR / f"{name}.json"
        save_json(results, path)
    text = render(results)
    print(f"\n{text}")
    if not args.from_json:
        print(f"\nsaved {path}")
    if markers is not None and args.write_readme:
        write_readme(text, markers)
        print(f"updated {README}")
    return results
