"""The K-Means tutorial, with kmlab in place of scikit-learn.

Four blobs of points; KMeans finds them, predicts the cluster of new points,
the elbow and the silhouette confirm K = 4, and a StandardScaler pipeline
rescues the clustering when one feature is measured in much larger units.

Run it as ``python examples/tutorial.py [OUTPUT_DIR]`` (default: the current
folder).  It prints what it finds and writes four figures and an animation:
tutorial_clusters.png, tutorial_elbow.png, tutorial_silhouette.png,
tutorial_scaling.png and tutorial_fit.gif (the clusters forming, step by step).
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kmlab import KMeans, select_k
from kmlab.metrics import silhouette_score
from kmlab.plotting import ClusterDisplay, ElbowDisplay, SilhouetteDisplay, animate_fit


def save(display_or_figure, path):
    figure = getattr(display_or_figure, "figure_", display_or_figure)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"  wrote {path}")


def main(output_dir):
    output_dir.mkdir(parents=True, exist_ok=True)

    # 1. Data: 300 points around 4 centres.
    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)

    # 2. Fit: 10 seedings, the best kept.
    kmeans = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)
    print("labels_[:10]     ", kmeans.labels_[:10])
    print("cluster_centers_\n", np.round(kmeans.cluster_centers_, 3))
    print(f"inertia_          {kmeans.inertia_:.3f}")

    # 3. Predict the cluster of new points.
    X_new = np.array([[1.0, 4.5], [-1.5, 7.5], [-1.5, 3.0], [2.0, 0.5]])
    print("predict(X_new)   ", kmeans.predict(X_new))
    for point, label in zip(X_new, kmeans.predict(X_new)):
        print(f"  {point} -> cluster {label}, centred at {np.round(kmeans.cluster_centers_[label], 2)}")
    save(ClusterDisplay.from_estimator(kmeans, X, voronoi=True), output_dir / "tutorial_clusters.png")

    # 4. Choosing K: the elbow of the inertia curve, K = 1..10, with the other criteria.
    selection = select_k(X, range(1, 11), n_init=10, random_state=42)
    print(selection.summary())
    print(f"elbow at K={selection.elbow_k}; silhouette best at K={selection.recommended['silhouette']}")
    save(ElbowDisplay.from_selection(selection), output_dir / "tutorial_elbow.png")

    # 5. The silhouette: how much closer each point is to its cluster than to the next one.
    print(f"silhouette score  {silhouette_score(X, kmeans.labels_):.3f}")
    save(SilhouetteDisplay.from_estimator(kmeans, X), output_dir / "tutorial_silhouette.png")

    # 6. Scaling: measure the first feature in much smaller units (x100) and
    #    K-Means splits along it alone; standardising the features first fixes it.
    X_units = X * [100.0, 1.0]
    raw = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X_units)
    scaled = make_pipeline(StandardScaler(), KMeans(n_clusters=4, n_init=10, random_state=42)).fit(X_units)
    print("agreement with the original clusters (adjusted Rand index, 1 = same):")
    print(f"  KMeans on the raw features           {adjusted_rand_score(kmeans.labels_, raw.labels_):.3f}")
    print(f"  StandardScaler, then KMeans          {adjusted_rand_score(kmeans.labels_, scaled.predict(X_units)):.3f}")
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    ClusterDisplay.from_estimator(raw, X_units, ax=left).ax_.set_title("KMeans on the raw features")
    ClusterDisplay.from_estimator(scaled, X_units, ax=right).ax_.set_title("StandardScaler, then KMeans")
    save(figure, output_dir / "tutorial_scaling.png")

    # 7. Watch it work: one frame per assignment and per update step.
    path = animate_fit(KMeans(n_clusters=4, random_state=42), X, output_dir / "tutorial_fit.gif")
    print(f"  wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
