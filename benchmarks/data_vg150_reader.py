"""Time the VG150 reader on a VG-sized random h5 (108,073 images, ~1.15M objects, ~620k relations).

    .venv/bin/python benchmarks/data_vg150_reader.py [--images 108073] [--keep DIR]

Builds the folder in a temporary directory (random but valid content; one empty file per
image), then times open_dataset for each split, ground_truth(), indexing every record,
frequency statistics (uncached) and the full `data check`.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np


def build(root: Path, num_images: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    box_counts = rng.integers(0, 22, num_images)              # mean 10.5
    box_counts[rng.random(num_images) < 0.002] = 0
    rel_counts = np.where(box_counts >= 2, rng.integers(0, 12, num_images), 0)
    first_box = np.cumsum(box_counts) - box_counts
    first_rel = np.cumsum(rel_counts) - rel_counts
    n_obj, n_rel = int(box_counts.sum()), int(rel_counts.sum())
    width = rng.integers(1, 1024, (n_obj, 1))
    height = rng.integers(1, 1024, (n_obj, 1))
    x = rng.integers(0, 1023 - width + 1)
    y = rng.integers(0, 1023 - height + 1)
    boxes = np.hstack([x + width // 2, y + height // 2, width, height]).astype(np.int32)
    owner = np.repeat(np.arange(num_images), rel_counts)
    sub = first_box[owner] + (rng.random(n_rel) * box_counts[owner]).astype(np.int64)
    obj = first_box[owner] + (rng.random(n_rel) * box_counts[owner]).astype(np.int64)
    split = np.where(np.arange(num_images) < int(0.7 * num_images), 0, 2).astype(np.int32)
    with h5py.File(root / "VG-SGG-with-attri.h5", "w") as handle:
        handle["boxes_1024"] = boxes
        handle["boxes_512"] = boxes // 2
        handle["labels"] = rng.integers(1, 151, (n_obj, 1))
        handle["attributes"] = rng.integers(0, 201, (n_obj, 10))
        handle["img_to_first_box"] = np.where(box_counts > 0, first_box, -1).astype(np.int32)
        handle["img_to_last_box"] = np.where(box_counts > 0, first_box + box_counts - 1, -1).astype(np.int32)
        handle["relationships"] = np.column_stack([sub, obj]).astype(np.int32)
        handle["predicates"] = rng.integers(1, 51, (n_rel, 1))
        handle["img_to_first_rel"] = np.where(rel_counts > 0, first_rel, -1).astype(np.int32)
        handle["img_to_last_rel"] = np.where(rel_counts > 0, first_rel + rel_counts - 1, -1).astype(np.int32)
        handle["split"] = split
    names = {"idx_to_label": {str(i): f"object{i}" for i in range(1, 151)},
             "idx_to_predicate": {str(i): f"predicate{i}" for i in range(1, 51)}}
    (root / "VG-SGG-dicts-with-attri.json").write_text(json.dumps(names))
    sizes = rng.integers(200, 1300, (num_images, 2))
    (root / "image_data.json").write_text(json.dumps(
        [{"image_id": i + 10000, "width": int(w), "height": int(h)} for i, (w, h) in enumerate(sizes)]))
    (root / "VG_100K").mkdir()
    for i in range(num_images):
        (root / "VG_100K" / f"{i + 10000}.jpg").touch()
    print(f"built {num_images} images, {n_obj} objects, {n_rel} relations")


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label:<44}{time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=108073)
    parser.add_argument("--keep", default="", help="build into this folder and keep it")
    args = parser.parse_args()
    from sgg_bench.data import open_dataset
    from sgg_bench.data.check import check_dataset
    from sgg_bench.data.statistics import get_frequency_statistics

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        timed("build folder", lambda: build(root, args.images))
        for split in ("train", "val", "test"):
            ds = timed(f"open_dataset({split})", lambda: open_dataset(root, split))
            print(f"  {len(ds)} images")
        train = open_dataset(root, "train", filter_non_overlap=True, check_images=False)
        timed("open_dataset(train, non_overlap, no image check)",
              lambda: open_dataset(root, "train", filter_non_overlap=True, check_images=False))
        timed("train: ds[i] for every image", lambda: [train[i] for i in range(len(train))])
        test = open_dataset(root, "test", check_images=False)
        timed("test: ground_truth()", test.ground_truth)
        timed("fingerprint (sha256 of the files)", lambda: test.fingerprint)
        timed("frequency statistics (uncached)", lambda: get_frequency_statistics(root, use_cache=False))
        timed("data check (all images)", lambda: check_dataset(root))


if __name__ == "__main__":
    main()
