"""Every format violation is a DataFormatError naming the file, the key or row, and the expectation.

Each case corrupts the tiny folder one way; both the reader and ``sgg-bench data check``
must report it (they share the validation code).
"""
import json
import re

import pytest

from sgg_bench.cli import main
from sgg_bench.data import open_dataset
from sgg_bench.errors import DataFormatError
from sgg_data_builders import (IMAGE_DATA, OI_TEST, OI_TRAIN, vg_arrays, write_openimages_folder,
                               write_vg_folder)

H5 = "VG-SGG-with-attri.h5"


def _vg_array(key, row, value):
    array = vg_arrays()[key]
    array[row] = value
    return {key: array}


def _remove(relative):
    return lambda root: (root / relative).unlink()


VG_CASES = {
    "missing file": (dict(), _remove("image_data.json"), "train",
                     r"image_data\.json: file: expected VG image metadata"),
    "missing dicts file": (dict(), _remove("VG-SGG-dicts-with-attri.json"), "test",
                           r"VG-SGG-dicts-with-attri\.json: file: expected the vocabulary file"),
    "missing h5 key": (dict(arrays={"predicates": None}), None, "test", rf"{H5}: predicates: expected this key"),
    "label out of range": (dict(arrays=_vg_array("labels", 5, 7)), None, "test",
                           rf"{H5}: labels\[5\]: expected an object class in 1\.\.4, found 7"),
    "predicate out of range": (dict(arrays=_vg_array("predicates", 2, 0)), None, "test",
                               rf"{H5}: predicates\[2\]: expected a predicate class in 1\.\.3, found 0"),
    "relationship index out of range": (dict(arrays=_vg_array("relationships", 3, [6, 99])), None, "test",
                                        rf"{H5}: relationships\[3\]: expected global object row indices in 0\.\.16"),
    "img_to_last_box out of range": (dict(arrays=_vg_array("img_to_last_box", 1, 99)), None, "test",
                                     rf"{H5}: img_to_first_box\[1\] / img_to_last_box\[1\]: expected .* 0\.\.16, "
                                     r"found \(3, 99\)"),
    "img_to_first_rel after last": (dict(arrays=_vg_array("img_to_first_rel", 4, 9)), None, "test",
                                    rf"{H5}: img_to_first_rel\[4\] / img_to_last_rel\[4\]: expected .*relation rows"),
    "relations without boxes": (dict(arrays=_vg_array("img_to_first_rel", 2, 0) | _vg_array("img_to_last_rel", 2, 0)),
                                None, "test", rf"{H5}: img_to_first_rel\[2\]: expected -1 for an image without objects"),
    "non-positive box size": (dict(arrays=_vg_array("boxes_1024", 4, [10, 10, 0, 10])), None, "test",
                              rf"{H5}: boxes_1024\[4\]: expected \(cx, cy, w, h\) with cx, cy >= 0 and w, h > 0, "
                              r"found \[10, 10, 0, 10\]"),
    "relation to another image's box": (dict(arrays=_vg_array("relationships", 2, [4, 6])), None, "test",
                                        rf"{H5}: relationships\[2\]: expected subject and object in object rows "
                                        r"4\.\.5 of image row 3"),
    "bad split value": (dict(arrays=_vg_array("split", 3, 1)), None, "test",
                        rf"{H5}: split\[3\]: expected 0 \(train\) or 2 \(test\), found 1"),
    "missing image file": (dict(), _remove("VG_100K/14.jpg"), "train",
                           r"VG_100K/14\.jpg: image file: expected the image of image_data\.json row 5, found missing"),
    "image_data length": (dict(image_data=IMAGE_DATA[:-1]), None, "test",
                          r"image_data\.json: length: expected 9 entries after skipping the corrupted ids "
                          r"\[1592, 1722, 4616, 4617\] \(one per image row of VG-SGG-with-attri\.h5\), found 8"),
    "image_data bad width": (dict(image_data=IMAGE_DATA[:2] + [{"image_id": 11, "height": 3}] + IMAGE_DATA[3:]), None,
                             "test", r"image_data\.json: \[2\]\.width: expected an integer, found missing"),
}



def _assert_reader_and_check_fail(root, mutate, split, pattern, capsys):
    """After ``mutate(root)``, the reader and ``data check`` both report the violation."""
    if mutate:
        mutate(root)
    with pytest.raises(DataFormatError, match=pattern):
        open_dataset(root, split)
    assert main(["data", "check", str(root)]) == 2
    assert re.search(pattern, capsys.readouterr().err)

@pytest.mark.parametrize("case", sorted(VG_CASES))
def test_vg_violation(tmp_path, capsys, case):
    build, mutate, split, pattern = VG_CASES[case]
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1}, **build)
    _assert_reader_and_check_fail(root, mutate, split, pattern, capsys)


def _oi_entry(rows, row, **changes):
    entries = json.loads(json.dumps(rows))
    entries[row].update(changes)
    return entries


OI_CASES = {
    "missing annotation file": (dict(), _remove("annotations/vrd-test-anno.json"), "test",
                                r"vrd-test-anno\.json: file: expected the test annotation list"),
    "missing key": (dict(train=[{k: v for k, v in OI_TRAIN[0].items() if k != "rel"}]), None, "train",
                    r"vrd-train-anno\.json: \[0\]\.rel: expected this key to be present"),
    "label out of range": (dict(train=_oi_entry(OI_TRAIN, 0, det_labels=[1, 3])), None, "train",
                           r"vrd-train-anno\.json: \[0\]\.det_labels\[1\]: expected a 0-based object class in 0\.\.2"),
    "predicate out of range": (dict(test=_oi_entry(OI_TEST, 1, rel=[[0, 1, 0], [1, 0, 2]])), None, "test",
                               r"vrd-test-anno\.json: \[1\]\.rel\[1\]: expected a 0-based predicate in 0\.\.1"),
    "relation index out of range": (dict(test=_oi_entry(OI_TEST, 1, rel=[[0, 2, 0]])), None, "test",
                                    r"vrd-test-anno\.json: \[1\]\.rel\[0\]: expected subject and object indices"),
    "inverted box": (dict(train=_oi_entry(OI_TRAIN, 3, bbox=[[0, 0, 10, 10], [20, 20, 10, 30], [5, 5, 25, 25]])),
                     None, "train", r"vrd-train-anno\.json: \[3\]\.bbox\[1\]: expected \[x1, y1, x2, y2\] with x2 >= x1"),
    "labels and boxes differ": (dict(train=_oi_entry(OI_TRAIN, 0, det_labels=[1])), None, "train",
                                r"vrd-train-anno\.json: \[0\]\.det_labels: expected one label per box \(2\)"),
    "bad image size": (dict(val=[dict(OI_TRAIN[0], img_size=[0, 5])]), None, "val",
                       r"vrd-val-anno\.json: \[0\]\.img_size: expected \[width, height\]"),
    "missing image file": (dict(), _remove("images/ggg.jpg"), "test",
                           r"images/ggg\.jpg: image file: expected the image of vrd-test-anno\.json row 1"),
}


@pytest.mark.parametrize("case", sorted(OI_CASES))
def test_openimages_violation(tmp_path, capsys, case):
    build, mutate, split, pattern = OI_CASES[case]
    root = write_openimages_folder(tmp_path / "oi", **build)
    _assert_reader_and_check_fail(root, mutate, split, pattern, capsys)


def test_unknown_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match="dataset folder: expected VG150"):
        open_dataset(tmp_path / "empty", "test")
    assert main(["data", "check", str(tmp_path / "missing")]) == 2
    assert "missing: dataset folder: expected an existing folder" in capsys.readouterr().err


def test_settings_file_checked(tmp_path):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": -3})
    with pytest.raises(DataFormatError, match=r"sgg-bench\.json: num_val_im: expected a non-negative integer"):
        open_dataset(root, "val")


def test_corrupt_h5(tmp_path):
    root = write_vg_folder(tmp_path / "vg")
    (root / H5).write_bytes(b"not hdf5")
    with pytest.raises(DataFormatError, match=rf"{H5}: file: expected a readable HDF5 file"):
        open_dataset(root, "test")
