"""Box geometry used by every SGG metric: the "+1 pixel" IoU in float32 and union boxes.

All boxes are ``x1, y1, x2, y2`` in original-image pixels. The +1 convention (docs/EVALUATION.md)
treats a box as covering the inclusive pixel range ``[x1, x2]``, so ``[0, 0, 9, 9]`` has area 100.
"""
from __future__ import annotations

import numpy as np


def paired_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU of row i of ``boxes_a`` with row i of ``boxes_b``.

    boxes_a, boxes_b: (N, 4) xyxy pixels, converted to float32 first (as the KT evaluator does).
    Returns (N,) float32.
    """
    a = np.asarray(boxes_a, dtype=np.float32).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float32).reshape(-1, 4)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    iw = np.maximum(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]) + one, zero)
    ih = np.maximum(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]) + one, zero)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0] + one) * (a[:, 3] - a[:, 1] + one)
    area_b = (b[:, 2] - b[:, 0] + one) * (b[:, 3] - b[:, 1] + one)
    return (inter / (area_a + area_b - inter)).astype(np.float32)


def union_boxes(subject_boxes: np.ndarray, object_boxes: np.ndarray) -> np.ndarray:
    """The smallest box holding both boxes of each row: (N, 4) -> (N, 4), same dtype as input."""
    s = np.asarray(subject_boxes).reshape(-1, 4)
    o = np.asarray(object_boxes).reshape(-1, 4)
    return np.concatenate([np.minimum(s[:, :2], o[:, :2]), np.maximum(s[:, 2:], o[:, 2:])], axis=1)
