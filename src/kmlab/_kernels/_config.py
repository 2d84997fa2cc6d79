"""Compilation settings shared by every kernel."""

# ``contract`` lets LLVM fuse a*b + c into one FMA, as optimised BLAS kernels do,
# so that our distances round like scikit-learn's GEMM-based ones.  We never allow
# ``nnan``/``ninf`` (NaN checks must keep working) nor ``reassoc`` (sums must keep
# a fixed order, so that results do not depend on the vector width or thread count).
FASTMATH = {"contract", "nsz"}

# Rows handled together by one GEMM call; the scratch buffer is CHUNK x n_clusters.
CHUNK = 256
