"""Frequency statistics (docs/FORMATS.md) on the hand-built folders, value by value."""
from pathlib import Path

import numpy as np
import pytest

from sgg_bench.data import statistics
from sgg_bench.data.dataset import SceneGraphTable
from sgg_bench.data.statistics import count_background, frequency_prior, get_frequency_statistics
from sgg_bench.data.ranges import counts_to_offsets
from sgg_data_builders import write_openimages_folder, write_vg_folder


def expected_vg_counts():
    """Train minus val (id 10) with filter_non_overlap: ids 14, 17, 18 (id 13 dropped).

    fg: id 14 (labels 1,1,2,3): (0,1,1) x2, (0,1,2), (2,3,3) [its (0,3,2) fails the overlap filter];
        id 17 (labels 2,2): (1,0,2); id 18 (labels 3,4): (0,1,1).
    bg: id 14: boxes 2/3 intersect with area -> (2,3), (3,2); boxes 0/1 only touch (area 0).
        id 17: the two boxes intersect -> (2,2) twice. id 18: no positive-area pair -> all
        ordered pairs: (3,4), (4,3).
    """
    fg = np.zeros((5, 5, 4), np.int64)
    fg[1, 1, 1] = 2
    fg[1, 1, 2] = 1
    fg[2, 3, 3] = 1
    fg[2, 2, 2] = 1
    fg[3, 4, 1] = 1
    bg = np.zeros((5, 5), np.int64)
    bg[2, 3] = bg[3, 2] = 1
    bg[2, 2] = 2
    bg[3, 4] = bg[4, 3] = 1
    return fg, bg


def test_vg_statistics_value_by_value(tmp_path):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    stats = get_frequency_statistics(root)
    fg, bg = expected_vg_counts()
    np.testing.assert_array_equal(stats["bg_matrix"], bg + 1)
    fg[:, :, 0] = bg + 1
    np.testing.assert_array_equal(stats["fg_matrix"], fg)
    assert stats["num_images"] == 3
    assert stats["pred_dist"].dtype == np.float32 and stats["pred_dist"].shape == (5, 5, 4)
    # cell (2, 2): [bg + 1 = 3, 0, 1, 0] / 4
    np.testing.assert_allclose(stats["pred_dist"][2, 2], np.log([0.75 + 1e-3, 1e-3, 0.25 + 1e-3, 1e-3]), rtol=1e-6)
    # cell (1, 1): [1, 2, 1, 0] / 4
    np.testing.assert_allclose(stats["pred_dist"][1, 1], np.log([0.25 + 1e-3, 0.5 + 1e-3, 0.25 + 1e-3, 1e-3]),
                               rtol=1e-6)
    np.testing.assert_allclose(stats["pred_dist"][0, 0], np.log([1 + 1e-3, 1e-3, 1e-3, 1e-3]), rtol=1e-6)


def test_pysgg_variant_has_no_log(tmp_path):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    stats = get_frequency_statistics(root, variant="pysgg")
    np.testing.assert_allclose(stats["pred_dist"][2, 2], [0.751, 0.001, 0.251, 0.001], rtol=1e-6)
    with pytest.raises(ValueError):
        get_frequency_statistics(root, variant="motifs")


def test_without_overlap_filter_counts_every_relation(tmp_path):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    stats = get_frequency_statistics(root, filter_non_overlap=False, use_cache=False)
    assert stats["num_images"] == 4
    assert stats["fg_matrix"][1, 4, 3] == 1     # id 13's far pair
    assert stats["fg_matrix"][1, 3, 2] == 1     # id 14's far pair
    assert stats["bg_matrix"][1, 4] == 2 and stats["bg_matrix"][4, 1] == 2   # id 13 falls back to all pairs


def test_cache_is_written_and_reused(tmp_path, monkeypatch):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    first = get_frequency_statistics(root)
    cached = list((root / ".sgg-bench-cache").glob("freq*.npz"))
    assert len(cached) == 1
    monkeypatch.setattr(statistics, "_training_dataset", lambda *a: pytest.fail("recomputed despite the cache"))
    second = get_frequency_statistics(root)
    for key in ("fg_matrix", "bg_matrix", "pred_dist"):
        np.testing.assert_array_equal(first[key], second[key])
    assert second["num_images"] == 3 and second["fingerprint"] == first["fingerprint"]


def test_cache_follows_file_content(tmp_path):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    first = get_frequency_statistics(root)
    write_vg_folder(root, settings={"num_val_im": 1}, arrays={"predicates": np.full((13, 1), 3, np.int64)})
    second = get_frequency_statistics(root)
    assert second["fingerprint"] != first["fingerprint"]
    assert len(list((root / ".sgg-bench-cache").glob("freq*.npz"))) == 2
    assert second["fg_matrix"][:, :, 1:3].sum() == 0 and second["fg_matrix"][:, :, 3].sum() == 6


def test_background_single_box_and_fallback():
    # image 0: one box (no pair); image 1: two disjoint boxes (fallback: both orders);
    # image 2: three boxes, 0/1 overlap, 2 apart -> only (0,1) and (1,0)
    boxes = np.array([[0, 0, 5, 5],
                      [0, 0, 2, 2], [5, 5, 9, 9],
                      [0, 0, 4, 4], [2, 2, 6, 6], [20, 20, 30, 30]], np.float32)
    table = SceneGraphTable(image_ids=np.arange(3), source_rows=np.arange(3), widths=np.full(3, 50),
                            heights=np.full(3, 50), image_paths=[Path("x")] * 3, boxes=boxes,
                            labels=np.array([1, 1, 2, 1, 2, 2]), box_offsets=counts_to_offsets([1, 2, 3]),
                            relations=np.zeros((0, 3), np.int64), rel_offsets=np.zeros(4, np.int64))
    expected = np.zeros((3, 3), np.int64)
    expected[1, 2] = expected[2, 1] = 2
    np.testing.assert_array_equal(count_background(table, 3), expected)


def test_frequency_prior_sets_background_column():
    fg, bg, dist = frequency_prior(np.zeros((2, 2, 3), np.int64), np.zeros((2, 2), np.int64))
    assert (bg == 1).all() and (fg[:, :, 0] == 1).all()
    np.testing.assert_allclose(dist[0, 0], np.log([1.001, 0.001, 0.001]), rtol=1e-6)


def test_openimages_statistics_use_train_file(tmp_path):
    root = write_openimages_folder(tmp_path / "oi")
    stats = get_frequency_statistics(root)
    # train rows 0 (labels 2,1; boxes overlap) and 3 (labels 1,1,3; box 2 overlaps boxes 0 and 1)
    bg = np.ones((4, 4), np.int64)
    bg[2, 1] += 1
    bg[1, 2] += 1
    bg[1, 3] += 2
    bg[3, 1] += 2
    np.testing.assert_array_equal(stats["bg_matrix"], bg)
    assert stats["fg_matrix"][2, 1, 2] == 2 and stats["fg_matrix"][2, 1, 1] == 1 and stats["fg_matrix"][3, 1, 2] == 1
    assert stats["fg_matrix"][:, :, 1:].sum() == 4
