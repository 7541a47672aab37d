"""The one box rule of the data layer (docs/FORMATS.md, "Box rule"), and the numeric checks behind it.

Rejected when a file is read (so ``sgg-bench data check`` fails on them too):
  * VG ``boxes_1024``: a non-integer dtype holding NaN, infinite or fractional values; values
    whose decoded corners do not fit int32 (the standard loader decodes in an int32 array);
    ``cx, cy < 0`` or ``w, h <= 0`` (the loader's own asserts).
  * OpenImages ``bbox``: NaN, infinite or beyond float32 (the evaluation dtype); ``x2 < x1``
    or ``y2 < y1``. Zero-size boxes are accepted (pixel-rounded boxes can degenerate).
Accepted and clipped: boxes partly or wholly outside the image. Every box is clipped to
``[0, W-1] x [0, H-1]`` (KT's ``clip_to_image``). A box can be empty after clipping; it then
  * stays in the evaluation ground truth (KT's evaluation target keeps every box) and in the
    val/test records, so PredCls/SGCls inputs are the ground-truth boxes row for row;
  * is left out of the train split's training targets, with the relations that use it
    (KT's training target clips with ``remove_empty=True``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sgg_bench.errors import DataFormatError

INT32_MAX = int(np.iinfo(np.int32).max)
FLOAT32_MAX = float(np.finfo(np.float32).max)


def first_row(mask: np.ndarray) -> int:
    """Index of the first True along axis 0 of a (n,) or (n, k) mask."""
    if mask.ndim > 1:
        mask = mask.reshape(len(mask), -1).any(axis=1)
    return int(np.flatnonzero(mask)[0])


def require_integer_dtype(path: Path, key: str, array: np.ndarray, what: str) -> np.ndarray:
    """Integer (or bool-free) arrays only: a float class id is an error, not a silent cast. Returns int64."""
    if not np.issubdtype(array.dtype, np.integer):
        raise DataFormatError(path, key, f"an integer array ({what})", f"dtype {array.dtype}")
    return array.astype(np.int64)


def vg_grid_boxes_as_int(path: Path, boxes: np.ndarray, key: str = "boxes_1024") -> np.ndarray:
    """(B, 4) ``(cx, cy, w, h)`` grid boxes -> int64, rejecting values the int32 loader cannot hold.

    A float array is accepted only when every value is a finite whole number.
    """
    if boxes.dtype.kind == "f":
        bad = ~np.isfinite(boxes)
        if bad.any():
            row = first_row(bad)
            raise DataFormatError(path, f"{key}[{row}]", "finite (cx, cy, w, h) grid values", boxes[row].tolist())
        bad = boxes != np.round(boxes)
        if bad.any():
            row = first_row(bad)
            raise DataFormatError(path, f"{key}[{row}]", "whole-number (cx, cy, w, h) grid values",
                                  boxes[row].tolist())
        if (np.abs(boxes) > 2.0 ** 62).any():
            row = first_row(np.abs(boxes) > 2.0 ** 62)
            raise DataFormatError(path, f"{key}[{row}]", f"grid values that fit int32 (at most {INT32_MAX})",
                                  boxes[row].tolist())
    elif not np.issubdtype(boxes.dtype, np.integer):
        raise DataFormatError(path, key, "an integer array of (cx, cy, w, h) grid boxes", f"dtype {boxes.dtype}")
    values = boxes.astype(np.int64)
    if len(values) == 0:
        return values.reshape(0, 4)
    bad = (values[:, 0] < 0) | (values[:, 1] < 0) | (values[:, 2] <= 0) | (values[:, 3] <= 0)
    if bad.any():
        row = first_row(bad)
        raise DataFormatError(path, f"{key}[{row}]", "(cx, cy, w, h) with cx, cy >= 0 and w, h > 0",
                              values[row].tolist())
    # Decoded corners x2 = trunc(cx - w/2) + w must fit int32 as in the loader's in-place decoding.
    corner = np.maximum(values[:, :2], values[:, :2] - values[:, 2:] // 2 + values[:, 2:])
    bad = (values > INT32_MAX).any(axis=1) | (corner > INT32_MAX).any(axis=1)
    if bad.any():
        row = first_row(bad)
        raise DataFormatError(path, f"{key}[{row}]",
                              f"grid values whose decoded corners fit int32 (at most {INT32_MAX})", values[row].tolist())
    return values


def check_pixel_boxes(path: Path, boxes: np.ndarray, field_of_row) -> None:
    """OpenImages (B, 4) float64 xyxy pixels: finite, within float32, not inverted.

    ``field_of_row(k)`` names box row ``k`` in the file (e.g. ``[3].bbox[1]``).
    """
    bad = ~np.isfinite(boxes)
    if bad.any():
        row = first_row(bad)
        raise DataFormatError(path, field_of_row(row), "finite [x1, y1, x2, y2] numbers", boxes[row].tolist())
    bad = np.abs(boxes) > FLOAT32_MAX
    if bad.any():
        row = first_row(bad)
        raise DataFormatError(path, field_of_row(row), f"coordinates within float32 range (|v| <= {FLOAT32_MAX:.4g})",
                              boxes[row].tolist())
    bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if bad.any():
        row = first_row(bad)
        raise DataFormatError(path, field_of_row(row), "[x1, y1, x2, y2] with x2 >= x1 and y2 >= y1",
                              boxes[row].tolist())


def empty_after_clipping(clipped: np.ndarray) -> np.ndarray:
    """(B, 4) clipped xyxy -> (B,) bool: zero width or height (the boxes training leaves out)."""
    clipped = np.asarray(clipped).reshape(-1, 4)
    return ~((clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1]))


def clip_rows(pixels: np.ndarray, widths: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """(B, 4) float32 pixels with per-row image sizes (B,) -> clipped to [0, W-1] x [0, H-1]."""
    out = np.array(pixels, dtype=np.float32, copy=True).reshape(-1, 4)
    x_max = (np.asarray(widths) - 1).astype(np.float32)[:, None]
    y_max = (np.asarray(heights) - 1).astype(np.float32)[:, None]
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, x_max)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, y_max)
    return out
