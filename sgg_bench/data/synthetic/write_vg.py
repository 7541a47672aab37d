"""Write scenes in the VG150 format (docs/FORMATS.md): the h5, the dict json, image_data.json.

Boxes: a scene box (x1, y1, x2, y2) in pixels (x2 exclusive) becomes the VG box
(x = x1 + 1, y = y1 + 1, w = x2 - x1, h = y2 - y1) with 1-based x/y as in VG's json, then
``vg_boxes.encode_box`` gives the (cx, cy, w, h) rows of ``boxes_1024`` and ``boxes_512``.
Images: split 0 (train) for the first ``train_fraction`` in file order, 2 (test) for the rest.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import h5py
import numpy as np

from ..vg_boxes import encode_box
from .appearance import POSE_ATTRIBUTE, TEXTURE_ATTRIBUTE, colour_name
from .layout import Scene, clip_box
from .vocabulary import ATTRIBUTE_TO_INDEX, ATTRIBUTES, LABEL_TO_INDEX, OBJECT_CLASSES, PREDICATE_TO_INDEX, PREDICATES
from ...utils.atomic import atomic_path, atomic_write_json

TRAIN_FRACTION = 0.7
MAX_ATTRIBUTES = 10
IMAGE_DIR = "VG_100K"


def split_of(num_images: int) -> np.ndarray:
    """(N,) int32: 0 for the first 70 % of images (train), 2 for the rest (test), as DX's generator."""
    split = np.full(num_images, 2, dtype=np.int32)
    split[:int(round(TRAIN_FRACTION * num_images))] = 0
    return split


def object_attributes(obj) -> list[str]:
    names = [colour_name(obj.label, obj.variant)]
    if obj.label in TEXTURE_ATTRIBUTE:
        names.append(TEXTURE_ATTRIBUTE[obj.label])
    if obj.pose in POSE_ATTRIBUTE and obj.label in ("man", "woman", "dog", "horse"):
        names.append(POSE_ATTRIBUTE[obj.pose])
    if obj.pose == "fly":
        names.append("flying")
    return names


def vg_box(scene: Scene, box) -> tuple[int, int, int, int]:
    """Pixel box -> VG json box (x, y, w, h), x/y 1-based; clipped to the image, at least 1 px."""
    x1, y1, x2, y2 = clip_box(box, scene.width, scene.height)
    return x1 + 1, y1 + 1, max(1, x2 - x1), max(1, y2 - y1)


def build_arrays(scenes: list[Scene]) -> dict[str, np.ndarray]:
    """All h5 datasets as numpy arrays with docs/FORMATS.md's dtypes."""
    boxes = {1024: [], 512: []}
    labels, attributes, rel_pairs, predicates = [], [], [], []
    first_box, last_box, first_rel, last_rel = [], [], [], []
    for scene in scenes:
        offset = len(labels)
        for obj in scene.objects:
            x, y, w, h = vg_box(scene, obj.box)
            for size in boxes:
                boxes[size].append(encode_box(x, y, w, h, scene.width, scene.height, scale=size))
            labels.append(LABEL_TO_INDEX[obj.label])
            row = [ATTRIBUTE_TO_INDEX[a] for a in object_attributes(obj)][:MAX_ATTRIBUTES]
            attributes.append(row + [0] * (MAX_ATTRIBUTES - len(row)))
        n_obj = len(scene.objects)
        first_box.append(offset if n_obj else -1)
        last_box.append(offset + n_obj - 1 if n_obj else -1)
        rel_offset = len(predicates)
        for s, o, p in scene.relations:
            rel_pairs.append((offset + s, offset + o))
            predicates.append(PREDICATE_TO_INDEX[p])
        n_rel = len(scene.relations)
        first_rel.append(rel_offset if n_rel else -1)
        last_rel.append(rel_offset + n_rel - 1 if n_rel else -1)
    return {
        "boxes_1024": np.asarray(boxes[1024], dtype=np.int32).reshape(-1, 4),
        "boxes_512": np.asarray(boxes[512], dtype=np.int32).reshape(-1, 4),
        "labels": np.asarray(labels, dtype=np.int64).reshape(-1, 1),
        "attributes": np.asarray(attributes, dtype=np.int64).reshape(-1, MAX_ATTRIBUTES),
        "img_to_first_box": np.asarray(first_box, dtype=np.int32),
        "img_to_last_box": np.asarray(last_box, dtype=np.int32),
        "relationships": np.asarray(rel_pairs, dtype=np.int32).reshape(-1, 2),
        "predicates": np.asarray(predicates, dtype=np.int64).reshape(-1, 1),
        "img_to_first_rel": np.asarray(first_rel, dtype=np.int32),
        "img_to_last_rel": np.asarray(last_rel, dtype=np.int32),
        "split": split_of(len(scenes)),
    }


def write_h5(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # track_times=False and a fixed dataset order keep the file byte-identical for the same data.
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", track_order=False) as handle:
            for key in sorted(arrays):
                handle.create_dataset(key, data=arrays[key], track_times=False)


def build_dicts(scenes: list[Scene]) -> dict:
    """The nine keys of VG-SGG-dicts-with-attri.json; counts are over all images."""
    object_count = Counter(o.label for s in scenes for o in s.objects)
    predicate_count = Counter(p for s in scenes for _, _, p in s.relations)
    attribute_count = Counter(a for s in scenes for o in s.objects for a in object_attributes(o))
    return {
        "label_to_idx": {name: i + 1 for i, name in enumerate(OBJECT_CLASSES)},
        "idx_to_label": {str(i + 1): name for i, name in enumerate(OBJECT_CLASSES)},
        "predicate_to_idx": {name: i + 1 for i, name in enumerate(PREDICATES)},
        "idx_to_predicate": {str(i + 1): name for i, name in enumerate(PREDICATES)},
        "object_count": {name: object_count.get(name, 0) for name in OBJECT_CLASSES},
        "predicate_count": {name: predicate_count.get(name, 0) for name in PREDICATES},
        "attribute_to_idx": {name: i + 1 for i, name in enumerate(ATTRIBUTES)},
        "idx_to_attribute": {str(i + 1): name for i, name in enumerate(ATTRIBUTES)},
        "attribute_count": {name: attribute_count.get(name, 0) for name in ATTRIBUTES},
    }


def image_data(scenes: list[Scene]) -> list[dict]:
    return [{"image_id": s.image_id, "url": f"synthetic://{IMAGE_DIR}/{s.image_id}.jpg", "width": s.width,
             "height": s.height, "coco_id": None, "flickr_id": None} for s in scenes]


def write_vg(root: Path, scenes: list[Scene], *, meta: dict) -> dict[str, np.ndarray]:
    """Write the three VG files and ``sgg-bench.json`` (images are written by the caller into root/VG_100K)."""
    root.mkdir(parents=True, exist_ok=True)
    arrays = build_arrays(scenes)
    write_h5(root / "VG-SGG-with-attri.h5", arrays)
    atomic_write_json(root / "VG-SGG-dicts-with-attri.json", build_dicts(scenes))
    atomic_write_json(root / "image_data.json", image_data(scenes), indent=None)
    atomic_write_json(root / "sgg-bench.json", meta)
    return arrays


def val_image_indices(arrays: dict[str, np.ndarray], num_val_im: int) -> list[int]:
    """Image rows the standard VG loader makes the val split: the first ``num_val_im`` train images that
    have objects and relations (docs/FORMATS.md rules 1-3, filter_empty_rels on)."""
    mask = (arrays["split"] == 0) & (arrays["img_to_first_box"] >= 0) & (arrays["img_to_first_rel"] >= 0)
    return [int(i) for i in np.flatnonzero(mask)[:num_val_im]]
