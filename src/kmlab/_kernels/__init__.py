"""numba kernels.

Kernels fill ``# OUT`` arrays from ``# IN`` arrays. They never validate and never
see Python objects: the drivers above them allocate every buffer and check every
shape. One module per family of kernels.
"""
