"""evaluate_predictions through the real data layer on the data tests' tiny hand-built folders."""
import numpy as np
import pytest

from sgg_bench.evaluation import evaluate_predictions
from sgg_bench.evaluation.predictions import PredictionsWriter
from sgg_bench.structures import ImagePrediction

builders = pytest.importorskip("data.sgg_data_builders")
data_layer = pytest.importorskip("sgg_bench.data.ground_truth")


def perfect_predictions(path, ground_truth, vocab, mode):
    c = vocab.num_predicate_classes
    with PredictionsWriter(path, dataset="tiny", split="test", mode=mode, num_obj_classes=vocab.num_object_classes,
                           num_rel_classes=c) as writer:
        for gt in ground_truth:
            pairs, scores = [], []
            for rank, (s, o, p) in enumerate(gt.relations):
                row = np.full(c, 0.01, np.float32)
                row[p] = 0.9 - 0.01 * rank
                pairs.append((s, o))
                scores.append(row)
            writer.add(ImagePrediction(image_id=gt.image_id, boxes=gt.boxes, labels=gt.labels,
                                       scores=np.ones(len(gt.labels), np.float32),
                                       rel_pairs=np.array(pairs, np.int64).reshape(-1, 2),
                                       rel_scores=np.array(scores, np.float32).reshape(-1, c)))


def test_vg_folder_perfect_predcls(tmp_path):
    root = builders.write_vg_folder(tmp_path / "vg")
    vocab, gts = data_layer.load_ground_truth(root, "test")
    perfect_predictions(tmp_path / "p.h5", gts, vocab, "predcls")
    result = evaluate_predictions(tmp_path / "p.h5", root, zeroshot="derive")
    m = result["metrics"]
    assert result["info"]["protocol"] == "vg"
    assert m["R@20"] == 1.0 and m["ngR@100"] == 1.0 and m["A@100"] == 1.0
    assert result["info"]["dataset_fingerprint"]
    assert "longtail_groups" in result["info"] or "longtail_note" in result["info"]


def test_openimages_folder_perfect_sgdet(tmp_path):
    root = builders.write_openimages_folder(tmp_path / "oi")
    vocab, gts = data_layer.load_ground_truth(root, "test")
    perfect_predictions(tmp_path / "p.h5", gts, vocab, "sgdet")
    result = evaluate_predictions(tmp_path / "p.h5", root)
    m = result["metrics"]
    assert result["info"]["protocol"] == "oi"
    assert m["oi/R@50"] == pytest.approx(1.0) and m["R@50"] == 1.0
    assert m["mAP"] == pytest.approx(1.0) and m["AP50"] == pytest.approx(1.0)
    assert m["score_wtd"] is not None and 0 < m["score_wtd"] <= 1
