"""Load and faults for kmlab Studio: concurrent clients at the fit and predict endpoints.

Run ``python -m benchmarks.studio_load`` from the repository root (``--help``
for the options).  It starts ``kmlab studio --no-browser --port 0`` in its own
process, as a user would, and then, for ``--duration`` seconds, ``--clients``
concurrent clients each repeat what the page does after a change: one fit
(``POST /api/fit``: K-Means on the tutorial's 300 points, K drawn from 2-8, a
random ``random_state``) followed by three clicks in predict mode (``POST
/api/predict``, one random point each).  Every request counts, answered or not;
latencies are wall-clock times seen by the client, queueing included.

With faults on (the default), one more client sends the code runner three
hostile programs one after the other while the load runs: a memory bomb, a fork
bomb and an endless loop (stopped at Studio's time limit, after the load).  The
report says how each was stopped and how the fit and predict requests fared
meanwhile (their p99 while a hostile program was running).  The run fails (exit code 1) on any 5xx answer or failed request.
"""

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np

from . import environment, report

MARKERS = ("<!-- studio-load:start -->", "<!-- studio-load:end -->")
PREDICTS_PER_FIT = 3
# The short ones first, so that all three run while the load does.
FAULTS = {
    "memory bomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))\n",
    "fork bomb": "import os\nwhile True:\n    os.fork()\n",
    "endless loop": "while True:\n    pass\n",
}
# Seconds into the run when the first hostile program is sent (the load is up by then).
FAULTS_START_S = 2.0


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.studio_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default: 50)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default: 30)")
    parser.add_argument("--no-faults", dest="faults", action="store_false", help="do not send the hostile programs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the clients' random choices (default: 0)")
    report.add_output_options(parser, "studio_load")
    return parser.parse_args(argv)


class Studio:
    """``kmlab studio`` in a child process; ``url`` is its address, ``token`` its launch token."""

    def __enter__(self):
        command = [sys.executable, "-m", "kmlab", "studio", "--no-browser", "--port", "0"]
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
        line = self.process.stdout.readline()
        found = re.search(r"(http://[^/\s]+)/\?token=(\S+)", line)
        if found is None:
            self.process.kill()
            raise RuntimeError(f"kmlab studio did not print its address; it printed {line!r}")
        self.url, self.token = found.groups()
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGINT)  # as Ctrl+C: the runner stops its programs
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


async def _call(http, path, body, records, kind):
    """POST ``body``; record (kind, start, seconds, status); return the JSON answer or None."""
    import httpx

    start = time.perf_counter()
    try:
        response = await http.post(path, json=body)
    except httpx.HTTPError as error:
        records.append((kind, start, time.perf_counter() - start, f"error: {type(error).__name__}"))
        return None
    records.append((kind, start, time.perf_counter() - start, response.status_code))
    return response.json() if response.status_code == 200 else None


async def _client(http, dataset, bounds, rng, stop_at, records):
    """Fit, then click to predict a few times; again until ``stop_at``."""
    (x0, y0), (x1, y1) = bounds
    while time.perf_counter() < stop_at:
        body = {"dataset": dataset, "k": int(rng.integers(2, 9)), "random_state": int(rng.integers(2**31))}
        fitted = await _call(http, "/api/fit", body, records, "fit")
        if fitted is None:
            continue
        for _ in range(PREDICTS_PER_FIT):
            point = [float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))]
            await _call(http, "/api/predict", {"model": fitted["model"], "points": [point]}, records, "predict")


async def _faults(http, faults):
    """Send the hostile programs one after the other; record when each ran and how it ended."""
    await asyncio.sleep(FAULTS_START_S)
    for name, code in FAULTS.items():
        start = time.perf_counter()
        response = await http.post("/api/run", json={"code": code})
        answer = response.json()
        faults.append({
            "program": name, "status": response.status_code, "start": start, "seconds": time.perf_counter() - start,
            "killed": answer.get("killed"), "returncode": answer.get("returncode"),
            "stderr_tail": answer.get("stderr", answer.get("detail", ""))[-300:],
        })  # fmt: skip


async def _load(studio, args):
    import httpx

    limits = httpx.Limits(max_connections=args.clients + 2, max_keepalive_connections=args.clients + 2)
    headers = {"X-Kmlab-Token": studio.token}
    async with httpx.AsyncClient(base_url=studio.url, headers=headers, limits=limits, timeout=120) as http:
        dataset = (await http.post("/api/data/preset", json={})).json()
        points = np.array(dataset["points"])
        bounds = (points.min(axis=0).tolist(), points.max(axis=0).tolist())
        warm = []  # first calls load numba's kernels: not timed
        fitted = await _call(http, "/api/fit", {"dataset": dataset["dataset"]}, warm, "fit")
        await _call(http, "/api/predict", {"model": fitted["model"], "points": [[0.0, 0.0]]}, warm, "predict")

        records, faults = [], []
        start = time.perf_counter()
        stop_at = start + args.duration
        rngs = [np.random.default_rng([args.seed, i]) for i in range(args.clients)]
        hostile = asyncio.create_task(_faults(http, faults)) if args.faults else None
        await asyncio.gather(*(_client(http, dataset["dataset"], bounds, rng, stop_at, records) for rng in rngs))
        wall = time.perf_counter() - start  # until the last fit or predict answer
        if hostile is not None:
            await hostile
    for fault in faults:
        fault["start"] -= start
    return records, faults, start, wall


def _latency_summary(seconds):
    if not seconds:
        return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    ms = 1000 * np.asarray(seconds)
    return {
        "count": int(ms.size),
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
    }


def summarize(records, faults, start, wall):
    """Per endpoint: requests, throughput, latency percentiles, status counts, and latencies during faults."""
    windows = [(fault["start"], fault["start"] + fault["seconds"]) for fault in faults]
    endpoints = {}
    for kind in ("fit", "predict"):
        mine = [record for record in records if record[0] == kind]
        statuses = {}
        for record in mine:
            statuses[str(record[3])] = statuses.get(str(record[3]), 0) + 1
        during = [
            seconds for _, began, seconds, _ in mine
            if any(low <= began - start <= high for low, high in windows)
        ]  # fmt: skip
        endpoints[kind] = {
            **_latency_summary([seconds for *_, seconds, _ in mine]),
            "throughput_per_s": len(mine) / wall,
            "statuses": statuses,
            "server_errors": sum(count for status, count in statuses.items() if status.startswith("5")),
            "failed": sum(count for status, count in statuses.items() if status.startswith("error")),
            "during_faults": _latency_summary(during),
        }
    return endpoints


def run(args):
    started = environment.provenance("benchmarks.studio_load")
    with environment.cpu_interference() as interference, Studio() as studio:
        records, faults, start, wall = asyncio.run(_load(studio, args))
    return {
        **started,
        "settings": {
            "clients": args.clients, "duration_s": args.duration, "faults": args.faults, "seed": args.seed,
            "data": "make_blobs(300, centers=4, cluster_std=0.60, random_state=0)",
            "requests": f"fit (KMeans, K in 2-8, random random_state), then {PREDICTS_PER_FIT} predicts; repeated",
        },  # fmt: skip
        "wall_s": wall,
        "endpoints": summarize(records, faults, start, wall),
        "faults": faults,
        **environment.record(interference),
    }


def _ms(value):
    return "—" if value is None else f"{value:.0f}"


def render(results):
    settings = results["settings"]
    lines = [
        report.run_header(
            results,
            f"{settings['clients']} clients for {settings['duration_s']:g} s; "
            f"{results['wall_s']:.1f} s until the last fit or predict answer",
        ),
        "",
    ]
    rows = []
    for kind, stats in results["endpoints"].items():
        rows.append([
            f"POST /api/{kind}", f"{stats['count']:,}", f"{stats['throughput_per_s']:.0f}", _ms(stats["p50_ms"]),
            _ms(stats["p99_ms"]), _ms(stats["max_ms"]), str(stats["server_errors"]), str(stats["failed"]),
            _ms(stats["during_faults"]["p99_ms"]),
        ])  # fmt: skip
    header = ["endpoint", "requests", "per second", "p50 (ms)", "p99 (ms)", "max (ms)", "5xx", "failed",
              "p99 during faults (ms)"]  # fmt: skip
    lines.append(report._table(header, rows))
    if results["faults"]:
        lines.append("")
        rows = [
            [fault["program"], str(fault["status"]), str(fault["killed"]), f"{fault['seconds']:.1f}"]
            for fault in results["faults"]
        ]
        lines.append(report._table(["hostile program", "HTTP status", "stopped because", "seconds"], rows))
    other = results["interference"]["other_cores"]
    if other is not None:
        cores = results["machine"]["usable_cores"]
        lines.append(f"\nOther work on the machine (not this benchmark's client, server or programs) kept {other:.2f} "
                     f"of its {cores} cores busy meanwhile.")  # fmt: skip
    return "\n".join(lines)


def main(argv=None):
    """Entry point: run (or load) the load test, print the tables, save them; exit 1 on any 5xx or failure."""
    args = parse_args(argv)
    results = report.publish(args, run, render, MARKERS, args.name or "studio_load")
    bad = sum(stats["server_errors"] + stats["failed"] for stats in results["endpoints"].values())
    if bad:
        print(f"FAILED: {bad} requests got a 5xx answer or none", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
