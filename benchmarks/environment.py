"""The machine, its load and the library versions, for the record; the shared options and timing loops."""

import argparse
import multiprocessing
import os
import platform
import shlex
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata

import llvmlite.binding as llvm
import numba
from threadpoolctl import threadpool_info

_DISTRIBUTIONS = (
    "kmlab",
    "numpy",
    "scipy",
    "scikit-learn",
    "numba",
    "llvmlite",
    "threadpoolctl",
    "scikit-learn-intelex",
    "faiss-cpu",
)


# Cores kept busy by other processes above which a case's timings are flagged.
INTERFERENCE_WARNING = 0.1


def usable_cores():
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def count_type(option):
    """An ``argparse`` type for ``option``: a whole number of at least 1.

    Parameters
    ----------
    option : str
        The option's name, for the error message (``--repeats``).

    Returns
    -------
    count : callable
        ``count(text) -> int``.
    """

    def count(text):
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"{option} must be at least 1; got {value}")
        return value

    return count


def seed_list(text):
    """``argparse`` type of ``--seeds``: comma-separated integers such as ``0,1,2``."""
    try:
        return [int(seed) for seed in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds takes comma-separated integers such as 0,1,2; got {text!r}"
        ) from None


def add_threads_option(parser):
    """Add ``--threads`` (default: every usable core) to an ``argparse`` parser."""
    parser.add_argument(
        "--threads", type=count_type("--threads"), default=usable_cores(),
        help="threads for every implementation (default: all usable cores)",
    )  # fmt: skip


def _cpu_model():
    """The CPU's model name, with the core LLVM compiles kmlab's kernels for and its widest
    vector extension (kernels' speed depends on both: AVX2 machines run them slower)."""
    model, flags = None, set()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name") and model is None:
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else None
    details = ", ".join(part for part in (llvm.get_host_cpu_name(), vector) if part)
    return f"{model or platform.processor() or platform.machine()} ({details})"


def machine():
    """CPU model, core counts, memory and operating system.

    Returns
    -------
    info : dict
    """
    try:
        ram_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        ram_gib = None
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cores": usable_cores(),
        "ram_gib": round(ram_gib, 1) if ram_gib else None,
        "platform": platform.platform(),
    }


def _machine_cpu_seconds():
    """CPU seconds spent so far by the whole machine: (busy, stolen), or None off Linux."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def _own_cpu_seconds():
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@contextmanager
def cpu_interference():
    """Measure how busy the machine was with work other than ours.

    Yields a dict that, on exit, holds ``other_cores``: the average number of
    cores that other processes kept busy, and ``stolen_cores``: the average
    number the hypervisor took away (both None off Linux).  Anything well
    above zero means the timings were disturbed.
    """
    usage = {"other_cores": None, "stolen_cores": None}
    start_wall, start_machine, start_own = time.perf_counter(), _machine_cpu_seconds(), _own_cpu_seconds()
    yield usage
    end_machine = _machine_cpu_seconds()
    if start_machine is not None and end_machine is not None:
        wall = time.perf_counter() - start_wall
        other = (end_machine[0] - start_machine[0]) - (_own_cpu_seconds() - start_own)
        usage["other_cores"] = round(max(other, 0.0) / wall, 3)
        usage["stolen_cores"] = round((end_machine[1] - start_machine[1]) / wall, 3)


def is_busy(interference):
    """Whether :func:`cpu_interference` saw other processes keep more than INTERFERENCE_WARNING cores busy.

    Parameters
    ----------
    interference : dict
        What :func:`cpu_interference` yielded, after its block.

    Returns
    -------
    busy : bool
    """
    return (interference["other_cores"] or 0) > INTERFERENCE_WARNING


def warn_if_busy(interference):
    """Print a warning when :func:`is_busy`: the timings are disturbed."""
    if is_busy(interference):
        print(
            f"warning: other processes kept {interference['other_cores']:.2f} cores busy during this measurement; "
            "its timings are disturbed",
            flush=True,
        )


def quietest_attempt(measure, retries):
    """Call ``measure()`` until other processes left the machine quiet meanwhile; keep the quietest attempt.

    Parameters
    ----------
    measure : callable
        ``measure() -> result``: one attempt at the timings.
    retries : int
        Attempts beyond the first while :func:`is_busy`.

    Returns
    -------
    result : object
        What ``measure`` returned in the attempt with the fewest other busy cores.
    quiet : dict
        For the record: ``interference``, what :func:`cpu_interference` saw
        during that attempt, and ``attempts``, how many were made.
    """
    attempts = []
    for _ in range(1 + retries):
        with cpu_interference() as interference:
            result = measure()
        attempts.append((interference, result))
        if not is_busy(interference):
            break
    interference, result = min(attempts, key=lambda attempt: attempt[0]["other_cores"] or 0)
    return result, {"interference": interference, "attempts": len(attempts)}


# Seconds of rest before a library's calls, for the threads of the library
# called before to stop spinning (OpenBLAS's workers wait busily for about a
# tenth of a second after a call).
SETTLE_S = 0.3


def after_rest(function):
    """``function()``'s result, called after SETTLE_S of rest (see :func:`after_own_call`)."""
    time.sleep(SETTLE_S)
    return function()


def after_own_call(function):
    """``function()``'s result, from a second call right after an untimed first one, after a rest.

    Interleaved benchmarks time one library right after another, whose threads
    may still be busy: after scikit-learn's k-means++ OpenBLAS's workers spin
    for a while, and on 100k blobs the next fit took 1.4 to 2.7 times longer
    (kmlab 82 ms instead of 30, scikit-learn-intelex 61 instead of 44).  A call
    of the library's own first was not enough where it is shorter than that
    spin: kmlab's k-means++ on the same blobs, 15 ms alone, took 30-76 ms in
    five of seven timed calls after scikit-learn's.  So every library's calls
    start after SETTLE_S of rest, and the timed one follows a call of its own.
    """
    after_rest(function)
    return function()


def median_after_warm_up(function, repeats):
    """Call ``function()`` once untimed (compilation, caches, imports), then ``repeats`` times timed.

    Returns
    -------
    median : float
        Median of the timed calls, in seconds.
    times : list of float
        Every timed call, in seconds.
    """
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def measure_cases(cases, measure, summary):
    """Measure each case in turn, printing its key, a summary of its result and any warning of a busy machine.

    Parameters
    ----------
    cases : iterable
        Objects with a ``key`` (their name in the results).
    measure : callable
        ``measure(case) -> result``, a dict with an ``interference`` entry.
    summary : callable
        ``summary(result) -> str``, printed after the key.

    Returns
    -------
    results : dict
        ``{case.key: result}``, in the order of ``cases``.
    """
    results = {}
    for case in cases:
        print(f"{case.key} ...", end=" ", flush=True)
        result = measure(case)
        print(summary(result), flush=True)
        warn_if_busy(result["interference"])
        results[case.key] = result
    return results


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def versions():
    """Versions of Python and the libraries, the thread pools and numba's threading layer.

    Call it after the benchmarks: the thread pools of the peers appear once they
    are loaded, and numba reports its threading layer once a parallel kernel ran.

    Returns
    -------
    info : dict
    """
    info = {"python": sys.version.split()[0]}
    info.update({name: _version(name) for name in _DISTRIBUTIONS})
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        info["faiss_compile_options"] = faiss.get_compile_options()
    try:
        info["numba_threading_layer"] = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        info["numba_threading_layer"] = None
    info["numba_num_threads"] = numba.config.NUMBA_NUM_THREADS
    info["threadpools"] = threadpool_info()
    return info


def timestamp():
    """Now, in UTC, to the second (ISO 8601)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def provenance(module):
    """``command`` (the command line that reruns this run) and ``timestamp``: how a results file starts.

    Parameters
    ----------
    module : str
        The module run, e.g. ``benchmarks.kmedoids``.

    Returns
    -------
    info : dict
    """
    return {"command": shlex.join(["python", "-m", module, *sys.argv[1:]]), "timestamp": timestamp()}


def record(interference=None):
    """The machine and the versions (and the machine's other load, when given) for a results file.

    Call it after the measurements (see :func:`versions`).

    Parameters
    ----------
    interference : dict, default=None
        What :func:`cpu_interference` saw during the whole run; None leaves it out.

    Returns
    -------
    info : dict
        ``machine``, ``versions`` and, with ``interference``, ``interference``.
    """
    info = {"machine": machine(), "versions": versions()}
    if interference is not None:
        info["interference"] = interference
    return info


def measure_suite(module, settings, warm_up, cases, measure, summary):
    """Warm up, measure each case with :func:`measure_cases`, and put it all on the record.

    Parameters
    ----------
    module : str
        The module run (see :func:`provenance`).
    settings : dict
        The run's settings, JSON-ready.
    warm_up : callable
        ``warm_up() -> first_calls``: the first call of each implementation, JSON-ready.
    cases, measure, summary
        As in :func:`measure_cases`.

    Returns
    -------
    results : dict
        ``command``, ``timestamp``, ``settings``, ``machine``, ``versions``,
        ``first_call_s``, ``cases`` and ``wall_s`` (seconds in all), JSON-ready.
    """
    start = time.perf_counter()
    print("warming up: first call of each implementation", flush=True)
    first_calls = warm_up()
    measured = measure_cases(cases, measure, summary)
    return {
        **provenance(module),
        "settings": settings,
        **record(),
        "first_call_s": first_calls,
        "cases": measured,
        "wall_s": time.perf_counter() - start,
    }


def memory_status():
    """This process's current and peak resident memory (VmRSS, VmHWM), in bytes (Linux)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def peak_memory_resettable():
    """Whether :func:`reset_peak_memory` works here (Linux's ``/proc/self/clear_refs``)."""
    return os.access("/proc/self/clear_refs", os.W_OK) and os.path.exists("/proc/self/status")


def reset_peak_memory():
    """Make this process's peak resident memory (VmHWM) its current size (Linux)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def in_fresh_process(description, target, *args):
    """What ``target(*args, connection)`` sends on ``connection``, run in a spawned process.

    For measurements that an earlier call in the same process would disturb
    (peak memory, first-call costs).  ``description`` names the run in the error
    raised when the process exits with an error or ends without sending.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, send))
    process.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:
        result = None
    process.join()
    if process.exitcode != 0 or result is None:
        raise RuntimeError(f"{description} failed in its process (exit code {process.exitcode})")
    return result

