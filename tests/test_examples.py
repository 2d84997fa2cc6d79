"""The programs of examples/ run and write their figures."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

OUTPUTS = {
    "tutorial.py": ["tutorial_clusters.png", "tutorial_elbow.png", "tutorial_silhouette.png", "tutorial_scaling.png"],
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
        assert "predict(X_new)" in result.stdout
    if name == "segmentation.py":
        # Income bands without scaling, the planted segments with it, and K = 4 chosen.
        ari = dict(re.findall(r"(raw|standardised) columns +adjusted Rand index ([0-9.]+)", result.stdout))
        assert float(ari["raw"]) < 0.5 and float(ari["standardised"]) >= 0.9
        assert "best k: 4 (clear elbow at k=4" in result.stdout
