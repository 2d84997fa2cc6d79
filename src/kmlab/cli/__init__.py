"""kmlab's command line: ``kmlab COMMAND ...``.

Every command is a thin layer over the Python API: it parses, loads files,
calls kmlab, and writes or prints the results.  Each lives in a module of this
package that imports the numerical stack only when the command runs, so that
``kmlab --help`` answers at once.

Exit codes: 0 success, 2 usage error (bad option or argument), 1 data error
(a file that cannot be read, values kmlab refuses).  Errors are one line on
standard error, ``kmlab COMMAND: error: ...``, never a traceback (set
``KMLAB_DEBUG=1`` to see one), and no command leaves a half-written output.
"""

import importlib
import os
import sys

import click

from .. import __version__
from ._common import CommandError

# Command name -> "module:function" within this package, imported on first use.
COMMANDS = {
    "anomalies": "recipes:anomalies_command",
    "cluster": "cluster:cluster_command",
    "demo": "tutorial:demo",
    "docs": "recipes:docs_command",
    "predict": "model:predict_command",
    "quantize": "recipes:quantize_command",
    "select-k": "cluster:select_k_command",
    "serve": "model:serve_command",
    "studio": "studio:studio",
    "warmup": "tutorial:warmup_command",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported only when listed or run."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, function = target.split(":")
        return getattr(importlib.import_module(f".{module}", __name__), function)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kmlab", message="%(prog)s %(version)s")
def cli():
    """K-Means for Python: cluster tables, choose K, watch clusters form."""


def _command_name(argv):
    """The command named in ``argv`` (for error messages), or None."""
    return next((arg for arg in argv if arg in COMMANDS), None)


def main(argv=None):
    """Run the ``kmlab`` command; returns the exit code.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after ``kmlab`` (default: ``sys.argv[1:]``).

    Returns
    -------
    code : int
        0 on success, 2 on a usage error, 1 on a data error.

    Examples
    --------
    >>> main(["--version"])
    kmlab 0.1.0
    0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_name(argv)
    prefix = f"kmlab {command}" if command else "kmlab"
    try:
        result = cli.main(argv, prog_name="kmlab", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help(), err=True)
        return 2
    except click.UsageError as error:
        click.echo(f"{prefix}: error: {error.format_message()} (see '{prefix} --help')", err=True)
        return 2
    except (click.Abort, KeyboardInterrupt):
        click.echo(f"{prefix}: interrupted", err=True)
        return 130
    except (CommandError, ValueError, TypeError, OSError, ImportError, MemoryError) as error:
        if os.environ.get("KMLAB_DEBUG"):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        click.echo(f"{prefix}: error: {message}", err=True)
        return 1
    return result if isinstance(result, int) else 0
