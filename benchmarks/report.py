"""Tables (markdown), the JSON file and the README block."""

import json
import os
from pathlib import Path

import numpy as np

README = Path(__file__).with_name("README.md")
RESULTS_DIR = Path(__file__).with_name("results")
START, END = "<!-- results:start -->", "<!-- results:end -->"
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


def _data(case):
    return f"{case['n_samples']:,}×{case['n_features']} {case['dtype']}, k={case['n_clusters']}"


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
        other_cores = case["interference"]["other_cores"]
        row.append(NOT_RUN if other_cores is None else f"{other_cores:.2f}")
        rows.append(row)
    return _table(header, rows)


def _faiss_table(results):
    header = [
        "case", "FAISS niter (= kmlab n_iter_)", "FAISS (s)", "time ratio",
        "FAISS s/iter", "kmlab s/iter", "per-iter ratio", "inertia ratio",
    ]  # fmt: skip
    rows = []
    for case in results["cases"]:
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
    return [
        f"Fresh processes (median of {overheads['repeats']}):",
        f"- `import kmlab`: {_seconds(overheads['import_kmlab_s'])} s "
        f"(`import sklearn.cluster`: {_seconds(overheads['import_sklearn_cluster_s'])} s);",
        f"- first fit on the tutorial data (n_init=10), after the import: kmlab "
        f"{_seconds(overheads['first_fit_kmlab_warm_cache_s'])} s with numba's cache warm, "
        f"{_seconds(overheads['first_fit_kmlab_cold_cache_s'])} s with an empty cache (compiling, one run); "
        f"scikit-learn {_seconds(overheads['first_fit_sklearn_s'])} s.",
    ]


def _header_lines(results):
    machine, versions, settings = results["machine"], results["versions"], results["settings"]
    libraries = ", ".join(
        f"{name} {versions[name]}"
        for name in ("numpy", "scipy", "scikit-learn", "numba", "scikit-learn-intelex", "faiss-cpu")
        if versions.get(name)
    )
    return [
        f"Run of {results['timestamp']}: `{results['command']}` "
        f"({settings['mode']} mode, median of {settings['repeats']} timed fits unless capped, "
        f"{settings['threads']} threads, {results['wall_s'] / 60:.1f} min in all).",
        f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, {machine['ram_gib']} GiB RAM; "
        f"Python {versions['python']}, {libraries}.",
    ]


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
    parts = ["\n".join(_header_lines(results))]
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
    parts.append("\n".join(_overhead_lines(results["overheads"])))
    repeats = ", ".join(f"{case['name']} {len(case['timing']['kmlab']['times_s'])}" for case in results["cases"])
    legend = [f"Timed fits per implementation: {repeats}.", "Cases:"]
    legend += [f"- {case['name']}: {case['description']}, n_init={case['n_init']}" for case in results["cases"]]
    parts.append("\n".join(legend))
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


def write_readme(text, path=README):
    """Replace what lies between the results markers of the README with ``text``."""
    path = Path(path)
    content = path.read_text()
    if START not in content or END not in content:
        raise ValueError(f"{path} lacks the markers {START} and {END}; add them where the table goes.")
    head, rest = content.split(START, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}")
