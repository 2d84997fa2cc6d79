"""What every command shares: its error type and all-or-nothing output files."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


class CommandError(Exception):
    """A problem with the user's data or files: reported in one line, exit code 1."""


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
