"""Grounding unlocalized scene graphs to detector boxes, redone every iteration (docs/LANGUAGE.md §8.2).

SGNLS's rules (``box_head/sampling.py::assign_label_to_proposals_by_dict`` and
``relation_head/sampling.py``), reimplemented on numpy with an explicit ``numpy.random.Generator``
so a (seed, iteration) pair always gives the same sample:

1. Each detection independently: its detector class (``labels``, the class the detection was kept
   for; SGNLS stores ``_dists`` as a one-hot of that class and takes its argmax) maps to target
   classes (``detector_to_classes``); of those present among the image's nodes one
   class is picked at random, then one node of that class at random. No IoU test, no scores; none -> 0.
2. Per (subject node, object node) pair one predicate (``deduplicate``: uniform among the pair's
   triplets; else a later triplet replaces the earlier one with probability 0.5). For each such
   relation the candidates are all detection pairs (head != tail) whose labels equal the node classes
   (class level) and, with ``require_overlap``, whose boxes overlap (0 < IoU < 1). More than
   ``samples_per_triplet`` candidates -> that many uniformly without replacement. All positives of the
   image: at most ``pairs_per_image * positive_fraction``; then background-predicate pairs between
   foreground boxes (any two, not a candidate pair) fill up to ``pairs_per_image``.
3. ``transformer_variant``: ``background_box_factor`` x (pairs sampled so far) pairs with at least one
   background box, for the object losses on background.

``ground_localized`` is the full setting on the same detections: a detection takes the class of the
ground-truth box it overlaps most when IoU >= 0.5, matches are instance level, and more than
``samples_per_triplet`` candidates are drawn with probability proportional to the product of IoUs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

KIND_BACKGROUND_PREDICATE = 0   # both boxes foreground, predicate background
KIND_POSITIVE = 1
KIND_BACKGROUND_BOX = 2         # subject or object box is background (rule 3)


@dataclass(frozen=True)
class GroundingConfig:
    """SGNLS's language-setting values: 16 pairs per image, a quarter positive, 4 per triplet."""

    pairs_per_image: int = 16
    positive_fraction: float = 0.25
    samples_per_triplet: int = 4
    background_box_factor: int = 3
    require_overlap: bool = True
    deduplicate: bool = True

    @property
    def max_positives(self) -> int:
        return int(self.pairs_per_image * self.positive_fraction)


@dataclass
class GroundedTargets:
    """One image's training targets. ``box_labels`` (N,) int64 target class per detection (0 =
    background), ``box_nodes`` (N,) int64 the node it was assigned (-1 = none), ``pairs`` (M, 2) int64
    detection indices (subject, object), ``pair_predicates`` (M,) int64 (0 = background predicate),
    ``pair_kind`` (M,) int64 (``KIND_*``). Positives come first, then background-predicate pairs, then
    background-box pairs."""

    box_labels: np.ndarray
    box_nodes: np.ndarray
    pairs: np.ndarray
    pair_predicates: np.ndarray
    pair_kind: np.ndarray


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) xyxy boxes -> (N, M) IoU (continuous coordinates, no +1)."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def assign_box_labels(det_classes: np.ndarray, node_classes: np.ndarray,
                      detector_to_classes: Mapping[int, Sequence[int]],
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rule 1: -> (labels (N,) int64, nodes (N,) int64, -1 where unassigned)."""
    node_classes = np.asarray(node_classes, np.int64).reshape(-1)
    present = set(node_classes.tolist())
    labels = np.zeros(len(det_classes), np.int64)
    nodes = np.full(len(det_classes), -1, np.int64)
    for i, det_class in enumerate(np.asarray(det_classes, np.int64).reshape(-1)):
        candidates = [c for c in dict.fromkeys(detector_to_classes.get(int(det_class), ())) if c in present]
        if not candidates:
            continue
        chosen = candidates[int(rng.integers(len(candidates)))]
        instances = np.flatnonzero(node_classes == chosen)
        labels[i] = chosen
        nodes[i] = instances[int(rng.integers(len(instances)))]
    return labels, nodes


def relation_per_pair(triplets: np.ndarray, rng: np.random.Generator, *, deduplicate: bool) -> np.ndarray:
    """Rule 2's one predicate per (subject node, object node) pair; (T, 3) -> (T', 3), pairs in first-seen order."""
    triplets = np.asarray(triplets, np.int64).reshape(-1, 3)
    chosen: dict[tuple[int, int], int] = {}
    if deduplicate:
        grouped: dict[tuple[int, int], list[int]] = {}
        for s, o, p in triplets.tolist():
            grouped.setdefault((s, o), []).append(p)
        for key, predicates in grouped.items():
            chosen[key] = predicates[int(rng.integers(len(predicates)))]
    else:
        for s, o, p in triplets.tolist():
            if (s, o) not in chosen or rng.random() > 0.5:
                chosen[(s, o)] = p
    return np.asarray([[s, o, p] for (s, o), p in chosen.items()], np.int64).reshape(-1, 3)


def _choose(rng: np.random.Generator, rows: np.ndarray, count: int, weights: np.ndarray | None = None) -> np.ndarray:
    if len(rows) <= count:
        return rows
    if weights is not None and weights.sum() > 0:
        picked = rng.choice(len(rows), size=count, replace=False, p=weights / weights.sum())
    else:
        picked = rng.permutation(len(rows))[:count]
    return rows[np.sort(picked) if weights is not None else picked]


def sample_pairs(match: np.ndarray, relations: np.ndarray, box_labels: np.ndarray, rng: np.random.Generator, *,
                 config: GroundingConfig, overlap: np.ndarray | None, match_weights: np.ndarray | None = None,
                 transformer_variant: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rules 2 and 3. ``match`` (nodes, N) bool: detection i may stand for node g; ``relations`` (R, 3)
    node-level triplets; ``overlap`` (N, N) bool required for candidates (None = not required);
    ``match_weights`` (nodes, N) IoUs for weighted sub-sampling (None = uniform).
    Returns (pairs (M, 2), predicates (M,), kinds (M,))."""
    n = len(box_labels)
    foreground = box_labels > 0
    possible = foreground[:, None] & foreground[None, :] & ~np.eye(n, dtype=bool)  # background-predicate pool
    positives = []
    for s, o, p in relations.tolist():
        heads, tails = np.flatnonzero(match[s]), np.flatnonzero(match[o])
        if not len(heads) or not len(tails):
            continue
        grid = np.stack(np.meshgrid(heads, tails, indexing="ij"), axis=-1).reshape(-1, 2)
        valid = grid[:, 0] != grid[:, 1]
        if overlap is not None:
            valid &= overlap[grid[:, 0], grid[:, 1]]
        grid = grid[valid]
        if not len(grid):
            continue
        possible[grid[:, 0], grid[:, 1]] = False
        weights = None
        if match_weights is not None:
            weights = match_weights[s, grid[:, 0]] * match_weights[o, grid[:, 1]]
        grid = _choose(rng, grid, config.samples_per_triplet, weights)
        positives.append(np.concatenate([grid, np.full((len(grid), 1), p, np.int64)], axis=1))
    fg = np.concatenate(positives).astype(np.int64) if positives else np.zeros((0, 3), np.int64)
    fg = _choose(rng, fg, config.max_positives)
    bg_pairs = np.argwhere(possible).astype(np.int64)
    bg_pairs = _choose(rng, bg_pairs, max(0, config.pairs_per_image - len(fg)))
    pairs = [fg[:, :2], bg_pairs]
    predicates = [fg[:, 2], np.zeros(len(bg_pairs), np.int64)]
    kinds = [np.full(len(fg), KIND_POSITIVE, np.int64), np.full(len(bg_pairs), KIND_BACKGROUND_PREDICATE, np.int64)]
    if transformer_variant:
        with_background = ~(foreground[:, None] & foreground[None, :]) & ~np.eye(n, dtype=bool)
        box_pairs = _choose(rng, np.argwhere(with_background).astype(np.int64),
                            config.background_box_factor * (len(fg) + len(bg_pairs)))
        pairs.append(box_pairs)
        predicates.append(np.zeros(len(box_pairs), np.int64))
        kinds.append(np.full(len(box_pairs), KIND_BACKGROUND_BOX, np.int64))
    return (np.concatenate(pairs).reshape(-1, 2).astype(np.int64), np.concatenate(predicates).astype(np.int64),
            np.concatenate(kinds).astype(np.int64))


def ground(image, *, detector_to_classes: Mapping[int, Sequence[int]], rng: np.random.Generator,
           config: GroundingConfig = GroundingConfig(), transformer_variant: bool = True) -> GroundedTargets:
    """Dictionary grounding (language and weak settings) of one ``PseudoLabelImage``-like record
    (``boxes``, ``labels`` = detector classes, ``node_classes``, ``triplets``)."""
    boxes = np.asarray(image.boxes, np.float32).reshape(-1, 4)
    labels, nodes = assign_box_labels(image.labels, image.node_classes, detector_to_classes, rng)
    node_classes = np.asarray(image.node_classes, np.int64).reshape(-1)
    match = node_classes[:, None] == labels[None, :]           # class level: any box of the node's class
    overlap = None
    if config.require_overlap:
        iou = box_iou(boxes, boxes)
        overlap = (iou > 0) & (iou < 1)
    relations = relation_per_pair(image.triplets, rng, deduplicate=config.deduplicate)
    pairs, predicates, kinds = sample_pairs(match, relations, labels, rng, config=config, overlap=overlap,
                                            transformer_variant=transformer_variant)
    return GroundedTargets(box_labels=labels, box_nodes=nodes, pairs=pairs, pair_predicates=predicates, pair_kind=kinds)


def ground_localized(image, *, gt_boxes: np.ndarray, gt_labels: np.ndarray, gt_relations: np.ndarray,
                     rng: np.random.Generator, config: GroundingConfig = GroundingConfig(),
                     iou_threshold: float = 0.5, transformer_variant: bool = True) -> GroundedTargets:
    """Full supervision on the same detections: IoU matching to localized ground truth (module doc).
    ``gt_relations`` (R, 3) (subject box, object box, predicate) in the ground truth's indices."""
    boxes = np.asarray(image.boxes, np.float32).reshape(-1, 4)
    gt_labels = np.asarray(gt_labels, np.int64).reshape(-1)
    iou = box_iou(np.asarray(gt_boxes, np.float32).reshape(-1, 4), boxes)          # (G, N)
    labels = np.zeros(len(boxes), np.int64)
    nodes = np.full(len(boxes), -1, np.int64)
    if iou.size:
        best = iou.argmax(0)
        hit = iou[best, np.arange(len(boxes))] >= iou_threshold
        labels[hit], nodes[hit] = gt_labels[best[hit]], best[hit]
    match = (gt_labels[:, None] == labels[None, :]) & (iou > iou_threshold)
    relations = relation_per_pair(gt_relations, rng, deduplicate=config.deduplicate)
    pairs, predicates, kinds = sample_pairs(match, relations, labels, rng, config=config, overlap=None,
                                            match_weights=iou, transformer_variant=transformer_variant)
    return GroundedTargets(box_labels=labels, box_nodes=nodes, pairs=pairs, pair_predicates=predicates, pair_kind=kinds)
