"""Hand-computed cases for the OpenImages protocol (docs/EVALUATION.md)."""
import numpy as np
import pytest

from sgg_bench.evaluation import evaluate
from sgg_bench.evaluation.openimages_protocol import voc_ap
from evaluation.helpers import gt_image, prediction

C = 4


def run(gts, preds, mode="sgdet"):
    return evaluate(gts, {p.image_id: p for p in preds}, mode=mode, protocol="oi", num_rel_classes=C,
                    num_obj_classes=5, detection=False)["metrics"]


def dist(*rows):
    return np.array(rows, np.float32)


def test_voc_all_point_ap():
    # rec/prec after TP, FP, TP with npos 2: envelope gives 0.5*1 + 0.5*(2/3)
    assert voc_ap(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3])) == pytest.approx(0.5 + 1 / 3)
    assert voc_ap(np.array([]), np.array([])) == 0.0


def test_iou_exactly_half_recalled_but_false_positive_for_ap():
    gt = gt_image(1, [[0, 0, 9, 9], [50, 50, 59, 59]], [1, 2], [[0, 1, 1]])
    pred = prediction(1, [[0, 0, 9, 19], [50, 50, 59, 59]], [1, 2], [[0, 1]], dist([0.1, 0.8, 0.05, 0.05]))
    m = run([gt], [pred])
    assert m["oi/R@50"] == pytest.approx(1.0)
    assert m["mAP_rel"] == 0.0 and m["wmAP_rel"] == 0.0
    # the union boxes: [0,0,59,59] vs [0,0,59,59] -> phrase AP is 1 for predicate 1 (1 of 3 classes)
    assert m["wmAP_phr"] == pytest.approx(1.0) and m["mAP_phr"] == pytest.approx(1 / 3)


def test_strictly_above_half_is_true_positive():
    gt = gt_image(1, [[0, 0, 9, 9], [50, 50, 59, 59]], [1, 2], [[0, 1, 1]])
    pred = prediction(1, [[0, 0, 9, 18], [50, 50, 59, 59]], [1, 2], [[0, 1]], dist([0.1, 0.8, 0.05, 0.05]))
    m = run([gt], [pred])
    assert m["wmAP_rel"] == pytest.approx(1.0)
    assert m["score_wtd"] == pytest.approx(0.2 * m["oi/R@50"] + 0.4 + 0.4)
    assert m["final_score"] == pytest.approx(0.2 * m["oi/R@50"] + 0.4 / 3 + 0.4 / 3)


def test_recall_is_dataset_level_ratio():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    g2 = gt_image(2, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 2], [1, 0, 2], [1, 0, 3]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1]], dist([0, 0.9, 0.01, 0.02]))
    p2 = prediction(2, g2.boxes, g2.labels, [[0, 1]], dist([0, 0.9, 0.01, 0.02]))
    m = run([g1, g2], [p1, p2])
    assert m["oi/R@50"] == pytest.approx(1 / 4)      # global 1 hit / 4 rows (per-image mean would be 0.5)
    assert m["R@50"] == pytest.approx(0.5)           # the VG-style recall on the same data


def test_two_predicates_per_pair_and_score_threshold():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1], [0, 1, 2], [0, 1, 3]])
    pred = prediction(1, gt.boxes, gt.labels, [[0, 1]], dist([0.1, 0.5, 0.3, 0.1]))
    assert run([gt], [pred])["oi/R@50"] == pytest.approx(2 / 3)   # the third predicate is never a candidate
    tiny = prediction(1, gt.boxes, gt.labels, [[0, 1]], dist([0.1, 0.5, 0.3, 0.1]), scores=[1e-3, 1e-3])
    # 1e-6 * 0.5 and 1e-6 * 0.3 are <= 1e-5: no candidate survives
    assert run([gt], [tiny])["oi/R@50"] == 0.0


def test_object_scores_not_forced_in_predcls():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    tiny = prediction(1, gt.boxes, gt.labels, [[0, 1]], dist([0.1, 0.5, 0.3, 0.1]), scores=[1e-3, 1e-3])
    m = run([gt], [tiny], mode="predcls")
    assert m["oi/R@50"] == 0.0 and m["R@50"] == 1.0      # VG-style recall forces scores to 1


def test_duplicates_need_their_own_detection():
    boxes = [[0, 0, 9, 9], [20, 20, 29, 29]]
    gt = gt_image(1, boxes, [1, 2], [[0, 1, 1], [0, 1, 1]])
    # two detections on identical boxes: the best GT (first maximum) is row 0 for both -> TP, then FP
    pred = prediction(1, boxes + boxes, [1, 2, 1, 2], [[0, 1], [2, 3]],
                      dist([0, 0.9, 0.05, 0.04], [0, 0.8, 0.1, 0.05]))
    m = run([gt], [pred])
    # predicate 1: npos 2, [TP, FP] -> rec [0.5, 0.5], prec [1, 0.5] -> AP 0.5
    assert m["wmAP_rel"] == pytest.approx(0.5)
    assert m["mAP_rel"] == pytest.approx(0.5 / 3)
    assert m["oi/R@50"] == pytest.approx(1.0)             # recall: one detection matches both rows


def test_absent_predicates_count_zero_in_map_but_not_weighted():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 2]])
    pred = prediction(1, gt.boxes, gt.labels, [[0, 1]], dist([0, 0.1, 0.8, 0.05]))
    m = run([gt], [pred])
    assert m["mAP_rel"] == pytest.approx(1 / 3) and m["wmAP_rel"] == pytest.approx(1.0)


def test_images_without_predictions_add_gt_to_the_denominator():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    g2 = gt_image(2, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1]], dist([0, 0.9, 0.01, 0.02]))
    p2 = prediction(2, g2.boxes, g2.labels, [], np.zeros((0, C)))
    m = run([g1, g2], [p1, p2])
    assert m["oi/R@50"] == pytest.approx(0.5)
    # AP for predicate 1: one TP, npos 2 -> 0.5
    assert m["wmAP_rel"] == pytest.approx(0.5)


def test_best_gt_already_taken_gives_false_positive_without_fallback():
    # two GT rows of predicate 1; detection A overlaps row 0 best, detection B also overlaps row 0 best
    # (but row 1 above 0.5 too): B is an FP, not a TP on row 1.
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29], [0, 0, 9, 10], [20, 20, 29, 29]], [1, 2, 1, 2],
                  [[0, 1, 1], [2, 3, 1]])
    boxes = [[0, 0, 9, 9], [20, 20, 29, 29], [0, 0, 9, 9], [20, 20, 29, 29]]
    pred = prediction(1, boxes, [1, 2, 1, 2], [[0, 1], [2, 3]], dist([0, 0.9, 0.05, 0.04], [0, 0.8, 0.1, 0.05]))
    m = run([gt], [pred])
    assert m["wmAP_rel"] == pytest.approx(0.5)
    assert m["oi/R@50"] == pytest.approx(1.0)
