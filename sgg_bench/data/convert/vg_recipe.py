"""The standard VG150 recipe on parsed raw VG images (DX's ``vg_to_roidb.py`` steps, own code):

1. drop objects of zero size, then (``min_box_area_frac``, default 0.002) objects whose area is at
   most that fraction of the image area;
2. merge duplicate boxes per image, greedily in object order: a later box joins an earlier one when
   both boxes are equal or intersection / enclosing-box area > 0.9 (merged box: the mean), or
   when they share their first name and one lies inside the other or that ratio > 0.6 (merged
   box: the enclosing box); merged objects pool their names and object ids;
3. vocabularies: the ``num_objects`` (150) most frequent object names and ``num_predicates`` (50)
   most frequent predicates (ties broken by name), numbered alphabetically from 1; or a given
   dicts file;
4. an object's label is its vocabulary name with the highest overall count (first such name on
   ties); objects without one are dropped;
5. relations are dropped when their subject or object was dropped, the predicate is outside the
   vocabulary, or subject and object merged into one box.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from sgg_bench.data.convert.report import ConversionReport
from sgg_bench.data.convert.vg_json_parse import RawImage, RawObject

SAME_BOX_RATIO = 0.9
SAME_NAME_RATIO = 0.6


def filter_small_objects(images: list[RawImage], min_box_area_frac: float, report: ConversionReport) -> None:
    for image in images:
        kept = []
        for obj in image.objects:
            _, _, w, h = obj.box
            if w <= 0 or h <= 0:
                report.drop("objects", "zero-size box")
            elif min_box_area_frac > 0 and w * h <= min_box_area_frac * image.width * image.height:
                report.drop("objects", f"area at most {min_box_area_frac} of the image (--min-box-area-frac)")
            else:
                kept.append(obj)
        image.objects = kept


def _corners(objects: list[RawObject]) -> np.ndarray:
    """(n, 4) float64 (x1, y1, x2, y2) = (x, y, x + w, y + h) of VG boxes."""
    boxes = np.asarray([obj.box for obj in objects], dtype=np.float64).reshape(-1, 4)
    return np.column_stack([boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]])


def _merge_kind(corners: np.ndarray, first_names: list[str]) -> np.ndarray:
    """(n, n) int: 1 same box, 2 same name and nested, 3 same name and ratio > 0.6, 0 none.
    Corners are truncated to integers first, as the recipe compares integer boxes."""
    c = np.trunc(corners)
    a, b = c[:, None, :], c[None, :, :]
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    enclosing = ((np.maximum(a[..., 2], b[..., 2]) - np.minimum(a[..., 0], b[..., 0]))
                 * (np.maximum(a[..., 3], b[..., 3]) - np.minimum(a[..., 1], b[..., 1])))
    touching = (iw > 0) & (ih > 0)
    ratio = np.where(touching, iw * ih / np.maximum(enclosing, 1e-12), 0.0)
    equal = (a == b).all(axis=-1)
    inside = ((a[..., :2] >= b[..., :2]).all(-1) & (a[..., 2:] <= b[..., 2:]).all(-1)) | \
             ((b[..., :2] >= a[..., :2]).all(-1) & (b[..., 2:] <= a[..., 2:]).all(-1))
    names = np.asarray(first_names, dtype=object)
    same_name = names[:, None] == names[None, :]
    kind = np.zeros(ratio.shape, dtype=np.int64)
    kind[same_name & (ratio > SAME_NAME_RATIO)] = 3
    kind[same_name & inside] = 2
    kind[equal | (ratio > SAME_BOX_RATIO)] = 1
    return kind


def merge_duplicate_boxes(image: RawImage, report: ConversionReport) -> None:
    objects = [obj for obj in image.objects if obj.names] + [obj for obj in image.objects if not obj.names]
    named = [obj for obj in objects if obj.names]
    if len(named) < 2:
        image.objects = objects
        return
    corners = _corners(named)
    kind = _merge_kind(corners, [obj.names[0] for obj in named])
    merged = np.zeros(len(named), dtype=bool)
    result = []
    for i, obj in enumerate(named):
        if merged[i]:
            continue
        partners = np.flatnonzero((kind[i] > 0) & ~merged & (np.arange(len(named)) > i))
        merged[partners] = True
        if len(partners):
            group = np.concatenate([[i], partners])
            if kind[i, partners].max() > 1:
                x1, y1 = corners[group, :2].min(axis=0)
                x2, y2 = corners[group, 2:].max(axis=0)
            else:
                x1, y1, x2, y2 = corners[group].mean(axis=0)
            x1, y1, x2, y2 = int(x1), int(y1), int(x2), int(y2)
            obj = RawObject(ids=[i_ for j in group for i_ in named[j].ids], box=(x1, y1, x2 - x1, y2 - y1),
                            names=sorted({name for j in group for name in named[j].names}))
            report.drop("objects", "merged into a duplicate box of the same image", len(partners))
        result.append(obj)
    image.objects = result + [obj for obj in objects if not obj.names]


def top_names(counter: Counter, limit: int) -> list[str]:
    """The ``limit`` most frequent names (ties by name), sorted alphabetically; all when limit <= 0."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    chosen = [name for name, _ in (ranked if limit <= 0 else ranked[:limit])]
    return sorted(chosen)


def choose_label(names: list[str], index: dict[str, int], counts: Counter) -> int | None:
    best, best_count = None, 0
    for name in names:
        if name in index and counts[name] > best_count:
            best, best_count = index[name], counts[name]
    return best
