"""``kmlab quantize``: an image reduced to a few colours (more recipes to come)."""

from pathlib import Path

import click

from ._common import CommandError, atomic_file

# Largest side of the side-by-side preview, in pixels.
PREVIEW_SIDE = 1600


def _load_image(path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except FileNotFoundError:
        raise CommandError(f"no such image: {path}") from None
    except (UnidentifiedImageError, OSError) as error:
        raise CommandError(f"cannot read {path} as an image ({error})") from None


def _image_format(path):
    """PIL's name of the format ``path``'s suffix names."""
    from PIL import Image

    image_format = Image.registered_extensions().get(Path(path).suffix.lower())
    if image_format is None:
        raise CommandError(f"unknown image format {Path(path).suffix!r} for {path}; use .png, .jpg, .gif, .webp, ...")
    return image_format


def _save_image(image, path):
    """Save a PIL image to ``path`` all at once, in the format its suffix names."""
    image_format = _image_format(path)
    options = {"compress_level": 1} if image_format == "PNG" else {}
    with atomic_file(path) as tmp:
        image.save(tmp, format=image_format, **options)


# Formats that store palette images (smaller, faster to write than RGB).
PALETTE_FORMATS = {"PNG", "GIF", "BMP", "TIFF"}


def _as_pil(result, image_format):
    """The quantized image, as a palette image where the format allows it."""
    from PIL import Image

    if result.palette.shape[0] > 256 or image_format not in PALETTE_FORMATS:
        return Image.fromarray(result.image)
    image = Image.fromarray(result.indices, mode="P")
    image.putpalette(result.palette.ravel().tolist())
    return image


def _preview(original, quantized):
    """Original and quantized side by side, scaled to at most PREVIEW_SIDE pixels wide."""
    from PIL import Image

    width, height = original.size
    scale = min(1.0, PREVIEW_SIDE / (2 * width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    canvas = Image.new("RGB", (2 * size[0], size[1]), "white")
    canvas.paste(original.resize(size), (0, 0))
    canvas.paste(quantized.convert("RGB").resize(size, Image.NEAREST), (size[0], 0))
    return canvas


@click.command("quantize")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--colors", "n_colors", type=click.IntRange(1, 65536), required=True, help="Colours of the palette.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output image; its suffix picks the format (.png, .jpg, .gif, ...).")  # fmt: skip
@click.option("--dither", is_flag=True, help="Floyd-Steinberg error diffusion (smoother gradients).")
@click.option("--color-space", type=click.Choice(["rgb", "lab"]), default="rgb", show_default=True,
              help="Where colour distances are measured.")  # fmt: skip
@click.option("--preview", is_flag=True, help="Also write OUTPUT-preview.png: original and result side by side.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the k-means++ seeding.")
@click.option("--quiet", is_flag=True, help="Print nothing.")
def quantize_command(image, n_colors, output, dither, color_space, preview, seed, quiet):
    """Reduce IMAGE to a palette of N colours with K-Means.

    K-Means runs on the image's distinct colours weighted by their pixel counts
    (the same result as on every pixel, much faster); prints the palette.
    """
    import numpy as np

    from ..recipes import quantize

    image_format = _image_format(output)
    original = _load_image(image)
    result = quantize(np.asarray(original), n_colors, color_space=color_space, dither=dither, random_state=seed)
    quantized = _as_pil(result, image_format)
    _save_image(quantized, output)
    if preview:
        _save_image(_preview(original, quantized), output.with_name(f"{output.stem}-preview.png"))
    if not quiet:
        click.echo(
            f"{output}: {result.palette.shape[0]} colours "
            f"(from {result.n_unique_colors} distinct in {image}, {original.size[0]}x{original.size[1]} pixels)"
        )
        for color, share in zip(result.hex_palette(), result.shares):
            click.echo(f"  {color}  {100 * share:5.1f}%")
