"""Run the code editor's Python programs, each in its own process group, within limits.

:class:`CodeRunner` starts every program in a fresh, isolated interpreter
(``python -I``) in a new session, in an empty temporary folder that is deleted
afterwards, with a minimal environment and matplotlib's Agg backend.  The
program cannot take the server down with it:

- **time**: past ``timeout`` seconds of wall-clock time the program and every
  process it started are killed (``RLIMIT_CPU`` is a backstop should the
  server itself be killed; the child also dies with the server);
- **memory**: ``RLIMIT_AS`` bounds each process's address space, so a runaway
  allocation raises ``MemoryError``; the runner also adds up the resident
  memory of all the program's processes and kills them past the same limit;
- **processes**: past ``max_processes`` processes the whole group is killed.
  ``RLIMIT_NPROC`` is not used: it counts every process of the user (the
  server's threads and the other runs included), so it would fail the other
  runs' thread starts during a fork bomb, and it does nothing for root;
- **output**: stdout and stderr are read as they come; past ``output_limit``
  bytes the program is killed and the output marked truncated;
- **concurrency**: at most ``max_concurrent`` programs at once; one more
  raises :class:`RunnerBusy` at once rather than queueing.

Stopping a program means: SIGSTOP to every process of the run (stopped
processes cannot fork, and their children are not orphaned, so the set found
only grows until it is complete), then SIGKILL to them all.  A process belongs
to the run when it is in the program's process group or session, descends from
a process of the run (the child is a subreaper, so what the program orphans
stays below it), or carries the run's marker in its environment (so does a
daemon that called ``setsid`` and left the tree).  The child never exits by
itself: it reports the exit status through a pipe and waits, so that even after
a normal end everything the program left running is found below it and killed.
Processes that call ``setsid`` each must be stopped one by one: a fork bomb of
them grows to a couple of thousand processes before it is stopped (see
``benchmarks/runner_faults.py``).

This protects the server from accidents (an endless loop, a memory or fork
bomb, a flood of output); it is not a security boundary: the program runs as
the server's user and can read and write what that user can.  That is why
Studio binds 127.0.0.1, asks for its launch token and turns the runner off on
other addresses.  Linux only (``/proc``, ``prctl``).
"""

import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from numbers import Integral, Real
from pathlib import Path

# `import kmlab, numpy, sklearn, matplotlib`, the tutorial's KMeans fit and a
# saved figure peak at about 755 MB of address space (Python 3.11, numba's
# cache warm, one thread); 1024 MB leaves the program ~270 MB for its data.
DEFAULT_MEMORY_MB = 1024

_CHILD = Path(__file__).with_name("_runner_child.py")
_PROGRAM_NAME = "program.py"
_RUN_MARKER = "KMLAB_STUDIO_RUN"

# Thread pools reserve address space per thread (~80 MB measured for numba and
# OpenBLAS), which RLIMIT_AS counts; a few programs at once must also leave
# cores to the server.  Each program gets one thread.
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
# Where numba's and matplotlib's caches are; everything else of the server's environment stays out.
_PASSED_VARIABLES = ("PATH", "HOME", "NUMBA_CACHE_DIR", "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")

_TICK = 0.01  # seconds between checks of a running program
_SCAN_INTERVAL = 0.2  # seconds between full scans of /proc while nothing grows
_SWEEP_SECONDS = 5.0  # give up killing processes stuck in the kernel after this long
_CPU_GRACE = 5  # CPU seconds allowed beyond the wall-clock timeout before RLIMIT_CPU strikes
# Programs yield the CPU to the server: it keeps answering, and outpaces a fork bomb it must stop.
_NICENESS = 10
_MEMORY_EXIT = 97  # the child's exit status when the program died of MemoryError
_MAX_FIGURE_PIXELS = 2000  # longest side of a returned figure
_MAX_FIGURE_BYTES = 4 * 2**20
_FIGURE_NAME = re.compile(r"figure-\d{3}\.png")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_READ_SIZE = 65536
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class RunnerBusy(RuntimeError):
    """The code runner cannot start a program now; the message says why and what to do."""


def _check_number(name, value, kind, minimum):
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if kind is Integral else "a number"
        raise TypeError(f"{name} must be {expected}; got {value!r} of type {type(value).__name__}.")
    if not value >= minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value!r}.")


# --- /proc -------------------------------------------------------------------


def _scan(pids=None):
    """Live processes: {pid: (ppid, pgrp, session, starttime, rss_bytes)}; zombies left out.

    All of them, or those among ``pids``.
    """
    processes = {}
    for entry in os.listdir("/proc") if pids is None else map(str, pids):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                data = file.read()
        except OSError:  # gone meanwhile
            continue
        # The command name, in parentheses, may itself contain spaces and parentheses.
        fields = data[data.rfind(b")") + 2 :].split()
        if fields[0] in (b"Z", b"X"):
            continue
        ppid, pgrp, session, started, rss = (int(fields[index]) for index in (1, 2, 3, 19, 21))
        processes[int(entry)] = (ppid, pgrp, session, started, rss * _PAGE_SIZE)
    return processes


def _children(pids):
    """Direct children of ``pids``, from /proc/PID/task/TID/children (none where the kernel lacks it)."""
    found = set()
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children", "rb") as file:
                    found.update(int(child) for child in file.read().split())
            except OSError:
                continue
    return found


def _machine_tasks():
    """Processes and threads on the machine (from /proc/loadavg: one small read)."""
    with open("/proc/loadavg") as file:
        return int(file.read().split()[3].split("/")[1])


def _carries_marker(pid, marker):
    try:
        with open(f"/proc/{pid}/environ", "rb") as file:
            return marker in file.read().split(b"\0")
    except OSError:  # gone, or another user's
        return False


def _proportional_memory(pids):
    """Bytes of memory the processes use, shared pages split between their users (PSS)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as file:
                for line in file:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


# --- output ------------------------------------------------------------------


class _Output:
    """Both output streams of a run, read concurrently, under one byte budget."""

    def __init__(self, limit, on_overflow):
        self._limit = limit
        self._on_overflow = on_overflow
        self._lock = threading.Lock()
        self._size = 0
        self.chunks = {"stdout": [], "stderr": []}
        self.truncated = False

    def _add(self, stream, chunk):
        """Keep ``chunk`` within the budget; return False once the budget is spent."""
        with self._lock:
            if self.truncated:
                return False
            room = self._limit - self._size
            self.chunks[stream].append(chunk[:room])
            self._size += min(len(chunk), room)
            if len(chunk) <= room:
                return True
            self.truncated = True
        self._on_overflow()
        return False

    def reader(self, stream, pipe):
        """A started thread that reads ``pipe`` until end of file or the budget is spent."""

        def read():
            descriptor = pipe.fileno()
            while True:
                chunk = os.read(descriptor, _READ_SIZE)
                if not chunk or not self._add(stream, chunk):
                    return

        thread = threading.Thread(target=read, name=f"kmlab-runner-{stream}", daemon=True)
        thread.start()
        return thread

    def text(self, stream):
        return b"".join(self.chunks[stream]).decode("utf-8", errors="replace")


# --- one run -----------------------------------------------------------------


class _Run:
    """One program: start it, watch it, kill what is left of it, collect what it made."""

    def __init__(self, runner, code):
        self.runner = runner
        self.code = code
        self.reason = None
        self._stop = threading.Event()
        self._leader = None
        self._members = {}  # pid -> starttime of every process seen in the run
        self._marker = f"{_RUN_MARKER}={secrets.token_hex(16)}"

    def kill(self, reason):
        """Stop the run for ``reason`` (from any thread); the first reason given is the one reported."""
        if self.reason is None:
            self.reason = reason
        self._stop.set()

    def execute(self):
        root = Path(tempfile.mkdtemp(prefix="kmlab-run-"))
        try:
            work, figures = root / "work", root / "figures"
            work.mkdir()
            figures.mkdir()
            (work / _PROGRAM_NAME).write_text(self.code, encoding="utf-8")
            return self._execute(work, figures)
        finally:
            _remove_tree(root)

    def _environment(self, work):
        environment = {name: os.environ[name] for name in _PASSED_VARIABLES if name in os.environ}
        environment.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
        environment.update(
            LANG="C.UTF-8",
            TMPDIR=str(work),
            MPLBACKEND="Agg",
            MALLOC_ARENA_MAX="2",  # glibc reserves 64 MB of address space per extra arena
        )
        name, value = self._marker.split("=", 1)
        environment[name] = value
        return environment

    def _execute(self, work, figures):
        runner = self.runner
        status_read, status_write = os.pipe()
        settings = {
            "program": str(work / _PROGRAM_NAME),
            "figures": str(figures),
            "max_figures": runner.max_figures,
            "max_figure_pixels": _MAX_FIGURE_PIXELS,
            "memory_bytes": runner.memory_mb * 2**20,
            "cpu_seconds": runner.cpu_seconds,
            "memory_exit": _MEMORY_EXIT,
            "niceness": _NICENESS,
            "parent": os.getpid(),
            "status_fd": status_write,
        }
        output = _Output(runner.output_limit, lambda: self.kill("output"))
        start = time.monotonic()
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-X", "utf8", "-u", str(_CHILD), json.dumps(settings)],
                cwd=work,
                env=self._environment(work),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_write,),
                start_new_session=True,
            )
        except OSError as exc:
            os.close(status_read)
            raise RunnerBusy(f"could not start a Python process for the program ({exc}); try again shortly.") from exc
        finally:
            os.close(status_write)
        self._leader = process.pid
        readers = [output.reader("stdout", process.stdout), output.reader("stderr", process.stderr)]
        try:
            status = self._watch(process.pid, status_read, start)
        finally:
            self._sweep()
            process.wait()
            os.close(status_read)
        seconds = time.monotonic() - start
        for reader in readers:
            reader.join(timeout=1.0)  # a process stuck in the kernel may still hold a pipe
        process.stdout.close()
        process.stderr.close()
        returncode = process.returncode if status is None else status
        return self._result(returncode, output, figures, seconds)

    def _watch(self, leader, status_read, start):
        """Wait for the program to end, or stop it at the first limit it breaks.

        Returns the exit status the child reported, or None if it reported none
        (it was stopped, crashed, or the program called ``os._exit``).
        """
        runner = self.runner
        deadline = start + runner.timeout
        next_scan = start
        reference_tasks = _machine_tasks()
        os.set_blocking(status_read, False)
        while not self._stop.is_set():
            try:
                report = os.read(status_read, 64)
            except BlockingIOError:
                pass
            else:
                if report:  # the program ended; its process waits for the sweep
                    return int(report) if report.strip().isdigit() else 1
            # WNOWAIT: an exited leader stays unreaped, so its pid keeps naming the group until the sweep.
            if os.waitid(os.P_PID, leader, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return None
            now = time.monotonic()
            if now >= deadline:
                self.kill("timeout")
                break
            # A fork bomb shows first as more tasks on the machine: scan /proc at once then.
            tasks = _machine_tasks()
            if now >= next_scan or tasks >= reference_tasks + runner.max_processes:
                self._check_members(_scan())
                next_scan = now + _SCAN_INTERVAL
                reference_tasks = tasks
            self._stop.wait(_TICK)
        return None

    def _identify(self, processes, *, marker=False):
        """The pids of ``processes`` that belong to this run, recording them as members."""
        leader = self._leader
        found = {
            pid
            for pid, (_, pgrp, session, started, _) in processes.items()
            if pgrp == leader or session == leader or self._members.get(pid) == started
        }
        if marker:  # slower: one more file per process
            marker_bytes = self._marker.encode()
            found.update(pid for pid in processes.keys() - found if _carries_marker(pid, marker_bytes))
        children = {}
        for pid, (ppid, *_rest) in processes.items():
            children.setdefault(ppid, []).append(pid)
        pending = list(found)
        while pending:  # descendants of members are members, wherever they moved
            for child in children.get(pending.pop(), ()):
                if child not in found:
                    found.add(child)
                    pending.append(child)
        found.discard(os.getpid())
        for pid in found:
            self._members[pid] = processes[pid][3]
        return found

    def _check_members(self, processes):
        runner = self.runner
        members = self._identify(processes)
        if len(members) > runner.max_processes:
            self.kill("processes")
        elif sum(processes[pid][4] for pid in members) > runner.memory_mb * 2**20:
            # Resident sizes count shared pages once per process: confirm with PSS.
            if _proportional_memory(members) > runner.memory_mb * 2**20:
                self.kill("memory")

    def _signal_all(self, pids, signum):
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self._leader, signum)
        except ProcessLookupError:
            pass

    def _stop_tree(self, pids, stopped):
        """SIGSTOP ``pids``, then their children, level by level; add them all to ``stopped``.

        Much faster than a scan of /proc while a fork bomb runs: it reads only the run's own processes.
        """
        while pids:
            self._signal_all(pids, signal.SIGSTOP)
            stopped |= pids
            pids = _children(pids) - stopped

    def _sweep(self):
        """Stop every process of the run, then kill them all.

        Stopped processes cannot fork, and their children are not orphaned,
        so the set of processes found only grows until it is complete.
        """
        give_up = time.monotonic() + _SWEEP_SECONDS
        stopped = set()
        marker = False
        fresh = self._identify(_scan(self._members))  # the members known already, if still alive
        while time.monotonic() < give_up:
            if fresh:
                self._stop_tree(fresh, stopped)
                marker = False
            elif marker:
                break
            else:
                marker = True  # the set looks complete: a last, slower look for escaped processes
            fresh = self._identify(_scan(), marker=marker) - stopped
        while stopped and time.monotonic() < give_up:
            self._signal_all(stopped, signal.SIGKILL)
            time.sleep(0.002)
            stopped = self._identify(_scan())

    def _result(self, returncode, output, figures, seconds):
        runner = self.runner
        reason = self.reason
        if reason is None and returncode == _MEMORY_EXIT:
            reason = "memory"
        elif reason is None and returncode == -signal.SIGKILL:
            reason = "memory"  # nobody here sent it: the kernel's out-of-memory killer
        elif reason is None and returncode == -signal.SIGXCPU:
            reason = "cpu"
        notes = {
            "timeout": f"stopped after {runner.timeout:g} s, the time limit.",
            "memory": f"the program ran out of memory (limit: {runner.memory_mb} MB).",
            "processes": f"stopped: the program started more than {runner.max_processes} processes.",
            "output": f"stopped: the output passed {runner.output_limit:,} bytes; the rest is cut.",
            "cpu": f"stopped: the program used more than {runner.cpu_seconds} s of CPU time.",
            "shutdown": "stopped: the server is shutting down.",
        }
        stderr = output.text("stderr")
        if reason is not None:
            note = notes[reason]
        elif returncode is not None and returncode < 0:
            note = f"the program died of signal {signal.Signals(-returncode).name}."
        else:
            note = None
        if note is not None:
            stderr += ("" if not stderr or stderr.endswith("\n") else "\n") + f"kmlab: {note}\n"
        return {
            "stdout": output.text("stdout"),
            "stderr": stderr,
            "figures": _read_figures(figures, runner.max_figures),
            "returncode": returncode,
            "timed_out": reason == "timeout",
            "killed": reason,
            "truncated": output.truncated,
            "seconds": round(seconds, 3),
        }


def _read_figures(folder, limit):
    """Base64 of the PNG files the child wrote, in order; anything else there is ignored."""
    figures = []
    for name in sorted(os.listdir(folder)):
        if len(figures) == limit:
            break
        if not _FIGURE_NAME.fullmatch(name):
            continue
        try:
            descriptor = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        with os.fdopen(descriptor, "rb") as file:
            if os.fstat(descriptor).st_size > _MAX_FIGURE_BYTES:
                continue
            data = file.read(_MAX_FIGURE_BYTES + 1)
        if data.startswith(_PNG_SIGNATURE) and len(data) <= _MAX_FIGURE_BYTES:
            figures.append(base64.b64encode(data).decode("ascii"))
    return figures


def _remove_tree(root):
    """Delete a run's folder, even where the program took away the permissions."""
    shutil.rmtree(root, ignore_errors=True)
    if not root.exists():
        return
    for folder, subfolders, _ in os.walk(root):
        for name in subfolders:
            path = os.path.join(folder, name)
            if not os.path.islink(path):  # never follow a link out of the folder
                os.chmod(path, 0o700)
    shutil.rmtree(root, ignore_errors=True)


# --- the public class ---------------------------------------------------------


class CodeRunner:
    """Run Python programs in isolated, limited processes; a few at a time.

    Parameters
    ----------
    timeout : float, default=10.0
        Wall-clock seconds a program may run, interpreter start and imports
        included (``import kmlab`` with scikit-learn takes about 2 s).
    memory_mb : int, default=1024
        Address space of each process of the program (``RLIMIT_AS``), and the
        memory all its processes together may use.  The tutorial program with
        its imports needs about 760 MB.
    output_limit : int, default=200_000
        Bytes of stdout and stderr together; the program is killed past it.
    max_concurrent : int, default=2
        Programs running at once; :meth:`run` raises :class:`RunnerBusy` beyond.
    max_figures : int, default=8
        Matplotlib figures returned per run (the first ones, by number).
    max_processes : int, default=32
        Processes one program may have at once (itself included).

    Examples
    --------
    >>> from kmlab.studio.runner import CodeRunner
    >>> runner = CodeRunner(timeout=30)
    >>> result = runner.run("print(6 * 7)")
    >>> result["stdout"], result["returncode"], result["killed"]
    ('42\\n', 0, None)
    >>> runner.shutdown()
    """

    def __init__(self, timeout=10.0, memory_mb=DEFAULT_MEMORY_MB, output_limit=200_000, max_concurrent=2,
                 max_figures=8, max_processes=32):  # fmt: skip
        if not sys.platform.startswith("linux"):
            raise RuntimeError(f"the code runner needs Linux (/proc and prctl); this is {sys.platform}.")
        _check_number("timeout", timeout, Real, 0.1)
        _check_number("memory_mb", memory_mb, Integral, 64)
        _check_number("output_limit", output_limit, Integral, 1)
        _check_number("max_concurrent", max_concurrent, Integral, 1)
        _check_number("max_figures", max_figures, Integral, 0)
        _check_number("max_processes", max_processes, Integral, 1)
        self.timeout = float(timeout)
        self.memory_mb = int(memory_mb)
        self.output_limit = int(output_limit)
        self.max_concurrent = int(max_concurrent)
        self.max_figures = int(max_figures)
        self.max_processes = int(max_processes)
        self.cpu_seconds = int(self.timeout) + 1 + _CPU_GRACE
        self._slots = threading.BoundedSemaphore(self.max_concurrent)
        self._lock = threading.Lock()
        self._runs = set()
        self._closed = False

    @property
    def running(self):
        """How many programs are running now."""
        with self._lock:
            return len(self._runs)

    def run(self, code):
        """Run ``code`` as a Python program and return what it printed and drew.

        Blocks until the program ends or is killed; safe to call from several
        threads at once.

        Parameters
        ----------
        code : str
            The program's source.  It runs as ``__main__``; tracebacks name it
            ``program.py`` with its own line numbers.

        Returns
        -------
        result : dict
            ``stdout``, ``stderr`` (str, decoded as UTF-8, errors replaced;
            tracebacks and a ``kmlab: ...`` line saying why a program was
            stopped go to stderr), ``figures`` (list of base64 PNG strings),
            ``returncode`` (int; negative: the signal that ended it),
            ``timed_out`` (bool), ``killed`` (None, or why it was stopped:
            'timeout', 'memory', 'processes', 'output', 'cpu', 'shutdown'),
            ``truncated`` (bool: output cut at ``output_limit``), ``seconds``
            (float: wall-clock time).

        Raises
        ------
        RunnerBusy
            ``max_concurrent`` programs are already running, the runner was
            shut down, or no process could be started.
        """
        if not isinstance(code, str):
            raise TypeError(f"code must be a str holding a Python program; got {type(code).__name__}.")
        if not self._slots.acquire(blocking=False):
            raise RunnerBusy(
                f"the code runner is already running {self.max_concurrent} program(s), the most it runs at once; "
                "try again when one has finished."
            )
        try:
            run = _Run(self, code)
            with self._lock:
                if self._closed:
                    raise RunnerBusy("the code runner has been shut down; restart Studio to run programs.")
                self._runs.add(run)
            try:
                return run.execute()
            finally:
                with self._lock:
                    self._runs.discard(run)
        finally:
            self._slots.release()

    def shutdown(self):
        """Kill every running program (their :meth:`run` calls return) and refuse new ones."""
        with self._lock:
            self._closed = True
            runs = list(self._runs)
        for run in runs:
            run.kill("shutdown")
