"""COCO-style detection mAP (AP@[.5:.95]) and AP50 with ``faster_coco_eval`` (docs/DETECTOR.md).

Used for sgdet predictions files and by detector training to score a detector. Boxes are
xyxy in original-image pixels; COCO wants ``[x, y, w, h]`` with ``w = x2 - x1`` (no +1).
"""
from __future__ import annotations

import contextlib
import io
import logging
from typing import Iterable, Iterator, Sequence

import numpy as np

from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch
from sgg_bench.structures import ImageGroundTruth, ImagePrediction


def _xywh(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1)


_COCO_LOGGER = "faster_coco_eval"


@contextlib.contextmanager
def quiet_coco_logging(level: int = logging.WARNING) -> Iterator[None]:
    """Raise ``faster_coco_eval``'s loggers to ``level`` for the block, then restore their levels.

    The library logs its whole summary table at INFO on every call, which floods run logs. Children
    with their own level are raised too (children left at NOTSET inherit the parent's level).
    """
    names = [_COCO_LOGGER] + [name for name in list(logging.Logger.manager.loggerDict)
                              if name.startswith(_COCO_LOGGER + ".")]
    loggers = [logging.getLogger(name) for name in names]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        if logger.name == _COCO_LOGGER or logger.level != logging.NOTSET:
            logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, previous in zip(loggers, saved):
            logger.setLevel(previous)


def coco_dicts(gt: GroundTruthBatch, predictions: Iterable[PredictionBatch],
               num_obj_classes: int) -> tuple[dict, list[dict]]:
    """COCO ground-truth dict and detection list for the images of ``gt`` (image ids as in the dataset)."""
    images = [{"id": int(i), "width": int(w), "height": int(h)}
              for i, w, h in zip(gt.image_ids, gt.widths, gt.heights)]
    annotations = []
    xywh = _xywh(gt.boxes)
    owner = np.repeat(gt.image_ids, np.diff(gt.box_offsets))
    for row in range(len(gt.boxes)):
        x, y, w, h = (float(v) for v in xywh[row])
        annotations.append({"id": row + 1, "image_id": int(owner[row]), "category_id": int(gt.labels[row]),
                            "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
    categories = [{"id": c, "name": str(c)} for c in range(1, num_obj_classes)]
    detections = []
    for batch in predictions:
        xywh = _xywh(batch.boxes)
        owner = np.repeat(batch.image_ids, np.diff(batch.box_offsets))
        for row in range(len(batch.boxes)):
            x, y, w, h = (float(v) for v in xywh[row])
            detections.append({"image_id": int(owner[row]), "category_id": int(batch.labels[row]),
                               "bbox": [x, y, w, h], "score": float(batch.scores[row]), "area": w * h})
    return {"images": images, "annotations": annotations, "categories": categories}, detections


def detection_map(gt: GroundTruthBatch, predictions: Sequence[PredictionBatch] | Iterable[PredictionBatch], *,
                  num_obj_classes: int) -> dict[str, float | None]:
    """{"mAP": AP@[.5:.95], "AP50": AP@.5} over all GT images (100 detections per image, COCO default).

    Values are fractions; None when there is no GT box (COCO reports -1 then).
    """
    from faster_coco_eval import COCO, COCOeval_faster

    gt_dict, detections = coco_dicts(gt, predictions, num_obj_classes)
    if not gt_dict["annotations"]:
        return {"mAP": None, "AP50": None}
    with contextlib.redirect_stdout(io.StringIO()), quiet_coco_logging():
        coco_gt = COCO(gt_dict)
        if not detections:
            return {"mAP": 0.0, "AP50": 0.0}
        coco_dt = coco_gt.loadRes(detections)
        evaluator = COCOeval_faster(coco_gt, coco_dt, iouType="bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = evaluator.stats
    return {"mAP": _value(stats[0]), "AP50": _value(stats[1])}


def _value(x: float) -> float | None:
    x = float(x)
    return None if x < 0 else x


def evaluate_detections(ground_truth: Sequence, detections: Sequence, *, num_obj_classes: int) -> dict[str, float | None]:
    """``detection_map`` for per-image objects, e.g. while training a detector.

    ground_truth: objects with ``image_id, width, height, boxes (G, 4), labels (G,)`` (ImageGroundTruth);
    detections: objects with ``image_id, boxes (N, 4), labels (N,), scores (N,)`` — xyxy original pixels.
    """
    gt_images = [ImageGroundTruth(image_id=g.image_id, width=g.width, height=g.height, boxes=g.boxes,
                                  labels=g.labels, relations=np.zeros((0, 3), np.int64)) for g in ground_truth]
    det_images = [ImagePrediction(image_id=d.image_id, boxes=d.boxes, labels=d.labels, scores=d.scores,
                                  rel_pairs=np.zeros((0, 2), np.int64), rel_scores=np.zeros((0, 1), np.float32))
                  for d in detections]
    return detection_map(GroundTruthBatch.from_images(gt_images), [PredictionBatch.from_images(det_images, 1)],
                         num_obj_classes=num_obj_classes)
