"""VG150 reader on a hand-built h5 (layout in sgg_data_builders.py), checked value by value.

Pixel values: grid xyxy * max(w, h) / 1024, exact binary fractions for the sizes used.
"""
from pathlib import Path

import numpy as np
import pytest

from sgg_bench.data import load_ground_truth, open_dataset
from sgg_bench.data.dataset import deduplicate_relations
from sgg_bench.errors import ConfigError, DataFormatError
from sgg_data_builders import IMAGE_DATA, write_vg_folder


@pytest.fixture
def vg(tmp_path: Path) -> Path:
    return write_vg_folder(tmp_path / "vg")


def ids(dataset):
    return dataset.image_ids.tolist()


def test_split_selection_with_val_carving(vg):
    # flag-0 images with boxes and relations: h5 rows 0, 3, 4, 7, 8 -> val = first, train = rest.
    assert ids(open_dataset(vg, "val", num_val_im=1)) == [10]
    train = open_dataset(vg, "train", num_val_im=1)
    assert ids(train) == [13, 14, 17, 18]
    assert train.table.source_rows.tolist() == [3, 4, 7, 8]
    assert ids(open_dataset(vg, "test", num_val_im=1)) == [15]


def test_train_records_value_by_value(vg):
    train = open_dataset(vg, "train", num_val_im=1)
    r13, r14, r17, r18 = (train[i] for i in range(4))
    # id 13, 640x480 (x0.625): grid [5,5,15,15] and [95,95,105,105]
    np.testing.assert_array_equal(r13.boxes, [[3.125, 3.125, 9.375, 9.375], [59.375, 59.375, 65.625, 65.625]])
    assert r13.labels.tolist() == [1, 4] and r13.relations.tolist() == [[0, 1, 3]]
    # id 14, 300x200 (x0.29296875): odd widths 21 and 11 decode to x1 = trunc(39.5) = 39, trunc(49.5) = 49
    np.testing.assert_array_equal(r14.boxes, [[0, 0, 2.9296875, 2.9296875], [2.9296875, 0, 5.859375, 2.9296875],
                                              [11.42578125, 11.42578125, 17.578125, 17.578125],
                                              [14.35546875, 14.35546875, 17.578125, 17.578125]])
    assert r14.relations.tolist() == [[0, 1, 1], [0, 1, 1], [0, 1, 2], [2, 3, 3], [0, 3, 2]]
    # id 17, 100x50 (x0.09765625): grid [15,15,25,25], [17,17,27,27]
    np.testing.assert_array_equal(r17.boxes, [[1.46484375, 1.46484375, 2.44140625, 2.44140625],
                                              [1.66015625, 1.66015625, 2.63671875, 2.63671875]])
    assert r17.relations.tolist() == [[1, 0, 2]]
    assert r18.labels.tolist() == [3, 4]
    assert r14.image_path == vg / "VG_100K" / "14.jpg"
    assert (r14.width, r14.height) == (300, 200)
    assert r14.boxes.dtype == np.float32 and r14.labels.dtype == np.int64 and r14.relations.dtype == np.int64
    assert r14.attributes.shape == (4, 10)


def test_box_clipped_empty_kept_in_val_record_and_ground_truth_dropped_from_train(vg):
    val = open_dataset(vg, "val", num_val_im=1)
    gt = val.ground_truth()[0]
    # id 10, 200x100 (x0.1953125): box 0 (cx 60, w 101) decodes to [9, 15, 110, 25]; box 2 lies at
    # grid y 550..650 = pixels 107.4..126.9, below the 100-pixel image: clipped to y = 99 (empty).
    np.testing.assert_array_equal(gt.boxes, [[1.7578125, 2.9296875, 21.484375, 4.8828125],
                                             [15.625, 15.625, 23.4375, 23.4375],
                                             [95.1171875, 99.0, 104.8828125, 99.0]])
    assert gt.labels.tolist() == [1, 2, 3]
    assert gt.relations.tolist() == [[0, 1, 1], [2, 0, 2]]
    assert (gt.image_id, gt.width, gt.height) == (10, 200, 100)
    record = val[0]                   # val/test records are the ground truth row for row (box rule)
    np.testing.assert_array_equal(record.boxes, gt.boxes)
    assert record.gt_box_index.tolist() == [0, 1, 2]
    assert record.relations.tolist() == [[0, 1, 1], [2, 0, 2]]
    assert record.attributes.shape == (3, 10)
    # The same image as a training target (num_val_im=0 puts it in train): the empty box goes.
    train = open_dataset(vg, "train", num_val_im=0)
    record = train[list(train.image_ids).index(10)]
    np.testing.assert_array_equal(record.boxes, gt.boxes[:2])
    assert record.gt_box_index.tolist() == [0, 1]
    assert record.relations.tolist() == [[0, 1, 1]]          # relation of the removed box dropped
    assert record.attributes.shape == (2, 10)
    assert record.training_relations(np.random.default_rng(0)).tolist() == [[0, 1, 1]]


def test_test_ground_truth_clipped_and_duplicates_kept(vg):
    test = open_dataset(vg, "test", num_val_im=1)
    gt = test.ground_truth()[0]
    # id 15, 1024x768 (x1): box 0 (cx 512, cy 700, w 101, h 200) -> [461, 600, 562, 800], y2 clipped to 767
    np.testing.assert_array_equal(gt.boxes, [[461, 600, 562, 767], [74, 74, 125, 125]])
    assert gt.relations.tolist() == [[0, 1, 3], [0, 1, 3], [0, 1, 1]]
    # no de-duplication outside train
    assert test[0].training_relations(np.random.default_rng(0)).tolist() == [[0, 1, 3], [0, 1, 3], [0, 1, 1]]
    vocab, listed = load_ground_truth(vg, "test", num_val_im=1)
    assert vocab.object_classes[1] == "apple"
    np.testing.assert_array_equal(listed[0].boxes, gt.boxes)


def test_training_relations_one_random_predicate_per_pair(vg):
    record = open_dataset(vg, "train", num_val_im=1)[1]          # id 14
    seen = set()
    for seed in range(40):
        rels = record.training_relations(np.random.default_rng(seed)).tolist()
        assert [r[:2] for r in rels] == [[0, 1], [2, 3], [0, 3]]  # pairs in first-seen order
        assert rels[1][2] == 3 and rels[2][2] == 2
        seen.add(rels[0][2])
    assert seen == {1, 2}
    off = open_dataset(vg, "train", num_val_im=1, filter_duplicate_rels=False)[1]
    assert len(off.training_relations(np.random.default_rng(0))) == 5


def test_deduplicate_relations_empty():
    assert deduplicate_relations(np.zeros((0, 3), np.int64), np.random.default_rng(0)).shape == (0, 3)


def test_filter_non_overlap_train_only(vg):
    train = open_dataset(vg, "train", num_val_im=1, filter_non_overlap=True)
    # id 13's only relation joins far-apart boxes -> image dropped; id 14 loses (0, 3, 2);
    # id 18's boxes touch (x2 = 10 = x1): IoU > 0 under the +1 convention, so it stays.
    assert ids(train) == [14, 17, 18]
    assert train[0].relations.tolist() == [[0, 1, 1], [0, 1, 1], [0, 1, 2], [2, 3, 3]]
    assert ids(open_dataset(vg, "val", num_val_im=1, filter_non_overlap=True)) == [10]
    assert ids(open_dataset(vg, "test", num_val_im=1, filter_non_overlap=True)) == [15]


def test_keep_empty_rels(vg):
    train = open_dataset(vg, "train", num_val_im=1, filter_empty_rels=False)
    assert ids(train) == [11, 13, 14, 17, 18]                  # id 12 has no box: always dropped
    assert train[0].relations.shape == (0, 3)
    assert train.ground_truth()[0].relations.shape == (0, 3)
    assert ids(open_dataset(vg, "test", num_val_im=1, filter_empty_rels=False)) == [15, 16]


def test_num_im_truncates_before_val(vg):
    assert ids(open_dataset(vg, "val", num_val_im=1, num_im=2)) == [10]
    assert ids(open_dataset(vg, "train", num_val_im=1, num_im=2)) == [13]
    assert ids(open_dataset(vg, "test", num_val_im=1, num_im=0)) == []


def test_num_val_im_default_and_settings_file(tmp_path):
    plain = write_vg_folder(tmp_path / "plain")
    # The default 5000 would swallow all 5 train images: rejected rather than an empty train split.
    for split in ("val", "train"):
        with pytest.raises(DataFormatError, match=r"sgg-bench\.json: num_val_im: expected fewer than the 5 train "
                                                  r"images .*, found 5000"):
            open_dataset(plain, split)
    assert ids(open_dataset(plain, "test")) == [15]                    # test does not depend on num_val_im
    assert ids(open_dataset(plain, "val", num_val_im=4)) == [10, 13, 14, 17]
    configured = write_vg_folder(tmp_path / "configured", settings={"num_val_im": 2})
    assert ids(open_dataset(configured, "val")) == [10, 13]
    assert ids(open_dataset(configured, "train")) == [14, 17, 18]
    assert ids(open_dataset(configured, "train", num_val_im=0)) == [10, 13, 14, 17, 18]


def test_attribute_free_pair(tmp_path):
    root = write_vg_folder(tmp_path / "old", attribute_free=True)
    train = open_dataset(root, "train", num_val_im=1)
    assert ids(train) == [13, 14, 17, 18]
    assert train.vocab.attribute_classes == [] and train[0].attributes is None
    assert train.vocab.predicate_classes == ["__background__", "above", "near", "on"]


def test_fingerprint_tracks_file_content(tmp_path):
    a = open_dataset(write_vg_folder(tmp_path / "a"), "test")
    b = open_dataset(write_vg_folder(tmp_path / "b"), "test")
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 16
    changed = [{"image_id": 10, "width": 201, "height": 100}] + IMAGE_DATA[1:]
    c = open_dataset(write_vg_folder(tmp_path / "c", image_data=changed), "test")
    assert c.fingerprint != a.fingerprint


def test_index_errors_and_bad_split(vg):
    test = open_dataset(vg, "test", num_val_im=1)
    assert test[-1].image_id == 15
    with pytest.raises(IndexError):
        test[1]
    with pytest.raises(ConfigError):
        open_dataset(vg, "validation")
