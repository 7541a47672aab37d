"""The causal predictor's spatial embedding (KT ``spt_emb``, SPATIAL_FOR_VISION) of the 32-d
box-pair code (``pair_geometry``: KT / PySGG ``get_box_pair_info``)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.layer_init import xavier_linear
from sgg_bench.modeling.blocks.pair_geometry import box_pair_geometry, normalised_box_code


def pair_box_code(boxes: Tensor, pairs: Tensor, image_size: tuple[int, int]) -> Tensor:
    """boxes (N, 4) xyxy in a frame of ``image_size`` (height, width); pairs (M, 2) -> (M, 32), the
    reference's code (``pair_geometry``, +1-pixel widths included)."""
    code = normalised_box_code(boxes, image_size)
    return box_pair_geometry(code[pairs[:, 0]], code[pairs[:, 1]])


class PairSpatialEmbedding(nn.Module):
    """(M, 32) pair code -> Linear(32, hidden) -> ReLU -> Linear(hidden, out) -> ReLU, Xavier-normal
    weights and zero biases (KT's ``layer_init``)."""

    def __init__(self, hidden_dim: int, out_dim: int):
        super().__init__()
        self.layers = nn.Sequential(xavier_linear(32, hidden_dim), nn.ReLU(),
                                    xavier_linear(hidden_dim, out_dim), nn.ReLU())

    def forward(self, codes: Tensor) -> Tensor:
        return self.layers(codes)
