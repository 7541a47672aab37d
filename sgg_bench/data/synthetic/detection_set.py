"""The detection-only synthetic world (``<out>/det``): the "off-the-shelf" detector's training data.

SGNLS grounds captions with a detector trained on another dataset in another label space (Open Images,
601 classes). This is the same shape on the synthetic scenes: images of their own (scene indices after
the SGG images, ids from 3,000,000 up, so no image is shared with the SGG splits), exhaustive boxes, no
relations, and a label space of its own: coarse names that WordNet links to the scene classes (person,
animal, vehicle, furniture, clothing, container, food) plus some exact names. ``pole`` and ``street``
have no detector class (drawn, never annotated), as some VG classes are unreachable from Open Images.

Written in the VG150 layout (docs/SYNTHETIC.md), read by the standard reader: ``sgg-bench train --model
detector --dataset synth-det``. The predicate vocabulary is the scene one, unused (the format needs one).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ...errors import ConfigError
from ...utils.atomic import atomic_write_json, open_partial_folder
from ..vg_boxes import encode_box
from .layout import Scene
from .scenes import SIZES, sample_scene
from .vocabulary import PREDICATES
from .write_vg import IMAGE_DIR, image_data, split_of, vg_box, write_h5

DET_DIR = "det"
DATASET_NAME = "synth-det"
# Scene class -> detector class. Sorted detector names are numbered from 1, as VG numbers its vocabularies.
DETECTOR_CLASS_OF = {
    "man": "person", "woman": "person",
    "bird": "animal", "dog": "animal", "horse": "animal",
    "bike": "vehicle", "boat": "vehicle", "car": "vehicle",
    "bench": "furniture", "chair": "furniture",
    "hat": "clothing", "shirt": "clothing",
    "bag": "container", "bottle": "container", "cup": "container",
    "pizza": "food",
    "building": "building", "kite": "kite", "plate": "plate", "sign": "sign", "table": "table", "tree": "tree",
    "umbrella": "umbrella", "wheel": "wheel", "window": "window",
}
DETECTOR_CLASSES: tuple[str, ...] = tuple(sorted(set(DETECTOR_CLASS_OF.values())))
DETECTOR_CLASS_INDEX = {name: i + 1 for i, name in enumerate(DETECTOR_CLASSES)}
# Detection images per size preset (the SGG preset's image count is SIZES[size]).
DETECTION_SIZES = {"tiny": 32, "small": 300, "default": 2000}
FIRST_IMAGE_ID = 3_000_000
VAL_FRACTION = 0.1


def detection_image_ids(num_images: int, seed: int) -> list[int]:
    """Sorted ids from 3,000,000 up: disjoint from the SGG images' ids (all below 2,400,000)."""
    rng = np.random.default_rng([seed, 7927])
    return sorted(int(i) for i in rng.choice(np.arange(FIRST_IMAGE_ID, FIRST_IMAGE_ID + 2_400_000),
                                             size=num_images, replace=False))


def sample_detection_scenes(size: str, seed: int) -> list[Scene]:
    """The detection images' scenes: indices after the SGG preset's, so every scene is a new one."""
    first = SIZES[size]
    ids = detection_image_ids(DETECTION_SIZES[size], seed)
    return [sample_scene(first + k, seed, image_id) for k, image_id in enumerate(ids)]


def _annotated(scene: Scene) -> list:
    return [obj for obj in scene.objects if obj.label in DETECTOR_CLASS_OF]


def build_detection_arrays(scenes: list[Scene]) -> dict[str, np.ndarray]:
    """The VG h5 datasets (no relations, no attributes) in the detector's label space."""
    boxes = {1024: [], 512: []}
    labels, first_box, last_box = [], [], []
    for scene in scenes:
        offset = len(labels)
        objects = _annotated(scene)
        for obj in objects:
            x, y, w, h = vg_box(scene, obj.box)
            for size in boxes:
                boxes[size].append(encode_box(x, y, w, h, scene.width, scene.height, scale=size))
            labels.append(DETECTOR_CLASS_INDEX[DETECTOR_CLASS_OF[obj.label]])
        first_box.append(offset if objects else -1)
        last_box.append(offset + len(objects) - 1 if objects else -1)
    none = np.full(len(scenes), -1, dtype=np.int32)
    return {
        "boxes_1024": np.asarray(boxes[1024], dtype=np.int32).reshape(-1, 4),
        "boxes_512": np.asarray(boxes[512], dtype=np.int32).reshape(-1, 4),
        "labels": np.asarray(labels, dtype=np.int64).reshape(-1, 1),
        "img_to_first_box": np.asarray(first_box, dtype=np.int32),
        "img_to_last_box": np.asarray(last_box, dtype=np.int32),
        "relationships": np.zeros((0, 2), dtype=np.int32),
        "predicates": np.zeros((0, 1), dtype=np.int64),
        "img_to_first_rel": none, "img_to_last_rel": none.copy(),
        "split": split_of(len(scenes)),
    }


def build_detection_dicts(scenes: list[Scene]) -> dict:
    counts = {name: 0 for name in DETECTOR_CLASSES}
    for scene in scenes:
        for obj in _annotated(scene):
            counts[DETECTOR_CLASS_OF[obj.label]] += 1
    return {
        "label_to_idx": dict(DETECTOR_CLASS_INDEX),
        "idx_to_label": {str(i): name for name, i in DETECTOR_CLASS_INDEX.items()},
        "predicate_to_idx": {name: i + 1 for i, name in enumerate(PREDICATES)},
        "idx_to_predicate": {str(i + 1): name for i, name in enumerate(PREDICATES)},
        "object_count": counts, "predicate_count": {name: 0 for name in PREDICATES},
        "attribute_to_idx": {}, "idx_to_attribute": {}, "attribute_count": {},
    }


def write_detection_set(root: Path, scenes: list[Scene], *, meta: dict) -> dict:
    """Write the VG files of the detection set into ``root`` (images go to ``root/VG_100K``, written
    by the caller). Returns counts for the summary."""
    root.mkdir(parents=True, exist_ok=True)
    arrays = build_detection_arrays(scenes)
    write_h5(root / "VG-SGG-with-attri.h5", arrays)
    atomic_write_json(root / "VG-SGG-dicts-with-attri.json", build_detection_dicts(scenes))
    atomic_write_json(root / "image_data.json", image_data(scenes), indent=None)
    num_train = int((arrays["split"] == 0).sum())
    atomic_write_json(root / "sgg-bench.json", dict(meta, name=DATASET_NAME, format="vg", detection_only=True,
                                                     num_val_im=max(1, int(round(VAL_FRACTION * num_train)))))
    return {"num_images": len(scenes), "num_train": num_train, "num_objects": int(arrays["labels"].shape[0]),
            "classes": list(DETECTOR_CLASSES)}


def generate_detection_set(out_dir, size: str = "default", seed: int = 0, *, workers: int = 1,
                           progress: bool = True) -> dict:
    """Write ``<out_dir>/det`` for the synthetic data of (size, seed) in ``out_dir`` (or about to be
    there). Atomic (``<out_dir>/.det.partial`` renamed at the end) and resumable (rendered images are
    kept); an existing ``det`` of the same size and seed is reused, another one is an error."""
    from .generate import _params, _render_all  # noqa: PLC0415  (generate imports this module)

    if size not in DETECTION_SIZES:
        raise ConfigError(f"synthetic size {size!r}: expected one of {sorted(DETECTION_SIZES)}")
    out = Path(out_dir)
    target = out / DET_DIR
    if target.exists():
        meta_path = target / "sgg-bench.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if any(meta.get(k) != v for k, v in _params(size, seed).items()):
            raise ConfigError(f"{target}: exists and is not the detection set of size={size!r}, seed={seed}; remove it")
        return {"reused": True, "out_dir": str(target), **{k: meta.get(k) for k in ("size", "seed")}}
    partial = open_partial_folder(out / f".{DET_DIR}.partial", _params(size, seed))
    params_path = partial / "params.json"
    (partial / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    scenes = sample_detection_scenes(size, seed)
    _render_all(scenes, seed, partial / IMAGE_DIR, workers, progress)
    summary = write_detection_set(partial, scenes, meta=_params(size, seed))
    params_path.unlink()
    os.replace(partial, target)
    return {"reused": False, "out_dir": str(target), **summary}
