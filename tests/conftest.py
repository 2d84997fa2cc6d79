"""Shared fixtures.

The ``seed`` fixture's contract: a test that takes it must pass for *any* seed.
By default it runs a few fixed seeds; set ``KMLAB_TEST_SEEDS`` to run others,
e.g. ``KMLAB_TEST_SEEDS=7`` or ``KMLAB_TEST_SEEDS=0-49`` or
``KMLAB_TEST_SEEDS=3,17,123``.
"""

import os
import sys
from pathlib import Path

import pytest

# With --import-mode=importlib neither the tests folder nor the repository root is
# on sys.path; the tests import their helpers as ``naive`` and ``testdata``, and
# the random-case comparison from ``benchmarks``.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parents[1]))

DEFAULT_SEEDS = (0, 1, 42)


def parse_seeds(text):
    """'3' -> [3]; '0-4' -> [0, 1, 2, 3, 4]; '1,5-6' -> [1, 5, 6]."""
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            low, high = part.split("-")
            seeds.extend(range(int(low), int(high) + 1))
        else:
            seeds.append(int(part))
    if not seeds:
        raise ValueError(f"KMLAB_TEST_SEEDS={text!r} names no seed; use e.g. '0-9' or '1,2,3'.")
    return seeds


SEEDS = parse_seeds(os.environ["KMLAB_TEST_SEEDS"]) if os.environ.get("KMLAB_TEST_SEEDS") else DEFAULT_SEEDS


@pytest.fixture(params=SEEDS, ids=lambda s: f"seed{s}")
def seed(request):
    """A random seed; tests using it must pass whatever its value."""
    return request.param
