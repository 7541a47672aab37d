"""The "off-the-shelf" detector's outputs for pseudo labels: boxes, class distributions, features.

As SGNLS's offline detector (docs/LANGUAGE.md §8.1): at most 36 boxes per image after per-class NMS at 0.5
with a 0.002 score threshold and one class per box; per box the full softmax over the detector's
classes (background column 0) and the box-head feature of the final box (the tiny detector: 256-d).

Long runs are resumable: images are detected in shards of ``SHARD_SIZE`` written atomically under
the build's partial folder; a rerun with the same inputs loads the finished shards.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.utils.atomic import atomic_path

LOGGER = logging.getLogger(__name__)
SHARD_SIZE = 256
DETECTIONS_PER_IMAGE = 36
SCORE_THRESH = 0.002
NMS_THRESH = 0.5


@dataclass
class DetectorRun:
    """A trained detector run folder: the frozen detector, its class names (background first), its checkpoint."""

    detector: torch.nn.Module
    class_names: list[str]
    checkpoint: Path
    name: str


def load_detector_run(run_dir: str | os.PathLike) -> DetectorRun:
    """Build the detector of a ``sgg-bench train --model detector`` run folder and load its weights;
    the class names come from the run's dataset vocabulary."""
    from sgg_bench.detector.build import build_detector, read_weights_file
    from sgg_bench.language.vocabularies import load_vocabulary
    from sgg_bench.runs.folder import read_run_folder

    run = read_run_folder(run_dir)
    if not run.is_detector:
        raise ConfigError(f"--detector {run_dir}: a detector run folder is needed, found a {run.model!r} run")
    if run.checkpoint_path is None:
        raise DataFormatError(Path(run_dir) / "run.json", "checkpoint", "the trained detector's checkpoint", "none")
    detector_cfg = run.config.get("detector") or {}
    vocab = load_vocabulary(run.dataset_root)
    weights = read_weights_file(run.checkpoint_path)
    num_classes = int(weights["roi_heads.box_predictor.cls_score.weight"].shape[0]) \
        if "roi_heads.box_predictor.cls_score.weight" in weights else len(vocab.object_classes)
    if num_classes != len(vocab.object_classes):
        raise DataFormatError(run.checkpoint_path, "roi_heads.box_predictor.cls_score", f"{len(vocab.object_classes)} "
                              f"classes (the vocabulary of {run.dataset_root})", num_classes)
    detector = build_detector(str(detector_cfg.get("name", "tiny")), num_classes=num_classes,
                              weights=run.checkpoint_path, **dict(detector_cfg.get("args") or {}))
    return DetectorRun(detector=detector, class_names=list(vocab.object_classes), checkpoint=run.checkpoint_path,
                       name=str(run.model))


@torch.no_grad()
def detect_batch(features, images: Sequence[torch.Tensor]) -> list[dict[str, np.ndarray]]:
    """``features``: a ``DetectorFeatures``; ``images`` (3, H, W) float RGB in [0, 1]. Per image ``boxes``
    (N, 4) original pixels, ``scores`` (N,), ``labels`` (N,) 1-based, ``dists`` (N, C), ``features`` (N, D)."""
    batch = features.encode(list(images))
    detections = features.detect(batch)
    boxes_resized = [d["boxes"] for d in detections]
    box_features = features.roi_features(batch, boxes_resized)
    out = []
    for k, (found, feats) in enumerate(zip(detections, box_features)):
        dists = torch.softmax(features.class_logits(feats), dim=-1) if len(feats) else feats.new_zeros((0, features.num_classes))
        out.append({"boxes": batch.to_original(found["boxes"], k).float().cpu().numpy().reshape(-1, 4),
                    "scores": found["scores"].float().cpu().numpy(), "labels": found["labels"].cpu().numpy().astype(np.int64),
                    "dists": dists.float().cpu().numpy(), "features": feats.float().cpu().numpy()})
    return out


def _shard_path(folder: Path, index: int) -> Path:
    return folder / f"detections-{index:05d}.npz"


def _write_shard(path: Path, image_ids: Sequence[int], results: list[dict]) -> None:
    counts = np.asarray([len(r["boxes"]) for r in results], np.int64)
    arrays = {name: np.concatenate([r[name] for r in results]) for name in ("boxes", "scores", "labels", "dists", "features")}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, image_ids=np.asarray(image_ids, np.int64), counts=counts, **arrays)


def _read_shard(path: Path, image_ids: Sequence[int]) -> list[dict] | None:
    """The shard's per-image results, or None when it does not hold exactly ``image_ids`` (rewritten then)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if data["image_ids"].tolist() != list(image_ids):
                return None
            offsets = np.concatenate([[0], np.cumsum(data["counts"])])
            arrays = {name: data[name] for name in ("boxes", "scores", "labels", "dists", "features")}
    except (OSError, ValueError, KeyError):
        return None
    return [{name: arrays[name][offsets[k]:offsets[k + 1]] for name in arrays} for k in range(len(image_ids))]


def detect_images(detector_run: DetectorRun, images: Sequence[tuple[int, str]], shard_dir: Path, *,
                  detections_per_image: int = DETECTIONS_PER_IMAGE, score_thresh: float = SCORE_THRESH,
                  batch_size: int = 8, progress: bool = True) -> dict[int, dict[str, np.ndarray]]:
    """Detect every (image id, image path) of ``images``; finished shards in ``shard_dir`` are reused."""
    from sgg_bench.detector.features import DetectorFeatures
    from sgg_bench.engine.loader import decode_image

    heads = detector_run.detector.roi_heads
    heads.detections_per_img, heads.score_thresh, heads.nms_thresh = int(detections_per_image), float(score_thresh), NMS_THRESH
    features = DetectorFeatures(detector_run.detector)
    shard_dir.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict] = {}
    bar = tqdm(total=len(images), desc="pseudo-label detect", unit="img", disable=not progress, dynamic_ncols=True)
    for shard, start in enumerate(range(0, len(images), SHARD_SIZE)):
        chunk = images[start:start + SHARD_SIZE]
        ids = [image_id for image_id, _ in chunk]
        done = _read_shard(_shard_path(shard_dir, shard), ids) if _shard_path(shard_dir, shard).is_file() else None
        if done is None:
            done = []
            for b in range(0, len(chunk), batch_size):
                tensors = []
                for image_id, path in chunk[b:b + batch_size]:
                    if not Path(path).is_file():
                        raise DataFormatError(path, "image", f"the image file of image {image_id}", "no such file")
                    tensors.append(decode_image(path).float().div_(255.0))
                done.extend(detect_batch(features, tensors))
                bar.update(len(tensors))
            _write_shard(_shard_path(shard_dir, shard), ids, done)
        else:
            bar.update(len(chunk))
        results.update(zip(ids, done))
    bar.close()
    return results
