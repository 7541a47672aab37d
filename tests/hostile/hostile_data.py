"""Shared pieces of the hostile data-input corpus (tests/hostile/test_data_*.py).

Each case writes one malformed (or borderline but valid) input into the tiny hand-built VG150 /
OpenImages folders of ``tests/data/sgg_data_builders.py`` and asserts the exact outcome.
"""
from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))

from sgg_data_builders import (IMAGE_DATA, OI_TEST, OI_TRAIN, OI_VAL, vg_arrays, vg_dicts,  # noqa: E402,F401
                               write_openimages_folder, write_vg_folder)

from sgg_bench.cli import main  # noqa: E402
from sgg_bench.data import open_dataset  # noqa: E402
from sgg_bench.errors import DataFormatError  # noqa: E402

VG_H5 = "VG-SGG-with-attri.h5"


def assert_one_line_error(argv: list[str], capsys, file_name: str, field_pattern: str) -> str:
    """``sgg-bench ARGV`` exits 2 with exactly one ``sgg-bench: error:`` line naming file and field."""
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    last = err[-1]
    assert last.startswith("sgg-bench: error: ")
    assert re.search(rf"{re.escape(file_name)}: {field_pattern}", last), last
    return last


def assert_rejected(root: Path, split: str, file_name: str, field_pattern: str, expected_pattern: str,
                    capsys) -> DataFormatError:
    """The reader raises DataFormatError for ``file_name`` / ``field``; ``data check`` exits 2 saying the same."""
    with pytest.raises(DataFormatError) as caught:
        open_dataset(root, split)
    error = caught.value
    assert Path(error.path).name == file_name, str(error)
    assert re.fullmatch(field_pattern, error.field), str(error)
    assert re.search(expected_pattern, error.expected), str(error)
    line = assert_one_line_error(["data", "check", str(root)], capsys, file_name, field_pattern)
    assert str(error) in line
    return error


def with_array(key: str, value) -> dict:
    """``write_vg_folder(arrays=...)`` argument replacing one h5 key."""
    return {key: value}


def with_row(key: str, row: int, value, dtype=None) -> dict:
    array = vg_arrays()[key]
    if dtype is not None:
        array = array.astype(dtype)
    array[row] = value
    return {key: array}


def oi_entries(rows: list, row: int, **changes) -> list:
    entries = json.loads(json.dumps(rows))
    entries[row].update(changes)
    return entries


def jpeg_bytes(width: int = 8, height: int = 6) -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 30, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def write_real_images(folder: Path) -> list[Path]:
    """Replace every placeholder ``*.jpg`` under ``folder`` by a decodable JPEG; returns them sorted."""
    paths = sorted(folder.rglob("*.jpg"))
    data = jpeg_bytes()
    for path in paths:
        path.write_bytes(data)
    return paths


def np_float(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def write_oi(root: Path, **build) -> Path:
    """``write_openimages_folder`` that writes placeholder images only for names inside ``images/``."""
    from sgg_bench.data.openimages import stays_in_image_folder
    write_openimages_folder(root, write_images=False, **build)
    for split in ("train", "val", "test"):
        entries = build.get(split, {"train": OI_TRAIN, "val": OI_VAL, "test": OI_TEST}[split])
        for entry in entries if isinstance(entries, list) else []:
            name = entry.get("img_fn") if isinstance(entry, dict) else None
            if isinstance(name, str) and name and stays_in_image_folder(name):
                path = root / "images" / f"{name}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"jpg")
    return root


# ----------------------------------------------------------------------------- predictions of the VG test split
# Test split: image 15, two GT boxes, relations (0, 1, on), (0, 1, on), (0, 1, above); above=1, near=2, on=3.
RANKED_SCORES = np.array([[0, 0.3, 0, 0.7], [0, 0.5, 0.5, 0]], dtype=np.float32)


def test_split_gt(root: Path):
    return open_dataset(root, "test", check_images=False).ground_truth()[0]


test_split_gt.__test__ = False  # a helper, not a test


def ranked_image(gt, *, pairs=((0, 1), (1, 0)), scores=RANKED_SCORES, boxes=None):
    """GT boxes and labels, pairs (0,1) then (1,0) scored by ``scores`` (R@20 2/3, ngR@20 1, mR@20 1/3)."""
    from sgg_bench.structures import ImagePrediction
    boxes = gt.boxes if boxes is None else boxes
    n = len(boxes)
    return ImagePrediction(image_id=gt.image_id, boxes=boxes, labels=gt.labels[:n],
                           scores=np.ones(n, np.float32), rel_pairs=np.asarray(pairs, np.int64).reshape(-1, 2),
                           rel_scores=np.asarray(scores, np.float32).reshape(-1, 4))


def write_prediction_file(path: Path, images, mode: str = "predcls", split: str = "test") -> Path:
    from sgg_bench.evaluation.predictions import PredictionsWriter
    with PredictionsWriter(path, dataset="vg", split=split, mode=mode, num_obj_classes=5, num_rel_classes=4) as w:
        for image in images:
            w.add(image)
    return path
