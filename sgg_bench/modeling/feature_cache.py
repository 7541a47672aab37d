"""Feature cache for frozen relation-stage extractors.

With ``model.features.freeze`` nothing before the head is trainable, so an image's features
(boxes, box features, detector logits and the union feature of every ordered pair) are a pure
function of (detector weights, detector settings, image, its boxes, box source); the per-class
boxes of each box (``ImageFeatures.class_boxes``) are stored with them. They are
computed once and stored as ``<root>/<detector key>/<image key>.pt``, shared across epochs, seeds
and heads. Each entry holds a sha256 of its tensors; a damaged entry is recomputed, never used.
Entries are written atomically, so a killed run leaves only whole files.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import Tensor

from sgg_bench.utils.atomic import atomic_path

logger = logging.getLogger("sgg_bench.modeling")
FIELDS = ("boxes", "box_features", "obj_logits", "pair_table", "class_boxes", "image_size", "original_size")


def detector_key(checkpoint_sha256: str, settings: Mapping[str, Any]) -> str:
    """Folder name for one detector checkpoint + the settings that change its features."""
    text = json.dumps({"checkpoint": checkpoint_sha256, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def image_key(item: Mapping[str, Any], box_source: str) -> str:
    """Name of one image's entry: its file identity (path, size, mtime), id, GT boxes, box source."""
    path = Path(item["image_path"])
    stat = path.stat()
    digest = hashlib.sha256()
    digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{int(item['image_id'])}|{box_source}".encode())
    digest.update(item["boxes"].detach().cpu().float().contiguous().numpy().tobytes())
    return digest.hexdigest()[:32]


def _checksum(tensors: Mapping[str, Tensor]) -> str:
    digest = hashlib.sha256()
    for name in FIELDS:
        value = tensors[name].contiguous()
        digest.update(name.encode())
        digest.update(str(tuple(value.shape)).encode())
        digest.update(value.numpy().tobytes())
    return digest.hexdigest()


class FeatureCache:
    """Entries under ``root/key``; ``hits`` / ``misses`` / ``damaged`` count lookups.

    Entries read or written are also kept in memory up to ``memory_bytes`` (the synthetic
    default's PredCls entries take about 0.2 GB), so later epochs do not touch the disk.
    """

    def __init__(self, root: str | os.PathLike, key: str, *, memory_bytes: int = 2 << 30):
        self.directory = Path(root) / key
        self.hits = self.misses = self.damaged = 0
        self.memory_bytes = int(memory_bytes)
        self._memory: dict[str, dict[str, Tensor]] = {}
        self._held = 0

    def _remember(self, name: str, tensors: dict[str, Tensor]) -> None:
        size = sum(t.numel() * t.element_size() for t in tensors.values())
        if self._held + size <= self.memory_bytes:
            self._memory[name] = tensors
            self._held += size

    def path(self, name: str) -> Path:
        return self.directory / name[:2] / f"{name}.pt"

    def load(self, name: str) -> dict[str, Tensor] | None:
        if name in self._memory:
            self.hits += 1
            return self._memory[name]
        path = self.path(name)
        if not path.is_file():
            self.misses += 1
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
            tensors = {field: entry[field] for field in FIELDS}
            valid = entry.get("sha256") == _checksum(tensors)
        except Exception:  # a truncated or foreign file: recompute it
            valid = False
        if not valid:
            self.damaged += 1
            logger.warning("feature cache: %s is damaged (checksum mismatch); recomputing it", path)
            return None
        self.hits += 1
        self._remember(name, tensors)
        return tensors

    def store(self, name: str, tensors: Mapping[str, Tensor]) -> None:
        plain = {field: tensors[field].detach().cpu().contiguous() for field in FIELDS}
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            torch.save({**plain, "sha256": _checksum(plain)}, temporary)
        self._remember(name, plain)
