"""Hand-computed cases for the VG protocol (docs/EVALUATION.md)."""
import numpy as np
import pytest

from sgg_bench.errors import DataFormatError
from sgg_bench.evaluation import evaluate
from sgg_bench.evaluation.boxes import paired_iou
from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch
from sgg_bench.evaluation.vg_protocol import VGEvaluator
from evaluation.helpers import gt_image, one_hot_scores, prediction

C = 4  # background + 3 predicates


def run(gts, preds, mode="predcls", **kw):
    kw.setdefault("detection", False)
    return evaluate(gts, {p.image_id: p for p in preds}, mode=mode, num_rel_classes=kw.pop("num_rel_classes", C),
                    num_obj_classes=kw.pop("num_obj_classes", 5), **kw)


def test_iou_plus_one_convention_exact_half():
    assert paired_iou(np.array([[0, 0, 9, 9]]), np.array([[0, 0, 9, 19]]))[0] == np.float32(0.5)
    assert paired_iou(np.array([[0, 0, 9, 9]]), np.array([[0, 0, 9, 9]]))[0] == 1.0
    assert paired_iou(np.array([[0, 0, 9, 9]]), np.array([[10, 10, 19, 19]]))[0] == 0.0


def test_iou_exactly_half_is_recalled():
    gt = gt_image(1, [[0, 0, 9, 9], [50, 50, 59, 59]], [1, 2], [[0, 1, 1]])
    pred = prediction(1, [[0, 0, 9, 19], [50, 50, 59, 59]], [1, 2], [[0, 1]], one_hot_scores([1], C))
    assert run([gt], [pred], mode="sgdet")["metrics"]["R@20"] == 1.0
    below = prediction(1, [[0, 0, 9, 20], [50, 50, 59, 59]], [1, 2], [[0, 1]], one_hot_scores([1], C))
    assert run([gt], [below], mode="sgdet")["metrics"]["R@20"] == 0.0


def test_duplicate_gt_rows_both_recalled_by_one_prediction():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 2], [0, 1, 2]])
    pred = prediction(1, gt.boxes, gt.labels, [[0, 1], [1, 0]], one_hot_scores([2, 1], C))
    m = run([gt], [pred])["metrics"]
    assert m["R@20"] == 1.0                        # 2 hits / 2 rows
    assert m["mR@20"] == pytest.approx(1.0 / 3)    # predicate 2: 2/2; predicates 1 and 3 absent -> 0


def test_two_predicates_on_one_pair_graph_constraint():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1], [0, 1, 3]])
    scores = np.array([[0.05, 0.5, 0.05, 0.4]], np.float32)
    m = run([gt], [prediction(1, gt.boxes, gt.labels, [[0, 1]], scores)])["metrics"]
    assert m["R@20"] == 0.5      # one predicate per pair
    assert m["ngR@20"] == 1.0    # both (pair, predicate) candidates are in the top 100
    assert m["A@20"] == 0.5


def test_graph_constraint_ignores_background_column():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 2]])
    scores = np.array([[0.9, 0.02, 0.05, 0.03]], np.float32)   # background highest; predicate 2 best foreground
    assert run([gt], [prediction(1, gt.boxes, gt.labels, [[0, 1]], scores)])["metrics"]["R@20"] == 1.0


def test_top_k_cut_in_delivered_order():
    boxes = [[i * 10, 0, i * 10 + 5, 5] for i in range(6)]          # 6 boxes -> 30 ordered pairs
    gt = gt_image(1, boxes, [1, 1, 1, 1, 1, 2], [[0, 5, 1]])
    pairs = [(i, j) for i in range(6) for j in range(6) if i != j and (i, j) != (0, 5)] + [(0, 5)]
    pairs = pairs[:20] + [(0, 5)] + pairs[20:29]                    # the GT pair at rank 21 (index 20)
    preds = [1] * len(pairs)
    m = run([gt], [prediction(1, boxes, gt.labels, pairs, one_hot_scores(preds, C))])["metrics"]
    assert m["R@20"] == 0.0 and m["R@50"] == 1.0 and m["R@100"] == 1.0


def test_recall_is_mean_of_per_image_recalls():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    g2 = gt_image(2, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1], [1, 0, 2], [1, 0, 3]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1]], one_hot_scores([1], C))
    p2 = prediction(2, g2.boxes, g2.labels, [[0, 1]], one_hot_scores([3], C))
    m = run([g1, g2], [p1, p2])["metrics"]
    assert m["R@20"] == pytest.approx(0.5)          # mean(1/1, 0/3), not 1/4
    # mR: predicate 1 recall per image: img1 1/1, img2 0/1 -> 0.5; predicates 2, 3 -> 0
    assert m["mR@20"] == pytest.approx(0.5 / 3)
    assert m["F@20"] == pytest.approx(2 * 0.5 * (0.5 / 3) / (0.5 + 0.5 / 3))


def test_mean_recall_averages_over_images_having_the_predicate():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    g2 = gt_image(2, [[0, 0, 9, 9], [20, 20, 29, 29], [40, 40, 49, 49]], [1, 2, 3], [[0, 1, 1], [1, 2, 1]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1]], one_hot_scores([1], C))
    p2 = prediction(2, g2.boxes, g2.labels, [[0, 1]], one_hot_scores([1], C))
    result = run([g1, g2], [p1, p2], predicate_names=["__background__", "on", "has", "near"])
    # r_1 = mean(1, 1/2) = 0.75 (not 2/3); absent predicates 2 and 3 stay in the denominator
    assert result["per_predicate"]["20"] == {"on": 0.75, "has": 0.0, "near": 0.0}
    assert result["metrics"]["mR@20"] == pytest.approx(0.75 / 3)


def test_image_without_gt_relations_is_skipped():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    g2 = gt_image(2, [[0, 0, 9, 9]], [1], [])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1]], one_hot_scores([1], C))
    p2 = prediction(2, g2.boxes, g2.labels, [], np.zeros((0, C)))
    result = run([g1, g2], [p1, p2])
    assert result["metrics"]["R@20"] == 1.0
    assert result["info"]["images_without_gt_relations"] == 1


def test_image_without_predictions_kt_skips_motifs_counts_zero():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    g2 = gt_image(2, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1]], one_hot_scores([1], C))
    p2 = prediction(2, g2.boxes, g2.labels, [], np.zeros((0, C)))
    kt = run([g1, g2], [p1, p2])
    assert kt["metrics"]["R@20"] == 1.0 and kt["info"]["images_counted"] == 1
    motifs = run([g1, g2], [p1, p2], motifs_rule=True)
    assert motifs["metrics"]["R@20"] == 0.5 and motifs["metrics"]["A@20"] == 0.5


def test_no_counted_image_gives_none_not_zero():
    g = gt_image(1, [[0, 0, 9, 9]], [1], [])
    m = run([g], [prediction(1, g.boxes, g.labels, [], np.zeros((0, C)))])["metrics"]
    assert m["R@20"] is None and m["mR@20"] is None and m["F@20"] is None and m["A@20"] is None


def test_zero_shot_recall():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1], [1, 0, 2]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1], [1, 0]], one_hot_scores([1, 3], C))
    zs = np.array([[1, 2, 1], [2, 1, 2]])                   # (subject class, object class, predicate)
    m = run([g1], [p1], zeroshot=zs)["metrics"]
    assert m["zR@20"] == 0.5                                 # (1,2,on) hit, (2,1,has) missed
    none = run([g1], [p1], zeroshot=np.array([[3, 3, 1]]))["metrics"]
    assert none["zR@20"] is None and none["ng-zR@100"] is None
    assert run([g1], [p1])["metrics"]["zR@50"] is None       # no list at all


def test_zero_shot_columns_are_subject_object_predicate():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 3]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1]], one_hot_scores([3], C))
    assert run([g1], [p1], zeroshot=np.array([[1, 3, 2]]))["metrics"]["zR@20"] is None   # (s, p, o) order: no
    assert run([g1], [p1], zeroshot=np.array([[1, 2, 3]]))["metrics"]["zR@20"] == 1.0


def test_no_graph_top100_cut_happens_before_matching():
    # 11 boxes -> 110 pairs x 3 predicates = 330 candidates; the correct one ranks last.
    n = 11
    boxes = [[i * 10, 0, i * 10 + 5, 5] for i in range(n)]
    gt = gt_image(1, boxes, [1] * n, [[0, 1, 3]])
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.2, 0.9, (len(pairs), C)).astype(np.float32)
    scores[pairs.index((0, 1)), 3] = 0.01
    m = run([gt], [prediction(1, boxes, gt.labels, pairs, scores)])["metrics"]
    assert m["ngR@100"] == 0.0
    scores[pairs.index((0, 1)), 3] = 0.95
    m = run([gt], [prediction(1, boxes, gt.labels, pairs, scores)])["metrics"]
    assert m["ngR@20"] == 1.0


def test_no_graph_uses_object_scores_in_sgcls():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29], [40, 40, 49, 49]], [1, 2, 3], [[0, 1, 1]])
    scores = np.array([[0, 0.5, 0, 0], [0, 0.6, 0, 0]], np.float32)
    pred = prediction(1, gt.boxes, gt.labels, [(0, 1), (1, 2)], scores, scores=[0.1, 1.0, 1.0])
    # candidates: (0,1,1) = 0.1*1*0.5 = 0.05 and (1,2,1) = 0.6; with K = 1 only the wrong one is kept
    ev = VGEvaluator(mode="sgcls", num_obj_classes=5, num_rel_classes=C, ks=(1, 2))
    ev.process(GroundTruthBatch.from_images([gt]), PredictionBatch.from_images([pred], C))
    m = ev.evaluate()
    assert m["ngR@1"] == 0.0 and m["ngR@2"] == 1.0


def test_pair_accuracy_takes_first_k_of_gt_pairs():
    boxes = [[i * 10, 0, i * 10 + 5, 5] for i in range(7)]          # 42 ordered pairs
    gt = gt_image(1, boxes, [1] * 7, [[0, 1, 2], [2, 3, 1]])
    other = [(i, j) for i in range(7) for j in range(7) if i != j and (i, j) not in ((0, 1), (2, 3))]
    pairs = other[:30] + [(0, 1), (2, 3)] + other[30:]
    preds = [1] * 30 + [2, 3] + [1] * (len(other) - 30)
    m = run([gt], [prediction(1, boxes, gt.labels, pairs, one_hot_scores(preds, C))])["metrics"]
    assert m["R@20"] == 0.0          # the GT pairs rank 31 and 32 overall
    assert m["A@20"] == 0.5          # but they are the first two GT pairs: (0,1,2) hit, (2,3) predicted 3 -> miss
    sgdet = run([gt], [prediction(1, boxes, gt.labels, pairs, one_hot_scores(preds, C))], mode="sgdet")["metrics"]
    assert sgdet["A@20"] is None


def test_matching_is_not_by_index_in_predcls():
    # boxes 0 and 2 are identical with the same label; the prediction uses pair (2, 1)
    boxes = [[0, 0, 9, 9], [20, 20, 29, 29], [0, 0, 9, 9]]
    gt = gt_image(1, boxes, [1, 2, 1], [[0, 1, 1]])
    pred = prediction(1, boxes, [1, 2, 1], [[2, 1]], one_hot_scores([1], C))
    m = run([gt], [pred])["metrics"]
    assert m["R@20"] == 1.0
    assert m["A@20"] == 0.0          # (2, 1) is not a GT pair by index


def test_predcls_overrides_boxes_labels_and_scores():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    wrong = prediction(1, [[50, 50, 60, 60], [70, 70, 80, 80]], [3, 3], [[0, 1]], one_hot_scores([1], C),
                       scores=[0.1, 0.1])
    assert run([gt], [wrong])["metrics"]["R@20"] == 1.0
    assert run([gt], [wrong], mode="sgcls")["metrics"]["R@20"] == 0.0


def test_predcls_box_count_mismatch_is_an_error():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    pred = prediction(1, [[0, 0, 9, 9], [20, 20, 29, 29], [1, 1, 2, 2]], [1, 2, 1], [[0, 1]], one_hot_scores([1], C))
    with pytest.raises(DataFormatError, match="boxes \\(image 1\\): expected the 2 GT boxes in GT order"):
        run([gt], [pred])


def test_f_score_zero_when_both_zero():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    m = run([gt], [prediction(1, gt.boxes, gt.labels, [[0, 1]], one_hot_scores([2], C))])["metrics"]
    assert m["R@20"] == 0.0 and m["mR@20"] == 0.0 and m["F@20"] == 0.0


def test_head_body_tail_groups_from_training_counts():
    g1 = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1], [1, 0, 3]])
    p1 = prediction(1, g1.boxes, g1.labels, [[0, 1], [1, 0]], one_hot_scores([1, 2], C))
    result = run([g1], [p1], predicate_counts=[0, 500, 10, 80],
                 predicate_names=["__background__", "on", "has", "near"])
    # by frequency: head = on (500), body = near (80), tail = has (10)
    assert result["info"]["longtail_groups"] == {"head": ["on"], "body": ["near"], "tail": ["has"]}
    assert result["metrics"]["mR@100/head"] == 1.0
    assert result["metrics"]["mR@100/body"] == 0.0
    assert result["metrics"]["mR@100/tail"] == 0.0


def test_phrase_detection_matches_union_boxes():
    gt = gt_image(1, [[0, 0, 9, 9], [10, 0, 19, 9]], [1, 2], [[0, 1, 1]])      # union [0, 0, 19, 9]
    # each box IoU 40/100 = 0.4 < 0.5, but the union box is identical
    pred = prediction(1, [[0, 0, 3, 9], [16, 0, 19, 9]], [1, 2], [[0, 1]], one_hot_scores([1], C))
    assert run([gt], [pred], mode="sgdet")["metrics"]["R@20"] == 0.0
    assert run([gt], [pred], mode="sgdet", variant="phrdet")["metrics"]["R@20"] == 1.0
    # labels must still agree
    wrong = prediction(1, [[0, 0, 3, 9], [16, 0, 19, 9]], [1, 1], [[0, 1]], one_hot_scores([1], C))
    assert run([gt], [wrong], mode="sgdet", variant="phrdet")["metrics"]["R@20"] == 0.0


def test_predicate_detection_uses_no_graph_constraint():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1], [0, 1, 3]])
    scores = np.array([[0.05, 0.5, 0.05, 0.4]], np.float32)
    m = run([gt], [prediction(1, gt.boxes, gt.labels, [[0, 1]], scores)], variant="preddet")["metrics"]
    assert m["R@20"] == 1.0 and m["A@20"] is None


def test_standard_vg150_zeroshot_list_is_usable():
    from pathlib import Path
    path = Path(__file__).resolve().parents[3] / "shared" / "data" / "zeroshot_triplet.npy"
    if not path.is_file():
        pytest.skip("shared VG150 zero-shot list not available")
    zs = np.load(path)
    assert zs.shape == (5971, 3)
    s, o, p = (int(v) for v in zs[0])
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [s, o], [[0, 1, p]])
    pred = prediction(1, gt.boxes, gt.labels, [[0, 1]], one_hot_scores([p], 51))
    m = run([gt], [pred], zeroshot=zs, num_rel_classes=51, num_obj_classes=151)["metrics"]
    assert m["zR@20"] == 1.0
