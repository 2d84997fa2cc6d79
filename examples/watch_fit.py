"""Watch K-Means work: an animated GIF of the clusters forming.

Five blobs, five centres seeded at random: a poor start, which Lloyd's
algorithm takes ten iterations to sort out, so there is something to watch.  Each frame is one half-step of
Lloyd's algorithm: the assignment (every point takes the colour of its closest
centre; the shaded regions are the centres' Voronoi cells) and the update
(every centre moves to the mean of its points), until nothing changes.

Run it as ``python examples/watch_fit.py [OUTPUT_DIR]`` (default: the current
folder).  It writes kmeans_fit.gif; name the file ``.html`` instead to get a
page with play controls.
"""

import sys
from pathlib import Path

from PIL import Image
from sklearn.datasets import make_blobs

from kmlab import KMeans
from kmlab.plotting import animate_fit


def main(output_dir):
    output_dir.mkdir(parents=True, exist_ok=True)
    X, _ = make_blobs(n_samples=400, centers=5, cluster_std=1.0, random_state=3)
    estimator = KMeans(n_clusters=5, init="random", n_init=1, random_state=4)
    path = animate_fit(estimator, X, output_dir / "kmeans_fit.gif", fps=2, voronoi=True)
    with Image.open(path) as gif:
        print(f"wrote {path}: {gif.n_frames} frames")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
