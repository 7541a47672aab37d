"""The split-level dataset object shared by the VG150 and OpenImages readers.

A reader selects a split and fills a ``SceneGraphTable`` (all images of the split,
boxes/relations concatenated with offsets); ``SGGDataset`` turns rows of it into
``ImageRecord`` (training view) and ``ImageGroundTruth`` (evaluation view).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from sgg_bench.data.box_rules import empty_after_clipping
from sgg_bench.errors import ConfigError, DataFormatError, what_is_at
from sgg_bench.structures import DatasetVocabulary, ImageGroundTruth

SPLITS = ("train", "val", "test")
SETTINGS_FILE = "sgg-bench.json"
DEFAULT_NUM_VAL_IM = 5000
VG_H5_NAMES = ("VG-SGG-with-attri.h5", "VG-SGG.h5")
OPENIMAGES_VOCAB_PATHS = ("annotations/categories_dict.json", "categories_dict.json")


@dataclass
class SceneGraphTable:
    """All images of one split, concatenated.

    image_ids, widths, heights: (N,) int64; image_paths: N paths (a list or ``ImagePaths``).
    source_rows: (N,) int64, the image's row in the source file (VG: h5 image row;
                 OpenImages: index in the split's annotation list).
    boxes:       (B, 4) xyxy in the *source frame* (VG: int32 1024-grid after the loader's
                 truncation; OpenImages: float32 pixels); image i owns rows box_offsets[i]:box_offsets[i+1].
    labels:      (B,) int64, 1-based.   attributes: (B, K) int64 or None.
    relations:   (Q, 3) int64 (subject, object, predicate), indices local to the image's boxes;
                 image i owns rows rel_offsets[i]:rel_offsets[i+1].
    """

    image_ids: np.ndarray
    source_rows: np.ndarray
    widths: np.ndarray
    heights: np.ndarray
    image_paths: Sequence[Path]
    boxes: np.ndarray
    labels: np.ndarray
    box_offsets: np.ndarray
    relations: np.ndarray
    rel_offsets: np.ndarray
    attributes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.image_ids)

    def image_boxes(self, i: int) -> np.ndarray:
        return self.boxes[self.box_offsets[i]:self.box_offsets[i + 1]]

    def image_labels(self, i: int) -> np.ndarray:
        return self.labels[self.box_offsets[i]:self.box_offsets[i + 1]]

    def image_relations(self, i: int) -> np.ndarray:
        return self.relations[self.rel_offsets[i]:self.rel_offsets[i + 1]]


class ImagePaths(Sequence):
    """``folder / f"{name}{suffix}"`` for each name, built on access (tens of thousands of Path
    objects cost a noticeable part of opening a split that only needs its annotations)."""

    def __init__(self, folder: Path, names: Sequence, suffix: str = ".jpg"):
        self.folder, self.names, self.suffix = Path(folder), names, suffix

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.folder / f"{self.names[i]}{self.suffix}"

    def __iter__(self) -> Iterator[Path]:
        return (self.folder / f"{name}{self.suffix}" for name in self.names)


def deduplicate_relations(relations: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly random predicate per (subject, object) pair; pairs in first-seen order.

    relations: (R, 3) int64 -> (R', 3) int64 (docs/FORMATS.md).
    """
    if len(relations) == 0:
        return relations.reshape(0, 3).astype(np.int64)
    _, first_seen, group = np.unique(relations[:, :2], axis=0, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    # A random key per row; the row with the largest key in each group wins (uniform choice).
    order = np.lexsort((rng.random(len(relations)), group))
    winner_by_group = order[np.r_[group[order][1:] != group[order][:-1], True]]
    chosen = winner_by_group[np.argsort(first_seen, kind="stable")]
    return relations[chosen].astype(np.int64)


@dataclass
class ImageRecord:
    """One image as a training/inference target.

    boxes:  (G, 4) float32 xyxy original-image pixels, clipped to [0, w-1] x [0, h-1]. On the
            train split boxes that became empty are removed (the standard loader's training
            target); on val/test every box is kept, equal to ``ground_truth()`` row for row
            (the box rule of ``sgg_bench.data.box_rules``).
    labels: (G,) int64.  attributes: (G, K) int64 or None.
    relations: (R, 3) int64 raw (sub, obj, pred) list re-indexed to the kept boxes
            (relations of removed boxes dropped); duplicates kept.
    gt_box_index: (G,) int64, row of each kept box in ``ground_truth()``'s box list.
    """

    image_id: int
    image_path: Path
    width: int
    height: int
    boxes: np.ndarray
    labels: np.ndarray
    relations: np.ndarray
    gt_box_index: np.ndarray
    attributes: np.ndarray | None = None
    deduplicate: bool = False

    def training_relations(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """(R', 3) int64: de-duplicated (one random predicate per pair) on train with
        filter_duplicate_rels, else the raw list."""
        if not self.deduplicate:
            return self.relations
        return deduplicate_relations(self.relations, rng if rng is not None else np.random.default_rng())


class SGGDataset:
    """One split of a dataset folder. ``ds[i] -> ImageRecord``; ``ds.ground_truth()``."""

    def __init__(self, *, format: str, split: str, root: Path, vocab: DatasetVocabulary, table: SceneGraphTable,
                 to_pixels: Callable[[np.ndarray, int, int], np.ndarray],
                 clip: Callable[[np.ndarray, int, int], np.ndarray],
                 deduplicate: bool, source_files: Sequence[Path], remove_empty_boxes: bool | None = None):
        self.format = format
        self.split = split
        self.root = Path(root)
        self.vocab = vocab
        self.table = table
        self._to_pixels = to_pixels
        self._clip = clip
        self._deduplicate = deduplicate
        # Box rule: only training targets drop boxes that are empty after clipping.
        self.remove_empty_boxes = split == "train" if remove_empty_boxes is None else bool(remove_empty_boxes)
        self.source_files = list(source_files)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"SGGDataset(format={self.format!r}, split={self.split!r}, root='{self.root}', images={len(self)})"

    @property
    def image_ids(self) -> np.ndarray:
        return self.table.image_ids

    @functools.cached_property
    def fingerprint(self) -> str:
        """Hash of the format and the content of the annotation files (image pixels excluded)."""
        return files_fingerprint(self.source_files, extra=self.format)

    def _eval_boxes(self, i: int) -> np.ndarray:
        width, height = int(self.table.widths[i]), int(self.table.heights[i])
        pixels = self._to_pixels(self.table.image_boxes(i), width, height)
        return self._clip(pixels.reshape(-1, 4), width, height)

    def __getitem__(self, i: int) -> ImageRecord:
        if not -len(self) <= i < len(self):
            raise IndexError(f"image index {i} out of range for {len(self)} images")
        i = i % len(self)
        table = self.table
        boxes = self._eval_boxes(i)
        keep = ~empty_after_clipping(boxes) if self.remove_empty_boxes else np.ones(len(boxes), dtype=bool)
        relations = table.image_relations(i).astype(np.int64)
        kept_index = np.flatnonzero(keep).astype(np.int64)
        if not keep.all():
            new_index = np.cumsum(keep) - 1
            relations = relations[keep[relations[:, 0]] & keep[relations[:, 1]]]
            relations = np.column_stack([new_index[relations[:, 0]], new_index[relations[:, 1]], relations[:, 2]])
        attributes = None
        if table.attributes is not None:
            attributes = table.attributes[table.box_offsets[i]:table.box_offsets[i + 1]][keep].astype(np.int64)
        return ImageRecord(image_id=int(table.image_ids[i]), image_path=Path(table.image_paths[i]),
                           width=int(table.widths[i]), height=int(table.heights[i]), boxes=boxes[keep],
                           labels=table.image_labels(i)[keep].astype(np.int64),
                           relations=relations.reshape(-1, 3).astype(np.int64), gt_box_index=kept_index,
                           attributes=attributes, deduplicate=self._deduplicate)

    def image_ground_truth(self, i: int) -> ImageGroundTruth:
        """Evaluation view: boxes scaled and clipped without removal; the raw relation list."""
        return ImageGroundTruth(image_id=int(self.table.image_ids[i]), width=int(self.table.widths[i]),
                                height=int(self.table.heights[i]), boxes=self._eval_boxes(i),
                                labels=self.table.image_labels(i).astype(np.int64),
                                relations=self.table.image_relations(i).astype(np.int64).reshape(-1, 3))

    def ground_truth(self) -> list[ImageGroundTruth]:
        return [self.image_ground_truth(i) for i in range(len(self))]


@functools.lru_cache(maxsize=64)
def _fingerprint_cached(key: tuple, extra: str) -> str:
    from sgg_bench.data.stat_cache import cached_text, stat_key
    from sgg_bench.utils.hashing import fingerprint_files
    paths = [Path(entry[0]) for entry in key]
    # Hashing hundreds of MB costs more than the rest of opening a split, so it is remembered on disk.
    return cached_text(paths[0].parent, "fingerprint", stat_key(paths, extra),
                       lambda: fingerprint_files(paths, extra=extra))


def files_fingerprint(paths: Sequence[Path], extra: str = "") -> str:
    """``fingerprint_files`` memoised on (path, size, mtime) of each file, in the process and on disk."""
    key = tuple(sorted((str(Path(p).resolve()), os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in paths))
    return _fingerprint_cached(key, extra)


def read_dataset_settings(root: str | os.PathLike) -> dict:
    """The optional ``<root>/sgg-bench.json`` (``{"num_val_im": N, ...}``); {} when absent."""
    from sgg_bench.data.vocab import read_json
    path = Path(root) / SETTINGS_FILE
    if not path.is_file():
        return {}
    settings = read_json(path)
    if not isinstance(settings, dict):
        raise DataFormatError(path, "top level", "a JSON object", type(settings).__name__)
    value = settings.get("num_val_im", DEFAULT_NUM_VAL_IM)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataFormatError(path, "num_val_im", "a non-negative integer", repr(value))
    return settings


def resolve_num_val_im(root: str | os.PathLike, num_val_im: int | None) -> int:
    if num_val_im is None:
        return int(read_dataset_settings(root).get("num_val_im", DEFAULT_NUM_VAL_IM))
    return int(num_val_im)


def detect_format(root: str | os.PathLike) -> str:
    """``"vg"`` if the folder holds a VG-SGG h5, ``"openimages"`` if it holds categories_dict.json."""
    root = Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "dataset folder", "an existing folder", what_is_at(root))
    is_vg = any((root / name).is_file() for name in VG_H5_NAMES)
    is_oi = any((root / name).is_file() for name in OPENIMAGES_VOCAB_PATHS)
    if is_vg and is_oi:
        raise DataFormatError(root, "dataset folder", "files of one format only", "both VG150 and OpenImages files")
    if is_vg:
        return "vg"
    if is_oi:
        return "openimages"
    raise DataFormatError(root, "dataset folder",
                          f"VG150 ({' or '.join(VG_H5_NAMES)}) or OpenImages ({' or '.join(OPENIMAGES_VOCAB_PATHS)})",
                          "neither")


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ConfigError(f"dataset split must be one of {', '.join(SPLITS)}, got {split!r}")


def open_dataset(root: str | os.PathLike, split: str, *, num_val_im: int | None = None, num_im: int = -1,
                 filter_empty_rels: bool = True, filter_non_overlap: bool = False,
                 filter_duplicate_rels: bool = True, check_images: bool = True,
                 attributes: bool = True) -> SGGDataset:
    """Open one split of a VG150 or OpenImages folder (format detected from its files).

    ``filter_non_overlap`` and ``filter_duplicate_rels`` act on the train split only (as the
    standard loaders build their val/test sets); ``num_val_im`` is VG-only. ``check_images``
    requires every image file of the split to exist. ``attributes=False`` skips reading VG's
    object attributes (the evaluator does not use them; ``table.attributes`` is then None).
    """
    check_split(split)
    fmt = detect_format(root)
    if fmt == "vg":
        from sgg_bench.data.vg150 import open_vg150
        return open_vg150(root, split, num_val_im=resolve_num_val_im(root, num_val_im), num_im=num_im,
                          filter_empty_rels=filter_empty_rels, filter_non_overlap=filter_non_overlap,
                          filter_duplicate_rels=filter_duplicate_rels, check_images=check_images,
                          attributes=attributes)
    from sgg_bench.data.openimages import open_openimages
    return open_openimages(root, split, num_im=num_im, filter_empty_rels=filter_empty_rels,
                           filter_duplicate_rels=filter_duplicate_rels, check_images=check_images)
