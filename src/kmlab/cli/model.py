"""``kmlab predict`` (assign the rows of a table with a saved model) and ``kmlab serve`` (over HTTP)."""

import json
from pathlib import Path

import click

from ._common import CommandError, atomic_file

_MODEL = click.argument("model", type=click.Path(dir_okay=False, path_type=Path))


@click.command("predict")
@_MODEL
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The rows with a `cluster` column: .csv, .tsv or .parquet.")
@click.option("--drop-missing", is_flag=True,
              help="Leave the rows with missing values without a cluster (default: refuse them).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary (JSON) on stdout.")
def predict_command(model, data, output, drop_missing, quiet, as_json):  # fmt: skip
    """Assign each row of DATA to a cluster of MODEL (a .kmlab file from `kmlab cluster`).

    The model finds its columns by name and applies its own scaling: DATA holds
    raw rows, like the table the model was made from.
    """
    import numpy as np

    from ..io import feature_columns, load_with_metadata, read_table, table_format, write_table
    from .cluster import complete_rows, with_clusters

    kind = table_format(output)
    fitted, metadata = load_with_metadata(model)
    frame = read_table(data)
    names = metadata["feature_names"]
    n_features = metadata["n_features_in"]
    try:
        features, _ = feature_columns(frame, names)
    except ValueError as error:
        raise CommandError(f"{data} does not fit the model {model.name}: {error}") from None
    if names is None and len(features) != n_features:
        raise CommandError(
            f"{data} has {len(features)} numeric columns ({', '.join(features)}); the model {model.name} "
            f"takes {n_features}"
        )
    values = frame[features]
    keep = complete_rows(values, drop_missing)
    X = values[keep].astype("float64")
    # A model fitted on an array takes the values alone (with names, scikit-learn would warn).
    labels = np.asarray(fitted.predict(X if names is not None else X.to_numpy())) if keep.any() else np.empty(0, int)
    rows = with_clusters(frame, labels, keep)
    with atomic_file(output) as tmp:
        write_table(rows, tmp, kind)

    clusterer = fitted[-1] if hasattr(fitted, "steps") else fitted
    sizes = np.bincount(labels, minlength=len(clusterer.cluster_centers_)).tolist()
    summary = {
        "model": str(model),
        "data": str(data),
        "output": str(output),
        "n_rows": len(frame),
        "n_rows_assigned": int(keep.sum()),
        "cluster_sizes": sizes,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    elif not quiet:
        left_out = f", {len(frame) - int(keep.sum()):,} left out for missing values" if not keep.all() else ""
        click.echo(f"kmlab predict: {int(keep.sum()):,} of {len(frame):,} rows assigned{left_out}; cluster sizes {sizes}")
        click.echo(f"wrote {output}")


@click.command("serve")
@_MODEL
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free port).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info",
              show_default=True, help="uvicorn's log level.")
@click.option("--access-log", is_flag=True, help="Log every request (slower).")
def serve_command(model, host, port, log_level, access_log):  # fmt: skip
    """Serve MODEL (a .kmlab file) over HTTP: POST /predict, GET /model, GET /health, docs at /docs.

    POST /predict takes JSON {"rows": [[...], ...]} (lists in the model's
    column order, or records with the column names) or CSV with a header
    (Content-Type: text/csv) and answers {"clusters": [...], "distances": [...]}.
    """
    from ..serve import bind, create_app, run

    app = create_app(model)
    try:
        sock = bind(host, port)
    except OSError as error:
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    bound = sock.getsockname()[1]
    url = f"http://{host}:{bound}"
    click.echo(f"kmlab serve: {model.name} on {url} (API docs: {url}/docs); Ctrl+C stops")
    run(app, sock, log_level=log_level, access_log=access_log)
