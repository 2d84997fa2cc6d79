"""The kernels' on-disk cache follows every kernel source, not only a kernel's own file."""

import os
import shutil

import kmlab._kernels
from kmlab._kernels import lloyd
from kmlab._kernels._cache import kernel_sources_digest
from subprocesses import run_fresh

# Compiles one small kernel of a copy of the kernel package (under ``root``) in a fresh
# process and reports whether numba took it from its cache.
COMPILE_ONE = """
import json, sys
import numpy as np
sys.path.insert(0, {root!r})
from kernels_copy.lloyd import numpy_sum
numpy_sum(np.ones(3))
print(json.dumps({{"hits": sum(numpy_sum.stats.cache_hits.values()),
                  "misses": sum(numpy_sum.stats.cache_misses.values())}}))
"""


def compile_one(root):
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CACHE_DIR"}
    return run_fresh(COMPILE_ONE.format(root=str(root)), env=env)


def append_comment(path):
    with open(path, "a") as source:
        source.write("\n# changed\n")


def test_digest_follows_every_python_source(tmp_path):
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "b.py").write_text("B = 2\n")
    first = kernel_sources_digest(tmp_path)
    assert kernel_sources_digest(tmp_path) == first
    (tmp_path / "notes.txt").write_text("not a source")
    assert kernel_sources_digest(tmp_path) == first
    (tmp_path / "b.py").write_text("B = 3\n")
    changed = kernel_sources_digest(tmp_path)
    assert changed != first
    (tmp_path / "c.py").write_text("")
    assert kernel_sources_digest(tmp_path) not in (first, changed)


def test_kernels_are_stamped_with_the_digest():
    cache_file = lloyd.numpy_sum._cache._cache_file
    assert cache_file._source_stamp == kernel_sources_digest(os.path.dirname(kmlab._kernels.__file__))


def test_change_to_another_kernel_module_recompiles(tmp_path):
    # numpy_sum lives in lloyd.py; a change to _config.py alone must not leave it cached.
    package = tmp_path / "kernels_copy"
    shutil.copytree(os.path.dirname(kmlab._kernels.__file__), package, ignore=shutil.ignore_patterns("__pycache__"))
    assert compile_one(tmp_path) == {"hits": 0, "misses": 1}
    assert compile_one(tmp_path) == {"hits": 1, "misses": 0}
    append_comment(package / "_config.py")
    assert compile_one(tmp_path) == {"hits": 0, "misses": 1}
    assert compile_one(tmp_path) == {"hits": 1, "misses": 0}
