"""Load test of ``kmlab serve`` on loopback: requests per second and latency percentiles.

``python -m benchmarks.serve_load`` saves a model (StandardScaler + KMeans, 16
features, k=8, fitted on 10,000 blob rows), starts ``kmlab serve`` on it in a
separate process (one uvicorn worker, as a user would), then measures:

- **one row, closed loop**: ``--clients`` (50) concurrent clients, each
  sending ``POST /predict`` with one 16-feature row and sending the next as
  soon as the answer arrives, for ``--duration`` seconds.  Gives the service's
  capacity (requests/s); the latency is then the queue of 50 requests waiting
  for one server process (Little's law: latency = clients / throughput).
- **one row, paced**: the same 50 clients, each sending one request every
  ``50 / rate`` seconds (``rate`` requests/s in all, random phases), for each
  rate of ``--rates``: the latency a client sees when the service is not
  saturated.
- **10k-row batch**: one client sending 10,000 rows at a time, as JSON lists
  and as CSV; the time from sending the request to receiving the whole answer.

The clients are plain asyncio sockets speaking HTTP/1.1 with keep-alive
(pre-built requests, minimal parsing), in one process, so that the load
generator costs the 2-core machine as little as possible.  Results go to
``benchmarks/results/<name>.json`` (default ``serve_load``) with the machine
and versions, and a markdown table is printed.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import environment, report

N_FEATURES = 16
N_CLUSTERS = 8
BATCH_ROWS = 10_000


def make_model(directory):
    """Fit and save the served model; returns (model path, rows to send)."""
    import pandas as pd
    from sklearn.datasets import make_blobs
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from kmlab import KMeans
    from kmlab.io import save

    X, _ = make_blobs(n_samples=BATCH_ROWS, n_features=N_FEATURES, centers=N_CLUSTERS, random_state=0)
    X = X * np.logspace(0, 4, N_FEATURES)  # features in very different units
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(N_FEATURES)])
    model = make_pipeline(StandardScaler(), KMeans(n_clusters=N_CLUSTERS, random_state=0)).fit(frame)
    return save(model, Path(directory) / "model.kmlab"), frame


def start_server(model_path):
    """``kmlab serve MODEL --port 0`` in a new process; returns (process, port)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kmlab", "serve", str(model_path), "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = process.stdout.readline()
    if "http://" not in line:
        process.kill()
        raise RuntimeError(f"kmlab serve did not start: {line}{process.stderr.read()}")
    port = int(line.split("http://", 1)[1].split("/")[0].split(" ")[0].rsplit(":", 1)[1])
    return process, port


def process_cpu_seconds(pid):
    """CPU seconds (user + system) the process ``pid`` has used so far, or None off Linux."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid, run):
    """``run()``'s summary, with the server's CPU milliseconds per request."""
    before = process_cpu_seconds(pid)
    summary = asyncio.run(run())
    after = process_cpu_seconds(pid)
    summary["server_cpu_ms_per_request"] = None if before is None else (after - before) * 1e3 / summary["requests"]
    return summary


def request_bytes(port, body, content_type):
    head = (
        f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One keep-alive HTTP/1.1 connection sending a fixed request."""

    def __init__(self, reader, writer, request):
        self.reader, self.writer, self.request = reader, writer, request

    @classmethod
    async def open(cls, port, request):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, request)

    async def send(self):
        """Send the request, read the whole answer; returns (status, body)."""
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self):
        self.writer.close()


async def _client(connection, deadline, latencies, period, rng):
    if period:
        await asyncio.sleep(rng.uniform(0, period))
    next_start = time.perf_counter()
    while True:
        start = time.perf_counter()
        if start >= deadline:
            return
        status, _ = await connection.send()
        if status != 200:
            raise RuntimeError(f"/predict answered {status}")
        latencies.append(time.perf_counter() - start)
        if period:
            next_start += period
            await asyncio.sleep(max(0.0, next_start - time.perf_counter()))


async def one_row_load(port, request, clients, duration, period=None, seed=0):
    """``clients`` concurrent connections for ``duration`` s; period None: closed loop."""
    connections = [await Connection.open(port, request) for _ in range(clients)]
    rng = random.Random(seed)
    latencies = []
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.gather(*(_client(c, deadline, latencies, period, rng) for c in connections))
    elapsed = time.perf_counter() - start
    for connection in connections:
        connection.close()
    return _summary(latencies, elapsed)


async def batch_load(port, request, repeats):
    connection = await Connection.open(port, request)
    latencies = []
    for _ in range(repeats):
        start = time.perf_counter()
        status, body = await connection.send()
        latencies.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError(f"/predict answered {status}: {body[:200]!r}")
    connection.close()
    return _summary(latencies, sum(latencies))


def _summary(latencies, elapsed):
    ms = np.asarray(latencies) * 1e3
    return {
        "requests": len(latencies),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(ms, 50)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
        "mean_ms": float(ms.mean()),
    }


def run(args):
    with tempfile.TemporaryDirectory() as directory:
        model_path, frame = make_model(directory)
        one = json.dumps({"rows": frame.iloc[:1].to_numpy().tolist()}).encode()
        batch_json = json.dumps({"rows": frame.to_numpy().tolist()}).encode()
        batch_csv = frame.to_csv(index=False).encode()
        # The server is a child process: its CPU time counts as ours once it has been waited for.
        with environment.cpu_interference() as interference:
            process, port = start_server(model_path)
            try:
                one_request = request_bytes(port, one, "application/json")
                json_request = request_bytes(port, batch_json, "application/json")
                csv_request = request_bytes(port, batch_csv, "text/csv")
                # Warm-up: the first requests import and compile what the service needs.
                asyncio.run(batch_load(port, one_request, 50))
                asyncio.run(batch_load(port, csv_request, 2))
                pid, clients, duration = process.pid, args.clients, args.duration
                results = {"one_row_closed_loop": measured(pid, lambda: one_row_load(port, one_request, clients, duration))}
                for rate in args.rates:
                    results[f"one_row_paced_{rate:g}"] = measured(
                        pid, lambda: one_row_load(port, one_request, clients, duration, period=clients / rate)
                    )
                results["batch_10k_json"] = measured(pid, lambda: batch_load(port, json_request, args.batches))
                results["batch_10k_csv"] = measured(pid, lambda: batch_load(port, csv_request, args.batches))
            finally:
                process.terminate()
                process.wait(timeout=30)
    environment.warn_if_busy(interference)
    return {
        **environment.provenance("benchmarks.serve_load"),
        "settings": {
            "clients": args.clients, "duration_s": args.duration, "paced_rates_per_s": args.rates,
            "batches": args.batches, "n_features": N_FEATURES, "n_clusters": N_CLUSTERS, "batch_rows": BATCH_ROWS,
        },  # fmt: skip
        **environment.record(interference),
        "results": results,
    }


def render(data):
    settings = data["settings"]
    clients = settings["clients"]
    names = {"one_row_closed_loop": f"1 row, {clients} clients, closed loop (capacity)"}
    for rate in settings["paced_rates_per_s"]:
        names[f"one_row_paced_{rate:g}"] = f"1 row, {clients} clients, paced: {rate:g} req/s in all"
    names.update(batch_10k_json="10k rows, JSON lists, 1 client", batch_10k_csv="10k rows, CSV, 1 client")
    lines = [
        "| case | requests/s | p50 (ms) | p99 (ms) | max (ms) | server CPU per request (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, name in names.items():
        row = data["results"][key]
        cpu = row["server_cpu_ms_per_request"]
        lines.append(
            f"| {name} | {row['requests_per_s']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['max_ms']:.2f} "
            f"| {'-' if cpu is None else f'{cpu:.2f}'} |"
        )
    return "\n".join(lines)


def _rates(text):
    try:
        rates = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rates takes numbers separated by commas, e.g. 100,250; got {text!r}") from None
    if any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError(f"--rates must be positive; got {text!r}")
    return rates


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default: 50)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per one-row case (default: 10)")
    parser.add_argument("--rates", type=_rates, default=[100.0, 250.0, 500.0],
                        help="requests/s of the paced cases, in all, comma-separated (default: 100,250,500)")
    parser.add_argument("--batches", type=int, default=20, help="10k-row requests per batch case (default: 20)")
    report.add_output_options(parser, "serve_load", readme=False)
    args = parser.parse_args(argv)
    report.publish(args, run, render, None, args.name or "serve_load")


if __name__ == "__main__":
    main()
