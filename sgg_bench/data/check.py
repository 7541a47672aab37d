"""``sgg-bench data check``: validate a whole dataset folder and summarise it.

Uses the readers' own parsing and validation, plus an existence check of every image file.
A folder holding ``vg/`` and/or ``openimages/`` subfolders is checked subfolder by subfolder.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sgg_bench.data.dataset import SPLITS, detect_format, files_fingerprint, resolve_num_val_im
from sgg_bench.data.box_rules import clip_rows, empty_after_clipping
from sgg_bench.data.image_decode import check_image_groups, check_images_decode
from sgg_bench.data.ranges import concat_ranges
from sgg_bench.data.validate import check_image_files
from sgg_bench.errors import DataFormatError, what_is_at

SUBFOLDERS = ("vg", "openimages")


def dataset_folders(root: str | os.PathLike) -> list[Path]:
    """The folder itself if it is a dataset, else its ``vg/`` / ``openimages/`` subfolders."""
    root = Path(root)
    if not root.is_dir():
        raise DataFormatError(root, "dataset folder", "an existing folder", what_is_at(root))
    subfolders = [root / name for name in SUBFOLDERS if (root / name).is_dir()]
    return subfolders if subfolders else [root]


def _histogram(names: list[str], predicates: np.ndarray) -> dict[str, int]:
    counts = np.bincount(predicates, minlength=len(names))
    return {names[i]: int(counts[i]) for i in range(1, len(names))}


def _vg_empty_boxes(arrays, widths: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """(N,) int64 per h5 image row: boxes empty after clipping (the box rule of box_rules.py)."""
    from sgg_bench.data.ranges import owner_of_rows
    from sgg_bench.data.vg_boxes import BOX_SCALE
    counts = np.where(arrays.first_box >= 0, arrays.last_box - arrays.first_box + 1, 0)
    owner = owner_of_rows(counts)
    rows = concat_ranges(np.maximum(arrays.first_box, 0), counts)
    longer = np.maximum(widths, heights)[owner].astype(np.float32)[:, None]
    pixels = (arrays.grid_boxes[rows].astype(np.float32) / np.float32(BOX_SCALE)) * longer
    empty = empty_after_clipping(clip_rows(pixels, widths[owner], heights[owner]))
    return np.bincount(owner[empty], minlength=len(counts)).astype(np.int64)


def check_vg_folder(root: Path, decode: bool = False) -> dict:
    from sgg_bench.data.vg150 import check_num_val_im, load_vg150, select_vg_images
    files, vocab, arrays, (ids, widths, heights, json_rows) = load_vg150(root)
    image_paths = [files.image_dir / f"{int(i)}.jpg" for i in ids]
    check_image_files(image_paths, listing=files.image_data.name, rows=json_rows)
    if decode:
        check_images_decode(image_paths, listing=files.image_data.name, rows=json_rows)
    num_val_im = resolve_num_val_im(root, None)
    if len(select_vg_images(arrays, "train", num_val_im=0)) > 0:
        check_num_val_im(root, arrays, num_val_im)
    empty_boxes = _vg_empty_boxes(arrays, widths, heights)
    box_counts = np.where(arrays.first_box >= 0, arrays.last_box - arrays.first_box + 1, 0)
    rel_counts = np.where(arrays.first_rel >= 0, arrays.last_rel - arrays.first_rel + 1, 0)
    splits = {}
    for split in SPLITS:
        rows = select_vg_images(arrays, split, num_val_im=num_val_im)
        splits[split] = {"images": len(rows), "objects": int(box_counts[rows].sum()),
                         "relations": int(rel_counts[rows].sum()), "empty_boxes": int(empty_boxes[rows].sum())}
    return {"format": "vg", "root": str(root), "fingerprint": files_fingerprint(files.annotation_files, "vg"),
            "files": [p.name for p in files.annotation_files], "num_val_im": num_val_im,
            "object_classes": vocab.num_object_classes - 1, "predicate_classes": vocab.num_predicate_classes - 1,
            "splits": splits,
            "total": {"images": arrays.num_images, "objects": len(arrays.labels), "relations": len(arrays.predicates)},
            "predicate_histogram": _histogram(vocab.predicate_classes, arrays.predicates)}


def check_openimages_folder(root: Path, decode: bool = False) -> dict:
    from sgg_bench.data.openimages import find_openimages_files, read_openimages_split, select_openimages_rows
    from sgg_bench.data.vocab import load_openimages_vocabulary
    files = find_openimages_files(root)
    vocab = load_openimages_vocabulary(files.categories)
    splits, predicates, totals = {}, [], {"images": 0, "objects": 0, "relations": 0}
    decode_groups = []  # every split's images decoded before one error, so all corrupt files are listed
    for split in SPLITS:
        parsed = read_openimages_split(files, split, vocab)
        image_paths = [files.image_dir / f"{fn}.jpg" for fn in parsed.img_fns]
        check_image_files(image_paths, listing=files.split_file(split).name, rows=range(len(parsed)))
        decode_groups.append((files.split_file(split).name, image_paths, range(len(parsed))))
        rows = select_openimages_rows(parsed)
        owner = np.repeat(np.arange(len(parsed)), parsed.box_counts)
        empty = empty_after_clipping(clip_rows(parsed.boxes, parsed.widths[owner], parsed.heights[owner]))
        empty_per_image = np.bincount(owner[empty], minlength=len(parsed))
        splits[split] = {"images": len(rows), "objects": int(parsed.box_counts[rows].sum()),
                         "relations": int(parsed.rel_counts[rows].sum()),
                         "empty_boxes": int(empty_per_image[rows].sum())}
        totals["images"] += len(parsed)
        totals["objects"] += len(parsed.labels)
        totals["relations"] += len(parsed.relations)
        predicates.append(parsed.relations[:, 2])
    if decode:
        check_image_groups(decode_groups)
    return {"format": "openimages", "root": str(root),
            "fingerprint": files_fingerprint(files.annotation_files, "openimages"),
            "files": [str(p.relative_to(root)) for p in files.annotation_files],
            "object_classes": vocab.num_object_classes - 1, "predicate_classes": vocab.num_predicate_classes - 1,
            "splits": splits, "total": totals,
            "predicate_histogram": _histogram(vocab.predicate_classes, np.concatenate(predicates))}


def check_dataset(root: str | os.PathLike, decode: bool = False) -> list[dict]:
    """Validate every dataset folder under ``root``; one summary dict per folder.

    ``decode`` also opens every image (``check_images_decode``).
    """
    summaries = []
    for folder in dataset_folders(root):
        fmt = detect_format(folder)
        check = check_vg_folder if fmt == "vg" else check_openimages_folder
        summaries.append(check(folder, decode=decode))
    return summaries


def format_summary(summary: dict) -> str:
    """Plain-text report of one ``check_*_folder`` summary."""
    lines = [f"{summary['format']}: {summary['root']}  OK  (fingerprint {summary['fingerprint']})",
             f"  {summary['object_classes']} object classes, {summary['predicate_classes']} predicates"
             + (f", num_val_im = {summary['num_val_im']}" if "num_val_im" in summary else ""),
             f"  {'split':<24}{'images':>10}{'objects':>12}{'relations':>12}"]
    for split, counts in summary["splits"].items():
        lines.append(f"  {split + ' (filtered)':<24}{counts['images']:>10}{counts['objects']:>12}{counts['relations']:>12}")
    empty = {split: counts.get("empty_boxes", 0) for split, counts in summary["splits"].items()}
    if any(empty.values()):
        lines.append("  boxes empty after clipping to the image: "
                     + ", ".join(f"{split} {count}" for split, count in empty.items())
                     + " (kept in the ground truth; left out of train targets)")
    total = summary["total"]
    lines.append(f"  {'all rows':<24}{total['images']:>10}{total['objects']:>12}{total['relations']:>12}")
    histogram = summary["predicate_histogram"]
    all_relations = max(1, sum(histogram.values()))
    lines.append("  predicate histogram (all relations):")
    for name, count in sorted(histogram.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"    {name:<24}{count:>10}  {100.0 * count / all_relations:5.1f}%")
    return "\n".join(lines)
