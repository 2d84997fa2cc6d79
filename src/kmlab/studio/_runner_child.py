"""Child side of the Studio's code runner: limits first, then the user's program as ``__main__``.

:mod:`kmlab.studio.runner` starts this file as a script, by path, with
``python -I -X utf8 -u`` and one argument: a JSON object of settings (the
runner owns every limit and name).  It imports only the standard library and
nothing from kmlab, so that the limits apply before anything heavy is loaded
and the program meets a fresh interpreter.  When the program is done, every
open matplotlib figure is written as a PNG file for the runner to read back.

This process is a child subreaper: processes the program orphans (a daemon that
forked twice) become its children instead of init's, so the runner finds every
one of them below it.  It therefore never exits by itself: at the very end it
writes the exit status to the runner and waits to be killed together with
whatever the program left running.
"""

import atexit
import builtins
import ctypes
import json
import linecache
import os
import resource
import signal
import sys
import traceback
import types

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _set_limit(which, soft, hard):
    """Lower a resource limit, never above the hard limit this process already has."""
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def _apply_limits(settings):
    """Limit this process and everything it starts; die with the server."""
    _set_limit(resource.RLIMIT_AS, settings["memory_bytes"], settings["memory_bytes"])
    # SIGXCPU at the soft limit, SIGKILL one second later.
    _set_limit(resource.RLIMIT_CPU, settings["cpu_seconds"], settings["cpu_seconds"] + 1)
    _set_limit(resource.RLIMIT_CORE, 0, 0)  # SIGXCPU and aborts would otherwise dump cores
    os.nice(settings["niceness"])
    libc = ctypes.CDLL(None)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    # If the server is killed, no thread of it is left to stop this process.
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != settings["parent"]:  # the server died before prctl
        os._exit(1)


def _hand_over(status_fd, outcome, owner):
    """Send the program's exit status to the runner, then wait to be killed.

    Registered before the program runs, so it runs after the program's own
    ``atexit`` functions (and after its non-daemon threads ended).  Processes
    the program forked inherit it and do nothing: only ``owner`` reports.
    """
    if os.getpid() != owner:
        return
    code = outcome[0].code if outcome else 1
    status = 0 if code is None else code & 0xFF if isinstance(code, int) else 1  # as Python's exit status
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed by the program
            pass
    os.write(status_fd, f"{status}\n".encode())
    while True:
        signal.pause()


def _report(exc):
    """Print the traceback of ``exc`` as Python would, without this file's frame."""
    # The first frame is _run_program's exec call; the user's code starts at the next.
    trace = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    try:
        traceback.print_exception(type(exc), exc, trace)
    except MemoryError:
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")


def _run_program(settings):
    """Run the program; return the SystemExit to raise once the figures are saved."""
    path = settings["program"]
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as file:
        source = file.read()
    # Tracebacks and inspect read the lines from here, even if the program deletes its file.
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = builtins
    sys.modules["__main__"] = module
    sys.argv = [name]
    sys.path.insert(0, os.path.dirname(path))  # as `python program.py` would
    try:
        exec(compile(source, name, "exec", dont_inherit=True), module.__dict__)
    except SystemExit as exc:
        return exc
    except MemoryError as exc:
        module.__dict__.clear()  # free what the program holds, so the report can be printed
        _report(exc)
        return SystemExit(settings["memory_exit"])
    except BaseException as exc:  # noqa: BLE001 - the program's own error, reported like Python does
        _report(exc)
        return SystemExit(1)
    return SystemExit(0)


def _save_figures(settings):
    """Write the open matplotlib figures as figure-000.png, figure-001.png, ... (bounded count and size)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    numbers = pyplot.get_fignums()
    limit = settings["max_figures"]
    for index, number in enumerate(numbers[:limit]):
        figure = pyplot.figure(number)
        longest_inches = max(*figure.get_size_inches(), 1e-3)
        dpi = min(figure.dpi, settings["max_figure_pixels"] / longest_inches)
        try:
            figure.savefig(os.path.join(settings["figures"], f"figure-{index:03d}.png"), format="png", dpi=dpi)
        except Exception as exc:  # noqa: BLE001 - one bad figure must not hide the others
            sys.__stderr__.write(f"kmlab: could not draw figure {number}: {type(exc).__name__}: {exc}\n")
    if len(numbers) > limit:
        sys.__stderr__.write(f"kmlab: {len(numbers)} figures are open; only the first {limit} are shown.\n")


def main():
    settings = json.loads(sys.argv[1])
    _apply_limits(settings)
    os.set_inheritable(settings["status_fd"], False)  # the program's subprocesses do not get it
    outcome = []
    atexit.register(_hand_over, settings["status_fd"], outcome, os.getpid())
    outcome.append(_run_program(settings))
    _save_figures(settings)
    raise outcome[0]


if __name__ == "__main__":
    main()
