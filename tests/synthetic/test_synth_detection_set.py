"""The detection-only synthetic world (det/): own images, own label space, readable by the VG reader."""
import json
import shutil

import h5py
import numpy as np
import pytest

from sgg_bench.data import open_dataset
from sgg_bench.data.synthetic import generate_synthetic
from sgg_bench.data.synthetic.detection_set import (DETECTION_SIZES, DETECTOR_CLASS_OF, DETECTOR_CLASSES,
                                                    sample_detection_scenes)
from sgg_bench.data.synthetic.vocabulary import OBJECT_CLASSES


def test_images_are_disjoint_from_the_sgg_images(tiny_root):
    sgg = {e["image_id"] for e in json.loads((tiny_root / "vg" / "image_data.json").read_text())}
    det = {e["image_id"] for e in json.loads((tiny_root / "det" / "image_data.json").read_text())}
    assert len(det) == DETECTION_SIZES["tiny"] and not sgg & det and min(det) >= 3_000_000
    sgg_pixels = {p.read_bytes() for p in (tiny_root / "vg" / "VG_100K").iterdir()}
    assert not any(p.read_bytes() in sgg_pixels for p in (tiny_root / "det" / "VG_100K").iterdir())


def test_label_space_is_its_own_and_every_box_is_annotated_without_relations(tiny_root):
    dicts = json.loads((tiny_root / "det" / "VG-SGG-dicts-with-attri.json").read_text())
    assert [dicts["idx_to_label"][str(i)] for i in range(1, len(DETECTOR_CLASSES) + 1)] == list(DETECTOR_CLASSES)
    assert {"person", "animal", "vehicle", "furniture", "clothing"} <= set(DETECTOR_CLASSES)
    assert set(OBJECT_CLASSES) - set(DETECTOR_CLASS_OF) == {"pole", "street"}
    scenes = sample_detection_scenes("tiny", 0)
    expected = [DETECTOR_CLASSES.index(DETECTOR_CLASS_OF[o.label]) + 1
                for s in scenes for o in s.objects if o.label in DETECTOR_CLASS_OF]
    with h5py.File(tiny_root / "det" / "VG-SGG-with-attri.h5", "r") as f:
        assert f["labels"][:, 0].tolist() == expected
        assert f["relationships"].shape == (0, 2) and (f["img_to_first_rel"][()] == -1).all()
    assert sum(dicts["object_count"].values()) == len(expected)


def test_the_standard_reader_opens_every_split(tmp_path, tiny_root):
    det = shutil.copytree(tiny_root / "det", tmp_path / "det")  # the reader writes a cache beside the files
    sizes = {split: len(open_dataset(det, split, filter_empty_rels=False)) for split in ("train", "val", "test")}
    assert sum(sizes.values()) == DETECTION_SIZES["tiny"] and min(sizes.values()) > 0
    record = open_dataset(det, "test", filter_empty_rels=False)[0]
    assert record.relations.shape == (0, 3) and record.labels.max() <= len(DETECTOR_CLASSES)


def test_an_older_folder_without_det_gains_it_unchanged_otherwise(tmp_path, tiny_root):
    copy = tmp_path / "old"
    shutil.copytree(tiny_root, copy)
    shutil.rmtree(copy / "det")
    summary = generate_synthetic(copy, size="tiny", seed=0, progress=False)
    assert summary["reused"] is True and summary["detection_set"]["num_images"] == DETECTION_SIZES["tiny"]
    for name in ("VG-SGG-with-attri.h5", "image_data.json"):
        assert (copy / "det" / name).read_bytes() == (tiny_root / "det" / name).read_bytes()


def test_wordnet_links_the_coarse_classes_to_the_scene_classes():
    from sgg_bench.language.linking import link_detector_classes
    from sgg_bench.language.wordnet_match import WordNetMatcher, wordnet_installed

    if not wordnet_installed():
        pytest.skip("WordNet is not installed")
    mapping = link_detector_classes(list(DETECTOR_CLASSES), list(OBJECT_CLASSES), matcher=WordNetMatcher())
    names = {DETECTOR_CLASSES[i]: {OBJECT_CLASSES[j] for j in hits} for i, hits in mapping.items()}
    for scene_class, detector_class in DETECTOR_CLASS_OF.items():
        assert scene_class in names[detector_class], (scene_class, detector_class)
    assert names["person"] == {"man", "woman"} and names["vehicle"] == {"bike", "boat", "car"}
    assert {"car", "bike"} <= names["container"]  # WordNet's quirk: a wheeled vehicle is a container (SGNLS too)
    reached = set().union(*names.values())
    assert set(OBJECT_CLASSES) - reached == {"pole", "street"}
    assert np.all([len(v) > 0 for v in names.values()])
