"""Tied candidates: KT's exact order (numpy's default argsort) and the range over all tie orders."""
import numpy as np
import pytest

from sgg_bench.evaluation import evaluate
from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch
from sgg_bench.evaluation.matching import no_graph_ranked
from sgg_bench.evaluation.vg_protocol import VGEvaluator
from evaluation.helpers import gt_image, one_hot_scores, prediction

C = 4  # background + 3 predicates


def run_vg(gts, preds, mode, ks):
    vg = VGEvaluator(mode=mode, num_obj_classes=5, num_rel_classes=C, ks=ks, ng_candidates=max(ks))
    vg.process(GroundTruthBatch.from_images(gts), PredictionBatch.from_images(preds, C))
    metrics = vg.evaluate()
    return metrics, vg.tie_ranges(metrics)


def straddling_image():
    """21 delivered rows; rows 19 and 20 tie (0.7); only row 20 (pair (0, 1), predicate 1) hits the GT row."""
    boxes = [[i * 10, 0, i * 10 + 5, 5] for i in range(6)]
    gt = gt_image(1, boxes, [1, 2, 3, 3, 3, 3], [[0, 1, 1]])
    others = [(i, j) for i in range(6) for j in range(6) if i != j and (i, j) != (0, 1)][:20]
    scores = np.zeros((21, C), np.float32)
    for m in range(21):
        scores[m, 1:] = 0.001 * (3 * m + np.arange(3)) + 0.0001          # small, all distinct
    for m in range(19):
        scores[m, 2] = 0.9 - 0.01 * m
    scores[19, 2] = 0.7
    scores[20, 1] = 0.7
    pred = prediction(1, gt.boxes, gt.labels, others[:20] + [(0, 1)], scores)
    return gt, pred, scores


def test_tie_straddling_k20_gives_without_and_with():
    gt, pred, scores = straddling_image()
    result = evaluate([gt], {1: pred}, mode="predcls", num_rel_classes=C, num_obj_classes=5, detection=False)
    m, ties = result["metrics"], result["tie_ranges"]
    assert m["R@20"] == 0.0 and m["R@50"] == 1.0                 # delivered order: the hit is 21st
    assert ties["R@20"] == [0.0, 1.0]
    assert ties["mR@20"] == pytest.approx([0.0, 1 / 3])          # predicate 1 of 3: 0 or 1, divided by 3
    # No graph constraint: KT ranks np.argsort(-(1 * scores[:, 1:]).ravel()); the hit is entry (20, col 0).
    order = np.argsort(-(np.float32(1) * scores[:, 1:]).ravel())
    expected = 1.0 if 20 * 3 + 0 in order[:20] else 0.0
    assert m["ngR@20"] == expected
    assert ties["ngR@20"] == [0.0, 1.0]
    assert ties["ng-mR@20"] == pytest.approx([0.0, 1 / 3])
    for name in ("R@50", "R@100", "ngR@50", "ngR@100", "zR@20", "A@20", "F@20"):
        assert name not in ties


def test_no_ties_empty_ranges():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29], [40, 0, 49, 9]], [1, 2, 3], [[0, 1, 1], [2, 0, 3]])
    pairs = [(i, j) for i in range(3) for j in range(3) if i != j]
    pred = prediction(1, gt.boxes, gt.labels, pairs, one_hot_scores([1, 2, 3, 1, 2, 3], C))
    result = evaluate([gt], {1: pred}, mode="predcls", num_rel_classes=C, num_obj_classes=5, detection=False)
    assert result["tie_ranges"] == {}


def test_ties_inside_the_cut_do_not_count():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    scores = np.array([[0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]], np.float32)    # tied, but both within K
    m, ties = run_vg([gt], [prediction(1, gt.boxes, gt.labels, [(0, 1), (1, 0)], scores)], "predcls", (2, 6))
    assert m["R@2"] == 1.0 and ties == {}


def test_two_tied_candidates_at_k1():
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]])
    scores = np.array([[0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]], np.float32)
    m, ties = run_vg([gt], [prediction(1, gt.boxes, gt.labels, [(0, 1), (1, 0)], scores)], "predcls", (1,))
    assert m["R@1"] == 1.0                                      # delivered order: the hit first
    assert ties["R@1"] == [0.0, 1.0] and ties["ngR@1"] == [0.0, 1.0]
    order = np.argsort(-scores[:, 1:].ravel())
    assert m["ngR@1"] == (1.0 if order[0] == 0 else 0.0)       # entry 0 = pair (0, 1), predicate 1


def test_overlapping_candidates_exact_range():
    """Tied A recalls GT row 1 only, tied B rows 1 and 2 (its object box overlaps both GT objects)."""
    gt = gt_image(1, [[0, 0, 9, 9], [20, 20, 29, 29], [20, 20, 29, 33]], [1, 2, 2], [[0, 1, 1], [0, 2, 1]])
    boxes = [[0, 0, 9, 9], [20, 20, 29, 25], [20, 20, 29, 31]]     # IoU: Y-GT1 0.6, Y-GT2 0.43; X 0.83 / 0.86
    scores = np.array([[0, 0.5, 0.3, 0.2], [0, 0.5, 0.3, 0.2]], np.float32)
    pred = prediction(1, boxes, [1, 2, 2], [(0, 1), (0, 2)], scores)
    m, ties = run_vg([gt], [pred], "sgdet", (1,))
    assert m["R@1"] == 0.5                                      # A first: 1 of 2
    assert ties["R@1"] == [0.5, 1.0]
    assert ties["mR@1"] == pytest.approx([0.5 / 3, 1 / 3])


def test_reference_order_is_numpys_default_argsort():
    rng = np.random.default_rng(0)
    foreground = rng.choice(np.array([0.1, 0.2, 0.3], np.float32), size=(40, 5))     # massive ties
    offsets = np.array([0, 25, 40])
    rows, cols, values, out, _ = no_graph_ranked(foreground, np.ones(40, np.float32), foreground.max(axis=1), offsets,
                                              10, cuts=(3, 5))
    for b in range(2):
        flat = (np.float32(1) * foreground[offsets[b]:offsets[b + 1]]).ravel()
        top = np.argsort(-flat)[:10]
        got = (rows[out[b]:out[b] + 10] - offsets[b]) * 5 + cols[out[b]:out[b] + 10]
        assert np.array_equal(got, top)
        # entries tied with the 10th follow it
        assert out[b + 1] - out[b] == 10 + np.count_nonzero(flat == flat[top[-1]]) - np.count_nonzero(
            flat[top] == flat[top[-1]])


def test_cli_record_and_table_carry_tie_ranges(tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    import sgg_bench.data as data_layer
    from sgg_bench.cli import main
    from sgg_bench.evaluation.predictions import PredictionsWriter
    from sgg_bench.leaderboard.records import read_record
    from sgg_bench.structures import DatasetVocabulary

    gt, pred, _ = straddling_image()
    vocab = DatasetVocabulary(object_classes=["__background__", "a", "b", "c", "d"],
                              predicate_classes=["__background__", "on", "has", "near"])
    fake = SimpleNamespace(vocab=vocab, ground_truth=lambda: [gt], fingerprint="fp")
    monkeypatch.setattr(data_layer, "open_dataset", lambda root, split, **kw: fake, raising=False)
    monkeypatch.setattr(data_layer, "detect_format", lambda root: "vg", raising=False)
    with PredictionsWriter(tmp_path / "p.h5", dataset="fake", split="test", mode="predcls", num_obj_classes=5,
                           num_rel_classes=C) as writer:
        writer.add(pred)
    (tmp_path / "d").mkdir()
    assert main(["eval", "--predictions", str(tmp_path / "p.h5"), "--dataset", str(tmp_path / "d"),
                 "--out", str(tmp_path / "r.json"), "--no-longtail"]) == 0
    assert "R@20 0.00-100.00" in capsys.readouterr().out
    record = read_record(tmp_path / "r.json")
    assert record["tie_ranges"]["R@20"] == [0.0, 1.0]
    assert record["metrics"]["R@20"] == 0.0
