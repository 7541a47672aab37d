"""RelDN's 28-d pair geometry (Zhang et al. 2019; Microsoft's ``reldn/spatial.py`` layout).

For subject box s, object box o and their union u (xyxy, widths with the +1 pixel convention):
  delta(a, b)  = ((cx_b - cx_a) / w_a, (cy_b - cy_a) / h_a, log(w_b / w_a), log(h_b / h_a))
  pair(a, b)   = delta(a, b) and the first two entries of delta(b, a)           (6)
  box(a)       = (x1 / W, y1 / H, x2 / W, y2 / H, w·h / (W·H))                  (5)
  code         = pair(s, o), pair(s, u), pair(u, o), box(s), box(o)             (28)
"""
from __future__ import annotations

import torch
from torch import Tensor


def _centres_and_sizes(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    w = boxes[:, 2] - boxes[:, 0] + 1.0
    h = boxes[:, 3] - boxes[:, 1] + 1.0
    return boxes[:, 0] + 0.5 * w, boxes[:, 1] + 0.5 * h, w, h


def box_delta(a: Tensor, b: Tensor) -> Tensor:
    """(M, 4) boxes a, b -> (M, 4) the regression deltas taking a onto b (weights 1)."""
    ax, ay, aw, ah = _centres_and_sizes(a)
    bx, by, bw, bh = _centres_and_sizes(b)
    return torch.stack([(bx - ax) / aw, (by - ay) / ah, torch.log(bw / aw), torch.log(bh / ah)], dim=1)


def _pair(a: Tensor, b: Tensor) -> Tensor:
    return torch.cat([box_delta(a, b), box_delta(b, a)[:, :2]], dim=1)


def _box(boxes: Tensor, height: float, width: float) -> Tensor:
    area = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1) / (width * height)
    return torch.stack([boxes[:, 0] / width, boxes[:, 1] / height, boxes[:, 2] / width, boxes[:, 3] / height,
                        area], dim=1)


def reldn_pair_geometry(subj: Tensor, obj: Tensor, image_size: tuple[int, int]) -> Tensor:
    """(M, 4) subject and object boxes of an image of (height, width) -> (M, 28) codes."""
    subj, obj = subj.float(), obj.float()
    union = torch.cat([torch.minimum(subj[:, :2], obj[:, :2]), torch.maximum(subj[:, 2:], obj[:, 2:])], dim=1)
    height, width = float(image_size[0]), float(image_size[1])
    return torch.cat([_pair(subj, obj), _pair(subj, union), _pair(union, obj), _box(subj, height, width),
                      _box(obj, height, width)], dim=1)
