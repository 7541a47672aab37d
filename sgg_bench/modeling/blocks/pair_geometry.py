"""The 32-d geometry code of a (subject, object) box pair (KT / PySGG ``get_box_pair_info``).

Each box is first coded as 8 numbers, x1, y1, x2, y2, cx, cy, w, h with w = x2 - x1 + 1 (the
reference's +1 pixel convention), all divided by max(image height, width, 100). The pair code
concatenates subject, object, their union box and their intersection box; union and
intersection are coded from the *already normalised* subject/object corners with the same +1
rule and no second normalisation (as the reference), and an empty intersection is all zeros.
"""
from __future__ import annotations

import torch
from torch import Tensor


def _box_code(boxes: Tensor) -> Tensor:
    """(N, 4) xyxy -> (N, 8) x1, y1, x2, y2, cx, cy, w, h with w = x2 - x1 + 1."""
    wh = boxes[:, 2:] - boxes[:, :2] + 1.0
    return torch.cat([boxes, boxes[:, :2] + 0.5 * wh, wh], dim=1)


def normalised_box_code(boxes: Tensor, image_size: tuple[int, int]) -> Tensor:
    """(N, 4) xyxy boxes of an image of (height, width) -> (N, 8) codes / max(H, W, 100)."""
    scale = float(max(image_size[0], image_size[1], 100))
    return _box_code(boxes.float()) / scale


def box_pair_geometry(subj_code: Tensor, obj_code: Tensor) -> Tensor:
    """(M, 8) normalised subject and object codes -> (M, 32) [subject, object, union, intersection]."""
    s, o = subj_code[:, :4], obj_code[:, :4]
    union = torch.cat([torch.minimum(s[:, :2], o[:, :2]), torch.maximum(s[:, 2:], o[:, 2:])], dim=1)
    inter = torch.cat([torch.maximum(s[:, :2], o[:, :2]), torch.minimum(s[:, 2:], o[:, 2:])], dim=1)
    inter_code = _box_code(inter)
    empty = (inter[:, 2] < inter[:, 0]) | (inter[:, 3] < inter[:, 1])
    inter_code = torch.where(empty[:, None], torch.zeros_like(inter_code), inter_code)
    return torch.cat([subj_code, obj_code, _box_code(union), inter_code], dim=1)
