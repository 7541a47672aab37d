"""Evaluation ground truth of a split, in memory or dumped to JSON (``sgg-bench data dump``)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sgg_bench.structures import DatasetVocabulary, ImageGroundTruth

DUMP_FORMAT = "sgg-bench/ground-truth"
DUMP_VERSION = 1


def load_ground_truth(root: str | os.PathLike, split: str = "test", **filters) -> tuple[DatasetVocabulary,
                                                                                      list[ImageGroundTruth]]:
    """(vocabulary, per-image GT) exactly as the evaluator sees it; image files are not needed.

    ``filters`` are ``open_dataset``'s keywords (num_val_im, num_im, filter_empty_rels, ...).
    """
    from sgg_bench.data.dataset import open_dataset
    filters.setdefault("check_images", False)
    dataset = open_dataset(root, split, **filters)
    return dataset.vocab, dataset.ground_truth()


def ground_truth_arrays(dataset) -> dict[str, np.ndarray]:
    """The evaluation GT of every image of ``dataset`` (an ``SGGDataset``) as flat arrays.

    Keys: image_ids, widths, heights (N,) int64; boxes (G, 4) float32 xyxy original pixels (scaled and
    clipped exactly as ``dataset.ground_truth()``, bit for bit); labels (G,) int64; box_offsets (N+1,);
    relations (R, 3) int64 image-local (subject, object, predicate); rel_offsets (N+1,).
    VG folders are converted with whole-array operations; other formats go image by image.
    """
    from sgg_bench.data.vg_boxes import BOX_SCALE, clip_for_evaluation, grid_to_pixels
    table = dataset.table
    widths, heights = table.widths.astype(np.int64), table.heights.astype(np.int64)
    box_counts = np.diff(table.box_offsets)
    if dataset._to_pixels is grid_to_pixels and dataset._clip is clip_for_evaluation:
        # Same float32 operations as grid_to_pixels / clip_for_evaluation, with one factor per box.
        factor = np.repeat(np.maximum(widths, heights).astype(np.float32), box_counts)
        boxes = (np.asarray(table.boxes, dtype=np.float32).reshape(-1, 4) / np.float32(BOX_SCALE)) * factor[:, None]
        x_max = np.repeat((widths - 1).astype(np.float32), box_counts)[:, None]
        y_max = np.repeat((heights - 1).astype(np.float32), box_counts)[:, None]
        boxes[:, 0::2] = np.minimum(np.maximum(boxes[:, 0::2], np.float32(0)), x_max)
        boxes[:, 1::2] = np.minimum(np.maximum(boxes[:, 1::2], np.float32(0)), y_max)
    else:
        parts = [dataset._eval_boxes(i) for i in range(len(dataset))]
        boxes = np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 4), np.float32)
    return {"image_ids": table.image_ids.astype(np.int64), "widths": widths, "heights": heights,
            "boxes": boxes.reshape(-1, 4), "labels": np.asarray(table.labels, dtype=np.int64).reshape(-1),
            "box_offsets": np.asarray(table.box_offsets, dtype=np.int64),
            "relations": np.asarray(table.relations, dtype=np.int64).reshape(-1, 3),
            "rel_offsets": np.asarray(table.rel_offsets, dtype=np.int64)}


def dump_ground_truth(root: str | os.PathLike, split: str, out: str | os.PathLike, **filters) -> dict:
    """Write the split's evaluation GT plus vocabularies to ``out`` (atomic JSON); return a summary.

    Document: ``{"format", "version", "dataset_format", "split", "fingerprint", "vocabulary":
    {"object_classes", "predicate_classes", "attribute_classes"}, "images": [ImageGroundTruth.to_json()]}``.
    """
    from sgg_bench.data.dataset import open_dataset
    from sgg_bench.utils.atomic import atomic_write_json
    filters.setdefault("check_images", False)
    dataset = open_dataset(root, split, **filters)
    images = [gt.to_json() for gt in dataset.ground_truth()]
    document = {
        "format": DUMP_FORMAT, "version": DUMP_VERSION, "dataset_format": dataset.format, "split": split,
        "fingerprint": dataset.fingerprint,
        "vocabulary": {"object_classes": dataset.vocab.object_classes,
                       "predicate_classes": dataset.vocab.predicate_classes,
                       "attribute_classes": dataset.vocab.attribute_classes},
        "images": images,
    }
    atomic_write_json(Path(out), document, indent=None)
    return {"images": len(images), "objects": sum(len(i["labels"]) for i in images),
            "relations": sum(len(i["relations"]) for i in images), "out": str(out)}
