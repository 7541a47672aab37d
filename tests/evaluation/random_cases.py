"""Seeded random ground truth and predictions for agreement tests and the benchmark.

Boxes are integers on a small canvas, so exact IoU 0.5 borderline cases occur; scores are
continuous random floats, so ties (whose order the reference leaves arbitrary) do not.
"""
from __future__ import annotations

import numpy as np

from sgg_bench.structures import ImageGroundTruth, ImagePrediction


def random_boxes(rng, n, size=40):
    x1 = rng.integers(0, size, n)
    y1 = rng.integers(0, size, n)
    w = rng.integers(1, size // 2, n)
    h = rng.integers(1, size // 2, n)
    return np.stack([x1, y1, x1 + w, y1 + h], axis=1).astype(np.float32)


def random_ground_truth(rng, image_id, *, num_obj_classes, num_rel_classes, max_boxes=8, max_rels=10):
    n = int(rng.integers(1, max_boxes + 1))
    boxes = random_boxes(rng, n)
    labels = rng.integers(1, num_obj_classes, n).astype(np.int64)
    r = int(rng.integers(0, max_rels + 1)) if n > 1 else 0
    rels = []
    for _ in range(r):
        s, o = rng.choice(n, 2, replace=False)
        rels.append((s, o, int(rng.integers(1, num_rel_classes))))
    if rels and rng.random() < 0.5:      # exact duplicate rows and a second predicate on one pair
        rels.append(rels[0])
        rels.append((rels[0][0], rels[0][1], int(rng.integers(1, num_rel_classes))))
    relations = np.array(rels, dtype=np.int64).reshape(-1, 3)
    return ImageGroundTruth(image_id=image_id, width=80, height=80, boxes=boxes, labels=labels, relations=relations)


def random_prediction(rng, gt, *, mode, num_obj_classes, num_rel_classes, max_pairs=None):
    src = np.arange(len(gt.boxes))
    if mode == "predcls":
        boxes, labels, scores = gt.boxes.copy(), gt.labels.copy(), np.ones(len(gt.labels), np.float32)
    else:
        n = len(gt.boxes) + int(rng.integers(0, 4))
        src = rng.integers(0, len(gt.boxes), n)
        boxes = gt.boxes[src] + rng.integers(-1, 2, (n, 4)).astype(np.float32)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])
        if mode == "sgcls":
            boxes, n, src = gt.boxes.copy(), len(gt.boxes), np.arange(len(gt.boxes))
        labels = np.where(rng.random(n) < 0.7, gt.labels[src[:n]] if mode != "sgcls" else gt.labels,
                          rng.integers(1, num_obj_classes, n)).astype(np.int64)
        scores = rng.uniform(0.05, 1.0, n).astype(np.float32)
    n = len(boxes)
    pairs = np.array([(i, j) for i in range(n) for j in range(n) if i != j], dtype=np.int64).reshape(-1, 2)
    if max_pairs is not None:
        pairs = pairs[rng.permutation(len(pairs))[:max_pairs]]
    logits = rng.normal(size=(len(pairs), num_rel_classes)) * 2
    # Make the model partly right: boost a GT predicate of the source pair.
    truth = {}
    for s_, o_, p_ in gt.relations:
        truth.setdefault((int(s_), int(o_)), []).append(int(p_))
    for m, (i, j) in enumerate(pairs):
        options = truth.get((int(src[i]), int(src[j])))
        if options and rng.random() < 0.6:
            logits[m, options[int(rng.integers(len(options)))]] += 3.0
    probs = np.exp(logits)
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
    if len(pairs):
        # Ranked order (docs/EVALUATION.md): triplet score descending.
        triplet = probs[:, 1:].max(axis=1) * scores[pairs[:, 0]] * scores[pairs[:, 1]]
        order = np.argsort(-triplet, kind="stable")
        pairs, probs = pairs[order], probs[order]
    return ImagePrediction(image_id=gt.image_id, boxes=boxes, labels=labels, scores=scores,
                           rel_pairs=pairs, rel_scores=probs)


def random_case(seed, *, mode, num_images=6, num_obj_classes=4, num_rel_classes=5, drop_prediction=0.15,
                max_boxes=8, max_rels=10):
    rng = np.random.default_rng(seed)
    gts = [random_ground_truth(rng, 100 + i, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                               max_boxes=max_boxes, max_rels=max_rels) for i in range(num_images)]
    preds = {}
    for gt in gts:
        p = random_prediction(rng, gt, mode=mode, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                              max_pairs=None if rng.random() < 0.7 else int(rng.integers(0, 6)))
        if rng.random() < drop_prediction:
            p.rel_pairs, p.rel_scores = p.rel_pairs[:0], p.rel_scores[:0]
        preds[gt.image_id] = p
    return gts, preds
