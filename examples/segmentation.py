"""Customer segmentation: why StandardScaler matters, choosing K, reading the profiles.

A generated table of 1,200 customers in their natural units (age in years,
annual income in dollars, spending score 1-100, store visits per month,
tenure in years) with four planted segments.  Income, in dollars, varies by
tens of thousands; every other column by tens at most.  K-Means on the raw
columns therefore sees almost nothing but income and cuts it into bands; on
standardised columns (each feature with mean 0 and standard deviation 1) it
finds the planted segments.  ``select_k`` then chooses K on the scaled data, and
the clusters are described in the original units.

Run it as ``python examples/segmentation.py [OUTPUT_DIR]`` (default: the
current folder).  It prints the adjusted Rand index of both clusterings against
the planted segments, select_k's table and verdict, and each segment's profile;
it writes segmentation_scaling.png (the clusters found without and with
scaling) and segmentation_choose_k.png (the elbow and the silhouette).
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kmlab import KMeans, cluster_profiles, select_k
from kmlab.plotting import ClusterDisplay, ElbowDisplay, SilhouetteDisplay

# Planted segments: share of the customers, then per column (mean, spread).  Incomes overlap
# between segments; age, spending, visits and tenure tell them apart.
SEGMENTS = {
    "students": (0.30, {"age": (23, 3), "income": (30_000, 0.3), "spending": (78, 7), "visits": 11, "tenure": 1.5}),
    "professionals": (0.25, {"age": (35, 4), "income": (62_000, 0.3), "spending": (35, 7), "visits": 2, "tenure": 4}),
    "families": (0.25, {"age": (46, 5), "income": (52_000, 0.3), "spending": (62, 7), "visits": 7, "tenure": 11}),
    "retirees": (0.20, {"age": (70, 5), "income": (36_000, 0.3), "spending": (22, 7), "visits": 9, "tenure": 18}),
}
COLUMNS = ["age", "annual_income", "spending_score", "visits_per_month", "tenure_years"]


def customers(n_customers=1200, seed=0):
    """The customer table and each customer's planted segment."""
    rng = np.random.default_rng(seed)
    names = list(SEGMENTS)
    segment = rng.choice(len(names), size=n_customers, p=[SEGMENTS[name][0] for name in names])
    table = {column: np.empty(n_customers) for column in COLUMNS}
    for code, name in enumerate(names):
        spec = SEGMENTS[name][1]
        rows = segment == code
        n = int(rows.sum())
        table["age"][rows] = np.clip(np.rint(rng.normal(*spec["age"], n)), 18, 95)
        # Incomes are log-normal: a median and a spread on the log scale.
        median, log_sd = spec["income"]
        table["annual_income"][rows] = np.round(median * np.exp(rng.normal(0, log_sd, n)), -2)
        table["spending_score"][rows] = np.clip(np.rint(rng.normal(*spec["spending"], n)), 1, 100)
        table["visits_per_month"][rows] = rng.poisson(spec["visits"], n)
        table["tenure_years"][rows] = np.round(rng.gamma(9.0, spec["tenure"] / 9.0, n), 1)
    frame = pd.DataFrame(table).astype({"age": int, "annual_income": int, "spending_score": int, "visits_per_month": int})
    frame.insert(0, "customer_id", [f"C{i:05d}" for i in range(1, n_customers + 1)])
    return frame, pd.Series(np.array(names)[segment], name="segment")


def compare_scaling(X, segment, output_dir):
    """K-Means with 4 clusters on the raw columns and on standardised ones."""
    raw = KMeans(n_clusters=4, n_init=10, random_state=0).fit(X)
    scaled = make_pipeline(StandardScaler(), KMeans(n_clusters=4, n_init=10, random_state=0)).fit(X)
    labels = {"raw columns": raw.labels_, "standardised columns": scaled[-1].labels_}
    print("== K-Means with K = 4, against the planted segments ==")
    for name, found in labels.items():
        print(f"  {name:22s} adjusted Rand index {adjusted_rand_score(segment, found):.2f}")
    # What the raw clusters are: income bands (each cluster's income range, and little else).
    bands = X.groupby(raw.labels_)["annual_income"].agg(["min", "max"]).sort_values("min")
    print("  without scaling the clusters are income bands:")
    for cluster, (low, high) in bands.iterrows():
        print(f"    cluster {cluster}: income ${low:,.0f} to ${high:,.0f}")

    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained", sharey=True)
    points = X[["age", "annual_income"]].to_numpy()
    for ax, (name, found) in zip(axes, labels.items()):
        ari = adjusted_rand_score(segment, found)
        ClusterDisplay(
            points, found, axis_labels=("age (years)", "annual income ($)"), title=f"K-Means on {name}: ARI {ari:.2f}"
        ).plot(ax=ax)
    path = output_dir / "segmentation_scaling.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"wrote {path}\n")


def choose_k(Xs, output_dir):
    """select_k on the standardised columns; the elbow beside the silhouette of the choice."""
    selection = select_k(Xs, range(1, 11), random_state=0)
    print("== Choosing K on the standardised columns ==")
    print(selection.summary())
    estimator = selection.estimators[int(np.flatnonzero(selection.k_values == selection.best_k)[0])]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    ElbowDisplay.from_selection(selection, ax=left)
    SilhouetteDisplay.from_estimator(estimator, Xs, ax=right)
    path = output_dir / "segmentation_choose_k.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"wrote {path}\n")
    return selection.best_k, estimator.labels_


def print_profiles(X, labels, segment):
    """Each cluster in the original units, what sets it apart, and the planted segment it matches."""
    profiles = cluster_profiles(X, labels, n_distinguishing=2)
    means = profiles[[f"{column}_mean" for column in X.columns]].set_axis(X.columns, axis=1)
    table = pd.concat([profiles[["size", "share"]], means], axis=1).rename_axis(None)
    print("== Cluster profiles (means, original units) ==")
    with pd.option_context("display.float_format", "{:,.1f}".format, "display.width", 120):
        print(table.to_string(formatters={"share": "{:.0%}".format, "annual_income": "${:,.0f}".format}))
    # A cluster's distinguishing features: its mean's distance from the overall mean, in standard deviations.
    print("Reading them:")
    for cluster, row in profiles.iterrows():
        smd = {name: row[f"{name}_smd"] for name, _ in row["distinguishing"]}
        traits = ", ".join(f"{name} {'high' if value > 0 else 'low'} ({value:+.1f} sd)" for name, value in smd.items())
        planted = segment[labels == cluster].value_counts()
        print(f"  cluster {cluster}: {traits}; {planted.iloc[0] / planted.sum():.0%} {planted.index[0]}")


def main(output_dir):
    output_dir.mkdir(parents=True, exist_ok=True)
    table, segment = customers()
    print(table.head().to_string(index=False))
    X = table[COLUMNS]
    print("\nStandard deviation of each column (its scale):")
    print(X.std().map("{:,.1f}".format).to_string(), "\n")
    compare_scaling(X, segment, output_dir)
    k, labels = choose_k(StandardScaler().fit_transform(X), output_dir)
    print(f"K = {k}: adjusted Rand index against the planted segments {adjusted_rand_score(segment, labels):.2f}\n")
    print_profiles(X, labels, segment)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
