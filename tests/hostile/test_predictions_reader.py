"""Hostile or unusual predictions files through the reader and writer API (category 2; the CLI path
is test_predictions.py): empty runs score correctly, malformed fields are one-line errors."""
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from sgg_bench.errors import DataFormatError
from sgg_bench.evaluation import evaluate_predictions
from sgg_bench.evaluation.predictions import PredictionsWriter, read_predictions
from sgg_bench.structures import ImagePrediction
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from evaluation.helpers import one_hot_scores  # noqa: E402
from evaluation.test_cli_and_api import OBJECTS, PREDICATES, fake_dataset, ground_truth  # noqa: F401,E402

C = len(PREDICATES)


def write(path, images, mode="sgdet"):
    with PredictionsWriter(path, dataset="fake", split="test", mode=mode, num_obj_classes=len(OBJECTS),
                           num_rel_classes=C) as writer:
        for image in images:
            writer.add(image)
    return path


def empty_image(image_id):
    return ImagePrediction(image_id=image_id, boxes=np.zeros((0, 4), np.float32), labels=np.zeros(0, np.int64),
                           scores=np.zeros(0, np.float32), rel_pairs=np.zeros((0, 2), np.int64),
                           rel_scores=np.zeros((0, C), np.float32))


def perfect_image(gt):
    return ImagePrediction(image_id=gt.image_id, boxes=gt.boxes, labels=gt.labels,
                           scores=np.ones(len(gt.labels), np.float32), rel_pairs=gt.relations[:, :2],
                           rel_scores=one_hot_scores(gt.relations[:, 2], C))


def assert_one_line(error, path, field):
    text = str(error.value)
    assert "\n" not in text and text.startswith(str(path)) and field in text and "expected" in text


def test_zero_images_file_is_valid(fake_dataset, tmp_path):
    path = write(tmp_path / "p.h5", [])
    with read_predictions(path) as f:
        assert len(f) == 0 and f.boxes.shape == (0, 4)
    # Both GT images lack predictions: skipped under KT, so nothing is counted (None, never 0) ...
    kt = evaluate_predictions(path, fake_dataset, longtail=False, allow_missing=True)
    assert kt["info"]["images_missing_predictions"] == 2 and kt["info"]["images_counted"] == 0
    assert kt["metrics"]["R@20"] is None and kt["metrics"]["mR@100"] is None and kt["metrics"]["ngR@50"] is None
    # ... and recall 0 for both images under the neural-motifs rule; no detections: AP 0.
    nm = evaluate_predictions(path, fake_dataset, longtail=False, allow_missing=True, motifs_rule=True)
    assert nm["metrics"]["R@20"] == 0.0 and nm["metrics"]["mR@20"] == 0.0 and nm["metrics"]["ngR@100"] == 0.0
    assert nm["metrics"]["mAP"] == 0.0 and nm["metrics"]["AP50"] == 0.0
    with pytest.raises(DataFormatError, match="image_ids"):
        evaluate_predictions(path, fake_dataset, longtail=False)        # missing images need --allow-missing


def test_zero_boxes_every_image(fake_dataset, tmp_path):
    path = write(tmp_path / "p.h5", [empty_image(10), empty_image(11)])
    kt = evaluate_predictions(path, fake_dataset, longtail=False)
    assert kt["info"]["images_without_predicted_pairs"] == 2 and kt["metrics"]["R@100"] is None
    nm = evaluate_predictions(path, fake_dataset, longtail=False, motifs_rule=True)
    assert nm["metrics"]["R@100"] == 0.0 and nm["metrics"]["mR@100"] == 0.0 and nm["metrics"]["mAP"] == 0.0


def test_zero_boxes_in_one_image(fake_dataset, tmp_path):
    gt = {g.image_id: g for g in ground_truth()}
    path = write(tmp_path / "p.h5", [perfect_image(gt[10]), empty_image(11)])
    kt = evaluate_predictions(path, fake_dataset, longtail=False)
    # KT: image 11 skipped; image 10 recalls its one row -> 1. Predicate "on" 1/1, the others absent -> 1/3.
    assert kt["metrics"]["R@20"] == 1.0 and kt["metrics"]["mR@20"] == pytest.approx(1 / 3)
    nm = evaluate_predictions(path, fake_dataset, longtail=False, motifs_rule=True)
    # NM: image 11 counts 0 -> R = (1 + 0) / 2; "on" 1/1, "has" 0/1, "near" 0/1 -> mR = 1/3.
    assert nm["metrics"]["R@20"] == 0.5 and nm["metrics"]["mR@20"] == pytest.approx(1 / 3)


def test_negative_rel_scores_are_an_error(tmp_path):
    path = write(tmp_path / "p.h5", [perfect_image(ground_truth()[1])])
    with h5py.File(path, "a") as f:
        f["rel_scores"][1, 2] = -0.25
    with pytest.raises(DataFormatError, match=r"rel_scores \(image 11, row 1\): expected non-negative") as error:
        read_predictions(path)
    assert_one_line(error, path, "rel_scores")


def test_writer_rejects_negative_rel_scores(tmp_path):
    image = perfect_image(ground_truth()[0])
    image.rel_scores = image.rel_scores - 1.0
    with pytest.raises(DataFormatError, match="image 10: rel_scores: expected non-negative"):
        write(tmp_path / "p.h5", [image])


@pytest.mark.parametrize("column,value", [(2, -1.0), (3, -1.0)])     # x2 < x1, y2 < y1
def test_inverted_boxes_are_an_error(tmp_path, column, value):
    path = write(tmp_path / "p.h5", [perfect_image(g) for g in ground_truth()])
    with h5py.File(path, "a") as f:
        f["boxes"][3, column] = value                   # image 11's second box
    with pytest.raises(DataFormatError, match=r"boxes \(image 11, box 1\): expected x1 <= x2 and y1 <= y2") as error:
        read_predictions(path)
    assert_one_line(error, path, "boxes")


def test_writer_rejects_inverted_boxes(tmp_path):
    image = perfect_image(ground_truth()[0])
    image.boxes = image.boxes[:, [2, 1, 0, 3]]
    with pytest.raises(DataFormatError, match=r"image 10: boxes\[0\]: expected x1 <= x2"):
        write(tmp_path / "p.h5", [image])


@pytest.mark.parametrize("attr,value", [("mode", np.array(["sgdet", "predcls"], dtype=h5py.string_dtype())),
                                        ("num_rel_classes", np.array([C])),
                                        ("split", np.array([b"test"])),
                                        ("version", np.array([1, 1]))])
def test_attributes_stored_as_arrays_are_an_error(tmp_path, attr, value):
    path = write(tmp_path / "p.h5", [perfect_image(ground_truth()[0])])
    with h5py.File(path, "a") as f:
        f.attrs[attr] = value
    with pytest.raises(DataFormatError, match=f"attrs/{attr}: expected a single value") as error:
        read_predictions(path)
    assert_one_line(error, path, f"attrs/{attr}")
