"""Hostile VG150 inputs: each case corrupts the tiny folder one way and asserts the exact outcome
(reader error naming file and field, ``data check`` exit 2 with one line), or, for inputs the box
rule accepts, the exact values read."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hostile_data import (IMAGE_DATA, VG_H5, assert_rejected, np_float, vg_arrays, vg_dicts, with_array,
                          with_row, write_vg_folder)
from sgg_bench.data import open_dataset

I32 = 2 ** 31 - 1
DICTS = "VG-SGG-dicts-with-attri.json"
INT_ARRAY = r"an integer array \(.*\)"
BOX_SIGN = r"\(cx, cy, w, h\) with cx, cy >= 0 and w, h > 0"

# name: (write_vg_folder keywords, split opened, file, field regex, expected regex)
H5_CASES = {
    "float32 labels": (dict(arrays=with_array("labels", vg_arrays()["labels"].astype(np.float32))),
                       VG_H5, r"labels", INT_ARRAY),
    "float64 whole-number labels": (dict(arrays=with_array("labels", vg_arrays()["labels"].astype(np.float64))),
                                    VG_H5, r"labels", r"object class ids"),
    "float predicates": (dict(arrays=with_array("predicates", vg_arrays()["predicates"] + 0.5)),
                         VG_H5, r"predicates", r"predicate class ids"),
    "float relationships": (dict(arrays=with_array("relationships", vg_arrays()["relationships"].astype(float))),
                            VG_H5, r"relationships", r"object row indices"),
    "float img_to_first_box": (dict(arrays=with_array("img_to_first_box",
                                                      vg_arrays()["img_to_first_box"].astype(np.float32))),
                               VG_H5, r"img_to_first_box", INT_ARRAY),
    "float split": (dict(arrays=with_array("split", vg_arrays()["split"].astype(np.float32))),
                    VG_H5, r"split", r"split flags"),
    "float attributes": (dict(arrays=with_array("attributes", vg_arrays()["attributes"].astype(np.float32))),
                         VG_H5, r"attributes", r"attribute ids"),
    "NaN box": (dict(arrays=with_row("boxes_1024", 3, [np.nan, 10, 4, 4], dtype=np.float64)),
                VG_H5, r"boxes_1024\[3\]", r"finite"),
    "+inf box": (dict(arrays=with_row("boxes_1024", 0, [60, 20, np.inf, 10], dtype=np.float32)),
                 VG_H5, r"boxes_1024\[0\]", r"finite"),
    "-inf box": (dict(arrays=with_row("boxes_1024", 16, [-np.inf, 5, 10, 10], dtype=np.float64)),
                 VG_H5, r"boxes_1024\[16\]", r"finite"),
    "fractional box": (dict(arrays=with_row("boxes_1024", 5, [100.5, 100, 10, 10], dtype=np.float64)),
                       VG_H5, r"boxes_1024\[5\]", r"whole-number"),
    "box beyond int32": (dict(arrays=with_row("boxes_1024", 2, [2 ** 31, 600, 50, 100], dtype=np.int64)),
                         VG_H5, r"boxes_1024\[2\]", r"fit int32"),
    "decoded corner beyond int32": (dict(arrays=with_row("boxes_1024", 4, [I32 - 10, 10, 100, 10], dtype=np.int64)),
                                    VG_H5, r"boxes_1024\[4\]", r"decoded corners fit int32"),
    "zero width": (dict(arrays=with_row("boxes_1024", 4, [10, 10, 0, 10])), VG_H5, r"boxes_1024\[4\]", BOX_SIGN),
    "zero height": (dict(arrays=with_row("boxes_1024", 7, [15, 5, 10, 0])), VG_H5, r"boxes_1024\[7\]", BOX_SIGN),
    "negative width": (dict(arrays=with_row("boxes_1024", 1, [100, 100, -40, 40])), VG_H5, r"boxes_1024\[1\]",
                       BOX_SIGN),
    "negative centre": (dict(arrays=with_row("boxes_1024", 9, [55, -1, 11, 11])), VG_H5, r"boxes_1024\[9\]",
                        BOX_SIGN),
    "boxes with 3 columns": (dict(arrays=with_array("boxes_1024", vg_arrays()["boxes_1024"][:, :3])),
                             VG_H5, r"boxes_1024", r"shape \(17, 4\)"),
    "labels of width 2": (dict(arrays=with_array("labels", np.ones((17, 2), dtype=np.int64))),
                          VG_H5, r"labels", r"shape \(n, 1\) or \(n,\)"),
    "two images share box rows": (dict(arrays=with_row("img_to_first_box", 1, 2) | with_row("img_to_last_box", 1, 3)),
                                  VG_H5, r"img_to_first_box\[1\]", r"image rows 0 and 1 share rows 2\.\.2"),
    "image range swallows the next": (dict(arrays=with_row("img_to_last_box", 4, 11)),
                                      VG_H5, r"img_to_first_box\[5\]", r"image rows 4 and 5 share rows 10\.\.11"),
    "two images share relation rows": (dict(arrays=with_row("img_to_first_rel", 5, 7)),
                                       VG_H5, r"img_to_first_rel\[5\]", r"image rows 4 and 5 share rows 7\.\.7"),
    "attribute id beyond the vocabulary": (dict(arrays=with_row("attributes", 0, [3] + [0] * 9)),
                                           VG_H5, r"attributes\[0\]", r"attribute ids .* in 0\.\.2"),
    "negative attribute id": (dict(arrays=with_row("attributes", 6, [-1] * 10)),
                              VG_H5, r"attributes\[6\]", r"in 0\.\.2"),
    "duplicate image_id": (dict(image_data=IMAGE_DATA[:5] + [dict(IMAGE_DATA[5], image_id=11)] + IMAGE_DATA[6:]),
                           "image_data.json", r"\[5\]\.image_id", r"an id not already used \(row 2\)"),
    "float width": (dict(image_data=IMAGE_DATA[:3] + [dict(IMAGE_DATA[3], width=50.0)] + IMAGE_DATA[4:]),
                    "image_data.json", r"\[3\]\.width", r"an integer"),
    "boolean height": (dict(image_data=[dict(IMAGE_DATA[0], height=True)] + IMAGE_DATA[1:]),
                       "image_data.json", r"\[0\]\.height", r"an integer"),
    "negative height": (dict(image_data=IMAGE_DATA[:9] + [dict(IMAGE_DATA[9], height=-100)]),
                        "image_data.json", r"\[9\]\.height", r"a positive image size"),
    "string image_id": (dict(image_data=[dict(IMAGE_DATA[0], image_id="10")] + IMAGE_DATA[1:]),
                        "image_data.json", r"\[0\]\.image_id", r"an integer"),
}


@pytest.mark.parametrize("case", sorted(H5_CASES))
def test_vg_input_rejected(tmp_path, capsys, case):
    build, file_name, field, expected = H5_CASES[case]
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1}, **build)
    assert_rejected(root, "test", file_name, field, expected, capsys)


def _dicts_with(**changes):
    def mutate(root):
        dicts = vg_dicts() | changes
        (root / DICTS).write_text(json.dumps(dicts))
    return mutate


DICTS_CASES = {
    "label index gap": (_dicts_with(idx_to_label={"1": "apple", "2": "bird", "3": "cat", "5": "dog"}),
                        r"idx_to_label\['5'\]", r"an index in 1\.\.4"),
    "label name not a string": (_dicts_with(idx_to_label={"1": "apple", "2": 7, "3": "cat", "4": "dog"}),
                                r"idx_to_label\['2'\]", r"a class name string"),
    "empty predicate vocabulary": (_dicts_with(idx_to_predicate={}), r"idx_to_predicate", r"a non-empty mapping"),
    "attribute vocabulary not a mapping": (_dicts_with(idx_to_attribute=["red"]), r"idx_to_attribute",
                                           r"a non-empty mapping"),
    "invalid json": (lambda root: (root / DICTS).write_text('{"idx_to_label": '), r"line 1 column \d+",
                     r"valid JSON"),
}


@pytest.mark.parametrize("case", sorted(DICTS_CASES))
def test_vg_dicts_rejected(tmp_path, capsys, case):
    mutate, field, expected = DICTS_CASES[case]
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    mutate(root)
    assert_rejected(root, "test", DICTS, field, expected, capsys)


@pytest.mark.parametrize("num_val_im, split", [(5, "train"), (5, "val"), (6, "val"), (5000, "train")])
def test_num_val_im_swallowing_train_rejected(tmp_path, capsys, num_val_im, split):
    # 5 train-flag images with boxes and relations (ids 10, 13, 14, 17, 18).
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": num_val_im})
    assert_rejected(root, split, "sgg-bench.json", r"num_val_im", r"fewer than the 5 train images", capsys)


def test_num_val_im_one_below_train_size_accepted(tmp_path):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 4})
    assert open_dataset(root, "train").image_ids.tolist() == [18]
    assert open_dataset(root, "val").image_ids.tolist() == [10, 13, 14, 17]


def test_whole_number_float_boxes_read_as_integers(tmp_path):
    boxes = vg_arrays()["boxes_1024"]
    as_int = write_vg_folder(tmp_path / "int", settings={"num_val_im": 1})
    as_float = write_vg_folder(tmp_path / "float", settings={"num_val_im": 1},
                               arrays=with_array("boxes_1024", np_float(boxes)))
    for split in ("train", "val", "test"):
        expected = [gt.boxes for gt in open_dataset(as_int, split).ground_truth()]
        got = [gt.boxes for gt in open_dataset(as_float, split).ground_truth()]
        for a, b in zip(expected, got):
            np.testing.assert_array_equal(a, b)


def test_repeated_corrupted_id_is_skipped_not_duplicate(tmp_path):
    # 1592 is one of the four corrupted VG ids the standard loader skips; twice is still skipped.
    entries = IMAGE_DATA[:2] + [{"image_id": 1592, "width": 3, "height": 3}] + IMAGE_DATA[2:]
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1}, image_data=entries)
    assert open_dataset(root, "test").image_ids.tolist() == [15]


def test_custom_vocabulary_without_attributes_loads(tmp_path):
    """Custom VG150 data: empty attribute_to_idx / idx_to_attribute and all-zero attributes."""
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1},
                           arrays=with_array("attributes", np.zeros((17, 10), dtype=np.int64)))
    dicts = vg_dicts() | {"attribute_to_idx": {}, "idx_to_attribute": {}}
    (root / DICTS).write_text(json.dumps(dicts))
    train = open_dataset(root, "train")
    assert train.vocab.attribute_classes == []
    assert train.vocab.object_classes == ["__background__", "apple", "bird", "cat", "dog"]
    assert train.image_ids.tolist() == [13, 14, 17, 18]
    assert train[0].attributes.tolist() == [[0] * 10, [0] * 10]


def test_custom_vocabulary_without_attributes_rejects_attribute_ids(tmp_path, capsys):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    (root / DICTS).write_text(json.dumps(vg_dicts() | {"attribute_to_idx": {}, "idx_to_attribute": {}}))
    assert_rejected(root, "test", VG_H5, r"attributes\[0\]", r"in 0\.\.0", capsys)


def test_box_entirely_outside_image_follows_the_box_rule(tmp_path):
    """Row 0's box 2 lies below its 200x100 image: kept (empty) in GT and val/test records, dropped from train."""
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    gt = open_dataset(root, "val").ground_truth()[0]
    np.testing.assert_array_equal(gt.boxes[2], [95.1171875, 99.0, 104.8828125, 99.0])
    np.testing.assert_array_equal(open_dataset(root, "val")[0].boxes, gt.boxes)
    (root / "sgg-bench.json").write_text(json.dumps({"num_val_im": 0}))
    train = open_dataset(root, "train")
    record = train[train.image_ids.tolist().index(10)]
    assert record.gt_box_index.tolist() == [0, 1] and record.relations.tolist() == [[0, 1, 1]]


RAW_JSON = {
    "not UTF-8": ('{"x": "caf\xe9"}'.encode("latin-1"), r"byte 10", r"UTF-8 text"),
    "nested 100000 deep": (b"[" * 100_000 + b"]" * 100_000, r"top level", r"nested at most"),
    "integer of 5000 digits": (b'{"x": 1' + b"0" * 5000 + b"}", r"top level", r"numbers of ordinary size"),
    "empty file": (b"", r"line 1 column 1", r"valid JSON"),
}


@pytest.mark.parametrize("name", [DICTS, "image_data.json", "sgg-bench.json"])
@pytest.mark.parametrize("case", sorted(RAW_JSON))
def test_vg_json_file_unreadable(tmp_path, capsys, name, case):
    data, field, expected = RAW_JSON[case]
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    (root / name).write_bytes(data)
    assert_rejected(root, "test", name, field, expected, capsys)
