"""Hostile predictions files (category 2): every malformed field of ``predictions.h5`` is a one-line
``sgg-bench eval`` error (exit 2) naming the file and the field; borderline but valid files (zero
boxes, zero images, an SGDet run whose detector found nothing) score the numbers computed by hand.

The test split of the tiny VG folder is image 15 with two GT boxes and three GT relations:
(0, 1, on), (0, 1, on) again, (0, 1, above); predicate ids above=1, near=2, on=3.
"""
from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest

from hostile_data import (RANKED_SCORES as SCORES, assert_one_line_error, main, ranked_image as _image,
                          test_split_gt as _gt, write_prediction_file as _write, write_vg_folder)
from sgg_bench.structures import ImagePrediction

C = 4  # predicates + background

@pytest.fixture(scope="module")
def vg_root(tmp_path_factory):
    return write_vg_folder(tmp_path_factory.mktemp("vg") / "vg", settings={"num_val_im": 1})


@pytest.fixture(scope="module")
def good_file(vg_root, tmp_path_factory):
    return _write(tmp_path_factory.mktemp("good") / "good.h5", [_image(_gt(vg_root))])


def _replace(name, value):
    def mutate(f):
        del f[name]
        f[name] = value
    return mutate


def _attr(name, value):
    def mutate(f):
        f.attrs[name] = value
    return mutate


def _delete_attr(name):
    def mutate(f):
        del f.attrs[name]
    return mutate


def _delete(name):
    def mutate(f):
        del f[name]
    return mutate


def _set(name, index, value):
    def mutate(f):
        f[name][index] = value
    return mutate


STR = h5py.string_dtype()
# name: (mutation of the good file's h5 handle, field regex in the error line). Negative rel_scores,
# x2 < x1 boxes and attributes stored as arrays are also in test_predictions_reader.py (reader and writer).
CASES = {
    "format attr missing": (_delete_attr("format"), r"attrs/format"),
    "version attr missing": (_delete_attr("version"), r"attrs/version"),
    "mode attr missing": (_delete_attr("mode"), r"attrs/mode"),
    "split attr missing": (_delete_attr("split"), r"attrs/split"),
    "num_rel_classes attr missing": (_delete_attr("num_rel_classes"), r"attrs/num_rel_classes"),
    "num_obj_classes attr missing": (_delete_attr("num_obj_classes"), r"attrs/num_obj_classes"),
    "dataset attr missing": (_delete_attr("dataset"), r"attrs/dataset"),
    "foreign format": (_attr("format", "kt/predictions"), r"attrs/format"),
    "future version": (_attr("version", 2), r"attrs/version"),
    "unknown mode": (_attr("mode", "detect"), r"attrs/mode"),
    "num_obj_classes as array": (_attr("num_obj_classes", np.array([5, 5])), r"attrs/num_obj_classes"),
    "dataset as array": (_attr("dataset", np.array(["vg", "oi"], dtype=STR)), r"attrs/dataset"),
    "num_rel_classes 1": (_attr("num_rel_classes", 1), r"attrs/num_rel_classes"),
    "num_rel_classes a string": (_attr("num_rel_classes", "4"), r"attrs/num_rel_classes"),
    "num_rel_classes a float": (_attr("num_rel_classes", 4.0), r"attrs/num_rel_classes"),
    "num_rel_classes of another dataset": (_attr("num_rel_classes", 51), r"rel_scores"),  # 4 columns
    "num_obj_classes of another dataset": (_attr("num_obj_classes", 151), r"attrs/num_obj_classes"),
    "another split": (_attr("split", "val"), r"attrs/split"),
    "image_ids missing": (_delete("image_ids"), r"image_ids"),
    "boxes missing": (_delete("boxes"), r"boxes"),
    "box_labels missing": (_delete("box_labels"), r"box_labels"),
    "box_scores missing": (_delete("box_scores"), r"box_scores"),
    "rel_pairs missing": (_delete("rel_pairs"), r"rel_pairs"),
    "rel_scores missing": (_delete("rel_scores"), r"rel_scores"),
    "box_offsets missing": (_delete("box_offsets"), r"box_offsets"),
    "rel_offsets missing": (_delete("rel_offsets"), r"rel_offsets"),
    "image_ids 2-D": (_replace("image_ids", np.array([[15]])), r"image_ids"),
    "image_ids float": (_replace("image_ids", np.array([15.0])), r"image_ids"),
    "image_ids strings": (_replace("image_ids", np.array(["15"], dtype=STR)), r"image_ids"),
    "duplicate image_ids": (lambda f: (_replace("image_ids", np.array([15, 15]))(f),
                                       _replace("box_offsets", np.array([0, 2, 2]))(f),
                                       _replace("rel_offsets", np.array([0, 2, 2]))(f)), r"image_ids"),
    "boxes with 5 columns": (_replace("boxes", np.zeros((2, 5), np.float32)), r"boxes"),
    "boxes 1-D": (_replace("boxes", np.zeros(8, np.float32)), r"boxes"),
    "integer boxes": (_replace("boxes", np.array([[0, 0, 5, 5], [1, 1, 6, 6]])), r"boxes"),
    "NaN box": (_set("boxes", (1, 2), np.nan), r"boxes \(image 15\)"),
    "infinite box": (_set("boxes", (0, 3), np.inf), r"boxes \(image 15\)"),
    "y2 < y1 box": (_set("boxes", (0, 3), 10.0), r"boxes \(image 15, box 0\)"),
    "NaN box score": (_set("box_scores", 0, np.nan), r"box_scores \(image 15\)"),
    "float box labels": (_replace("box_labels", np.array([1.0, 2.0])), r"box_labels"),
    "background box label": (_set("box_labels", 1, 0), r"box_labels \(image 15\)"),
    "box label beyond the vocabulary": (_set("box_labels", 0, 5), r"box_labels \(image 15\)"),
    "negative box label": (_set("box_labels", 0, -2), r"box_labels \(image 15\)"),
    "box_labels one short": (_replace("box_labels", np.array([1])), r"box_labels"),
    "box_scores one long": (_replace("box_scores", np.ones(3, np.float32)), r"box_scores"),
    "rel_pairs with 3 columns": (_replace("rel_pairs", np.zeros((2, 3), np.int64)), r"rel_pairs"),
    "float rel_pairs": (_replace("rel_pairs", np.array([[0.0, 1.0], [1.0, 0.0]])), r"rel_pairs"),
    "rel_pairs index beyond the image's boxes": (_set("rel_pairs", (1, 0), 2), r"rel_pairs \(image 15, row 1\)"),
    "negative rel_pairs index": (_set("rel_pairs", (0, 1), -1), r"rel_pairs \(image 15, row 0\)"),
    "rel_scores too narrow": (_replace("rel_scores", np.zeros((2, 3), np.float32)), r"rel_scores"),
    "rel_scores too wide": (_replace("rel_scores", np.zeros((2, 51), np.float32)), r"rel_scores"),
    "rel_scores one row short": (_replace("rel_scores", SCORES[:1]), r"rel_scores"),
    "integer rel_scores": (_replace("rel_scores", np.ones((2, C), np.int64)), r"rel_scores"),
    "NaN rel_score": (_set("rel_scores", (0, 0), np.nan), r"rel_scores \(image 15, row 0\)"),
    "-inf rel_score": (_set("rel_scores", (1, 3), -np.inf), r"rel_scores \(image 15, row 1\)"),
    "box_offsets too long": (_replace("box_offsets", np.array([0, 1, 2])), r"box_offsets"),
    "box_offsets not from 0": (_replace("box_offsets", np.array([1, 2])), r"box_offsets"),
    "box_offsets short of the rows": (_replace("box_offsets", np.array([0, 1])), r"box_offsets"),
    "rel_offsets beyond the rows": (_replace("rel_offsets", np.array([0, 3])), r"rel_offsets"),
    "rel_offsets float": (_replace("rel_offsets", np.array([0.0, 2.0])), r"rel_offsets"),
    "decreasing rel_offsets": (lambda f: (_replace("image_ids", np.array([15, 16]))(f),
                                          _replace("box_offsets", np.array([0, 2, 2]))(f),
                                          _replace("rel_offsets", np.array([0, 3, 2]))(f)),
                               r"rel_offsets \(image 16\)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_predictions_file_rejected(good_file, vg_root, tmp_path, capsys, case):
    mutate, field = CASES[case]
    path = tmp_path / "bad.h5"
    shutil.copyfile(good_file, path)
    with h5py.File(path, "a") as handle:
        mutate(handle)
    out = tmp_path / "record.json"
    line = assert_one_line_error(["eval", "--predictions", str(path), "--dataset", str(vg_root), "--out", str(out)],
                                 capsys, "bad.h5", field)
    assert "expected" in line
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.h5"]


def _not_hdf5(path):
    path.write_bytes(b"image_id,boxes\n15,0 0 1 1\n")


FILE_CASES = {
    "text file": (_not_hdf5, "file", "an HDF5 file"),
    "empty file": (lambda p: p.write_bytes(b""), "file", "an HDF5 file"),
    "truncated HDF5": (None, "file", "an HDF5 file"),
    "no such file": (lambda p: None, "file", "an existing predictions file"),
    "a folder": (lambda p: p.mkdir(), "file", "a folder"),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_unreadable_predictions_file_rejected(good_file, vg_root, tmp_path, capsys, case):
    make, field, expected = FILE_CASES[case]
    path = tmp_path / "bad.h5"
    if make is None:
        data = good_file.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        make(path)
    line = assert_one_line_error(["eval", "--predictions", str(path), "--dataset", str(vg_root)], capsys,
                                 "bad.h5", field)
    assert expected in line


# ----------------------------------------------------------------------------- accepted, exact numbers
def _scores(argv, capsys):
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)["metrics"]


def test_ranked_predcls_file_scores_by_hand(good_file, vg_root, capsys):
    metrics = _scores(["eval", "--predictions", str(good_file), "--dataset", str(vg_root), "--json"], capsys)
    # Graph constraint: pair (0,1) -> on (0.7); both (0,1,on) GT rows hit, (0,1,above) missed -> 2/3.
    assert metrics["R@20"] == pytest.approx(2 / 3) and metrics["R@100"] == pytest.approx(2 / 3)
    # No graph constraint: (0,1,above) 0.3 is also ranked -> 3/3.
    assert metrics["ngR@20"] == pytest.approx(1.0)
    # Per predicate: above 0/1, near absent (0), on 2/2 -> (0 + 0 + 1) / 3.
    assert metrics["mR@20"] == pytest.approx(1 / 3)


def test_sgdet_run_whose_detector_found_nothing(vg_root, tmp_path, capsys):
    gt = _gt(vg_root)
    path = _write(tmp_path / "nothing.h5", [_image(gt, boxes=np.zeros((0, 4), np.float32), pairs=(), scores=())],
                  mode="sgdet")
    base = ["eval", "--predictions", str(path), "--dataset", str(vg_root), "--json"]
    kt = _scores(base, capsys)
    # KT skips an image without predicted pairs: nothing counted, so no recall at all (never 0).
    assert kt["R@20"] is None and kt["mR@20"] is None
    # Neural-motifs rule: the image counts with recall 0; detection: no detection -> AP 0 for both GT classes.
    nm = _scores(base + ["--motifs-rule"], capsys)
    assert nm["R@20"] == 0.0 and nm["ngR@100"] == 0.0 and nm["mR@50"] == 0.0 and nm["mAP"] == 0.0


def test_zero_images_file(vg_root, tmp_path, capsys):
    path = _write(tmp_path / "zero.h5", [], mode="sgdet")
    base = ["eval", "--predictions", str(path), "--dataset", str(vg_root)]
    assert_one_line_error(base, capsys, "zero.h5", r"image_ids")        # image 15 missing: an error ...
    kt = _scores(base + ["--json", "--allow-missing"], capsys)          # ... unless allowed
    assert kt["R@50"] is None
    nm = _scores(base + ["--json", "--allow-missing", "--motifs-rule"], capsys)
    assert nm["R@50"] == 0.0 and nm["mR@100"] == 0.0 and nm["AP50"] == 0.0


def test_image_with_boxes_but_no_pairs_and_an_extra_unknown_image(vg_root, tmp_path, capsys):
    gt = _gt(vg_root)
    path = _write(tmp_path / "p.h5", [_image(gt, pairs=(), scores=()),
                                      ImagePrediction(image_id=999, boxes=gt.boxes, labels=gt.labels,
                                                      scores=np.ones(2, np.float32),
                                                      rel_pairs=np.array([[0, 1]]), rel_scores=SCORES[:1])],
                  mode="sgdet")
    base = ["eval", "--predictions", str(path), "--dataset", str(vg_root)]
    assert_one_line_error(base, capsys, "p.h5", r"image_ids")            # 999 is not in the split
    nm = _scores(base + ["--json", "--allow-missing", "--motifs-rule"], capsys)
    # Image 15: exact boxes, no pairs -> recall 0; its two boxes are perfect detections -> AP 1 per class.
    assert nm["R@20"] == 0.0 and nm["mAP"] == pytest.approx(1.0)
