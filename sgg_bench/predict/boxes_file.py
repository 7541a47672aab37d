"""The user's boxes (and labels) for PredCls / SGCls, from a JSON file keyed by image file name.

    {"kitchen.jpg": {"boxes": [[x1, y1, x2, y2], ...], "labels": ["cup", "table", ...]}, ...}

Boxes are x1, y1, x2, y2 in the pixels of the image as viewers show it (EXIF orientation
applied). ``labels`` (class names of the run's vocabulary, or their 1-based ids) are required
for PredCls and ignored by SGCls. A key is the file's name (``kitchen.jpg``) or the path as
given on the command line. Every problem is a ``DataFormatError`` naming the file and the field.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sgg_bench.errors import DataFormatError
from sgg_bench.structures import DatasetVocabulary


@dataclass
class GivenObjects:
    boxes: np.ndarray            # (G, 4) float32, original pixels
    labels: np.ndarray | None    # (G,) int64 1-based, or None (SGCls)


def _box(path: Path, field: str, value) -> list[float]:
    if not isinstance(value, list) or len(value) != 4:
        raise DataFormatError(path, field, "a list [x1, y1, x2, y2]", json.dumps(value)[:80])
    numbers = []
    for k, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DataFormatError(path, f"{field}[{k}]", "a finite number", json.dumps(v))
        numbers.append(float(v))
    x1, y1, x2, y2 = numbers
    if x2 < x1 or y2 < y1:
        raise DataFormatError(path, field, "x2 >= x1 and y2 >= y1", numbers)
    return numbers


def _label(path: Path, field: str, value, vocab: DatasetVocabulary) -> int:
    names = vocab.object_classes
    if isinstance(value, str):
        if value in names[1:]:
            return names.index(value)
        shown = ", ".join(names[1:6]) + (", ..." if len(names) > 6 else "")
        raise DataFormatError(path, field, f"a class of the run's vocabulary ({shown})", repr(value))
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < len(names):
        return value
    raise DataFormatError(path, field, f"a class name or an id in 1..{len(names) - 1}", json.dumps(value))


def read_boxes_file(path: str | os.PathLike, vocab: DatasetVocabulary, *, need_labels: bool) -> dict[str, GivenObjects]:
    """``{key: GivenObjects}`` for every entry of ``path`` (keys as written)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(path, "(file)", "an existing JSON file", "no such file") from None
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, "(file)", "UTF-8 text", str(exc)) from None
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, f"line {exc.lineno} column {exc.colno}", "valid JSON", exc.msg) from None
    if not isinstance(document, dict):
        raise DataFormatError(path, "(top level)", "an object keyed by image file name", type(document).__name__)
    entries: dict[str, GivenObjects] = {}
    for key, entry in document.items():
        where = json.dumps(key)
        if not isinstance(entry, dict):
            raise DataFormatError(path, where, 'an object {"boxes": [...], "labels": [...]}', type(entry).__name__)
        unknown = sorted(set(entry) - {"boxes", "labels"})
        if unknown:
            raise DataFormatError(path, f"{where}.{unknown[0]}", "only the keys boxes and labels", "an unknown key")
        boxes = entry.get("boxes")
        if not isinstance(boxes, list):
            raise DataFormatError(path, f"{where}.boxes", "a list of [x1, y1, x2, y2]",
                                  "missing" if boxes is None else type(boxes).__name__)
        parsed = [_box(path, f"{where}.boxes[{i}]", b) for i, b in enumerate(boxes)]
        labels = entry.get("labels")
        label_ids = None
        if need_labels or labels is not None:
            if not isinstance(labels, list):
                raise DataFormatError(path, f"{where}.labels", "a list of class names (PredCls needs labels)",
                                      "missing" if labels is None else type(labels).__name__)
            if len(labels) != len(parsed):
                raise DataFormatError(path, f"{where}.labels", f"one label per box ({len(parsed)})", len(labels))
            label_ids = np.asarray([_label(path, f"{where}.labels[{i}]", v, vocab) for i, v in enumerate(labels)],
                                   dtype=np.int64)
        entries[key] = GivenObjects(boxes=np.asarray(parsed, dtype=np.float32).reshape(-1, 4), labels=label_ids)
    return entries


def objects_for(entries: dict[str, GivenObjects], image_path: Path, *, boxes_path: str | os.PathLike) -> GivenObjects:
    """The entry of ``image_path`` (by the path as given, else its file name)."""
    for key in (str(image_path), image_path.name):
        if key in entries:
            return entries[key]
    raise DataFormatError(boxes_path, json.dumps(image_path.name), "an entry for every input image (PredCls/SGCls "
                          "use the given boxes)", "no entry")
