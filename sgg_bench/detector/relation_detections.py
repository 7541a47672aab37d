"""SGDet detections with one label per box, as the reference relation pipeline decodes them.

torchvision's ``RoIHeads.postprocess_detections`` treats every (proposal, class) as its own
detection, so one proposal can come out several times with different labels. The reference
(maskrcnn-benchmark's post-processor with ``NMS_FILTER_DUPLICATES``) keeps, after the per-class
NMS, only the best-scoring class of each proposal, with that class's regressed box. Scene graphs
need one object per box, so relation models decode this way; the detector's own mAP keeps
torchvision's decoding.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import boxes as box_ops


def one_label_per_box(class_logits: Tensor, box_regression: Tensor, proposals: list[Tensor],
                      image_sizes: list[tuple[int, int]], *, box_coder, score_thresh: float, nms_thresh: float,
                      detections_per_img: int) -> list[dict[str, Tensor]]:
    """class_logits (P, C), box_regression (P, 4C) for the proposals of all images (resized frame).
    Returns per image ``boxes`` (K, 4), ``labels`` (K,) 1-based, ``scores`` (K,), ``proposal``
    (K,) index of each detection's proposal in that image, and ``class_boxes`` (K, C, 4) the
    proposal's regressed box for every class (the reference's ``boxes_per_cls``, for relation
    heads that relabel a detection); at most one detection per proposal."""
    num_classes = class_logits.shape[-1]
    counts = [int(p.shape[0]) for p in proposals]
    all_boxes = box_coder.decode(box_regression, proposals).split(counts, 0)
    all_scores = F.softmax(class_logits, -1).split(counts, 0)
    out = []
    for boxes, scores, size in zip(all_boxes, all_scores, image_sizes):
        num_proposals = scores.shape[0]
        per_class = box_ops.clip_boxes_to_image(boxes, size)            # (P, C, 4)
        boxes = per_class[:, 1:].reshape(-1, 4)
        labels = torch.arange(1, num_classes, device=scores.device).repeat(num_proposals)
        proposal = torch.arange(num_proposals, device=scores.device).repeat_interleave(num_classes - 1)
        scores = scores[:, 1:].reshape(-1)
        keep = torch.where(scores > score_thresh)[0]
        keep = keep[box_ops.remove_small_boxes(boxes[keep], min_size=1e-2)]
        keep = keep[box_ops.batched_nms(boxes[keep], scores[keep], labels[keep], nms_thresh)]  # by score, desc
        # The first (best-scoring) surviving class of each proposal only.
        order = torch.arange(keep.numel(), device=keep.device)
        first = torch.full((num_proposals,), keep.numel(), dtype=torch.long,
                           device=keep.device).scatter_reduce(0, proposal[keep], order, reduce="amin")
        keep = keep[torch.sort(first[first < keep.numel()]).values][:detections_per_img]
        out.append({"boxes": boxes[keep], "labels": labels[keep], "scores": scores[keep], "proposal": proposal[keep],
                    "class_boxes": per_class[proposal[keep]]})
    return out
