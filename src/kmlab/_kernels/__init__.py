"""numba kernels.

Kernels fill ``# OUT`` arrays from ``# IN`` arrays. They never validate and never
see Python objects: the drivers above them allocate every buffer and check every
shape. One module per family of kernels.

Their on-disk cache is stamped with all of this package's sources (:mod:`._cache`),
before any kernel module is imported.
"""

from ._cache import install_locators

install_locators()
