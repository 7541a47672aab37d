"""Small pieces several heads share: the labels a head conditions on, box geometry encoding."""
from __future__ import annotations

import torch
from torch import Tensor

from sgg_bench.modeling.postprocess import object_labels_and_scores


def labels_for_pairs(mode: str, obj_labels: Tensor | None, obj_logits: Tensor) -> Tensor:
    """(N,) class ids a head conditions on: GT labels in predcls, else argmax of ``obj_logits``
    over the foreground classes (background never chosen)."""
    if mode == "predcls":
        return obj_labels
    return object_labels_and_scores(obj_logits.detach())[0]


def encode_box_geometry(boxes: Tensor, image_size: tuple[int, int]) -> Tensor:
    """(N, 4) xyxy boxes in a frame of ``(height, width)`` -> (N, 9) float features:
    x1/W, y1/H, x2/W, y2/H, cx/W, cy/H, w/W, h/H, w*h/(W*H) (KT ``encode_box_info``)."""
    height, width = float(image_size[0]), float(image_size[1])
    x1, y1, x2, y2 = boxes.float().unbind(dim=1)
    w, h = (x2 - x1).clamp(min=0), (y2 - y1).clamp(min=0)
    return torch.stack([x1 / width, y1 / height, x2 / width, y2 / height, (x1 + w / 2) / width,
                        (y1 + h / 2) / height, w / width, h / height, w * h / (width * height)], dim=1)
