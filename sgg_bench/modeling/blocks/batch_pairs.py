"""Batch-level views of a head's per-image inputs: pairs into the concatenated box list, and the
labels a head conditions on for every box of the batch."""
from __future__ import annotations

import torch
from torch import Tensor

from sgg_bench.modeling.blocks.geometry import labels_for_pairs
from sgg_bench.modeling.head_io import RelationHeadInputs


def batch_pairs(inputs: RelationHeadInputs) -> Tensor:
    """(sum M_i, 2) int64: each image's pairs shifted to index the concatenation of all boxes."""
    offsets = torch.tensor([0] + inputs.num_boxes[:-1]).cumsum(0).tolist()
    return torch.cat([p + o for p, o in zip(inputs.pairs, offsets)], dim=0)


def batch_labels(inputs: RelationHeadInputs, obj_logits: list[Tensor]) -> Tensor:
    """(sum N_i,) labels: GT in predcls, else the foreground argmax of each image's ``obj_logits``."""
    gt = inputs.obj_labels or [None] * inputs.num_images
    return torch.cat([labels_for_pairs(inputs.mode, g, l) for g, l in zip(gt, obj_logits)], dim=0)
