"""Zero-shot triplet lists: (subject class, object class, predicate) rows, all 1-based.

``derive_zeroshot_triplets`` computes the test triplets never seen in training:
  VG150: seen = every relation of the h5 train split (flag 0, images with boxes and relations;
         the val images count as seen unless ``exclude_val``; no overlap filter, duplicates
         irrelevant); test = every relation of the test split (flag 2).
  OpenImages: seen = ``vrd-train-anno.json``, test = ``vrd-test-anno.json``.
``load_zeroshot_list`` reads a published list (.npy, or text with one ``s o p`` row per line).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sgg_bench.data.dataset import SceneGraphTable, detect_format, resolve_num_val_im
from sgg_bench.data.ranges import owner_of_rows
from sgg_bench.errors import DataFormatError, what_is_at


def relation_triplets(table: SceneGraphTable) -> np.ndarray:
    """(Q, 3) int64 (subject class, object class, predicate) of every relation row of a table."""
    first_box = table.box_offsets[:-1][owner_of_rows(np.diff(table.rel_offsets))]
    return np.column_stack([table.labels[first_box + table.relations[:, 0]],
                            table.labels[first_box + table.relations[:, 1]],
                            table.relations[:, 2]]).astype(np.int64).reshape(-1, 3)


def unseen_triplets(test: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Unique rows of ``test`` absent from ``seen``, sorted lexicographically: (Z, 3) int64."""
    test_unique = np.unique(test.reshape(-1, 3), axis=0)
    if len(seen) == 0:
        return test_unique.astype(np.int64)
    width = int(max(test_unique.max(initial=0), seen.max(initial=0))) + 1
    to_key = lambda rows: (rows[:, 0] * width + rows[:, 1]) * width + rows[:, 2]  # noqa: E731
    return test_unique[~np.isin(to_key(test_unique), to_key(seen))].astype(np.int64)


def derive_zeroshot_triplets(root: str | os.PathLike, *, exclude_val: bool = False,
                             num_val_im: int | None = None) -> np.ndarray:
    """(Z, 3) int64 test triplets never seen in the training split (rules in the module docstring).

    ``exclude_val`` (VG only) removes the first ``num_val_im`` train images from the seen set.
    """
    root = Path(root)
    common = dict(filter_empty_rels=True, filter_duplicate_rels=False, check_images=False)
    if detect_format(root) == "vg":
        from sgg_bench.data.vg150 import open_vg150
        val = resolve_num_val_im(root, num_val_im) if exclude_val else 0
        train = open_vg150(root, "train", num_val_im=val, filter_non_overlap=False, **common)
        test = open_vg150(root, "test", num_val_im=val, filter_non_overlap=False, **common)
    else:
        from sgg_bench.data.openimages import open_openimages
        train = open_openimages(root, "train", **common)
        test = open_openimages(root, "test", **common)
    return unseen_triplets(relation_triplets(test.table), relation_triplets(train.table))


def _parse_text(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, f"byte {exc.start}", "UTF-8 text (one triplet per line)",
                              f"byte 0x{raw[exc.start]:02x} that is not UTF-8") from None
    rows = []
    for line_number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        fields = text.replace(",", " ").split()
        try:
            values = [int(field) for field in fields]
        except ValueError:
            values = []
        if len(values) != 3:
            raise DataFormatError(path, f"line {line_number}", "three integers: subject class, object class, predicate",
                                  repr(line))
        rows.append(values)
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def load_zeroshot_list(path: str | os.PathLike, *, num_object_classes: int | None = None,
                       num_predicate_classes: int | None = None) -> np.ndarray:
    """Read a zero-shot triplet list: (Z, 3) int64 rows (subject class, object class, predicate).

    ``.npy`` must hold an integer (Z, 3) array; any other file is text, one row per line
    (whitespace or comma separated, ``#`` comments). Class counts include background and,
    when given, bound the values; every value must be >= 1.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "file", "a zero-shot triplet list (.npy or text)", what_is_at(path))
    if path.suffix == ".npy":
        try:
            triplets = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DataFormatError(path, "array", "a numpy array without pickled objects", str(exc)) from None
        if triplets.ndim != 2 or triplets.shape[1] != 3:
            raise DataFormatError(path, "array", "shape (Z, 3)", tuple(triplets.shape))
        if not np.issubdtype(triplets.dtype, np.integer):
            raise DataFormatError(path, "array", "an integer dtype", str(triplets.dtype))
        triplets = triplets.astype(np.int64)
    else:
        triplets = _parse_text(path)
    limits = (num_object_classes, num_object_classes, num_predicate_classes)
    names = ("subject class", "object class", "predicate")
    for column, (limit, name) in enumerate(zip(limits, names)):
        high = None if limit is None else limit - 1
        bad = (triplets[:, column] < 1) | (False if high is None else triplets[:, column] > high)
        if np.any(bad):
            row = int(np.flatnonzero(bad)[0])
            expected = f"{name} >= 1" if high is None else f"{name} in 1..{high}"
            raise DataFormatError(path, f"row {row} column {column}", expected, int(triplets[row, column]))
    return triplets
