"""Many images concatenated into flat arrays, so metrics run as array operations.

A batch of ``B`` images stores per-image rows back to back; ``*_offsets`` (B+1,) int64 say that
image ``b`` owns rows ``offsets[b]:offsets[b+1]``. This is the layout of the predictions file
(docs/FORMATS.md), so a contiguous slice of the file is a batch without copying per image.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sgg_bench.structures import ImageGroundTruth, ImagePrediction


def offsets_from_counts(counts: np.ndarray) -> np.ndarray:
    """(B,) row counts -> (B+1,) int64 offsets starting at 0."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def segment_ids(offsets: np.ndarray) -> np.ndarray:
    """(B+1,) offsets -> (rows,) int64 index of the image owning each row."""
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))


def rank_in_segment(offsets: np.ndarray) -> np.ndarray:
    """(rows,) int64 position of each row inside its own image (0 for the first row)."""
    rows = int(offsets[-1])
    return np.arange(rows, dtype=np.int64) - np.repeat(offsets[:-1], np.diff(offsets))


def gather_segments(offsets: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the images ``indices`` (in that order) -> (row index array, new offsets)."""
    indices = np.asarray(indices, dtype=np.int64)
    starts = offsets[indices]
    counts = offsets[indices + 1] - starts
    new_offsets = offsets_from_counts(counts)
    rows = np.repeat(starts - new_offsets[:-1], counts) + np.arange(int(new_offsets[-1]), dtype=np.int64)
    return rows, new_offsets


@dataclass
class GroundTruthBatch:
    """Ground truth of B images.

    image_ids (B,) int64; widths, heights (B,) int64;
    boxes (G, 4) float32 xyxy original pixels; labels (G,) int64; box_offsets (B+1,);
    relations (R, 3) int64 (subject, object, predicate), subject/object local to the image; rel_offsets (B+1,).
    """

    image_ids: np.ndarray
    widths: np.ndarray
    heights: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    box_offsets: np.ndarray
    relations: np.ndarray
    rel_offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.image_ids)

    @classmethod
    def from_images(cls, images: Sequence[ImageGroundTruth]) -> "GroundTruthBatch":
        boxes = [np.asarray(g.boxes, dtype=np.float32).reshape(-1, 4) for g in images]
        relations = [np.asarray(g.relations, dtype=np.int64).reshape(-1, 3) for g in images]
        return cls(
            image_ids=np.array([int(g.image_id) for g in images], dtype=np.int64),
            widths=np.array([int(g.width) for g in images], dtype=np.int64),
            heights=np.array([int(g.height) for g in images], dtype=np.int64),
            boxes=np.concatenate(boxes) if boxes else np.zeros((0, 4), np.float32),
            labels=np.concatenate([np.asarray(g.labels, dtype=np.int64).reshape(-1) for g in images])
            if images else np.zeros(0, np.int64),
            box_offsets=offsets_from_counts(np.array([len(b) for b in boxes], dtype=np.int64)),
            relations=np.concatenate(relations) if relations else np.zeros((0, 3), np.int64),
            rel_offsets=offsets_from_counts(np.array([len(r) for r in relations], dtype=np.int64)),
        )

    def subset(self, indices: np.ndarray) -> "GroundTruthBatch":
        """The images at ``indices`` (positions in this batch), in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        box_rows, box_offsets = gather_segments(self.box_offsets, indices)
        rel_rows, rel_offsets = gather_segments(self.rel_offsets, indices)
        return GroundTruthBatch(
            image_ids=self.image_ids[indices], widths=self.widths[indices], heights=self.heights[indices],
            boxes=self.boxes[box_rows], labels=self.labels[box_rows], box_offsets=box_offsets,
            relations=self.relations[rel_rows], rel_offsets=rel_offsets)

    def global_relations(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(R,) image index, (R,) global subject row, (R,) global object row of every GT relation."""
        image = segment_ids(self.rel_offsets)
        base = self.box_offsets[image]
        return image, base + self.relations[:, 0], base + self.relations[:, 1]


@dataclass
class PredictionBatch:
    """Predictions of B images in the predictions-file layout.

    image_ids (B,) int64; boxes (N, 4) float32 xyxy original pixels; labels (N,) int64; scores (N,) float32;
    box_offsets (B+1,); rel_pairs (M, 2) int64 local to the image; rel_scores (M, C) float32 with the
    background column 0; rel_offsets (B+1,). Rows of an image are in ranked order.
    """

    image_ids: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    box_offsets: np.ndarray
    rel_pairs: np.ndarray
    rel_scores: np.ndarray
    rel_offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.image_ids)

    @classmethod
    def from_images(cls, images: Sequence[ImagePrediction], num_rel_classes: int) -> "PredictionBatch":
        boxes = [np.asarray(p.boxes, dtype=np.float32).reshape(-1, 4) for p in images]
        pairs = [np.asarray(p.rel_pairs, dtype=np.int64).reshape(-1, 2) for p in images]
        return cls(
            image_ids=np.array([int(p.image_id) for p in images], dtype=np.int64),
            boxes=np.concatenate(boxes) if boxes else np.zeros((0, 4), np.float32),
            labels=np.concatenate([np.asarray(p.labels, dtype=np.int64).reshape(-1) for p in images])
            if images else np.zeros(0, np.int64),
            scores=np.concatenate([np.asarray(p.scores, dtype=np.float32).reshape(-1) for p in images])
            if images else np.zeros(0, np.float32),
            box_offsets=offsets_from_counts(np.array([len(b) for b in boxes], dtype=np.int64)),
            rel_pairs=np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64),
            rel_scores=np.concatenate([np.asarray(p.rel_scores, dtype=np.float32).reshape(-1, num_rel_classes)
                                       for p in images]) if images else np.zeros((0, num_rel_classes), np.float32),
            rel_offsets=offsets_from_counts(np.array([len(r) for r in pairs], dtype=np.int64)),
        )

    @classmethod
    def empty(cls, image_ids: np.ndarray, num_rel_classes: int) -> "PredictionBatch":
        """No boxes and no relations for each of ``image_ids`` (images missing from a predictions file)."""
        zeros = np.zeros(len(image_ids) + 1, dtype=np.int64)
        return cls(image_ids=np.asarray(image_ids, dtype=np.int64), boxes=np.zeros((0, 4), np.float32),
                   labels=np.zeros(0, np.int64), scores=np.zeros(0, np.float32), box_offsets=zeros,
                   rel_pairs=np.zeros((0, 2), np.int64), rel_scores=np.zeros((0, num_rel_classes), np.float32),
                   rel_offsets=zeros.copy())
