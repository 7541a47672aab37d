"""SGDet training pairs as KT samples them (``RelationSampling.detect_relsample``).

Boxes (detections, plus the GT boxes in training) carry the label of the GT box they overlap best
with IoU >= 0.5 (0 = background). A box *matches* a GT box when it carries the same label and
their IoU is above ``iou_threshold`` (strict, label-consistent). For each GT relation
(s, o, predicate), every ordered pair (i, j), i != j, of a box matching s and a box matching o is
a foreground candidate; when there are more than ``max_pairs_per_relation`` of them, that many
are drawn without replacement with probability proportional to IoU(i, s) * IoU(j, o). The
foreground is capped at ``pairs_per_image * fg_fraction`` (a random subset); the background is a
random subset of the ordered pairs between *foreground* boxes (label > 0) that are no foreground
candidate, up to ``pairs_per_image`` in all.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from sgg_bench.modeling.pair_sampling import all_ordered_pairs


def sample_sgdet_pairs(boxes: Tensor, box_labels: Tensor, gt_boxes: Tensor, gt_labels: Tensor, relations: Tensor, *,
                       pairs_per_image: int = 256, fg_fraction: float = 0.25, iou_threshold: float = 0.5,
                       max_pairs_per_relation: int = 4,
                       generator: Optional[torch.Generator] = None) -> tuple[Tensor, Tensor]:
    """boxes (N, 4) and box_labels (N,); gt_boxes (G, 4), gt_labels (G,), one frame; relations
    (R, 3) over GT indices, one predicate per pair. Returns pairs (M, 2) and labels (M,)."""
    from torchvision.ops import box_iou

    device = boxes.device
    num_boxes = boxes.shape[0]
    empty = (torch.zeros((0, 2), dtype=torch.long, device=device), torch.zeros((0,), dtype=torch.long, device=device))
    if num_boxes == 0:
        return empty
    iou = box_iou(gt_boxes.float(), boxes.float()) if gt_boxes.shape[0] else boxes.new_zeros((0, num_boxes))
    matches = (gt_labels[:, None] == box_labels[None, :]) & (iou > iou_threshold) & (box_labels[None, :] > 0)
    fg_pairs, fg_labels, candidate = [], [], torch.zeros((num_boxes, num_boxes), dtype=torch.bool, device=device)
    for subject, obj, predicate in relations.reshape(-1, 3).tolist():
        subjects, objects = matches[subject].nonzero().flatten(), matches[obj].nonzero().flatten()
        if subjects.numel() == 0 or objects.numel() == 0:
            continue
        grid = torch.cartesian_prod(subjects, objects).reshape(-1, 2)
        grid = grid[grid[:, 0] != grid[:, 1]]
        if grid.numel() == 0:
            continue
        candidate[grid[:, 0], grid[:, 1]] = True
        if grid.shape[0] > max_pairs_per_relation:
            weight = iou[subject, grid[:, 0]] * iou[obj, grid[:, 1]]
            grid = grid[torch.multinomial(weight.cpu(), max_pairs_per_relation, replacement=False,
                                          generator=generator).to(device)]
        fg_pairs.append(grid)
        fg_labels.append(torch.full((grid.shape[0],), int(predicate), dtype=torch.long, device=device))
    fg_pairs = torch.cat(fg_pairs) if fg_pairs else empty[0]
    fg_labels = torch.cat(fg_labels) if fg_labels else empty[1]
    max_fg = int(pairs_per_image * fg_fraction)
    if fg_pairs.shape[0] > max_fg:
        keep = torch.randperm(fg_pairs.shape[0], generator=generator)[:max_fg].to(device)
        fg_pairs, fg_labels = fg_pairs[keep], fg_labels[keep]
    foreground = (box_labels > 0).nonzero().flatten()
    bg = all_ordered_pairs(foreground.numel(), device=device)
    bg = foreground[bg] if bg.numel() else bg
    bg = bg[~candidate[bg[:, 0], bg[:, 1]]] if bg.numel() else bg
    num_bg = min(pairs_per_image - fg_pairs.shape[0], bg.shape[0])
    bg = bg[torch.randperm(bg.shape[0], generator=generator)[:num_bg].to(device)]
    return (torch.cat([fg_pairs, bg], dim=0),
            torch.cat([fg_labels, fg_labels.new_zeros(bg.shape[0])], dim=0))
