"""Frequency statistics for the frequency-bias baseline (docs/FORMATS.md).

KT rule (default): the train split minus the val images, duplicates counted, empty-relation
images dropped, ``filter_non_overlap`` on; boxes in the loader's frame (VG: 1024 grid).
    fg[s_cls, o_cls, pred] += 1 for every relation
    bg[cls_i, cls_j] += 1 for every ordered pair i != j whose boxes intersect with positive
        area (no +1); an image without any such pair counts all its ordered pairs
    bg += 1; fg[:, :, 0] = bg; pred_dist = log(fg / fg.sum(2) + 1e-3)
Variant "pysgg": no log. OpenImages uses its train file (no val carving, no overlap filter).
Results are cached in ``<root>/.sgg-bench-cache/freq-v2_<key>.npz`` keyed by the dataset fingerprint,
with a checksum: a damaged cache file is recomputed (``sgg_bench.data.stat_cache``).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from sgg_bench.data.dataset import SceneGraphTable, detect_format, files_fingerprint, resolve_num_val_im
from sgg_bench.data.ranges import owner_of_rows
from sgg_bench.data.stat_cache import cached_arrays

STATISTICS_VERSION = 1
VARIANTS = ("kt", "pysgg")
EPSILON = 1e-3
# Upper bound on n_images * boxes^2 handled at once by the background counter.
_PAIR_CHUNK = 1 << 22


def count_foreground(table: SceneGraphTable, num_object_classes: int, num_predicate_classes: int) -> np.ndarray:
    """(C_obj, C_obj, C_rel) int64 counts of (subject class, object class, predicate), duplicates counted."""
    rel_counts = np.diff(table.rel_offsets)
    first_box = table.box_offsets[:-1][owner_of_rows(rel_counts)]
    subject = table.labels[first_box + table.relations[:, 0]]
    obj = table.labels[first_box + table.relations[:, 1]]
    flat = (subject * num_object_classes + obj) * num_predicate_classes + table.relations[:, 2]
    counts = np.bincount(flat, minlength=num_object_classes * num_object_classes * num_predicate_classes)
    return counts.astype(np.int64).reshape(num_object_classes, num_object_classes, num_predicate_classes)


def count_background(table: SceneGraphTable, num_object_classes: int) -> np.ndarray:
    """(C_obj, C_obj) int64 counts of ordered box pairs with positive intersection area
    (all ordered pairs for an image with none). Images are processed in groups of equal box count."""
    box_counts = np.diff(table.box_offsets)
    flat_counts = np.zeros(num_object_classes * num_object_classes, dtype=np.int64)
    for size in np.unique(box_counts):
        if size < 2:
            continue
        images = np.flatnonzero(box_counts == size)
        step = max(1, _PAIR_CHUNK // int(size * size))
        off_diagonal = ~np.eye(size, dtype=bool)
        for start in range(0, len(images), step):
            rows = table.box_offsets[images[start:start + step]][:, None] + np.arange(size)   # (n, G)
            boxes = table.boxes[rows].astype(np.float64)                                      # (n, G, 4)
            labels = table.labels[rows]
            a, b = boxes[:, :, None, :], boxes[:, None, :, :]
            inter_w = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
            inter_h = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
            overlap = (inter_w > 0) & (inter_h > 0) & off_diagonal                            # (n, G, G)
            none = ~overlap.any(axis=(1, 2))
            pairs = overlap | (none[:, None, None] & off_diagonal)
            keys = labels[:, :, None] * num_object_classes + labels[:, None, :]
            flat_counts += np.bincount(keys[pairs], minlength=len(flat_counts))
    return flat_counts.reshape(num_object_classes, num_object_classes)


def frequency_prior(fg_matrix: np.ndarray, bg_matrix: np.ndarray, *, variant: str = "kt") -> tuple[np.ndarray, ...]:
    """Raw counts -> (fg with column 0 = bg + 1, bg + 1, pred_dist float32 (C_obj, C_obj, C_rel))."""
    if variant not in VARIANTS:
        raise ValueError(f"frequency statistics variant must be one of {VARIANTS}, got {variant!r}")
    bg = bg_matrix.astype(np.int64) + 1
    fg = fg_matrix.astype(np.int64).copy()
    fg[:, :, 0] = bg
    distribution = fg / fg.sum(axis=2, keepdims=True) + EPSILON
    if variant == "kt":
        distribution = np.log(distribution)
    return fg, bg, distribution.astype(np.float32)


def _annotation_files(root: Path, fmt: str) -> list[Path]:
    if fmt == "vg":
        from sgg_bench.data.vg150 import find_vg_files
        return find_vg_files(root).annotation_files
    from sgg_bench.data.openimages import find_openimages_files
    return find_openimages_files(root).annotation_files


def _training_dataset(root: Path, fmt: str, num_val_im: int, filter_non_overlap: bool):
    if fmt == "vg":
        from sgg_bench.data.vg150 import open_vg150
        return open_vg150(root, "train", num_val_im=num_val_im, filter_empty_rels=True,
                          filter_non_overlap=filter_non_overlap, filter_duplicate_rels=False, check_images=False)
    from sgg_bench.data.openimages import open_openimages
    return open_openimages(root, "train", filter_empty_rels=True, filter_duplicate_rels=False, check_images=False)


def get_frequency_statistics(root: str | os.PathLike, *, num_val_im: int | None = None, variant: str = "kt",
                             filter_non_overlap: bool = True, use_cache: bool = True) -> dict:
    """Frequency statistics of a dataset folder (VG150 or OpenImages).

    Returns ``fg_matrix`` (C_obj, C_obj, C_rel) int64 with ``fg[:, :, 0] == bg_matrix``,
    ``bg_matrix`` (C_obj, C_obj) int64 including the +1, ``pred_dist`` float32 (log-prior for
    "kt", plain ratio + 1e-3 for "pysgg"), ``num_images`` and ``fingerprint``.
    """
    if variant not in VARIANTS:
        raise ValueError(f"frequency statistics variant must be one of {VARIANTS}, got {variant!r}")
    root = Path(root)
    fmt = detect_format(root)
    num_val_im = resolve_num_val_im(root, num_val_im) if fmt == "vg" else 0
    fingerprint = files_fingerprint(_annotation_files(root, fmt), extra=fmt)
    key_text = f"{fingerprint}|{variant}|{num_val_im}|{filter_non_overlap}|{STATISTICS_VERSION}"
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]

    def compute() -> tuple[np.ndarray, ...]:
        dataset = _training_dataset(root, fmt, num_val_im, filter_non_overlap)
        num_obj, num_rel = dataset.vocab.num_object_classes, dataset.vocab.num_predicate_classes
        fg, bg, pred_dist = frequency_prior(count_foreground(dataset.table, num_obj, num_rel),
                                            count_background(dataset.table, num_obj), variant=variant)
        return fg, bg, pred_dist, np.int64(len(dataset))

    fg, bg, pred_dist, num_images = cached_arrays(root, "freq", key, compute) if use_cache else compute()
    return {"fg_matrix": fg, "bg_matrix": bg, "pred_dist": pred_dist, "num_images": int(num_images),
            "fingerprint": fingerprint}
