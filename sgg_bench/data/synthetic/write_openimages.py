"""Write the same scenes in the OpenImages V6 format as prepared by BGNN/PySGG (docs/FORMATS.md).

``annotations/vrd-{train,val,test}-anno.json``: one record per image with ``bbox`` (pixel
xyxy, clipped to the image), 0-based ``det_labels``, ``rel`` rows [sub, obj, pred] with
0-based predicates, ``img_size`` [w, h] and ``img_fn`` (the VG image id as a string).
``annotations/categories_dict.json``: {"obj": [...], "rel": [...]} without background.
The val file holds exactly the images the VG loader carves out as val; train the other
train images; test the test images. Images are hard links to the VG files (copies where
links are not possible).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .layout import Scene, clip_box
from .vocabulary import LABEL_TO_INDEX, OBJECT_CLASSES, PREDICATE_TO_INDEX, PREDICATES
from ...utils.atomic import atomic_write_json


def record(scene: Scene) -> dict:
    return {
        "bbox": [list(clip_box(o.box, scene.width, scene.height)) for o in scene.objects],
        "det_labels": [LABEL_TO_INDEX[o.label] - 1 for o in scene.objects],
        "rel": [[s, o, PREDICATE_TO_INDEX[p] - 1] for s, o, p in scene.relations],
        "img_size": [scene.width, scene.height],
        "img_fn": str(scene.image_id),
    }


def link_or_copy(source: Path, destination: Path) -> None:
    if destination.exists():
        destination.unlink()
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def write_openimages(root: Path, scenes: list[Scene], split: list[int], val_rows: set[int], vg_image_dir: Path,
                     *, meta: dict) -> dict[str, int]:
    """Write annotations and image links; returns the number of images per split file."""
    annotations = root / "annotations"
    images = root / "images"
    annotations.mkdir(parents=True, exist_ok=True)
    images.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[dict]] = {"train": [], "val": [], "test": []}
    for row, scene in enumerate(scenes):
        name = "test" if split[row] == 2 else ("val" if row in val_rows else "train")
        files[name].append(record(scene))
        link_or_copy(vg_image_dir / f"{scene.image_id}.jpg", images / f"{scene.image_id}.jpg")
    for name, records in files.items():
        atomic_write_json(annotations / f"vrd-{name}-anno.json", records, indent=None)
    atomic_write_json(annotations / "categories_dict.json", {"obj": list(OBJECT_CLASSES), "rel": list(PREDICATES)})
    atomic_write_json(root / "sgg-bench.json", meta)
    return {name: len(records) for name, records in files.items()}
