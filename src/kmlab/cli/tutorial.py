"""``kmlab demo`` (the K-Means tutorial in the terminal) and ``kmlab warmup``."""

import sys
import time

import click
import numpy as np

TUTORIAL_NEW_POINTS = np.array([[1.0, 4.5], [-1.5, 7.5], [-1.5, 3.0], [2.0, 0.5]])


def _bar(value, largest, width=40):
    return "#" * max(1, round(width * value / largest)) if largest > 0 else ""


def run_demo(out=None, max_k=10):
    """Replay the tutorial: four blobs, KMeans(4), the elbow, predictions.

    Parameters
    ----------
    out : file-like, default=None
        Where to print (None: standard output).
    max_k : int, default=10
        Largest K of the elbow table (at least 2).

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

    from .. import KMeans, select_k

    out = sys.stdout if out is None else out

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
    say(f"Elbow method: inertia for K = 1..{max_k}  (select_k(X, range(1, {max_k + 1})))")
    selection = select_k(
        X, range(1, max_k + 1), estimator=KMeans(n_init=10), criteria=("elbow", "silhouette"), random_state=42
    )
    for k, inertia in zip(selection.k_values, selection.inertia):
        say(f"  K={k:2d} {inertia:10.1f} {_bar(inertia, selection.inertia[0])}")
    say(f"  {selection.verdict}")
    say()
    say("predict(X_new): assign new points without refitting")
    for point, label in zip(TUTORIAL_NEW_POINTS, model.predict(TUTORIAL_NEW_POINTS)):
        say(f"  ({point[0]:5.2f}, {point[1]:5.2f}) -> cluster {label}")
    return model


@click.command()
@click.option("--max-k", type=click.IntRange(min=2), default=10, show_default=True, help="Largest K of the elbow table.")
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
