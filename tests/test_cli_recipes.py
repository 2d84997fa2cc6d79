"""The recipe commands, driven through the real command line."""

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_sample_image

from kmlab.cli import main
from kmlab.recipes import quantize


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "photo.png"
    Image.fromarray(load_sample_image("china.jpg")[100:180, 200:320]).save(path)
    return path


def test_quantize_writes_the_image_and_prints_the_palette(photo_file, tmp_path, capsys):
    out = tmp_path / "small.png"
    assert main(["quantize", str(photo_file), "--colors", "5", "-o", str(out), "--preview", "--seed", "3"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{out}: 5 colours (from ")
    with Image.open(out) as image, Image.open(photo_file) as original:
        written = np.asarray(image.convert("RGB"))
        expected = quantize(np.asarray(original.convert("RGB")), 5, random_state=3)
    np.testing.assert_array_equal(written, expected.image)
    assert [line.split()[0] for line in printed[1:]] == expected.hex_palette()
    with Image.open(tmp_path / "small-preview.png") as preview:
        assert preview.size == (2 * written.shape[1], written.shape[0])


def test_quantize_to_jpeg_with_dithering(photo_file, tmp_path, capsys):
    out = tmp_path / "dithered.jpg"
    assert main(["quantize", str(photo_file), "--colors", "4", "-o", str(out), "--dither", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    with Image.open(out) as image:
        assert image.format == "JPEG"


@pytest.mark.parametrize(
    "make_args, code, message",
    [
        (lambda d, p: ["quantize", str(d / "missing.png"), "--colors", "4", "-o", str(d / "o.png")], 1, "no such image"),
        (lambda d, p: ["quantize", str(p), "--colors", "4", "-o", str(d / "o.xyz")], 1, "unknown image format"),
        (lambda d, p: ["quantize", str(d / "broken.png"), "--colors", "4", "-o", str(d / "o.png")], 1, "cannot read"),
        (lambda d, p: ["quantize", str(p), "--colors", "0", "-o", str(d / "o.png")], 2, "--colors"),
        (lambda d, p: ["quantize", str(p), "-o", str(d / "o.png")], 2, "--colors"),
    ],
    ids=["missing", "format", "broken", "zero-colours", "no-colours"],
)
def test_quantize_errors(photo_file, tmp_path, capsys, make_args, code, message):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    assert main(make_args(tmp_path, photo_file)) == code
    err = capsys.readouterr().err
    assert err.startswith("kmlab quantize: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "o.xyz").exists()
