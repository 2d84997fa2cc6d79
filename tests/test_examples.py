"""The programs of examples/ run and write their figures."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

OUTPUTS = {
    "tutorial.py": [
        "tutorial_clusters.png", "tutorial_elbow.png", "tutorial_fit.gif", "tutorial_scaling.png",
        "tutorial_silhouette.png",
    ],  # fmt: skip
    "choose_k.py": ["choose_k_blobs.png", "choose_k_uniform.png"],
    "watch_fit.py": ["kmeans_fit.gif"],
    "segmentation.py": ["segmentation_scaling.png", "segmentation_choose_k.png"],
}


def run_example(name, output_dir):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name), str(output_dir)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_every_example_is_tested():
    assert sorted(path.name for path in EXAMPLES.glob("*.py")) == sorted(OUTPUTS)


def check_tutorial(stdout, output_dir):
    """K = 4 found and recommended, new points in their obvious clusters, one GIF frame per fit step."""
    from sklearn.datasets import make_blobs

    from kmlab import KMeans

    assert "elbow at K=4; silhouette best at K=4" in stdout
    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)
    kmeans = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)
    X_new = np.array([[1.0, 4.5], [-1.5, 7.5], [-1.5, 3.0], [2.0, 0.5]])
    # "Obviously belong": the cluster of the nearest training point.
    nearest = ((X_new[:, None, :] - X[None]) ** 2).sum(axis=2).argmin(axis=1)
    predicted = [int(label) for label in re.findall(r"-> cluster (\d)", stdout)]
    assert predicted == kmeans.labels_[nearest].tolist()
    steps = len(KMeans(n_clusters=4, random_state=42, record_history=True).fit(X).history_)
    with Image.open(output_dir / "tutorial_fit.gif") as gif:
        assert gif.n_frames == steps


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_example_runs_and_writes_its_files(name, tmp_path):
    output_dir = tmp_path / "out"  # the examples create it
    result = run_example(name, output_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in output_dir.iterdir()) == sorted(OUTPUTS[name])
    for file in OUTPUTS[name]:
        with Image.open(output_dir / file) as image:
            assert image.format == Path(file).suffix[1:].upper()
            assert image.width > 300 and image.height > 300
    if name == "choose_k.py":
        assert "clear elbow at k=5" in result.stdout and "no clear elbow" in result.stdout
    if name == "tutorial.py":
        check_tutorial(result.stdout, output_dir)
    if name == "segmentation.py":
        # Income bands without scaling, the planted segments with it, and K = 4 chosen.
        ari = dict(re.findall(r"(raw|standardised) columns +adjusted Rand index ([0-9.]+)", result.stdout))
        assert float(ari["raw"]) < 0.5 and float(ari["standardised"]) >= 0.9
        assert "best k: 4 (clear elbow at k=4" in result.stdout
