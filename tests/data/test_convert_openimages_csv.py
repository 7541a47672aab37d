"""`sgg-bench data convert --from openimages-csv`: OpenImages V6 CSVs -> BGNN/PySGG json layout."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from convert_roundtrip import convert, data_check_json, dropped, train_and_evaluate_frequency, write_jpeg
from sgg_bench.cli import main
from sgg_bench.data import open_dataset
from sgg_bench.data.statistics import get_frequency_statistics

HEADER = "ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,RelationshipLabel\n"
MAN, TABLE, GUITAR, CAR = "/m/man,0.1,0.5,0.1,0.9", "/m/table,0.4,0.9,0.5,1.0", "/m/guitar,0.2,0.3,0.3,0.6", \
    "/m/car,0,1,0,1"


def _pair(image, subject, obj, predicate):
    s_label, *s_box = subject.split(",")
    o_label, *o_box = obj.split(",")
    return ",".join([image, s_label, o_label, *s_box, *o_box, predicate]) + "\n"


TRAIN = [_pair("img1", MAN, TABLE, "at"), _pair("img1", MAN, GUITAR, "plays"),
         "img1,/m/guitar,/m/wooden,0.2,0.3,0.3,0.6,0.2,0.3,0.3,0.6,is\n",   # attribute relation
         _pair("img1", MAN, MAN, "at"), _pair("img2", MAN, CAR, "on"), _pair("img3", MAN, TABLE, "at")]
VAL = [_pair("img4", MAN, TABLE, "at")]
TEST = [_pair("img5", MAN, GUITAR, "plays"), _pair("img5", MAN, GUITAR, "plays")]
BOXES = ("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,"
         "IsInside\nimg1,xclick,/m/car,1,0.0,0.1,0.0,0.1,0,0,0,0,0\nimg2,xclick,/m/car,1,0,1,0,1,0,0,0,0,0\n"
         "other,xclick,/m/car,1,0,1,0,1,0,0,0,0,0\n")
SIZES = {"img1": (200, 100), "img2": (50, 50), "img4": (40, 40), "img5": (64, 48)}   # img3.jpg is missing


def write_openimages_csv(src: Path, *, train=None, classes=None) -> Path:
    src.mkdir(parents=True)
    (src / "oidv6-class-descriptions-boxable.csv").write_text(
        classes or "/m/man,Man\n/m/car,Car\n/m/table,Table\n/m/guitar,Guitar\n")
    (src / "oidv6-train-annotations-vrd.csv").write_text(HEADER + "".join(train or TRAIN))
    (src / "validation-annotations-vrd.csv").write_text(HEADER + "".join(VAL))
    (src / "test-annotations-vrd.csv").write_text(HEADER + "".join(TEST))
    (src / "oidv6-train-annotations-bbox.csv").write_text(BOXES)
    for name, (w, h) in SIZES.items():
        write_jpeg(src / "images" / f"{name}.jpg", w, h)
    return src


def test_openimages_csv_round_trip(tmp_path, capsys):
    src = write_openimages_csv(tmp_path / "csv")
    out = tmp_path / "oi"
    report = convert([str(src), "--from", "openimages-csv", "--out", str(out)], capsys)
    assert report["kept"] == {"images": 4, "objects": 10, "relations": 6}
    assert dropped(report) == {("images", "image file missing"): 1, ("objects", "image dropped"): 2,
                               ("relations", "image dropped"): 1,
                               ("relations", "attribute relation 'is' (dropped as BGNN/PySGG do)"): 1,
                               ("relations", "subject equals object (same class and box)"): 1}
    categories = json.loads((out / "annotations" / "categories_dict.json").read_text())
    assert categories == {"obj": ["Car", "Guitar", "Man", "Table"], "rel": ["at", "on", "plays"]}
    train = json.loads((out / "annotations" / "vrd-train-anno.json").read_text())
    assert train[0] == {"bbox": [[20.0, 10.0, 100.0, 90.0], [80.0, 50.0, 180.0, 100.0], [40.0, 30.0, 60.0, 60.0],
                                 [0.0, 0.0, 20.0, 10.0]],
                        "det_labels": [2, 3, 1, 0], "rel": [[0, 1, 0], [0, 2, 2]], "img_size": [200, 100],
                        "img_fn": "img1"}
    assert train[1]["det_labels"] == [2, 0] and train[1]["rel"] == [[0, 1, 1]]   # the bbox file's car is the same box
    summary = data_check_json(out, capsys)[0]
    assert {split: (c["images"], c["objects"], c["relations"]) for split, c in summary["splits"].items()} == {
        "train": (2, 6, 3), "val": (1, 2, 1), "test": (1, 2, 2)}
    test = open_dataset(out, "test").ground_truth()[0]
    np.testing.assert_allclose(test.boxes, [[6.4, 4.8, 32.0, 43.2], [12.8, 14.4, 19.2, 28.8]], rtol=1e-6)
    stats = get_frequency_statistics(out, use_cache=False)
    # 1-based in memory: Car 1, Guitar 2, Man 3, Table 4; at 1, on 2, plays 3
    assert int(stats["fg_matrix"][3, 4, 1]) == 1 and int(stats["fg_matrix"][3, 2, 3]) == 1
    assert int(stats["fg_matrix"][3, 1, 2]) == 1 and int(stats["fg_matrix"][:, :, 1:].sum()) == 3


def test_openimages_csv_with_given_vocabulary(tmp_path, capsys):
    src = write_openimages_csv(tmp_path / "csv")
    vocab = tmp_path / "categories_dict.json"
    vocab.write_text(json.dumps({"obj": ["Man", "Table", "Dog"], "rel": ["at", "on"]}))
    out = tmp_path / "oi"
    report = convert([str(src), "--from", "openimages-csv", "--out", str(out), "--vocab", str(vocab)], capsys)
    # kept objects: Man, Table (img1) | Man (img2) | Man, Table (img4) | Man (img5); relations: 2 x (man at table)
    assert report["kept"] == {"images": 4, "objects": 6, "relations": 2}
    drops = dropped(report)
    assert drops[("objects", "class not in the object vocabulary")] == 4        # guitar, car | car | guitar
    assert drops[("relations", "subject or object dropped")] == 4               # plays | on | plays x2
    assert data_check_json(out, capsys)[0]["object_classes"] == 3


BAD = {
    "fraction above 1": (lambda t: t[:1] + [_pair("img1", "/m/man,0.1,1.5,0.1,0.9", TABLE, "at")],
                         "oidv6-train-annotations-vrd.csv: row 3 column XMax1: expected a box corner as a fraction"),
    "inverted box": (lambda t: [_pair("img1", MAN, "/m/table,0.9,0.4,0.5,1.0", "at")],
                     "oidv6-train-annotations-vrd.csv: row 2 columns XMin2..YMax2: expected XMax >= XMin"),
    "unknown class": (lambda t: [_pair("img1", MAN, "/m/zebra,0,1,0,1", "at")],
                      "oidv6-train-annotations-vrd.csv: row 2 column LabelName2: expected a label id of the class "
                      "descriptions, found /m/zebra"),
    "image id leaving the folder": (lambda t: [_pair("../img1", MAN, TABLE, "at")],
                                    "row 2 column ImageID: expected an image file stem"),
    "not a number": (lambda t: [_pair("img1", "/m/man,x,0.5,0.1,0.9", TABLE, "at")],
                     "row 2 column XMin1: expected a box corner as a fraction in [0, 1], found 'x'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_openimages_csv_bad_input(tmp_path, capsys, case):
    mutate, message = BAD[case]
    src = write_openimages_csv(tmp_path / "csv", train=mutate(list(TRAIN)))
    assert main(["data", "convert", str(src), "--from", "openimages-csv", "--out", str(tmp_path / "oi")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and message in err
    assert not (tmp_path / "oi").exists()


def test_openimages_csv_missing_header_column(tmp_path, capsys):
    src = write_openimages_csv(tmp_path / "csv")
    (src / "test-annotations-vrd.csv").write_text("ImageID,LabelName1\nimg5,/m/man\n")
    assert main(["data", "convert", str(src), "--from", "openimages-csv", "--out", str(tmp_path / "oi")]) == 2
    assert "test-annotations-vrd.csv: header: expected the columns ImageID" in capsys.readouterr().err


@pytest.mark.slow
def test_openimages_csv_frequency_run_and_evaluation(tmp_path, capsys):
    src = write_openimages_csv(tmp_path / "csv")
    convert([str(src), "--from", "openimages-csv", "--out", str(tmp_path / "oi"), "--images", "copy"], capsys)
    result = train_and_evaluate_frequency(tmp_path / "oi", tmp_path, dataset="openimages")
    # Test img5: (Man, Guitar, plays) twice; training saw (Man, Guitar, plays), so plays ranks first
    # for that pair: every GT triplet is recalled; mean recall averages over the 3 predicates (1/3).
    assert result["metrics"]["R@50"] == 1.0 and result["metrics"]["oi/R@50"] == pytest.approx(1.0)
    assert result["metrics"]["mR@50"] == pytest.approx(1 / 3)
