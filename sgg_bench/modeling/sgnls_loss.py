"""SGNLS's losses (``UniterLossComputation``, docs/MODELS.md ``sgnls``):

    loss_rel = CE_w(predicate logits, predicate labels)   over pairs whose subject AND object box is foreground
    loss_obj = 0.5 * (CE_w(subject logits, subject labels) + CE_w(object logits, object labels))   over all pairs

CE_w is the class-weighted cross-entropy with PyTorch's weighted mean (sum of w[y] * loss over
sum of w[y]), the reference's ``nn.CrossEntropyLoss(weight=...)``; without weights, the plain mean.
Background pairs (predicate 0) between two foreground boxes are in ``loss_rel``; pairs touching a
background box (label 0) are only in ``loss_obj``, where they teach the background class.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.head_io import RelationHeadOutputs


def weighted_cross_entropy(logits: Tensor, targets: Tensor, weight: Optional[Tensor] = None) -> Tensor:
    """Cross-entropy with the weighted mean; an exact 0 that keeps the graph without rows or weight."""
    if targets.numel() == 0:
        return logits.sum() * 0.0
    if weight is None:
        return F.cross_entropy(logits, targets)
    weight = weight.to(device=logits.device, dtype=logits.dtype)
    if float(weight[targets].sum()) <= 0.0:
        return logits.sum() * 0.0
    return F.cross_entropy(logits, targets, weight=weight)


def sgnls_losses(*, rel_logits: Tensor, subject_logits: Tensor, object_logits: Tensor, rel_labels: Tensor,
                 subject_labels: Tensor, object_labels: Tensor, rel_weights: Optional[Tensor] = None,
                 obj_weights: Optional[Tensor] = None, object_weight: float = 0.5) -> dict[str, Tensor]:
    """All inputs flat over the batch's pairs: logits (M, C), labels (M,) int64 (0 = background)."""
    foreground = (subject_labels > 0) & (object_labels > 0)
    loss_rel = weighted_cross_entropy(rel_logits[foreground], rel_labels[foreground], rel_weights)
    loss_obj = object_weight * (weighted_cross_entropy(subject_logits, subject_labels, obj_weights)
                                + weighted_cross_entropy(object_logits, object_labels, obj_weights))
    return {"loss_rel": loss_rel, "loss_obj": loss_obj}


def pair_labels_of(box_labels: list[Tensor], pairs: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Per-image box labels and pairs -> the flat subject and object labels of every pair."""
    if not pairs:
        empty = torch.zeros((0,), dtype=torch.long)
        return empty, empty
    subjects = torch.cat([labels[p[:, 0]] for labels, p in zip(box_labels, pairs)])
    objects = torch.cat([labels[p[:, 1]] for labels, p in zip(box_labels, pairs)])
    return subjects, objects


@dataclass
class PairwiseObjectOutputs(RelationHeadOutputs):
    """``RelationHeadOutputs`` plus the per-pair subject and object logits of a head that
    classifies objects per pair (SGNLS); ``obj_logits`` are their per-box means.

    subject_logits, object_logits: list of (M_i, C_obj), aligned with the image's pairs
    pairs: list of (M_i, 2), the pairs they were computed for
    """

    subject_logits: list[Tensor] = field(default_factory=list)
    object_logits: list[Tensor] = field(default_factory=list)
    pairs: list[Tensor] = field(default_factory=list)


class SgnlsLoss(nn.Module):
    """The loss part of ``SceneGraphModel`` for the ``sgnls`` head (unweighted: the standard
    relation run trains on localized ground truth; the language path passes class weights)."""

    def __init__(self, *, obj_loss_weight: float = 1.0, object_weight: float = 0.5):
        super().__init__()
        self.object_weight = float(object_weight)

    def forward(self, outputs: RelationHeadOutputs, rel_labels: list[Tensor], obj_targets: list[Tensor], *,
                object_loss: bool) -> dict[str, Tensor]:
        if not isinstance(outputs, PairwiseObjectOutputs):
            raise TypeError(f"SgnlsLoss: expected PairwiseObjectOutputs, found {type(outputs).__name__}")
        subject_labels, object_labels = pair_labels_of(obj_targets, outputs.pairs)
        return sgnls_losses(rel_logits=torch.cat(outputs.rel_logits), subject_logits=torch.cat(outputs.subject_logits),
                            object_logits=torch.cat(outputs.object_logits), rel_labels=torch.cat(rel_labels),
                            subject_labels=subject_labels, object_labels=object_labels,
                            object_weight=self.object_weight)
