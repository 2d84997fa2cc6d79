"""``kmlab demo`` (the K-Means tutorial in the terminal) and ``kmlab warmup``."""

import sys
import time

import click
import numpy as np

TUTORIAL_NEW_POINTS = np.array([[0.0, 2.0], [3.0, 4.0], [-1.5, 3.0], [2.0, 0.5]])


def _bar(value, largest, width=40):
    return "#" * max(1, round(width * value / largest)) if largest > 0 else ""


def _sharpest_bend(inertias):
    """K (1-based) where the drop in inertia shrinks the most, or None.

    A quick rule for the demo's text on clean data, not a general knee finder.
    """
    drops = -np.diff(np.asarray(inertias, dtype=float))
    if drops.size < 2:
        return None
    ratios = drops[:-1] / np.maximum(drops[1:], np.finfo(float).tiny)
    return int(np.argmax(ratios)) + 2


def run_demo(out=sys.stdout, max_k=10):
    """Replay the tutorial: four blobs, KMeans(4), the elbow, predictions.

    Parameters
    ----------
    out : file-like, default=sys.stdout
        Where to print.
    max_k : int, default=10
        Largest K of the elbow table.

    Returns
    -------
    model : kmlab.KMeans
        The fitted 4-cluster model.

    Examples
    --------
    >>> import io
    >>> model = run_demo(out=io.StringIO())
    >>> model.cluster_centers_.shape
    (4, 2)
    """
    from sklearn.datasets import make_blobs

    from .. import KMeans

    def say(text=""):
        print(text, file=out)

    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)
    say("kmlab demo: the K-Means tutorial, with `from kmlab import KMeans`")
    say()
    say("X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)")
    say("kmeans = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)")
    start = time.perf_counter()
    model = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)
    elapsed = time.perf_counter() - start
    say(f"  fitted in {elapsed * 1e3:.1f} ms, {model.n_iter_} iterations")
    say()
    say(f"labels_[:20]      {model.labels_[:20].tolist()}")
    sizes = np.bincount(model.labels_, minlength=4)
    say("cluster_centers_  (cluster: x, y, size)")
    for label, (center, size) in enumerate(zip(model.cluster_centers_, sizes)):
        say(f"  {label}: {center[0]:8.3f} {center[1]:8.3f}  {size:4d} points")
    say(f"inertia_          {model.inertia_:.3f}")
    say()
    say(f"Elbow method: inertia for K = 1..{max_k}")
    inertias = [KMeans(n_clusters=k, n_init=10, random_state=42).fit(X).inertia_ for k in range(1, max_k + 1)]
    for k, inertia in enumerate(inertias, start=1):
        say(f"  K={k:2d} {inertia:10.1f} {_bar(inertia, inertias[0])}")
    elbow = _sharpest_bend(inertias)
    if elbow is not None:
        say(f"  the bend (the 'elbow') is at K={elbow}: past it, more clusters barely lower the inertia.")
    say()
    say("predict(X_new): assign new points without refitting")
    for point, label in zip(TUTORIAL_NEW_POINTS, model.predict(TUTORIAL_NEW_POINTS)):
        say(f"  ({point[0]:5.2f}, {point[1]:5.2f}) -> cluster {label}")
    return model


@click.command()
@click.option("--max-k", type=click.IntRange(min=1), default=10, show_default=True, help="Largest K of the elbow table.")
def demo(max_k):
    """Replay the K-Means tutorial in the terminal."""
    run_demo(max_k=max_k)


@click.command("warmup")
def warmup_command():
    """Compile (or load from numba's cache) every kernel now, so that later first fits are fast."""
    start = time.perf_counter()
    from .._warmup import warmup  # imports scikit-learn, scipy and numba: part of the cost

    imported = time.perf_counter() - start
    kernels = warmup()
    click.echo(
        f"kmlab warmup: kernels ready for float32 and float64, dense and sparse, in {imported + kernels:.2f} s "
        f"({imported:.2f} s importing scikit-learn, scipy and numba, {kernels:.2f} s compiling or loading kernels)"
    )
