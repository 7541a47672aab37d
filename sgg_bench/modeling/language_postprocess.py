"""SGDet inference of a model trained in another vocabulary (SGNLS ``UniterPostProcessor``,
LANGUAGE.md §7), from per-box and per-pair logits to a ranked ``ImagePrediction``:

1. object probabilities = softmax(box logits) @ M_obj, background column zeroed; M_obj (C_t, C_ds)
   puts each target class on the *first* dataset class it maps to (unmapped classes: a zero row);
2. labels by class-wise greedy NMS (``classwise_nms_labels``), scores = their mapped probability;
   boxes stay the detector's;
3. predicate probabilities = softmax(pair logits) @ M_rel (background onto background);
4. triplet score = max over foreground predicates x s(subject) x s(object), sorted descending
   (stable), one predicate per pair; the stored rows are the mapped probabilities.
In the closed vocabulary the maps are the identity and steps 1 and 3 change nothing.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor
from torchvision.ops import box_iou

from sgg_bench.structures import ImagePrediction


def merge_matrix(mapping: Mapping[int, Sequence[int]], num_source: int, num_target: int) -> Tensor:
    """(num_source, num_target) 0/1 matrix: row c has a 1 at the first target of ``mapping[c]``;
    background (0) maps onto background unless ``mapping`` says otherwise."""
    matrix = torch.zeros((num_source, num_target), dtype=torch.float32)
    matrix[0, 0] = 1.0
    for source, targets in mapping.items():
        source = int(source)
        if not 0 <= source < num_source:
            raise ValueError(f"merge_matrix: class {source} outside the source vocabulary of {num_source}")
        if targets:
            first = int(list(targets)[0])
            if not 0 <= first < num_target:
                raise ValueError(f"merge_matrix: class {source} maps to {first}, outside the {num_target} targets")
            matrix[source] = 0.0
            matrix[source, first] = 1.0
    return matrix


def classwise_nms_labels(boxes: Tensor, probs: Tensor, threshold: float) -> Tensor:
    """KT/SGNLS ``obj_prediction_nms`` with one box per detection (every class column shares it).

    Repeatedly take the most probable (box, class) of the (N, C) ``probs`` (background column 0
    already zeroed): the box keeps that class unless it already has one; every other box overlapping
    it with IoU >= ``threshold`` loses that class (probability 0); the box's row is then retired.
    A box whose row is all zero when picked (every class suppressed or unmapped) gets its best
    foreground class before suppression; (N,) int64 labels in 1..C-1.
    """
    count, width = probs.shape
    if count == 0:
        return torch.zeros((0,), dtype=torch.long)
    fallback = probs[:, 1:].argmax(dim=1).cpu().numpy() + 1
    boxes = boxes.detach().cpu().double()
    overlap = (box_iou(boxes, boxes) >= threshold).numpy()   # torchvision IoU: no +1 pixel widths
    work = probs.detach().cpu().double().numpy().copy()
    labels = np.zeros(count, dtype=np.int64)
    for _ in range(count):
        box, cls = np.unravel_index(int(work.argmax()), work.shape)
        if labels[box] == 0:
            labels[box] = cls if cls > 0 and work[box, cls] > 0 else fallback[box]
        if cls > 0:
            work[overlap[box], cls] = 0.0
        work[box] = -1.0
    return torch.from_numpy(labels)


def ranked_prediction(*, image_id: int, boxes: Tensor, obj_logits: Tensor, pairs: Tensor, rel_logits: Tensor,
                      obj_merge: Tensor, rel_merge: Tensor, nms_threshold: float = 0.5) -> ImagePrediction:
    """One image's ``ImagePrediction`` (boxes (N, 4) in original pixels; logits in the target
    vocabulary; merge matrices from ``merge_matrix``)."""
    obj_probs = torch.softmax(obj_logits.detach().float().cpu(), dim=1) @ obj_merge
    obj_probs[:, 0] = 0.0
    labels = classwise_nms_labels(boxes, obj_probs, nms_threshold)
    scores = obj_probs[torch.arange(labels.shape[0]), labels] if labels.numel() else obj_probs.new_zeros((0,))
    rel_probs = torch.softmax(rel_logits.detach().float().cpu(), dim=1) @ rel_merge
    pairs = pairs.detach().cpu().reshape(-1, 2)
    if pairs.shape[0]:
        triplet = rel_probs[:, 1:].max(dim=1).values * scores[pairs[:, 0]] * scores[pairs[:, 1]]
        order = torch.sort(triplet, descending=True, stable=True).indices
        pairs, rel_probs = pairs[order], rel_probs[order]
    return ImagePrediction(
        image_id=int(image_id), boxes=boxes.detach().float().cpu().numpy().astype(np.float32).reshape(-1, 4),
        labels=labels.numpy().astype(np.int64), scores=scores.numpy().astype(np.float32),
        rel_pairs=pairs.numpy().astype(np.int64).reshape(-1, 2),
        rel_scores=rel_probs.numpy().astype(np.float32).reshape(-1, rel_merge.shape[1]))
