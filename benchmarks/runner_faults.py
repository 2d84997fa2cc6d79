"""Fault drills for the Studio's code runner: each fault stopped, nothing left behind, other runs unharmed.

``python -m benchmarks.runner_faults`` sends faulty programs through one
:class:`kmlab.studio.runner.CodeRunner` with Studio's settings (two programs at
once).  While a fault runs in one slot, a well-behaved program runs again and
again in the other, and a thread of this process wakes every 5 ms to measure
how late it is (what a server thread would feel).  Each row says how the fault
was stopped, what it reached meanwhile, what it left behind, and how the other
runs fared.  The exit status is 1 when any fault was not contained.
"""

import argparse
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kmlab.studio.runner import _RUN_MARKER, CodeRunner

from . import environment, report

MARKERS = ("<!-- runner-faults:start -->", "<!-- runner-faults:end -->")

# The well-behaved program of the other slot, and what it must print.
BYSTANDER = "import numpy as np\nprint(int(np.arange(1000).sum()))\n"
BYSTANDER_OUTPUT = "499500\n"

SAMPLE_INTERVAL = 0.005


@dataclass(frozen=True)
class Fault:
    name: str
    code: str
    expected: str | None  # how the runner should report stopping it


FAULTS = (
    Fault("none (baseline: sleeps 3 s)", "import time\ntime.sleep(3)\n", None),
    Fault("infinite loop", "while True:\n    pass\n", "timeout"),
    Fault("memory bomb", "blocks = []\nwhile True:\n    blocks.append(bytearray(10**7))\n", "memory"),
    Fault(
        "memory bomb, 8 processes × 200 MB",
        "import os, time\n"
        "for _ in range(8):\n"
        "    if os.fork() == 0:\n"
        "        block = bytearray(200 * 2**20)\n"
        "        block[::4096] = b'x' * len(block[::4096])\n"
        "        time.sleep(60)\n"
        "time.sleep(60)\n",
        "memory",
    ),
    # Every process forks again: 2**11 = 2048 processes unless stopped (bounded, for safety).
    Fault("fork bomb", "import os, time\nfor _ in range(11):\n    os.fork()\ntime.sleep(60)\n", "processes"),
    Fault(
        "fork bomb, each child in a new session",
        "import os, time\n"
        "for _ in range(11):\n"
        "    if os.fork() == 0:\n"
        "        try:\n"
        "            os.setsid()\n"
        "        except OSError:\n"
        "            pass\n"
        "time.sleep(60)\n",
        "processes",
    ),
    Fault("output flood", "while True:\n    print('x' * 1000)\n", "output"),
    # fork, setsid, fork again, exec with an empty environment: out of the group, the session and the marker.
    Fault(
        "escaping daemon, then an infinite loop",
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        print('pids:', os.getpid(), flush=True)\n"
        "        os.execvpe('sleep', ['sleep', '600'], {'PATH': os.environ['PATH']})\n"
        "    os._exit(0)\n"
        "while True:\n"
        "    pass\n",
        "timeout",
    ),
)


def _processes():
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _running(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def _marked_processes():
    """Live processes that carry a run's marker in their environment: left behind by some run."""
    marker = _RUN_MARKER.encode() + b"="
    found = []
    for pid in _processes():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if any(item.startswith(marker) for item in environ.split(b"\0")) and _running(pid):
            found.append(pid)
    return found


class _Sampler:
    """A thread that counts the machine's processes and measures its own wake-up lateness."""

    def __init__(self):
        self.baseline = len(_processes())
        self.peak = self.baseline
        self.lateness = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while True:
            planned = time.perf_counter() + SAMPLE_INTERVAL
            if self._done.wait(SAMPLE_INTERVAL):
                return
            self.lateness.append(max(0.0, time.perf_counter() - planned))
            self.peak = max(self.peak, len(_processes()))

    def stop(self):
        self._done.set()
        self._thread.join()


def drill(runner, fault):
    """Run ``fault`` in one slot and the bystander in the other until it ends; measure both."""
    sampler = _Sampler()
    holder = {}
    faulty = threading.Thread(target=lambda: holder.update(result=runner.run(fault.code)))
    faulty.start()
    bystanders = []
    while True:  # one more run after the fault ended: the slot must still work
        ended = not faulty.is_alive()
        start = time.perf_counter()
        result = runner.run(BYSTANDER)
        bystanders.append((result["stdout"] == BYSTANDER_OUTPUT, time.perf_counter() - start))
        if ended:
            break
    faulty.join()
    sampler.stop()
    result = holder["result"]
    lines = result["stdout"].splitlines()
    printed = [int(pid) for line in lines if line.startswith("pids:") for pid in line.split()[1:]]
    left = sorted(set(_marked_processes()) | {pid for pid in printed if _running(pid)})
    ok = sum(success for success, _ in bystanders)
    seconds = [elapsed for _, elapsed in bystanders]
    return {
        "fault": fault.name,
        "expected": fault.expected,
        "killed": result["killed"],
        "returncode": result["returncode"],
        "seconds": result["seconds"],
        "truncated": result["truncated"],
        "peak_extra_processes": sampler.peak - sampler.baseline,
        "left_behind": left,
        "bystander_runs": len(bystanders),
        "bystander_ok": ok,
        "bystander_median_s": statistics.median(seconds),
        "bystander_max_s": max(seconds),
        "lateness_max_ms": 1000 * max(sampler.lateness, default=0.0),
        "lateness_p99_ms": 1000 * _percentile(sampler.lateness, 0.99),
        "contained": result["killed"] == fault.expected and not left and ok == len(bystanders),
    }


def _percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def render(results):
    settings = results["settings"]
    machine = results["machine"]
    header = [
        "fault",
        "stopped as",
        "run time (s)",
        "peak extra processes",
        "left behind",
        "other runs ok",
        "other run median / max (s)",
        "server thread lateness p99 / max (ms)",
    ]
    rows = [
        [
            row["fault"],
            str(row["killed"] or "ended by itself") + ("" if row["killed"] == row["expected"] else " (UNEXPECTED)"),
            f"{row['seconds']:.2f}",
            str(row["peak_extra_processes"]),
            str(len(row["left_behind"])),
            f"{row['bystander_ok']}/{row['bystander_runs']}",
            f"{row['bystander_median_s']:.2f} / {row['bystander_max_s']:.2f}",
            f"{row['lateness_p99_ms']:.1f} / {row['lateness_max_ms']:.1f}",
        ]
        for row in results["faults"]
    ]
    verdict = "every fault contained" if all(row["contained"] for row in results["faults"]) else "NOT ALL CONTAINED"
    return "\n\n".join(
        [
            report.run_line(results, f"{verdict}, {results['wall_s']:.0f} s in all"),
            f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, {machine['ram_gib']} GiB RAM; "
            f"Python {results['versions']['python']}. Runner: timeout {settings['timeout']:g} s, "
            f"{settings['memory_mb']} MB, output {settings['output_limit']:,} bytes, "
            f"{settings['max_concurrent']} at once, {settings['max_processes']} processes per program.",
            report._table(header, rows),
        ]
    )


def run(args):
    start = time.perf_counter()
    settings = {
        "timeout": args.timeout,
        "memory_mb": 1024,
        "output_limit": 200_000,
        "max_concurrent": 2,
        "max_processes": 32,
    }
    runner = CodeRunner(**settings)
    runner.run(BYSTANDER)  # numpy's first import in a while reads it from disk
    rows = []
    for fault in FAULTS:
        print(f"{fault.name} ...", end=" ", flush=True)
        row = drill(runner, fault)
        print(f"{row['killed']} after {row['seconds']:.2f} s, {len(row['left_behind'])} left behind", flush=True)
        rows.append(row)
    runner.shutdown()
    return {
        **environment.provenance("benchmarks.runner_faults"),
        "settings": settings,
        **environment.record(),
        "faults": rows,
        "wall_s": time.perf_counter() - start,
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.runner_faults",
        description="Fault drills for Studio's code runner: infinite loop, memory bombs, fork bombs, "
        "output flood, escaping daemon (about a minute).",
    )
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="the runner's wall-clock limit in seconds (default: 5)"
    )
    report.add_output_options(parser, default_name="runner_faults")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    results = report.publish(args, run, render, MARKERS, args.name or "runner_faults")
    # Saved drills render whatever they found; a new run that did not contain a fault fails.
    if not args.from_json and not all(row["contained"] for row in results["faults"]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
