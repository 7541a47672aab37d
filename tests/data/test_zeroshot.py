"""Zero-shot triplets: derivation by hand on the tiny folders, and list loading/validation."""
from pathlib import Path

import numpy as np
import pytest

from sgg_bench.data.zeroshot import derive_zeroshot_triplets, load_zeroshot_list, unseen_triplets
from sgg_bench.errors import DataFormatError
from sgg_data_builders import write_openimages_folder, write_vg_folder

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_derive_vg(tmp_path):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    # test triplets: (1,2,3) and (1,2,1); (1,2,1) is seen in id 10, which is a val image
    np.testing.assert_array_equal(derive_zeroshot_triplets(root), [[1, 2, 3]])
    np.testing.assert_array_equal(derive_zeroshot_triplets(root, exclude_val=True), [[1, 2, 1], [1, 2, 3]])


def test_derive_openimages(tmp_path):
    root = write_openimages_folder(tmp_path / "oi")
    # train: (2,1,2), (2,1,1), (3,1,2); test: (3,2,1), (2,3,2)
    np.testing.assert_array_equal(derive_zeroshot_triplets(root), [[2, 3, 2], [3, 2, 1]])


def test_unseen_triplets_empty_inputs():
    assert unseen_triplets(np.zeros((0, 3), np.int64), np.zeros((0, 3), np.int64)).shape == (0, 3)
    np.testing.assert_array_equal(unseen_triplets(np.array([[1, 1, 1]]), np.zeros((0, 3), np.int64)), [[1, 1, 1]])


@pytest.mark.skipif(not (SHARED_DATA / "zeroshot_triplet.npy").is_file(), reason="shared data absent")
def test_load_published_vg_list():
    triplets = load_zeroshot_list(SHARED_DATA / "zeroshot_triplet.npy", num_object_classes=151,
                                  num_predicate_classes=51)
    assert triplets.shape == (5971, 3) and triplets.dtype == np.int64


def test_load_text_list(tmp_path):
    path = tmp_path / "zs.txt"
    path.write_text("# subject object predicate\n1 2 3\n\n4,5,6  # comma separated\n")
    np.testing.assert_array_equal(load_zeroshot_list(path), [[1, 2, 3], [4, 5, 6]])
    (tmp_path / "empty.txt").write_text("")
    assert load_zeroshot_list(tmp_path / "empty.txt").shape == (0, 3)


def test_load_errors(tmp_path):
    bad_line = tmp_path / "bad.txt"
    bad_line.write_text("1 2 3\n1 2\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt: line 2"):
        load_zeroshot_list(bad_line)
    wrong_shape = tmp_path / "shape.npy"
    np.save(wrong_shape, np.ones((4, 2), np.int64))
    with pytest.raises(DataFormatError, match=r"shape\.npy: array: expected shape \(Z, 3\)"):
        load_zeroshot_list(wrong_shape)
    floats = tmp_path / "floats.npy"
    np.save(floats, np.ones((4, 3), np.float32))
    with pytest.raises(DataFormatError, match="integer dtype"):
        load_zeroshot_list(floats)
    out_of_range = tmp_path / "range.npy"
    np.save(out_of_range, np.array([[1, 1, 1], [1, 151, 2]]))
    with pytest.raises(DataFormatError, match=r"range\.npy: row 1 column 1: expected object class in 1\.\.150"):
        load_zeroshot_list(out_of_range, num_object_classes=151, num_predicate_classes=51)
    background = tmp_path / "bg.txt"
    background.write_text("0 1 1\n")
    with pytest.raises(DataFormatError, match="row 0 column 0"):
        load_zeroshot_list(background)
    with pytest.raises(DataFormatError, match="found nothing at this path"):
        load_zeroshot_list(tmp_path / "nothing.npy")
