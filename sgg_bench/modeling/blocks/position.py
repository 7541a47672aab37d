"""The box position encoder of Motifs-family heads (KT's ``pos_embed``): the 9-d box code
(``encode_box_geometry``) -> Linear(9, 32) -> BatchNorm -> Linear(32, out) -> ReLU, applied to
every box of the batch at once (BatchNorm statistics are over all boxes, as KT)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.geometry import encode_box_geometry


class PositionEncoder(nn.Module):
    def __init__(self, out_dim: int = 128, *, hidden_dim: int = 32, momentum: float = 0.001):
        super().__init__()
        self.first = nn.Linear(9, hidden_dim)
        self.norm = nn.BatchNorm1d(hidden_dim, momentum=momentum)
        self.second = nn.Linear(hidden_dim, out_dim)

    def forward(self, boxes: list[Tensor], image_sizes: list[tuple[int, int]]) -> list[Tensor]:
        """Per image (N_i, 4) boxes in a frame of (height, width) -> (N_i, out_dim)."""
        codes = [encode_box_geometry(b, size) for b, size in zip(boxes, image_sizes)]
        flat = self.first(torch.cat(codes, dim=0))
        # A training batch of a single box has no batch statistics: use the running ones.
        batch_stats = self.training and flat.shape[0] > 1
        flat = F.batch_norm(flat, self.norm.running_mean, self.norm.running_var, self.norm.weight, self.norm.bias,
                            training=batch_stats, momentum=self.norm.momentum, eps=self.norm.eps)
        out = F.relu(self.second(flat))
        return list(out.split([int(c.shape[0]) for c in codes]))

