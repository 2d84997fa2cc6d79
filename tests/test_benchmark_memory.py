"""The memory benchmark counts what a fit allocates, whatever was resident before."""

from dataclasses import replace

import numpy as np
import pytest

from benchmarks import environment
from benchmarks.cases import TUTORIAL
from benchmarks.memory import measure_fit, render
from benchmarks.runners import SKLEARN, Fit

needs_peak_reset = pytest.mark.skipif(
    not environment.peak_memory_resettable(), reason="needs Linux's /proc/self/clear_refs"
)

BLOCK_BYTES = 64 * 2**20


def allocating_fit(X, params, threads):
    """A fit that touches a 64 MiB block, then frees it."""
    block = np.ones(BLOCK_BYTES // 8)
    centers = np.zeros((params.n_clusters, X.shape[1]))
    return Fit(centers=centers, labels=None, n_iter=int(block[0]), inertia=None, seconds=0.0)


@needs_peak_reset
def test_the_peak_growth_counts_a_block_the_fit_freed_and_not_what_was_resident():
    resident = np.ones(BLOCK_BYTES // 8)  # before the reset: not the fit's
    result = measure_fit(TUTORIAL, replace(SKLEARN, fit=allocating_fit), None, 1)
    # The kernel's resident counts lag by a few pages per thread.
    assert 0.95 * BLOCK_BYTES <= result["peak_growth_bytes"] < BLOCK_BYTES + 16 * 2**20
    assert result["baseline_rss_bytes"] >= resident.nbytes
    assert result["input_bytes"] == TUTORIAL.load().nbytes


def test_the_table_says_whether_kmlab_is_within_its_bar():
    def case(kmlab_growth):
        fits = {"kmlab": {"peak_growth_bytes": kmlab_growth}, "sklearn": {"peak_growth_bytes": 2**30}}
        return {"shape": [200_000, 64], "dtype": "float32", "n_clusters": 1000, "input_bytes": 51_200_000,
                "kmlab_bar_bytes": 125_600_000, "fits": fits}  # fmt: skip

    results = {
        "command": "python -m benchmarks.memory", "timestamp": "2026-12-03T10:00:00+00:00",
        "settings": {"threads": 2}, **environment.record(), "runners": ["kmlab", "sklearn"],
        "cases": {"under": case(100 * 2**20), "over": case(200 * 2**20)},
    }  # fmt: skip
    rows = [line for line in render(results).splitlines() if line.startswith(("| under", "| over"))]
    assert rows[0].endswith("| 100.0 | 1024.0 | 119.8 | yes |")
    assert rows[1].endswith("| 200.0 | 1024.0 | 119.8 | NO |")


def _send_twice(value, connection):
    connection.send(2 * value)


def _exit_without_sending(connection):
    raise SystemExit(3)


def test_a_fresh_process_returns_what_it_sends_and_a_failed_one_says_so():
    assert environment.in_fresh_process("doubling", _send_twice, 21) == 42
    with pytest.raises(RuntimeError, match=r"silence failed in its process \(exit code 3\)"):
        environment.in_fresh_process("silence", _exit_without_sending)
