"""The predictions file (docs/FORMATS.md): writer and validating reader.

Layout (HDF5)::

    attrs    format="sgg-bench/predictions", version=1, dataset, split, mode, num_obj_classes, num_rel_classes
    image_ids   (N,)   int64
    boxes       (B, 4) float32  xyxy, original-image pixels
    box_labels  (B,)   int64    1-based
    box_scores  (B,)   float32
    box_offsets (N+1,) int64    image i owns boxes[box_offsets[i]:box_offsets[i+1]]
    rel_pairs   (R, 2) int64    indices local to the image's boxes, ranked order
    rel_scores  (R, C) float32  full distribution, column 0 = background
    rel_offsets (N+1,) int64

The reader loads the small arrays at once and the two big relation arrays in contiguous
slices of whole images (``PredictionsFile.batches``), so memory stays bounded for sgdet files.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np

from sgg_bench.errors import DataFormatError
from sgg_bench.evaluation.batches import PredictionBatch
from sgg_bench.structures import ImagePrediction
from sgg_bench.utils.atomic import atomic_path

FORMAT = "sgg-bench/predictions"
VERSION = 1
MODES = ("predcls", "sgcls", "sgdet")
_FLUSH_ROWS = 1 << 18


class PredictionsWriter:
    """Write a predictions file image by image; the file appears (atomically) only on a clean close.

    >>> with PredictionsWriter(path, dataset="vg", split="test", mode="predcls",
    ...                        num_obj_classes=151, num_rel_classes=51) as writer:
    ...     writer.add(ImagePrediction(...))
    """

    def __init__(self, path: str | os.PathLike, *, dataset: str, split: str, mode: str,
                 num_obj_classes: int, num_rel_classes: int):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.path = Path(path)
        self.attrs = {"format": FORMAT, "version": VERSION, "dataset": str(dataset), "split": str(split),
                      "mode": mode, "num_obj_classes": int(num_obj_classes), "num_rel_classes": int(num_rel_classes)}
        self.num_rel_classes = int(num_rel_classes)
        self.num_obj_classes = int(num_obj_classes)
        self._stack: contextlib.ExitStack | None = None
        self._file: h5py.File | None = None
        self._image_ids: list[int] = []
        self._seen: set[int] = set()
        self._box_counts: list[int] = []
        self._rel_counts: list[int] = []
        self._pending: dict[str, list[np.ndarray]] = {}

    def __enter__(self) -> "PredictionsWriter":
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_path(self.path))
        self._file = h5py.File(tmp, "w")
        for key, value in self.attrs.items():
            self._file.attrs[key] = value
        c = self.num_rel_classes
        for name, shape, dtype in (("boxes", (4,), np.float32), ("box_labels", (), np.int64),
                                   ("box_scores", (), np.float32), ("rel_pairs", (2,), np.int64),
                                   ("rel_scores", (c,), np.float32)):
            chunk_rows = max(1, min(16384, (1 << 20) // (4 * max(1, int(np.prod(shape))))))
            self._file.create_dataset(name, shape=(0, *shape), maxshape=(None, *shape), dtype=dtype,
                                      chunks=(chunk_rows, *shape))
            self._pending[name] = []
        return self

    def add(self, prediction: ImagePrediction) -> None:
        """Append one image; arrays are checked and converted to the file's dtypes."""
        if self._file is None:
            raise RuntimeError("PredictionsWriter.add called outside its 'with' block")
        image_id = int(prediction.image_id)
        where = f"image {image_id}"
        if image_id in self._seen:
            raise DataFormatError(self.path, f"{where}: image_id", "each image once", "a duplicate")
        boxes = np.asarray(prediction.boxes, dtype=np.float32)
        labels = np.asarray(prediction.labels, dtype=np.int64)
        scores = np.asarray(prediction.scores, dtype=np.float32)
        pairs = np.asarray(prediction.rel_pairs, dtype=np.int64)
        rel_scores = np.asarray(prediction.rel_scores, dtype=np.float32)
        n = len(boxes)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise DataFormatError(self.path, f"{where}: boxes", "shape (N, 4)", boxes.shape)
        if labels.shape != (n,) or scores.shape != (n,):
            raise DataFormatError(self.path, f"{where}: labels/scores", f"shape ({n},)", (labels.shape, scores.shape))
        if pairs.size == 0:
            pairs = pairs.reshape(0, 2)
        if rel_scores.size == 0:
            rel_scores = rel_scores.reshape(0, self.num_rel_classes)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise DataFormatError(self.path, f"{where}: rel_pairs", "shape (M, 2)", pairs.shape)
        if rel_scores.shape != (len(pairs), self.num_rel_classes):
            raise DataFormatError(self.path, f"{where}: rel_scores", f"shape ({len(pairs)}, {self.num_rel_classes})",
                                  rel_scores.shape)
        if len(pairs) and (pairs.min() < 0 or pairs.max() >= n):
            raise DataFormatError(self.path, f"{where}: rel_pairs", f"indices in [0, {n})",
                                  f"[{pairs.min()}, {pairs.max()}]")
        for name, values in (("boxes", boxes), ("scores", scores), ("rel_scores", rel_scores)):
            if not np.isfinite(values).all():
                raise DataFormatError(self.path, f"{where}: {name}", "finite values", "NaN or inf")
        if len(rel_scores) and rel_scores.min() < 0:
            raise DataFormatError(self.path, f"{where}: rel_scores", "non-negative scores (a probability per class)",
                                  float(rel_scores.min()))
        inverted = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
        if inverted.any():
            row = int(np.flatnonzero(inverted)[0])
            raise DataFormatError(self.path, f"{where}: boxes[{row}]", "x1 <= x2 and y1 <= y2 (xyxy)",
                                  boxes[row].tolist())
        self._seen.add(image_id)
        self._image_ids.append(image_id)
        self._box_counts.append(n)
        self._rel_counts.append(len(pairs))
        for name, values in (("boxes", boxes), ("box_labels", labels), ("box_scores", scores),
                             ("rel_pairs", pairs), ("rel_scores", rel_scores)):
            self._pending[name].append(values)
        if sum(len(v) for v in self._pending["rel_scores"]) >= _FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        for name, parts in self._pending.items():
            if not parts:
                continue
            values = np.concatenate(parts)
            dataset = self._file[name]
            start = dataset.shape[0]
            dataset.resize(start + len(values), axis=0)
            dataset[start:] = values
            parts.clear()

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self._flush()
                self._file.create_dataset("image_ids", data=np.asarray(self._image_ids, dtype=np.int64))
                for name, counts in (("box_offsets", self._box_counts), ("rel_offsets", self._rel_counts)):
                    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
                    np.cumsum(counts, out=offsets[1:])
                    self._file.create_dataset(name, data=offsets)
        finally:
            self._file.close()
            self._file = None
            stack, self._stack = self._stack, None
            # Closing the atomic context renames on success and deletes the temp file on error.
            stack.__exit__(exc_type, exc, tb)
        return False


class PredictionsFile:
    """A validated, open predictions file.

    ``attrs`` (dict), ``image_ids`` (N,), ``len()``, iteration and ``[image_id]`` give
    ``ImagePrediction``; ``batches(max_rows)`` yields ``(image index range, PredictionBatch)`` of
    contiguous images. Use as a context manager or call ``close()``.
    """

    def __init__(self, path: Path, handle: h5py.File, attrs: dict, arrays: dict[str, np.ndarray]):
        self.path = path
        self._h5 = handle
        self.attrs = attrs
        self.image_ids: np.ndarray = arrays["image_ids"]
        self.boxes = arrays["boxes"]
        self.box_labels = arrays["box_labels"]
        self.box_scores = arrays["box_scores"]
        self.box_offsets = arrays["box_offsets"]
        self.rel_offsets = arrays["rel_offsets"]
        self._index = {int(i): n for n, i in enumerate(self.image_ids)}

    mode = property(lambda self: self.attrs["mode"])
    num_rel_classes = property(lambda self: int(self.attrs["num_rel_classes"]))
    num_obj_classes = property(lambda self: int(self.attrs["num_obj_classes"]))

    def __len__(self) -> int:
        return len(self.image_ids)

    def __contains__(self, image_id: int) -> bool:
        return int(image_id) in self._index

    def index_of(self, image_id: int) -> int:
        return self._index[int(image_id)]

    def __getitem__(self, image_id: int) -> ImagePrediction:
        if int(image_id) not in self._index:
            raise KeyError(f"{self.path}: no predictions for image {image_id}")
        _, batch = self._load(self._index[int(image_id)], self._index[int(image_id)] + 1)
        return _single(batch)

    def __iter__(self) -> Iterator[ImagePrediction]:
        for (start, stop), batch in self.batches():
            yield from _split(batch)

    def batches(self, max_rows: int = 1 << 17, *, reuse_buffers: bool = False
                ) -> Iterator[tuple[tuple[int, int], PredictionBatch]]:
        """Contiguous runs of whole images holding about ``max_rows`` relation rows each (at least one image).

        The default keeps a slice (26 MiB of 51-way scores) and the evaluator's temporaries under
        glibc's 32 MiB mmap threshold, so their memory is reused instead of freshly page-faulted.

        reuse_buffers: read every slice into the same two preallocated arrays (no fresh pages per
        slice, a large saving for big files); a yielded batch's ``rel_pairs``/``rel_scores`` are then
        only valid until the next one is requested, so copy anything that must outlive it.
        """
        spans, start, n = [], 0, len(self.image_ids)
        while start < n:
            limit = self.rel_offsets[start] + max_rows
            stop = int(np.searchsorted(self.rel_offsets, limit, side="right")) - 1
            stop = min(max(stop, start + 1), n)
            spans.append((start, stop))
            start = stop
        buffers = None
        if reuse_buffers and spans:
            rows = max(int(self.rel_offsets[b] - self.rel_offsets[a]) for a, b in spans)
            buffers = (np.empty((rows, 2), np.int64), np.empty((rows, self.num_rel_classes), np.float32))
        for start, stop in spans:
            yield (start, stop), self._load(start, stop, buffers)[1]

    def _load(self, start: int, stop: int, buffers: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[tuple[int, int], PredictionBatch]:
        r0, r1 = int(self.rel_offsets[start]), int(self.rel_offsets[stop])
        b0, b1 = int(self.box_offsets[start]), int(self.box_offsets[stop])
        if r1 == r0:
            pairs, scores = np.zeros((0, 2), np.int64), np.zeros((0, self.num_rel_classes), np.float32)
        elif buffers is not None:
            pairs, scores = buffers[0][:r1 - r0], buffers[1][:r1 - r0]
            # read_direct converts to the buffers' dtypes while copying (no float64 or temporary arrays).
            self._h5["rel_pairs"].read_direct(pairs, np.s_[r0:r1], np.s_[0:r1 - r0])
            self._h5["rel_scores"].read_direct(scores, np.s_[r0:r1], np.s_[0:r1 - r0])
        else:
            pairs, scores = self._h5["rel_pairs"][r0:r1], self._h5["rel_scores"][r0:r1]
        batch = PredictionBatch(
            image_ids=self.image_ids[start:stop], boxes=self.boxes[b0:b1], labels=self.box_labels[b0:b1],
            scores=self.box_scores[b0:b1], box_offsets=self.box_offsets[start:stop + 1] - b0,
            rel_pairs=np.asarray(pairs, dtype=np.int64), rel_scores=np.asarray(scores, dtype=np.float32),
            rel_offsets=self.rel_offsets[start:stop + 1] - r0)
        _check_relation_rows(self.path, batch, self.num_rel_classes)
        return (start, stop), batch

    def close(self) -> None:
        self._h5.close()

    def __enter__(self) -> "PredictionsFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_predictions(path: str | os.PathLike, *, check_rows: bool = True) -> PredictionsFile:
    """Open and validate a predictions file; raises ``DataFormatError`` naming the field and image.

    The attributes, offsets, image ids and box arrays are always checked. ``check_rows`` also
    reads the relation arrays once (in slices) to check pair indices and finite scores; with
    ``check_rows=False`` the same checks run on each slice as it is loaded.
    """
    path = Path(path)
    if path.is_dir():
        raise DataFormatError(path, "file", "a predictions file (HDF5)", "a folder")
    if not path.is_file():
        raise DataFormatError(path, "file", "an existing predictions file (HDF5)", "no such file")
    try:
        # No chunk cache: slices are read once, straight into the destination (no extra copy).
        handle = h5py.File(path, "r", rdcc_nbytes=0)
    except OSError as exc:
        raise DataFormatError(path, "file", "an HDF5 file", str(exc).split("(")[0].strip()) from None
    try:
        attrs = _check_attrs(path, handle)
        arrays = _check_arrays(path, handle, attrs)
        result = PredictionsFile(path, handle, attrs, arrays)
        if check_rows:
            for _ in result.batches():
                pass
        return result
    except BaseException:
        handle.close()
        raise


def _check_attrs(path: Path, handle: h5py.File) -> dict:
    attrs = {}
    for key in ("format", "version", "dataset", "split", "mode", "num_obj_classes", "num_rel_classes"):
        if key not in handle.attrs:
            raise DataFormatError(path, f"attrs/{key}", "present", "missing")
        value = handle.attrs[key]
        if isinstance(value, np.ndarray):       # h5py returns non-scalar attributes as arrays
            raise DataFormatError(path, f"attrs/{key}", "a single value (a scalar attribute)",
                                  f"an array of shape {value.shape}")
        attrs[key] = value.decode() if isinstance(value, bytes) else (value.item() if hasattr(value, "item") else value)
    if attrs["format"] != FORMAT:
        raise DataFormatError(path, "attrs/format", repr(FORMAT), repr(attrs["format"]))
    if attrs["version"] != VERSION:
        raise DataFormatError(path, "attrs/version", str(VERSION), attrs["version"])
    if attrs["mode"] not in MODES:
        raise DataFormatError(path, "attrs/mode", " | ".join(MODES), repr(attrs["mode"]))
    for key in ("num_obj_classes", "num_rel_classes"):
        if not isinstance(attrs[key], (int, np.integer)) or attrs[key] < 2:
            raise DataFormatError(path, f"attrs/{key}", "an integer >= 2 (background included)", attrs[key])
        attrs[key] = int(attrs[key])
    return attrs


def _dataset(path: Path, handle: h5py.File, name: str, ndim: int, width: int | None, kind: str) -> h5py.Dataset:
    if name not in handle:
        raise DataFormatError(path, name, "a dataset", "missing")
    data = handle[name]
    shape_text = f"{ndim}-D array" + ("" if width is None else f" with {width} columns")
    if data.ndim != ndim or (width is not None and data.shape[1] != width):
        raise DataFormatError(path, name, shape_text, f"shape {data.shape}")
    if data.dtype.kind not in kind:
        raise DataFormatError(path, name, f"dtype kind {kind!r}", data.dtype)
    return data


def _check_arrays(path: Path, handle: h5py.File, attrs: dict) -> dict[str, np.ndarray]:
    image_ids = _dataset(path, handle, "image_ids", 1, None, "iu")[()].astype(np.int64)
    n = len(image_ids)
    unique, counts = np.unique(image_ids, return_counts=True)
    if (counts > 1).any():
        raise DataFormatError(path, "image_ids", "unique image ids", f"image {int(unique[counts > 1][0])} repeated")
    boxes = _dataset(path, handle, "boxes", 2, 4, "f")[()].astype(np.float32)
    labels = _dataset(path, handle, "box_labels", 1, None, "iu")[()].astype(np.int64)
    scores = _dataset(path, handle, "box_scores", 1, None, "f")[()].astype(np.float32)
    pairs = _dataset(path, handle, "rel_pairs", 2, 2, "iu")
    rel_scores = _dataset(path, handle, "rel_scores", 2, attrs["num_rel_classes"], "f")
    if rel_scores.shape[1] != attrs["num_rel_classes"]:
        raise DataFormatError(path, "rel_scores", f"width {attrs['num_rel_classes']}", rel_scores.shape[1])
    offsets = {}
    for name, rows in (("box_offsets", len(boxes)), ("rel_offsets", len(pairs))):
        values = _dataset(path, handle, name, 1, None, "iu")[()].astype(np.int64)
        if len(values) != n + 1:
            raise DataFormatError(path, name, f"length N+1 = {n + 1}", len(values))
        if values[0] != 0:
            raise DataFormatError(path, name, "first value 0", int(values[0]))
        steps = np.diff(values)
        if (steps < 0).any():
            bad = int(np.flatnonzero(steps < 0)[0])
            raise DataFormatError(path, f"{name} (image {int(image_ids[bad])})", "non-decreasing offsets",
                                  f"{int(values[bad])} then {int(values[bad + 1])}")
        if values[-1] != rows:
            raise DataFormatError(path, name, f"last value = number of rows ({rows})", int(values[-1]))
        offsets[name] = values
    for name, values in (("box_labels", labels), ("box_scores", scores)):
        if len(values) != len(boxes):
            raise DataFormatError(path, name, f"length {len(boxes)} (one per box)", len(values))
    if len(rel_scores) != len(pairs):
        raise DataFormatError(path, "rel_scores", f"{len(pairs)} rows (one per rel_pairs row)", len(rel_scores))
    owner = np.repeat(image_ids, np.diff(offsets["box_offsets"]))
    for name, values in (("boxes", boxes), ("box_scores", scores)):
        bad = ~np.isfinite(values.reshape(len(values), -1 if len(values) else 1)).all(axis=1)
        if bad.any():
            raise DataFormatError(path, f"{name} (image {int(owner[np.flatnonzero(bad)[0]])})", "finite values",
                                  "NaN or inf")
    inverted = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if inverted.any():
        row = int(np.flatnonzero(inverted)[0])
        image = int(np.searchsorted(offsets["box_offsets"], row, side="right")) - 1
        raise DataFormatError(path, f"boxes (image {int(image_ids[image])}, box {row - int(offsets['box_offsets'][image])})",
                              "x1 <= x2 and y1 <= y2 (xyxy pixels)", boxes[row].tolist())
    bad = (labels < 1) | (labels >= attrs["num_obj_classes"])
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(path, f"box_labels (image {int(owner[row])})",
                              f"labels in [1, {attrs['num_obj_classes'] - 1}]", int(labels[row]))
    return {"image_ids": image_ids, "boxes": boxes, "box_labels": labels, "box_scores": scores, **offsets}


def _check_relation_rows(path: Path, batch: PredictionBatch, num_rel_classes: int) -> None:
    limit = np.repeat(np.diff(batch.box_offsets), np.diff(batch.rel_offsets))
    pairs = batch.rel_pairs
    # Fast path first (one pass each); locate the first bad row only when there is one.
    if len(pairs) == 0 or (pairs.min() >= 0 and not (np.maximum(pairs[:, 0], pairs[:, 1]) >= limit).any()):
        bad = np.zeros(0, dtype=bool)
    else:
        bad = (pairs[:, 0] < 0) | (pairs[:, 1] < 0) | (pairs[:, 0] >= limit) | (pairs[:, 1] >= limit)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        image = int(np.searchsorted(batch.rel_offsets, row, side="right")) - 1
        raise DataFormatError(path, f"rel_pairs (image {int(batch.image_ids[image])}, row {row - int(batch.rel_offsets[image])})",
                              f"box indices in [0, {int(limit[row])})", pairs[row].tolist())
    # max/min propagate NaN and expose inf, so finite extremes mean every value is finite; the
    # minimum also shows a negative score.
    if len(batch.rel_scores) == 0:
        return
    low, high = batch.rel_scores.min(), batch.rel_scores.max()
    if np.isfinite(low) and np.isfinite(high) and low >= 0:
        return
    finite = np.isfinite(batch.rel_scores).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        image = int(np.searchsorted(batch.rel_offsets, row, side="right")) - 1
        raise DataFormatError(path, f"rel_scores (image {int(batch.image_ids[image])}, row {row - int(batch.rel_offsets[image])})",
                              "finite values", "NaN or inf")
    row = int(np.flatnonzero((batch.rel_scores < 0).any(axis=1))[0])
    image = int(np.searchsorted(batch.rel_offsets, row, side="right")) - 1
    raise DataFormatError(path, f"rel_scores (image {int(batch.image_ids[image])}, row {row - int(batch.rel_offsets[image])})",
                          "non-negative scores (a probability per predicate class)", float(batch.rel_scores[row].min()))


def _split(batch: PredictionBatch) -> Iterator[ImagePrediction]:
    for b, image_id in enumerate(batch.image_ids):
        b0, b1 = batch.box_offsets[b], batch.box_offsets[b + 1]
        r0, r1 = batch.rel_offsets[b], batch.rel_offsets[b + 1]
        yield ImagePrediction(image_id=int(image_id), boxes=batch.boxes[b0:b1], labels=batch.labels[b0:b1],
                              scores=batch.scores[b0:b1], rel_pairs=batch.rel_pairs[r0:r1],
                              rel_scores=batch.rel_scores[r0:r1])


def _single(batch: PredictionBatch) -> ImagePrediction:
    return next(_split(batch))
