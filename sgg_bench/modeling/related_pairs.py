"""The symmetric "related" matrix of one training image (KT ``RelationSampling``'s
``rel_sym_binarys``, the target of VCTree's auxiliary binary loss).

GT boxes (PredCls / SGCls): ``related[i, j] = related[j, i] = True`` for every GT relation
(i, j, predicate), i != j, before any foreground cap. SGDet: for every GT relation (s, o), every box
matching s and every box matching o (same label, IoU above the threshold: the matching of
``sgdet_sampling``) are related both ways, all matches (KT does not cap these per relation and
keeps a box that matches both s and o on the diagonal).
"""
from __future__ import annotations

import torch
from torch import Tensor


def related_matrix(num_boxes: int, relations: Tensor) -> Tensor:
    """relations (R, 3) (subject, object, predicate) over ``num_boxes`` GT boxes -> (N, N) bool."""
    related = torch.zeros((num_boxes, num_boxes), dtype=torch.bool, device=relations.device)
    relations = relations.reshape(-1, 3).long()
    relations = relations[relations[:, 0] != relations[:, 1]]
    related[relations[:, 0], relations[:, 1]] = True
    related[relations[:, 1], relations[:, 0]] = True
    return related


def related_matrix_sgdet(boxes: Tensor, box_labels: Tensor, gt_boxes: Tensor, gt_labels: Tensor,
                         relations: Tensor, *, iou_threshold: float = 0.5) -> Tensor:
    """boxes (N, 4) with labels (N,), gt_boxes (G, 4) with gt_labels (G,), one frame; relations
    (R, 3) over GT indices -> (N, N) bool."""
    from torchvision.ops import box_iou

    num_boxes = boxes.shape[0]
    related = torch.zeros((num_boxes, num_boxes), dtype=torch.bool, device=boxes.device)
    if num_boxes == 0 or gt_boxes.shape[0] == 0:
        return related
    iou = box_iou(gt_boxes.float(), boxes.float())
    matches = (gt_labels[:, None] == box_labels[None, :]) & (iou > iou_threshold) & (box_labels[None, :] > 0)
    relations = relations.reshape(-1, 3).long()
    for subject, obj in relations[:, :2].tolist():
        block = matches[subject][:, None] & matches[obj][None, :]
        related |= block | block.t()
    return related
