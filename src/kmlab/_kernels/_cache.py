"""numba's on-disk cache for the kernels, kept only while every kernel source is unchanged.

numba files a cached function under a stamp of its own source file alone, and
bakes in the values of the globals it read (both documented limits of its
cache).  A kernel that calls an intrinsic of ``_intrinsics`` or reads a
constant of ``_config`` would so keep machine code built from those modules'
old text after they changed, on an upgrade that leaves ``__pycache__`` behind or
on an edit: code that no longer matches its drivers' buffers.  The locators
installed here give every function of this package the same stamp, a digest of
all its sources: a change to any of them recompiles every kernel.
"""

import hashlib
import os

from numba.core import caching

KERNELS_DIR = os.path.dirname(os.path.abspath(__file__))

# numba's locators, in its order of preference: NUMBA_CACHE_DIR, then the
# source's own __pycache__ where writable, then the user-wide cache directory.
# Older numba releases name them, and CacheImpl, with a leading underscore.
_NUMBA_LOCATORS = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")


def kernel_sources_digest(directory=KERNELS_DIR):
    """SHA-256 of the names and contents of the ``.py`` files of ``directory``, in name order.

    Examples
    --------
    >>> from kmlab._kernels._cache import kernel_sources_digest
    >>> len(kernel_sources_digest())
    32
    """
    digest = hashlib.sha256()
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(directory, name), "rb") as source:
            text = source.read()
        digest.update(f"{name}\0{len(text)}\0".encode())
        digest.update(text)
    return digest.digest()


class _KernelSourcesStamp:
    """Mixin for a numba locator: serves the functions of this package only, stamped with
    :func:`kernel_sources_digest` (computed once, when the locators are installed)."""

    digest = b""

    @classmethod
    def from_function(cls, py_func, py_file):
        if os.path.dirname(os.path.abspath(py_file)) != KERNELS_DIR:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return self.digest


def install_locators():
    """Put locators stamped with the kernel sources' digest ahead of numba's own (once).

    Only functions defined in this package take them; others find numba's
    locators as before.  Where this numba lacks any of the expected classes, the
    cache keeps numba's own stamps.
    """
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    bases = [getattr(caching, name, None) or getattr(caching, "_" + name, None) for name in _NUMBA_LOCATORS]
    if impl is None or None in bases:
        return
    if any(issubclass(locator, _KernelSourcesStamp) for locator in impl._locator_classes):
        return
    digest = kernel_sources_digest()
    locators = [
        type("Kernel" + base.__name__.lstrip("_"), (_KernelSourcesStamp, base), {"digest": digest}) for base in bases
    ]
    impl._locator_classes[:0] = locators
