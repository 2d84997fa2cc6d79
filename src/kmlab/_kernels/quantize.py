"""Colour quantization kernels: colour histogram, palette lookup, error diffusion.

Colours are packed as 24-bit integers ``r << 16 | g << 8 | b``, so that a
histogram of every possible colour (2**24 counts) and a lookup table from colour
to palette index are plain arrays: one pass over the pixels each, no sorting.
"""

import numpy as np
from numba import njit, prange

from ._config import FASTMATH

N_COLORS_24BIT = 1 << 24

# Pixels per parallel block of the lookup (independent blocks: no reduction).
LOOKUP_BLOCK = 1 << 16


@njit(cache=True, fastmath=FASTMATH)
def color_counts(
    pixels,  # IN (n_pixels, 3) uint8
    counts,  # OUT (2**24,) uint32, zeroed by the caller
):
    """Add one to the count of each pixel's 24-bit colour."""
    for i in range(pixels.shape[0]):
        counts[(np.int64(pixels[i, 0]) << 16) | (np.int64(pixels[i, 1]) << 8) | np.int64(pixels[i, 2])] += 1


@njit(cache=True, fastmath=FASTMATH, parallel=True)
def lookup_colors(
    pixels,  # IN (n_pixels, 3) uint8
    table,  # IN (2**24,) palette index of every colour
    indices,  # OUT (n_pixels,) palette index of every pixel
):
    """Palette index of every pixel, through the colour lookup table."""
    n_pixels = pixels.shape[0]
    n_blocks = (n_pixels + LOOKUP_BLOCK - 1) // LOOKUP_BLOCK
    for block in prange(n_blocks):
        for i in range(block * LOOKUP_BLOCK, min(n_pixels, (block + 1) * LOOKUP_BLOCK)):
            color = (np.int64(pixels[i, 0]) << 16) | (np.int64(pixels[i, 1]) << 8) | np.int64(pixels[i, 2])
            indices[i] = table[color]


@njit(cache=True, fastmath=FASTMATH)
def floyd_steinberg(
    image,  # IN (height, width, 3) uint8
    palette,  # IN (n_colors, 3) float64, RGB
    indices,  # OUT (height, width) palette index of every pixel
):
    """Floyd-Steinberg error diffusion onto ``palette`` (nearest colour in RGB).

    Each pixel, in raster order, takes the palette colour nearest to its value
    plus the error pushed onto it by its already processed neighbours, and
    pushes its own error right (7/16), down-left (3/16), down (5/16) and
    down-right (1/16).  Two rows of errors are kept, not a float copy of the image.
    """
    height, width = image.shape[0], image.shape[1]
    n_colors = palette.shape[0]
    error_here = np.zeros((width + 2, 3))
    error_next = np.zeros((width + 2, 3))
    wanted = np.empty(3)
    for y in range(height):
        for x in range(width):
            for c in range(3):
                wanted[c] = min(255.0, max(0.0, image[y, x, c] + error_here[x + 1, c]))
            best, best_distance = 0, np.inf
            for j in range(n_colors):
                distance = 0.0
                for c in range(3):
                    diff = wanted[c] - palette[j, c]
                    distance += diff * diff
                if distance < best_distance:
                    best, best_distance = j, distance
            indices[y, x] = best
            for c in range(3):
                error = wanted[c] - palette[best, c]
                error_here[x + 2, c] += error * (7.0 / 16.0)
                error_next[x, c] += error * (3.0 / 16.0)
                error_next[x + 1, c] += error * (5.0 / 16.0)
                error_next[x + 2, c] += error * (1.0 / 16.0)
        error_here, error_next = error_next, error_here
        error_next[:] = 0.0
