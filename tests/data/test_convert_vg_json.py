"""`sgg-bench data convert --from vg-json`: raw Visual Genome json with its quirks -> VG150 folder,
then `data check`, frequency statistics and a frequency run on the result."""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from convert_roundtrip import (convert, data_check_json, dropped, train_and_evaluate_frequency, write_jpeg)
from sgg_bench.cli import main
from sgg_bench.data import open_dataset
from sgg_bench.data.statistics import get_frequency_statistics


def _obj(object_id, x, y, w, h, *names, key="names"):
    value = list(names) if key == "names" else names[0]
    return {"object_id": object_id, "x": x, "y": y, "w": w, "h": h, key: value}


def _rel(predicate, subject, obj):
    return {"predicate": predicate, "subject": subject, "object": obj}


MAN = _obj(11, 10, 10, 30, 40, "Man")
SHIRT = _obj(12, 15, 20, 10, 10, "shirt", key="name")            # older releases: "name"
HAT = _obj(14, 12, 5, 8, 5, "hat")                               # only in relationships.json
DOG = _obj(21, 1, 1, 50, 50, "dog")
DOG_AGAIN = _obj(22, 2, 2, 49, 49, "dog")                         # same box: merged into 21
BALL = _obj(23, 60, 60, 10, 10, "ball.")                         # punctuation stripped
FLEA = _obj(24, 80, 80, 1, 1, "flea")                            # 1 px^2 <= 0.002 * 100 * 100
GHOST = _obj(25, 5, 5, 0, 9, "ghost")                            # zero width
CAT = _obj(31, 5, 5, 20, 20, "cat")
MAT = _obj(32, 1, 20, 40, 10, "mat")
GUY = _obj(33, 50, 50, 30, 30, "Guy")                            # alias of man

IMAGES = [{"image_id": i, "width": 100, "height": 100, "url": f"http://x/{i}.jpg"} for i in (1, 2, 1592, 3, 5, 4)]
OBJECTS = [{"image_id": 1, "objects": [MAN, SHIRT, MAN]},        # MAN listed twice
           {"image_id": 2, "objects": [DOG, DOG_AGAIN, BALL, FLEA, GHOST]},
           {"image_id": 1592, "objects": [CAT]},
           {"image_id": 3, "objects": [CAT, MAT, GUY]},
           {"image_id": 5, "objects": [CAT]},
           {"image_id": 4, "objects": []}]
RELATIONSHIPS = [
    {"image_id": 1, "relationships": [_rel("WEARING", MAN, SHIRT), _rel("on", SHIRT, MAN), _rel("Has", MAN, HAT)]},
    {"image_id": 2, "relationships": [_rel("near", DOG, BALL), _rel("near", DOG_AGAIN, DOG), _rel("on", FLEA, DOG)]},
    {"image_id": 1592, "relationships": []},
    {"image_id": 3, "relationships": [_rel("sitting on", CAT, MAT), _rel("near", GUY, CAT)]},
    {"image_id": 5, "relationships": []},
    {"image_id": 4, "relationships": []},
]
ATTRIBUTES = [{"image_id": 1, "attributes": [{"object_id": 12, "attributes": ["Red", "striped"]}]},
              {"image_id": 3, "attributes": [{"object_id": 31, "attributes": ["black"]}]}]


def write_raw_vg(src: Path, *, objects=None, relationships=None, image_data=None, attributes=True) -> Path:
    src.mkdir(parents=True)
    for name, content in (("objects.json", objects or OBJECTS), ("relationships.json", relationships or RELATIONSHIPS),
                          ("image_data.json", image_data or IMAGES)):
        (src / name).write_text(json.dumps(content))
    if attributes:
        (src / "attributes.json").write_text(json.dumps(ATTRIBUTES))
    (src / "object_alias.txt").write_text("man,men,guy\n")
    (src / "relationship_alias.txt").write_text("on,sitting on,on top of\n")
    for image_id in (1, 2, 1592, 3, 4):                               # 5.jpg is missing
        write_jpeg(src / ("VG_100K" if image_id < 3 else "VG_100K_2") / f"{image_id}.jpg", 100, 100, seed=image_id)
    return src


EXPECTED_DROPS = {
    ("images", "one of the four corrupted VG images the standard loader skips"): 1,
    ("images", "image file missing from VG_100K / VG_100K_2 / images"): 1,
    ("objects", "object_id listed twice in one image (first kept)"): 1,
    ("objects", "zero-size box"): 1,
    ("objects", "area at most 0.002 of the image (--min-box-area-frac)"): 1,
    ("objects", "merged into a duplicate box of the same image"): 1,
    ("relations", "subject or object dropped"): 1,
    ("relations", "subject and object are the same (merged) box"): 1,
}


def test_vg_json_standard_recipe_round_trip(tmp_path, capsys):
    src = write_raw_vg(tmp_path / "raw")
    out = tmp_path / "vg"
    report = convert([str(src), "--from", "vg-json", "--out", str(out)], capsys)
    # kept: images 1, 2, 3, 4; objects man shirt hat | dog ball | cat mat man; 6 relations
    assert report["kept"] == {"images": 4, "objects": 8, "relations": 6}
    assert dropped(report) == EXPECTED_DROPS
    dicts = json.loads((out / "VG-SGG-dicts-with-attri.json").read_text())
    assert dicts["idx_to_label"] == {"1": "ball", "2": "cat", "3": "dog", "4": "hat", "5": "man", "6": "mat",
                                     "7": "shirt"}
    assert dicts["idx_to_predicate"] == {"1": "has", "2": "near", "3": "on", "4": "wearing"}
    assert dicts["predicate_count"] == {"has": 1, "near": 2, "on": 2, "wearing": 1}
    assert dicts["idx_to_attribute"] == {"1": "black", "2": "red", "3": "striped"}
    with h5py.File(out / "VG-SGG-with-attri.h5", "r") as h5:
        assert h5["split"][()].tolist() == [0, 0, 2, 2]                    # int(0.7 * 4) = 2 train images
        assert h5["img_to_first_box"][()].tolist() == [0, 3, 5, -1]
        assert h5["boxes_1024"].dtype == np.int32 and h5["boxes_512"].shape == (8, 4)
        # man (x 10, y 10, w 30, h 40 at 100 px): x = floor(10.24 * 9) = 92, w = ceil(307.2) = 308, h = ceil(409.6) = 410
        assert h5["boxes_1024"][0].tolist() == [92 + 154, 92 + 205, 308, 410]
        assert h5["attributes"][1].tolist()[:3] == [2, 3, 0]               # shirt: red, striped
    summary = data_check_json(out, capsys)[0]
    assert summary["num_val_im"] == 0 and summary["total"] == {"images": 4, "objects": 8, "relations": 6}
    assert summary["splits"]["train"] == {"images": 2, "objects": 5, "relations": 4, "empty_boxes": 0}
    assert summary["splits"]["test"]["relations"] == 2
    stats = get_frequency_statistics(out, use_cache=False)
    train = open_dataset(out, "train")
    # KT statistics filter non-overlapping pairs: (dog, ball, near) goes and image 2 with it;
    # left: (man, shirt, wearing), (shirt, man, on), (man, hat, has) of image 1.
    assert int(stats["fg_matrix"][5, 7, 4]) == 1 and int(stats["fg_matrix"][7, 5, 3]) == 1
    assert int(stats["fg_matrix"][5, 4, 1]) == 1 and int(stats["fg_matrix"][3, 1, 2]) == 0
    assert int(stats["fg_matrix"][:, :, 1:].sum()) == 3 and stats["num_images"] == 1 and len(train) == 2


def test_vg_json_with_given_vocabulary(tmp_path, capsys):
    src = write_raw_vg(tmp_path / "raw", attributes=False)
    vocab = tmp_path / "dicts.json"
    vocab.write_text(json.dumps({"idx_to_label": {"1": "cat", "2": "dog", "3": "man"},
                                 "idx_to_predicate": {"1": "near", "2": "on"},
                                 "idx_to_attribute": {}, "attribute_to_idx": {}}))
    out = tmp_path / "vg"
    report = convert([str(src), "--from", "vg-json", "--out", str(out), "--vocab", str(vocab)], capsys)
    # objects kept: man | dog | cat man; shirt, hat, ball, mat have no vocabulary name.
    # relations kept: only (guy -> cat, near) of image 3.
    assert report["kept"] == {"images": 4, "objects": 4, "relations": 1}
    drops = dropped(report)
    assert drops[("objects", "no name in the object vocabulary")] == 4
    assert drops[("relations", "subject or object dropped")] == 6     # 3 in image 1, 2 in image 2, 1 in image 3
    assert drops[("relations", "subject and object are the same (merged) box")] == 1
    assert ("relations", "predicate outside the vocabulary") not in drops
    summary = data_check_json(out, capsys)[0]
    assert summary["object_classes"] == 3 and summary["predicate_classes"] == 2
    assert open_dataset(out, "test").vocab.attribute_classes == []


def test_vg_json_top_n_vocabulary(tmp_path, capsys):
    src = write_raw_vg(tmp_path / "raw")
    out = tmp_path / "vg"
    report = convert([str(src), "--from", "vg-json", "--out", str(out), "--num-objects", "2",
                      "--num-predicates", "1"], capsys)
    # most frequent names: man (2), then cat/dog/... (1 each, ties by name: ball) -> {ball, man}
    dicts = json.loads((out / "VG-SGG-dicts-with-attri.json").read_text())
    assert dicts["idx_to_label"] == {"1": "ball", "2": "man"} and dicts["idx_to_predicate"] == {"1": "near"}
    assert report["kept"] == {"images": 4, "objects": 3, "relations": 0}


@pytest.mark.parametrize("case", ["image_data not a list", "object without a box", "name not a string",
                                  "predicate missing", "width float", "subject not an object"])
def test_vg_json_bad_input_names_file_row_and_field(tmp_path, capsys, case):
    objects, relationships, images = json.loads(json.dumps(OBJECTS)), json.loads(json.dumps(RELATIONSHIPS)), list(IMAGES)
    expected = {
        "image_data not a list": ("image_data.json", "top level"),
        "object without a box": ("objects.json", r"[3].objects[1].w"),
        "name not a string": ("objects.json", r"[0].objects[1].name"),
        "predicate missing": ("relationships.json", r"[1].relationships[2].predicate"),
        "width float": ("image_data.json", r"[4].width"),
        "subject not an object": ("relationships.json", r"[0].relationships[0].subject"),
    }[case]
    if case == "image_data not a list":
        images = {"images": IMAGES}
    elif case == "object without a box":
        del objects[3]["objects"][1]["w"]
    elif case == "name not a string":
        objects[0]["objects"][1]["name"] = 7
    elif case == "predicate missing":
        del relationships[1]["relationships"][2]["predicate"]
    elif case == "width float":
        images = IMAGES[:4] + [dict(IMAGES[4], width=100.0)] + IMAGES[5:]
    else:
        relationships[0]["relationships"][0]["subject"] = 11
    src = write_raw_vg(tmp_path / "raw", objects=objects, relationships=relationships, image_data=images)
    out = tmp_path / "vg"
    assert main(["data", "convert", str(src), "--from", "vg-json", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{expected[0]}: {expected[1]}: expected" in err
    assert not out.exists() or not any(out.iterdir())                 # nothing written on bad input


@pytest.mark.slow
def test_vg_json_frequency_run_and_evaluation(tmp_path, capsys):
    src = write_raw_vg(tmp_path / "raw")
    out = tmp_path / "vg"
    convert([str(src), "--from", "vg-json", "--out", str(out), "--images", "copy"], capsys)
    result = train_and_evaluate_frequency(out, tmp_path)
    # Test = image 3 (image 4 has no objects): (cat, mat, on) and (man, cat, near), class pairs never
    # seen in training, so every pair gets the same (background-only) prior and predicate 1 ("has")
    # wins: no hit with the graph constraint; without it all 6 pairs x 4 predicates fit in the top 50.
    assert result["metrics"]["R@50"] == 0.0
    assert result["metrics"]["ngR@50"] == 1.0


SHARED_DICTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "VG-SGG-dicts-with-attri.json"


def check_standard_vocabulary(src: Path, out: Path, dicts_path: Path, capsys) -> None:
    report = convert([str(src), "--from", "vg-json", "--out", str(out), "--vocab", str(dicts_path)], capsys)
    standard = json.loads(dicts_path.read_text())
    # objects after the recipe, per image: man shirt hat | dog ball | cat mat man
    names = ["man", "shirt", "hat", "dog", "ball", "cat", "mat", "man"]
    assert report["kept"]["objects"] == sum(name in standard["label_to_idx"] for name in names)
    written = json.loads((out / "VG-SGG-dicts-with-attri.json").read_text())
    assert written["idx_to_label"] == standard["idx_to_label"]
    assert written["idx_to_predicate"] == standard["idx_to_predicate"]
    summary = data_check_json(out, capsys)[0]
    assert summary["object_classes"] == 150 and summary["predicate_classes"] == 50
    labels = open_dataset(out, "test").ground_truth()[0].labels.tolist()       # image 3: cat, mat, man
    assert labels == [standard["label_to_idx"][n] for n in ("cat", "mat", "man") if n in standard["label_to_idx"]]


@pytest.mark.skipif(not SHARED_DICTS.is_file(), reason="shared VG150 dicts file absent")
def test_vg_json_with_the_standard_vg150_vocabulary(tmp_path, capsys):
    check_standard_vocabulary(write_raw_vg(tmp_path / "raw"), tmp_path / "vg", SHARED_DICTS, capsys)
