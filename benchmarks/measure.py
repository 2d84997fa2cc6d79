"""The measuring protocol: warm-up, timed repeats, and the equivalence check."""

import statistics
import time
from dataclasses import replace
from functools import partial

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from kmlab._warmup import warmup

from . import environment, scoring
from .cases import TUTORIAL
from .runners import KMLAB, SKLEARN

WARM_UP_DTYPES = (np.float64, np.float32)


def _params_for(runner, params, kmlab_fit):
    """``params``, with kmlab's iteration count for runners without a convergence test."""
    return replace(params, max_iter=kmlab_fit.n_iter) if runner.fixed_iterations else params


def _fit_each(runners, X, params, threads, settle=None):
    """One fit of ``X`` per implementation, kmlab first (its ``n_iter_`` sets the fixed-iteration runners').

    ``settle``: None, each fit right away; "rest", each after a rest
    (:func:`environment.after_rest`); "own call", each fitted twice in a row
    and the second fit kept, so that it follows its own library
    (:func:`environment.after_own_call`).

    Returns ``{runner name: Fit}``.
    """
    settled = {None: lambda fit: fit(), "rest": environment.after_rest, "own call": environment.after_own_call}[settle]
    fits = {}
    for runner in runners:
        runner_params = _params_for(runner, params, fits.get(KMLAB.name))
        fits[runner.name] = settled(partial(runner.fit, X, runner_params, threads))
    return fits


def warm_up(runners, *, seed, threads):
    """Call every implementation for the first time in this process.

    Each fits the tutorial data once in float64, then once in float32: numba
    compiles (or loads from its on-disk cache) one specialisation per dtype, and
    the peers load their libraries.  These calls are timed but kept out of the
    medians.

    Parameters
    ----------
    runners : list of Runner
        The implementations, kmlab first.
    seed : int
        ``random_state`` of the fits.
    threads : int or None
        Threads for every library.

    Returns
    -------
    first_calls : dict
        ``{runner name: {dtype name: seconds}}``.
    """
    data = TUTORIAL.load()
    params = TUTORIAL.params(seed)
    first_calls = {runner.name: {} for runner in runners}
    for dtype in WARM_UP_DTYPES:
        for name, fit in _fit_each(runners, data.astype(dtype), params, threads).items():
            first_calls[name][np.dtype(dtype).name] = fit.seconds
    return first_calls


def warm_up_kmlab_kernels():
    """Compile (after a change of kmlab's code) or load every kmlab kernel, before any timing.

    The tutorial fits of :func:`warm_up` reach only the kernels of small data; a
    timed fit that compiled the others would count a minute of compiling (a
    'yinyang' gaussian fit once took 68 s instead of 10).

    Returns
    -------
    seconds : float
        The time :func:`kmlab._warmup.warmup` took.
    """
    print("warming up: every kmlab kernel (kmlab.warmup)", flush=True)
    return warmup()


def _timing(X, fits):
    """Summary of one implementation's timed fits on one case (all from the same seed)."""
    times = [fit.seconds for fit in fits]
    median = statistics.median(times)
    last = fits[-1]
    summary = {
        "times_s": times,
        "median_s": median,
        "n_iter": last.n_iter,
        "per_iter_s": median / last.n_iter,
        "inertia": scoring.inertia(X, last.centers),
        "inertia_reported": last.inertia,
        # Same seed, same threads: every repeat should give the same centres.
        "repeatable": all(np.array_equal(fit.centers, fits[0].centers) for fit in fits) if len(fits) > 1 else None,
    }
    if last.accelerated is not None:
        summary["accelerated"] = last.accelerated
    return summary


def _same_answer(X, seed, kmlab_fit, sklearn_fit, sklearn_1thread_fit):
    """kmlab against scikit-learn for one seed, and scikit-learn's own thread noise."""
    kmlab_inertia = scoring.inertia(X, kmlab_fit.centers)
    row = {
        "seed": seed,
        "labels_differ": scoring.labels_differ(kmlab_fit.labels, sklearn_fit.labels),
        "n_iter_kmlab": kmlab_fit.n_iter,
        "n_iter_sklearn": sklearn_fit.n_iter,
        "rel_inertia_diff": (scoring.inertia(X, sklearn_fit.centers) - kmlab_inertia) / kmlab_inertia,
    }
    if sklearn_1thread_fit is not None:
        row["sklearn_1thread_labels_differ"] = scoring.labels_differ(sklearn_1thread_fit.labels, sklearn_fit.labels)
    return row


def _sklearn_one_thread(X, params):
    """scikit-learn with one OpenMP thread (float32 sums then follow one order)."""
    with threadpool_limits(1, user_api="openmp"):
        return SKLEARN.fit(X, params, None)


# A case without a cap on its repeats gets more rounds of timed fits than
# asked, up to MAX_ROUNDS, while its timed fits so far (every implementation's)
# add up to less than ROUNDS_BUDGET_S: fits of tens of milliseconds vary by up
# to twice between one another on a shared 2-core machine, and the median of
# three moved blobs' ratio to scikit-learn-intelex between 0.96 and 1.90 from one
# run to the next; the slow cases' first rounds spend the budget.  (A round's
# wall time is longer: each fit follows a rest and an untimed fit,
# environment.after_own_call.)
MAX_ROUNDS = 15
ROUNDS_BUDGET_S = 5.0


def measure_case(case, runners, *, seeds, repeats, threads):
    """Time every implementation on ``case`` and compare the answers.

    Timing uses ``seeds[0]``: ``repeats`` fits per implementation (at most
    ``case.max_repeats``; without that cap, more while the timed fits add up to
    less than ROUNDS_BUDGET_S, up to MAX_ROUNDS), interleaved across implementations so
    that a change in the machine's load hits them alike; the median is reported.  A case
    timed more than once gives each timed fit an untimed fit of the same
    implementation just before it (see :func:`_fit_each`), unless
    ``case.untimed_first`` is False (then a rest only); the first of them
    also pays the one-time costs of a shape (numba loads from its cache the
    kernels the warm-up on the tutorial data did not reach: 50 to 130 ms for
    kmlab on digits and blobs), which :func:`warm_up` and the fresh-process
    overheads report, and which would otherwise be one of three medians.  The
    equivalence check compares kmlab with scikit-learn for every seed (at most
    ``case.max_seeds``), reusing the timed fits for ``seeds[0]``; for float32
    data (and ``threads`` other than 1) it also runs scikit-learn with one
    OpenMP thread.

    Parameters
    ----------
    case : Case
        The case.
    runners : list of Runner
        The implementations, kmlab first, scikit-learn second; those that take
        dense data only are left out of a sparse case.
    seeds : list of int
        ``random_state`` values.
    repeats : int
        Timed fits per implementation, at least.
    threads : int or None
        Threads for every library.

    Returns
    -------
    result : dict
        JSON-ready description, timings, peer ratios and equivalence rows.
    """
    start = time.perf_counter()
    X = case.load()
    runners = [runner for runner in runners if not (runner.dense_only and sp.issparse(X))]
    params = case.params(seeds[0])
    fits = {runner.name: [] for runner in runners}
    n_timed = min(repeats, case.max_repeats or repeats)
    extensible = case.max_repeats is None
    settle = ("own call" if case.untimed_first else "rest") if n_timed > 1 or extensible else None
    timed_s = 0.0
    n_rounds = 0
    while n_rounds < n_timed or (extensible and n_rounds < MAX_ROUNDS and timed_s < ROUNDS_BUDGET_S):
        for name, fit in _fit_each(runners, X, params, threads, settle=settle).items():
            fits[name].append(fit)
            timed_s += fit.seconds
        n_rounds += 1
    timing = {name: _timing(X, runner_fits) for name, runner_fits in fits.items()}

    kmlab_timing = timing[KMLAB.name]
    peers = {}
    for runner in runners[1:]:
        peer = timing[runner.name]
        peers[runner.name] = {
            "speed_ratio": peer["median_s"] / kmlab_timing["median_s"],
            "per_iter_ratio": peer["per_iter_s"] / kmlab_timing["per_iter_s"],
            "inertia_ratio": peer["inertia"] / kmlab_timing["inertia"],
        }
        if runner is not SKLEARN and fits[runner.name][-1].labels is not None:
            peers[runner.name]["label_agreement_with_sklearn"] = scoring.matched_agreement(
                fits[runner.name][-1].labels, fits[SKLEARN.name][-1].labels, case.n_clusters
            )

    # The noise floor needs float32 data and more than one thread to compare with.
    noise_floor = X.dtype == np.float32 and threads != 1
    equivalence = []
    for seed in seeds[: case.max_seeds]:
        if seed == seeds[0]:
            kmlab_fit, sklearn_fit = fits[KMLAB.name][-1], fits[SKLEARN.name][-1]
        else:
            kmlab_fit = KMLAB.fit(X, case.params(seed), threads)
            sklearn_fit = SKLEARN.fit(X, case.params(seed), threads)
        one_thread = _sklearn_one_thread(X, case.params(seed)) if noise_floor else None
        equivalence.append(_same_answer(X, seed, kmlab_fit, sklearn_fit, one_thread))

    return {
        "name": case.name,
        "description": case.description,
        "n_samples": X.shape[0],
        "n_features": X.shape[1],
        "dtype": X.dtype.name,
        "sparse": sp.issparse(X),
        "n_clusters": case.n_clusters,
        "n_init": case.n_init,
        "max_iter": case.max_iter,
        "settle": settle,
        "timing": timing,
        "peers": peers,
        "equivalence": equivalence,
        "wall_s": time.perf_counter() - start,
    }
