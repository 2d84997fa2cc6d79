"""Overheads: what ``import kmlab`` loads, what the warm-up compiles, what a small fit calls.

These tests check *which modules* get imported, *which kernels* get compiled and
*which drivers* a small fit goes through, never how long anything takes:
timings belong to ``benchmarks/``.
"""

import sys
from collections import Counter

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_blobs
from subprocesses import run_fresh

import kmlab
import kmlab._init
import kmlab._lloyd
from kmlab.cli import main

HEAVY_MODULES = ("numba", "scipy", "sklearn")


def imported_by(statements):
    """Top-level packages among HEAVY_MODULES that ``statements`` import in a fresh interpreter."""
    return run_fresh(
        f"""
import json, sys
before = set(sys.modules)
{statements}
new = {{name.partition(".")[0] for name in set(sys.modules) - before}}
print(json.dumps(sorted(new & set({HEAVY_MODULES!r}))))
"""
    )


def test_import_kmlab_is_light():
    assert imported_by("import kmlab\nkmlab.__version__") == []


def test_cli_help_is_light():
    # ``kmlab --help`` and ``kmlab --version`` answer without the numerical stack.
    assert imported_by("from kmlab.cli import main\nmain(['--help'])\nmain(['--version'])") == []


@pytest.mark.parametrize("name", [name for name in kmlab.__all__ if name != "__version__"])
def test_lazy_names_are_the_real_objects(name):
    value = getattr(kmlab, name)
    assert getattr(sys.modules[value.__module__], name) is value
    # Stored after the first access: later ones do not go through __getattr__.
    assert name in vars(kmlab)


def test_star_import_gives_every_public_name():
    namespace = {}
    exec("from kmlab import *", namespace)
    assert set(kmlab.__all__) <= set(namespace)


def test_dir_lists_the_lazy_names():
    assert set(kmlab.__all__) <= set(dir(kmlab))


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="module 'kmlab' has no attribute 'Kmeans'"):
        kmlab.Kmeans  # noqa: B018
    assert not hasattr(kmlab, "Kmeans")


def test_warmup_command(capsys):
    assert main(["warmup"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kmlab warmup: kernels ready for float32 and float64, dense and sparse, in ")


def test_warmup_reaches_every_kernel():
    # In a fresh process, so that kernels compiled by other tests do not count.
    not_compiled = run_fresh(
        """
import importlib, json, pkgutil
from numba.core.dispatcher import Dispatcher
import kmlab._kernels
from kmlab._warmup import warmup

warmup()
missing = []
for info in pkgutil.iter_modules(kmlab._kernels.__path__):
    module = importlib.import_module(f"kmlab._kernels.{info.name}")
    for name, kernel in vars(module).items():
        # Names with a leading underscore are helpers inlined into the kernels.
        if isinstance(kernel, Dispatcher) and not name.startswith("_") and not kernel.signatures:
            missing.append(f"{info.name}.{name}")
print(json.dumps(missing))
"""
    )
    assert not_compiled == [], (
        "kmlab warmup does not reach these kernels through KMeans and kmeans_plusplus; "
        "reach them from kmlab/_warmup.py (or from a KMeans option it tries)"
    )


# --- small fits: one kernel call per seeding and per Lloyd run ---------------------


def tutorial_data():
    return make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)[0]


def count_calls(monkeypatch):
    """Count the serial kernels' calls and the general Lloyd loop's assignments."""
    calls = Counter()
    for module, name in [(kmlab._init, "greedy_kmeans_plusplus_dense"), (kmlab._lloyd, "lloyd_run_dense")]:
        kernel = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *args, _k=kernel, _n=name: calls.update([_n]) or _k(*args))
    assign = kmlab._lloyd.LloydWorkspace.assign
    monkeypatch.setattr(
        kmlab._lloyd.LloydWorkspace, "assign", lambda self, *a, **k: calls.update(["assign"]) or assign(self, *a, **k)
    )
    return calls


def test_small_fit_makes_one_kernel_call_per_seeding_and_run(monkeypatch):
    float64 = np.dtype(np.float64)
    if not (kmlab._lloyd.one_call_run_supported(float64) and kmlab._init.kernel_rounds_supported(float64)):
        pytest.skip("numpy rounds otherwise on this machine: small fits keep to the general drivers")
    calls = count_calls(monkeypatch)
    kmlab.KMeans(n_clusters=4, n_init=10, random_state=0).fit(tutorial_data())
    assert calls == {"greedy_kmeans_plusplus_dense": 10, "lloyd_run_dense": 10}


def test_observed_or_printed_fits_keep_to_the_general_loop(monkeypatch, capsys):
    calls = count_calls(monkeypatch)
    kmlab.KMeans(n_clusters=4, n_init=2, random_state=0, record_history=True).fit(tutorial_data())
    kmlab.KMeans(n_clusters=4, n_init=2, random_state=0, verbose=1).fit(tutorial_data())
    assert "Initialization complete" in capsys.readouterr().out
    assert calls["lloyd_run_dense"] == 0
    assert calls["assign"] >= 8


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_small_fits_are_the_general_drivers_fits(monkeypatch, seed, dtype):
    X = tutorial_data().astype(dtype)
    weights = np.random.RandomState(seed).uniform(0.5, 2.0, size=X.shape[0])
    fits = []
    for one_call in (True, False):
        monkeypatch.setattr(kmlab._init, "rounds_in_kernel", lambda X, _in_kernel=one_call: _in_kernel)
        monkeypatch.setattr(kmlab._lloyd, "ONE_CALL_MAX_WORK", 10**12 if one_call else 0)
        fits.append(
            [
                kmlab.KMeans(n_clusters=4, n_init=10, random_state=seed).fit(X),
                kmlab.KMeans(n_clusters=7, n_init=3, random_state=seed, tol=0).fit(X, sample_weight=weights),
                kmlab.KMeans(n_clusters=5, n_init=2, random_state=seed, max_iter=2).fit(X[:, :1]),
            ]
        )
    for serial, general in zip(*fits):
        assert_array_equal(serial.labels_, general.labels_)
        assert_array_equal(serial.cluster_centers_, general.cluster_centers_)
        assert serial.inertia_ == general.inertia_
        assert serial.n_iter_ == general.n_iter_
        assert serial.n_distances_ == general.n_distances_
