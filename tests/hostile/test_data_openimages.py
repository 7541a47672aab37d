"""Hostile OpenImages inputs (BGNN/PySGG json): exact error or exact accepted values per case."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hostile_data import OI_TEST, OI_TRAIN, OI_VAL, assert_rejected, oi_entries, write_oi
from sgg_bench.data import open_dataset

TRAIN, VAL, TEST = "vrd-train-anno.json", "vrd-val-anno.json", "vrd-test-anno.json"
IMG_FN = r"a file stem inside the images/ folder"
BOX = r"\[x1, y1, x2, y2\]"


# name: (write_openimages_folder keywords, split opened, file, field regex, expected regex)
CASES = {
    "img_fn with ..": (dict(train=oi_entries(OI_TRAIN, 0, img_fn="../outside")), "train", TRAIN,
                       r"\[0\]\.img_fn", IMG_FN),
    "absolute img_fn": (dict(test=oi_entries(OI_TEST, 1, img_fn="/etc/passwd")), "test", TEST,
                        r"\[1\]\.img_fn", IMG_FN),
    "img_fn climbing through a subfolder": (dict(val=oi_entries(OI_VAL, 0, img_fn="sub/../../x")), "val", VAL,
                                            r"\[0\]\.img_fn", IMG_FN),
    "img_fn with backslash": (dict(train=oi_entries(OI_TRAIN, 3, img_fn="..\\x")), "train", TRAIN,
                              r"\[3\]\.img_fn", IMG_FN),
    "img_fn with NUL": (dict(test=oi_entries(OI_TEST, 0, img_fn="a\0b")), "test", TEST, r"\[0\]\.img_fn", IMG_FN),
    "img_fn with empty part": (dict(test=oi_entries(OI_TEST, 0, img_fn="a//b")), "test", TEST, r"\[0\]\.img_fn",
                               IMG_FN),
    "empty img_fn": (dict(test=oi_entries(OI_TEST, 0, img_fn="")), "test", TEST, r"\[0\]\.img_fn",
                     r"a non-empty file stem"),
    "box beyond float32": (dict(test=oi_entries(OI_TEST, 1, bbox=[[0, 0, 1e39, 60], [30, 40, 50, 70]])), "test",
                           TEST, r"\[1\]\.bbox\[0\]", r"within float32 range"),
    "inverted box y": (dict(test=oi_entries(OI_TEST, 1, bbox=[[0, 50, 10, 40], [30, 40, 50, 70]])), "test", TEST,
                       r"\[1\]\.bbox\[0\]", r"x2 >= x1 and y2 >= y1"),
    "box of 3 numbers": (dict(train=oi_entries(OI_TRAIN, 0, bbox=[[10, 20, 110], [50, 60, 150, 260]])), "train",
                         TRAIN, r"\[0\]\.bbox\[0\]", BOX),
    "box with a string": (dict(train=oi_entries(OI_TRAIN, 0, bbox=[[10, 20, 110, "220"], [50, 60, 150, 260]])),
                          "train", TRAIN, r"\[0\]\.bbox\[0\]", BOX),
    "float label": (dict(train=oi_entries(OI_TRAIN, 0, det_labels=[1.0, 0])), "train", TRAIN,
                    r"\[0\]\.det_labels", r"integer class ids"),
    "boolean label": (dict(train=oi_entries(OI_TRAIN, 0, det_labels=[True, 0])), "train", TRAIN,
                      r"\[0\]\.det_labels", r"integer class ids"),
    "float relation index": (dict(test=oi_entries(OI_TEST, 1, rel=[[0.0, 1, 0]])), "test", TEST,
                             r"\[1\]\.rel\[0\]", r"\[subject, object, predicate\] integers"),
    "float predicate": (dict(test=oi_entries(OI_TEST, 1, rel=[[0, 1, 1.5]])), "test", TEST,
                        r"\[1\]\.rel\[0\]", r"integers"),
    "negative predicate": (dict(test=oi_entries(OI_TEST, 1, rel=[[0, 1, -1]])), "test", TEST,
                           r"\[1\]\.rel\[0\]", r"a 0-based predicate in 0\.\.1"),
    "float image size": (dict(val=oi_entries(OI_VAL, 0, img_size=[20.0, 20])), "val", VAL, r"\[0\]\.img_size",
                         r"\[width, height\], positive integers"),
    "entry not an object": (dict(test=[OI_TEST[0], ["bbox"]]), "test", TEST, r"\[1\]", r"an object with keys"),
    "top level not a list": (dict(test={"images": OI_TEST}), "test", TEST, r"top level", r"a JSON list"),
    # Every split is validated before training: a broken val/test file fails opening train.
    "train opening sees a broken val": (dict(val=oi_entries(OI_VAL, 0, det_labels=[0, 7])), "train", VAL,
                                        r"\[0\]\.det_labels\[1\]", r"a 0-based object class in 0\.\.2"),
    "train opening sees a broken test": (dict(test=oi_entries(OI_TEST, 1, img_fn="../../t")), "train", TEST,
                                         r"\[1\]\.img_fn", IMG_FN),
    "empty object vocabulary": (dict(categories={"obj": [], "rel": ["at", "on"]}), "test", "categories_dict.json",
                                r"obj", r"a non-empty list"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_openimages_input_rejected(tmp_path, capsys, case):
    build, split, file_name, field, expected = CASES[case]
    root = write_oi(tmp_path / "oi", **build)
    assert_rejected(root, split, file_name, field, expected, capsys)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_box_rejected(tmp_path, capsys, literal):
    # Python's json reads these non-standard literals; the reader must not let them through.
    root = write_oi(tmp_path / "oi")
    entries = json.loads(json.dumps(OI_TEST))
    entries[1]["bbox"][1] = [30, 40, "__X__", 70]
    (root / "annotations" / TEST).write_text(json.dumps(entries).replace('"__X__"', literal))
    assert_rejected(root, "test", TEST, r"\[1\]\.bbox\[1\]", r"finite \[x1, y1, x2, y2\] numbers", capsys)


def test_missing_val_file_fails_opening_train(tmp_path, capsys):
    root = write_oi(tmp_path / "oi")
    (root / "annotations" / VAL).unlink()
    assert_rejected(root, "train", VAL, r"file", r"the val annotation list", capsys)


def test_img_fn_in_a_subfolder_accepted(tmp_path):
    root = write_oi(tmp_path / "oi", test=oi_entries(OI_TEST, 1, img_fn="part1/ggg"))
    test = open_dataset(root, "test")
    assert [p.relative_to(root).as_posix() for p in test.table.image_paths] == ["images/part1/ggg.jpg"]


def test_zero_size_and_outside_boxes_follow_the_box_rule(tmp_path):
    # 10x10 image: box 0 is a point, box 1 lies right of the image, box 2 is normal.
    entry = {"bbox": [[3, 3, 3, 3], [20, 0, 30, 5], [0, 0, 4, 4]], "det_labels": [0, 1, 2],
             "rel": [[0, 2, 0], [1, 2, 1], [2, 0, 1]], "img_size": [10, 10], "img_fn": "zzz"}
    root = write_oi(tmp_path / "oi", train=[entry], test=[entry])
    gt = open_dataset(root, "test").ground_truth()[0]
    np.testing.assert_array_equal(gt.boxes, [[3, 3, 3, 3], [9, 0, 9, 5], [0, 0, 4, 4]])
    test_record = open_dataset(root, "test")[0]
    np.testing.assert_array_equal(test_record.boxes, gt.boxes)
    assert test_record.relations.tolist() == [[0, 2, 1], [1, 2, 2], [2, 0, 2]]
    train_record = open_dataset(root, "train")[0]
    np.testing.assert_array_equal(train_record.boxes, [[0, 0, 4, 4]])
    assert train_record.gt_box_index.tolist() == [2] and train_record.relations.tolist() == []


@pytest.mark.parametrize("name", [TRAIN, TEST, "categories_dict.json"])
@pytest.mark.parametrize("data,field,expected", [
    ('[{"img_fn": "caf\xe9"}]'.encode("latin-1"), r"byte 16", r"UTF-8 text"),
    (b"[" * 100_000 + b"]" * 100_000, r"top level", r"nested at most"),
])
def test_openimages_json_file_unreadable(tmp_path, capsys, name, data, field, expected):
    root = write_oi(tmp_path / "oi")
    (root / "annotations" / name).write_bytes(data)
    assert_rejected(root, "train", name, field, expected, capsys)
