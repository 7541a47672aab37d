"""Tiny builders for hand-computed metric cases."""
import numpy as np

from sgg_bench.structures import ImageGroundTruth, ImagePrediction


def gt_image(image_id, boxes, labels, relations, width=100, height=100):
    return ImageGroundTruth(image_id=image_id, width=width, height=height,
                            boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
                            labels=np.asarray(labels, np.int64), relations=np.asarray(relations, np.int64).reshape(-1, 3))


def one_hot_scores(predicates, num_rel_classes, high=0.9):
    """(M, C) distributions whose argmax over 1.. is ``predicates[m]``; scores decrease with m (no ties)."""
    scores = np.zeros((len(predicates), num_rel_classes), np.float32)
    for row, p in enumerate(predicates):
        scores[row] = 0.01 + 0.0001 * np.arange(num_rel_classes) + 0.00001 * row
        scores[row, p] = high - 0.001 * row
    return scores


def prediction(image_id, boxes, labels, pairs, rel_scores, scores=None):
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return ImagePrediction(image_id=image_id, boxes=boxes, labels=np.asarray(labels, np.int64),
                           scores=np.ones(len(boxes), np.float32) if scores is None else np.asarray(scores, np.float32),
                           rel_pairs=np.asarray(pairs, np.int64).reshape(-1, 2),
                           rel_scores=np.asarray(rel_scores, np.float32))
