"""What the commands share: the error type, options, all-or-nothing output files, report pieces."""

import contextlib
import datetime
import json
import os
import shutil
import tempfile
from pathlib import Path

import click

from .. import __version__


class CommandError(Exception):
    """A problem with the user's data or files: reported in one line, exit code 1."""


# --- options -----------------------------------------------------------------------------------


def parse_k(ctx, param, value):
    """``--k``: a number of clusters, or None for 'auto'."""
    if value.strip().lower() == "auto":
        return None
    try:
        k = int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a number of clusters nor 'auto'") from None
    if k < 1:
        raise click.BadParameter(f"{k} clusters: pass a number >= 1 or 'auto'")
    return k


def parse_k_range(ctx, param, value):
    """``--k-range``: 'FIRST..LAST' or a list 'A,B,...', as the sorted distinct numbers of clusters."""
    text = value.strip()
    try:
        if ".." in text:
            low, high = (int(part) for part in text.split(".."))
            values = list(range(low, high + 1))
        else:
            values = [int(part) for part in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{value!r}: write 'FIRST..LAST' (e.g. 2..10) or a list (e.g. 2,4,8)") from None
    if len(set(values)) < 2 or min(values) < 1:
        raise click.BadParameter(f"{value!r}: give at least two different numbers of clusters, each >= 1")
    return sorted(set(values))


def parse_names(ctx, param, value):
    """A comma-separated list of names (``--columns``), or None when the option is not given."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise click.BadParameter("name at least one column, e.g. --columns income,age")
    return names


def k_option(help="Number of clusters, or 'auto' to choose it over --k-range."):
    """``--k N|auto``, parsed by :func:`parse_k`."""
    return click.option("--k", "k", default="auto", show_default=True, callback=parse_k, metavar="N|auto", help=help)


def k_range_option(default):
    """``--k-range FIRST..LAST`` with its ``default``, parsed by :func:`parse_k_range`."""
    return click.option("--k-range", default=default, show_default=True, callback=parse_k_range, metavar="FIRST..LAST",
                        help="Numbers of clusters to compare (or a list: 2,4,8).")  # fmt: skip


seed_option = click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed: same seed, same result."
)
output_folder_option = click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="Folder for the results (created; other files in it are kept).",
)  # fmt: skip
quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors, show no progress bar.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary (JSON) on stdout.")


# --- what the commands say about their data -------------------------------------------------------


def data_line(data, prepared):
    """One line on the table read: rows, features, rows left out, columns skipped.

    Parameters
    ----------
    data : Path
        The file read.
    prepared : kmlab.cli.cluster.Prepared
        What was read from it.

    Returns
    -------
    line : str
    """
    line = f"{data.name}: {len(prepared.X):,} rows, {len(prepared.features)} features ({', '.join(prepared.features)})"
    n_dropped = int((~prepared.keep).sum())
    if n_dropped:
        line += f"; left out {n_dropped:,} rows with missing values"
    if prepared.skipped:
        line += f"; skipped non-numeric: {', '.join(prepared.skipped)}"
    return line


def data_summary(data, prepared, scale):
    """The table read, for a command's JSON summary: file, row counts, features, skipped columns, ``--scale``."""
    return {
        "data": str(data),
        "n_rows": len(prepared.frame),
        "n_rows_used": len(prepared.X),
        "features": prepared.features,
        "skipped_columns": prepared.skipped,
        "scale": scale,
    }


def provenance():
    """``Made by kmlab VERSION on DATE.``: the first paragraph of every report."""
    created = datetime.datetime.now().astimezone().replace(microsecond=0).isoformat()
    return f"Made by kmlab {__version__} on {created}."


def new_axes(width=6.4, height=4.4, ncols=1):
    """A figure outside pyplot (nothing global, nothing shown) and its ``ncols`` axes."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots(1, ncols, squeeze=False)[0]


def write_report(folder, report, summary=None):
    """Write a :class:`kmlab.report.Report` as ``report.md`` and ``report.html`` into ``folder``.

    With a ``summary`` (JSON-ready), ``summary.json`` too.
    """
    (folder / "report.md").write_text(report.to_markdown())
    (folder / "report.html").write_text(report.to_html())
    if summary is not None:
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


# --- all-or-nothing output files ------------------------------------------------------------------


@contextlib.contextmanager
def atomic_file(path):
    """Write ``path`` all at once: yield a temporary path beside it, rename it on success.

    Parameters
    ----------
    path : str or Path
        The file to create or replace.

    Yields
    ------
    tmp : Path
        Where to write.  On an error it is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_file(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp makes the file private; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(path):
    """Fill the output folder ``path`` all at once.

    Yields a temporary folder beside ``path``; on success every file written
    there is moved into ``path`` (created if needed; other files in it are
    kept), on an error the temporary folder is removed and ``path`` is untouched.

    Parameters
    ----------
    path : str or Path
        The output folder.

    Yields
    ------
    tmp : Path
        The folder to write into.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
    >>> with atomic_directory(out) as tmp:
    ...     _ = (tmp / "a.csv").write_text("x\\n1\\n")
    >>> sorted(p.name for p in out.iterdir())
    ['a.csv']
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CommandError(f"output folder {str(path)!r} exists and is not a folder; pass another -o")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        yield tmp
        path.mkdir(exist_ok=True)
        for item in sorted(tmp.rglob("*")):
            target = path / item.relative_to(tmp)
            if item.is_dir():
                target.mkdir(exist_ok=True)
            else:
                os.replace(item, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
