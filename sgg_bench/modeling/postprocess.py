"""The standard ranking rule (docs/EVALUATION.md): from logits to a ranked ImagePrediction.

1. Object score ``s_i`` = softmax probability of the predicted class, background column
   zeroed before the argmax (PredCls: GT labels with score exactly 1.0).
2. Per pair ``p_m = softmax(rel_logits_m)``; predicate ``c_m = 1 + argmax(p_m[1:])`` (ties:
   lowest index); ``r_m = p_m[c_m]``.
3. Triplet score ``t_m = r_m * s_i * s_j`` in float32.
4. Pairs sorted by ``t_m`` descending and stored with the full ``p_m`` rows. The sort is
   stable, so equal scores keep their candidate order (KT's sort is not stable; METRICS
   section 13 leaves tie order open).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from sgg_bench.structures import ImagePrediction


def object_labels_and_scores(obj_logits: Tensor) -> tuple[Tensor, Tensor]:
    """(N, C_obj) logits -> labels (N,) int64 in 1..C_obj-1 and scores (N,) float32.

    Background is never predicted: its probability is zeroed before the argmax, and the
    score is the probability of the chosen class in the full softmax.
    """
    if obj_logits.shape[0] == 0:
        return obj_logits.new_zeros((0,), dtype=torch.long), obj_logits.new_zeros((0,), dtype=torch.float32)
    probs = torch.softmax(obj_logits.float(), dim=1)
    probs[:, 0] = 0.0
    scores, labels = probs.max(dim=1)
    return labels, scores


def rank_relations(rel_logits: Tensor, pairs: Tensor, obj_scores: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Rank one image's candidate pairs.

    rel_logits: (M, C_rel) float, column 0 = background
    pairs:      (M, 2) int64 indices into the image's boxes
    obj_scores: (N,) float32 object scores s_i
    Returns ``pairs`` (M, 2), ``rel_probs`` (M, C_rel) float32 full softmax rows and
    ``triplet_scores`` (M,) float32, all in descending triplet-score order.
    """
    rel_probs = torch.softmax(rel_logits.float(), dim=1)
    if pairs.shape[0] == 0:
        return pairs.reshape(0, 2), rel_probs.reshape(0, rel_logits.shape[1]), rel_probs.new_zeros((0,))
    best_fg = rel_probs[:, 1:].max(dim=1).values
    triplet = best_fg * obj_scores.float()[pairs[:, 0]] * obj_scores.float()[pairs[:, 1]]
    order = torch.sort(triplet, descending=True, stable=True).indices
    return pairs[order], rel_probs[order], triplet[order]


def build_prediction(*, image_id: int, boxes: Tensor, labels: Tensor, scores: Tensor, pairs: Tensor,
                     rel_logits: Tensor) -> ImagePrediction:
    """One ranked ``ImagePrediction``.

    boxes:  (N, 4) xyxy in original-image pixels; labels (N,) 1-based; scores (N,) object scores
    pairs:  (M, 2) candidate pairs; rel_logits (M, C_rel)
    An image without candidate pairs gets an empty (0, 2) pair list and (0, C_rel) scores.
    """
    ranked_pairs, rel_probs, _ = rank_relations(rel_logits, pairs, scores)
    return ImagePrediction(
        image_id=int(image_id),
        boxes=boxes.detach().float().cpu().numpy().astype(np.float32).reshape(-1, 4),
        labels=labels.detach().cpu().numpy().astype(np.int64).reshape(-1),
        scores=scores.detach().float().cpu().numpy().astype(np.float32).reshape(-1),
        rel_pairs=ranked_pairs.detach().cpu().numpy().astype(np.int64).reshape(-1, 2),
        rel_scores=rel_probs.detach().cpu().numpy().astype(np.float32).reshape(-1, rel_logits.shape[1]),
    )


def class_box_iou(class_boxes: Tensor) -> Tensor:
    """(N, C, 4) per-class boxes -> (N, N, C): IoU of box i's and box j's class-c boxes, with the
    reference's +1-pixel widths (KT ``nms_overlaps``)."""
    low = torch.maximum(class_boxes[:, None, :, :2], class_boxes[None, :, :, :2])
    high = torch.minimum(class_boxes[:, None, :, 2:], class_boxes[None, :, :, 2:])
    overlap = (high - low + 1.0).clamp(min=0)
    inter = overlap[..., 0] * overlap[..., 1]
    sides = class_boxes[..., 2:] - class_boxes[..., :2] + 1.0
    area = sides[..., 0] * sides[..., 1]
    return inter / (area[:, None] + area[None] - inter)


def per_class_nms_labels(obj_logits: Tensor, class_boxes: Tensor, iou_threshold: float) -> tuple[Tensor, Tensor]:
    """SGDet labels from refined object logits (KT ``obj_prediction_nms``, the post-processor's
    "late NMS"): repeatedly take the highest remaining (box, class) probability (background zeroed),
    give that box that class, zero that class for every box whose class box overlaps it with IoU >=
    ``iou_threshold``, and retire the box. One label per box; a box left with nothing but zeros
    takes its best foreground class (KT would give it the background label 0).

    obj_logits: (N, C_obj); class_boxes: (N, C_obj, 4) each box's box for every class.
    Returns labels (N,) int64 >= 1 and scores (N,) float32 = the softmax probability of the label.
    """
    count = obj_logits.shape[0]
    if count == 0:
        return object_labels_and_scores(obj_logits)
    probs = torch.softmax(obj_logits.float(), dim=1)
    probs[:, 0] = 0.0
    overlaps = class_box_iou(class_boxes.float()) >= iou_threshold    # (N, N, C)
    remaining = probs.clone()
    labels = torch.zeros(count, dtype=torch.long, device=obj_logits.device)
    num_classes = probs.shape[1]
    for _ in range(count):
        flat = int(torch.argmax(remaining))   # first maximum, as numpy's argmax in the reference
        box, cls = divmod(flat, num_classes)
        labels[box] = cls if cls > 0 else int(probs[box, 1:].argmax()) + 1
        remaining[overlaps[box, :, cls], cls] = 0.0
        remaining[box] = -1.0
    return labels, probs[torch.arange(count, device=probs.device), labels]
