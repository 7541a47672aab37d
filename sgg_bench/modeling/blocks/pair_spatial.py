"""The 32-d box-pair code and its spatial embedding (KT ``get_box_pair_info`` and the causal
predictor's ``spt_emb``, SPATIAL_FOR_VISION).

Per box, with S = max(image height, image width, 100):
  b = (x1, y1, x2, y2, cx, cy, w, h) / S,  w = x2 - x1, h = y2 - y1
The pair code is [b_subject, b_object, b_union, b_intersection] (32 values); union and
intersection are taken of the normalised boxes; the intersection block is all zeros when the
boxes do not overlap (x2 < x1 or y2 < y1).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.layer_init import xavier_linear


def _box_code(corners: Tensor) -> Tensor:
    """(M, 4) xyxy -> (M, 8) x1, y1, x2, y2, cx, cy, w, h."""
    size = corners[:, 2:] - corners[:, :2]
    return torch.cat([corners, corners[:, :2] + 0.5 * size, size], dim=1)


def pair_box_code(boxes: Tensor, pairs: Tensor, image_size: tuple[int, int]) -> Tensor:
    """boxes (N, 4) xyxy in a frame of ``image_size`` (height, width); pairs (M, 2) -> (M, 32)."""
    scale = float(max(image_size[0], image_size[1], 100))
    normalised = boxes.float() / scale
    subject, obj = normalised[pairs[:, 0]], normalised[pairs[:, 1]]
    union = torch.cat([torch.minimum(subject[:, :2], obj[:, :2]), torch.maximum(subject[:, 2:], obj[:, 2:])], dim=1)
    overlap = torch.cat([torch.maximum(subject[:, :2], obj[:, :2]), torch.minimum(subject[:, 2:], obj[:, 2:])], dim=1)
    disjoint = (overlap[:, 2] < overlap[:, 0]) | (overlap[:, 3] < overlap[:, 1])
    overlap_code = _box_code(overlap).masked_fill(disjoint[:, None], 0.0)
    return torch.cat([_box_code(subject), _box_code(obj), _box_code(union), overlap_code], dim=1)


class PairSpatialEmbedding(nn.Module):
    """(M, 32) pair code -> Linear(32, hidden) -> ReLU -> Linear(hidden, out) -> ReLU, Xavier-normal
    weights and zero biases (KT's ``layer_init``)."""

    def __init__(self, hidden_dim: int, out_dim: int):
        super().__init__()
        self.layers = nn.Sequential(xavier_linear(32, hidden_dim), nn.ReLU(),
                                    xavier_linear(hidden_dim, out_dim), nn.ReLU())

    def forward(self, codes: Tensor) -> Tensor:
        return self.layers(codes)
