"""Thread control for the kernels.

Kernels run on numba's thread pool; BLAS is held to one thread meanwhile so that
GEMM calls made inside parallel loops do not oversubscribe the cores.  Both
settings are restored on the way out, whatever happens.
"""

import threading
from contextlib import contextmanager
from functools import lru_cache

import os

import numba
from threadpoolctl import ThreadpoolController

# numba picks TBB first when libtbb is loaded (scikit-learn-intelex loads it), which
# is slower for these kernels; prefer OpenMP unless the user chose a layer.
if "NUMBA_THREADING_LAYER" not in os.environ and "NUMBA_THREADING_LAYER_PRIORITY" not in os.environ:
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]


# Below this many multiply-adds per thread a kernel call is cheaper on fewer
# threads: waking the pool costs tens of microseconds, far more on a busy machine.
MIN_WORK_PER_THREAD = 500_000

_state = threading.local()


@lru_cache(maxsize=1)
def blas_controller():
    """threadpoolctl's controller of the native thread pools (BLAS), made once (it inspects the loaded libraries)."""
    return ThreadpoolController()


def max_threads():
    """The most threads the kernels may use (numba's pool size)."""
    return numba.config.NUMBA_NUM_THREADS


def resolve_n_threads(n_threads):
    """Turn an ``n_threads`` parameter into a thread count.

    ``None`` or ``-1`` means every thread numba may use; other negative values
    count back from there, as in joblib (``-2``: all but one); larger counts are
    capped at what numba may use.
    """
    available = max_threads()
    if n_threads is None:
        return available
    if n_threads == 0:
        raise ValueError(
            "n_threads=0 is not a number of threads: pass a positive count, -1 (or None) for all, "
            "or -2 for all but one."
        )
    if n_threads < 0:
        return max(1, available + 1 + n_threads)
    return min(n_threads, available)


@contextmanager
def kernel_threads(n_threads):
    """Run kernels on at most ``n_threads`` numba threads with single-threaded BLAS."""
    previous = numba.get_num_threads()
    previous_ceiling = getattr(_state, "ceiling", None)
    _state.ceiling = n_threads
    numba.set_num_threads(n_threads)
    try:
        with blas_controller().limit(limits=1, user_api="blas"):
            yield
    finally:
        numba.set_num_threads(previous)
        _state.ceiling = previous_ceiling


def threads_for(work):
    """Size numba's pool for the next kernel call, by its ``work`` in multiply-adds.

    Never more than the ``kernel_threads`` ceiling; outside ``kernel_threads`` it
    changes nothing.  Results do not depend on it: the kernels' blocks and
    reduction order are fixed by the data's shape.
    """
    ceiling = getattr(_state, "ceiling", None)
    if ceiling is None:
        return
    wanted = max(1, min(ceiling, work // MIN_WORK_PER_THREAD))
    if wanted != numba.get_num_threads():
        numba.set_num_threads(wanted)
