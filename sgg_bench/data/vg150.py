"""VG150 reader: ``VG-SGG(-with-attri).h5`` + dicts json + ``image_data.json`` + ``VG_100K/``.

Implements the standard loader rules of docs/FORMATS.md/1.4 with whole-array numpy
operations (each h5 array is read once; no per-image h5 access).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sgg_bench.data.box_rules import require_integer_dtype, vg_grid_boxes_as_int
from sgg_bench.data.dataset import SETTINGS_FILE, ImagePaths, SGGDataset, SceneGraphTable, check_split
from sgg_bench.data.ranges import concat_ranges, counts_to_offsets
from sgg_bench.data.validate import (VG_H5_KEYS, check_image_files, check_shape, check_values_in_range,
                                     check_vg_image_count, filter_vg_image_data, validate_vg_arrays)
from sgg_bench.data.vg_boxes import clip_for_evaluation, decode_boxes, grid_to_pixels
from sgg_bench.data.vocab import load_vg_vocabulary, read_json
from sgg_bench.errors import DataFormatError
from sgg_bench.structures import DatasetVocabulary

IMAGE_DIR = "VG_100K"
# (h5, dicts) pairs, preferred first: KT's attribute file, then the attribute-free original.
FILE_PAIRS = (("VG-SGG-with-attri.h5", "VG-SGG-dicts-with-attri.json"), ("VG-SGG.h5", "VG-SGG-dicts.json"))
SPLIT_FLAG = {"train": 0, "val": 0, "test": 2}
COLUMN_MEANING = {"labels": "object class ids", "predicates": "predicate class ids", "split": "split flags"}


@dataclass(frozen=True)
class VGFiles:
    root: Path
    h5: Path
    dicts: Path
    image_data: Path
    image_dir: Path

    @property
    def annotation_files(self) -> list[Path]:
        return [self.h5, self.dicts, self.image_data]


def find_vg_files(root: str | os.PathLike) -> VGFiles:
    root = Path(root)
    for h5_name, dicts_name in FILE_PAIRS:
        if (root / h5_name).is_file():
            dicts = root / dicts_name
            if not dicts.is_file():
                raise DataFormatError(dicts, "file", f"the vocabulary file that goes with {h5_name}", "missing")
            image_data = root / "image_data.json"
            if not image_data.is_file():
                raise DataFormatError(image_data, "file", "VG image metadata (image_id, width, height)", "missing")
            return VGFiles(root=root, h5=root / h5_name, dicts=dicts, image_data=image_data, image_dir=root / IMAGE_DIR)
    raise DataFormatError(root / FILE_PAIRS[0][0], "file", f"{FILE_PAIRS[0][0]} or {FILE_PAIRS[1][0]}", "missing")


@dataclass
class VGArrays:
    """Whole-file VG h5 content, validated. Object rows B, relation rows Q, image rows N.

    grid_boxes: (B, 4) int32 xyxy on the 1024 grid (decoded with the loader's truncation).
    labels: (B,) int64; attributes: (B, K) int64 or None; relationships: (Q, 2) int64 global
    object rows; predicates: (Q,) int64; first_box/last_box/first_rel/last_rel/split: (N,) int64.
    """

    grid_boxes: np.ndarray
    labels: np.ndarray
    attributes: np.ndarray | None
    relationships: np.ndarray
    predicates: np.ndarray
    first_box: np.ndarray
    last_box: np.ndarray
    first_rel: np.ndarray
    last_rel: np.ndarray
    split: np.ndarray

    @property
    def num_images(self) -> int:
        return len(self.split)


def _column(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """(n, 1) or (n,) integer array -> (n,) int64 (a float column is an error)."""
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise DataFormatError(path, key, "an array of shape (n, 1) or (n,)", tuple(array.shape))
    return require_integer_dtype(path, key, array, COLUMN_MEANING.get(key, "row indices"))


def read_vg_h5(path: Path, vocab: DatasetVocabulary, *, attributes: bool = True) -> VGArrays:
    """Read every needed array of the h5 once and validate it against the vocabulary sizes.

    attributes=False leaves ``VGArrays.attributes`` None without reading them (80+ MB for VG)."""
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise DataFormatError(path, "file", "a readable HDF5 file", str(exc)) from None
    with handle:
        for key in VG_H5_KEYS:
            if key not in handle:
                raise DataFormatError(path, key, "this key to be present", "missing")
        raw = {key: np.asarray(handle[key][()]) for key in VG_H5_KEYS}
        attributes = np.asarray(handle["attributes"][()]) if (attributes and "attributes" in handle) else None
    labels = _column(path, "labels", raw["labels"])
    predicates = _column(path, "predicates", raw["predicates"])
    columns = {key: _column(path, key, raw[key]) for key in
               ("img_to_first_box", "img_to_last_box", "img_to_first_rel", "img_to_last_rel", "split")}
    check_shape(path, "boxes_1024", raw["boxes_1024"], (len(labels), 4))
    boxes = vg_grid_boxes_as_int(path, raw["boxes_1024"])
    relationships = require_integer_dtype(path, "relationships", raw["relationships"], "object row indices")
    validate_vg_arrays(path, boxes=boxes, labels=labels, relationships=relationships, predicates=predicates,
                       first_box=columns["img_to_first_box"], last_box=columns["img_to_last_box"],
                       first_rel=columns["img_to_first_rel"], last_rel=columns["img_to_last_rel"],
                       split=columns["split"], num_object_classes=vocab.num_object_classes,
                       num_predicate_classes=vocab.num_predicate_classes)
    if attributes is not None:
        attributes = _attributes(path, attributes, len(labels), max(len(vocab.attribute_classes) - 1, 0))
    return VGArrays(grid_boxes=decode_boxes(boxes), labels=labels, attributes=attributes,
                    relationships=relationships, predicates=predicates,
                    first_box=columns["img_to_first_box"], last_box=columns["img_to_last_box"],
                    first_rel=columns["img_to_first_rel"], last_rel=columns["img_to_last_rel"],
                    split=columns["split"])


def _attributes(path: Path, attributes: np.ndarray, num_objects: int, num_attributes: int) -> np.ndarray:
    """(B, K) attribute ids, 0 = padding; ``num_attributes`` excludes background (0 without attributes)."""
    if attributes.ndim != 2 or len(attributes) != num_objects:
        raise DataFormatError(path, "attributes", f"an array of shape ({num_objects}, K)", tuple(attributes.shape))
    attributes = require_integer_dtype(path, "attributes", attributes, "attribute ids, 0 = none")
    check_values_in_range(path, "attributes", attributes, 0, num_attributes,
                          "attribute ids of the dicts file (0 = none)")
    return attributes


def select_vg_images(arrays: VGArrays, split: str, *, num_im: int = -1, num_val_im: int = 5000,
                     filter_empty_rels: bool = True) -> np.ndarray:
    """Image rows of a split (docs/FORMATS.md rules 1-3): (n,) int64, in file order.

    train and val share split flag 0; ``num_im`` truncates before val (the first ``num_val_im``)
    is carved out and train keeps the rest.
    """
    check_split(split)
    mask = (arrays.split == SPLIT_FLAG[split]) & (arrays.first_box >= 0)
    if filter_empty_rels:
        mask &= arrays.first_rel >= 0
    rows = np.flatnonzero(mask).astype(np.int64)
    if num_im > -1:
        rows = rows[:num_im]
    if num_val_im > 0 and split == "val":
        rows = rows[:num_val_im]
    elif num_val_im > 0 and split == "train":
        rows = rows[num_val_im:]
    return rows


def check_num_val_im(root: Path, arrays: VGArrays, num_val_im: int, *, num_im: int = -1,
                     filter_empty_rels: bool = True) -> None:
    """val is carved out of train: ``num_val_im`` must leave train at least one image."""
    train_rows = select_vg_images(arrays, "train", num_im=num_im, num_val_im=0, filter_empty_rels=filter_empty_rels)
    if num_val_im > 0 and num_val_im >= len(train_rows):
        raise DataFormatError(
            Path(root) / SETTINGS_FILE, "num_val_im",
            f"fewer than the {len(train_rows)} train images (split flag 0, after filtering), since val is carved "
            "out of train and train would be left empty; set num_val_im in this file or pass a smaller value",
            num_val_im)


def overlapping_relations(grid_boxes: np.ndarray, subject_rows: np.ndarray, object_rows: np.ndarray) -> np.ndarray:
    """(Q,) bool: subject and object boxes have IoU > 0 under the +1 pixel convention
    (boxes within one pixel of touching count), as the loader's ``filter_non_overlap``."""
    a, b = grid_boxes[subject_rows].astype(np.int64), grid_boxes[object_rows].astype(np.int64)
    inter_w = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]) + 1
    inter_h = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]) + 1
    return (inter_w > 0) & (inter_h > 0)


def build_vg_table(arrays: VGArrays, image_rows: np.ndarray, *, image_ids: np.ndarray, widths: np.ndarray,
                   heights: np.ndarray, image_dir: Path, filter_non_overlap: bool = False) -> SceneGraphTable:
    """Gather boxes/labels/relations of ``image_rows`` into a table (relations made image-local).

    With ``filter_non_overlap`` only relations whose boxes overlap are kept and images left
    without relations are dropped (docs/FORMATS.md).
    """
    first_rel = arrays.first_rel[image_rows]
    rel_counts = np.where(first_rel >= 0, arrays.last_rel[image_rows] - first_rel + 1, 0)
    rel_rows = concat_ranges(np.maximum(first_rel, 0), rel_counts)
    if filter_non_overlap:
        pairs = arrays.relationships[rel_rows]
        keep_rel = overlapping_relations(arrays.grid_boxes, pairs[:, 0], pairs[:, 1])
        owner = np.repeat(np.arange(len(image_rows)), rel_counts)
        kept_counts = np.bincount(owner[keep_rel], minlength=len(image_rows))
        keep_image = kept_counts > 0
        rel_rows = rel_rows[keep_rel & keep_image[owner]]
        rel_counts = kept_counts[keep_image]
        image_rows = image_rows[keep_image]
    first_box = arrays.first_box[image_rows]
    box_counts = arrays.last_box[image_rows] - first_box + 1
    box_rows = concat_ranges(first_box, box_counts)
    local = arrays.relationships[rel_rows] - np.repeat(first_box, rel_counts)[:, None]
    ids = image_ids[image_rows]
    return SceneGraphTable(
        image_ids=ids, source_rows=image_rows, widths=widths[image_rows], heights=heights[image_rows],
        image_paths=ImagePaths(image_dir, ids.tolist()),
        boxes=arrays.grid_boxes[box_rows], labels=arrays.labels[box_rows], box_offsets=counts_to_offsets(box_counts),
        relations=np.column_stack([local, arrays.predicates[rel_rows]]).astype(np.int64).reshape(-1, 3),
        rel_offsets=counts_to_offsets(rel_counts),
        attributes=None if arrays.attributes is None else arrays.attributes[box_rows])


def read_vg_image_info(files: VGFiles, num_h5_images: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(image_ids, widths, heights, json_rows), one per h5 image row (corrupted ids skipped)."""
    from sgg_bench.data.stat_cache import cached_arrays, stat_key
    # Parsing and checking image_data.json (108k entries) is remembered per file version.
    ids, widths, heights, json_rows = cached_arrays(
        files.root, "image_data", stat_key([files.image_data], "vg-image-data-1"),
        lambda: filter_vg_image_data(files.image_data, read_json(files.image_data)))
    check_vg_image_count(files.image_data, len(ids), files.h5, num_h5_images)
    return ids, widths, heights, json_rows


def load_vg150(root: str | os.PathLike, *, attributes: bool = True) -> tuple[VGFiles, DatasetVocabulary, VGArrays,
                                                                             tuple]:
    """Read and validate the whole folder: (files, vocab, arrays, (ids, widths, heights, json_rows))."""
    files = find_vg_files(root)
    vocab = load_vg_vocabulary(files.dicts)
    arrays = read_vg_h5(files.h5, vocab, attributes=attributes)
    return files, vocab, arrays, read_vg_image_info(files, arrays.num_images)


def open_vg150(root: str | os.PathLike, split: str, *, num_val_im: int = 5000, num_im: int = -1,
               filter_empty_rels: bool = True, filter_non_overlap: bool = False,
               filter_duplicate_rels: bool = True, check_images: bool = True, attributes: bool = True) -> SGGDataset:
    """One VG150 split; ``filter_non_overlap``/``filter_duplicate_rels`` act on train only."""
    files, vocab, arrays, (ids, widths, heights, json_rows) = load_vg150(root, attributes=attributes)
    if split in ("train", "val"):
        check_num_val_im(files.root, arrays, num_val_im, num_im=num_im, filter_empty_rels=filter_empty_rels)
    rows = select_vg_images(arrays, split, num_im=num_im, num_val_im=num_val_im, filter_empty_rels=filter_empty_rels)
    table = build_vg_table(arrays, rows, image_ids=ids, widths=widths, heights=heights, image_dir=files.image_dir,
                           filter_non_overlap=filter_non_overlap and split == "train")
    if check_images:
        check_image_files(table.image_paths, listing=files.image_data.name, rows=json_rows[table.source_rows])
    dataset = SGGDataset(format="vg", split=split, root=files.root, vocab=vocab, table=table,
                         to_pixels=grid_to_pixels,   # default scale = BOX_SCALE (1024); picklable
                         clip=clip_for_evaluation, deduplicate=filter_duplicate_rels and split == "train",
                         source_files=files.annotation_files)
    return dataset
