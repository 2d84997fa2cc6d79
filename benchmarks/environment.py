"""The machine, its load and the library versions, for the record; the ``--threads`` option."""

import argparse
import os
import platform
import sys
import time
from contextlib import contextmanager
from importlib import metadata

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


def _thread_count(text):
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError(f"--threads must be at least 1; got {count}")
    return count


def add_threads_option(parser):
    """Add ``--threads`` (default: every usable core) to an ``argparse`` parser."""
    parser.add_argument(
        "--threads", type=_thread_count, default=usable_cores(),
        help="threads for every implementation (default: all usable cores)",
    )  # fmt: skip


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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
