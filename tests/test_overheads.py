"""One-time costs: what ``import kmlab`` loads, and what the warm-up compiles.

These tests check *which modules* get imported and *which kernels* get compiled,
never how long anything takes: timings belong to ``benchmarks/``.
"""

import json
import subprocess
import sys

import pytest

import kmlab
from kmlab.cli import main

HEAVY_MODULES = ("numba", "scipy", "sklearn")


def run_fresh(code):
    """Run ``code`` in a new interpreter and return what it prints on its last line, parsed as JSON."""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


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
