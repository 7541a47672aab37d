"""Inference over a dataset split into a predictions file (docs/FORMATS.md).

``model.predict(batch) -> list[ImagePrediction]`` (original pixels, relation rows ranked) is
written image by image through ``PredictionsWriter``, which renames the file into place only
when every image is done: an interrupted inference leaves no predictions file behind.

Under torch.distributed every rank predicts the images ``rank, rank + N, ...`` into a hidden
shard file; rank 0 then merges the shards in dataset order into ``path`` and deletes them.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from sgg_bench.engine import distributed as dist_utils
from sgg_bench.engine.checkpoint import unwrap
from sgg_bench.engine.loader import SceneGraphBatches

logger = logging.getLogger("sgg_bench.engine")


class _Shard:
    """Every ``step``-th image of ``dataset`` from ``start`` (same ``vocab`` and ``split``)."""

    def __init__(self, dataset: Any, start: int, step: int):
        self.dataset, self.start, self.step = dataset, start, step
        self.vocab, self.split = dataset.vocab, dataset.split

    def __len__(self) -> int:
        return max(0, (len(self.dataset) - self.start + self.step - 1) // self.step)

    def __getitem__(self, index: int):
        return self.dataset[self.start + index * self.step]


def _shard_path(path: Path, rank: int) -> Path:
    return path.with_name(f".{path.stem}.rank{rank}{path.suffix}")


@torch.no_grad()
def _predict_into(model: torch.nn.Module, dataset: Any, path: Path, *, dataset_name: str, mode: str,
                  batch_size: int, progress: bool, cache_images: bool) -> int:
    from sgg_bench.evaluation.predictions import PredictionsWriter

    vocab = dataset.vocab
    batches = SceneGraphBatches(dataset, batch_size=batch_size, seed=0, shuffle=False, training=False,
                                cache_images=cache_images)
    count = 0
    with PredictionsWriter(path, dataset=dataset_name, split=dataset.split, mode=mode,
                           num_obj_classes=vocab.num_object_classes,
                           num_rel_classes=vocab.num_predicate_classes) as writer:
        with tqdm(total=len(dataset), desc=f"predict {dataset.split}", unit="img", disable=not progress,
                  dynamic_ncols=True) as bar:
            for items in batches.iterate_once():
                for prediction in model.predict(items):
                    writer.add(prediction)
                count += len(items)
                bar.update(len(items))
    return count


def _merge_shards(shards: list[Path], path: Path, *, dataset: Any, dataset_name: str, mode: str) -> None:
    """Interleave the shard files (image i lives in shard i % N) into ``path``."""
    from sgg_bench.evaluation.predictions import PredictionsWriter, read_predictions

    vocab = dataset.vocab
    files = [read_predictions(shard, check_rows=False) for shard in shards]
    try:
        streams = [iter(f) for f in files]
        with PredictionsWriter(path, dataset=dataset_name, split=dataset.split, mode=mode,
                               num_obj_classes=vocab.num_object_classes,
                               num_rel_classes=vocab.num_predicate_classes) as writer:
            for index in range(len(dataset)):
                writer.add(next(streams[index % len(streams)]))
    finally:
        for f in files:
            f.close()
    for shard in shards:
        shard.unlink()


def remove_stale_files(path: Path) -> list[Path]:
    """Hidden files a killed earlier inference into ``path`` left behind: its temporary file
    (``.<name>.*.tmp``) and rank shards (``.<stem>.rank<r><suffix>``). Returns what was removed."""
    stale = list(path.parent.glob(f".{path.name}.*.tmp")) + list(path.parent.glob(f".{path.stem}.rank*{path.suffix}"))
    for leftover in stale:
        leftover.unlink(missing_ok=True)
        logger.info("removed %s, left by an interrupted inference", leftover)
    return stale


def write_predictions(model: torch.nn.Module, dataset: Any, path: str | os.PathLike, *, dataset_name: str,
                      mode: str, batch_size: int = 8, progress: bool = True, cache_images: bool = False) -> dict:
    """Predict every image of ``dataset`` (an ``SGGDataset``) and write ``path`` in dataset order.

    Call it on every rank when running distributed (each predicts its share). The file's attrs
    come from ``dataset`` (split, vocabulary sizes) plus ``dataset_name`` and ``mode``. Returns
    ``{"images", "seconds", "images_per_second"}`` (images of the whole split). The model's
    train/eval mode is restored afterwards.
    """
    path = Path(path)
    model = unwrap(model)
    rank, world = dist_utils.get_rank(), dist_utils.get_world_size()
    if rank == 0:
        remove_stale_files(path)
    dist_utils.barrier()
    was_training = model.training
    model.eval()
    started = time.perf_counter()
    options = dict(dataset_name=dataset_name, mode=mode, batch_size=batch_size, cache_images=cache_images)
    try:
        if world == 1:
            _predict_into(model, dataset, path, progress=progress, **options)
        else:
            _predict_into(model, _Shard(dataset, rank, world), _shard_path(path, rank),
                          progress=progress and rank == 0, **options)
            dist_utils.barrier()
            if rank == 0:
                _merge_shards([_shard_path(path, r) for r in range(world)], path, dataset=dataset,
                              dataset_name=dataset_name, mode=mode)
            dist_utils.barrier()
    finally:
        model.train(was_training)
    seconds = time.perf_counter() - started
    rate = len(dataset) / seconds if seconds > 0 else None
    if rank == 0:
        logger.info("wrote %s: %d images in %.1f s (%d process%s)", path, len(dataset), seconds, world,
                    "es" if world > 1 else "")
    return {"images": len(dataset), "seconds": seconds, "images_per_second": rate}
