"""Candidate pairs and training pair sampling (KT ``RelationSampling``: gtbox / detect variants).

Pairs are (subject, object) indices into one image's box list, int64, never i == j.
Random choices use the torch global generator unless one is passed, so a run resumed
from a checkpoint (which restores the torch RNG state) draws the same pairs.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor


def all_ordered_pairs(num_boxes: int, *, device: torch.device | str = "cpu") -> Tensor:
    """(N*(N-1), 2) int64: every ordered pair (i, j), i != j, row-major in (i, j)."""
    index = torch.arange(num_boxes, device=device)
    subj = index.repeat_interleave(num_boxes)
    obj = index.repeat(num_boxes)
    keep = subj != obj
    return torch.stack([subj[keep], obj[keep]], dim=1)


def deduplicate_relations(relations: Tensor, *, generator: Optional[torch.Generator] = None) -> Tensor:
    """Keep one randomly chosen predicate per (subject, object) pair; drop self-relations.

    relations: (R, 3) int64 rows (subject, object, predicate). Returns (R', 3) sorted by pair.
    """
    relations = relations.reshape(-1, 3)
    relations = relations[relations[:, 0] != relations[:, 1]]
    if relations.shape[0] == 0:
        return relations
    # A random permutation, then the first row of each pair: a uniform choice among its predicates.
    order = torch.randperm(relations.shape[0], generator=generator).to(relations.device)
    shuffled = relations[order]
    key = shuffled[:, 0] * (int(shuffled[:, :2].max()) + 1) + shuffled[:, 1]
    _, inverse = torch.unique(key, return_inverse=True)
    first = torch.full((int(inverse.max()) + 1,), shuffled.shape[0], dtype=torch.long, device=relations.device)
    first.scatter_reduce_(0, inverse, torch.arange(shuffled.shape[0], device=relations.device), reduce="amin")
    chosen = shuffled[first]
    return chosen[torch.argsort(chosen[:, 0] * (int(chosen[:, :2].max()) + 1) + chosen[:, 1])]


def _random_subset(count: int, keep: int, generator: Optional[torch.Generator]) -> Tensor:
    return torch.randperm(count, generator=generator)[:keep]


def sample_pairs(num_boxes: int, relations: Tensor, *, pairs_per_image: int = 256, fg_fraction: float = 0.25,
                 generator: Optional[torch.Generator] = None) -> tuple[Tensor, Tensor]:
    """Training pairs for one image whose boxes carry the relations' indices (PredCls / SGCls).

    relations: (R, 3) int64 (subject, object, predicate) over ``num_boxes`` boxes; several
               predicates on one pair are reduced to one random choice first.
    Returns ``pairs`` (M, 2) int64 and ``labels`` (M,) int64 (0 = background pair): at most
    ``int(pairs_per_image * fg_fraction)`` foreground pairs (a random subset when there are
    more), then up to ``pairs_per_image - num_fg`` random background pairs drawn from the
    ordered pairs i != j that carry no relation.
    """
    relations = deduplicate_relations(relations.to(torch.long), generator=generator)
    related = torch.zeros((num_boxes, num_boxes), dtype=torch.bool, device=relations.device)
    if relations.shape[0]:
        # Every GT pair is excluded from the background, also those dropped by the fg cap below.
        related[relations[:, 0], relations[:, 1]] = True
    max_fg = int(pairs_per_image * fg_fraction)
    if relations.shape[0] > max_fg:
        relations = relations[_random_subset(relations.shape[0], max_fg, generator).to(relations.device)]
    fg_pairs, fg_labels = relations[:, :2], relations[:, 2]

    candidates = all_ordered_pairs(num_boxes, device=relations.device)
    bg_pairs = candidates[~related[candidates[:, 0], candidates[:, 1]]] if num_boxes else candidates
    num_bg = min(pairs_per_image - fg_pairs.shape[0], bg_pairs.shape[0])
    bg_pairs = bg_pairs[_random_subset(bg_pairs.shape[0], num_bg, generator).to(relations.device)]
    pairs = torch.cat([fg_pairs, bg_pairs], dim=0)
    labels = torch.cat([fg_labels, fg_labels.new_zeros(bg_pairs.shape[0])], dim=0)
    return pairs, labels


def match_boxes_to_gt(boxes: Tensor, gt_boxes: Tensor, *, iou_threshold: float = 0.5) -> Tensor:
    """(N,) int64: index of the GT box with the highest IoU >= threshold for each box, else -1.

    Both box sets share one frame (xyxy). IoU is torchvision's (continuous, no +1).
    """
    from torchvision.ops import box_iou

    if boxes.shape[0] == 0 or gt_boxes.shape[0] == 0:
        return torch.full((boxes.shape[0],), -1, dtype=torch.long, device=boxes.device)
    iou = box_iou(boxes.float(), gt_boxes.float())
    best_iou, best = iou.max(dim=1)
    return torch.where(best_iou >= iou_threshold, best, torch.full_like(best, -1))
