"""The tutorial's use cases as one call each: image colours (and more to come).

:func:`quantize` reduces a photo to a few colours the fast way: K-Means on the
image's *distinct* colours weighted by how many pixels have them (the same
objective as K-Means on every pixel, on far fewer points), then every pixel
mapped through a lookup table.

Examples
--------
>>> import numpy as np
>>> from kmlab.recipes import quantize
>>> rng = np.random.default_rng(0)
>>> image = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
>>> result = quantize(image, 8, random_state=0)
>>> result.image.shape, result.palette.shape, len(np.unique(result.indices))
((64, 64, 3), (8, 3), 8)
"""

from dataclasses import dataclass

import numpy as np

COLOR_SPACES = ("rgb", "lab")


@dataclass(frozen=True)
class Quantized:
    """The result of :func:`quantize`.

    Attributes
    ----------
    image : ndarray of shape (height, width, 3), uint8
        The image drawn with the palette only.
    palette : ndarray of shape (n_colors, 3), uint8
        The colours, most used first.
    indices : ndarray of shape (height, width), uint8 or uint16
        Palette index of every pixel.
    shares : ndarray of shape (n_colors,)
        Fraction of the pixels drawn with each colour.
    n_unique_colors : int
        Distinct colours in the original image.
    """

    image: np.ndarray
    palette: np.ndarray
    indices: np.ndarray
    shares: np.ndarray
    n_unique_colors: int

    def hex_palette(self):
        """The palette as ``#rrggbb`` strings, most used first."""
        return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in self.palette.tolist()]


def _as_rgb_uint8(image):
    """``image`` as a C-contiguous (height, width, 3) uint8 array, with clear errors."""
    array = np.asarray(image)
    if array.dtype.kind not in "uif" and array.dtype != bool:
        raise ValueError(f"image must hold numbers, got dtype {array.dtype}.")
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(
            f"image must have shape (height, width, 3) (RGB), (height, width, 4) (RGBA) or (height, width) "
            f"(grey); got shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"image is empty: shape {array.shape}.")
    array = array[:, :, :3]
    if array.dtype != np.uint8:
        if array.dtype.kind == "f":
            if not np.isfinite(array).all():
                raise ValueError("image contains NaN or infinity.")
            scale = 255.0 if array.max() <= 1.0 else 1.0
            array = np.rint(array * scale)
        if array.min() < 0 or array.max() > 255:
            raise ValueError(
                f"image values must lie in 0..255 (or 0..1 for floats); got {array.min()}..{array.max()}."
            )
        array = array.astype(np.uint8)
    return np.ascontiguousarray(array)


def srgb_to_lab(rgb):
    """CIE L*a*b* (D65) coordinates of sRGB colours.

    Parameters
    ----------
    rgb : array-like of shape (n, 3)
        sRGB values in 0..255.

    Returns
    -------
    lab : ndarray of shape (n, 3)
        L* in 0..100, a* and b* roughly in -128..127.

    Examples
    --------
    >>> srgb_to_lab([[255, 255, 255], [0, 0, 0]]).round(3) + 0.0
    array([[100.,   0.,   0.],
           [  0.,   0.,   0.]])
    """
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.column_stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])])


def quantize(image, n_colors, *, color_space="rgb", dither=False, random_state=0, n_threads=None):
    """Reduce an image to ``n_colors`` colours with K-Means.

    K-Means runs on the image's distinct colours, each weighted by its number of
    pixels: the same objective as K-Means on every pixel (so the same quality),
    on far fewer points.  Every pixel then takes its colour's palette entry
    through a lookup table (or, with ``dither``, Floyd-Steinberg error diffusion).

    Parameters
    ----------
    image : array-like of shape (height, width, 3), (height, width, 4) or (height, width)
        RGB, RGBA (alpha ignored) or grey; uint8 0..255, or floats in 0..1.
    n_colors : int
        Colours of the palette, 1..65536 (fewer if the image has fewer).
    color_space : {'rgb', 'lab'}, default='rgb'
        Where distances are measured: 'rgb' (mean squared error, best PSNR) or
        'lab' (CIE L*a*b*, closer to what the eye sees; each palette colour is
        then the mean RGB colour of its cluster).
    dither : bool, default=False
        Diffuse each pixel's error onto its neighbours (smoother gradients,
        slower; the palette is the same).
    random_state : int, RandomState instance or None, default=0
        Seed of the k-means++ seeding.
    n_threads : int, default=None
        Threads of the kernels.

    Returns
    -------
    result : Quantized
        The quantized image, the palette (most used colour first), each pixel's
        palette index and each colour's share of the pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab.recipes import quantize
    >>> image = np.zeros((2, 3, 3), dtype=np.uint8)
    >>> image[0] = [250, 10, 10]
    >>> image[1, :2] = [10, 10, 240]
    >>> result = quantize(image, 2)
    >>> result.hex_palette()
    ['#fa0a0a', '#0707a0']
    >>> result.indices
    array([[0, 0, 0],
           [1, 1, 1]], dtype=uint8)
    """
    from ._kernels.quantize import N_COLORS_24BIT, color_counts, floyd_steinberg, lookup_colors
    from ._kmeans import KMeans
    from ._threads import kernel_threads, resolve_n_threads

    if isinstance(n_colors, bool) or not isinstance(n_colors, (int, np.integer)) or not 1 <= n_colors <= 65536:
        raise ValueError(f"n_colors must be an integer from 1 to 65536; got {n_colors!r}.")
    if color_space not in COLOR_SPACES:
        raise ValueError(f"color_space must be one of {COLOR_SPACES}; got {color_space!r}.")
    rgb = _as_rgb_uint8(image)
    height, width = rgb.shape[:2]
    pixels = rgb.reshape(-1, 3)

    with kernel_threads(resolve_n_threads(n_threads)):
        counts = np.zeros(N_COLORS_24BIT, dtype=np.uint32)
        color_counts(pixels, counts)
        packed = np.flatnonzero(counts)
        weights = counts[packed].astype(np.float64)
        del counts
        colors = np.column_stack([packed >> 16, (packed >> 8) & 255, packed & 255]).astype(np.float64)

        if packed.size <= n_colors:
            labels = np.arange(packed.size)
            palette = colors
        else:
            points = colors if color_space == "rgb" else srgb_to_lab(colors)
            kmeans = KMeans(n_clusters=n_colors, random_state=random_state, n_threads=n_threads)
            labels = kmeans.fit(points, sample_weight=weights).labels_
            if color_space == "rgb":
                palette = kmeans.cluster_centers_
            else:
                totals = np.bincount(labels, weights=weights, minlength=n_colors)
                palette = np.column_stack(
                    [np.bincount(labels, weights=weights * colors[:, c], minlength=n_colors) for c in range(3)]
                ) / totals[:, None]

        # Most used colour first.
        pixel_counts = np.bincount(labels, weights=weights, minlength=palette.shape[0])
        order = np.argsort(-pixel_counts, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        palette = np.clip(np.rint(palette[order]), 0, 255).astype(np.uint8)
        index_dtype = np.uint8 if palette.shape[0] <= 256 else np.uint16

        if dither:
            indices = np.empty((height, width), dtype=index_dtype)
            floyd_steinberg(rgb, palette.astype(np.float64), indices)
        else:
            table = np.zeros(N_COLORS_24BIT, dtype=index_dtype)
            table[packed] = rank[labels]
            indices = np.empty(pixels.shape[0], dtype=index_dtype)
            lookup_colors(pixels, table, indices)
            indices = indices.reshape(height, width)

    shares = np.bincount(indices.ravel(), minlength=palette.shape[0]) / indices.size
    return Quantized(
        image=palette[indices], palette=palette, indices=indices, shares=shares, n_unique_colors=int(packed.size)
    )


def psnr(reference, image):
    """Peak signal-to-noise ratio of ``image`` against ``reference``, in dB (8-bit images).

    Parameters
    ----------
    reference, image : array-like of the same shape
        Pixel values in 0..255.

    Returns
    -------
    psnr : float
        ``10 log10(255**2 / MSE)``; infinity for identical images.

    Examples
    --------
    >>> import numpy as np
    >>> round(psnr(np.zeros((4, 4)), np.full((4, 4), 255)), 6)
    0.0
    """
    reference = np.asarray(reference, dtype=np.float64)
    image = np.asarray(image, dtype=np.float64)
    if reference.shape != image.shape:
        raise ValueError(f"images differ in shape: {reference.shape} and {image.shape}.")
    mse = float(np.mean((reference - image) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))
