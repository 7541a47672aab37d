"""Format checks shared by the readers and ``sgg-bench data check``.

Every check is vectorised over all rows and raises ``DataFormatError`` naming the file,
the key with the first offending row, and what was expected (docs/FORMATS.md and 2).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from sgg_bench.data.ranges import concat_ranges
from sgg_bench.errors import DataFormatError

# Required keys of VG-SGG(-with-attri).h5; `attributes` is optional (attribute-free VG-SGG.h5).
VG_H5_KEYS = ("boxes_1024", "labels", "img_to_first_box", "img_to_last_box", "relationships",
              "predicates", "img_to_first_rel", "img_to_last_rel", "split")
# Images the standard loader skips in image_data.json (corrupted files in VG 1.2/1.4).
VG_CORRUPTED_IMAGE_IDS = frozenset({1592, 1722, 4616, 4617})


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_shape(path: Path, key: str, array: np.ndarray, shape: Sequence[int | None]) -> None:
    """``shape`` entries are sizes or None (any size)."""
    ok = array.ndim == len(shape) and all(want is None or want == got for want, got in zip(shape, array.shape))
    if not ok:
        wanted = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise DataFormatError(path, key, f"an array of shape {wanted}", tuple(array.shape))


def check_values_in_range(path: Path, key: str, values: np.ndarray, low: int, high: int, what: str) -> None:
    """Every entry of ``values`` (first axis = row) must lie in ``[low, high]``."""
    bad = (values < low) | (values > high)
    if bad.ndim > 1:
        bad = bad.reshape(len(bad), -1).any(axis=1) if len(bad) else np.zeros(0, dtype=bool)
    if bad.any():
        row = _first(bad)
        raise DataFormatError(path, f"{key}[{row}]", f"{what} in {low}..{high}", values[row].tolist())


def check_row_ranges(path: Path, first_key: str, last_key: str, first: np.ndarray, last: np.ndarray,
                     num_rows: int, row_name: str) -> None:
    """Inclusive (first, last) ranges: both -1 (none) or ``0 <= first <= last < num_rows``."""
    empty = (first == -1) & (last == -1)
    valid = (first >= 0) & (first <= last) & (last < num_rows)
    bad = ~(empty | valid)
    if bad.any():
        row = _first(bad)
        raise DataFormatError(
            path, f"{first_key}[{row}] / {last_key}[{row}]",
            f"-1 / -1 (none) or an inclusive range of {row_name} rows within 0..{num_rows - 1}",
            (int(first[row]), int(last[row])))


def check_disjoint_ranges(path: Path, first_key: str, first: np.ndarray, last: np.ndarray, row_name: str) -> None:
    """No two images may own the same row: non-empty inclusive ranges must not overlap."""
    images = np.flatnonzero(first >= 0)
    if len(images) < 2:
        return
    order = images[np.argsort(first[images], kind="stable")]
    overlap = first[order[1:]] <= last[order[:-1]]
    if overlap.any():
        k = _first(overlap)
        a, b = sorted((int(order[k]), int(order[k + 1])))
        raise DataFormatError(path, f"{first_key}[{b}]",
                              f"{row_name} rows owned by one image only (image rows {a} and {b} share rows "
                              f"{int(first[order[k + 1]])}..{int(min(last[order[k]], last[order[k + 1]]))})",
                              int(first[b]))


def validate_vg_arrays(path: Path, *, boxes: np.ndarray, labels: np.ndarray, relationships: np.ndarray,
                       predicates: np.ndarray, first_box: np.ndarray, last_box: np.ndarray,
                       first_rel: np.ndarray, last_rel: np.ndarray, split: np.ndarray,
                       num_object_classes: int, num_predicate_classes: int) -> None:
    """Check the arrays of a VG150 h5 (``labels``/``predicates`` already flattened to 1-D; the
    box values are checked by ``box_rules.vg_grid_boxes_as_int``).

    num_*_classes count the background, so valid labels are 1..num_object_classes - 1.
    """
    num_obj, num_rel, num_img = len(labels), len(predicates), len(split)
    check_shape(path, "boxes_1024", boxes, (num_obj, 4))
    check_shape(path, "relationships", relationships, (num_rel, 2))
    for key, array in (("img_to_first_box", first_box), ("img_to_last_box", last_box),
                       ("img_to_first_rel", first_rel), ("img_to_last_rel", last_rel)):
        check_shape(path, key, array, (num_img,))
    check_values_in_range(path, "labels", labels, 1, num_object_classes - 1, "an object class")
    check_values_in_range(path, "predicates", predicates, 1, num_predicate_classes - 1, "a predicate class")
    bad_split = (split != 0) & (split != 2)
    if bad_split.any():
        row = _first(bad_split)
        raise DataFormatError(path, f"split[{row}]", "0 (train) or 2 (test)", int(split[row]))
    check_row_ranges(path, "img_to_first_box", "img_to_last_box", first_box, last_box, num_obj, "object")
    check_row_ranges(path, "img_to_first_rel", "img_to_last_rel", first_rel, last_rel, num_rel, "relation")
    rels_without_boxes = (first_rel >= 0) & (first_box < 0)
    if rels_without_boxes.any():
        row = _first(rels_without_boxes)
        raise DataFormatError(path, f"img_to_first_rel[{row}]", "-1 for an image without objects (img_to_first_box = -1)",
                              int(first_rel[row]))
    check_disjoint_ranges(path, "img_to_first_box", first_box, last_box, "object")
    check_disjoint_ranges(path, "img_to_first_rel", first_rel, last_rel, "relation")
    check_values_in_range(path, "relationships", relationships, 0, num_obj - 1, "global object row indices")
    # Every relation must point to boxes of the image that owns the relation row.
    has_rel = np.flatnonzero(first_rel >= 0)
    counts = (last_rel[has_rel] - first_rel[has_rel] + 1).astype(np.int64)
    rel_rows = concat_ranges(first_rel[has_rel], counts)
    owners = np.repeat(has_rel, counts)
    low, high = first_box[owners][:, None], last_box[owners][:, None]
    pairs = relationships[rel_rows]
    outside = ((pairs < low) | (pairs > high)).any(axis=1)
    if outside.any():
        k = _first(outside)
        image = int(owners[k])
        raise DataFormatError(
            path, f"relationships[{int(rel_rows[k])}]",
            f"subject and object in object rows {int(first_box[image])}..{int(last_box[image])} of image row {image} "
            "(its img_to_first_box..img_to_last_box)", pairs[k].tolist())


def filter_vg_image_data(path: Path, entries: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``image_data.json`` list -> (image_ids, widths, heights, source_rows), corrupted ids skipped.

    Returns (N,) int64 arrays; ``source_rows`` is each kept entry's row in the JSON list.
    """
    if not isinstance(entries, list):
        raise DataFormatError(path, "top level", "a JSON list of image entries", type(entries).__name__)
    fast = _image_data_columns(entries)
    if fast is not None:
        return fast
    ids, widths, heights, rows = [], [], [], []
    row_of_id: dict[int, int] = {}
    for row, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise DataFormatError(path, f"[{row}]", "an object with image_id, width, height", type(entry).__name__)
        for key in ("image_id", "width", "height"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise DataFormatError(path, f"[{row}].{key}", "an integer", "missing" if key not in entry else repr(value))
            if key != "image_id" and value <= 0:
                raise DataFormatError(path, f"[{row}].{key}", "a positive image size in pixels", value)
        if entry["image_id"] in VG_CORRUPTED_IMAGE_IDS:
            continue
        if entry["image_id"] in row_of_id:
            raise DataFormatError(path, f"[{row}].image_id", f"an id not already used (row {row_of_id[entry['image_id']]})",
                                  entry["image_id"])
        row_of_id[entry["image_id"]] = row
        ids.append(entry["image_id"])
        widths.append(entry["width"])
        heights.append(entry["height"])
        rows.append(row)
    as_array = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
    return as_array(ids), as_array(widths), as_array(heights), as_array(rows)


def _image_data_columns(entries: list) -> tuple[np.ndarray, ...] | None:
    """The same result as the checking loop when every entry is valid (one pass per column, no
    per-entry branching); None when any entry is not, so that the loop can name the bad one."""
    try:
        if set(map(type, entries)) - {dict}:
            return None
        columns = [[entry[key] for entry in entries] for key in ("image_id", "width", "height")]
    except KeyError:
        return None
    if any(set(map(type, column)) - {int} for column in columns):
        return None                     # bool is not int here, as in the loop's isinstance test
    try:
        ids, widths, heights = (np.asarray(column, dtype=np.int64) for column in columns)
    except OverflowError:
        return None
    if (widths <= 0).any() or (heights <= 0).any():
        return None
    keep = ~np.isin(ids, np.asarray(sorted(VG_CORRUPTED_IMAGE_IDS), dtype=np.int64))
    rows = np.flatnonzero(keep).astype(np.int64)
    if len(np.unique(ids[rows])) != len(rows):
        return None                     # a repeated id: the loop names both rows
    return ids[rows], widths[rows], heights[rows], rows


def check_vg_image_count(image_data_path: Path, num_entries: int, h5_path: Path, num_h5_images: int) -> None:
    if num_entries != num_h5_images:
        raise DataFormatError(
            image_data_path, "length",
            f"{num_h5_images} entries after skipping the corrupted ids {sorted(VG_CORRUPTED_IMAGE_IDS)} "
            f"(one per image row of {h5_path.name})", num_entries)


def check_image_files(paths: Sequence[str | os.PathLike], *, listing: str, rows: Sequence[int]) -> None:
    """Every image file must exist; the error names the file and the row of ``listing`` it comes from."""
    for path, row in zip(paths, rows):
        if not os.path.isfile(path):
            raise DataFormatError(path, "image file", f"the image of {listing} row {row}", "missing")
