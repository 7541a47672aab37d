"""The VG150 h5 box grid: the generator's encoder and the standard loader's decoder.

``boxes_S`` rows are ``(cx, cy, w, h)`` integers on a grid whose longer image side is S
(docs/FORMATS.md). The standard loader decodes them in place in an int32 array,
so every float result is truncated toward zero (section 1.3 rule 4); we reproduce that
exactly, because evaluation boxes derive from it.
"""
from __future__ import annotations

import math

import numpy as np

BOX_SCALE = 1024


def encode_box(x_vg: float, y_vg: float, w_vg: float, h_vg: float, width: int, height: int,
               scale: int = BOX_SCALE) -> tuple[int, int, int, int]:
    """One VG box ``(x, y, w, h)`` (1-based x/y as in VG's JSON) -> grid ``(cx, cy, w, h)``."""
    factor = scale / max(width, height)
    x = math.floor(factor * (x_vg - 1))
    y = math.floor(factor * (y_vg - 1))
    w = math.ceil(factor * w_vg)
    h = math.ceil(factor * h_vg)
    x = min(max(x, 0), scale - 2)
    y = min(max(y, 0), scale - 2)
    if x + w >= scale:
        w = scale - x
    if y + h >= scale:
        h = scale - y
    if w <= 0 or h <= 0:
        raise ValueError(f"box ({x_vg}, {y_vg}, {w_vg}, {h_vg}) encodes to non-positive size ({w}, {h})")
    return x + w // 2, y + h // 2, w, h


def decode_boxes(cxcywh: np.ndarray) -> np.ndarray:
    """(N, 4) grid ``(cx, cy, w, h)`` -> (N, 4) int32 ``(x1, y1, x2, y2)`` with the loader's truncation.

    ``x1 = trunc(cx - w / 2)``, ``x2 = x1 + w`` (from the truncated x1); same for y.
    """
    boxes = np.asarray(cxcywh, dtype=np.int32).reshape(-1, 4)
    out = np.empty_like(boxes)
    # float64 subtraction then truncation toward zero, as numpy does when assigning into int32.
    out[:, 0] = np.trunc(boxes[:, 0] - boxes[:, 2] / 2.0).astype(np.int32)
    out[:, 1] = np.trunc(boxes[:, 1] - boxes[:, 3] / 2.0).astype(np.int32)
    out[:, 2] = out[:, 0] + boxes[:, 2]
    out[:, 3] = out[:, 1] + boxes[:, 3]
    return out


def grid_to_pixels(boxes_xyxy: np.ndarray, width: int, height: int, scale: int = BOX_SCALE) -> np.ndarray:
    """Grid xyxy -> float32 original-image pixels: ``box / scale * max(w, h)`` (no clipping).

    Same float32 operation order as the standard loader (divide first, then multiply), so
    results agree to the last bit.
    """
    grid = np.asarray(boxes_xyxy, dtype=np.float32)
    return (grid / np.float32(scale)) * np.float32(max(width, height))


def clip_for_evaluation(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Clip x to [0, w-1] and y to [0, h-1] without removing empty boxes (docs/FORMATS.md)."""
    out = np.array(boxes, dtype=np.float32, copy=True)
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, width - 1)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, height - 1)
    return out
