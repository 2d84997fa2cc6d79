"""Colour quantization: unique colours weighted by counts, lookup, dithering."""

import naive
import numpy as np
import pytest
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import load_sample_image

from kmlab import KMeans
from kmlab.recipes import psnr, quantize, srgb_to_lab


@pytest.fixture(scope="module")
def photo():
    """A crop of scikit-learn's china.jpg, big enough to have many distinct colours."""
    return np.ascontiguousarray(load_sample_image("china.jpg")[100:220, 200:380])


def test_same_objective_as_kmeans_on_every_pixel(photo):
    result = quantize(photo, 16, random_state=0)
    pixels = photo.reshape(-1, 3).astype(np.float64)
    full = SKKMeans(n_clusters=16, n_init=1, random_state=0).fit(pixels)
    full_image = np.rint(full.cluster_centers_[full.labels_]).reshape(photo.shape)
    assert psnr(photo, result.image) >= psnr(photo, full_image) - 0.2
    # The palette is K-Means on the distinct colours, weighted by their counts.
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    weighted = KMeans(n_clusters=16, random_state=0).fit(colors, sample_weight=counts.astype(float))
    np.testing.assert_array_equal(
        np.sort(result.palette.view("u1,u1,u1").ravel()),
        np.sort(np.clip(np.rint(weighted.cluster_centers_), 0, 255).astype(np.uint8).view("u1,u1,u1").ravel()),
    )
    assert result.n_unique_colors == colors.shape[0]


def test_every_pixel_takes_its_colours_palette_entry(photo):
    result = quantize(photo, 8, random_state=1)
    np.testing.assert_array_equal(result.image, result.palette[result.indices])
    assert result.indices.dtype == np.uint8 and result.indices.shape == photo.shape[:2]
    # Pixels of the same colour share an index; shares are sorted, most used first.
    packed = photo.reshape(-1, 3).astype(np.int64) @ [65536, 256, 1]
    index_of = {}
    for color, index in zip(packed, result.indices.ravel()):
        assert index_of.setdefault(color, index) == index
    np.testing.assert_allclose(result.shares.sum(), 1.0)
    assert np.all(np.diff(result.shares) <= 0)
    np.testing.assert_allclose(result.shares, np.bincount(result.indices.ravel(), minlength=8) / result.indices.size)
    assert all(len(h) == 7 and h.startswith("#") for h in result.hex_palette())


def test_few_colours_are_kept_exactly():
    image = np.zeros((4, 5, 3), dtype=np.uint8)
    image[1] = [10, 200, 30]
    image[2:, 2:] = [255, 255, 255]
    result = quantize(image, 16)
    np.testing.assert_array_equal(result.image, image)
    assert result.palette.shape == (3, 3)
    assert result.n_unique_colors == 3


def test_dithering_follows_floyd_steinberg(photo):
    crop = photo[:20, :30]
    result = quantize(crop, 6, dither=True, random_state=0)
    plain = quantize(crop, 6, random_state=0)
    np.testing.assert_array_equal(result.palette, plain.palette)
    np.testing.assert_array_equal(result.indices, naive.floyd_steinberg(crop, result.palette))
    assert not np.array_equal(result.indices, plain.indices)


def test_lab_palette_is_the_mean_colour_of_each_cluster(photo):
    result = quantize(photo, 8, color_space="lab", random_state=0)
    pixels = photo.reshape(-1, 3).astype(np.float64)
    for index in range(8):
        members = pixels[result.indices.ravel() == index]
        np.testing.assert_allclose(result.palette[index], members.mean(axis=0), atol=0.5 + 1e-9)


def test_srgb_to_lab_reference_values():
    # Published sRGB -> CIELAB (D65) values.
    lab = srgb_to_lab([[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]])
    expected = [[53.24, 80.09, 67.20], [87.73, -86.18, 83.18], [32.30, 79.19, -107.86], [53.59, 0.0, 0.0]]
    np.testing.assert_allclose(lab, expected, atol=0.05)


@pytest.mark.parametrize(
    "image",
    [
        np.full((3, 3), 128, dtype=np.uint8),
        np.full((3, 3, 4), 128, dtype=np.uint8),
        np.full((3, 3, 3), 128 / 255),
        np.full((3, 3, 3), 128, dtype=np.int64),
    ],
    ids=["grey", "rgba", "float01", "int"],
)
def test_image_formats(image):
    result = quantize(image, 2)
    np.testing.assert_array_equal(result.image, np.full((3, 3, 3), 128, dtype=np.uint8))


@pytest.mark.parametrize(
    "image, n_colors, message",
    [
        (np.zeros((3, 3, 3), dtype=np.uint8), 0, "n_colors"),
        (np.zeros((3, 3, 3), dtype=np.uint8), 2.5, "n_colors"),
        (np.zeros((3, 3, 2), dtype=np.uint8), 4, "shape"),
        (np.zeros((0, 3, 3), dtype=np.uint8), 4, "empty"),
        (np.full((2, 2, 3), np.nan), 4, "NaN"),
        (np.full((2, 2, 3), 300), 4, "0..255"),
        (np.full((2, 2, 3), "a"), 4, "numbers"),
    ],
)
def test_bad_input_is_named(image, n_colors, message):
    with pytest.raises(ValueError, match=message):
        quantize(image, n_colors)


def test_bad_color_space():
    with pytest.raises(ValueError, match="color_space"):
        quantize(np.zeros((2, 2, 3), dtype=np.uint8), 2, color_space="hsv")


def test_many_colours_are_pooled_without_losing_quality(photo, monkeypatch):
    import kmlab.recipes

    monkeypatch.setattr(kmlab.recipes, "MAX_FIT_COLORS", 1000)
    result = quantize(photo, 16, random_state=0)
    assert result.n_unique_colors > 1000
    pixels = photo.reshape(-1, 3).astype(np.float64)
    full = SKKMeans(n_clusters=16, n_init=1, random_state=0).fit(pixels)
    full_image = np.rint(full.cluster_centers_[full.labels_]).reshape(photo.shape)
    assert psnr(photo, result.image) >= psnr(photo, full_image) - 0.2
    # Every palette colour is the mean of the pixels drawn with it.
    for index in range(16):
        members = pixels[result.indices.ravel() == index]
        np.testing.assert_allclose(result.palette[index], members.mean(axis=0), atol=0.5 + 1e-9)
