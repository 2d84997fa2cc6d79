"""Choosing the number of clusters, on data with clusters and on data without.

``select_k`` fits K = 1..10 and scores each fit with five criteria (elbow,
silhouette, gap, Calinski-Harabasz, Davies-Bouldin); its verdict says whether
they agree.  On five blobs they all pick 5; on uniform noise there is no
clear elbow, the mean silhouette is flat and the criteria scatter: whatever K
is chosen there is arbitrary.

Run it as ``python examples/choose_k.py [OUTPUT_DIR]`` (default: the current
folder).  It prints each selection's table and verdict and writes
choose_k_blobs.png and choose_k_uniform.png (the elbow beside the silhouette
of the chosen K).
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from kmlab.plotting import ElbowDisplay, SilhouetteDisplay
from kmlab import select_k


def choose(name, X, output_dir):
    selection = select_k(X, range(1, 11), random_state=0)
    print(f"== {name} ==")
    print(selection.summary())

    # Show the silhouette of the combined choice, or of the silhouette's own pick when there is none.
    k = selection.best_k if selection.best_k is not None else selection.recommended["silhouette"]
    estimator = selection.estimators[int(np.flatnonzero(selection.k_values == k)[0])]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    ElbowDisplay.from_selection(selection, ax=left)
    SilhouetteDisplay.from_estimator(estimator, X, ax=right)
    path = output_dir / f"choose_k_{name}.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"wrote {path}\n")
    return selection


def main(output_dir):
    output_dir.mkdir(parents=True, exist_ok=True)
    blobs, _ = make_blobs(n_samples=500, centers=5, cluster_std=0.8, random_state=7)
    uniform = np.random.default_rng(0).uniform(-5, 5, size=(500, 2))
    verdicts = {name: choose(name, X, output_dir).verdict for name, X in [("blobs", blobs), ("uniform", uniform)]}
    print("Verdicts:")
    for name, verdict in verdicts.items():
        print(f"  {name:8s} {verdict}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
