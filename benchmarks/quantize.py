"""Colour quantization: ``kmlab quantize`` against scikit-learn's KMeans on every pixel.

Run ``python -m benchmarks.quantize`` from the repository root.  The photo is
scikit-learn's china.jpg scaled up to 4000 x 3000 (12 megapixels, bicubic) with
Gaussian sensor-like noise (sigma 2) added, saved as a JPEG (quality 92): about
as many distinct colours as a real 12-megapixel photo.  Measured:

- ``kmlab quantize PHOTO --colors 16 -o OUT.png``: the whole command in a new
  process (interpreter start, imports, numba's cached kernels, JPEG decoding,
  clustering, PNG writing), wall clock, median of ``--repeats`` runs after one
  warm-up run (which fills numba's cache);
- ``kmlab.recipes.quantize`` in this process, and its PSNR against the photo;
- ``sklearn.cluster.KMeans(n_clusters=16, n_init=1)`` on all pixels (float32,
  the usual tutorial recipe), its time and PSNR.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import environment, report

MARKERS = ("<!-- quantize:start -->", "<!-- quantize:end -->")
N_COLORS = 16
SIZE = (4000, 3000)


def make_photo(path, seed=0):
    """Write the 12-megapixel test photo to ``path`` (see the module docstring)."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    big = np.asarray(Image.fromarray(load_sample_image("china.jpg")).resize(SIZE, Image.BICUBIC), dtype=np.float32)
    big += np.random.default_rng(seed).normal(0.0, 2.0, size=big.shape).astype(np.float32)
    Image.fromarray(np.clip(np.rint(big), 0, 255).astype(np.uint8)).save(path, quality=92)


def _run_command(photo, out):
    subprocess.run(
        [sys.executable, "-m", "kmlab", "quantize", str(photo), "--colors", str(N_COLORS), "-o", str(out), "--quiet"],
        check=True,
    )


def run(args):
    """Measure; returns the JSON-ready results."""
    from PIL import Image
    from sklearn.cluster import KMeans as SklearnKMeans

    from kmlab.recipes import psnr, quantize

    with tempfile.TemporaryDirectory() as folder:
        photo, out = Path(folder) / "photo.jpg", Path(folder) / "out.png"
        make_photo(photo)
        # The warm-up fills numba's cache and the OS file cache.
        _, command = environment.median_after_warm_up(lambda: _run_command(photo, out), args.repeats)
        with Image.open(photo) as image:
            pixels = np.asarray(image.convert("RGB"))

    start = time.perf_counter()
    result = quantize(pixels, N_COLORS, random_state=0)
    in_process = time.perf_counter() - start

    flat = pixels.reshape(-1, 3).astype(np.float32)
    start = time.perf_counter()
    sklearn_fit = SklearnKMeans(n_clusters=N_COLORS, n_init=1, random_state=0).fit(flat)
    sklearn_seconds = time.perf_counter() - start
    sklearn_image = np.clip(np.rint(sklearn_fit.cluster_centers_[sklearn_fit.labels_]), 0, 255).reshape(pixels.shape)

    return {
        "date": environment.timestamp(),
        **environment.record(),
        "photo": {"width": SIZE[0], "height": SIZE[1], "distinct_colors": result.n_unique_colors},
        "n_colors": N_COLORS,
        "kmlab_command_seconds": command,
        "kmlab_in_process_seconds": in_process,
        "kmlab_psnr_db": psnr(pixels, result.image),
        "sklearn_seconds": sklearn_seconds,
        "sklearn_psnr_db": psnr(pixels, sklearn_image),
    }


def render(results):
    """Markdown table of the results."""
    command = statistics.median(results["kmlab_command_seconds"])
    photo = results["photo"]
    rows = [
        ("`kmlab quantize` (whole command, new process)", f"{command:.2f}", f"{results['kmlab_psnr_db']:.2f}"),
        ("`kmlab.recipes.quantize` (in process)", f"{results['kmlab_in_process_seconds']:.2f}",
         f"{results['kmlab_psnr_db']:.2f}"),
        ("scikit-learn `KMeans(16, n_init=1)` on every pixel", f"{results['sklearn_seconds']:.2f}",
         f"{results['sklearn_psnr_db']:.2f}"),
    ]  # fmt: skip
    lines = [
        f"{photo['width']} x {photo['height']} photo ({photo['distinct_colors']:,} distinct colours) to "
        f"{results['n_colors']} colours; {report.date_and_machine(results)}.",
        "",
        "| method | seconds | PSNR (dB) |",
        "|---|---:|---:|",
        *(f"| {name} | {seconds} | {quality} |" for name, seconds, quality in rows),
        "",
        f"kmlab is {results['sklearn_seconds'] / command:.0f}x faster end to end than scikit-learn's fit alone; "
        f"PSNR difference {results['kmlab_psnr_db'] - results['sklearn_psnr_db']:+.2f} dB.",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quantize", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=environment.count_type("--repeats"), default=3, help="timed runs of the command (default 3)"
    )
    report.add_output_options(parser, "quantize")
    args = parser.parse_args(argv)
    report.publish(args, run, render, MARKERS, args.name or "quantize")


if __name__ == "__main__":
    main()
