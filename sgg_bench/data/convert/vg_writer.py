"""Write a VG150 folder (docs/FORMATS.md) from converted images: the h5, the dicts json,
``image_data.json``, ``sgg-bench.json`` and ``VG_100K/`` (links or copies of the source images).

Boxes arrive as pixel ``(x1, y1, x2, y2)`` (0-based, x2 exclusive); they become VG json boxes
``(x1 + 1, y1 + 1, x2 - x1, y2 - y1)`` and are encoded with the standard encoder at 1024 and 512.
Every file is written atomically.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sgg_bench.data.vg_boxes import encode_box
from sgg_bench.utils.atomic import atomic_path, atomic_write_json

H5_NAME = "VG-SGG-with-attri.h5"
DICTS_NAME = "VG-SGG-dicts-with-attri.json"
IMAGE_DIR = "VG_100K"
MAX_ATTRIBUTES = 10
DEFAULT_NUM_VAL_IM = 5000


@dataclass
class VGImage:
    """One converted image. boxes: (G, 4) pixel xyxy; labels: G 1-based ids; attributes: G lists of
    1-based ids; relations: (subject, object, predicate) rows, indices into this image's boxes."""

    image_id: int
    width: int
    height: int
    split: int                      # 0 = train, 2 = test (val is carved from train by the reader)
    source_image: Path | None
    boxes: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    attributes: list = field(default_factory=list)
    relations: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)   # coco_id / flickr_id / url kept from the source


def indexed(names: list[str]) -> dict[str, str]:
    return {str(i + 1): name for i, name in enumerate(names)}


def _encoded(image: VGImage, scale: int) -> list[tuple[int, int, int, int]]:
    return [encode_box(x1 + 1, y1 + 1, x2 - x1, y2 - y1, image.width, image.height, scale=scale)
            for x1, y1, x2, y2 in image.boxes]


def build_h5_arrays(images: list[VGImage]) -> dict[str, np.ndarray]:
    """All datasets of the h5, with the standard dtypes (int32 boxes/ranges, int64 labels)."""
    boxes = {1024: [], 512: []}
    labels, attributes, pairs, predicates = [], [], [], []
    ranges = {key: [] for key in ("img_to_first_box", "img_to_last_box", "img_to_first_rel", "img_to_last_rel")}
    for image in images:
        first_box, first_rel = len(labels), len(predicates)
        for scale in boxes:
            boxes[scale].extend(_encoded(image, scale))
        labels.extend(image.labels)
        for ids in image.attributes or [[] for _ in image.labels]:
            attributes.append((list(ids) + [0] * MAX_ATTRIBUTES)[:MAX_ATTRIBUTES])
        for s, o, p in image.relations:
            pairs.append((first_box + s, first_box + o))
            predicates.append(p)
        has_boxes, has_rels = len(image.labels) > 0, len(image.relations) > 0
        ranges["img_to_first_box"].append(first_box if has_boxes else -1)
        ranges["img_to_last_box"].append(len(labels) - 1 if has_boxes else -1)
        ranges["img_to_first_rel"].append(first_rel if has_rels else -1)
        ranges["img_to_last_rel"].append(len(predicates) - 1 if has_rels else -1)
    arrays = {f"boxes_{scale}": np.asarray(rows, dtype=np.int32).reshape(-1, 4) for scale, rows in boxes.items()}
    arrays.update({key: np.asarray(values, dtype=np.int32) for key, values in ranges.items()})
    arrays["labels"] = np.asarray(labels, dtype=np.int64).reshape(-1, 1)
    arrays["attributes"] = np.asarray(attributes, dtype=np.int64).reshape(-1, MAX_ATTRIBUTES)
    arrays["relationships"] = np.asarray(pairs, dtype=np.int32).reshape(-1, 2)
    arrays["predicates"] = np.asarray(predicates, dtype=np.int64).reshape(-1, 1)
    arrays["split"] = np.asarray([image.split for image in images], dtype=np.int32)
    return arrays


def build_dicts(images: list[VGImage], objects: list[str], predicates: list[str], attributes: list[str]) -> dict:
    """The dicts json: name<->index maps (1-based) and the counts of the written rows."""
    object_count = Counter(objects[label - 1] for image in images for label in image.labels)
    predicate_count = Counter(predicates[p - 1] for image in images for _, _, p in image.relations)
    attribute_count = Counter(attributes[a - 1] for image in images for ids in image.attributes for a in ids)
    return {"label_to_idx": {n: i + 1 for i, n in enumerate(objects)}, "idx_to_label": indexed(objects),
            "predicate_to_idx": {n: i + 1 for i, n in enumerate(predicates)}, "idx_to_predicate": indexed(predicates),
            "attribute_to_idx": {n: i + 1 for i, n in enumerate(attributes)}, "idx_to_attribute": indexed(attributes),
            "object_count": {n: object_count[n] for n in objects},
            "predicate_count": {n: predicate_count[n] for n in predicates},
            "attribute_count": {n: attribute_count[n] for n in attributes}}


def default_num_val_im(images: list[VGImage]) -> int:
    """KT's 5000 when train is large enough, else a tenth of it (val is carved out of train)."""
    train = sum(1 for image in images if image.split == 0 and image.labels and image.relations)
    return DEFAULT_NUM_VAL_IM if train > 10 * DEFAULT_NUM_VAL_IM else train // 10


def place_image(source: Path, destination: Path, mode: str) -> None:
    """``mode``: "link" (symlink to the absolute source), "copy", or "none"."""
    if mode == "none":
        return
    if destination.is_symlink() or destination.exists():
        destination.unlink()
    if mode == "link":
        os.symlink(source.resolve(), destination)
    else:
        with atomic_path(destination) as tmp:
            shutil.copyfile(source, tmp)


def write_vg_folder(out: Path, images: list[VGImage], *, objects: list[str], predicates: list[str],
                    attributes: list[str], num_val_im: int | None = None, images_mode: str = "link") -> dict:
    """Write the folder; returns the settings written to ``sgg-bench.json``."""
    import h5py
    out.mkdir(parents=True, exist_ok=True)
    arrays = build_h5_arrays(images)
    with atomic_path(out / H5_NAME) as tmp:
        with h5py.File(tmp, "w") as handle:
            for key, value in arrays.items():
                handle.create_dataset(key, data=value)
    atomic_write_json(out / DICTS_NAME, build_dicts(images, objects, predicates, attributes), indent=None)
    entries = [{"image_id": image.image_id, "width": image.width, "height": image.height, **image.extra}
               for image in images]
    atomic_write_json(out / "image_data.json", entries, indent=None)
    settings = {"num_val_im": default_num_val_im(images) if num_val_im is None else int(num_val_im)}
    atomic_write_json(out / "sgg-bench.json", settings)
    (out / IMAGE_DIR).mkdir(exist_ok=True)
    for image in images:
        if image.source_image is not None:
            place_image(image.source_image, out / IMAGE_DIR / f"{image.image_id}.jpg", images_mode)
    return settings


def read_vocab_file(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(objects, predicates, attributes) of a VG dicts json, in index order (no background)."""
    from sgg_bench.data.vocab import load_vg_vocabulary
    vocab = load_vg_vocabulary(path)
    return vocab.object_classes[1:], vocab.predicate_classes[1:], vocab.attribute_classes[1:]
