"""OpenImages V6 (and V4) reader for the BGNN/PySGG json files (docs/FORMATS.md).

Folder: ``annotations/vrd-{train,val,test}-anno.json`` + ``annotations/categories_dict.json``
(or the same files directly in the root) and ``images/<img_fn>.jpg``. The image id of an
entry is its row index in the split's annotation list (stable under truncation/filtering).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from numbers import Real
from pathlib import Path, PurePosixPath

import numpy as np

from sgg_bench.data.box_rules import check_pixel_boxes
from sgg_bench.data.dataset import SGGDataset, SceneGraphTable, check_split
from sgg_bench.data.ranges import concat_ranges, counts_to_offsets
from sgg_bench.data.validate import check_image_files
from sgg_bench.data.vg_boxes import clip_for_evaluation
from sgg_bench.data.vocab import load_openimages_vocabulary, read_json
from sgg_bench.errors import DataFormatError
from sgg_bench.structures import DatasetVocabulary

IMAGE_DIR = "images"
ENTRY_KEYS = ("bbox", "det_labels", "rel", "img_size", "img_fn")


@dataclass(frozen=True)
class OpenImagesFiles:
    root: Path
    annotation_dir: Path
    categories: Path
    image_dir: Path

    def split_file(self, split: str) -> Path:
        return self.annotation_dir / f"vrd-{split}-anno.json"

    @property
    def annotation_files(self) -> list[Path]:
        return [self.categories] + [self.split_file(s) for s in ("train", "val", "test") if self.split_file(s).is_file()]


def find_openimages_files(root: str | os.PathLike) -> OpenImagesFiles:
    root = Path(root)
    for annotation_dir in (root / "annotations", root):
        if (annotation_dir / "categories_dict.json").is_file():
            return OpenImagesFiles(root=root, annotation_dir=annotation_dir,
                                   categories=annotation_dir / "categories_dict.json", image_dir=root / IMAGE_DIR)
    raise DataFormatError(root / "annotations" / "categories_dict.json", "file",
                          "categories_dict.json in annotations/ or in the dataset root", "missing")


@dataclass
class OpenImagesSplit:
    """One parsed annotation file (all rows, validated). N images, B boxes, Q relations.

    widths, heights, box_counts, rel_counts: (N,) int64; img_fns: N strings;
    boxes: (B, 4) float32 xyxy pixels; labels: (B,) int64 1-based;
    relations: (Q, 3) int64 (sub, obj, pred 1-based), indices local to the image.
    """

    widths: np.ndarray
    heights: np.ndarray
    img_fns: list[str]
    boxes: np.ndarray
    labels: np.ndarray
    box_counts: np.ndarray
    relations: np.ndarray
    rel_counts: np.ndarray

    def __len__(self) -> int:
        return len(self.widths)


def stays_in_image_folder(img_fn: str) -> bool:
    """True when ``images/<img_fn>.jpg`` cannot leave ``images/`` (sub-folders allowed)."""
    if "\\" in img_fn or "\0" in img_fn or PurePosixPath(img_fn).is_absolute():
        return False
    return all(part not in ("..", "") for part in img_fn.split("/"))


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_entry(path: Path, row: int, entry: object) -> None:
    """Structure of one annotation dict (types and lengths); values are checked vectorised."""
    if not isinstance(entry, dict):
        raise DataFormatError(path, f"[{row}]", f"an object with keys {', '.join(ENTRY_KEYS)}", type(entry).__name__)
    for key in ENTRY_KEYS:
        if key not in entry:
            raise DataFormatError(path, f"[{row}].{key}", "this key to be present", "missing")
    if not isinstance(entry["img_fn"], str) or not entry["img_fn"]:
        raise DataFormatError(path, f"[{row}].img_fn", "a non-empty file stem string", repr(entry["img_fn"]))
    if not stays_in_image_folder(entry["img_fn"]):
        raise DataFormatError(path, f"[{row}].img_fn", f"a file stem inside the {IMAGE_DIR}/ folder "
                              "(no absolute path, '..', backslash or NUL)", repr(entry["img_fn"]))
    size = entry["img_size"]
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                                                               for v in size)):
        raise DataFormatError(path, f"[{row}].img_size", "[width, height], positive integers", repr(size))
    for key, width in (("bbox", 4), ("rel", 3)):
        items = entry[key]
        if not isinstance(items, list):
            raise DataFormatError(path, f"[{row}].{key}", f"a list of {width}-element rows", type(items).__name__)
        for k, item in enumerate(items):
            numeric = _is_number if key == "bbox" else (lambda v: isinstance(v, int) and not isinstance(v, bool))
            if not (isinstance(item, list) and len(item) == width and all(numeric(v) for v in item)):
                what = "[x1, y1, x2, y2] numbers" if key == "bbox" else "[subject, object, predicate] integers"
                raise DataFormatError(path, f"[{row}].{key}[{k}]", what, repr(item))
    labels = entry["det_labels"]
    if not isinstance(labels, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
        raise DataFormatError(path, f"[{row}].det_labels", "a list of integer class ids", repr(labels))
    if len(labels) != len(entry["bbox"]):
        raise DataFormatError(path, f"[{row}].det_labels", f"one label per box ({len(entry['bbox'])})", len(labels))


def parse_openimages_split(path: Path, entries: object, vocab: DatasetVocabulary) -> OpenImagesSplit:
    """Validate every row of ``vrd-<split>-anno.json`` and convert classes to 1-based."""
    if not isinstance(entries, list):
        raise DataFormatError(path, "top level", "a JSON list of image annotations", type(entries).__name__)
    boxes, labels, relations, box_counts, rel_counts, sizes, fns = [], [], [], [], [], [], []
    for row, entry in enumerate(entries):
        _check_entry(path, row, entry)
        boxes.extend(entry["bbox"])
        labels.extend(entry["det_labels"])
        relations.extend(entry["rel"])
        box_counts.append(len(entry["bbox"]))
        rel_counts.append(len(entry["rel"]))
        sizes.append(entry["img_size"])
        fns.append(entry["img_fn"])
    box_counts_a = np.asarray(box_counts, dtype=np.int64)
    rel_counts_a = np.asarray(rel_counts, dtype=np.int64)
    boxes_a = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    labels_a = np.asarray(labels, dtype=np.int64)
    relations_a = np.asarray(relations, dtype=np.int64).reshape(-1, 3)
    box_owner = np.repeat(np.arange(len(fns)), box_counts_a)
    rel_owner = np.repeat(np.arange(len(fns)), rel_counts_a)
    box_start = counts_to_offsets(box_counts_a)
    rel_start = counts_to_offsets(rel_counts_a)

    def fail(mask: np.ndarray, owner: np.ndarray, start: np.ndarray, key: str, expected: str, values: np.ndarray):
        k = int(np.flatnonzero(mask)[0])
        image = int(owner[k])
        raise DataFormatError(path, f"[{image}].{key}[{k - int(start[image])}]", expected, values[k].tolist())

    bad = (labels_a < 0) | (labels_a > vocab.num_object_classes - 2)
    if bad.any():
        fail(bad, box_owner, box_start, "det_labels", f"a 0-based object class in 0..{vocab.num_object_classes - 2}",
             labels_a)
    # Box rule (box_rules.py): finite, within float32, not inverted; zero-size boxes are accepted.
    check_pixel_boxes(path, boxes_a, lambda k: f"[{int(box_owner[k])}].bbox[{k - int(box_start[box_owner[k]])}]")
    own_boxes = box_counts_a[rel_owner][:, None]
    bad = ((relations_a[:, :2] < 0) | (relations_a[:, :2] >= own_boxes)).any(axis=1)
    if bad.any():
        fail(bad, rel_owner, rel_start, "rel", "subject and object indices into this image's bbox list", relations_a)
    bad = (relations_a[:, 2] < 0) | (relations_a[:, 2] > vocab.num_predicate_classes - 2)
    if bad.any():
        fail(bad, rel_owner, rel_start, "rel", f"a 0-based predicate in 0..{vocab.num_predicate_classes - 2}",
             relations_a)
    size_a = np.asarray(sizes, dtype=np.int64).reshape(-1, 2)
    relations_a[:, 2] += 1
    return OpenImagesSplit(widths=size_a[:, 0], heights=size_a[:, 1], img_fns=fns,
                           boxes=boxes_a.astype(np.float32), labels=labels_a + 1, box_counts=box_counts_a,
                           relations=relations_a, rel_counts=rel_counts_a)


def read_openimages_split(files: OpenImagesFiles, split: str, vocab: DatasetVocabulary) -> OpenImagesSplit:
    path = files.split_file(split)
    if not path.is_file():
        raise DataFormatError(path, "file", f"the {split} annotation list of {files.root}", "missing")
    return parse_openimages_split(path, read_json(path), vocab)


def select_openimages_rows(parsed: OpenImagesSplit, *, num_im: int = -1, filter_empty_rels: bool = True) -> np.ndarray:
    """Rows kept (docs/FORMATS.md): truncate to ``num_im`` first, then drop images without relations/boxes."""
    rows = np.arange(len(parsed), dtype=np.int64)
    if num_im > -1:
        rows = rows[:num_im]
    if filter_empty_rels:
        rows = rows[(parsed.rel_counts[rows] > 0) & (parsed.box_counts[rows] > 0)]
    return rows


def build_openimages_table(parsed: OpenImagesSplit, rows: np.ndarray, image_dir: Path) -> SceneGraphTable:
    box_offsets, rel_offsets = counts_to_offsets(parsed.box_counts), counts_to_offsets(parsed.rel_counts)
    box_rows = concat_ranges(box_offsets[rows], parsed.box_counts[rows])
    rel_rows = concat_ranges(rel_offsets[rows], parsed.rel_counts[rows])
    return SceneGraphTable(
        image_ids=rows.copy(), source_rows=rows.copy(), widths=parsed.widths[rows], heights=parsed.heights[rows],
        image_paths=[image_dir / f"{parsed.img_fns[r]}.jpg" for r in rows],
        boxes=parsed.boxes[box_rows], labels=parsed.labels[box_rows],
        box_offsets=counts_to_offsets(parsed.box_counts[rows]), relations=parsed.relations[rel_rows],
        rel_offsets=counts_to_offsets(parsed.rel_counts[rows]))


def _pixels(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)


def open_openimages(root: str | os.PathLike, split: str, *, num_im: int = -1, filter_empty_rels: bool = True,
                    filter_duplicate_rels: bool = True, check_images: bool = True) -> SGGDataset:
    """One split of an OpenImages folder; duplicates are resolved on train only."""
    check_split(split)
    files = find_openimages_files(root)
    vocab = load_openimages_vocabulary(files.categories)
    parsed = read_openimages_split(files, split, vocab)
    if split == "train":
        # Training needs every split sound: a broken val/test file must fail now, not after training.
        for other in ("val", "test"):
            read_openimages_split(files, other, vocab)
    rows = select_openimages_rows(parsed, num_im=num_im, filter_empty_rels=filter_empty_rels)
    table = build_openimages_table(parsed, rows, files.image_dir)
    if check_images:
        check_image_files(table.image_paths, listing=files.split_file(split).name, rows=rows)
    return SGGDataset(format="openimages", split=split, root=files.root, vocab=vocab, table=table,
                      to_pixels=_pixels, clip=clip_for_evaluation,
                      deduplicate=filter_duplicate_rels and split == "train", source_files=files.annotation_files)
