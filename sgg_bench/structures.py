"""Plain per-image data structures shared by the data layer, the models and the evaluator.

Coordinates are always ``x1, y1, x2, y2`` in original-image pixels unless a docstring
says otherwise. Class ids are 1-based; 0 is background for objects and predicates.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ImageGroundTruth:
    """Evaluation ground truth of one image, exactly as the evaluator sees it.

    boxes:     (G, 4) float32, xyxy, original-image pixels (VG: scaled from the 1024 grid
               and clipped to [0, w-1] x [0, h-1] without removing empty boxes)
    labels:    (G,) int64, 1-based object classes
    relations: (R, 3) int64 rows (subject index, object index, predicate), raw list,
               duplicates kept
    """

    image_id: int
    width: int
    height: int
    boxes: np.ndarray
    labels: np.ndarray
    relations: np.ndarray

    def to_json(self) -> dict:
        return {
            "image_id": int(self.image_id),
            "width": int(self.width),
            "height": int(self.height),
            "boxes": self.boxes.astype(float).tolist(),
            "labels": self.labels.astype(int).tolist(),
            "relations": self.relations.astype(int).tolist(),
        }


@dataclass
class ImagePrediction:
    """Predictions for one image, as stored in the predictions file (docs/FORMATS.md).

    boxes:      (N, 4) float32, xyxy, original-image pixels
    labels:     (N,) int64, 1-based
    scores:     (N,) float32, score of the predicted class
    rel_pairs:  (M, 2) int64, (subject, object) indices into this image's boxes, ranked
    rel_scores: (M, C) float32, full predicate distribution, column 0 = background
    """

    image_id: int
    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    rel_pairs: np.ndarray
    rel_scores: np.ndarray


@dataclass
class DatasetVocabulary:
    """Class names ordered by index; index 0 is ``__background__`` in both lists."""

    object_classes: list[str]
    predicate_classes: list[str]
    attribute_classes: list[str] = field(default_factory=list)

    @property
    def num_object_classes(self) -> int:
        return len(self.object_classes)

    @property
    def num_predicate_classes(self) -> int:
        return len(self.predicate_classes)
