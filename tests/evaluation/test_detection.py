"""Detection mAP via faster-coco-eval, checked against pycocotools (test-only dependency)."""
import contextlib
import io

import numpy as np
import pytest

from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch
from sgg_bench.evaluation.detection import coco_dicts, detection_map
from sgg_bench.structures import ImageGroundTruth, ImagePrediction


def fixture(seed=0, images=12, classes=4):
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for i in range(images):
        n = int(rng.integers(1, 6))
        xy = rng.uniform(0, 150, (n, 2))
        wh = rng.uniform(10, 80, (n, 2))
        boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
        labels = rng.integers(1, classes, n)
        gts.append(ImageGroundTruth(image_id=i + 1, width=256, height=256, boxes=boxes, labels=labels,
                                    relations=np.zeros((0, 3), np.int64)))
        m = n + int(rng.integers(0, 4))
        src = rng.integers(0, n, m)
        det = boxes[src] + rng.normal(0, 6, (m, 4)).astype(np.float32)
        det[:, 2:] = np.maximum(det[:, 2:], det[:, :2] + 1)
        det_labels = np.where(rng.random(m) < 0.8, labels[src], rng.integers(1, classes, m))
        preds.append(ImagePrediction(image_id=i + 1, boxes=det, labels=det_labels,
                                     scores=rng.uniform(0, 1, m).astype(np.float32),
                                     rel_pairs=np.zeros((0, 2), np.int64), rel_scores=np.zeros((0, 3), np.float32)))
    return GroundTruthBatch.from_images(gts), [PredictionBatch.from_images(preds, 3)]


def test_equal_stats_with_pycocotools():
    pycocotools = pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    gt, preds = fixture()
    result = detection_map(gt, preds, num_obj_classes=4)
    gt_dict, dets = coco_dicts(gt, preds, 4)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt_dict
        coco_gt.createIndex()
        ev = COCOeval(coco_gt, coco_gt.loadRes(dets), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert pycocotools is not None
    assert 0.05 < result["AP50"] < 1.0
    assert result["mAP"] == pytest.approx(ev.stats[0], abs=1e-12)
    assert result["AP50"] == pytest.approx(ev.stats[1], abs=1e-12)


def test_perfect_and_empty_detections():
    gt, preds = fixture(images=3)
    perfect = PredictionBatch.from_images([
        ImagePrediction(image_id=int(i), boxes=gt.boxes[gt.box_offsets[b]:gt.box_offsets[b + 1]],
                        labels=gt.labels[gt.box_offsets[b]:gt.box_offsets[b + 1]],
                        scores=np.ones(int(gt.box_offsets[b + 1] - gt.box_offsets[b]), np.float32),
                        rel_pairs=np.zeros((0, 2)), rel_scores=np.zeros((0, 3)))
        for b, i in enumerate(gt.image_ids)], 3)
    assert detection_map(gt, [perfect], num_obj_classes=4) == {"mAP": 1.0, "AP50": 1.0}
    assert detection_map(gt, [], num_obj_classes=4) == {"mAP": 0.0, "AP50": 0.0}


def test_evaluate_detections_from_image_objects():
    from types import SimpleNamespace
    from sgg_bench.evaluation.detection import evaluate_detections
    gt = [SimpleNamespace(image_id=1, width=100, height=100, boxes=np.array([[0, 0, 10, 10], [20, 20, 40, 40]], np.float32),
                          labels=np.array([1, 2]))]
    half = [SimpleNamespace(image_id=1, boxes=np.array([[0, 0, 10, 10]], np.float32), labels=np.array([1]),
                            scores=np.array([0.9], np.float32))]
    result = evaluate_detections(gt, half, num_obj_classes=3)
    # class 1 found (AP 1), class 2 missed (AP 0): mean over the 2 classes with GT
    assert result == {"mAP": 0.5, "AP50": 0.5}


def test_coco_summary_does_not_flood_logs(caplog):
    """faster-coco-eval logs its whole summary table at INFO; the evaluator silences it and
    restores the logger's level afterwards."""
    import logging
    from types import SimpleNamespace
    from sgg_bench.evaluation.detection import evaluate_detections
    logger = logging.getLogger("faster_coco_eval")
    before = logger.level
    gt = [SimpleNamespace(image_id=1, width=50, height=50, boxes=np.array([[0, 0, 10, 10]], np.float32),
                          labels=np.array([1]))]
    dets = [SimpleNamespace(image_id=1, boxes=np.array([[0, 0, 10, 10]], np.float32), labels=np.array([1]),
                            scores=np.array([0.9], np.float32))]
    with caplog.at_level(logging.INFO):
        assert evaluate_detections(gt, dets, num_obj_classes=2) == {"mAP": 1.0, "AP50": 1.0}
    assert not [r for r in caplog.records if r.name.startswith("faster_coco_eval")]
    assert logger.level == before
