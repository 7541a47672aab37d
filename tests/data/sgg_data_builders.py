"""Hand-built tiny VG150 and OpenImages folders for the data-layer tests.

VG layout (h5 image row: image_id, size, split, content):
  row 0: id 10, 200x100, train flag -> becomes val (num_val_im=1); box 2 lies below the image
  row 1: id 11, 100x300, train, one box, no relation
  row 2: id 12,  50x50,  train, no box, no relation
  row 3: id 13, 640x480, train, its only relation joins two far-apart boxes (non-overlap)
  row 4: id 14, 300x200, train, duplicate relation, a pair with two predicates, one far pair
  row 5: id 15, 1024x768, test, box 0 extends below the image (clipped), duplicate relation
  row 6: id 16, 500x500, test, one box, no relation
  row 7: id 17, 100x50,  train, two overlapping boxes
  row 8: id 18, 100x100, train, two boxes touching within one pixel (no area overlap)
image_data.json also lists the corrupted id 1592 between rows 0 and 1.
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

OBJECTS = ["apple", "bird", "cat", "dog"]        # ids 1..4
PREDICATES = ["above", "near", "on"]             # ids 1..3

IMAGE_DATA = [
    {"image_id": 10, "width": 200, "height": 100},
    {"image_id": 1592, "width": 800, "height": 600},
    {"image_id": 11, "width": 100, "height": 300},
    {"image_id": 12, "width": 50, "height": 50},
    {"image_id": 13, "width": 640, "height": 480},
    {"image_id": 14, "width": 300, "height": 200},
    {"image_id": 15, "width": 1024, "height": 768},
    {"image_id": 16, "width": 500, "height": 500},
    {"image_id": 17, "width": 100, "height": 50},
    {"image_id": 18, "width": 100, "height": 100},
]

# (cx, cy, w, h) on the 1024 grid, one row per object, grouped by image row.
BOXES_1024 = np.array([
    [60, 20, 101, 10], [100, 100, 40, 40], [512, 600, 50, 100],    # row 0: objects 0-2
    [10, 10, 4, 4],                                                 # row 1: object 3
    [10, 10, 10, 10], [100, 100, 10, 10],                          # row 3: objects 4-5
    [5, 5, 10, 10], [15, 5, 10, 10], [50, 50, 21, 21], [55, 55, 11, 11],  # row 4: objects 6-9
    [512, 700, 101, 200], [100, 100, 51, 51],                       # row 5: objects 10-11
    [10, 10, 4, 4],                                                 # row 6: object 12
    [20, 20, 10, 10], [22, 22, 10, 10],                             # row 7: objects 13-14
    [5, 5, 10, 10], [15, 5, 10, 10],                                # row 8: objects 15-16
], dtype=np.int32)
LABELS = np.array([1, 2, 3, 4, 1, 4, 1, 1, 2, 3, 1, 2, 1, 2, 2, 3, 4], dtype=np.int64)
IMG_TO_FIRST_BOX = np.array([0, 3, -1, 4, 6, 10, 12, 13, 15], dtype=np.int32)
IMG_TO_LAST_BOX = np.array([2, 3, -1, 5, 9, 11, 12, 14, 16], dtype=np.int32)
RELATIONSHIPS = np.array([
    [0, 1], [2, 0],                                   # row 0: rels 0-1
    [4, 5],                                           # row 3: rel 2
    [6, 7], [6, 7], [6, 7], [8, 9], [6, 9],           # row 4: rels 3-7
    [10, 11], [10, 11], [10, 11],                     # row 5: rels 8-10
    [14, 13],                                         # row 7: rel 11
    [15, 16],                                         # row 8: rel 12
], dtype=np.int32)
PREDICATE_IDS = np.array([1, 2, 3, 1, 1, 2, 3, 2, 3, 3, 1, 2, 1], dtype=np.int64)
IMG_TO_FIRST_REL = np.array([0, -1, -1, 2, 3, 8, -1, 11, 12], dtype=np.int32)
IMG_TO_LAST_REL = np.array([1, -1, -1, 2, 7, 10, -1, 11, 12], dtype=np.int32)
SPLIT = np.array([0, 0, 0, 0, 0, 2, 2, 0, 0], dtype=np.int32)


def vg_arrays() -> dict[str, np.ndarray]:
    n_obj = len(LABELS)
    return {
        "boxes_1024": BOXES_1024.copy(), "boxes_512": (BOXES_1024 // 2).astype(np.int32),
        "labels": LABELS.reshape(-1, 1).copy(),
        "attributes": (np.arange(n_obj * 10).reshape(n_obj, 10) % 3).astype(np.int64),
        "img_to_first_box": IMG_TO_FIRST_BOX.copy(), "img_to_last_box": IMG_TO_LAST_BOX.copy(),
        "relationships": RELATIONSHIPS.copy(), "predicates": PREDICATE_IDS.reshape(-1, 1).copy(),
        "img_to_first_rel": IMG_TO_FIRST_REL.copy(), "img_to_last_rel": IMG_TO_LAST_REL.copy(),
        "split": SPLIT.copy(),
    }


def vg_dicts(with_attributes: bool = True) -> dict:
    def indexed(names):
        return {str(i + 1): name for i, name in enumerate(names)}
    dicts = {"label_to_idx": {n: i + 1 for i, n in enumerate(OBJECTS)}, "idx_to_label": indexed(OBJECTS),
             "predicate_to_idx": {n: i + 1 for i, n in enumerate(PREDICATES)},
             "idx_to_predicate": indexed(PREDICATES)}
    if with_attributes:
        dicts["idx_to_attribute"] = indexed(["red", "big"])
        dicts["attribute_to_idx"] = {"red": 1, "big": 2}
    return dicts


def write_vg_folder(root: Path, *, attribute_free: bool = False, arrays: dict | None = None,
                    image_data: list | None = None, settings: dict | None = None,
                    write_images: bool = True) -> Path:
    """Write the tiny VG folder; ``arrays`` replaces/removes (value None) h5 keys."""
    root.mkdir(parents=True, exist_ok=True)
    content = vg_arrays()
    if attribute_free:
        content.pop("attributes")
    for key, value in (arrays or {}).items():
        if value is None:
            content.pop(key)
        else:
            content[key] = value
    h5_name, dicts_name = (("VG-SGG.h5", "VG-SGG-dicts.json") if attribute_free
                           else ("VG-SGG-with-attri.h5", "VG-SGG-dicts-with-attri.json"))
    with h5py.File(root / h5_name, "w") as handle:
        for key, value in content.items():
            handle.create_dataset(key, data=value)
    (root / dicts_name).write_text(json.dumps(vg_dicts(with_attributes=not attribute_free)))
    entries = IMAGE_DATA if image_data is None else image_data
    (root / "image_data.json").write_text(json.dumps(entries))
    if settings is not None:
        (root / "sgg-bench.json").write_text(json.dumps(settings))
    if write_images:
        (root / "VG_100K").mkdir(exist_ok=True)
        for entry in entries:
            (root / "VG_100K" / f"{entry['image_id']}.jpg").write_bytes(b"jpg")
    return root


# OpenImages: 3 object classes, 2 predicates, 0-based in the files.
OI_OBJECTS = ["Car", "Man", "Table"]
OI_PREDICATES = ["at", "on"]
OI_TRAIN = [
    {"bbox": [[10, 20, 110, 220], [50, 60, 150, 260]], "det_labels": [1, 0],
     "rel": [[0, 1, 1], [0, 1, 1], [0, 1, 0]], "img_size": [400, 300], "img_fn": "aaa"},
    {"bbox": [[0, 0, 5, 5]], "det_labels": [2], "rel": [], "img_size": [10, 10], "img_fn": "bbb"},
    {"bbox": [], "det_labels": [], "rel": [], "img_size": [10, 10], "img_fn": "ccc"},
    {"bbox": [[0, 0, 10, 10], [20, 20, 30, 30], [5, 5, 25, 25]], "det_labels": [0, 0, 2],
     "rel": [[2, 0, 1]], "img_size": [64, 48], "img_fn": "ddd"},
]
OI_VAL = [
    {"bbox": [[1, 2, 3, 4], [2, 3, 8, 9]], "det_labels": [0, 1], "rel": [[1, 0, 0]], "img_size": [20, 20],
     "img_fn": "eee"},
]
OI_TEST = [
    {"bbox": [[0, 0, 5, 5]], "det_labels": [0], "rel": [], "img_size": [10, 10], "img_fn": "fff"},
    {"bbox": [[-3.5, 10.25, 120, 60], [30, 40, 50, 70]], "det_labels": [2, 1],
     "rel": [[0, 1, 0], [0, 1, 0], [1, 0, 1]], "img_size": [100, 64], "img_fn": "ggg"},
]


def write_openimages_folder(root: Path, *, flat: bool = False, train: list | None = None, val: list | None = None,
                            test: list | None = None, categories: dict | None = None,
                            write_images: bool = True) -> Path:
    """Write the tiny OpenImages folder (``flat``: json files directly in root)."""
    ann = root if flat else root / "annotations"
    ann.mkdir(parents=True, exist_ok=True)
    splits = {"train": OI_TRAIN if train is None else train, "val": OI_VAL if val is None else val,
              "test": OI_TEST if test is None else test}
    for split, entries in splits.items():
        (ann / f"vrd-{split}-anno.json").write_text(json.dumps(entries))
    cats = {"obj": OI_OBJECTS, "rel": OI_PREDICATES} if categories is None else categories
    (ann / "categories_dict.json").write_text(json.dumps(cats))
    if write_images:
        (root / "images").mkdir(exist_ok=True)
        for entries in splits.values():
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("img_fn"), str):
                    (root / "images" / f"{entry['img_fn']}.jpg").write_bytes(b"jpg")
    return root
