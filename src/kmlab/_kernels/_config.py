"""Compilation settings shared by every kernel."""

import types

from numba import njit

# ``contract`` lets LLVM fuse a*b + c into one FMA, as optimised BLAS kernels do,
# so that our distances round like scikit-learn's GEMM-based ones.  We never allow
# ``nnan``/``ninf`` (NaN checks must keep working) nor ``reassoc`` (sums must keep
# a fixed order, so that results do not depend on the vector width or thread count).
FASTMATH = {"contract", "nsz"}

# Kernels that reproduce code built for x86-64's baseline, which has no FMA
# (numpy's einsum, scipy's sparse products, scikit-learn's Cython) round every
# product before adding it: fusing would change the last bits of their sums.
SEPARATE_ROUNDING = FASTMATH - {"contract"}

# Rows handled together by one GEMM call; the scratch buffer is CHUNK x n_clusters.
CHUNK = 256


# The widest padded dot product (see _padded_width).
PADDED_MAX_WIDTH = 16


@njit(cache=True)
def _padded_width(n_features):
    """Terms per dot product when features are padded with zeros for the compiler: 4, 8 or 16
    up to 16 features (a zero term changes no sum; a constant count is unrolled), else all of them."""
    for width in (4, 8, PADDED_MAX_WIDTH):
        if n_features <= width:
            return width
    return n_features


@njit(inline="always", cache=True)
def _copy_into(target, source):
    """``target[:] = source`` for 1-D arrays of one length, as a loop: numba's slice
    assignment from an array goes through its broadcasting machinery, 4 to 7 times
    slower (32 values: 23 ns instead of 3.4), a quarter of a GEMM assignment's time
    when it filled each row of the GEMM's output with the centres' squared norms."""
    for j in range(target.shape[0]):
        target[j] = source[j]


def renamed_copy(function, name):
    """``function`` under another name, for a second numba build of the same source.

    numba's on-disk cache files a function's machine code under its qualified
    name; two builds of one function with other options (``parallel``) would
    share those entries and load each other's code.
    """
    code, defaults, closure = function.__code__, function.__defaults__, function.__closure__
    copy = types.FunctionType(code, function.__globals__, name, defaults, closure)
    copy.__qualname__ = name
    copy.__doc__ = function.__doc__
    return copy
