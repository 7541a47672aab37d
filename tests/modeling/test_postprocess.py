import math

import numpy as np
import torch

from sgg_bench.modeling.head_io import one_hot_logits
from sgg_bench.modeling.postprocess import build_prediction, object_labels_and_scores, rank_relations


def log_probs(rows):
    """Logits whose softmax is exactly the given probability rows (up to float rounding)."""
    return torch.log(torch.tensor(rows, dtype=torch.float32))


def test_object_scores_zero_background_before_argmax():
    # Background has the highest probability in row 0; class 2 must win with its own probability.
    logits = log_probs([[0.5, 0.2, 0.3], [0.1, 0.6, 0.3]])
    labels, scores = object_labels_and_scores(logits)
    assert labels.tolist() == [2, 1]
    torch.testing.assert_close(scores, torch.tensor([0.3, 0.6]))


def test_object_scores_empty():
    labels, scores = object_labels_and_scores(torch.zeros(0, 4))
    assert labels.shape == (0,) and scores.shape == (0,)


def test_predcls_one_hot_gives_score_exactly_one():
    logits = one_hot_logits(torch.tensor([3, 1]), 5)
    labels, scores = object_labels_and_scores(logits)
    assert labels.tolist() == [3, 1]
    assert scores.tolist() == [1.0, 1.0]


def test_rank_relations_hand_computed_order():
    # s = [0.9, 0.5, 0.8]
    obj_scores = torch.tensor([0.9, 0.5, 0.8])
    pairs = torch.tensor([[0, 1], [1, 2], [2, 0], [0, 2]])
    rel_probs = [[0.1, 0.6, 0.3],    # best fg 0.6 -> t = 0.6*0.9*0.5 = 0.27
                 [0.7, 0.1, 0.2],    # bg is largest, best fg 0.2 -> t = 0.2*0.5*0.8 = 0.08
                 [0.2, 0.3, 0.5],    # 0.5*0.8*0.9 = 0.36
                 [0.1, 0.55, 0.35]]  # 0.55*0.9*0.8 = 0.396
    ranked_pairs, ranked_probs, triplet = rank_relations(log_probs(rel_probs), pairs, obj_scores)
    assert ranked_pairs.tolist() == [[0, 2], [2, 0], [0, 1], [1, 2]]
    np.testing.assert_allclose(triplet.numpy(), [0.396, 0.36, 0.27, 0.08], rtol=1e-5)
    # Full rows including the background column, in ranked order.
    np.testing.assert_allclose(ranked_probs.numpy(), np.array(rel_probs)[[3, 2, 0, 1]], rtol=1e-5)


def test_predicate_ties_take_lowest_index():
    pairs = torch.tensor([[0, 1], [1, 0]])
    probs = [[0.2, 0.4, 0.4], [0.1, 0.45, 0.45]]
    _, ranked, _ = rank_relations(log_probs(probs), pairs, torch.ones(2))
    assert (1 + ranked[:, 1:].argmax(1)).tolist() == [1, 1]


def test_build_prediction_empty_pairs():
    prediction = build_prediction(image_id=4, boxes=torch.tensor([[0., 0, 4, 4]]), labels=torch.tensor([2]),
                                  scores=torch.tensor([1.0]), pairs=torch.zeros(0, 2, dtype=torch.long),
                                  rel_logits=torch.zeros(0, 7))
    assert prediction.image_id == 4
    assert prediction.rel_pairs.shape == (0, 2) and prediction.rel_pairs.dtype == np.int64
    assert prediction.rel_scores.shape == (0, 7) and prediction.rel_scores.dtype == np.float32
    assert prediction.boxes.dtype == np.float32 and prediction.labels.dtype == np.int64


def test_build_prediction_rows_are_softmax():
    logits = torch.tensor([[0.0, 1.0, math.log(3.0)]])
    prediction = build_prediction(image_id=1, boxes=torch.zeros(2, 4), labels=torch.tensor([1, 1]),
                                  scores=torch.ones(2), pairs=torch.tensor([[1, 0]]), rel_logits=logits)
    total = 1 + math.e + 3
    np.testing.assert_allclose(prediction.rel_scores, [[1 / total, math.e / total, 3 / total]],
                               rtol=1e-5)


def test_per_class_nms_labels_on_hand_built_boxes():
    """KT's late NMS: boxes 0 and 1 are the same object (their class-1 boxes overlap, IoU 0.82 with
    the +1-pixel widths); box 2 is elsewhere. Box 0 takes class 1 (0.7, the highest score), which
    suppresses class 1 for box 1, so box 1 takes its next class 2 even though class 1 is its best;
    box 2 keeps class 1 (no overlap). Its score is the softmax probability of its new label."""
    from sgg_bench.modeling.postprocess import class_box_iou, per_class_nms_labels

    probs = torch.tensor([[0.1, 0.7, 0.2], [0.1, 0.6, 0.3], [0.2, 0.5, 0.3]])
    a, b, far = [0.0, 0.0, 9.0, 9.0], [1.0, 0.0, 10.0, 9.0], [50.0, 50.0, 59.0, 59.0]
    class_boxes = torch.tensor([[a, a, a], [b, b, [30.0, 30.0, 39.0, 39.0]], [far, far, far]])
    assert abs(float(class_box_iou(class_boxes)[0, 1, 1]) - 90 / 110) < 1e-6
    labels, scores = per_class_nms_labels(probs.log(), class_boxes, 0.5)
    assert labels.tolist() == [1, 2, 1]
    torch.testing.assert_close(scores, torch.tensor([0.7, 0.3, 0.5]))
    # Below the threshold nothing is suppressed: every box keeps its best class.
    assert per_class_nms_labels(probs.log(), class_boxes, 0.9)[0].tolist() == [1, 1, 1]
    # A box whose every class is suppressed keeps its best foreground class (never background).
    same = torch.tensor([[a, a], [a, a]])
    assert per_class_nms_labels(torch.tensor([[0.0, 5.0], [0.0, 4.0]]), same, 0.5)[0].tolist() == [1, 1]
    empty_labels, empty_scores = per_class_nms_labels(torch.zeros(0, 3), torch.zeros(0, 3, 4), 0.5)
    assert empty_labels.shape == (0,) and empty_scores.shape == (0,)
