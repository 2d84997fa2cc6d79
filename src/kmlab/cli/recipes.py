"""The recipe commands: ``kmlab quantize`` (an image's colours), ``kmlab docs`` (documents by topic) and
``kmlab anomalies`` (the rows that fit no cluster).

Each is a thin layer over :mod:`kmlab.recipes`: it reads the files, calls the
recipe and writes the results (``docs`` and ``anomalies`` all at once into an
output folder, with a report in Markdown and HTML).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import click

from ._common import (
    CommandError,
    atomic_directory,
    atomic_file,
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
from .cluster import (
    PLOT_MAX_ROWS,
    data_argument,
    data_report,
    drop_missing_option,
    elbow_figure,
    jsonable,
    prepare,
    principal_plane,
    scale_option,
    scores_table,
    selection_summary,
    show_progress,
    with_clusters,
)

# Largest side of the side-by-side preview, in pixels.
PREVIEW_SIDE = 1600


def _load_image(path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except FileNotFoundError:
        raise CommandError(f"no such image: {path}") from None
    except (UnidentifiedImageError, OSError) as error:
        raise CommandError(f"cannot read {path} as an image ({error})") from None


def _image_format(path):
    """PIL's name of the format ``path``'s suffix names."""
    from PIL import Image

    image_format = Image.registered_extensions().get(Path(path).suffix.lower())
    if image_format is None:
        raise CommandError(f"unknown image format {Path(path).suffix!r} for {path}; use .png, .jpg, .gif, .webp, ...")
    return image_format


def _save_image(image, path):
    """Save a PIL image to ``path`` all at once, in the format its suffix names."""
    image_format = _image_format(path)
    options = {"compress_level": 1} if image_format == "PNG" else {}
    with atomic_file(path) as tmp:
        image.save(tmp, format=image_format, **options)


# Formats that store palette images (smaller, faster to write than RGB).
PALETTE_FORMATS = {"PNG", "GIF", "BMP", "TIFF"}


def _as_pil(result, image_format):
    """The quantized image, as a palette image where the format allows it."""
    from PIL import Image

    if result.palette.shape[0] > 256 or image_format not in PALETTE_FORMATS:
        return Image.fromarray(result.image)
    image = Image.fromarray(result.indices, mode="P")
    image.putpalette(result.palette.ravel().tolist())
    return image


def _preview(original, quantized):
    """Original and quantized side by side, scaled to at most PREVIEW_SIDE pixels wide."""
    from PIL import Image

    width, height = original.size
    scale = min(1.0, PREVIEW_SIDE / (2 * width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    canvas = Image.new("RGB", (2 * size[0], size[1]), "white")
    canvas.paste(original.resize(size), (0, 0))
    canvas.paste(quantized.convert("RGB").resize(size, Image.NEAREST), (size[0], 0))
    return canvas


@click.command("quantize")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--colors", "n_colors", type=click.IntRange(1, 65536), required=True, help="Colours of the palette.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output image; its suffix picks the format (.png, .jpg, .gif, ...).")  # fmt: skip
@click.option("--dither", is_flag=True, help="Floyd-Steinberg error diffusion (smoother gradients).")
@click.option("--color-space", type=click.Choice(["rgb", "lab"]), default="rgb", show_default=True,
              help="Where colour distances are measured.")  # fmt: skip
@click.option("--preview", is_flag=True, help="Also write OUTPUT-preview.png: original and result side by side.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the k-means++ seeding.")
@click.option("--quiet", is_flag=True, help="Print nothing.")
def quantize_command(image, n_colors, output, dither, color_space, preview, seed, quiet):
    """Reduce IMAGE to a palette of N colours with K-Means.

    K-Means runs on the image's distinct colours weighted by their pixel counts
    (the same result as on every pixel, much faster); prints the palette.
    """
    import numpy as np

    from ..recipes import quantize

    image_format = _image_format(output)
    original = _load_image(image)
    result = quantize(np.asarray(original), n_colors, color_space=color_space, dither=dither, random_state=seed)
    quantized = _as_pil(result, image_format)
    _save_image(quantized, output)
    if preview:
        _save_image(_preview(original, quantized), output.with_name(f"{output.stem}-preview.png"))
    if not quiet:
        click.echo(
            f"{output}: {result.palette.shape[0]} colours "
            f"(from {result.n_unique_colors} distinct in {image}, {original.size[0]}x{original.size[1]} pixels)"
        )
        for color, share in zip(result.hex_palette(), result.shares):
            click.echo(f"  {color}  {100 * share:5.1f}%")


# --- kmlab docs ------------------------------------------------------------------------------

# Files a folder corpus is made of.
TEXT_SUFFIXES = (".txt", ".md")
# Characters of a document shown in the report.
SNIPPET_CHARS = 160
# Documents without terms listed by name in the report.
EMPTY_LISTED = 20
EMPTY_NOTE = "no terms: empty, or only stop words and rare words; in no cluster"


@dataclass
class Corpus:
    """Documents read from a folder or a table column."""

    texts: list
    ids: list  # relative file paths, or row numbers counted from 1 after the header
    id_name: str  # "file" or "row"
    source: str  # where the texts come from, in words


def _text_column(frame, name, path):
    """The column holding the texts: ``name``, or the first column of strings."""
    import pandas as pd

    columns = [str(column) for column in frame.columns]
    if name is not None:
        if name not in columns:
            raise CommandError(f"no column named {name!r} in {path}; the columns are {columns}")
        if pd.api.types.infer_dtype(frame[name], skipna=True) not in ("string", "empty"):
            raise CommandError(f"column {name!r} of {path} does not hold text (dtype {frame[name].dtype}); pick a text column")
        return name, f"column `{name}` of `{path.name}`"
    text_columns = [column for column in columns if pd.api.types.infer_dtype(frame[column], skipna=True) == "string"]
    if not text_columns:
        raise CommandError(f"{path} has no text column (columns: {', '.join(columns)}); name one with --text-column")
    chosen = text_columns[0]
    others = f" (the first of the text columns {', '.join(text_columns)}; pick another with --text-column)"
    return chosen, f"column `{chosen}` of `{path.name}`" + (others if len(text_columns) > 1 else "")


def read_corpus(path, text_column=None):
    """The documents of ``path``: every .txt/.md file under a folder, or a text column of a table."""
    if not path.exists():
        raise CommandError(f"no such file or folder: {path}")
    if path.is_dir():
        if text_column is not None:
            raise CommandError(f"--text-column names a column of a table, but {path} is a folder")
        files = sorted(
            file for file in path.rglob("*")
            if file.is_file() and file.suffix.lower() in TEXT_SUFFIXES
            and not any(part.startswith(".") for part in file.relative_to(path).parts)
        )  # fmt: skip
        if not files:
            raise CommandError(f"no {' or '.join(TEXT_SUFFIXES)} files in {path}")
        texts = [file.read_text(encoding="utf-8", errors="replace") for file in files]
        ids = [file.relative_to(path).as_posix() for file in files]
        return Corpus(texts, ids, "file", f"{len(files):,} {'/'.join(TEXT_SUFFIXES)} files under `{path.name}/`")
    from ..io import read_table

    frame = read_table(path)
    column, source = _text_column(frame, text_column, path)
    texts = ["" if value is None or value != value else str(value) for value in frame[column].tolist()]
    return Corpus(texts, list(range(1, len(texts) + 1)), "row", source)


def snippet(text, limit=SNIPPET_CHARS):
    """The start of ``text`` on one line, cut at a word with an ellipsis when longer than ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut + " …"


def _documents_frame(corpus, result):
    import pandas as pd

    clustered = result.labels >= 0
    cluster = pd.Series(result.labels, dtype="Int64").where(clustered, pd.NA)
    return pd.DataFrame({
        corpus.id_name: corpus.ids,
        "cluster": cluster,
        "similarity": result.similarity.round(6),
        "note": ["" if ok else EMPTY_NOTE for ok in clustered],
    })  # fmt: skip


def _clusters_frame(result):
    import pandas as pd

    return pd.DataFrame({
        "cluster": range(result.n_clusters),
        "size": result.sizes,
        "top_terms": [", ".join(terms) for terms in result.top_terms],
    })  # fmt: skip


def _number_of_clusters(report, result, auto, caption):
    """The report's section on K: chosen by ``select_k`` (its scores and elbow chart) or given with ``--k``."""
    report.heading("Number of clusters")
    if not auto:
        report.paragraph(f"**K = {result.n_clusters}**, given with `--k`.")
        return
    report.paragraph(f"**K = {result.n_clusters}**, chosen by `select_k`: {result.selection.verdict}.")
    report.table(*scores_table(result.selection))
    report.figure(elbow_figure(result.selection), caption)


def _docs_report(path, corpus, result, auto, seed):
    from ..report import Report

    n_empty = int((result.labels < 0).sum())
    report = Report(f"Topics of {path.name}")
    report.paragraph(provenance())
    report.heading("Documents")
    vectorizer = result.vectorizer
    report.bullets([
        f"{len(corpus.texts):,} documents: {corpus.source}",
        f"{n_empty:,} without any term (empty, or only stop words and rare words): in no cluster"
        if n_empty else "every document has terms",
        f"vocabulary: {len(vectorizer.vocabulary_):,} terms; TF-IDF with English stop words removed, "
        f"sublinear term frequency, terms in at least {vectorizer.min_df} documents and at most "
        f"{vectorizer.max_df:.0%} of them",
        f"clustering: SphericalKMeans (cosine similarity), 3 k-means++ seedings per fit, seed {seed}",
    ])  # fmt: skip

    _number_of_clusters(
        report, result, auto, "Cosine distance sum against K, with the elbow and the mean cosine silhouette"
    )

    report.heading("Clusters")
    report.paragraph(
        "Top terms: the largest weights of the cluster's centre (its mean TF-IDF direction). Representative "
        "documents: the cluster's documents most similar to its centre (cosine similarity, 1 = same direction)."
    )
    report.table(
        ["cluster", "size", "top terms"],
        [[j, int(size), ", ".join(terms)] for j, (size, terms) in enumerate(zip(result.sizes, result.top_terms))],
    )
    for j, (terms, members) in enumerate(zip(result.top_terms, result.representatives)):
        report.heading(f"Cluster {j}: {', '.join(terms[:3])} ({int(result.sizes[j]):,} documents)", level=3)
        report.paragraph(f"Top terms: {', '.join(terms)}.")
        report.table(
            [corpus.id_name, "similarity", "beginning"],
            [[str(corpus.ids[i]), float(result.similarity[i]), snippet(corpus.texts[i])] for i in members],
        )
    if n_empty:
        report.heading("Documents without terms")
        empty = [str(corpus.ids[i]) for i in (result.labels < 0).nonzero()[0]]
        more = f" and {len(empty) - EMPTY_LISTED:,} more" if len(empty) > EMPTY_LISTED else ""
        report.paragraph(
            f"Listed in `documents.csv` with an empty `cluster` and a note: {', '.join(empty[:EMPTY_LISTED])}{more}."
        )

    report.heading("Files")
    which = "file path under the folder" if corpus.id_name == "file" else "row number, counted from 1 after the header"
    report.bullets([
        f"`documents.csv`: each document's `{corpus.id_name}` ({which}), `cluster`, `similarity` to its "
        "cluster's centre, and a `note` for the documents in no cluster",
        "`clusters.csv`: each cluster's size and top terms",
        "`summary.json`: this report's numbers, for programs",
    ])  # fmt: skip
    return report


@click.command("docs")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--text-column", metavar="COL",
              help="The column holding the texts when PATH is a table (default: its first text column).")
@k_option("Number of clusters, or 'auto' to choose it over --k-range (elbow and silhouette).")
@k_range_option("2..12")
@seed_option
@output_folder_option
@quiet_option
@json_option
def docs_command(path, text_column, k, k_range, seed, output, quiet, as_json):
    """Group documents by topic: TF-IDF and spherical (cosine) K-Means.

    PATH is a folder (every .txt and .md file under it is a document, named by
    its path) or a CSV, TSV or Parquet table with a text column. Terms are
    weighted by TF-IDF (English stop words removed; a term must appear in at
    least 2 documents and in at most 90% of them). Writes into OUTPUT:
    documents.csv (each document's cluster and similarity to the cluster's
    centre; documents without any term are in no cluster, with a note),
    clusters.csv (sizes, top terms), report.md and report.html (top terms and
    the most representative documents of each cluster) and summary.json.
    """
    from ..recipes import cluster_documents

    corpus = read_corpus(path, text_column)
    if not any(text.strip() for text in corpus.texts):
        raise CommandError(f"all {len(corpus.texts):,} documents of {path} are empty")
    result = cluster_documents(
        corpus.texts, "auto" if k is None else k, k_range=k_range, random_state=seed, progress=show_progress(quiet)
    )
    n_empty = int((result.labels < 0).sum())
    names = ["documents.csv", "clusters.csv", "report.md", "report.html", "summary.json"]
    summary = jsonable({
        "data": str(path),
        "source": corpus.source.replace("`", ""),
        "n_documents": len(corpus.texts),
        "n_without_terms": n_empty,
        "vocabulary_size": len(result.vectorizer.vocabulary_),
        "seed": seed,
        "k": result.n_clusters,
        "k_chosen_by": "auto" if k is None else "user",
        **({"selection": selection_summary(result.selection)} if result.selection is not None else {}),
        "clusters": [
            {"cluster": j, "size": result.sizes[j], "top_terms": terms,
             "representatives": [{corpus.id_name: corpus.ids[i], "similarity": result.similarity[i]} for i in members]}
            for j, (terms, members) in enumerate(zip(result.top_terms, result.representatives))
        ],
        "outputs": {name: str(output / name) for name in names},
    })  # fmt: skip

    with atomic_directory(output) as tmp:
        _documents_frame(corpus, result).to_csv(tmp / "documents.csv", index=False)
        _clusters_frame(result).to_csv(tmp / "clusters.csv", index=False)
        write_report(tmp, _docs_report(path, corpus, result, k is None, seed), summary)

    if as_json:
        click.echo(json.dumps(summary, indent=2))
    elif not quiet:
        click.echo(f"kmlab docs: {len(corpus.texts):,} documents: {corpus.source.replace('`', '')}; "
                   f"vocabulary of {len(result.vectorizer.vocabulary_):,} terms")  # fmt: skip
        if n_empty:
            click.echo(f"{n_empty:,} documents have no terms (empty, or only stop words and rare words): in no cluster")
        how = result.selection.verdict if k is None else "given with --k"
        click.echo(f"K = {result.n_clusters} ({how})")
        click.echo(f"{'cluster':>7}  {'size':>6}  top terms")
        for j, terms in enumerate(result.top_terms):
            click.echo(f"{j:>7}  {int(result.sizes[j]):>6,}  {', '.join(terms)}")
        click.echo(f"wrote {output}/: {', '.join(names)}")


# --- kmlab anomalies -------------------------------------------------------------------------

# Most anomalous rows listed in the report and on the terminal.
TOP_ROWS = 10


def _scaled(prepared, result):
    """The features as the clustering saw them."""
    model = result.model
    return prepared.X.to_numpy() if not hasattr(model, "steps") else model[:-1].transform(prepared.X.to_numpy())


def _anomaly_view_figure(Xs, result, features, scaled, seed):
    """The rows in the plane (the two features, or two principal components), the anomalies ringed; or None."""
    import numpy as np

    from ..plotting import ClusterDisplay

    if Xs.shape[1] < 2:
        return None
    rng = np.random.default_rng(seed)
    inliers = np.flatnonzero(~result.is_anomaly)
    if inliers.size > PLOT_MAX_ROWS:
        inliers = np.sort(rng.choice(inliers, PLOT_MAX_ROWS, replace=False))
    if Xs.shape[1] == 2:
        points = Xs
        axis_labels = tuple(f"{name} (scaled)" if scaled else name for name in features)
    else:
        projection, axis_labels = principal_plane(Xs)
        points = projection.transform(Xs)
    figure, (ax,) = new_axes()
    title = f"{result.n_clusters} clusters; {int(result.is_anomaly.sum()):,} anomalies ringed in red"
    ClusterDisplay(points[inliers], result.labels[inliers], axis_labels=axis_labels, title=title).plot(ax=ax)
    flagged = result.is_anomaly
    ax.scatter(points[flagged, 0], points[flagged, 1], s=60, facecolors="none", edgecolors="red", linewidths=1.5,
               zorder=4, label="anomalies")  # fmt: skip
    ax.legend(loc="best", fontsize="small")
    return figure


def _score_figure(result):
    """Histogram of the scores with the threshold."""
    figure, (ax,) = new_axes(height=3.4)
    ax.hist(result.scores, bins=60, color="0.5")
    ax.axvline(result.threshold, color="tab:red", linestyle="--", label=f"threshold {result.threshold:.3g}")
    ax.set_yscale("log")
    ax.set_xlabel("score: distance to the nearest centre, in that cluster's spreads")
    ax.set_ylabel("rows")
    ax.legend(loc="best", fontsize="small")
    return figure


def _anomalies_report(data, prepared, result, auto, scale, contamination, seed, top, rows_name):
    n_used = len(prepared.X)
    n_flagged = int(result.is_anomaly.sum())
    report = data_report(f"Anomalies in {data.name}", data, prepared, scale, "kmeans", seed)
    _number_of_clusters(report, result, auto, "Inertia against K, with the elbow and the mean silhouette")

    report.heading("Anomalies")
    report.paragraph(
        f"**{n_flagged:,} of {n_used:,} rows flagged** (contamination {contamination:g}): their score is above "
        f"{result.threshold:.3g}. A row's score is its distance to the nearest cluster centre divided by that "
        "cluster's spread (the root mean square distance of its rows to the centre): 3 means three spreads out, "
        "whether the cluster is tight or wide."
    )
    report.heading(f"The {len(top)} most anomalous rows", level=3)
    report.table(
        ["row", "score", "cluster", *prepared.features],
        [[str(row), float(result.scores[i]), int(result.labels[i]), *prepared.X.iloc[i].tolist()] for row, i in top],
    )
    report.heading("Clusters", level=3)
    unit = "the scaled features' units" if scale != "none" else "the features' units"
    report.paragraph(f"Spread: root mean square distance of the cluster's rows to its centre, in {unit}.")
    report.table(
        ["cluster", "size", "spread", "flagged", "highest score"],
        [
            [j, int(members.sum()), float(result.spread[j]), int((members & result.is_anomaly).sum()),
             float(result.scores[members].max()) if members.any() else float("nan")]
            for j, members in ((j, result.labels == j) for j in range(result.n_clusters))
        ],
    )  # fmt: skip
    figure = _anomaly_view_figure(_scaled(prepared, result), result, prepared.features, scale != "none", seed)
    if figure is not None:
        report.figure(figure, "The rows in the plane, coloured by cluster, with the anomalies ringed")
    report.figure(_score_figure(result), "How many rows have each score; right of the dashed line: flagged")

    report.heading("Files")
    report.bullets([
        f"`{rows_name}`: the input rows with `cluster`, `score` and `is_anomaly` columns"
        + (" (empty for the rows left out)" if not prepared.keep.all() else ""),
        "`summary.json`: this report's numbers, for programs",
    ])  # fmt: skip
    return report


@click.command("anomalies")
@data_argument
@click.option("--columns", callback=parse_names, metavar="A,B,...",
              help="Columns to use (default: every numeric column).")  # fmt: skip
@k_option()
@k_range_option("2..10")
@click.option("--contamination", type=click.FloatRange(0, 0.5, min_open=True), default=0.01, show_default=True,
              help="Fraction of the rows to flag.")  # fmt: skip
@scale_option
@seed_option
@drop_missing_option
@output_folder_option
@quiet_option
@json_option
def anomalies_command(data, columns, k, k_range, contamination, scale, seed, drop_missing, output, quiet, as_json):
    """Flag the rows of DATA (CSV, TSV or Parquet) that fit no cluster.

    The numeric columns are scaled and clustered with K-Means; each row's score
    is its distance to the nearest centre in units of that cluster's spread
    (higher = more anomalous), and the --contamination fraction of highest
    scores is flagged. Writes into OUTPUT: the rows with `cluster`, `score`
    and `is_anomaly` columns, report.md and report.html (the most anomalous
    rows, each cluster's spread, charts) and summary.json.
    """
    import numpy as np
    import pandas as pd

    from ..io import table_format, write_table
    from ..recipes import find_anomalies

    kind = table_format(data)
    # The recipe scales the features itself.
    prepared = prepare(data, columns, "none", drop_missing)
    result = find_anomalies(
        prepared.X, "auto" if k is None else k, contamination=contamination, scale=None if scale == "none" else scale,
        k_range=k_range, random_state=seed, progress=show_progress(quiet),
    )  # fmt: skip
    row_numbers = np.flatnonzero(prepared.keep) + 1  # counted from 1 after the header
    order = np.argsort(-result.scores, kind="stable")[:TOP_ROWS]
    top = [(int(row_numbers[i]), int(i)) for i in order]

    rows = with_clusters(prepared.frame, result.labels, prepared.keep)
    rows["score"] = np.nan
    rows.loc[prepared.keep, "score"] = result.scores
    rows["is_anomaly"] = pd.Series(pd.NA, index=rows.index, dtype="boolean")
    rows.loc[prepared.keep, "is_anomaly"] = result.is_anomaly
    rows_name = f"rows.{'csv' if kind == 'csv' else kind}"
    names = [rows_name, "report.md", "report.html", "summary.json"]
    summary = jsonable({
        **data_summary(data, prepared, scale),
        "seed": seed,
        "k": result.n_clusters,
        "k_chosen_by": "auto" if k is None else "user",
        **({"selection": selection_summary(result.selection)} if result.selection is not None else {}),
        "contamination": contamination,
        "threshold": result.threshold,
        "n_anomalies": int(result.is_anomaly.sum()),
        "clusters": [
            {"cluster": j, "size": int((result.labels == j).sum()), "spread": result.spread[j],
             "n_anomalies": int((result.is_anomaly & (result.labels == j)).sum())}
            for j in range(result.n_clusters)
        ],
        "most_anomalous": [{"row": row, "score": result.scores[i], "cluster": result.labels[i]} for row, i in top],
        "outputs": {name: str(output / name) for name in names},
    })  # fmt: skip

    with atomic_directory(output) as tmp:
        write_table(rows, tmp / rows_name, kind)
        report = _anomalies_report(data, prepared, result, k is None, scale, contamination, seed, top, rows_name)
        write_report(tmp, report, summary)

    if as_json:
        click.echo(json.dumps(summary, indent=2))
    elif not quiet:
        click.echo(f"kmlab anomalies: {data_line(data, prepared)}")
        how = result.selection.verdict if k is None else "given with --k"
        click.echo(f"K = {result.n_clusters} ({how})")
        click.echo(f"flagged {int(result.is_anomaly.sum()):,} of {len(prepared.X):,} rows "
                   f"(score above {result.threshold:.3g} cluster spreads); the most anomalous:")  # fmt: skip
        click.echo(f"{'row':>8}  {'score':>8}  cluster")
        for row, i in top:
            click.echo(f"{row:>8}  {result.scores[i]:>8.3g}  {result.labels[i]:>7}")
        click.echo(f"wrote {output}/: {', '.join(names)}")
