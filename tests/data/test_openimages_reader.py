"""OpenImages (BGNN/PySGG json) reader on hand-written annotation lists (sgg_data_builders.py)."""
from pathlib import Path

import numpy as np
import pytest

from sgg_bench.data import detect_format, open_dataset
from sgg_data_builders import write_openimages_folder


@pytest.fixture
def oi(tmp_path: Path) -> Path:
    return write_openimages_folder(tmp_path / "oi")


def test_detect_format(oi, tmp_path):
    assert detect_format(oi) == "openimages"
    assert detect_format(write_openimages_folder(tmp_path / "flat", flat=True)) == "openimages"


def test_train_split_filtering_and_values(oi):
    train = open_dataset(oi, "train")
    # rows 1 (no relation) and 2 (no box) are dropped; the image id is the row index in the file
    assert train.image_ids.tolist() == [0, 3]
    assert train.vocab.object_classes == ["__background__", "Car", "Man", "Table"]
    assert train.vocab.predicate_classes == ["__background__", "at", "on"]
    first = train[0]
    np.testing.assert_array_equal(first.boxes, [[10, 20, 110, 220], [50, 60, 150, 260]])
    assert first.labels.tolist() == [2, 1]                                     # 0-based + 1
    assert first.relations.tolist() == [[0, 1, 2], [0, 1, 2], [0, 1, 1]]       # predicates + 1
    assert first.image_path == oi / "images" / "aaa.jpg"
    assert (first.width, first.height) == (400, 300)
    choices = {tuple(map(tuple, first.training_relations(np.random.default_rng(s)).tolist())) for s in range(30)}
    assert choices == {((0, 1, 2),), ((0, 1, 1),)}
    assert train[1].relations.tolist() == [[2, 0, 2]]


def test_test_ground_truth_clipped_without_removal(oi):
    test = open_dataset(oi, "test")
    assert test.image_ids.tolist() == [1]
    gt = test.ground_truth()[0]
    # 100x64 image: x clipped to [0, 99], y to [0, 63]
    np.testing.assert_array_equal(gt.boxes, [[0, 10.25, 99, 60], [30, 40, 50, 63]])
    assert gt.labels.tolist() == [3, 2]
    assert gt.relations.tolist() == [[0, 1, 1], [0, 1, 1], [1, 0, 2]]
    assert test[0].training_relations(np.random.default_rng(0)).tolist() == [[0, 1, 1], [0, 1, 1], [1, 0, 2]]


def test_train_record_removes_empty_boxes_test_record_keeps_them(tmp_path):
    entry = {"bbox": [[5, 5, 5, 9], [0, 0, 4, 4], [1, 1, 3, 3]], "det_labels": [0, 1, 2],
             "rel": [[0, 1, 0], [1, 2, 1]], "img_size": [10, 10], "img_fn": "hhh"}
    root = write_openimages_folder(tmp_path / "oi", train=[entry], test=[entry])
    test = open_dataset(root, "test")
    gt = test.ground_truth()[0]
    assert gt.boxes.shape == (3, 4) and gt.relations.tolist() == [[0, 1, 1], [1, 2, 2]]
    np.testing.assert_array_equal(test[0].boxes, gt.boxes)
    assert test[0].relations.tolist() == [[0, 1, 1], [1, 2, 2]] and test[0].gt_box_index.tolist() == [0, 1, 2]
    record = open_dataset(root, "train")[0]
    np.testing.assert_array_equal(record.boxes, [[0, 0, 4, 4], [1, 1, 3, 3]])
    assert record.labels.tolist() == [2, 3]
    assert record.relations.tolist() == [[0, 1, 2]]
    assert record.gt_box_index.tolist() == [1, 2]


def test_num_im_truncates_before_filtering(oi):
    assert open_dataset(oi, "train", num_im=2).image_ids.tolist() == [0]
    assert open_dataset(oi, "test", num_im=1).image_ids.tolist() == []
    assert len(open_dataset(oi, "test", num_im=1).ground_truth()) == 0


def test_keep_empty_rels(oi):
    test = open_dataset(oi, "test", filter_empty_rels=False)
    assert test.image_ids.tolist() == [0, 1]
    assert test[0].relations.shape == (0, 3)
    train = open_dataset(oi, "train", filter_empty_rels=False)
    assert train.image_ids.tolist() == [0, 1, 2, 3]
    assert train.ground_truth()[2].boxes.shape == (0, 4)


def test_val_is_its_own_file(oi):
    val = open_dataset(oi, "val", num_val_im=1)
    assert val.image_ids.tolist() == [0]
    assert val[0].relations.tolist() == [[1, 0, 1]]


def test_flat_layout(tmp_path):
    root = write_openimages_folder(tmp_path / "flat", flat=True)
    assert open_dataset(root, "train").image_ids.tolist() == [0, 3]
    assert open_dataset(root, "train")[0].image_path == root / "images" / "aaa.jpg"
