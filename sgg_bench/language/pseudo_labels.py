"""The pseudo-label dataset: per image the detector's boxes and an unlocalized scene graph.

Written by ``sgg-bench pseudo-label`` (``pseudo_label_build.py``), read by the language-supervised
training path (docs/FORMATS.md, "Pseudo-label dataset", version 1). A folder holds

    pseudo-labels.json   format, version, meta (supervision, vocabulary kind, sources) and the vocabulary
    pseudo-labels.h5     per-image rows concatenated, with offsets

Per image: ``boxes`` (N, 4) float32 xyxy original pixels, ``scores`` (N,), ``labels`` (N,) the class each
detection was kept for (1-based detector classes), ``dists`` (N, C_det + 1) class probabilities with the
background column 0, ``features`` (N, D) the detector's box features; ``node_classes`` (K,) target class ids
(1-based; the unlocalized nodes) and ``triplets`` (T, 3) ``[subject node, object node, predicate id]``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from sgg_bench.errors import DataFormatError
from sgg_bench.utils.atomic import atomic_path, atomic_write_json

FORMAT = "sgg-bench/pseudo-labels"
VERSION = 1
JSON_NAME = "pseudo-labels.json"
H5_NAME = "pseudo-labels.h5"
SUPERVISIONS = ("language", "weak", "none")
VOCABULARIES = ("closed", "open")
IN_MEMORY_LIMIT = 2 << 30  # bytes of dists + features read eagerly; larger files are sliced per image


@dataclass
class PseudoLabelImage:
    """One image of a pseudo-label dataset (numpy arrays; shapes in the module docstring)."""

    image_id: int
    image_path: str
    width: int
    height: int
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    dists: np.ndarray
    features: np.ndarray
    node_classes: np.ndarray
    triplets: np.ndarray

    @property
    def num_detections(self) -> int:
        return int(self.boxes.shape[0])


def _index_map(raw, path: Path, name: str) -> dict[int, list[int]]:
    if not isinstance(raw, dict):
        raise DataFormatError(path, f"vocab.{name}", "an object {index: [index, ...]}", type(raw).__name__)
    try:
        return {int(k): [int(v) for v in values] for k, values in raw.items()}
    except (TypeError, ValueError):
        raise DataFormatError(path, f"vocab.{name}", "integer keys and lists of integers") from None


@dataclass
class PseudoLabelVocabulary:
    """Target vocabulary (``ind_to_classes``, ``ind_to_predicates``), detector classes and the maps.

    All name lists start with ``__background__``. ``detector_to_classes``: detector class -> target classes
    (the grounding vocabulary, docs/LANGUAGE.md §5). ``class_to_dataset`` / ``predicate_to_dataset``: target
    class -> dataset classes (docs/LANGUAGE.md §5, evaluation only; the first entry is the one used).
    """

    ind_to_classes: list[str]
    ind_to_predicates: list[str]
    detector_classes: list[str]
    dataset_classes: list[str]
    dataset_predicates: list[str]
    detector_to_classes: dict[int, list[int]] = field(default_factory=dict)
    class_to_dataset: dict[int, list[int]] = field(default_factory=dict)
    predicate_to_dataset: dict[int, list[int]] = field(default_factory=dict)

    def word_map(self) -> dict[str, dict[int, list[int]]]:
        """SGNLS's ``{dataset}2VG_word_map`` layout: ``{'object_cls': {...}, 'predicate_cls': {...}}``."""
        return {"object_cls": {k: list(v) for k, v in self.class_to_dataset.items()},
                "predicate_cls": {k: list(v) for k, v in self.predicate_to_dataset.items()}}

    def to_json(self) -> dict:
        return {"ind_to_classes": list(self.ind_to_classes), "ind_to_predicates": list(self.ind_to_predicates),
                "detector_classes": list(self.detector_classes), "dataset_classes": list(self.dataset_classes),
                "dataset_predicates": list(self.dataset_predicates),
                "detector_to_classes": {str(k): list(v) for k, v in sorted(self.detector_to_classes.items())},
                "class_to_dataset": {str(k): list(v) for k, v in sorted(self.class_to_dataset.items())},
                "predicate_to_dataset": {str(k): list(v) for k, v in sorted(self.predicate_to_dataset.items())}}

    @classmethod
    def from_json(cls, raw, path: Path) -> "PseudoLabelVocabulary":
        if not isinstance(raw, dict):
            raise DataFormatError(path, "vocab", "an object", type(raw).__name__)
        names = {}
        for key in ("ind_to_classes", "ind_to_predicates", "detector_classes", "dataset_classes", "dataset_predicates"):
            value = raw.get(key)
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise DataFormatError(path, f"vocab.{key}", "a non-empty list of names, __background__ first",
                                      "missing" if value is None else type(value).__name__)
            names[key] = value
        vocab = cls(**names, **{key: _index_map(raw.get(key, {}), path, key)
                                for key in ("detector_to_classes", "class_to_dataset", "predicate_to_dataset")})
        for key, keys_in, values_in in (("detector_to_classes", vocab.detector_classes, vocab.ind_to_classes),
                                        ("class_to_dataset", vocab.ind_to_classes, vocab.dataset_classes),
                                        ("predicate_to_dataset", vocab.ind_to_predicates, vocab.dataset_predicates)):
            for k, values in getattr(vocab, key).items():
                if not 0 <= k < len(keys_in) or any(not 1 <= v < len(values_in) for v in values):
                    raise DataFormatError(path, f"vocab.{key}[{k}]", f"keys in 0..{len(keys_in) - 1} and "
                                          f"values in 1..{len(values_in) - 1}", values)
        return vocab


def _offsets(counts: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(counts, dtype=np.int64))]).astype(np.int64)


def write_pseudo_labels(root: str | os.PathLike, *, vocab: PseudoLabelVocabulary, images: Sequence[PseudoLabelImage],
                        meta: dict) -> Path:
    """Write ``images`` (in this order) and the vocabulary to ``root``; each file appears atomically
    (the h5 first, the json last: a folder without ``pseudo-labels.json`` is unfinished)."""
    import h5py

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    num_det_classes, feature_dim = len(vocab.detector_classes), int(meta.get("feature_dim", 0))
    if images:
        feature_dim = int(images[0].features.shape[1])

    def cat(name, width, dtype):
        parts = [np.asarray(getattr(image, name), dtype=dtype).reshape(-1, *width) for image in images]
        return np.concatenate(parts) if parts else np.zeros((0, *width), dtype)

    with atomic_path(root / H5_NAME) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(format=FORMAT, version=VERSION)
            f.create_dataset("image_ids", data=np.asarray([i.image_id for i in images], np.int64).reshape(-1))
            f.create_dataset("widths", data=np.asarray([i.width for i in images], np.int64).reshape(-1))
            f.create_dataset("heights", data=np.asarray([i.height for i in images], np.int64).reshape(-1))
            f.create_dataset("image_paths", data=[i.image_path.encode("utf-8") for i in images],
                             dtype=h5py.string_dtype("utf-8"))
            f.create_dataset("det_offsets", data=_offsets([i.num_detections for i in images]))
            f.create_dataset("boxes", data=cat("boxes", (4,), np.float32))
            f.create_dataset("scores", data=cat("scores", (), np.float32))
            f.create_dataset("labels", data=cat("labels", (), np.int64))
            f.create_dataset("dists", data=cat("dists", (num_det_classes,), np.float32))
            f.create_dataset("features", data=cat("features", (feature_dim,), np.float32))
            f.create_dataset("node_offsets", data=_offsets([len(i.node_classes) for i in images]))
            f.create_dataset("node_classes", data=cat("node_classes", (), np.int64))
            f.create_dataset("triplet_offsets", data=_offsets([len(i.triplets) for i in images]))
            f.create_dataset("triplets", data=cat("triplets", (3,), np.int64))
    meta = dict(meta, num_images=len(images), feature_dim=feature_dim)
    atomic_write_json(root / JSON_NAME, {"format": FORMAT, "version": VERSION, "meta": meta, "vocab": vocab.to_json()})
    return root


class PseudoLabelSet:
    """A pseudo-label dataset opened by ``read_pseudo_labels``: ``len``, ``[i] -> PseudoLabelImage``."""

    def __init__(self, root: Path, meta: dict, vocab: PseudoLabelVocabulary, arrays: dict, handle=None):
        self.root, self.meta, self.vocab = root, meta, vocab
        self._arrays = arrays
        self._handle = handle  # open h5py file when dists/features are sliced from disk
        self.image_ids = arrays["image_ids"]
        self._position = {int(image_id): i for i, image_id in enumerate(self.image_ids)}

    @property
    def supervision(self) -> str:
        return str(self.meta.get("supervision", "none"))

    @property
    def vocabulary(self) -> str:
        return str(self.meta.get("vocabulary", "closed"))

    @property
    def feature_dim(self) -> int:
        return int(self._arrays["features"].shape[1])

    def __len__(self) -> int:
        return len(self.image_ids)

    def __iter__(self) -> Iterator[PseudoLabelImage]:
        return (self[i] for i in range(len(self)))

    def index_of(self, image_id: int) -> int:
        if int(image_id) not in self._position:
            raise KeyError(f"image {image_id} is not in {self.root}")
        return self._position[int(image_id)]

    def __getitem__(self, i: int) -> PseudoLabelImage:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i = int(i) % len(self)
        a = self._arrays
        d0, d1 = int(a["det_offsets"][i]), int(a["det_offsets"][i + 1])
        n0, n1 = int(a["node_offsets"][i]), int(a["node_offsets"][i + 1])
        t0, t1 = int(a["triplet_offsets"][i]), int(a["triplet_offsets"][i + 1])
        path = a["image_paths"][i]
        return PseudoLabelImage(
            image_id=int(a["image_ids"][i]), image_path=path.decode("utf-8") if isinstance(path, bytes) else str(path),
            width=int(a["widths"][i]), height=int(a["heights"][i]),
            boxes=np.asarray(a["boxes"][d0:d1], np.float32), scores=np.asarray(a["scores"][d0:d1], np.float32),
            labels=np.asarray(a["labels"][d0:d1], np.int64), dists=np.asarray(a["dists"][d0:d1], np.float32),
            features=np.asarray(a["features"][d0:d1], np.float32),
            node_classes=np.asarray(a["node_classes"][n0:n1], np.int64),
            triplets=np.asarray(a["triplets"][t0:t1], np.int64).reshape(-1, 3))

    def class_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(object counts over nodes, predicate counts over triplets), indexed by target class id."""
        objects = np.bincount(self._arrays["node_classes"], minlength=len(self.vocab.ind_to_classes))
        predicates = np.bincount(self._arrays["triplets"][:, 2].astype(np.int64),
                                 minlength=len(self.vocab.ind_to_predicates))
        return objects, predicates

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _check_offsets(path: Path, name: str, offsets: np.ndarray, num_images: int, rows: int) -> None:
    if offsets.shape != (num_images + 1,) or offsets[0] != 0 or offsets[-1] != rows or np.any(np.diff(offsets) < 0):
        shown = offsets.tolist() if offsets.size <= 6 else f"{offsets.size} values from {offsets[0]} to {offsets[-1]}"
        raise DataFormatError(path, name, f"{num_images + 1} non-decreasing offsets from 0 to {rows}", shown)


def _validate(path: Path, a: dict, vocab: PseudoLabelVocabulary) -> None:
    n = len(a["image_ids"])
    for key in ("widths", "heights", "image_paths"):
        if len(a[key]) != n:
            raise DataFormatError(path, key, f"{n} rows (one per image)", len(a[key]))
    if len(np.unique(a["image_ids"])) != n:
        raise DataFormatError(path, "image_ids", "unique image ids", "repeated ids")
    m = len(a["boxes"])
    _check_offsets(path, "det_offsets", a["det_offsets"], n, m)
    for key, shape in (("boxes", (m, 4)), ("scores", (m,)), ("labels", (m,)), ("dists", (m, len(vocab.detector_classes)))):
        if tuple(a[key].shape) != shape:
            raise DataFormatError(path, key, f"shape {shape}", tuple(a[key].shape))
    if a["features"].ndim != 2 or a["features"].shape[0] != m:
        raise DataFormatError(path, "features", f"shape ({m}, D)", tuple(a["features"].shape))
    if m and not np.isfinite(a["boxes"]).all():
        raise DataFormatError(path, "boxes", "finite values")
    if m and (a["labels"].min() < 1 or a["labels"].max() >= len(vocab.detector_classes)):
        raise DataFormatError(path, "labels", f"detector classes in 1..{len(vocab.detector_classes) - 1}")
    _check_offsets(path, "node_offsets", a["node_offsets"], n, len(a["node_classes"]))
    _check_offsets(path, "triplet_offsets", a["triplet_offsets"], n, len(a["triplets"]))
    nodes = a["node_classes"]
    if len(nodes) and (nodes.min() < 1 or nodes.max() >= len(vocab.ind_to_classes)):
        raise DataFormatError(path, "node_classes", f"classes in 1..{len(vocab.ind_to_classes) - 1}")
    triplets = a["triplets"]
    if triplets.ndim != 2 or triplets.shape[1] != 3:
        raise DataFormatError(path, "triplets", "shape (T, 3)", tuple(triplets.shape))
    if len(triplets):
        if triplets[:, 2].min() < 1 or triplets[:, 2].max() >= len(vocab.ind_to_predicates):
            raise DataFormatError(path, "triplets[:, 2]", f"predicates in 1..{len(vocab.ind_to_predicates) - 1}")
        counts = np.diff(a["node_offsets"])
        per_triplet = np.repeat(counts, np.diff(a["triplet_offsets"]))
        bad = np.flatnonzero((triplets[:, :2] < 0).any(1) | (triplets[:, :2] >= per_triplet[:, None]).any(1))
        if len(bad):
            raise DataFormatError(path, f"triplets[{int(bad[0])}]", "node indices within the image's nodes",
                                  triplets[int(bad[0]), :2].tolist())


def read_pseudo_labels(root: str | os.PathLike) -> PseudoLabelSet:
    """Open and validate a pseudo-label folder; errors name the file and field (``DataFormatError``)."""
    import h5py

    root = Path(root)
    json_path, h5_path = root / JSON_NAME, root / H5_NAME
    if not json_path.is_file():
        raise DataFormatError(json_path, "file", "a pseudo-label folder written by 'sgg-bench pseudo-label'",
                              "no such file (unfinished or wrong folder)")
    try:
        head = json.loads(json_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(json_path, "file", "valid UTF-8 JSON", type(exc).__name__) from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise DataFormatError(json_path, "format", repr(FORMAT), head.get("format") if isinstance(head, dict) else head)
    if head.get("version") != VERSION:
        raise DataFormatError(json_path, "version", str(VERSION), head.get("version"))
    meta = head.get("meta") if isinstance(head.get("meta"), dict) else {}
    vocab = PseudoLabelVocabulary.from_json(head.get("vocab"), json_path)
    if not h5_path.is_file():
        raise DataFormatError(h5_path, "file", "the pseudo-label rows beside pseudo-labels.json", "no such file")
    handle = h5py.File(h5_path, "r")
    try:
        if handle.attrs.get("format") != FORMAT or int(handle.attrs.get("version", -1)) != VERSION:
            raise DataFormatError(h5_path, "attrs", f"format {FORMAT!r} version {VERSION}")
        keys = ("image_ids", "widths", "heights", "image_paths", "det_offsets", "boxes", "scores", "labels", "dists",
                "features", "node_offsets", "node_classes", "triplet_offsets", "triplets")
        missing = [key for key in keys if key not in handle]
        if missing:
            raise DataFormatError(h5_path, missing[0], "this dataset to be present", "missing")
        large = handle["dists"].nbytes + handle["features"].nbytes > IN_MEMORY_LIMIT
        arrays = {key: handle[key] if large and key in ("dists", "features") else handle[key][()] for key in keys}
        _validate(h5_path, arrays, vocab)  # h5py datasets have .shape and .ndim
    except BaseException:
        handle.close()
        raise
    if not large:
        handle.close()
        handle = None
    return PseudoLabelSet(root, meta, vocab, arrays, handle=handle)

