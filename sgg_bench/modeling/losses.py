"""The default relation-model loss: predicate cross-entropy plus, for heads that refine object
labels outside PredCls, the object cross-entropy. A head can bring its own (``head.loss``), or a
caller can pass one to ``SceneGraphModel(loss=...)``."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.head_io import RelationHeadOutputs


def cross_entropy_or_zero(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy; an exact 0 that keeps the graph when there are no rows."""
    if targets.numel() == 0:
        return logits.sum() * 0.0
    return F.cross_entropy(logits, targets)


class RelationLoss(nn.Module):
    """``loss_rel`` (all candidate pairs, background included) and ``loss_obj`` (weighted by
    ``obj_loss_weight``, only when ``object_loss`` is True)."""

    def __init__(self, *, obj_loss_weight: float = 1.0):
        super().__init__()
        self.obj_loss_weight = float(obj_loss_weight)

    def forward(self, outputs: RelationHeadOutputs, rel_labels: list[Tensor], obj_targets: list[Tensor], *,
                object_loss: bool) -> dict[str, Tensor]:
        losses = {"loss_rel": cross_entropy_or_zero(torch.cat(outputs.rel_logits, dim=0), torch.cat(rel_labels, dim=0))}
        if object_loss:
            losses["loss_obj"] = self.obj_loss_weight * cross_entropy_or_zero(
                torch.cat(outputs.obj_logits, dim=0), torch.cat(obj_targets, dim=0))
        return losses
