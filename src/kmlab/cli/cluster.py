"""``kmlab cluster`` (cluster a table, explain the segments, save the model) and ``kmlab select-k``.

Both read a CSV, TSV or Parquet file, keep the numeric columns (or those named
with ``--columns``), scale them (``--scale standard`` by default, so that
income in dollars does not drown age in years), and run
:func:`kmlab.selection.select_k` over ``--k-range``.  ``select-k`` reports
every criterion per K; ``cluster`` also fits the chosen K and writes the rows
with their cluster, the centres, a profile of each cluster, a report with
charts and a ``.kmlab`` model file, all at once into ``-o OUTDIR``.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ._common import (
    CommandError,
    atomic_directory,
    data_line,
    data_summary,
    json_option,
    k_option,
    k_range_option,
    new_axes,
    output_folder_option,
    parse_names,
    provenance,
    quiet_option,
    seed_option,
    write_report,
)

# --algorithm -> the kmlab class it runs (its name in model files).
ALGORITHMS = {"kmeans": "kmlab.KMeans", "minibatch": "kmlab.MiniBatchKMeans", "kmedoids": "kmlab.KMedoids"}
# --scale -> the scikit-learn scaler, and what the report says it does.
SCALERS = {
    "standard": ("StandardScaler", "each feature centred on its mean and divided by its standard deviation"),
    "robust": ("RobustScaler", "each feature centred on its median and divided by its interquartile range"),
    "none": (None, "none: the features are clustered in their own units"),
}
DEFAULT_K_RANGE = "2..10"
# The silhouette chart and the 2-D view draw at most this many rows (a random sample).
PLOT_MAX_ROWS = 3000
# Distinguishing features listed per cluster.
TOP_FEATURES = 3


# --- option parsing -------------------------------------------------------------------------


def _parse_criteria(ctx, param, value):
    if value is None:
        return None
    from ..selection import CRITERIA

    names = parse_names(ctx, param, value)
    unknown = [name for name in names if name not in CRITERIA]
    if unknown:
        raise click.BadParameter(f"unknown criterion {', '.join(unknown)}; choose among {', '.join(CRITERIA)}")
    return tuple(names)


# The options of the commands that cluster a table's rows.
data_argument = click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
scale_option = click.option("--scale", type=click.Choice(list(SCALERS)), default="standard", show_default=True,
                            help="Put the features on one scale before clustering.")  # fmt: skip
drop_missing_option = click.option(
    "--drop-missing", is_flag=True, help="Leave out the rows with missing values (default: refuse them)."
)


def _data_options(function):
    """The options shared by ``cluster`` and ``select-k``."""
    options = [
        data_argument,
        click.option("--columns", callback=parse_names, metavar="A,B,...",
                     help="Columns to cluster (default: every numeric column)."),
        k_range_option(DEFAULT_K_RANGE),
        scale_option,
        click.option("--algorithm", type=click.Choice(list(ALGORITHMS)), default="kmeans", show_default=True,
                     help="The clustering algorithm."),
        click.option("--criteria", callback=_parse_criteria, metavar="NAME,...",
                     help="Criteria for choosing K: elbow, silhouette, gap, calinski_harabasz, davies_bouldin "
                     "(default: all)."),
        seed_option,
        drop_missing_option,
        quiet_option,
        json_option,
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


# --- the work shared by both commands ------------------------------------------------------


@dataclass
class Prepared:
    """A table read, its features picked, checked and scaled."""

    frame: object  # DataFrame: every row read
    features: list  # the columns clustered
    skipped: list  # the non-numeric columns left out
    keep: object  # bool ndarray: the rows clustered (False: left out for missing values)
    X: object  # DataFrame: the kept rows' features as float64, in their own units
    scaler: object  # the fitted scaler, or None
    Xs: object  # ndarray: what the clusterer sees (X scaled)


def prepare(data, columns, scale, drop_missing):
    """Read ``data``, pick and check the features, fit the scaler: a :class:`Prepared`."""
    from ..io import feature_columns, read_table

    frame = read_table(data)
    features, skipped = feature_columns(frame, columns)
    values = frame[features]
    keep = complete_rows(values, drop_missing)
    X = values[keep].astype("float64")
    if len(X) < 2:
        raise CommandError(f"{data}: {len(X)} usable row(s); clustering needs at least 2")
    scaler_name = SCALERS[scale][0]
    if scaler_name is None:
        scaler, Xs = None, X.to_numpy()
    else:
        from sklearn import preprocessing

        scaler = getattr(preprocessing, scaler_name)()
        Xs = scaler.fit_transform(X)
    return Prepared(frame, features, skipped, keep, X, scaler, Xs)


def complete_rows(values, drop_missing):
    """Which rows of ``values`` have no missing value; with any, an error naming them unless ``drop_missing``."""
    import numpy as np

    from ..io import find_missing, missing_message

    missing = find_missing(values)
    if missing and not drop_missing:
        raise CommandError(f"{missing_message(missing)}; fill them, or pass --drop-missing to leave those rows out")
    keep = np.ones(len(values), dtype=bool)
    for rows in missing.values():
        keep[rows] = False
    return keep


def base_estimator(algorithm, seed):
    """The unfitted clusterer of ``--algorithm`` that select_k clones for each K."""
    from ..io import model_class

    cls = model_class(ALGORITHMS[algorithm])
    if cls is None:
        raise CommandError(f"--algorithm {algorithm} needs {ALGORITHMS[algorithm]}, which this kmlab does not have")
    return cls(random_state=seed)


def candidates(k_range, k, n_rows):
    """The Ks select_k compares: ``k_range`` without what the data cannot support, plus ``k``."""
    if k is not None and k > n_rows:
        raise CommandError(f"--k {k} needs at least {k} rows; the data has {n_rows}")
    # The silhouette needs fewer clusters than rows.
    values = sorted({value for value in k_range if value < n_rows} | ({k} if k is not None else set()))
    if len(values) < 2:
        raise CommandError(
            f"--k-range {k_range[0]}..{k_range[-1]} leaves fewer than two numbers of clusters to compare "
            f"on {n_rows} rows; pass a smaller --k-range"
        )
    return values


def run_selection(prepared, k_values, algorithm, criteria, seed, progress):
    from ..selection import select_k

    return select_k(
        prepared.Xs, k_values, estimator=base_estimator(algorithm, seed), criteria=criteria,
        random_state=seed, progress=progress,
    )  # fmt: skip


def show_progress(quiet):
    """Progress bars on standard error: only for a person watching a terminal."""
    return not quiet and sys.stderr.isatty()


def jsonable(value):
    """``value`` with numpy numbers and arrays turned into JSON's, NaN into null."""
    import numpy as np

    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def selection_summary(selection):
    """The selection's scores and picks, for JSON."""
    scores = {name: getattr(selection, name) for name in
              ("inertia", "silhouette", "gap", "gap_se", "calinski_harabasz", "davies_bouldin")}  # fmt: skip
    return jsonable({
        "k_values": selection.k_values,
        **{name: values for name, values in scores.items() if values is not None},
        "recommended": selection.recommended,
        "best_k": selection.best_k,
        "verdict": selection.verdict,
    })  # fmt: skip


def elbow_figure(selection):
    from ..plotting import ElbowDisplay

    figure, (ax,) = new_axes()
    ElbowDisplay.from_selection(selection, ax=ax)
    return figure


def criteria_figure(selection):
    """One small chart per computed score (silhouette, gap, CH, DB) with its pick marked, or None."""
    import numpy as np

    panels = [
        (name, title) for name, title in (
            ("silhouette", "mean silhouette (higher is better)"),
            ("gap", "gap statistic (1-SE rule)"),
            ("calinski_harabasz", "Calinski-Harabasz (higher is better)"),
            ("davies_bouldin", "Davies-Bouldin (lower is better)"),
        ) if getattr(selection, name) is not None
    ]  # fmt: skip
    if not panels:
        return None
    figure, axes = new_axes(width=3.4 * len(panels), height=3.2, ncols=len(panels))
    for ax, (name, title) in zip(axes, panels):
        values = getattr(selection, name)
        if name == "gap":
            ax.errorbar(selection.k_values, values, yerr=selection.gap_se, marker="o", color="black", capsize=3)
        else:
            ax.plot(selection.k_values, values, marker="o", color="black")
        pick = selection.recommended.get(name)
        if pick is not None:
            ax.axvline(pick, color="tab:red", linestyle="--")
        ax.set_title(f"{title}\npick: {'none' if pick is None else f'k = {pick}'}", fontsize="small")
        ax.set_xlabel("k")
        ax.set_xticks(selection.k_values[:: max(1, int(np.ceil(len(selection.k_values) / 10)))])
    return figure


def scores_table(selection):
    """(header, rows) of the selection's scores, one row per K."""
    frame = selection.to_frame()
    header = ["k", *frame.columns]
    return header, [[int(k), *(float(v) for v in row)] for k, row in zip(frame.index, frame.to_numpy())]


def data_report(title, data, prepared, scale, algorithm, seed):
    """A :class:`kmlab.report.Report` that starts with its provenance and a section on the data."""
    from ..report import Report

    report = Report(title)
    report.paragraph(provenance())
    report.heading("Data")
    report.bullets(data_bullets(data, prepared, scale, algorithm, seed))
    return report


def data_bullets(data, prepared, scale, algorithm, seed):
    n_dropped = int((~prepared.keep).sum())
    bullets = [
        f"`{data.name}`: {len(prepared.frame):,} rows"
        + (f", {n_dropped:,} left out for missing values" if n_dropped else ""),
        f"features ({len(prepared.features)}): {', '.join(prepared.features)}",
    ]
    if prepared.skipped:
        bullets.append(f"skipped (not numeric): {', '.join(prepared.skipped)}")
    bullets.append(f"scaling: {SCALERS[scale][1]}")
    bullets.append(f"algorithm: {ALGORITHMS[algorithm].split('.')[-1]} (seed {seed})")
    return bullets


# --- kmlab select-k --------------------------------------------------------------------------


@click.command("select-k")
@_data_options
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Also write scores.csv and report.md/report.html with the charts into this folder.")  # fmt: skip
def select_k_command(data, columns, k_range, scale, algorithm, criteria, seed, drop_missing, quiet, as_json, output):
    """Compare numbers of clusters K on DATA (CSV, TSV or Parquet) with every criterion.

    Prints each criterion per K (elbow, silhouette, gap statistic,
    Calinski-Harabasz, Davies-Bouldin), each one's pick, the recommendation and
    its verdict.
    """
    from ..selection import CRITERIA

    prepared = prepare(data, columns, scale, drop_missing)
    k_values = candidates(k_range, None, len(prepared.X))
    selection = run_selection(prepared, k_values, algorithm, criteria or CRITERIA, seed, show_progress(quiet))
    summary = {
        **data_summary(data, prepared, scale),
        "algorithm": algorithm,
        "seed": seed,
        "selection": selection_summary(selection),
    }
    if output is not None:
        with atomic_directory(output) as tmp:
            selection.to_frame().to_csv(tmp / "scores.csv")
            write_report(tmp, _selection_report(data, prepared, selection, scale, algorithm, seed))
        summary["outputs"] = {name: str(output / name) for name in ("scores.csv", "report.md", "report.html")}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    elif not quiet:
        click.echo(f"kmlab select-k: {data_line(data, prepared)}")
        click.echo(selection.summary())
        if output is not None:
            click.echo(f"wrote {output}/: scores.csv, report.md, report.html")


def _selection_report(data, prepared, selection, scale, algorithm, seed):
    report = data_report(f"Choosing K for {data.name}", data, prepared, scale, algorithm, seed)
    report.heading("Number of clusters")
    report.paragraph(f"Recommended: **K = {selection.best_k}**: {selection.verdict}.")
    report.table(*scores_table(selection))
    report.figure(elbow_figure(selection), "Inertia against K, with the elbow and the mean silhouette")
    figure = criteria_figure(selection)
    if figure is not None:
        report.figure(figure, "Each criterion against K; the dashed line is its pick")
    return report


# --- kmlab cluster ---------------------------------------------------------------------------


def _profile_records(profiles, features):
    """The rows of :func:`kmlab.profiles.cluster_profiles`'s frame as dicts, for JSON and the report.

    Each holds ``cluster``, ``size``, ``share``, ``mean``, ``median``, ``smd``
    (dicts feature -> value, for each of ``features``) and ``distinguishing``
    ((feature, smd) pairs).
    """
    from ..profiles import STATISTICS

    return [
        {"cluster": cluster, "size": int(row["size"]), "share": float(row["share"]),
         **{stat: {name: float(row[f"{name}_{stat}"]) for name in features} for stat in STATISTICS},
         "distinguishing": row["distinguishing"]}
        for cluster, row in profiles.iterrows()
    ]  # fmt: skip


def _distinguishing_text(distinguishing):
    return ", ".join(f"{name} {value:+.2f} sd" for name, value in distinguishing) or "—"


def centers_in_units(model, estimator, prepared):
    """The centres in the features' own units: medoids are rows of the data; means are unscaled."""
    import numpy as np

    medoids = getattr(estimator, "medoid_indices_", None)
    if medoids is not None:
        return prepared.X.to_numpy()[np.asarray(medoids)]
    centers = estimator.cluster_centers_
    return centers if prepared.scaler is None else prepared.scaler.inverse_transform(centers)


def principal_plane(Xs):
    """PCA of ``Xs`` onto its first two principal components, and axis labels with their shares of the variance."""
    from sklearn.decomposition import PCA

    projection = PCA(n_components=2, random_state=0).fit(Xs)
    share = projection.explained_variance_ratio_
    return projection, (f"PC1 ({share[0]:.0%} of the variance)", f"PC2 ({share[1]:.0%} of the variance)")


def cluster_view_figure(prepared, labels, centers_scaled, seed):
    """The clusters in the plane: the two features, or the first two principal components of the scaled ones."""
    import numpy as np

    from ..plotting import ClusterDisplay

    n_features = prepared.Xs.shape[1]
    if n_features < 2:
        return None
    rng = np.random.default_rng(seed)
    n = len(labels)
    sample = np.sort(rng.choice(n, PLOT_MAX_ROWS, replace=False)) if n > PLOT_MAX_ROWS else slice(None)
    unscaled = prepared.scaler is None
    if n_features == 2:
        points = (prepared.X.to_numpy() if unscaled else prepared.Xs)[sample]
        centers = centers_scaled
        axis_labels = tuple(name if unscaled else f"{name} (scaled)" for name in prepared.features)
        title = None
    else:
        projection, axis_labels = principal_plane(prepared.Xs)
        points = projection.transform(prepared.Xs[sample])
        centers = None if centers_scaled is None else projection.transform(centers_scaled)
        title = f"{int(labels.max()) + 1} clusters: the first two principal components of {n_features} features"
    figure, (ax,) = new_axes()
    ClusterDisplay(points, labels[sample], centers=centers, axis_labels=axis_labels, title=title).plot(ax=ax)
    return figure


def silhouette_figure(prepared, labels, seed):
    import numpy as np

    from ..plotting import SilhouetteDisplay

    rng = np.random.default_rng(seed)
    n = len(labels)
    sample = np.sort(rng.choice(n, PLOT_MAX_ROWS, replace=False)) if n > PLOT_MAX_ROWS else np.arange(n)
    if not 2 <= np.unique(labels[sample]).size <= sample.size - 1:
        return None
    figure, (ax,) = new_axes()
    SilhouetteDisplay.from_predictions(prepared.Xs[sample], labels[sample], ax=ax)
    return figure


def build_model(prepared, estimator):
    """The model file's content: Pipeline(scaler, clusterer), or the clusterer alone."""
    import numpy as np
    from sklearn.pipeline import make_pipeline

    if prepared.scaler is None:
        # select_k fitted on the array; the names make predict check the columns, as a fit on the table would.
        estimator.feature_names_in_ = np.asarray(prepared.features, dtype=object)
        return estimator
    return make_pipeline(prepared.scaler, estimator)


@click.command("cluster")
@_data_options
@k_option()
@output_folder_option
def cluster_command(data, columns, k_range, scale, algorithm, criteria, seed, drop_missing, quiet, as_json, k, output):
    """Cluster the rows of DATA (CSV, TSV or Parquet) and explain the clusters.

    Writes into OUTPUT: the rows with a `cluster` column, the centres in the
    features' units, a profile of each cluster, report.md and report.html with
    the charts, model.kmlab (for `kmlab predict` and `kmlab serve`) and
    summary.json.
    """
    import numpy as np

    from ..io import save, table_format, write_table
    from ..profiles import cluster_profiles
    from ..selection import CRITERIA

    kind = table_format(data)
    prepared = prepare(data, columns, scale, drop_missing)
    k_values = candidates(k_range, k, len(prepared.X))
    # A given K still gets the elbow and silhouette curves: the report shows whether the data agrees.
    criteria = criteria or (CRITERIA if k is None else ("elbow", "silhouette"))
    selection = run_selection(prepared, k_values, algorithm, criteria, seed, show_progress(quiet))
    chosen = k if k is not None else selection.best_k
    if chosen is None:
        raise CommandError(f"no criterion picked a number of clusters ({selection.verdict}); pass --k N")
    estimator = selection.estimators[list(selection.k_values).index(chosen)]
    model = build_model(prepared, estimator)
    # predict, as `kmlab predict` will: the rows file and the model agree by construction.
    labels = np.asarray(model.predict(prepared.X))
    centers = centers_in_units(model, estimator, prepared)
    profiles = cluster_profiles(prepared.X, labels, n_clusters=chosen, n_distinguishing=TOP_FEATURES)
    profile = _profile_records(profiles, prepared.features)

    rows = with_clusters(prepared.frame, labels, prepared.keep)
    rows_name = f"rows.{'csv' if kind == 'csv' else kind}"
    names = [rows_name, "centers.csv", "profile.csv", "report.md", "report.html", "model.kmlab", "summary.json"]
    summary = {
        **data_summary(data, prepared, scale),
        "algorithm": algorithm,
        "seed": seed,
        "k": chosen,
        "k_chosen_by": "auto" if k is None else "user",
        "selection": selection_summary(selection),
        "clusters": jsonable([
            {**entry, "center": dict(zip(prepared.features, center)),
             "distinguishing": [{"feature": name, "smd": value} for name, value in entry["distinguishing"]]}
            for entry, center in zip(profile, centers)
        ]),
        "outputs": {name: str(output / name) for name in names},
    }  # fmt: skip

    with atomic_directory(output) as tmp:
        write_table(rows, tmp / rows_name, kind)
        _centers_frame(prepared.features, centers).to_csv(tmp / "centers.csv", index=False)
        texts = profiles["distinguishing"].map(_distinguishing_text)
        profiles.assign(distinguishing=texts).reset_index().to_csv(tmp / "profile.csv", index=False)
        report = _cluster_report(data, prepared, selection, chosen, k is None, estimator, labels, centers, profile,
                                 scale, algorithm, seed, rows_name)  # fmt: skip
        save(model, tmp / "model.kmlab")
        write_report(tmp, report, summary)

    if as_json:
        click.echo(json.dumps(summary, indent=2))
    elif not quiet:
        how = selection.verdict if k is None else f"given with --k; select_k says: {selection.verdict}"
        click.echo(f"kmlab cluster: {data_line(data, prepared)}")
        click.echo(f"K = {chosen} ({how})")
        click.echo(f"{'cluster':>7}  {'size':>8}  {'share':>6}  distinguishing features")
        for entry in profile:
            click.echo(
                f"{entry['cluster']:>7}  {entry['size']:>8,}  {entry['share']:>6.1%}  "
                f"{_distinguishing_text(entry['distinguishing'])}"
            )
        click.echo(f"wrote {output}/: {', '.join(names)}")


def with_clusters(frame, labels, keep):
    """``frame`` with a ``cluster`` column: ``labels`` on the kept rows, empty on the others."""
    import pandas as pd

    rows = frame.copy()
    if keep.all():
        rows["cluster"] = labels
    else:
        column = pd.Series(pd.NA, index=rows.index, dtype="Int64")
        column[keep] = labels
        rows["cluster"] = column
    return rows


def _centers_frame(features, centers):
    import pandas as pd

    frame = pd.DataFrame(centers, columns=features)
    frame.insert(0, "cluster", range(len(frame)))
    return frame


def _cluster_report(data, prepared, selection, chosen, auto, estimator, labels, centers, profile, scale, algorithm,
                    seed, rows_name):  # fmt: skip
    report = data_report(f"Clusters of {data.name}", data, prepared, scale, algorithm, seed)

    report.heading("Number of clusters")
    if auto:
        report.paragraph(f"**K = {chosen}**, chosen by `select_k`: {selection.verdict}.")
    else:
        report.paragraph(f"**K = {chosen}**, given with `--k`. For comparison, `select_k` says: {selection.verdict}.")
    report.table(*scores_table(selection))
    report.figure(elbow_figure(selection), "Inertia against K, with the elbow and the mean silhouette")
    figure = criteria_figure(selection) if auto else None
    if figure is not None:
        report.figure(figure, "Each criterion against K; the dashed line is its pick")

    report.heading("Clusters")
    report.paragraph(
        "Distinguishing features: how far the cluster's mean is from the overall mean, in overall standard "
        "deviations (sd)."
    )
    report.table(
        ["cluster", "size", "share", "distinguishing features"],
        [[entry["cluster"], entry["size"], f"{entry['share']:.1%}", _distinguishing_text(entry["distinguishing"])]
         for entry in profile],
    )
    kind = "Medoids (rows of the data)" if hasattr(estimator, "medoid_indices_") else "Centres"
    report.heading(f"{kind}, in the features' units", level=3)
    report.table(["cluster", *prepared.features], [[i, *row] for i, row in enumerate(centers.tolist())])
    report.heading("Means and medians per cluster", level=3)
    report.table(
        ["cluster", "statistic", *prepared.features],
        [[entry["cluster"], stat, *entry[stat].values()] for entry in profile for stat in ("mean", "median")],
    )
    figure = cluster_view_figure(prepared, labels, getattr(estimator, "cluster_centers_", None), seed)
    if figure is not None:
        report.figure(figure, "The clusters in the plane, with their centres")
    figure = silhouette_figure(prepared, labels, seed)
    if figure is not None:
        report.figure(figure, "Silhouette of each row, per cluster: long bars fit their cluster well")

    report.heading("Files")
    report.bullets([
        f"`{rows_name}`: the input rows with a `cluster` column"
        + (" (empty for the rows left out)" if not prepared.keep.all() else ""),
        "`centers.csv`: the centres in the features' units",
        "`profile.csv`: size, share, mean, median and standardized mean difference of each feature, per cluster",
        "`model.kmlab`: the model (scaler and centres); assign new rows with "
        "`kmlab predict model.kmlab NEW.csv -o assigned.csv` or serve it with `kmlab serve model.kmlab`",
        "`summary.json`: this report's numbers, for programs",
    ])  # fmt: skip
    return report
