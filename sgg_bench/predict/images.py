"""Reading the images people have: any common file, mode, size and orientation, as 8-bit RGB.

``read_image`` accepts a path, a PIL image or a numpy array and returns an ``InputImage``: the
picture as RGB at its *oriented* original size (EXIF orientation applied, as every viewer shows
it). That size is the frame every reported box uses. ``model_input`` then shrinks a large image
to the size the detector's transform would resize it to anyway (shorter side ``min_size``,
longer side at most ``max_size``), so an 8000-pixel photo is never held as a float tensor at
full size; ``scale`` maps boxes between the two frames.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sgg_bench.errors import SggBenchError

# Extensions ``predict DIR`` picks up (a file given by name is tried whatever its extension).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
PRESHRINK_BELOW = 0.5  # detector scale factor under which ``model_input`` shrinks the image itself


class ImageReadError(SggBenchError):
    """An input that is not a decodable image; the message names it and says why."""


@dataclass
class InputImage:
    """pixels: (H, W, 3) uint8 RGB at the oriented original size; name: file name or a label."""

    pixels: np.ndarray
    name: str
    path: Path | None = None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def _to_uint8_rgb(image) -> np.ndarray:
    """Any PIL mode -> (H, W, 3) uint8. High bit depths are scaled, not clipped; transparent
    pixels are put on white (how a viewer shows them), palettes expanded, CMYK converted."""
    from PIL import Image

    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        # 16-bit files (PNG opens them as I;16 or I) span 0..65535; floats are taken as 0..1 when they fit
        top = 65535.0 if mode != "F" or values.max(initial=0.0) > 1.0 else 1.0
        if mode == "F" and top > 1.0 and values.max(initial=0.0) <= 255.0:
            top = 255.0
        gray = np.clip(np.rint(values / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"), dtype=np.uint8)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _from_array(array: np.ndarray, name: str) -> np.ndarray:
    """(H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array, uint8 / uint16 / float in [0, 1]."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape[:2]:
        raise ImageReadError(f"{name}: expected an (H, W), (H, W, 3) or (H, W, 4) image array, found shape "
                             f"{tuple(array.shape)}")
    if array.dtype == np.uint8:
        values = array
    elif array.dtype == np.uint16:
        values = np.rint(array / 257.0).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ImageReadError(f"{name}: expected finite pixel values, found NaN or infinity")
        values = np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)
    else:
        raise ImageReadError(f"{name}: expected a uint8, uint16 or float array, found {array.dtype}")
    if values.ndim == 2:
        values = np.repeat(values[:, :, None], 3, axis=2)
    if values.shape[2] == 4:  # straight alpha on white
        alpha = values[:, :, 3:4].astype(np.float32) / 255.0
        values = np.rint(values[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(values)


def read_image(source: Any, *, name: str | None = None) -> InputImage:
    """A path (str / PathLike), a PIL image or a numpy array -> ``InputImage``.

    Raises ``ImageReadError`` (one line: the file and the decoder's reason) for anything that does
    not decode, including truncated files and PIL's decompression-bomb limit.
    """
    from PIL import Image, ImageOps

    if isinstance(source, np.ndarray):
        return InputImage(pixels=_from_array(source, name or "array"), name=name or "array")
    if isinstance(source, Image.Image):
        oriented = ImageOps.exif_transpose(source)
        return InputImage(pixels=_to_uint8_rgb(oriented), name=name or "image")
    if not isinstance(source, (str, os.PathLike)):
        raise ImageReadError(f"{name or source!r}: expected a file path, a PIL image or a numpy array, "
                             f"found {type(source).__name__}")
    path = Path(source)
    label = name or path.name
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image.load()
            oriented = ImageOps.exif_transpose(image)
            pixels = _to_uint8_rgb(oriented)
    except Exception as exc:  # PIL raises many types for bad files; all mean "cannot be read"
        detail = str(exc).splitlines()[0] if str(exc) else "no detail"
        raise ImageReadError(f"{path}: not a readable image ({type(exc).__name__}: {detail})") from None
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ImageReadError(f"{path}: not a readable image (size 0)")
    return InputImage(pixels=pixels, name=label, path=path)


def detector_scale(width: int, height: int, *, min_size: int, max_size: int) -> float:
    """The factor torchvision's ``GeneralizedRCNNTransform`` resizes a (width, height) image by."""
    short, long = float(min(width, height)), float(max(width, height))
    return min(min_size / short, max_size / long)


def model_input(image: InputImage, *, min_size: int, max_size: int) -> tuple[np.ndarray, tuple[float, float]]:
    """The pixels handed to the model and the factors ``(fx, fy)``: model frame = factor x original.

    Images the detector would shrink to less than half are shrunk here, to the detector's size
    (Lanczos, which also avoids aliasing), so a huge photo never becomes a full-size float
    tensor. Others keep their size (factors 1): the detector's own transform resizes them exactly
    as in training and test inference, so a dataset image gives the run's own predictions.
    """
    from PIL import Image

    factor = detector_scale(image.width, image.height, min_size=min_size, max_size=max_size)
    if factor >= PRESHRINK_BELOW:
        return image.pixels, (1.0, 1.0)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    resized = np.asarray(Image.fromarray(image.pixels).resize(size, Image.LANCZOS), dtype=np.uint8)
    return resized, (size[0] / image.width, size[1] / image.height)


def list_image_files(inputs: list[str | os.PathLike]) -> list[Path]:
    """Files given by name, plus the image files (by extension, sorted, recursively) of folders."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        else:
            found.append(path)
    return found
